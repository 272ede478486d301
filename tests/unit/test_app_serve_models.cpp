// Which models `serve` serves and with what settings: the models list, model_repository (the
// OVMS/Triton layout, highest numeric version) and the one-model form; the streams split.
#include <gtest/gtest.h>

#include <fstream>

#include "../../src/app/serve_model_repository.hpp"
#include "../../src/app/serve_models.hpp"
#include "../support/temp_dir.hpp"

namespace detserve::app {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

void touch(const fs::path& path) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "x";
}

TEST(AppServeModels, OneModelFormWhenNoListAndNoRepository) {
    ServeConfig config;
    config.streams = 2;
    const auto plans = plan_models(config);
    ASSERT_EQ(plans.size(), 1u);
    EXPECT_EQ(plans[0].name, "") << "served under the model's own name";
    EXPECT_EQ(plans[0].path, config.model);
    EXPECT_EQ(plans[0].engine.streams, 2);
}

TEST(AppServeModels, TheStreamsSplitEvenlyUnlessAModelSetsItsOwn) {
    ServeConfig config;
    config.streams = 4;
    config.threshold = 0.3;
    config.models = {{"a", "a.xml"}, {"b", "b.xml"}};
    config.models[1].threshold = 0.6;
    auto plans = plan_models(config);
    ASSERT_EQ(plans.size(), 2u);
    EXPECT_EQ(plans[0].engine.streams, 2);
    EXPECT_EQ(plans[1].engine.streams, 2);
    EXPECT_EQ(plans[0].threshold, 0.3);
    EXPECT_EQ(plans[1].threshold, 0.6);
    EXPECT_EQ(plans[0].thread_budget, plans[1].thread_budget) << "every pipeline asks oneTBB for the same total";

    config.streams = 2;
    config.models.push_back({"c", "c.xml"});
    config.models[2].streams = 3;
    plans = plan_models(config);
    EXPECT_EQ(plans[0].engine.streams, 1) << "2 streams over 3 models: at least 1 each";
    EXPECT_EQ(plans[2].engine.streams, 3);
}

TEST(AppServeModels, RepositoryServesEachNameFromItsHighestNumericVersion) {
    TempDir repository;
    touch(repository.path() / "people" / "1" / "model.xml");
    touch(repository.path() / "people" / "3" / "model.onnx");
    touch(repository.path() / "people" / "12" / "model.xml");
    touch(repository.path() / "people" / "20" / "notes.txt");  // no model: not a version to serve
    touch(repository.path() / "people" / "latest" / "model.xml");  // not a number: ignored
    touch(repository.path() / "people" / "config.pbtxt");
    touch(repository.path() / "cars" / "2" / "model.onnx");
    touch(repository.path() / "README.md");

    const auto models = scan_model_repository(repository.path());
    ASSERT_EQ(models.size(), 2u);
    EXPECT_EQ(models[0].name, "cars");
    EXPECT_EQ(models[0].version, "2");
    EXPECT_EQ(models[1].name, "people");
    EXPECT_EQ(models[1].version, "12");
    EXPECT_EQ(models[1].path, repository.path() / "people" / "12" / "model.xml");

    ServeConfig config;
    config.models = {{"first", "first.xml"}};
    config.model_repository = repository.path().string();
    const auto plans = plan_models(config);
    ASSERT_EQ(plans.size(), 3u);
    EXPECT_EQ(plans[0].name, "first");
    EXPECT_EQ(plans[2].name, "people");
    EXPECT_EQ(plans[2].repository_directory, (repository.path() / "people").string())
        << "a reload looks for a newer version";
}

TEST(AppServeModels, RepositoryProblemsNameTheSettingAndTheDirectory) {
    TempDir repository;
    ServeConfig config;
    config.model_repository = (repository.path() / "absent").string();
    try {
        plan_models(config);
        FAIL() << "a missing repository must fail";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), "model_repository: " + config.model_repository + ": not a directory");
    }
    touch(repository.path() / "empty" / "1" / "weights.bin");
    config.model_repository = repository.path().string();
    try {
        plan_models(config);
        FAIL() << "a model directory without a version must fail";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("empty: no version directory"), std::string::npos) << e.what();
    }
    fs::remove_all(repository.path() / "empty");
    touch(repository.path() / "a" / "1" / "model.xml");
    config.models = {{"a", "other.xml"}};
    try {
        plan_models(config);
        FAIL() << "a name in the list and the repository must fail";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("models[1].name: duplicate name 'a'"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace detserve::app
