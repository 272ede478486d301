// The COCO evaluator on cases small enough to compute by hand (tests/parity/ checks the same code
// against pycocotools itself).
#include <gtest/gtest.h>

#include "detserve/eval/coco_evaluator.hpp"

using namespace detserve::eval;

namespace {

TruthObject object(int category, CocoBox box, bool crowd = false) { return {category, box, box.width * box.height, crowd}; }
Prediction prediction(int category, double score, CocoBox box) { return {category, score, box}; }

constexpr CocoBox kLarge{0, 0, 100, 100};  // 10000 px: a "large" object (> 96²)

}  // namespace

TEST(EvalCocoThresholds, AreNumpysLinspace) {
    EXPECT_EQ(iou_thresholds().front(), 0.5);
    EXPECT_EQ(iou_thresholds().back(), 0.95);
    EXPECT_DOUBLE_EQ(iou_thresholds()[5], 0.75);
    EXPECT_EQ(recall_thresholds().front(), 0.0);
    EXPECT_EQ(recall_thresholds().back(), 1.0);
    EXPECT_EQ(recall_thresholds()[7], 7 * 0.01);  // k * step, as numpy computes it
    EXPECT_EQ(iou_thresholds()[8], 0.8999999999999999);  // numpy's value, not 0.9
}

TEST(EvalCocoIou, UnionOrDetectionAreaForCrowd) {
    const CocoBox truth{0, 0, 10, 10}, detection{5, 0, 10, 10};  // overlap 5 x 10
    EXPECT_DOUBLE_EQ(coco_iou(detection, truth, false), 50.0 / 150.0);
    EXPECT_DOUBLE_EQ(coco_iou(detection, truth, true), 50.0 / 100.0);
    EXPECT_EQ(coco_iou({20, 20, 5, 5}, truth, false), 0.0);
    EXPECT_EQ(coco_iou({10, 0, 5, 5}, truth, false), 0.0);  // touching edges
}

TEST(EvalCoco, PerfectDetectionScoresOne) {
    const auto m = evaluate_coco({{{object(0, kLarge)}, {prediction(0, 0.9, kLarge)}}}, 1);
    EXPECT_DOUBLE_EQ(*m.map_50_95, 1.0);
    EXPECT_DOUBLE_EQ(*m.map_50, 1.0);
    EXPECT_DOUBLE_EQ(*m.map_75, 1.0);
    EXPECT_DOUBLE_EQ(*m.map_large, 1.0);
    EXPECT_DOUBLE_EQ(*m.ar_100, 1.0);
    // No small or medium object: COCOeval's -1.
    EXPECT_FALSE(m.map_small.has_value());
    EXPECT_FALSE(m.map_medium.has_value());
    ASSERT_EQ(m.per_category.size(), 1u);
    EXPECT_EQ(m.per_category[0].truths, 1);
}

TEST(EvalCoco, LooseBoxCountsOnlyAtLowThresholdsAndADuplicateIsAFalsePositive) {
    // 0.9: IoU 0.62 (a match at .50, .55, .60); 0.8: the exact box, a duplicate there.
    const auto m = evaluate_coco({{{object(0, kLarge)}, {prediction(0, 0.9, {0, 0, 100, 62}), prediction(0, 0.8, kLarge)}}}, 1);
    // .50-.60: TP then FP -> precision 1 at recall 1 -> AP 1. .65-.95: FP then TP -> the
    // envelope is 0.5 everywhere -> AP 0.5. Mean over the 10 thresholds: (3 x 1 + 7 x 0.5) / 10.
    EXPECT_DOUBLE_EQ(*m.map_50, 1.0);
    EXPECT_DOUBLE_EQ(*m.map_75, 0.5);
    EXPECT_NEAR(*m.map_50_95, 0.65, 1e-12);
    EXPECT_DOUBLE_EQ(*m.ar_100, 1.0);
}

TEST(EvalCoco, MissedObjectsLowerRecallAndPrecision) {
    // Two objects, one found by the second-best detection: precision 1/2 at recall 1/2.
    const auto m = evaluate_coco({{{object(0, {0, 0, 100, 100}), object(0, {200, 0, 100, 100})},
                                   {prediction(0, 0.9, {500, 500, 100, 100}), prediction(0, 0.8, {0, 0, 100, 100})}}},
                                 1);
    // Recall points 0..0.50 (51 of 101) take precision 0.5, the rest 0.
    EXPECT_NEAR(*m.map_50, 51 * 0.5 / 101, 1e-12);
    EXPECT_DOUBLE_EQ(*m.ar_100, 0.5);
}

