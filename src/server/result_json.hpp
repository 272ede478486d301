#pragma once
#include <nlohmann/json.hpp>

#include "detserve/pipeline/request.hpp"

namespace detserve::server {

// {"image":{"width","height"},"detections":[…],"timing_ms":{…},"batch_size":n} for one image.
nlohmann::ordered_json result_to_json(const pipeline::DetectResult& result);

}  // namespace detserve::server
