// Where a model's sidecar ModelSpec is found, and what a missing or bad one says. The ONNX files are
// the smallest a ModelProto can be: load_model checks the bytes are ONNX, and reads the model only
// when it is compiled.
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
    input.outputs.push_back(Port{ElementType::f32, {1, 3, 8, 8}, "images", {}});
    const auto id = graph.add_node(std::move(input)).id;
    Node output;
    output.name = "output0";
    output.type = "Result";
    output.inputs.push_back({Source{id, 0}, Port{ElementType::f32, {1, 3, 8, 8}, {}, {}}});
    graph.add_node(std::move(output));
    graph.rt_info.set("framework/names", names);
    write_ir(graph, xml);
}

// An IR whose input is `port` (with `old_api_map_order` rt_info when given) and that adds a
// constant to it: an input -> Add -> output detector that has weights.
void write_ir_with_input(const fs::path& xml, detserve::graph::Port port, const std::string& old_api_map_order = {}) {
    using namespace detserve::graph;
    Graph graph;
    Node input;
    input.name = "images";
    input.type = "Parameter";
    input.attrs.set("shape", join_ints(port.shape));
    input.attrs.set("element_type", std::string(to_string(port.type)));
    if (!old_api_map_order.empty()) input.rt_info.child_or_add("old_api_map_order").value = old_api_map_order;
    input.outputs.push_back(port);
    const auto input_id = graph.add_node(std::move(input)).id;
    const auto one = graph.add_node(make_const(
        "one", port.type, {1}, std::vector<std::uint8_t>(element_size(port.type), 1))).id;
    Node add;
    add.name = "add";
    add.type = "Add";
    add.inputs = {{Source{input_id, 0}, port}, {Source{one, 0}, Port{port.type, {1}, {}, {}}}};
    add.outputs.push_back(Port{port.type, port.shape, "output0", {}});
    const auto add_id = graph.add_node(std::move(add)).id;
    Node output;
    output.name = "output0/sink_port_0";
    output.type = "Result";
    output.inputs.push_back({Source{add_id, 0}, Port{port.type, port.shape, {}, {}}});
    graph.add_node(std::move(output));
    write_ir(graph, xml);
}

// ModelProto{ir_version: 7, graph: {}, opset_import: {}} (onnx/onnx.proto fields 1, 7 and 8).
const std::string kSmallestOnnx("\x08\x07\x3a\x00\x42\x00", 6);

constexpr const char* kYolov8Sidecar = R"({"model_type": "yolov8", "input_size": [640, 640]})";

}  // namespace

TEST_F(AppModelLoader, SidecarBesideTheModelComesFirst) {
    const auto model = write("models/det.onnx", kSmallestOnnx);
    write("models/det.json", kYolov8Sidecar);
    write("work/config/models/det.json", R"({"model_type": "nanodet", "input_size": [320, 320]})");
    EXPECT_EQ(find_sidecar(model), root_ / "models/det.json");
    const auto loaded = load_model(model);
    EXPECT_EQ(loaded.format, "onnx");
    EXPECT_EQ(loaded.spec.model_type, "yolov8");
    EXPECT_EQ(loaded.input_width, 640);
}

TEST_F(AppModelLoader, ElseConfigModelsStemUnderTheWorkingDirectory) {
    const auto model = write("models/det.onnx", kSmallestOnnx);
    write("work/config/models/det.json", R"({"model_type": "nanodet", "input_size": [320, 256]})");
    EXPECT_EQ(find_sidecar(model), fs::path("config/models/det.json"));
    const auto loaded = load_model(model);
    EXPECT_EQ(loaded.spec_source, "config/models/det.json");
    EXPECT_EQ(loaded.spec.model_type, "nanodet");
    EXPECT_EQ(loaded.input_width, 320);
    EXPECT_EQ(loaded.input_height, 256);
}

TEST_F(AppModelLoader, OnnxWithoutSidecarSaysWhereItLooked) {
    const auto message = error_of(write("models/det.onnx", kSmallestOnnx));
    EXPECT_NE(message.find("det.json"), std::string::npos) << message;
    EXPECT_NE(message.find("config/models"), std::string::npos) << message;
    EXPECT_FALSE(find_sidecar(root_ / "models/det.onnx"));
}

TEST_F(AppModelLoader, OnnxSidecarNeedsInputSize) {
    const auto model = write("models/det.onnx", kSmallestOnnx);
    write("models/det.json", R"({"model_type": "yolox"})");
    const auto message = error_of(model);
    EXPECT_NE(message.find("'input_size'"), std::string::npos) << message;
    EXPECT_NE(message.find("det.json"), std::string::npos) << message;
}

TEST_F(AppModelLoader, BadSidecarNamesFileAndKey) {
    const auto model = write("models/det.onnx", kSmallestOnnx);
    write("models/det.json", R"({"model_type": "yolov8", "input_size": [640, 640], "mean": 0})");
    auto message = error_of(model);
    EXPECT_NE(message.find("det.json"), std::string::npos) << message;
    EXPECT_NE(message.find("unknown key 'mean'"), std::string::npos) << message;

    write("models/det.json", R"({"model_type": "yolov8",)");
    message = error_of(model);
    EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
}

