#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "detserve/detect/recall.hpp"
#include "detserve/detect/yolo_labels.hpp"

using namespace detserve::detect;

namespace {

Detection det(int class_id, float score, Box box) { return {class_id, {}, score, box}; }

void expect_box(const Box& b, float x0, float y0, float x1, float y1) {
    EXPECT_NEAR(b.x_min, x0, 1e-3);
    EXPECT_NEAR(b.y_min, y0, 1e-3);
    EXPECT_NEAR(b.x_max, x1, 1e-3);
    EXPECT_NEAR(b.y_max, y1, 1e-3);
}

}  // namespace

TEST(DetectRecall, ExactDetectionFindsItsObject) {
    const auto result = match_detections({det(3, 0.9f, {10, 10, 50, 50})}, {{3, {10, 10, 50, 50}}});
    EXPECT_EQ(result.count.found, 1u);
    EXPECT_EQ(result.count.total, 1u);
    EXPECT_EQ(result.count.false_positives, 0u);
    EXPECT_DOUBLE_EQ(result.count.recall(), 1.0);
    EXPECT_EQ(result.detection_of_truth, std::vector<int>{0});
}

TEST(DetectRecall, IouThresholdIsInclusive) {
    const std::vector<GroundTruth> truth = {{0, {0, 0, 10, 10}}};
    // Half the truth's height: IoU 50 / 100 = 0.5 exactly.
    EXPECT_EQ(match_detections({det(0, 0.9f, {0, 0, 10, 5})}, truth).count.found, 1u);
    const auto miss = match_detections({det(0, 0.9f, {0, 0, 10, 4.9f})}, truth);
    EXPECT_EQ(miss.count.found, 0u);
    EXPECT_EQ(miss.count.false_positives, 1u);
    EXPECT_EQ(miss.detection_of_truth, std::vector<int>{-1});
    // A stricter threshold is honoured.
    EXPECT_EQ(match_detections({det(0, 0.9f, {0, 0, 10, 5})}, truth, 0.75f).count.found, 0u);
}

TEST(DetectRecall, ClassMustMatch) {
    const auto result = match_detections({det(2, 0.9f, {0, 0, 10, 10})}, {{7, {0, 0, 10, 10}}});
    EXPECT_EQ(result.count.found, 0u);
    EXPECT_EQ(result.count.false_positives, 1u);
    EXPECT_DOUBLE_EQ(result.count.recall(), 0.0);
}

TEST(DetectRecall, HigherScoreMatchesFirstAndDuplicatesAreFalsePositives) {
    // Listed low score first: the order of the input must not decide.
    const std::vector<Detection> detections = {det(0, 0.4f, {0, 0, 10, 10}),   // IoU 1.0
                                               det(0, 0.8f, {0, 0, 10, 8})};   // IoU 0.8
    const auto result = match_detections(detections, {{0, {0, 0, 10, 10}}});
    EXPECT_EQ(result.count.found, 1u);
    EXPECT_EQ(result.count.false_positives, 1u);
    EXPECT_EQ(result.detection_of_truth, std::vector<int>{1});  // the 0.8 one, despite its lower IoU
}

TEST(DetectRecall, DetectionTakesTheBestOverlappingUnmatchedTruth) {
    const std::vector<GroundTruth> truths = {{0, {0, 0, 10, 10}}, {0, {2, 0, 12, 10}}};
    // IoU with truth 0: 80/120; with truth 1: 100/100.
    const std::vector<Detection> detections = {det(0, 0.9f, {2, 0, 12, 10}), det(0, 0.5f, {0, 0, 10, 10})};
    const auto result = match_detections(detections, truths);
    EXPECT_EQ(result.detection_of_truth, (std::vector<int>{1, 0}));
    EXPECT_EQ(result.count.found, 2u);
    EXPECT_EQ(result.count.false_positives, 0u);
}

