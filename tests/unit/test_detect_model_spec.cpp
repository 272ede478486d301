// The sidecar / rt_info ModelSpec: every key, its default, its errors, and the dispatch from a spec
// to its family's decoder.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "detserve/detect/model_spec.hpp"

using namespace detserve;
using namespace detserve::detect;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string error_of(const json& sidecar) {
    try {
        model_spec_from_json(sidecar);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "no error";
}

Tensor zeros(std::vector<std::int64_t> shape) {
    Tensor t{std::move(shape), {}};
    t.data.assign(t.elements(), 0.0f);
    return t;
}

}  // namespace

TEST(DetectModelSpec, EveryKeyIsRead) {
    const auto spec = model_spec_from_json(json::parse(R"({
        "description": "ignored", "$comment": "ignored",
        "model_type": "yolov8", "input_size": [640, 480], "reverse_input_channels": true,
        "mean_values": [1, 2, 3], "scale_values": 255, "resize_type": "fit_to_window_letterbox",
        "pad_value": 0, "confidence_threshold": 0.4, "iou_threshold": 0.7, "max_detections": 300,
        "nms": "agnostic", "strides": [8, 16, 32, 64], "center_offset": 0, "labels": ["cat", "dog"]})"));
    EXPECT_EQ(spec.model_type, "yolov8");
    EXPECT_EQ(spec.input_width, 640);
    EXPECT_EQ(spec.input_height, 480);
    EXPECT_TRUE(spec.reverse_input_channels);
    EXPECT_EQ(spec.mean_values, (std::array<float, 3>{1, 2, 3}));
    EXPECT_EQ(spec.scale_values, (std::array<float, 3>{255, 255, 255}));  // one number for every channel
    EXPECT_EQ(spec.resize_type, "fit_to_window_letterbox");
    EXPECT_EQ(spec.pad_value, 0);
    EXPECT_FLOAT_EQ(spec.confidence_threshold, 0.4f);
    EXPECT_FLOAT_EQ(spec.iou_threshold, 0.7f);
    EXPECT_EQ(spec.max_detections, 300);
    EXPECT_EQ(spec.nms, NmsMode::agnostic);
    EXPECT_EQ(spec.strides, (std::vector<int>{8, 16, 32, 64}));
    EXPECT_EQ(spec.center_offset, 0);
    ASSERT_EQ(spec.labels.size(), 2u);
    EXPECT_EQ(spec.labels.name(1), "dog");
}

TEST(DetectModelSpec, DefaultsOfOmittedKeys) {
    const auto spec = model_spec_from_json({{"model_type", "nanodet"}});
    EXPECT_EQ(spec.input_width, 0);
    EXPECT_FALSE(spec.reverse_input_channels);
    EXPECT_EQ(spec.mean_values, (std::array<float, 3>{0, 0, 0}));
    EXPECT_EQ(spec.scale_values, (std::array<float, 3>{1, 1, 1}));
    EXPECT_EQ(spec.resize_type, "standard");
    EXPECT_EQ(spec.pad_value, 114);
    EXPECT_FLOAT_EQ(spec.confidence_threshold, 0.25f);
    EXPECT_FLOAT_EQ(spec.iou_threshold, 0.6f);
    EXPECT_EQ(spec.max_detections, 100);
    EXPECT_EQ(spec.nms, NmsMode::class_wise);
    EXPECT_EQ(spec.strides, (std::vector<int>{8, 16, 32}));
    EXPECT_EQ(spec.center_offset, 0.5f);
    EXPECT_EQ(spec.labels_source, "coco80");
    EXPECT_EQ(spec.labels.size(), 80u);
}

TEST(DetectModelSpec, ErrorsNameTheKey) {
    const json base = {{"model_type", "yolov5"}};
    const std::vector<std::pair<std::string, json>> bad = {
        {"model_type", "ssd"},
        {"input_size", json::array({640})},
        {"input_size", json::array({640, -1})},
        {"reverse_input_channels", "yes"},
        {"mean_values", json::array({1, 2})},
        {"scale_values", json::array({1, 0, 1})},
        {"resize_type", "crop"},
        {"pad_value", 300},
        {"confidence_threshold", 1.5},
        {"iou_threshold", "0.5"},
        {"max_detections", 0},
        {"nms", "per_class"},
        {"nms", true},
        {"strides", json::array({8, 0})},
        {"center_offset", 1},
        {"labels", 7},
        {"labels", "no-such-file.txt"},
    };
    for (const auto& [key, value] : bad) {
        json sidecar = base;
        sidecar[key] = value;
        EXPECT_NE(error_of(sidecar).find("'" + key + "'"), std::string::npos) << key << " = " << value.dump();
    }
    EXPECT_NE(error_of({{"model_type", "yolov5"}, {"threshold", 0.5}}).find("unknown key 'threshold'"), std::string::npos);
    EXPECT_NE(error_of({{"labels", "coco80"}}).find("'model_type' is required"), std::string::npos);
}

