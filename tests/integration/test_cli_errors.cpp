// The real `detserve` binary on bad input: every failure is one clear line on stderr naming the
// file or option and the problem, a non-zero exit, and never a crash. Plus the good paths: detect's
// JSON answer (README.md's shape), `info`, and `eval` (its bad input, and the files it leaves out
// with a warning rather than stopping).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detserve/detect/label_map.hpp"
#include "test_paths.hpp"

#ifndef DETSERVE_BINARY
#error "DETSERVE_BINARY must be defined (tests/CMakeLists.txt sets it)"
#endif

extern char** environ;

namespace {

namespace fs = std::filesystem;
namespace test = detserve::test;

struct RunResult {
    bool exited = false;  // false: killed by a signal (a crash)
    int exit_code = -1;
    int signal = 0;
    std::string out, err;
};

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs the binary with stdin from /dev/null and stdout/stderr captured in files under `scratch`
// (files rather than pipes: no deadlock whatever the child writes).
RunResult run_detserve(const std::vector<std::string>& args, const fs::path& scratch) {
    const fs::path out_path = scratch / "stdout.txt", err_path = scratch / "stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);

    std::vector<std::string> argv_strings{DETSERVE_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    RunResult result;
    pid_t pid = 0;
    const int spawn_error = posix_spawn(&pid, DETSERVE_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_error != 0) {
        ADD_FAILURE() << "cannot start " << DETSERVE_BINARY << ": " << std::strerror(spawn_error);
        return result;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exited = WIFEXITED(status);
    result.exit_code = result.exited ? WEXITSTATUS(status) : -1;
    result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    result.out = read_text(out_path);
    result.err = read_text(err_path);
    return result;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

bool contains_any(const std::string& text, const std::vector<std::string>& needles) {
    const std::string haystack = lower(text);
    return std::any_of(needles.begin(), needles.end(),
                       [&](const std::string& needle) { return haystack.find(lower(needle)) != std::string::npos; });
}

// Placeholders in the case table, filled in by the fixture: {model} the real model, {dog} the real
// photo, {tmp} this test's scratch directory.
std::string expand(std::string text, const std::map<std::string, std::string>& values) {
    for (const auto& [key, value] : values)
        for (std::size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, key.size(), value);
    return text;
}

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        model = test::default_model_path();
        ASSERT_TRUE(fs::exists(model)) << test::missing_model_message(model);
        dog = test::sample_photo("dog.jpg");
        ASSERT_FALSE(dog.empty()) << test::missing_photo_message("dog.jpg");
        ASSERT_TRUE(fs::exists(DETSERVE_BINARY)) << DETSERVE_BINARY << " not built";

        // One scratch directory per process; TearDown removes it, so tests run in one process don't mix.
        scratch = fs::temp_directory_path() / ("detserve_cli_test_" + std::to_string(getpid()));
        fs::remove_all(scratch);
        fs::create_directories(scratch);
    }

    void TearDown() override {
        std::error_code ignored;
        if (!scratch.empty()) fs::remove_all(scratch, ignored);
    }

    std::map<std::string, std::string> placeholders() const {
        return {{"{model}", model.string()}, {"{dog}", dog.string()}, {"{tmp}", scratch.string()}};
    }

    fs::path model, dog, scratch;
};

// ---------------------------------------------------------------------------------------------
// Bad input, one row per case: what to prepare, the command line, and what the single stderr line
// must contain: the file or option it is about, and one of the words that state the problem.

enum class Prepare {
    nothing, truncated_jpeg, text_as_jpeg, directory_as_jpeg, model_without_bin, model_with_half_bin,
    labelled_photos,       // {tmp}/photos/dog.jpg, {tmp}/labels/dog.txt, {tmp}/names.txt (COCO-80)
    class_id_out_of_range, // the same with class id 80 on line 2 of dog.txt
    empty_photo_folder,    // {tmp}/empty/ and the labels above
};

struct ErrorCase {
    std::string name;
    Prepare prepare;
    std::vector<std::string> args;
    std::string names;                 // the file or option the line must name
    std::vector<std::string> problem;  // any of these (case-insensitive) states the problem
};

void PrintTo(const ErrorCase& c, std::ostream* out) { *out << c.name; }

const std::vector<ErrorCase>& error_cases() {
    static const std::vector<ErrorCase> cases{
        {"truncated_jpeg", Prepare::truncated_jpeg, {"detect", "{tmp}/truncated.jpg", "--model", "{model}"},
         "{tmp}/truncated.jpg", {"truncated"}},
        {"text_file_named_jpg", Prepare::text_as_jpeg, {"detect", "{tmp}/notes.jpg", "--model", "{model}"},
         "{tmp}/notes.jpg", {"not a jpeg", "not an image", "unsupported"}},
        {"missing_image", Prepare::nothing, {"detect", "{tmp}/no-such-photo.jpg", "--model", "{model}"},
         "{tmp}/no-such-photo.jpg", {"cannot open", "not found", "no such file", "does not exist"}},
        {"directory_as_image", Prepare::directory_as_jpeg, {"detect", "{tmp}/album.jpg", "--model", "{model}"},
         "{tmp}/album.jpg", {"directory"}},
        {"model_without_bin", Prepare::model_without_bin, {"detect", "{dog}", "--model", "{tmp}/nobin/nanodet.xml"},
         "{tmp}/nobin/nanodet.bin", {"does not exist", "not found", "missing", "cannot open"}},
        {"model_with_truncated_bin", Prepare::model_with_half_bin,
         {"detect", "{dog}", "--model", "{tmp}/halfbin/nanodet.xml"}, "{tmp}/halfbin/nanodet.bin",
         {"past the end", "truncated", "too short", "shorter"}},
        {"missing_model", Prepare::nothing, {"detect", "{dog}", "--model", "{tmp}/no-such-model.xml"},
         "{tmp}/no-such-model.xml", {"not found", "does not exist", "cannot open"}},
        {"unknown_option", Prepare::nothing, {"detect", "{dog}", "--model", "{model}", "--frobnicate", "1"},
         "--frobnicate", {"unknown option"}},
        {"unknown_option_last", Prepare::nothing, {"detect", "{dog}", "--model", "{model}", "--frobnicate"},
         "--frobnicate", {"unknown option"}},
        {"threshold_out_of_range", Prepare::nothing, {"detect", "{dog}", "--model", "{model}", "--threshold", "7"},
         "--threshold", {"must be within", "out of range"}},
        {"threshold_not_a_number", Prepare::nothing, {"detect", "{dog}", "--model", "{model}", "--threshold", "nan"},
         "--threshold", {"must be within", "expects a number", "out of range"}},
        {"eval_missing_label_folder", Prepare::labelled_photos,
         {"eval", "--model", "{model}", "--images", "{tmp}/photos", "--labels", "{tmp}/no-labels"}, "{tmp}/no-labels",
         {"not found"}},
        {"eval_missing_photo_folder", Prepare::labelled_photos,
         {"eval", "--model", "{model}", "--images", "{tmp}/no-photos", "--labels", "{tmp}/labels"}, "{tmp}/no-photos",
         {"not found"}},
        {"eval_empty_photo_folder", Prepare::empty_photo_folder,
         {"eval", "--model", "{model}", "--images", "{tmp}/empty", "--labels", "{tmp}/labels"}, "{tmp}/empty", {"no photos"}},
        {"eval_class_id_out_of_range", Prepare::class_id_out_of_range,
         {"eval", "--model", "{model}", "--images", "{tmp}/photos", "--labels", "{tmp}/labels"}, "{tmp}/labels/dog.txt",
         {"line 2: class id 80 is out of range"}},
        {"eval_missing_names", Prepare::labelled_photos,
         {"eval", "--model", "{model}", "--images", "{tmp}/photos", "--labels", "{tmp}/labels", "--names", "{tmp}/no-names.txt"},
         "{tmp}/no-names.txt", {"cannot open"}},
        {"eval_unknown_class_map_label", Prepare::labelled_photos,
         {"eval", "--model", "{model}", "--images", "{tmp}/photos", "--labels", "{tmp}/labels", "--class-map", "vehicle=car,bus"},
         "--class-map", {"has no label 'vehicle'"}},
        {"eval_without_ground_truth", Prepare::labelled_photos, {"eval", "--model", "{model}", "--images", "{tmp}/photos"},
         "--labels", {"needs one ground truth"}},
        {"eval_missing_coco_json", Prepare::labelled_photos,
         {"eval", "--model", "{model}", "--images", "{tmp}/photos", "--coco", "{tmp}/instances_val2017.json"},
         "{tmp}/instances_val2017.json", {"cannot open"}},
        {"eval_score_threshold_out_of_range", Prepare::labelled_photos,
         {"eval", "--model", "{model}", "--images", "{tmp}/photos", "--labels", "{tmp}/labels", "--score-threshold", "2"},
         "--score-threshold", {"must be within"}},
    };
    return cases;
}

// dog.jpg's bicycle (768x576; the box README.md shows the default model finding), as a YOLO label.
constexpr const char* kDogBicycleLabel = "1 0.4354 0.4711 0.6221 0.5056\n";

void write_labelled_photos(const fs::path& scratch, const fs::path& dog, const std::string& labels) {
    fs::create_directories(scratch / "photos");
    fs::create_directories(scratch / "labels");
    fs::copy_file(dog, scratch / "photos/dog.jpg");
    std::ofstream(scratch / "labels/dog.txt") << labels;
    std::ofstream names(scratch / "names.txt");
    const auto coco80 = detserve::detect::LabelMap::coco80();
    for (const auto& name : coco80.names()) names << name << "\n";
}

void prepare(Prepare what, const fs::path& scratch, const fs::path& model, const fs::path& dog) {
    auto bin = model;
    bin.replace_extension(".bin");
    switch (what) {
        case Prepare::nothing:
            break;
        case Prepare::labelled_photos:
            write_labelled_photos(scratch, dog, kDogBicycleLabel);
            break;
        case Prepare::class_id_out_of_range:
            write_labelled_photos(scratch, dog, std::string(kDogBicycleLabel) + "80 0.5 0.5 0.1 0.1\n");
            break;
        case Prepare::empty_photo_folder:
            write_labelled_photos(scratch, dog, kDogBicycleLabel);
            fs::create_directories(scratch / "empty");
            break;
        case Prepare::truncated_jpeg: {
            // The first 40 KB of dog.jpg (163 KB): a valid header and start of scan, no end marker.
            const auto bytes = test::read_bytes(dog);
            ASSERT_GT(bytes.size(), 40'000u);
            std::ofstream(scratch / "truncated.jpg", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), 40'000);
            break;
        }
        case Prepare::text_as_jpeg:
            std::ofstream(scratch / "notes.jpg") << "shopping list: eggs, flour, a new bicycle bell\n";
            break;
        case Prepare::directory_as_jpeg:
            fs::create_directories(scratch / "album.jpg");
            break;
        case Prepare::model_without_bin:
            fs::create_directories(scratch / "nobin");
            fs::copy_file(model, scratch / "nobin/nanodet.xml");
            break;
        case Prepare::model_with_half_bin: {
            fs::create_directories(scratch / "halfbin");
            fs::copy_file(model, scratch / "halfbin/nanodet.xml");
            const auto bytes = test::read_bytes(bin);
            ASSERT_FALSE(bytes.empty()) << bin << " missing: " << test::kFetchModelHint;
            std::ofstream(scratch / "halfbin/nanodet.bin", std::ios::binary)
                .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size() / 2));
            break;
        }
    }
}

class CliErrorTest : public CliTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(CliErrorTest, PrintsOneClearLineAndExitsNonZero) {
    const ErrorCase& c = GetParam();
    ASSERT_NO_FATAL_FAILURE(prepare(c.prepare, scratch, model, dog));
    std::vector<std::string> args;
    for (const auto& arg : c.args) args.push_back(expand(arg, placeholders()));
    const std::string names = expand(c.names, placeholders());

