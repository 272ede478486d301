// The detectors people have (../shared/models/zoo, MANIFEST.md there), fed as their inputs declare
// them: our IR reader describes each input as OpenVINO's Core.read_model does (f16, u8, NHWC,
// old_api_map_order), and the OpenVINO engine, handed the f32 NCHW batch our pipeline makes, gives
// the outputs OpenVINO's own Python API gives when fed the same photo in the file's own element
// type and layout (tests/integration/openvino_reference.py), both at f32.
//
// The photo is fed as each model wants it only as far as the outputs are worth comparing (the NMS
// model must find something); that preprocessing is the ModelSpec's business, not tested here.
//
// Skips, saying why, without ../shared, without OpenVINO in this build, or without the venv's
// Python with the openvino package (scripts/install-deps.sh).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "../support/temp_dir.hpp"
#include "detserve/app/model_loader.hpp"
#include "detserve/engine/engine_choice.hpp"
#include "detserve/graph/image_layout.hpp"
#include "detserve/graph/ir_reader.hpp"
#include "detserve/graph/ir_writer.hpp"
#include "detserve/image/image_decoder.hpp"
#include "test_paths.hpp"

namespace {

namespace fs = std::filesystem;
namespace engine = detserve::engine;
namespace graph = detserve::graph;
namespace test = detserve::test;
using detserve::Tensor;

constexpr std::int64_t kMaxPixels = 100'000'000;
// Both sides compute the same graph in f32 on the same CPU plugin; only the input adaptation
// differs (a PrePostProcessor Convert/Transpose inside our compiled graph, numpy's outside theirs).
constexpr double kMaxAbsDiff = 1e-3;

struct ZooCase {
    std::string name;  // the folder under models/zoo
    std::string file;
    graph::ElementType input_type;  // as the file declares it
    graph::Shape input_shape;
    std::string layout;
    std::string openvino_type;  // as Core.read_model presents it: IR v10's f16 inputs become f32
    bool unit_range = false;    // RGB / 255 (Ultralytics without the scaling in its graph), else BGR 0..255
};

std::vector<ZooCase> zoo_cases() {
    using graph::ElementType;
    return {
        {"face-detection-retail-0004-fp32", "face-detection-retail-0004.xml", ElementType::f32, {1, 3, 300, 300}, "NCHW", "f32"},
        {"face-detection-retail-0004-int8", "face-detection-retail-0004.xml", ElementType::f32, {1, 3, 300, 300}, "NCHW", "f32"},
        {"pedestrian-and-vehicle-detector-adas-0001-fp16", "pedestrian-and-vehicle-detector-adas-0001.xml", ElementType::f32,
         {1, 3, 384, 672}, "NCHW", "f32"},
        {"pedestrian-detection-adas-0002-fp16-irv10", "pedestrian-detection-adas-0002.xml", ElementType::f16,
         {1, 3, 384, 672}, "NCHW", "f32"},
        {"vehicle-license-plate-detection-barrier-0106-fp32", "vehicle-license-plate-detection-barrier-0106.xml",
         ElementType::f32, {1, 300, 300, 3}, "NHWC", "f32"},
        {"yolo11n-int8-640", "yolo11n.xml", ElementType::f32, {1, 3, 640, 640}, "NCHW", "f32", true},
        {"yolo11n-int8-320-nms", "yolo11n.xml", ElementType::f32, {1, 3, 320, 320}, "NCHW", "f32", true},
        {"yolov8n-int8-u8-nhwc", "yolov8n_with_preprocess.xml", ElementType::u8, {1, 640, 640, 3}, "NHWC", "u8"},
        {"nanodet-plus-m-416-fp16", "nanodet-plus-m_416_fp16.xml", ElementType::f32, {1, 3, 416, 416}, "NCHW", "f32"},
    };
}

fs::path zoo_dir() {
    if (const char* dir = std::getenv("DETSERVE_SHARED_DIR"); dir && *dir) return fs::path(dir) / "models" / "zoo";
    return fs::path(DETSERVE_SOURCE_DIR) / ".." / "shared" / "models" / "zoo";
}

fs::path venv_python() {
    if (const char* venv = std::getenv("DETSERVE_VENV"); venv && *venv) return fs::path(venv) / "bin" / "python";
    if (const char* cache = std::getenv("DETSERVE_CACHE_DIR"); cache && *cache) return fs::path(cache) / "venv/bin/python";
    if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache/detserve/venv/bin/python";
    return {};
}

std::string quoted(const fs::path& path) {
    std::string text = "'";  // appended, not `"'" + ...`: GCC 12 warns a false -Wrestrict on that
    text += path.string();
    return text += "'";
}

bool python_has_openvino(const fs::path& python) {
    if (python.empty() || !fs::exists(python)) return false;
    return std::system((quoted(python) + " -c 'import openvino' >/dev/null 2>&1").c_str()) == 0;
}

// dog.jpg stretched to the model's size: BGR 0..255 as whole numbers (exact in u8, f16 and f32), or
// RGB / 255.
Tensor photo_batch(int width, int height, bool unit_range) {
    const fs::path path = test::sample_photo("dog.jpg");
    if (path.empty()) return {};
    const cv::Mat photo = detserve::image::decode_image(test::read_bytes(path), kMaxPixels);
    cv::Mat resized;
    cv::resize(photo, resized, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    Tensor t{{1, 3, height, width}, {}};
    t.data.resize(t.elements());
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                t.data[(static_cast<std::size_t>(c) * height + y) * width + x] =
                    unit_range ? resized.at<cv::Vec3b>(y, x)[2 - c] / 255.0f : resized.at<cv::Vec3b>(y, x)[c];
    return t;
}

std::vector<float> read_floats(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    std::vector<float> values(bytes.size() / sizeof(float));
    std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
    return values;
}

nlohmann::json read_json(const fs::path& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

class ZooInputs : public ::testing::TestWithParam<ZooCase> {
protected:
    void SetUp() override {
        path_ = zoo_dir() / GetParam().name / GetParam().file;
        if (!fs::exists(path_))
            GTEST_SKIP() << "skipped: " << path_.lexically_normal().string()
                         << " not found (../shared/models/zoo; set DETSERVE_SHARED_DIR)";
    }
    fs::path path_;
};

std::string case_name(const ::testing::TestParamInfo<ZooCase>& info) {
    std::string name;
    for (const char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return name;
}

}  // namespace

TEST_P(ZooInputs, TheReaderDescribesTheInputAsDeclared) {
    const ZooCase& c = GetParam();
    const graph::Graph model = graph::read_ir(path_);
    const auto parameters = model.parameters();
    ASSERT_EQ(parameters.size(), 1u);
    EXPECT_EQ(parameters[0]->outputs[0].type, c.input_type);
    EXPECT_EQ(parameters[0]->outputs[0].shape, c.input_shape);
    EXPECT_EQ(graph::image_layout(*parameters[0]).name(), c.layout);
}

TEST_P(ZooInputs, OpenVinoEngineMatchesOpenVinoPythonOnTheFilesOwnInput) {
    if (!engine::openvino_built()) GTEST_SKIP() << "skipped: this detserve was built without OpenVINO";
    const fs::path python = venv_python();
    if (!python_has_openvino(python))
        GTEST_SKIP() << "skipped: " << python.string() << " with the openvino package not found (scripts/install-deps.sh)";
    const ZooCase& c = GetParam();

    const graph::Graph model = graph::read_ir(path_);
    const graph::Node& input = *model.parameters().at(0);
    const auto layout = graph::image_layout(input);
    const auto& shape = input.outputs[0].shape;
    const int width = static_cast<int>(shape[layout.width]), height = static_cast<int>(shape[layout.height]);
    const Tensor batch = photo_batch(width, height, c.unit_range);
    ASSERT_FALSE(batch.data.empty()) << test::missing_photo_message("dog.jpg");

    engine::EngineOptions options;
    options.engine = engine::EngineKind::openvino;
    options.precision = engine::Precision::f32;
    options.max_batch = 1;
    const auto compiled = engine::compile_streams({path_, &model, width, height, layout.name()}, options);
    EXPECT_EQ(compiled.at(0)->input().shape, (std::vector<std::int64_t>{1, 3, height, width})) << "we feed f32 NCHW";
    const auto ours = compiled.at(0)->infer(batch);

    detserve::test::TempDir dir;
    {
        std::ofstream out(dir.path() / "input.f32", std::ios::binary);
        out.write(reinterpret_cast<const char*>(batch.data.data()), static_cast<std::streamsize>(batch.data.size() * sizeof(float)));
    }
    const std::string command = quoted(python) + " " + quoted(fs::path(DETSERVE_SOURCE_DIR) / "tests/integration/openvino_reference.py") +
                                " " + quoted(path_) + " " + quoted(dir.path() / "input.f32") + " " + quoted(dir.path()) +
                                " 2>" + quoted(dir.path() / "stderr.txt");
    ASSERT_EQ(std::system(command.c_str()), 0) << command << "\n" << std::ifstream(dir.path() / "stderr.txt").rdbuf();

    const auto declared = read_json(dir.path() / "input.json");
    EXPECT_EQ(declared["shape"].get<graph::Shape>(), shape) << "OpenVINO's Core.read_model input shape";
    EXPECT_EQ(declared["element_type"].get<std::string>(), c.openvino_type) << "OpenVINO's Core.read_model input type";
    const auto shapes = read_json(dir.path() / "outputs.json");
    ASSERT_EQ(ours.size(), shapes.size());
    for (std::size_t i = 0; i < ours.size(); ++i) {
        const Tensor& mine = ours[i].second;
        const auto theirs = read_floats(dir.path() / ("output" + std::to_string(i) + ".f32"));
        EXPECT_EQ(mine.shape, shapes[i].get<std::vector<std::int64_t>>()) << ours[i].first;
        ASSERT_EQ(mine.data.size(), theirs.size()) << ours[i].first;
        double max_diff = 0, max_ref = 0;
        for (std::size_t k = 0; k < theirs.size(); ++k) {
            max_diff = std::max(max_diff, static_cast<double>(std::fabs(mine.data[k] - theirs[k])));
            max_ref = std::max(max_ref, static_cast<double>(std::fabs(theirs[k])));
        }
        // The numbers docs/models.md quotes.
        std::cout << "parity " << c.name << " output " << i << " '" << ours[i].first << "' "
                  << graph::shape_to_string(mine.shape) << ": max |ours - OpenVINO Python| = " << max_diff
                  << " (max |value| " << max_ref << ")\n";
        EXPECT_LE(max_diff, kMaxAbsDiff) << ours[i].first;
        EXPECT_GT(max_ref, 0.0) << ours[i].first << ": all zeros compares nothing (no detection in dog.jpg?)";
    }
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooInputs, ::testing::ValuesIn(zoo_cases()), case_name);

// What the engines cannot feed is refused at load, naming the file and why.
TEST(ZooInputsRefused, TheOpenCvEngineRefusesAU8InputNamingTheFile) {
    const fs::path path = zoo_dir() / "yolov8n-int8-u8-nhwc" / "yolov8n_with_preprocess.xml";
    if (!fs::exists(path)) GTEST_SKIP() << "skipped: " << path.lexically_normal().string() << " not found";
    const graph::Graph model = graph::read_ir(path);
    engine::EngineOptions options;
    options.engine = engine::EngineKind::opencv;
    try {
        engine::compile_streams({path, &model, 640, 640, "NHWC"}, options);
        ADD_FAILURE() << "the OpenCV engine took a u8 input";
    } catch (const engine::EngineError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(path.string()), std::string::npos) << message;
        EXPECT_NE(message.find("input 'images' is u8"), std::string::npos) << message;
    }
}

namespace {

// Parameter `type` `shape` -> Relu -> Result, written as an IR for OpenVINO to read.
fs::path write_relu_ir(const fs::path& dir, graph::ElementType type, const graph::Shape& shape) {
    graph::Graph g;
    graph::Node input;
    input.name = "images";
    input.type = "Parameter";
    input.attrs.set("shape", graph::join_ints(shape));
    input.attrs.set("element_type", std::string(graph::to_string(type)));
    input.outputs.push_back(graph::Port{type, shape, "images", {}});
    const auto id = g.add_node(std::move(input)).id;
    graph::Node output;
    output.name = "output0/sink_port_0";
    output.type = "Result";
    output.inputs.push_back({graph::Source{id, 0}, graph::Port{type, shape, {}, {}}});
    g.add_node(std::move(output));
    const fs::path xml = dir / ("relu_" + std::string(graph::to_string(type)) + ".xml");
    graph::write_ir(g, xml);
    return xml;
}

std::string openvino_error(const fs::path& xml) {
    engine::EngineOptions options;
    options.engine = engine::EngineKind::openvino;
    try {
        engine::compile_streams({xml, nullptr, 0, 0, {}}, options);
    } catch (const engine::EngineError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(ZooInputsRefused, TheOpenVinoEngineRefusesAnInputItCannotFeedSayingWhy) {
    if (!engine::openvino_built()) GTEST_SKIP() << "skipped: this detserve was built without OpenVINO";
    detserve::test::TempDir dir;
    const fs::path flags = write_relu_ir(dir.path(), graph::ElementType::boolean, {1, 3, 8, 8});
    auto message = openvino_error(flags);
    EXPECT_NE(message.find(flags.string()), std::string::npos) << message;
    EXPECT_NE(message.find("element type boolean"), std::string::npos) << message;

    const fs::path flat = write_relu_ir(dir.path(), graph::ElementType::f32, {1, 4});
    message = openvino_error(flat);
    EXPECT_NE(message.find(flat.string()), std::string::npos) << message;
    EXPECT_NE(message.find("expected [N,3,H,W] or [N,H,W,3]"), std::string::npos) << message;

    // u8 NHWC, as yolov8n-int8-u8-nhwc: compiles, and takes our f32 NCHW.
    EXPECT_EQ(openvino_error(write_relu_ir(dir.path(), graph::ElementType::u8, {1, 8, 8, 3})), "no error");
}

// Read by us, written back by our writer (layer rt_info and port layouts included), the file is one
// OpenVINO reads and runs to the same outputs.
TEST_P(ZooInputs, WrittenBackByOurWriterOpenVinoRunsItTheSame) {
    if (!engine::openvino_built()) GTEST_SKIP() << "skipped: this detserve was built without OpenVINO";
    const graph::Graph model = graph::read_ir(path_);
    detserve::test::TempDir dir;
    const fs::path copy = dir.path() / GetParam().file;
    graph::write_ir(model, copy);
    const graph::Graph reread = graph::read_ir(copy);
    EXPECT_EQ(graph::serialize_ir(reread).xml, graph::serialize_ir(model).xml);

    const graph::Node& input = *model.parameters().at(0);
    const auto layout = graph::image_layout(input);
    EXPECT_EQ(graph::image_layout(*reread.parameters().at(0)), layout);
    const int width = static_cast<int>(input.outputs[0].shape[layout.width]);
    const int height = static_cast<int>(input.outputs[0].shape[layout.height]);
    const Tensor batch = photo_batch(width, height, GetParam().unit_range);
    ASSERT_FALSE(batch.data.empty()) << test::missing_photo_message("dog.jpg");
    engine::EngineOptions options;
    options.engine = engine::EngineKind::openvino;
    options.precision = engine::Precision::f32;
    options.max_batch = 1;
    const auto original = engine::compile_streams({path_, &model, width, height, layout.name()}, options).at(0)->infer(batch);
    const auto written = engine::compile_streams({copy, &reread, width, height, layout.name()}, options).at(0)->infer(batch);
    ASSERT_EQ(written.size(), original.size());
    for (std::size_t i = 0; i < original.size(); ++i) {
        EXPECT_EQ(written[i].second.shape, original[i].second.shape);
        EXPECT_EQ(written[i].second.data, original[i].second.data) << original[i].first;
    }
}

// The files of the zoo that are not runnable detectors: each is said for what it is, naming it.
class ZooFiles : public ::testing::Test {
protected:
    static fs::path file(const std::string& folder, const std::string& name) { return zoo_dir() / folder / name; }
    static std::string load_error(const fs::path& path) {
        try {
            detserve::app::load_model(path);
        } catch (const std::exception& e) {
            return e.what();
        }
        return "no error";
    }
};

TEST_F(ZooFiles, AnXmlWithoutItsBinIsDescribedAndRefusedToRun) {
    const fs::path xml = file("ssdlite-mobilenet-v2-xml-only", "ssdlite_mobilenet_v2.xml");
    if (!fs::exists(xml)) GTEST_SKIP() << "skipped: " << xml.lexically_normal().string() << " not found";
    const auto described = detserve::app::load_model(xml, detserve::app::SpecPolicy::optional);
    ASSERT_TRUE(described.missing_weights.has_value());
    EXPECT_EQ(described.missing_weights->filename(), "ssdlite_mobilenet_v2.bin");
    const graph::Node& input = *described.graph->parameters().at(0);
    EXPECT_EQ(input.outputs[0].type, graph::ElementType::u8);
    EXPECT_EQ(input.outputs[0].shape, (graph::Shape{1, 300, 300, 3}));
    EXPECT_EQ(described.input_layout, "NHWC");
    EXPECT_EQ(described.graph->results().at(0)->inputs[0].port.shape, (graph::Shape{1, 1, 100, 7}));

    const auto message = load_error(xml);
    EXPECT_NE(message.find(xml.string()), std::string::npos) << message;
    EXPECT_NE(message.find("ssdlite_mobilenet_v2.bin' does not exist"), std::string::npos) << message;
}

TEST_F(ZooFiles, IrV3IsRefusedSayingSo) {
    const fs::path xml = file("face-detection-retail-0004-irv3-legacy", "face-detection-retail-0004.xml");
    if (!fs::exists(xml)) GTEST_SKIP() << "skipped: " << xml.lexically_normal().string() << " not found";
    const auto message = load_error(xml);
    EXPECT_NE(message.find(xml.string() + ": unsupported IR version '3'"), std::string::npos) << message;
    EXPECT_NE(message.find("IR v10 and v11 only"), std::string::npos) << message;
}

TEST_F(ZooFiles, AnHtmlPageSavedAsOnnxIsRefusedSayingSo) {
    const fs::path page = file("not-a-model-html-as-onnx", "face_detection_yunet_2023mar.onnx");
    if (!fs::exists(page)) GTEST_SKIP() << "skipped: " << page.lexically_normal().string() << " not found";
    EXPECT_EQ(load_error(page), page.string() + ": not an ONNX file (it is an HTML page)");
}

// An NHWC input that says so only by its old_api_map_order, and whose shape misleads (3 rows, like
// 3 channels): the OpenVINO engine takes the layout our reader found, and transposes our NCHW.
TEST(ZooInputsLayout, OldApiMapOrderAloneMakesTheOpenVinoEngineFeedNhwc) {
    if (!engine::openvino_built()) GTEST_SKIP() << "skipped: this detserve was built without OpenVINO";
    detserve::test::TempDir dir;
    const graph::Shape nhwc{1, 3, 5, 3};  // H 3, W 5, C 3
    graph::Graph g;
    graph::Node input;
    input.name = "Placeholder";
    input.type = "Parameter";
    input.attrs.set("shape", graph::join_ints(nhwc));
    input.attrs.set("element_type", "f32");
    input.rt_info.child_or_add("old_api_map_order").value = "0, 2, 3, 1";
    input.outputs.push_back(graph::Port{graph::ElementType::f32, nhwc, "Placeholder", {}});
    const auto id = g.add_node(std::move(input)).id;
    graph::Node output;
    output.name = "output0/sink_port_0";
    output.type = "Result";
    output.inputs.push_back({graph::Source{id, 0}, graph::Port{graph::ElementType::f32, nhwc, {}, {}}});
    g.add_node(std::move(output));
    graph::write_ir(g, dir.path() / "legacy.xml");

    const auto model = detserve::app::load_model(dir.path() / "legacy.xml", detserve::app::SpecPolicy::optional);
    EXPECT_EQ(model.input_layout, "NHWC");
    EXPECT_EQ(model.input_width, 5);
    EXPECT_EQ(model.input_height, 3);
    engine::EngineOptions options;
    options.engine = engine::EngineKind::openvino;
    options.precision = engine::Precision::f32;
    const auto compiled = detserve::app::compile_model(model, options);
    Tensor nchw{{1, 3, 3, 5}, {}};
    for (std::size_t i = 0; i < nchw.elements(); ++i) nchw.data.push_back(static_cast<float>(i));
    const auto out = compiled->infer(nchw);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].second.shape, (std::vector<std::int64_t>{1, 3, 5, 3}));
    // NHWC element (y, x, c) is NCHW element (c, y, x).
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 5; ++x)
            for (int c = 0; c < 3; ++c)
                EXPECT_EQ(out[0].second.data[(y * 5 + x) * 3 + c], nchw.data[(c * 3 + y) * 5 + x]) << y << "," << x << "," << c;
}
