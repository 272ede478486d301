#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "detserve/detect/nms.hpp"

using namespace detserve::detect;

namespace {
Detection make(int class_id, float score, Box box, std::string label = {}) {
    return {class_id, std::move(label), score, box};
}
}  // namespace

TEST(DetectNms, OverlappingSameClassIsSuppressed) {
    auto out = non_max_suppression({make(0, 0.6f, {1, 1, 11, 11}), make(0, 0.9f, {0, 0, 10, 10})},
                                   0.5f, 100);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FLOAT_EQ(out[0].score, 0.9f);
    EXPECT_FLOAT_EQ(out[0].box.x_min, 0);
}

TEST(DetectNms, DifferentClassesNeverSuppressEachOther) {
    auto out = non_max_suppression({make(0, 0.9f, {0, 0, 10, 10}), make(1, 0.8f, {0, 0, 10, 10})},
                                   0.5f, 100);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].class_id, 0);
    EXPECT_EQ(out[1].class_id, 1);
}

TEST(DetectNms, OverlapBelowThresholdIsKept) {
    // IoU 1/3 against a 0.5 threshold.
    auto out = non_max_suppression({make(0, 0.9f, {0, 0, 10, 10}), make(0, 0.8f, {5, 0, 15, 10})},
                                   0.5f, 100);
    EXPECT_EQ(out.size(), 2u);
    // The same pair at a stricter threshold loses the lower box.
    out = non_max_suppression({make(0, 0.9f, {0, 0, 10, 10}), make(0, 0.8f, {5, 0, 15, 10})},
                              0.3f, 100);
    EXPECT_EQ(out.size(), 1u);
}

TEST(DetectNms, SuppressedBoxDoesNotSuppressOthers) {
    // B overlaps A and C; A and C do not overlap. Greedy NMS keeps A and C.
    const Box a{0, 0, 10, 10}, b{4, 0, 14, 10}, c{8, 0, 18, 10};
    auto out = non_max_suppression({make(0, 0.7f, c), make(0, 0.9f, a), make(0, 0.8f, b)}, 0.3f, 0);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_FLOAT_EQ(out[0].box.x_min, 0);
    EXPECT_FLOAT_EQ(out[1].box.x_min, 8);
}

TEST(DetectNms, SortedByScoreDescendingAndStableForTies) {
    std::vector<Detection> in;
    in.push_back(make(0, 0.5f, {0, 0, 1, 1}, "first_tie"));
    in.push_back(make(1, 0.9f, {10, 10, 11, 11}, "top"));
    in.push_back(make(2, 0.5f, {20, 20, 21, 21}, "second_tie"));
    in.push_back(make(3, 0.7f, {30, 30, 31, 31}, "middle"));
    in.push_back(make(4, 0.5f, {40, 40, 41, 41}, "third_tie"));
    auto out = non_max_suppression(in, 0.5f, 0);
    ASSERT_EQ(out.size(), 5u);
    EXPECT_EQ(out[0].label, "top");
    EXPECT_EQ(out[1].label, "middle");
    EXPECT_EQ(out[2].label, "first_tie");
    EXPECT_EQ(out[3].label, "second_tie");
    EXPECT_EQ(out[4].label, "third_tie");
}

TEST(DetectNms, ManyTiesKeepInputOrder) {
    // Enough elements that an unstable sort would reorder ties.
    std::vector<Detection> in;
    for (int i = 0; i < 200; ++i)
        in.push_back(make(i, 0.1f * static_cast<float>(i % 3), {0, 0, 1, 1}));
    auto out = non_max_suppression(in, 0.5f, 0);
    ASSERT_EQ(out.size(), in.size());
    for (std::size_t i = 1; i < out.size(); ++i) {
        ASSERT_GE(out[i - 1].score, out[i].score);
        if (out[i - 1].score == out[i].score) {
            ASSERT_LT(out[i - 1].class_id, out[i].class_id);
        }
    }
}

TEST(DetectNms, MaxDetectionsKeepsTheBest) {
    std::vector<Detection> in;
    for (int i = 0; i < 10; ++i)
        in.push_back(make(i, 0.1f * static_cast<float>(i), {0, 0, 10, 10}));
    auto out = non_max_suppression(in, 0.5f, 3);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].class_id, 9);
    EXPECT_EQ(out[1].class_id, 8);
    EXPECT_EQ(out[2].class_id, 7);
}

TEST(DetectNms, NonPositiveMaxDetectionsMeansNoLimit) {
    std::vector<Detection> in;
    for (int i = 0; i < 250; ++i)
        in.push_back(make(0, 0.5f, {20.0f * static_cast<float>(i), 0,
                                    20.0f * static_cast<float>(i) + 10, 10}));
    EXPECT_EQ(non_max_suppression(in, 0.5f, 0).size(), 250u);
    EXPECT_EQ(non_max_suppression(in, 0.5f, -1).size(), 250u);
}

TEST(DetectNms, SuppressedBoxesDoNotCountTowardsTheLimit) {
    auto out = non_max_suppression({make(0, 0.9f, {0, 0, 10, 10}), make(0, 0.8f, {0, 0, 10, 10}),
                                    make(0, 0.7f, {50, 50, 60, 60})},
                                   0.5f, 2);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_FLOAT_EQ(out[1].score, 0.7f);
}

TEST(DetectNms, NanScoresAreDropped) {
    auto out = non_max_suppression({make(0, std::numeric_limits<float>::quiet_NaN(), {0, 0, 10, 10}),
                                    make(0, 0.4f, {0, 0, 10, 10})},
                                   0.5f, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FLOAT_EQ(out[0].score, 0.4f);
}

TEST(DetectNms, EmptyInput) { EXPECT_TRUE(non_max_suppression({}, 0.5f, 10).empty()); }

TEST(DetectNms, AgnosticSuppressesAcrossClasses) {
    // The same box scored as dog and as cat: class-wise keeps both labels, agnostic only the better.
    const std::vector<Detection> in{make(16, 0.8f, {0, 0, 10, 10}), make(15, 0.4f, {0, 0, 10, 10}),
                                    make(15, 0.3f, {50, 50, 60, 60})};
    EXPECT_EQ(non_max_suppression(in, 0.5f, 0, NmsMode::class_wise).size(), 3u);
    const auto out = non_max_suppression(in, 0.5f, 0, NmsMode::agnostic);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].class_id, 16);
    EXPECT_FLOAT_EQ(out[1].score, 0.3f);  // a cat elsewhere is not suppressed
}

TEST(DetectNms, OnlyTheBestCandidatesAreConsidered) {
    // Disjoint boxes, none suppressed: what comes back is the candidate limit's best scores, ties
    // at the cut in input order.
    std::vector<Detection> in;
    for (int i = 0; i < 3000; ++i)
        in.push_back(make(i, i < 500 ? 0.9f : 0.5f, {20.0f * static_cast<float>(i), 0, 20.0f * static_cast<float>(i) + 10, 10}));
    const auto out = non_max_suppression(in, 0.5f, 0);
    ASSERT_EQ(out.size(), kNmsCandidateLimit);
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].class_id, static_cast<int>(i)) << i;
}

TEST(DetectNms, ModeNamesRoundTrip) {
    for (const NmsMode mode : {NmsMode::class_wise, NmsMode::agnostic})
        EXPECT_EQ(nms_mode_from_string(to_string(mode)), mode);
    EXPECT_FALSE(nms_mode_from_string("classwise").has_value());
}
