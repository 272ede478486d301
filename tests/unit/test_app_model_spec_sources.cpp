// A ModelSpec assembled field by field: which source wins, what a bad field of each kind of source
// does, where each field came from, and what is said when nothing settles the family.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "detserve/app/model_spec_sources.hpp"

using namespace detserve::app;
using detserve::detect::OutputShape;
using nlohmann::json;

namespace {

const std::vector<OutputShape> kYolo11{{"output0", {1, 84, 8400}}};

std::string origin_of(const ResolvedSpec& r, const std::string& key) {
    const auto it = std::find_if(r.origins.begin(), r.origins.end(), [&](const auto& o) { return o.first == key; });
    return it == r.origins.end() ? "" : it->second;
}

std::string error_of(const std::vector<SpecSource>& sources, const std::vector<OutputShape>& outputs) {
    try {
        resolve_model_spec(sources, outputs, 640, 640);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(AppModelSpecSources, UltralyticsModelInfoWithTheGenericYoloName) {
    const SpecSource info{"rt_info/model_info",
                          {{"model_type", "YOLO"}, {"iou_threshold", 0.7}, {"scale_values", 255}, {"labels", {"a", "b"}}}};
    const auto r = resolve_model_spec({info}, {{"output0", {1, 6, 8400}}}, 640, 640);
    EXPECT_EQ(r.spec.model_type, "yolov8");
    EXPECT_NE(r.family_reason.find("inferred"), std::string::npos) << r.family_reason;
    EXPECT_EQ(r.spec.labels.size(), 2u);
    EXPECT_FLOAT_EQ(r.spec.iou_threshold, 0.7f);
    EXPECT_TRUE(r.spec.reverse_input_channels);  // Ultralytics' default, not in the file
    EXPECT_EQ(origin_of(r, "reverse_input_channels"), "family default (yolov8)");
    EXPECT_EQ(origin_of(r, "iou_threshold"), "rt_info/model_info");
    EXPECT_EQ(r.sources, std::vector<std::string>{"rt_info/model_info"});
}

TEST(AppModelSpecSources, HigherSourcesWinFieldByField) {
    const SpecSource shipped{"config/models/m.json", {{"model_type", "yolov8"}, {"confidence_threshold", 0.3}, {"pad_value", 0}}, true};
    const SpecSource info{"rt_info/model_info", {{"confidence_threshold", 0.4}}};
    const SpecSource sidecar{"m.json", {{"confidence_threshold", 0.5}}, true};
    const auto r = resolve_model_spec({shipped, info, sidecar}, kYolo11, 640, 640);
    EXPECT_FLOAT_EQ(r.spec.confidence_threshold, 0.5f);
    EXPECT_FLOAT_EQ(r.spec.pad_value, 0.0f);
    EXPECT_EQ(origin_of(r, "confidence_threshold"), "m.json");
    EXPECT_EQ(origin_of(r, "pad_value"), "config/models/m.json");
    EXPECT_EQ(origin_of(r, "model_type"), "config/models/m.json");
    // rt_info/model_info gave nothing that stands: it is not among the sources.
    EXPECT_EQ(r.sources, (std::vector<std::string>{"m.json", "config/models/m.json"}));
}

TEST(AppModelSpecSources, ASidecarModelTypeOverridesTheFiles) {
    const SpecSource info{"rt_info/model_info", {{"model_type", "yolox"}}};
    const SpecSource sidecar{"m.json", {{"model_type", "YOLOv8"}}, true};
    EXPECT_EQ(resolve_model_spec({info, sidecar}, kYolo11, 640, 640).spec.model_type, "yolov8");
}

TEST(AppModelSpecSources, BadMetadataIsAWarningTheSidecarCanFix) {
    const SpecSource info{"rt_info/model_info", {{"model_type", "YOLO"}, {"iou_threshold", 7}, {"resize_type", "crop"}}};
    auto r = resolve_model_spec({info}, kYolo11, 640, 640);
    ASSERT_EQ(r.warnings.size(), 2u);
    EXPECT_NE(r.warnings[0].find("rt_info/model_info"), std::string::npos) << r.warnings[0];
    EXPECT_NE(r.warnings[0].find("iou_threshold"), std::string::npos) << r.warnings[0];
    EXPECT_FLOAT_EQ(r.spec.iou_threshold, 0.7f);  // the family's default stands
    const SpecSource sidecar{"m.json", {{"iou_threshold", 0.5}}, true};
    r = resolve_model_spec({info, sidecar}, kYolo11, 640, 640);
    EXPECT_FLOAT_EQ(r.spec.iou_threshold, 0.5f);
}

TEST(AppModelSpecSources, AnUnknownFamilyNameInMetadataIsAWarning) {
    const SpecSource info{"rt_info/model_info", {{"model_type", "retinanet"}}};
    const auto r = resolve_model_spec({info}, kYolo11, 640, 640);
    EXPECT_EQ(r.spec.model_type, "yolov8");
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("retinanet"), std::string::npos);
}

TEST(AppModelSpecSources, BadSidecarFieldIsAnErrorNamingIt) {
    const SpecSource sidecar{"models/m.json", {{"model_type", "yolov8"}, {"iou_threshold", 7}}, true};
    const auto message = error_of({sidecar}, kYolo11);
    EXPECT_NE(message.find("models/m.json"), std::string::npos) << message;
    EXPECT_NE(message.find("iou_threshold"), std::string::npos) << message;
    EXPECT_NE(error_of({{"models/m.json", {{"model_type", "retinanet"}}, true}}, kYolo11).find("retinanet"), std::string::npos);
}

TEST(AppModelSpecSources, UnnamedLabels) {
    auto r = resolve_model_spec({}, kYolo11, 640, 640);
    EXPECT_EQ(r.spec.labels.size(), 80u);
    EXPECT_EQ(r.spec.labels.name(0), "person");
    EXPECT_NE(origin_of(r, "labels").find("assumed COCO-80"), std::string::npos);
    EXPECT_TRUE(r.sources.empty());
    r = resolve_model_spec({}, {{"output0", {1, 7, 8400}}}, 640, 640);  // 3 classes nobody names
    EXPECT_EQ(r.spec.labels.size(), 3u);
    EXPECT_EQ(r.spec.labels.name(2), "class_2");
}

TEST(AppModelSpecSources, AnSsdNobodyKnowsGetsClassNLabels) {
    const auto r = resolve_model_spec({}, {{"detection_out", {1, 1, 200, 7}}}, 300, 300);
    EXPECT_EQ(r.spec.model_type, "ssd");
    EXPECT_EQ(r.spec.labels.name(1), "class_1");
    EXPECT_NE(origin_of(r, "labels").find("class_N"), std::string::npos) << origin_of(r, "labels");
    EXPECT_FALSE(r.spec.reverse_input_channels);  // Open Model Zoo's BGR
    EXPECT_EQ(r.spec.resize_type, "standard");
}

TEST(AppModelSpecSources, NothingSettlesTheFamily) {
    const auto message = error_of({}, {{"logits", {1, 1000}}});
    EXPECT_NE(message.find("'logits' [1,1000]"), std::string::npos) << message;
    EXPECT_NE(message.find("model_type"), std::string::npos) << message;
    EXPECT_NE(message.find("labels"), std::string::npos) << message;
}
