#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "detserve/detect/yolov8_decoder.hpp"

using namespace detserve;
using namespace detserve::detect;

namespace {

constexpr int kClasses = 3;
constexpr int kChannels = 4 + kClasses;

// [batch, 4 + C, anchors], zeroed: channel-major.
Tensor make_output(int anchors, int batch = 1) {
    Tensor t{{batch, kChannels, anchors}, {}};
    t.data.assign(t.elements(), 0.0f);
    return t;
}

void set_anchor(Tensor& t, int anchor, std::vector<float> values, int b = 0) {
    ASSERT_EQ(values.size(), static_cast<std::size_t>(kChannels));
    const std::int64_t anchors = t.dim(2);
    for (std::size_t ch = 0; ch < values.size(); ++ch)
        t.data[static_cast<std::size_t>((b * kChannels + static_cast<std::int64_t>(ch)) * anchors + anchor)] =
            values[ch];
}

InputTransform identity() { return {1, 1, 0, 0, 640, 640}; }
DecodeOptions options() { return {0.25f, 0.7f, 300}; }

}  // namespace

TEST(DetectYolov8, ReadsChannelMajorLayout) {
    Tensor t = make_output(5);
    //                cx   cy   w   h   c0    c1   c2
    set_anchor(t, 3, {100, 200, 40, 60, 0.1f, 0.2f, 0.8f});
    set_anchor(t, 4, {10, 10, 4, 4, 0.0f, 0.0f, 0.0f});
    auto dets = decode_yolov8({{"output0", t}}, 0, 640, 640, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 2);
    EXPECT_FLOAT_EQ(dets[0].score, 0.8f);  // no objectness: the class score itself
    EXPECT_NEAR(dets[0].box.x_min, 80, 1e-3);
    EXPECT_NEAR(dets[0].box.y_min, 170, 1e-3);
    EXPECT_NEAR(dets[0].box.x_max, 120, 1e-3);
    EXPECT_NEAR(dets[0].box.y_max, 230, 1e-3);
}

TEST(DetectYolov8, BestClassByDefaultAllAboveThresholdWithMultiLabel) {
    Tensor t = make_output(1);
    set_anchor(t, 0, {100, 100, 20, 20, 0.6f, 0.25f, 0.9f});
    auto dets = decode_yolov8({{"output0", t}}, 0, 640, 640, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 2);
    dets = decode_yolov8({{"output0", t}}, 0, 640, 640, kClasses, identity(), options(), true);
    ASSERT_EQ(dets.size(), 2u);  // 0.25 equals the threshold: not a candidate
    EXPECT_EQ(dets[0].class_id, 2);
    EXPECT_EQ(dets[1].class_id, 0);
}

TEST(DetectYolov8, ClipsAndSuppresses) {
    Tensor t = make_output(3);
    set_anchor(t, 0, {620, 20, 80, 80, 0.9f, 0, 0});   // spills over the right and top edges
    set_anchor(t, 1, {622, 22, 80, 80, 0.85f, 0, 0});  // same class, overlaps: suppressed
    set_anchor(t, 2, {300, 300, 10, 10, 0, 0.5f, 0});
    auto dets = decode_yolov8({{"output0", t}}, 0, 640, 640, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_NEAR(dets[0].box.x_min, 580, 1e-3);
    EXPECT_NEAR(dets[0].box.y_min, 0, 1e-3);
    EXPECT_NEAR(dets[0].box.x_max, 640, 1e-3);
    EXPECT_NEAR(dets[0].box.y_max, 60, 1e-3);
    EXPECT_EQ(dets[1].class_id, 1);
}

TEST(DetectYolov8, BatchIndexAndInferredClassCount) {
    Tensor t = make_output(2, 2);
    set_anchor(t, 1, {50, 50, 10, 10, 0, 0.7f, 0}, /*b=*/1);
    EXPECT_TRUE(decode_yolov8({{"out", t}}, 0, 640, 640, kClasses, identity(), options()).empty());
    auto dets = decode_yolov8({{"out", t}}, 1, 640, 640, 0, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 1);
    EXPECT_THROW(decode_yolov8({{"out", t}}, 2, 640, 640, kClasses, identity(), options()),
                 std::runtime_error);
}

TEST(DetectYolov8, WrongShapeErrorListsOutputs) {
    Tensor t = make_output(2);
    try {
        decode_yolov8({{"output0", t}}, 0, 640, 640, 80, identity(), options());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("[B,84,N]"), std::string::npos) << message;
        EXPECT_NE(message.find("'output0' [1,7,2]"), std::string::npos) << message;
    }
}

TEST(DetectYolov8, MapsThroughLetterbox) {
    Tensor t = make_output(1);
    set_anchor(t, 0, {320, 320, 100, 50, 0.9f, 0, 0});
    // A 640x480 image letterboxed into 320x320: scale 0.5, 40 px bars above and below.
    const InputTransform transform{0.5f, 0.5f, 0, 40, 640, 480};
    auto dets = decode_yolov8({{"output0", t}}, 0, 320, 320, kClasses, transform, options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_NEAR(dets[0].box.x_min, 540, 1e-3);  // (270 - 0) / 0.5
    EXPECT_NEAR(dets[0].box.y_min, 480, 1e-3);  // (295 - 40) / 0.5 = 510, clipped to the image
    EXPECT_NEAR(dets[0].box.x_max, 640, 1e-3);  // 740, clipped
    EXPECT_NEAR(dets[0].box.y_max, 480, 1e-3);
    set_anchor(t, 0, {100, 140, 40, 20, 0.9f, 0, 0});
    dets = decode_yolov8({{"output0", t}}, 0, 320, 320, kClasses, transform, options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_NEAR(dets[0].box.x_min, 160, 1e-3);  // (80 - 0) / 0.5
    EXPECT_NEAR(dets[0].box.y_min, 180, 1e-3);  // (130 - 40) / 0.5
    EXPECT_NEAR(dets[0].box.x_max, 240, 1e-3);
    EXPECT_NEAR(dets[0].box.y_max, 220, 1e-3);
}

TEST(DetectYolov8, ThresholdIsStrictOnTheBestClassAndMaxDetectionsCuts) {
    Tensor t = make_output(3);
    set_anchor(t, 0, {50, 50, 10, 10, 0.25f, 0.1f, 0});  // equal to the threshold: dropped
    set_anchor(t, 1, {150, 50, 10, 10, 0, 0.26f, 0});
    set_anchor(t, 2, {250, 50, 10, 10, 0, 0, 0.95f});
    auto dets = decode_yolov8({{"output0", t}}, 0, 640, 640, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_EQ(dets[0].class_id, 2);
    EXPECT_EQ(dets[1].class_id, 1);
    DecodeOptions opts = options();
    opts.max_detections = 1;
    dets = decode_yolov8({{"output0", t}}, 0, 640, 640, kClasses, identity(), opts);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_FLOAT_EQ(dets[0].score, 0.95f);
}
