#pragma once
// How many ground-truth objects a detector found: detections matched to ground truth greedily by
// score, as COCO's evaluation matches them (a detection takes the best-overlapping unmatched
// ground truth of its class; higher scores choose first).
#include <cstddef>
#include <vector>

#include "detserve/detect/detection.hpp"

namespace detserve::detect {

struct GroundTruth {
    int class_id = -1;
    Box box;  // original-image pixels
};

// The matching threshold the PASCAL VOC metric and COCO's AP50 use.
inline constexpr float kRecallIou = 0.5f;

struct RecallCount {
    std::size_t found = 0;  // ground truths matched by a detection
    std::size_t total = 0;  // ground truths
    std::size_t false_positives = 0;  // detections that matched nothing

    double recall() const { return total ? static_cast<double>(found) / static_cast<double>(total) : 1.0; }
    RecallCount& operator+=(const RecallCount& other);
};

struct MatchResult {
    // Per ground truth, in input order: the index of the detection that found it, or -1.
    std::vector<int> detection_of_truth;
    RecallCount count;
};

// Detections are visited by score, descending (ties in input order). Each takes the unmatched
// ground truth of the same class_id with the highest IoU, when that IoU is >= min_iou; a
// detection that takes none is a false positive.
MatchResult match_detections(const std::vector<Detection>& detections, const std::vector<GroundTruth>& truths,
                             float min_iou = kRecallIou);

}  // namespace detserve::detect