TEST(EvalCoco, CrowdRegionAbsorbsDetectionsInsideIt) {
    // The object is found only by the lowest score; the two detections inside the crowd region
    // (IoU with it = intersection / detection area = 1) count neither way.
    const std::vector<TruthObject> truths{object(0, {300, 300, 100, 100}), object(0, {0, 0, 200, 200}, true)};
    const std::vector<Prediction> predictions{prediction(0, 0.9, {10, 10, 50, 50}), prediction(0, 0.8, {60, 60, 50, 50}),
                                              prediction(0, 0.5, {300, 300, 100, 100})};
    const auto crowd = evaluate_coco({{truths, predictions}}, 1);
    EXPECT_DOUBLE_EQ(*crowd.map_50_95, 1.0);
    EXPECT_EQ(crowd.per_category[0].truths, 1);  // the crowd region is not an object to find

    // The same region as an ordinary object: two false positives before the true one.
    auto plain = truths;
    plain[1].crowd = false;
    const auto m = evaluate_coco({{plain, predictions}}, 1);
    EXPECT_NEAR(*m.map_50, 51.0 / 3.0 / 101.0, 1e-12);  // precision 1/3 up to recall 1/2
}

TEST(EvalCoco, AreaRangesIgnoreObjectsAndUnmatchedDetectionsOutsideThem) {
    // A small object found, and a false positive of medium size scored above it.
    const auto m = evaluate_coco({{{object(0, {0, 0, 20, 20})},
                                   {prediction(0, 0.9, {100, 100, 40, 40}), prediction(0, 0.8, {0, 0, 20, 20})}}},
                                 1);
    EXPECT_DOUBLE_EQ(*m.map_50_95, 0.5);  // all areas: FP then TP
    EXPECT_DOUBLE_EQ(*m.map_small, 1.0);  // the medium-sized false positive is outside the range: ignored
    EXPECT_FALSE(m.map_medium.has_value());  // the only object is small
    EXPECT_FALSE(m.map_large.has_value());
}

TEST(EvalCoco, DetectionMatchedToAnObjectOutsideTheRangeIsIgnored) {
    // Medium range: the small object is ignored, and so is the detection that matches it (itself
    // medium-sized, IoU 900/1156 = 0.78); from IoU .80 up it matches nothing and, being medium,
    // is a false positive there.
    const auto m = evaluate_coco({{{object(0, {0, 0, 30, 30}), object(0, {200, 200, 50, 50})},
                                   {prediction(0, 0.9, {0, 0, 34, 34}), prediction(0, 0.8, {200, 200, 50, 50})}}},
                                 1);
    // .50-.75 (6 thresholds): ignored, then TP -> AP 1; .80-.95 (4): FP, TP -> AP 0.5.
    EXPECT_NEAR(*m.map_medium, (6 * 1.0 + 4 * 0.5) / 10, 1e-12);
}

TEST(EvalCoco, ClassesWithoutGroundTruthAreLeftOutOfTheMean) {
    // Category 1 has detections but no object; category 2 nothing at all.
    const auto m = evaluate_coco({{{object(0, kLarge)}, {prediction(0, 0.9, kLarge), prediction(1, 0.95, kLarge)}}}, 3);
    EXPECT_DOUBLE_EQ(*m.map_50_95, 1.0);
    EXPECT_FALSE(m.per_category[1].ap.has_value());
    EXPECT_FALSE(m.per_category[2].ap_50.has_value());
    EXPECT_DOUBLE_EQ(*m.per_category[0].ap_50, 1.0);
}

TEST(EvalCoco, ImagesWithoutObjectsContributeFalsePositives) {
    const std::vector<ImageResult> images{{{object(0, kLarge)}, {prediction(0, 0.5, kLarge)}},
                                          {{}, {prediction(0, 0.9, kLarge)}},
                                          {{}, {}}};
    const auto m = evaluate_coco(images, 1);
    EXPECT_DOUBLE_EQ(*m.map_50, 0.5);  // FP (the empty image, higher score), then TP
}

