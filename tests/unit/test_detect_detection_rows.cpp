// The detections family: [B, N, 6] rows (x1, y1, x2, y2, score, class) of exports with NMS inside,
// as Ultralytics' nms=True export writes them (zero rows after the last detection).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "detserve/detect/detection_rows_decoder.hpp"

using namespace detserve;
using namespace detserve::detect;

namespace {

using Row = std::vector<float>;  // x1, y1, x2, y2, score, class

Tensor rows_output(const std::vector<std::vector<Row>>& images, int n = 6) {
    Tensor t{{static_cast<std::int64_t>(images.size()), n, 6}, {}};
    t.data.assign(t.elements(), 0.0f);
    for (std::size_t b = 0; b < images.size(); ++b)
        for (std::size_t r = 0; r < images[b].size(); ++r)
            for (std::size_t c = 0; c < 6; ++c) t.data[(b * static_cast<std::size_t>(n) + r) * 6 + c] = images[b][r].at(c);
    return t;
}

InputTransform identity() { return {1, 1, 0, 0, 320, 320}; }
DecodeOptions no_second_nms() { return {0.25f, 1.0f, 300}; }

}  // namespace

TEST(DetectDetections, ReadsCornersScoreAndClassAndSkipsPadding) {
    const Tensor t = rows_output({{{10, 20, 110, 220, 0.9f, 16}, {0, 0, 50, 40, 0.4f, 0}}});
    const auto dets = decode_detection_rows({{"output0", t}}, 0, 320, 320, 80, identity(), no_second_nms());
    ASSERT_EQ(dets.size(), 2u);  // the four zero rows are padding
    EXPECT_EQ(dets[0].class_id, 16);
    EXPECT_FLOAT_EQ(dets[0].score, 0.9f);
    EXPECT_FLOAT_EQ(dets[0].box.x_min, 10);
    EXPECT_FLOAT_EQ(dets[0].box.y_min, 20);
    EXPECT_FLOAT_EQ(dets[0].box.x_max, 110);
    EXPECT_FLOAT_EQ(dets[0].box.y_max, 220);
    EXPECT_EQ(dets[1].class_id, 0);  // class 0 at the image corner is a detection, not padding
    EXPECT_FLOAT_EQ(dets[1].box.x_max, 50);
}

TEST(DetectDetections, MapsThroughLetterboxAndKeepsOverlapsFromTheGraphsNms) {
    // A 640x480 image letterboxed into 320x320: scale 0.5, 40 px bars above and below.
    const InputTransform transform{0.5f, 0.5f, 0, 40, 640, 480};
    const Tensor t = rows_output({{{100, 140, 140, 160, 0.8f, 2}, {100, 140, 141, 160, 0.7f, 2}}});
    auto dets = decode_detection_rows({{"output0", t}}, 0, 320, 320, 80, transform, no_second_nms());
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_NEAR(dets[0].box.x_min, 200, 1e-3);  // 100 / 0.5
    EXPECT_NEAR(dets[0].box.y_min, 200, 1e-3);  // (140 - 40) / 0.5
    EXPECT_NEAR(dets[0].box.x_max, 280, 1e-3);
    EXPECT_NEAR(dets[0].box.y_max, 240, 1e-3);
    DecodeOptions opts = no_second_nms();
    opts.iou_threshold = 0.5f;
    EXPECT_EQ(decode_detection_rows({{"output0", t}}, 0, 320, 320, 80, transform, opts).size(), 1u);
}

TEST(DetectDetections, ThresholdIsStrictAndBatchIndexSelectsTheImage) {
    const Tensor t = rows_output({{{1, 1, 5, 5, 0.25f, 1}}, {{1, 1, 5, 5, 0.3f, 3}, {9, 9, 20, 20, 0.6f, 4}}});
    EXPECT_TRUE(decode_detection_rows({{"o", t}}, 0, 320, 320, 80, identity(), no_second_nms()).empty());
    const auto dets = decode_detection_rows({{"o", t}}, 1, 320, 320, 80, identity(), no_second_nms());
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_EQ(dets[0].class_id, 4);  // sorted by score
    EXPECT_EQ(dets[1].class_id, 3);
    EXPECT_THROW(decode_detection_rows({{"o", t}}, 2, 320, 320, 80, identity(), no_second_nms()), std::runtime_error);
}

TEST(DetectDetections, WrongShapeErrorListsOutputs) {
    Tensor t{{1, 84, 2100}, std::vector<float>(84 * 2100, 0.0f)};
    try {
        decode_detection_rows({{"output0", t}}, 0, 320, 320, 80, identity(), no_second_nms());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("detections"), std::string::npos) << message;
        EXPECT_NE(message.find("[B,N,6]"), std::string::npos) << message;
        EXPECT_NE(message.find("'output0' [1,84,2100]"), std::string::npos) << message;
    }
}