    const RunResult run = run_detserve(args, scratch);
    SCOPED_TRACE("stderr:\n" + run.err + "stdout:\n" + run.out);
    ASSERT_TRUE(run.exited) << "detserve was killed by signal " << run.signal;
    EXPECT_NE(run.exit_code, 0);
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << "expected exactly one line on stderr";
    EXPECT_TRUE(!run.err.empty() && run.err.back() == '\n') << "the line should end with a newline";
    EXPECT_NE(run.err.find(names), std::string::npos) << "the error should name " << names;
    EXPECT_TRUE(contains_any(run.err, c.problem)) << "the error should say what is wrong, e.g. '" << c.problem.front() << "'";
    EXPECT_EQ(run.out, "") << "nothing should be printed as a result";
}

INSTANTIATE_TEST_SUITE_P(BadInput, CliErrorTest, ::testing::ValuesIn(error_cases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Good paths.

TEST_F(CliTest, DetectPrintsTheDocumentedJson) {
    const RunResult run = run_detserve({"detect", dog.string(), "--model", model.string()}, scratch);
    SCOPED_TRACE("stderr:\n" + run.err);
    ASSERT_TRUE(run.exited) << "detserve was killed by signal " << run.signal;
    ASSERT_EQ(run.exit_code, 0);

    nlohmann::json answer;
    ASSERT_NO_THROW(answer = nlohmann::json::parse(run.out)) << "stdout is not JSON:\n" << run.out;
    ASSERT_TRUE(answer.is_object());
    EXPECT_EQ(answer.value("model", ""), model.stem().string());

    ASSERT_TRUE(answer.contains("image") && answer["image"].is_object());
    EXPECT_EQ(answer["image"].value("width", 0), 768);
    EXPECT_EQ(answer["image"].value("height", 0), 576);

    ASSERT_TRUE(answer.contains("detections") && answer["detections"].is_array());
    ASSERT_FALSE(answer["detections"].empty());
    bool has_dog = false;
    for (const auto& d : answer["detections"]) {
        SCOPED_TRACE(d.dump());
        ASSERT_TRUE(d.contains("label") && d["label"].is_string());
        ASSERT_TRUE(d.contains("class_id") && d["class_id"].is_number_integer());
        ASSERT_TRUE(d.contains("score") && d["score"].is_number());
        EXPECT_GE(d["score"].get<double>(), 0.25);  // the default threshold of the NanoDet default
        EXPECT_LE(d["score"].get<double>(), 1.0);
        ASSERT_TRUE(d.contains("box") && d["box"].is_object());
        for (const char* key : {"x_min", "y_min", "x_max", "y_max"})
            ASSERT_TRUE(d["box"].contains(key) && d["box"][key].is_number()) << key;
        EXPECT_LT(d["box"]["x_min"].get<double>(), d["box"]["x_max"].get<double>());
        EXPECT_LT(d["box"]["y_min"].get<double>(), d["box"]["y_max"].get<double>());
        EXPECT_GE(d["box"]["x_min"].get<double>(), 0.0);
        EXPECT_LE(d["box"]["x_max"].get<double>(), 768.0);
        has_dog = has_dog || d["label"] == "dog";
    }
    EXPECT_TRUE(has_dog);

    ASSERT_TRUE(answer.contains("timing_ms") && answer["timing_ms"].is_object());
    for (const char* stage : {"decode", "preprocess", "inference", "postprocess", "total"})
        EXPECT_TRUE(answer["timing_ms"].contains(stage) && answer["timing_ms"][stage].is_number()) << stage;
    ASSERT_TRUE(answer.contains("batch_size") && answer["batch_size"].is_number_integer());
    EXPECT_EQ(answer["batch_size"].get<int>(), 1);
}

TEST_F(CliTest, InfoDescribesTheDefaultModel) {
    const RunResult run = run_detserve({"info", "--model", model.string()}, scratch);
    SCOPED_TRACE("stdout:\n" + run.out + "stderr:\n" + run.err);
    ASSERT_TRUE(run.exited) << "detserve was killed by signal " << run.signal;
    ASSERT_EQ(run.exit_code, 0);
    EXPECT_NE(run.out.find("Convolution"), std::string::npos) << "op counts should list Convolution";
    EXPECT_TRUE(contains_any(run.out, {"model_type=nanodet", "\"model_type\": \"nanodet\""})) << "should show model_type nanodet";
}


// ---------------------------------------------------------------------------------------------
// `detserve eval`: good paths, and the files it leaves out with a warning rather than stopping.

nlohmann::json read_json(const fs::path& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

TEST_F(CliTest, EvalPrintsTheMetricsAndWritesThemAsJson) {
    ASSERT_NO_FATAL_FAILURE(write_labelled_photos(scratch, dog, kDogBicycleLabel));
    // A label file without its photo and a file that is no photo: warnings naming them.
    std::ofstream(scratch / "labels/ghost.txt") << "16 0.5 0.5 0.2 0.2\n";
    std::ofstream(scratch / "photos/notes.txt") << "not a photo\n";
    const RunResult run = run_detserve({"eval", "--model", model.string(), "--images", (scratch / "photos").string(), "--labels",
                                        (scratch / "labels").string(), "--json", (scratch / "metrics.json").string()},
                                       scratch);
    SCOPED_TRACE("stdout:\n" + run.out + "stderr:\n" + run.err);
    ASSERT_TRUE(run.exited) << "detserve was killed by signal " << run.signal;
    ASSERT_EQ(run.exit_code, 0);
    EXPECT_NE(run.err.find((scratch / "labels/ghost.txt").string()), std::string::npos);
    EXPECT_NE(run.err.find((scratch / "photos/notes.txt").string()), std::string::npos);
    EXPECT_NE(run.out.find("score >= 0.001"), std::string::npos) << "should say it evaluates at a low threshold";
    EXPECT_NE(run.out.find("mAP@[.50:.95]"), std::string::npos);
    EXPECT_NE(run.out.find("images/s"), std::string::npos);

    const auto metrics = read_json(scratch / "metrics.json");
    for (const char* key : {"map_50_95", "map_50", "map_75", "map_small", "map_medium", "map_large", "ar_100", "per_class_ap50",
                            "images", "images_per_s"})
        EXPECT_TRUE(metrics.contains(key)) << key;
    EXPECT_EQ(metrics["images"], 1);
    EXPECT_GT(metrics["images_per_s"].get<double>(), 0.0);
    // The one labelled object, the bicycle, is found (its box as README.md shows it).
    ASSERT_TRUE(metrics["per_class_ap50"]["bicycle"].is_number());
    EXPECT_GT(metrics["per_class_ap50"]["bicycle"].get<double>(), 0.5);
    EXPECT_TRUE(metrics["per_class_ap50"]["dog"].is_null()) << "no dog is labelled: nothing to measure";
    EXPECT_TRUE(metrics["map_small"].is_null());
}

TEST_F(CliTest, EvalLeavesOutAPhotoItCannotDecodeAndExitsOne) {
    ASSERT_NO_FATAL_FAILURE(write_labelled_photos(scratch, dog, kDogBicycleLabel));
    std::ofstream(scratch / "photos/notes.jpg") << "shopping list: eggs, flour, a new bicycle bell\n";
    const RunResult run = run_detserve({"eval", "--model", model.string(), "--images", (scratch / "photos").string(), "--labels",
                                        (scratch / "labels").string(), "--json", (scratch / "metrics.json").string()},
                                       scratch);
    SCOPED_TRACE("stdout:\n" + run.out + "stderr:\n" + run.err);
    ASSERT_TRUE(run.exited) << "detserve was killed by signal " << run.signal;
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find((scratch / "photos/notes.jpg").string()), std::string::npos);
    EXPECT_NE(run.out.find("mAP@[.50:.95]"), std::string::npos) << "the other photos' metrics are still printed";
    const auto metrics = read_json(scratch / "metrics.json");
    EXPECT_EQ(metrics["images"], 1);
    EXPECT_EQ(metrics["images_left_out"], 1);
}

TEST_F(CliTest, EvalOfACocoResultsFile) {
    std::ofstream(scratch / "gt.json") << R"({"info": {}, "images": [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100], "area": 10000, "iscrowd": 0}]})";
    // A false positive in image 2 scored above the hit: precision 1/2 at recall 1.
    std::ofstream(scratch / "results.json") << R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100], "score": 0.5},
        {"image_id": 2, "category_id": 1, "bbox": [0, 0, 100, 100], "score": 0.9}])";
    const RunResult run = run_detserve({"eval", "--coco", (scratch / "gt.json").string(), "--predictions",
                                        (scratch / "results.json").string(), "--json", (scratch / "metrics.json").string()},
                                       scratch);
    SCOPED_TRACE("stdout:\n" + run.out + "stderr:\n" + run.err);
    ASSERT_TRUE(run.exited) << "detserve was killed by signal " << run.signal;
    ASSERT_EQ(run.exit_code, 0);
    const auto metrics = read_json(scratch / "metrics.json");
    EXPECT_DOUBLE_EQ(metrics["map_50_95"].get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(metrics["ar_100"].get<double>(), 1.0);
    EXPECT_EQ(metrics["images"], 2);
    EXPECT_TRUE(metrics["images_per_s"].is_null());
}

}  // namespace