TEST(EvalCoco, NoDetectionsAtAllIsZero) {
    const auto m = evaluate_coco({{{object(0, kLarge)}, {}}}, 1);
    EXPECT_EQ(*m.map_50_95, 0.0);
    EXPECT_EQ(*m.ar_100, 0.0);
}

TEST(EvalCoco, AtMostOneHundredDetectionsPerImageAndClass) {
    // 100 misses scored above the one hit: the hit is the 101st and is cut.
    ImageResult image{{object(0, kLarge)}, {}};
    for (int i = 0; i < 100; ++i) image.predictions.push_back(prediction(0, 0.9, {500.0 + i, 500, 10, 10}));
    image.predictions.push_back(prediction(0, 0.1, kLarge));
    EXPECT_EQ(*evaluate_coco({image}, 1).ar_100, 0.0);
    // One miss fewer: it is the 100th, found at precision 1/100.
    image.predictions.erase(image.predictions.begin());
    EXPECT_DOUBLE_EQ(*evaluate_coco({image}, 1).ar_100, 1.0);
}

TEST(EvalCoco, EqualScoresKeepImageOrder) {
    // Two images, equal scores: the first image's false positive is ranked first.
    const std::vector<ImageResult> images{{{}, {prediction(0, 0.5, kLarge)}}, {{object(0, kLarge)}, {prediction(0, 0.5, kLarge)}}};
    EXPECT_DOUBLE_EQ(*evaluate_coco(images, 1).map_50, 0.5);
    const std::vector<ImageResult> swapped{images[1], images[0]};
    EXPECT_DOUBLE_EQ(*evaluate_coco(swapped, 1).map_50, 1.0);
}

TEST(EvalCoco, CategoryOutOfRangeThrows) {
    EXPECT_THROW(evaluate_coco({{{object(2, kLarge)}, {}}}, 2), std::invalid_argument);
    EXPECT_THROW(evaluate_coco({{{}, {prediction(-1, 0.5, kLarge)}}}, 2), std::invalid_argument);
}

TEST(EvalCocoOperatingPoint, BestF1AtIou50OverEveryClass) {
    const CocoBox second{200, 200, 100, 100}, third{400, 400, 100, 100}, crowd{800, 800, 100, 100};
    const auto m = evaluate_coco({{{object(0, kLarge), object(0, second), object(1, third), object(1, crowd, true)},
                                   {prediction(1, 0.95, {810, 810, 50, 50}),  // inside the crowd: ignored
                                    prediction(0, 0.9, kLarge), prediction(0, 0.8, {600, 600, 50, 50}),
                                    prediction(1, 0.7, third), prediction(0, 0.6, second),
                                    prediction(0, 0.5, {700, 0, 50, 50}), prediction(1, 0.5, {0, 700, 50, 50})}}},
                                 2);
    // Cuts: 0.9 P 1 R 1/3 · 0.8 P .5 R 1/3 · 0.7 P 2/3 R 2/3 · 0.6 P 3/4 R 1 · 0.5 P 1/2 R 1.
    ASSERT_TRUE(m.best_f1_50.has_value());
    EXPECT_DOUBLE_EQ(m.best_f1_50->min_score, 0.6);
    EXPECT_DOUBLE_EQ(m.best_f1_50->precision, 0.75);
    EXPECT_DOUBLE_EQ(m.best_f1_50->recall, 1.0);
    EXPECT_DOUBLE_EQ(m.best_f1_50->f1, 6.0 / 7.0);
}

TEST(EvalCocoOperatingPoint, EqualScoresAreNeverSplit) {
    // A TP and an FP at one score: the only cuts are above both or below both.
    const auto m = evaluate_coco({{{object(0, kLarge)}, {prediction(0, 0.5, {500, 500, 10, 10}), prediction(0, 0.5, kLarge)}}}, 1);
    ASSERT_TRUE(m.best_f1_50.has_value());
    EXPECT_DOUBLE_EQ(m.best_f1_50->precision, 0.5);
    EXPECT_DOUBLE_EQ(m.best_f1_50->recall, 1.0);
}

TEST(EvalCocoOperatingPoint, NoneWithoutGroundTruthOrDetections) {
    EXPECT_FALSE(evaluate_coco({{{}, {prediction(0, 0.9, kLarge)}}}, 1).best_f1_50.has_value());
    EXPECT_FALSE(evaluate_coco({{{object(0, kLarge)}, {}}}, 1).best_f1_50.has_value());
}
