// The sidecar / rt_info ModelSpec: every key, its default, its errors, and the dispatch from a spec
// to its family's decoder.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

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
        {"model_type", "retinanet"},
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
        {"background_label", -2},
        {"background_label", 0.5},
        {"labels", 7},
        {"labels", "no-such-file.txt"},
    };
    for (const auto& [key, value] : bad) {
        json sidecar = base;
        sidecar[key] = value;
        EXPECT_NE(error_of(sidecar).find("'" + key + "'"), std::string::npos) << key << " = " << value.dump();
    }
    EXPECT_NE(error_of({{"model_type", "ssd-lite"}}).find("nanodet, yolov5, yolov8, yolox, ssd, detections, tf_od_api, fastestdet"),
              std::string::npos);
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

TEST(DetectModelSpec, FamiliesWithNmsInsideSkipTheSecondNmsAndSsdsDefaultToCoco91) {
    for (const char* type : {"ssd", "detections", "tf_od_api"}) {
        const auto spec = model_spec_from_json({{"model_type", type}});
        EXPECT_FLOAT_EQ(spec.iou_threshold, 1.0f) << type;  // IoU > 1 never happens: no suppression
        EXPECT_FLOAT_EQ(model_spec_from_json({{"model_type", type}, {"iou_threshold", 0.5}}).iou_threshold, 0.5f) << type;
    }
    for (const char* type : {"ssd", "tf_od_api"}) {
        const auto spec = model_spec_from_json({{"model_type", type}});
        EXPECT_EQ(spec.labels_source, "coco91") << type;
        EXPECT_EQ(spec.labels.name(0), "background") << type;
        EXPECT_EQ(spec.labels.name(18), "dog") << type;
        EXPECT_EQ(model_spec_from_json({{"model_type", type}, {"labels", {"background", "face"}}}).labels.size(), 2u);
    }
    EXPECT_EQ(model_spec_from_json({{"model_type", "detections"}}).labels_source, "coco80");
    const auto fastestdet = model_spec_from_json({{"model_type", "fastestdet"}});
    EXPECT_FLOAT_EQ(fastestdet.iou_threshold, 0.6f);
    EXPECT_EQ(fastestdet.labels_source, "coco80");
    EXPECT_EQ(model_spec_from_json({{"model_type", "ssd"}}).background_label, 0);
}

TEST(DetectModelSpec, BackgroundLabelRoundTripsForSsd) {
    const ModelSpec spec = model_spec_from_json({{"model_type", "ssd"}, {"background_label", -1}, {"labels", {"face"}}});
    EXPECT_EQ(spec.background_label, -1);
    const json written = model_spec_to_json(spec);
    EXPECT_EQ(written["background_label"], -1);
    EXPECT_FLOAT_EQ(written["iou_threshold"].get<float>(), 1.0f);
    for (const ModelSpec& back : {model_spec_from_json(written), model_spec_from_model_info(model_spec_to_model_info(spec))}) {
        EXPECT_EQ(back.model_type, "ssd");
        EXPECT_EQ(back.background_label, -1);
        EXPECT_FLOAT_EQ(back.iou_threshold, 1.0f);
        EXPECT_EQ(back.labels.names(), std::vector<std::string>{"face"});
    }
    // Only the ssd decoder has a background label.
    EXPECT_FALSE(model_spec_to_json(model_spec_from_json({{"model_type", "tf_od_api"}})).contains("background_label"));
}