TEST(DetectModelSpec, LabelFileIsRelativeToTheSidecar) {
    const fs::path dir = fs::temp_directory_path() /
                         ("detserve_spec_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    fs::create_directories(dir);
    std::ofstream(dir / "names.txt") << "helmet\nvest\n";
    const auto spec = model_spec_from_json({{"model_type", "yolov8"}, {"labels", "names.txt"}}, dir.string());
    ASSERT_EQ(spec.labels.size(), 2u);
    EXPECT_EQ(spec.labels.name(1), "vest");
    fs::remove_all(dir);

    EXPECT_EQ(model_spec_from_json({{"model_type", "nanodet"}, {"labels", "coco91"}}).labels.name(12), "street sign");
}

TEST(DetectModelSpec, RoundTripsThroughJsonAndModelInfo) {
    ModelSpec spec = model_spec_from_json(json::parse(R"({"model_type": "nanodet", "input_size": [320, 320],
        "mean_values": [103.53, 116.28, 123.675], "scale_values": [57.375, 57.12, 58.395],
        "center_offset": 0, "nms": "agnostic", "labels": ["traffic light", "person"]})"));
    const json written = model_spec_to_json(spec);
    EXPECT_EQ(written["mean_values"][0], 103.53);  // rounded, not 103.52999877929688
    EXPECT_EQ(written["center_offset"], 0);
    const ModelSpec from_json = model_spec_from_json(written);
    const ModelSpec from_info = model_spec_from_model_info(model_spec_to_model_info(spec));
    for (const ModelSpec* back : {&from_json, &from_info}) {
        EXPECT_EQ(back->input_width, 320);
        EXPECT_EQ(back->center_offset, 0);
        EXPECT_EQ(back->nms, NmsMode::agnostic);
        EXPECT_NEAR(back->scale_values[1], 57.12f, 1e-4);
        EXPECT_EQ(back->labels.name(0), "traffic light");  // '_' in model_info, a space again here
    }
    // Only the nanodet decoder has a centre offset.
    EXPECT_FALSE(model_spec_to_json(model_spec_from_json({{"model_type", "yolov8"}})).contains("center_offset"));
}

TEST(DetectModelSpec, ConfigSidecarsParse) {
    const fs::path dir = fs::path(DETSERVE_SOURCE_DIR) / "config" / "models";
    int count = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path());
        EXPECT_NO_THROW(model_spec_from_json(json::parse(in), dir.string())) << entry.path();
        ++count;
    }
    EXPECT_GE(count, 2) << "config/models/nanodet.json and nanodet_m.json";
}

TEST(DetectModelSpec, DecodeDispatchesOnModelTypeAndNamesClasses) {
    ModelSpec spec = model_spec_from_json({{"model_type", "yolov8"}, {"labels", {"cat", "dog"}}});
    Tensor out = zeros({1, 6, 2});  // [1, 4 + 2, 2 anchors]
    const float anchor1[] = {100, 100, 20, 20, 0.1f, 0.9f};
    for (int ch = 0; ch < 6; ++ch) out.data[static_cast<std::size_t>(ch * 2 + 1)] = anchor1[ch];
    const DecodeOptions options{0.25f, 0.5f, 10};
    auto dets = decode_detections(spec, {{"output0", out}}, 0, 640, 640, {}, options);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].label, "dog");
    EXPECT_FLOAT_EQ(dets[0].box.x_min, 90);

    // The label count is the class count: a mismatch with the output is an error, not garbage.
    spec.labels = LabelMap({"cat"});
    EXPECT_THROW(decode_detections(spec, {{"output0", out}}, 0, 640, 640, {}, options), std::runtime_error);
}

TEST(DetectModelSpec, DecodePassesStridesAndCentreOffset) {
    // nanodet, 32x32 input, one stride (16): a 2x2 grid; split layout, reg_max 1.
    ModelSpec spec = model_spec_from_json({{"model_type", "nanodet"}, {"strides", {16}}, {"labels", {"a"}}});
    NamedTensors outputs = {{"cls", zeros({1, 4, 1})}, {"reg", zeros({1, 4, 8})}};
    outputs[0].second.data[3] = 0.9f;  // cell (1, 1)
    const DecodeOptions options{0.25f, 0.5f, 10};
    auto dets = decode_detections(spec, outputs, 0, 32, 32, {}, options);
    ASSERT_EQ(dets.size(), 1u);
    // Uniform bins: 0.5 bin each side = 8 px around the centre (24, 24).
    EXPECT_FLOAT_EQ(dets[0].box.x_min, 16);
    EXPECT_EQ(dets[0].label, "a");
    spec.center_offset = 0;
    dets = decode_detections(spec, outputs, 0, 32, 32, {}, options);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_FLOAT_EQ(dets[0].box.x_min, 8);  // centre (16, 16)

    // yolox: the rows must match the spec's strides' grids (32x32 at [16]: 4 rows, not 16+4+1).
    spec = model_spec_from_json({{"model_type", "yolox"}, {"strides", {16}}, {"labels", {"a"}}});
    Tensor rows = zeros({1, 4, 6});
    rows.data[3 * 6 + 4] = 0.9f;  // row 3 = cell (1, 1): objectness
    rows.data[3 * 6 + 5] = 0.9f;  // class score
    dets = decode_detections(spec, {{"output", rows}}, 0, 32, 32, {}, options);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_FLOAT_EQ(dets[0].box.x_min, 8);  // centre (16, 16), exp(0) * 16 wide
}

TEST(DetectModelSpec, ResizeTypesAreOpenVinoModelApiNames) {
    for (const char* type : {"standard", "fit_to_window_letterbox", "fit_to_window"})
        EXPECT_EQ(model_spec_from_json({{"model_type", "yolox"}, {"resize_type", type}}).resize_type, type);
}
