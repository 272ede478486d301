// Where a model's sidecar ModelSpec is found, and what a missing or bad one says. The model files
// are empty: load_model reads an ONNX file only when it is compiled.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "detserve/app/model_loader.hpp"
#include "detserve/graph/ir_writer.hpp"

namespace fs = std::filesystem;
using detserve::app::find_sidecar;
using detserve::app::load_model;

namespace {

// A scratch tree: models/ for the model files, work/ as the working directory with its own
// config/models/. The working directory is restored afterwards.
class AppModelLoader : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("detserve_loader_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(root_ / "models");
        fs::create_directories(root_ / "work" / "config" / "models");
        saved_ = fs::current_path();
        fs::current_path(root_ / "work");
    }
    void TearDown() override {
        fs::current_path(saved_);
        fs::remove_all(root_);
    }
    fs::path write(const fs::path& relative, const std::string& text) {
        std::ofstream(root_ / relative) << text;
        return root_ / relative;
    }
    static std::string error_of(const fs::path& model) {
        try {
            load_model(model);
        } catch (const std::runtime_error& e) {
            return e.what();
        }
        return "no error";
    }

    fs::path root_, saved_;
};

// The smallest IR a detector can be (input -> output), carrying Ultralytics' class names.
void write_ir_with_names(const fs::path& xml, const std::string& names) {
    using namespace detserve::graph;
    Graph graph;
    Node input;
    input.name = "images";
    input.type = "Parameter";
    input.attrs.set("shape", "1,3,8,8");
    input.attrs.set("element_type", "f32");
    input.outputs.push_back(Port{ElementType::f32, {1, 3, 8, 8}, "images"});
    const auto id = graph.add_node(std::move(input)).id;
    Node output;
    output.name = "output0";
    output.type = "Result";
    output.inputs.push_back({Source{id, 0}, Port{ElementType::f32, {1, 3, 8, 8}, {}}});
    graph.add_node(std::move(output));
    graph.rt_info.set("framework/names", names);
    write_ir(graph, xml);
}

constexpr const char* kYolov8Sidecar = R"({"model_type": "yolov8", "input_size": [640, 640]})";

}  // namespace

TEST_F(AppModelLoader, SidecarBesideTheModelComesFirst) {
    const auto model = write("models/det.onnx", "");
    write("models/det.json", kYolov8Sidecar);
    write("work/config/models/det.json", R"({"model_type": "nanodet", "input_size": [320, 320]})");
    EXPECT_EQ(find_sidecar(model), root_ / "models/det.json");
    const auto loaded = load_model(model);
    EXPECT_EQ(loaded.format, "onnx");
    EXPECT_EQ(loaded.spec.model_type, "yolov8");
    EXPECT_EQ(loaded.input_width, 640);
}

TEST_F(AppModelLoader, ElseConfigModelsStemUnderTheWorkingDirectory) {
    const auto model = write("models/det.onnx", "");
    write("work/config/models/det.json", R"({"model_type": "nanodet", "input_size": [320, 256]})");
    EXPECT_EQ(find_sidecar(model), fs::path("config/models/det.json"));
    const auto loaded = load_model(model);
    EXPECT_EQ(loaded.spec_source, "config/models/det.json");
    EXPECT_EQ(loaded.spec.model_type, "nanodet");
    EXPECT_EQ(loaded.input_width, 320);
    EXPECT_EQ(loaded.input_height, 256);
}

TEST_F(AppModelLoader, OnnxWithoutSidecarSaysWhereItLooked) {
    const auto message = error_of(write("models/det.onnx", ""));
    EXPECT_NE(message.find("det.json"), std::string::npos) << message;
    EXPECT_NE(message.find("config/models"), std::string::npos) << message;
    EXPECT_FALSE(find_sidecar(root_ / "models/det.onnx"));
}

TEST_F(AppModelLoader, OnnxSidecarNeedsInputSize) {
    const auto model = write("models/det.onnx", "");
    write("models/det.json", R"({"model_type": "yolox"})");
    const auto message = error_of(model);
    EXPECT_NE(message.find("'input_size'"), std::string::npos) << message;
    EXPECT_NE(message.find("det.json"), std::string::npos) << message;
}

TEST_F(AppModelLoader, BadSidecarNamesFileAndKey) {
    const auto model = write("models/det.onnx", "");
    write("models/det.json", R"({"model_type": "yolov8", "input_size": [640, 640], "mean": 0})");
    auto message = error_of(model);
    EXPECT_NE(message.find("det.json"), std::string::npos) << message;
    EXPECT_NE(message.find("unknown key 'mean'"), std::string::npos) << message;

    write("models/det.json", R"({"model_type": "yolov8",)");
    message = error_of(model);
    EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
}

TEST_F(AppModelLoader, LabelFileResolvesBesideItsSidecar) {
    const auto model = write("models/det.onnx", "");
    write("work/config/models/names.txt", "helmet\nvest\n");
    write("work/config/models/det.json", R"({"model_type": "yolov8", "input_size": [640, 640], "labels": "names.txt"})");
    const auto loaded = load_model(model);
    ASSERT_EQ(loaded.spec.labels.size(), 2u);
    EXPECT_EQ(loaded.spec.labels.name(0), "helmet");
}

TEST_F(AppModelLoader, IrClassNamesFillASpecWithoutLabels) {
    const fs::path xml = root_ / "models/tiny.xml";
    write_ir_with_names(xml, "{0: 'helmet', 1: 'vest', 2: 'traffic cone'}");
    write("models/tiny.json", R"({"model_type": "yolov5"})");
    auto loaded = load_model(xml);
    ASSERT_EQ(loaded.spec.labels.size(), 3u);
    EXPECT_EQ(loaded.spec.labels.name(2), "traffic cone");
    EXPECT_EQ(loaded.spec.labels_source, "rt_info/framework/names");

    write("models/tiny.json", R"({"model_type": "yolov5", "labels": "coco80"})");  // named labels win
    loaded = load_model(xml);
    EXPECT_EQ(loaded.spec.labels.size(), 80u);

    // Names the loader cannot read are a warning, not a dead end: the sidecar can name the labels.
    write_ir_with_names(xml, "{0: helmet}");
    write("models/tiny.json", R"({"model_type": "yolov5"})");
    loaded = load_model(xml);
    ASSERT_EQ(loaded.spec_warnings.size(), 1u);
    EXPECT_NE(loaded.spec_warnings[0].find("framework/names"), std::string::npos) << loaded.spec_warnings[0];
    write("models/tiny.json", R"({"model_type": "yolov5", "labels": ["helmet"]})");
    loaded = load_model(xml);
    EXPECT_EQ(loaded.spec.labels.name(0), "helmet");
}