TEST_F(AppModelLoader, LabelFileResolvesBesideItsSidecar) {
    const auto model = write("models/det.onnx", kSmallestOnnx);
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

// ---- what the file is, and its input as declared -------------------------------------------------

TEST_F(AppModelLoader, AFileThatIsNotItsFormatIsRefusedNamingIt) {
    const auto page = write("models/det.onnx", "\n\n<!DOCTYPE html>\n<html lang=\"en\"><body>GitHub</body></html>");
    write("models/det.json", kYolov8Sidecar);
    auto message = error_of(page);
    EXPECT_NE(message.find(page.string() + ": not an ONNX file (it is an HTML page)"), std::string::npos) << message;

    const auto empty = write("models/empty.xml", "");
    message = error_of(empty);
    EXPECT_NE(message.find(empty.string() + ": not an OpenVINO IR file (the file is empty)"), std::string::npos) << message;

    const auto cut = write("models/cut.onnx", kSmallestOnnx.substr(0, 5));
    write("models/cut.json", kYolov8Sidecar);
    message = error_of(cut);
    EXPECT_NE(message.find(cut.string() + ": not an ONNX file (its protobuf is cut short"), std::string::npos) << message;

    const auto renamed = write("models/renamed.xml", kSmallestOnnx);
    message = error_of(renamed);
    EXPECT_NE(message.find("not an OpenVINO IR file (it is an ONNX model: name it .onnx)"), std::string::npos) << message;
}

// yolov8n-int8-u8-nhwc: u8 [1,640,640,3]; vehicle-license-plate-detection-barrier-0106: f32
// [1,300,300,3] with old_api_map_order. The size comes from the layout, not from fixed axes.
TEST_F(AppModelLoader, AnNhwcInputGivesItsWidthAndHeight) {
    using namespace detserve::graph;
    const fs::path declared = root_ / "models/declared.xml";
    write_ir_with_input(declared, Port{ElementType::u8, {1, 480, 640, 3}, "images", "[N,H,W,C]"});
    auto loaded = load_model(declared, detserve::app::SpecPolicy::optional);
    EXPECT_EQ(loaded.input_width, 640);
    EXPECT_EQ(loaded.input_height, 480);
    EXPECT_EQ(loaded.input_layout, "NHWC");

    const fs::path legacy = root_ / "models/legacy.xml";
    write_ir_with_input(legacy, Port{ElementType::f32, {1, 300, 400, 3}, "Placeholder", {}}, "0, 2, 3, 1");
    loaded = load_model(legacy, detserve::app::SpecPolicy::optional);
    EXPECT_EQ(loaded.input_width, 400);
    EXPECT_EQ(loaded.input_height, 300);
    EXPECT_EQ(loaded.input_layout, "NHWC");

    const fs::path nchw = root_ / "models/nchw.xml";
    write_ir_with_input(nchw, Port{ElementType::f16, {1, 3, 384, 672}, "data", {}});
    loaded = load_model(nchw, detserve::app::SpecPolicy::optional);
    EXPECT_EQ(loaded.input_width, 672);
    EXPECT_EQ(loaded.input_height, 384);
    EXPECT_EQ(loaded.input_layout, "NCHW");

    const fs::path grey = root_ / "models/grey.xml";
    write_ir_with_input(grey, Port{ElementType::f32, {1, 1, 64, 64}, "data", {}});
    write("models/grey.json", kYolov8Sidecar);
    const auto message = error_of(grey);
    EXPECT_NE(message.find("grey.xml: input 'images' has shape [1,1,64,64]"), std::string::npos) << message;
}

// ssdlite-mobilenet-v2-xml-only: described without its .bin, refused when it is to run.
TEST_F(AppModelLoader, AnIrWithoutItsBinCanBeDescribedNotRun) {
    using namespace detserve::graph;
    const fs::path xml = root_ / "models/xml_only.xml";
    write_ir_with_input(xml, Port{ElementType::f32, {1, 3, 32, 32}, "images", {}});
    fs::remove(root_ / "models/xml_only.bin");

    const auto described = load_model(xml, detserve::app::SpecPolicy::optional);
    ASSERT_TRUE(described.missing_weights.has_value());
    EXPECT_EQ(*described.missing_weights, root_ / "models/xml_only.bin");
    EXPECT_EQ(described.input_width, 32);
    try {
        detserve::app::compile_model(described, {});
        ADD_FAILURE() << "compiled a model without its weights";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("xml_only.bin' does not exist"), std::string::npos) << e.what();
    }

    const auto message = error_of(xml);
    EXPECT_NE(message.find(xml.string()), std::string::npos) << message;
    EXPECT_NE(message.find("its weights file '" + (root_ / "models/xml_only.bin").string() + "' does not exist"),
              std::string::npos) << message;
}
