#pragma once
#include <string_view>

namespace detserve::server {

// docs/openapi.json, compiled in: what GET /openapi.json answers.
std::string_view openapi_document();

}  // namespace detserve::server
