#include "detserve/detect/recall.hpp"

#include <algorithm>
#include <numeric>

namespace detserve::detect {

RecallCount& RecallCount::operator+=(const RecallCount& other) {
    found += other.found;
    total += other.total;
    false_positives += other.false_positives;
    return *this;
}

MatchResult match_detections(const std::vector<Detection>& detections, const std::vector<GroundTruth>& truths,
                             float min_iou) {
    std::vector<std::size_t> by_score(detections.size());
    std::iota(by_score.begin(), by_score.end(), std::size_t{0});
    std::stable_sort(by_score.begin(), by_score.end(),
                     [&](std::size_t a, std::size_t b) { return detections[a].score > detections[b].score; });

    MatchResult result;
    result.detection_of_truth.assign(truths.size(), -1);
    result.count.total = truths.size();
    for (const std::size_t d : by_score) {
        const Detection& detection = detections[d];
        int best = -1;
        float best_iou = min_iou;
        for (std::size_t t = 0; t < truths.size(); ++t) {
            if (result.detection_of_truth[t] >= 0 || truths[t].class_id != detection.class_id) continue;
            const float overlap = iou(detection.box, truths[t].box);
            if (overlap >= best_iou && (best < 0 || overlap > best_iou)) {
                best = static_cast<int>(t);
                best_iou = overlap;
            }
        }
        if (best < 0) {
            ++result.count.false_positives;
            continue;
        }
        result.detection_of_truth[static_cast<std::size_t>(best)] = static_cast<int>(d);
        ++result.count.found;
    }
    return result;
}

}  // namespace detserve::detect
