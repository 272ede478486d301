#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "detserve/detect/yolov5_decoder.hpp"

using namespace detserve;
using namespace detserve::detect;

namespace {

constexpr int kClasses = 3;
constexpr int kRow = 5 + kClasses;

// [batch, rows, 5 + C], zeroed.
Tensor make_output(int rows, int batch = 1) {
    Tensor t{{batch, rows, kRow}, {}};
    t.data.assign(t.elements(), 0.0f);
    return t;
}

void set_row(Tensor& t, int row, std::vector<float> values, int b = 0) {
    ASSERT_EQ(values.size(), static_cast<std::size_t>(kRow));
    const std::size_t base = static_cast<std::size_t>((b * t.dim(1) + row) * kRow);
    for (std::size_t i = 0; i < values.size(); ++i) t.data[base + i] = values[i];
}

InputTransform identity() { return {1, 1, 0, 0, 640, 640}; }
DecodeOptions options() { return {0.25f, 0.45f, 100}; }

}  // namespace

TEST(DetectYolov5, DecodesCentreSizeBoxAndObjectnessTimesClass) {
    Tensor t = make_output(4);
    //          cx   cy   w   h  obj   c0   c1   c2
    set_row(t, 2, {100, 200, 40, 60, 0.8f, 0.1f, 0.9f, 0.5f});
    auto dets = decode_yolov5({{"output0", t}}, 0, 640, 640, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 1);  // best class only by default
    EXPECT_NEAR(dets[0].score, 0.72f, 1e-6);
    EXPECT_NEAR(dets[0].box.x_min, 80, 1e-3);
    EXPECT_NEAR(dets[0].box.y_min, 170, 1e-3);
    EXPECT_NEAR(dets[0].box.x_max, 120, 1e-3);
    EXPECT_NEAR(dets[0].box.y_max, 230, 1e-3);
}

TEST(DetectYolov5, MultiLabelGivesEveryClassAboveThreshold) {
    Tensor t = make_output(1);
    set_row(t, 0, {100, 100, 20, 20, 0.8f, 0.1f, 0.9f, 0.5f});  // 0.08, 0.72, 0.40
    auto dets = decode_yolov5({{"output0", t}}, 0, 640, 640, kClasses, identity(), options(), true);
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_EQ(dets[0].class_id, 1);
    EXPECT_EQ(dets[1].class_id, 2);
    EXPECT_NEAR(dets[1].score, 0.40f, 1e-6);
}

TEST(DetectYolov5, ThresholdAppliesToObjectnessAndToTheProduct) {
    Tensor t = make_output(3);
    // Objectness alone is pre-filtered (Ultralytics' `xc` mask), whatever the class score says.
    set_row(t, 0, {100, 100, 20, 20, 0.2f, 1.5f, 0, 0});
    set_row(t, 1, {300, 300, 20, 20, 0.5f, 0.4f, 0, 0});  // 0.5 * 0.4 = 0.2 < 0.25
    set_row(t, 2, {500, 500, 20, 20, 0.5f, 0.6f, 0, 0});  // 0.30 kept
    auto dets = decode_yolov5({{"output0", t}}, 0, 640, 640, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_NEAR(dets[0].box.x_min, 490, 1e-3);
}

TEST(DetectYolov5, MapsToOriginalImageAndAppliesNms) {
    Tensor t = make_output(3);
    set_row(t, 0, {320, 320, 100, 100, 0.9f, 0.9f, 0, 0});
    set_row(t, 1, {322, 322, 100, 100, 0.9f, 0.8f, 0, 0});  // same class, overlaps: suppressed
    set_row(t, 2, {322, 322, 100, 100, 0.9f, 0, 0.8f, 0});  // other class: kept
    // 1280x960 image letterboxed to 640: scale 0.5, 80 px bars above and below.
    const InputTransform transform{0.5f, 0.5f, 0, 80, 1280, 960};
    auto dets = decode_yolov5({{"output0", t}}, 0, 640, 640, kClasses, transform, options());
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_EQ(dets[0].class_id, 0);
    EXPECT_NEAR(dets[0].box.x_min, 540, 1e-3);  // (270 - 0) / 0.5
    EXPECT_NEAR(dets[0].box.y_min, 380, 1e-3);  // (270 - 80) / 0.5
    EXPECT_NEAR(dets[0].box.x_max, 740, 1e-3);
    EXPECT_NEAR(dets[0].box.y_max, 580, 1e-3);
    EXPECT_EQ(dets[1].class_id, 1);
}

TEST(DetectYolov5, FindsOutputByShapeAmongOthersAndInfersClassCount) {
    Tensor t = make_output(2, 2);
    set_row(t, 1, {50, 50, 10, 10, 0.9f, 0, 0, 0.9f}, /*b=*/1);
    Tensor head{{1, 3, 20, 20, kRow}, {}};  // a per-scale head output some exports keep
    head.data.assign(head.elements(), 1.0f);
    const NamedTensors outputs = {{"onnx::Sigmoid_1", head}, {"output0", t}};
    EXPECT_TRUE(decode_yolov5(outputs, 0, 640, 640, kClasses, identity(), options()).empty());
    auto dets = decode_yolov5(outputs, 1, 640, 640, /*num_classes=*/0, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 2);
}

TEST(DetectYolov5, WrongShapeErrorListsOutputs) {
    Tensor t = make_output(2);
    try {
        decode_yolov5({{"output0", t}}, 0, 640, 640, 80, identity(), options());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("85"), std::string::npos) << message;
        EXPECT_NE(message.find("'output0' [1,2,8]"), std::string::npos) << message;
    }
}

TEST(DetectYolov5, MaxDetectionsKeepsTheHighestScores) {
    Tensor t = make_output(4);
    set_row(t, 0, {50, 50, 20, 20, 0.9f, 0.5f, 0, 0});    // 0.45
    set_row(t, 1, {150, 50, 20, 20, 0.9f, 0.9f, 0, 0});   // 0.81
    set_row(t, 2, {250, 50, 20, 20, 0.9f, 0, 0.7f, 0});   // 0.63
    set_row(t, 3, {350, 50, 20, 20, 0.9f, 0, 0, 0.3f});   // 0.27
    DecodeOptions opts = options();
    opts.max_detections = 2;
    auto dets = decode_yolov5({{"output0", t}}, 0, 640, 640, kClasses, identity(), opts);
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_NEAR(dets[0].score, 0.81f, 1e-6);
    EXPECT_NEAR(dets[1].score, 0.63f, 1e-6);
    opts.max_detections = 0;  // no limit
    EXPECT_EQ(decode_yolov5({{"output0", t}}, 0, 640, 640, kClasses, identity(), opts).size(), 4u);
}
