#include "detserve/detect/nms.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <unordered_map>
#include <utility>

namespace detserve::detect {

std::vector<Detection> non_max_suppression(std::vector<Detection> candidates, float iou_threshold,
                                           int max_detections) {
    std::erase_if(candidates, [](const Detection& d) { return std::isnan(d.score); });
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Detection& a, const Detection& b) { return a.score > b.score; });

    const std::size_t limit = max_detections > 0 ? static_cast<std::size_t>(max_detections)
                                                  : candidates.size();
    // Walking the sorted list once is the same as greedy NMS run per class: whether a candidate
    // survives depends only on the higher-scored boxes already kept in its own class.
    std::unordered_map<int, std::vector<Box>> kept_by_class;
    std::vector<Detection> kept;
    for (auto& candidate : candidates) {
        if (kept.size() >= limit) break;
        auto& same_class = kept_by_class[candidate.class_id];
        const bool suppressed = std::any_of(same_class.begin(), same_class.end(), [&](const Box& k) {
            return iou(k, candidate.box) > iou_threshold;
        });
        if (suppressed) continue;
        same_class.push_back(candidate.box);
        kept.push_back(std::move(candidate));
    }
    return kept;
}

}  // namespace detserve::detect
