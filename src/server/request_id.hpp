#pragma once
#include <string>

namespace detserve::server {

// The client's X-Request-Id when it is a sane token (1-128 visible ASCII characters), else a new
// random 16-hex-digit id.
std::string request_id(const std::string& from_client);

}  // namespace detserve::server
