#include "detserve/detect/nms.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>

namespace detserve::detect {

std::vector<Detection> non_max_suppression(std::vector<Detection> candidates, float iou_threshold,
                                           int max_detections, NmsMode mode) {
    std::vector<std::size_t> order;
    order.reserve(candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i)
        if (!std::isnan(candidates[i].score)) order.push_back(i);
    // By score, ties by input order: the same prefix a stable sort gives, without sorting the rest.
    const std::size_t considered = std::min(order.size(), kNmsCandidateLimit);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(considered), order.end(),
                      [&](std::size_t a, std::size_t b) {
                          return candidates[a].score > candidates[b].score ||
                                 (candidates[a].score == candidates[b].score && a < b);
                      });
    order.resize(considered);

    const std::size_t limit = max_detections > 0 ? static_cast<std::size_t>(max_detections) : order.size();
    // Walking the sorted list once is the same as greedy NMS run per class: whether a candidate
    // survives depends only on the higher-scored boxes already kept in its group.
    std::unordered_map<int, std::vector<Box>> kept_by_group;
    std::vector<Detection> kept;
    for (const std::size_t index : order) {
        if (kept.size() >= limit) break;
        Detection& candidate = candidates[index];
        auto& group = kept_by_group[mode == NmsMode::agnostic ? 0 : candidate.class_id];
        const bool suppressed = std::any_of(group.begin(), group.end(), [&](const Box& k) {
            return iou(k, candidate.box) > iou_threshold;
        });
        if (suppressed) continue;
        group.push_back(candidate.box);
        kept.push_back(std::move(candidate));
    }
    return kept;
}

std::string_view to_string(NmsMode mode) { return mode == NmsMode::agnostic ? "agnostic" : "class_wise"; }

std::optional<NmsMode> nms_mode_from_string(std::string_view name) {
    if (name == "class_wise") return NmsMode::class_wise;
    if (name == "agnostic") return NmsMode::agnostic;
    return std::nullopt;
}

}  // namespace detserve::detect
