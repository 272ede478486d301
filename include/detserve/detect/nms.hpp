#pragma once
#include <vector>

#include "detserve/detect/detection.hpp"

namespace detserve::detect {

// Greedy class-wise non-maximum suppression: a box is dropped when its IoU with a higher-scored
// kept box of the same class_id exceeds iou_threshold; boxes of different classes never suppress
// each other. The result is sorted by score, descending; equal scores keep their input order.
// At most max_detections are returned (<= 0: no limit). Candidates with a NaN score are dropped.
std::vector<Detection> non_max_suppression(std::vector<Detection> candidates, float iou_threshold,
                                           int max_detections);

}  // namespace detserve::detect
