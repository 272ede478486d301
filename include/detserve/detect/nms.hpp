#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detserve/detect/detection.hpp"

namespace detserve::detect {

// Candidates considered by NMS: the highest-scored this many. At an evaluation threshold (0.001) a
// dense head gives tens of thousands of candidates; beyond the top 1000 none makes the 100 kept
// (mmdetection's nms_pre; the default model's mAP measured the same with and without it).
inline constexpr std::size_t kNmsCandidateLimit = 1000;

// Greedy non-maximum suppression: walking the candidates by score, a box is dropped when its IoU
// with a higher-scored kept box exceeds iou_threshold — a kept box of the same class_id
// (class_wise), or any kept box (agnostic). The result is sorted by score, descending; equal
// scores keep their input order. At most max_detections are returned (<= 0: no limit), from the
// best kNmsCandidateLimit candidates. Candidates with a NaN score are dropped.
std::vector<Detection> non_max_suppression(std::vector<Detection> candidates, float iou_threshold,
                                           int max_detections, NmsMode mode = NmsMode::class_wise);

// "class_wise" / "agnostic", as ModelSpec and the settings spell them.
std::string_view to_string(NmsMode mode);
std::optional<NmsMode> nms_mode_from_string(std::string_view name);

}  // namespace detserve::detect