TEST(DetectRecall, MatchingIsGreedyNotOptimal) {
    // Along x (all boxes span y 0..10): truth 0 = [-3,7], truth 1 = [0,10].
    // A (0.9) = [0,9]: IoU 7/12 with truth 0, 0.9 with truth 1. B (0.8) = [3,11]: 4/14 and 7/11.
    // An optimal assignment finds both (A->0, B->1); greedy, as COCO's evaluation, lets A take
    // its best (truth 1) and leaves B nothing.
    const std::vector<GroundTruth> truths = {{0, {-3, 0, 7, 10}}, {0, {0, 0, 10, 10}}};
    const std::vector<Detection> detections = {det(0, 0.8f, {3, 0, 11, 10}), det(0, 0.9f, {0, 0, 9, 10})};
    const auto result = match_detections(detections, truths);
    EXPECT_EQ(result.detection_of_truth, (std::vector<int>{-1, 1}));
    EXPECT_EQ(result.count.found, 1u);
    EXPECT_EQ(result.count.false_positives, 1u);
}

TEST(DetectRecall, EmptyInputs) {
    auto result = match_detections({}, {{0, {0, 0, 1, 1}}, {1, {0, 0, 1, 1}}});
    EXPECT_EQ(result.count.found, 0u);
    EXPECT_EQ(result.count.total, 2u);
    EXPECT_DOUBLE_EQ(result.count.recall(), 0.0);

    result = match_detections({det(0, 0.9f, {0, 0, 1, 1})}, {});
    EXPECT_EQ(result.count.total, 0u);
    EXPECT_EQ(result.count.false_positives, 1u);
    EXPECT_DOUBLE_EQ(result.count.recall(), 1.0);  // nothing to find, nothing missed
}

TEST(DetectRecall, CountsAddUpOverImages) {
    RecallCount total;
    total += {3, 4, 1};
    total += {1, 4, 2};
    EXPECT_EQ(total.found, 4u);
    EXPECT_EQ(total.total, 8u);
    EXPECT_EQ(total.false_positives, 3u);
    EXPECT_DOUBLE_EQ(total.recall(), 0.5);
}

TEST(DetectYoloLabels, NormalisedCentreSizeToPixelCorners) {
    const auto truths = parse_yolo_labels("25 0.5 0.25 0.5 0.1\r\n\n0 0.1 0.9 0.2 0.2\n", 640, 480);
    ASSERT_EQ(truths.size(), 2u);
    EXPECT_EQ(truths[0].class_id, 25);
    expect_box(truths[0].box, 160, 96, 480, 144);  // centre (320, 120), size 320 x 48
    EXPECT_EQ(truths[1].class_id, 0);
    expect_box(truths[1].box, 0, 384, 128, 480);
    EXPECT_TRUE(parse_yolo_labels("", 10, 10).empty());
}

TEST(DetectYoloLabels, MalformedLineNamesItsNumber) {
    for (const std::string text : {"0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.1\n", "0 0.5 0.5 0.1 0.1\n1.5 0.5 0.5 0.1 0.1\n",
                                   "0 0.5 0.5 0.1 0.1\n-1 0.5 0.5 0.1 0.1\n", "0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.1 0.1 7\n",
                                   "0 0.5 0.5 0.1 0.1\ncar 0.5 0.5 0.1 0.1\n", "0 0.5 0.5 0.1 0.1\n1 0.5 0.5 -0.1 0.1\n"}) {
        try {
            parse_yolo_labels(text, 100, 100);
            FAIL() << "expected an error for: " << text;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
        }
    }
}

TEST(DetectYoloLabels, ClassIdBeyondTheNamesNamesItsLine) {
    EXPECT_EQ(parse_yolo_labels("79 0.5 0.5 0.1 0.1\n", 100, 100, 80).size(), 1u);
    try {
        parse_yolo_labels("0 0.5 0.5 0.1 0.1\n80 0.5 0.5 0.1 0.1\n", 100, 100, 80);
        FAIL() << "expected an error for class id 80 of 80 classes";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("line 2: class id 80 is out of range"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_yolo_labels("1e30 0.5 0.5 0.1 0.1\n", 100, 100), std::invalid_argument);
}
