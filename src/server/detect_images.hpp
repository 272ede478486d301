#pragma once
// Runs a request's images through the pipeline, for every route that detects (native, DeepStack,
// KServe): admission against max_in_flight, the request deadline, and the first failure as an
// ApiError (503 overloaded, 504 deadline_exceeded, or the image's own 4xx/5xx).
#include <vector>

#include "detserve/pipeline/request.hpp"
#include "server_context.hpp"

namespace detserve::server {

std::vector<pipeline::DetectResult> detect_images(ServerContext& context, const ServingModel& serving,
                                                  std::vector<pipeline::ImageBytes> images,
                                                  const pipeline::RequestOptions& options,
                                                  pipeline::Clock::time_point request_start);

}  // namespace detserve::server
