// The ssd family: OpenVINO's DetectionOutput rows [1, 1, N·B, 7] as its opset spec defines them.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "detserve/detect/ssd_decoder.hpp"

using namespace detserve;
using namespace detserve::detect;

namespace {

using Row = std::vector<float>;  // image_id, label, conf, x_min, y_min, x_max, y_max

// [1, 1, N, 7] with the given rows, the rest zero-filled as the CPU plugin leaves them.
Tensor detection_output(const std::vector<Row>& rows, int n = 10) {
    Tensor t{{1, 1, n, 7}, {}};
    t.data.assign(t.elements(), 0.0f);
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t c = 0; c < 7; ++c) t.data[r * 7 + c] = rows[r].at(c);
    return t;
}

const Row kEnd{-1, 0, 0, 0, 0, 0, 0};

InputTransform identity() { return {1, 1, 0, 0, 300, 300}; }
DecodeOptions no_second_nms() { return {0.5f, 1.0f, 100}; }

}  // namespace

TEST(DetectSsd, CornersAreFractionsOfTheInputMappedToTheImage) {
    const Tensor t = detection_output({{0, 1, 0.9f, 0.1f, 0.2f, 0.5f, 0.6f}, kEnd});
    // A 600x400 image stretched into 300x200: scale 0.5 both ways.
    const InputTransform transform{0.5f, 0.5f, 0, 0, 600, 400};
    const auto dets = decode_ssd({{"detection_out", t}}, 0, 300, 200, 0, transform, no_second_nms());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 1);  // the label as is: 0 is the background
    EXPECT_FLOAT_EQ(dets[0].score, 0.9f);
    EXPECT_NEAR(dets[0].box.x_min, 60, 1e-3);   // 0.1 · 300 / 0.5
    EXPECT_NEAR(dets[0].box.y_min, 80, 1e-3);   // 0.2 · 200 / 0.5
    EXPECT_NEAR(dets[0].box.x_max, 300, 1e-3);  // 0.5 · 300 / 0.5
    EXPECT_NEAR(dets[0].box.y_max, 240, 1e-3);  // 0.6 · 200 / 0.5
}

TEST(DetectSsd, RowsAfterTheFirstEndMarkerAreIgnored) {
    const Tensor t = detection_output({{0, 1, 0.9f, 0.1f, 0.1f, 0.2f, 0.2f}, kEnd, {0, 1, 0.95f, 0.5f, 0.5f, 0.6f, 0.6f}});
    const auto dets = decode_ssd({{"out", t}}, 0, 300, 300, 0, identity(), no_second_nms());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_FLOAT_EQ(dets[0].score, 0.9f);
}

TEST(DetectSsd, BackgroundLabelIsNeverADetection) {
    const Tensor t = detection_output({{0, 0, 0.99f, 0.1f, 0.1f, 0.2f, 0.2f}, {0, 2, 0.8f, 0.5f, 0.5f, 0.6f, 0.6f}, kEnd});
    auto dets = decode_ssd({{"out", t}}, 0, 300, 300, 0, identity(), no_second_nms());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 2);
    // OMZ's PyTorch models number classes from 0 and have no background label.
    dets = decode_ssd({{"out", t}}, 0, 300, 300, 0, identity(), no_second_nms(), SsdFormat{-1});
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_EQ(dets[0].class_id, 0);
    // Another background label (mmdetection puts it after the classes).
    dets = decode_ssd({{"out", t}}, 0, 300, 300, 0, identity(), no_second_nms(), SsdFormat{2});
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 0);
}

TEST(DetectSsd, ImageIdSelectsTheImageOfABatch) {
    // A batch of 2 comes as one [1, 1, N·2, 7]: image 0's rows, image 1's rows, then the end.
    const Tensor t = detection_output({{0, 1, 0.9f, 0.1f, 0.1f, 0.2f, 0.2f},
                                       {1, 1, 0.8f, 0.3f, 0.3f, 0.4f, 0.4f},
                                       {1, 3, 0.7f, 0.5f, 0.5f, 0.9f, 0.9f},
                                       kEnd},
                                      20);
    auto dets = decode_ssd({{"out", t}}, 1, 300, 300, 0, identity(), no_second_nms());
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_FLOAT_EQ(dets[0].score, 0.8f);
    EXPECT_EQ(dets[1].class_id, 3);
    dets = decode_ssd({{"out", t}}, 0, 300, 300, 0, identity(), no_second_nms());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_NEAR(dets[0].box.x_min, 30, 1e-3);
    EXPECT_TRUE(decode_ssd({{"out", t}}, 2, 300, 300, 0, identity(), no_second_nms()).empty());
}

TEST(DetectSsd, ThresholdSortAndMaxDetectionsButNoSecondNms) {
    const Tensor t = detection_output({{0, 1, 0.6f, 0.1f, 0.1f, 0.5f, 0.5f},
                                       {0, 1, 0.5f, 0.6f, 0.6f, 0.7f, 0.7f},  // equal to the threshold
                                       {0, 1, 0.9f, 0.1f, 0.1f, 0.5f, 0.52f},  // overlaps the first
                                       kEnd});
    auto dets = decode_ssd({{"out", t}}, 0, 300, 300, 0, identity(), no_second_nms());
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_FLOAT_EQ(dets[0].score, 0.9f);  // sorted by score
    EXPECT_FLOAT_EQ(dets[1].score, 0.6f);  // the overlapping box stays: DetectionOutput decided
    DecodeOptions opts = no_second_nms();
    opts.max_detections = 1;
    EXPECT_EQ(decode_ssd({{"out", t}}, 0, 300, 300, 0, identity(), opts).size(), 1u);
    opts = no_second_nms();
    opts.iou_threshold = 0.5f;  // asked for: a second NMS
    dets = decode_ssd({{"out", t}}, 0, 300, 300, 0, identity(), opts);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_FLOAT_EQ(dets[0].score, 0.9f);
}

TEST(DetectSsd, WrongShapeErrorListsOutputs) {
    Tensor t{{1, 200, 7}, std::vector<float>(1400, 0.0f)};
    try {
        decode_ssd({{"boxes", t}}, 0, 300, 300, 0, identity(), no_second_nms());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("ssd"), std::string::npos) << message;
        EXPECT_NE(message.find("[1,1,N,7]"), std::string::npos) << message;
        EXPECT_NE(message.find("'boxes' [1,200,7]"), std::string::npos) << message;
    }
}
