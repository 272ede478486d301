#pragma once
// Reading a /v1/detect request: the images (raw image/* body or multipart `image` fields) and the
// query options, each problem as an ApiError with the status it deserves.
#include <string>
#include <vector>

#include <httplib.h>

#include "detserve/detect/label_map.hpp"
#include "detserve/pipeline/request.hpp"
#include "detserve/server/api_error.hpp"

namespace detserve::server {

// Raw bodies: Content-Type image/jpeg, image/png or application/octet-stream (the image header
// decides). Multipart: every field named `field`, in order; other fields are ignored.
std::vector<pipeline::ImageBytes> images_from_request(const httplib::Request& request, const std::string& field,
                                                      int max_images);

// threshold, max_detections, classes (labels or class ids, comma-separated); any other query
// parameter is refused, so that a misspelt option never goes unnoticed. `extra` names parameters
// a route handles itself.
pipeline::RequestOptions options_from_query(const httplib::Request& request, const detect::DecodeOptions& defaults,
                                            const detect::LabelMap& labels,
                                            const std::vector<std::string>& extra = {});

// Parses "0.5" strictly (the whole text, finite, within [min, max]); ApiError 400 naming `name`.
double parse_number_param(const std::string& name, const std::string& text, double min, double max);

}  // namespace detserve::server