TEST(DetectModelSpec, DecodeDispatchesTheNmsInsideFamilies) {
    const DecodeOptions options{0.25f, 1.0f, 10};
    const InputTransform transform{1, 1, 0, 0, 100, 100};

    ModelSpec spec = model_spec_from_json({{"model_type", "ssd"}, {"labels", {"background", "face"}}});
    Tensor rows = zeros({1, 1, 2, 7});
    const float face[] = {0, 1, 0.9f, 0.1f, 0.1f, 0.5f, 0.5f};
    std::copy(std::begin(face), std::end(face), rows.data.begin());
    auto dets = decode_detections(spec, {{"detection_out", rows}}, 0, 100, 100, transform, options);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].label, "face");
    EXPECT_FLOAT_EQ(dets[0].box.x_max, 50);

    spec = model_spec_from_json({{"model_type", "detections"}, {"labels", {"cat", "dog"}}});
    Tensor finished = zeros({1, 3, 6});
    const float dog[] = {10, 10, 40, 40, 0.8f, 1};
    std::copy(std::begin(dog), std::end(dog), finished.data.begin());
    dets = decode_detections(spec, {{"output0", finished}}, 0, 100, 100, transform, options);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].label, "dog");

    spec = model_spec_from_json({{"model_type", "tf_od_api"}});
    Tensor boxes = zeros({1, 2, 4});
    boxes.data = {0.1f, 0.2f, 0.3f, 0.4f, 0, 0, 0, 0};
    Tensor classes = zeros({1, 2});
    classes.data = {18, 0};
    Tensor scores = zeros({1, 2});
    scores.data = {0.7f, 0};
    Tensor count = zeros({1});
    count.data = {1};
    dets = decode_detections(spec, {{"detection_boxes", boxes}, {"detection_classes", classes},
                                    {"detection_scores", scores}, {"num_detections", count}},
                             0, 100, 100, transform, options);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].label, "dog");  // COCO-91 id 18
    EXPECT_FLOAT_EQ(dets[0].box.x_min, 20);

    spec = model_spec_from_json({{"model_type", "fastestdet"}, {"labels", {"a", "b"}}});
    Tensor grid = zeros({1, 7, 1, 1});
    grid.data = {0.9f, std::atanh(0.5f), std::atanh(0.5f), 0, 0, 0.2f, 0.8f};  // centre (0.5, 0.5)
    dets = decode_detections(spec, {{"758", grid}}, 0, 100, 100, transform, options);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].label, "b");
    EXPECT_FLOAT_EQ(dets[0].box.x_min, 25);  // centre 50, width sigmoid(0) · 100
    spec.labels = LabelMap({"a", "b", "c"});  // the label count is the class count: 5 + 3 != 7
    EXPECT_THROW(decode_detections(spec, {{"758", grid}}, 0, 100, 100, transform, options), std::runtime_error);
}

TEST(DetectModelSpec, FastestDetSidecarIsTheRepositorysRuntime) {
    const fs::path path = fs::path(DETSERVE_SOURCE_DIR) / "config" / "models" / "FastestDet.json";
    std::ifstream in(path);
    const ModelSpec spec = model_spec_from_json(json::parse(in), path.parent_path().string());
    EXPECT_EQ(spec.model_type, "fastestdet");
    EXPECT_EQ(spec.input_width, 352);
    EXPECT_EQ(spec.input_height, 352);
    EXPECT_FALSE(spec.reverse_input_channels);  // runtime.py feeds cv2.imread's BGR
    EXPECT_EQ(spec.scale_values, (std::array<float, 3>{255, 255, 255}));
    EXPECT_EQ(spec.resize_type, "standard");
    EXPECT_FLOAT_EQ(spec.confidence_threshold, 0.65f);
    EXPECT_FLOAT_EQ(spec.iou_threshold, 0.45f);
    EXPECT_EQ(spec.nms, NmsMode::agnostic);
    EXPECT_EQ(spec.labels.size(), 80u);
}

// model_info's text forms: whole numbers where the key needs an int (a cast of 1e30 or 8.5 would be
// undefined or silently truncated), finite numbers everywhere, yes/no words; other keys are not ours.
TEST(DetectModelSpec, ModelInfoFieldsRefuseWhatTheirKeyCannotHold) {
    auto error_of_field = [](const std::string& key, const std::string& value) {
        try {
            model_info_field(key, value);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(model_info_field("strides", "8 16 32"), json::array({8, 16, 32}));
    EXPECT_EQ(model_info_field("background_label", "-1"), -1);
    EXPECT_NE(error_of_field("background_label", "1e30").find("background_label"), std::string::npos);
    EXPECT_NE(error_of_field("max_detections", "022222222222222").find("whole numbers"), std::string::npos);
    EXPECT_NE(error_of_field("strides", "8 16.5").find("whole numbers"), std::string::npos);
    EXPECT_NE(error_of_field("pad_value", "nan").find("pad_value"), std::string::npos);
    EXPECT_NE(error_of_field("iou_threshold", "inf").find("iou_threshold"), std::string::npos);
    EXPECT_NE(error_of_field("reverse_input_channels", "maybe").find("yes/no"), std::string::npos);
    EXPECT_TRUE(model_info_field("author", "Ultralytics").is_null());
    // Names that are not UTF-8 (an rt_info written by hand in Latin-1) would break every JSON answer.
    detserve::detect::ModelSpec spec;
    EXPECT_THROW(apply_model_spec_key(spec, "labels", model_info_field("labels", "caf\xe9 dog")), std::invalid_argument);
}
