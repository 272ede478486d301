#pragma once
// The detections part of every native answer: [{"label","class_id","score","box":{…}}].
#include <vector>

#include <nlohmann/json.hpp>

#include "detserve/detect/detection.hpp"

namespace detserve::detect {

nlohmann::ordered_json detections_to_json(const std::vector<Detection>& detections);

}  // namespace detserve::detect
