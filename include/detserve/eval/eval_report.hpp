#pragma once
// The results of an evaluation as `detserve eval` prints them: a table for people, json for scripts.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detserve/eval/coco_evaluator.hpp"
#include "detserve/eval/dataset.hpp"

namespace detserve::eval {

// {"map_50_95", "map_50", "map_75", "map_small", "map_medium", "map_large", "ar_100",
//  "best_f1_50": {"min_score", "precision", "recall", "f1"},
//  "per_class_ap50": {label: AP}, "per_class": {label: {"ap", "ap_50", "ap_75", "ar_100", "objects"}},
//  "images", "images_per_s"}; null where COCOeval reports -1 (nothing to measure against).
nlohmann::ordered_json metrics_json(const CocoMetrics& metrics, const std::vector<DatasetCategory>& categories, int images,
                                    std::optional<double> images_per_s);

// The summary lines and one line per category (AP@.50, AP@[.50:.95], objects).
std::string metrics_table(const CocoMetrics& metrics, const std::vector<DatasetCategory>& categories);

}  // namespace detserve::eval
