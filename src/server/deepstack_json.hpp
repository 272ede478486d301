#pragma once
// The DeepStack / CodeProject.AI detection answer, as their clients read it (Frigate's deepstack
// detector, Home Assistant's deepstack_object and codeproject_ai_object integrations).
#include <string>

#include <nlohmann/json.hpp>

#include "detserve/pipeline/request.hpp"

namespace detserve::server::deepstack {

// [{"label","confidence","x_min","y_min","x_max","y_max"}], most confident first: Frigate stops
// reading at the first prediction under its threshold. Corners are integer pixels, rounded to the
// nearest and clamped to the image.
nlohmann::ordered_json predictions_json(const pipeline::DetectResult& result);

// {"success":true,"message","predictions","count","inferenceMs","processMs","analysisRoundTripMs",
//  "duration","command","moduleId","requestId","code":200}; times in whole milliseconds.
nlohmann::ordered_json detection_answer(const pipeline::DetectResult& result, const std::string& command,
                                        const std::string& request_id, double round_trip_ms);

}  // namespace detserve::server::deepstack
