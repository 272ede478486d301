#pragma once
// Cross-origin access for browser clients: which origins may call the API, and the preflight
// answer. Pure functions over header values; http_server.cpp applies them.
#include <optional>
#include <string>
#include <vector>

namespace detserve::server {

struct CorsPolicy {
    bool any_origin = false;           // "*"
    std::vector<std::string> origins;  // exact matches, e.g. "https://app.example"
    std::string methods;               // Access-Control-Allow-Methods
    std::string headers;               // Access-Control-Allow-Headers

    bool enabled() const { return any_origin || !origins.empty(); }
};

// `origins`: "" (CORS off), "*", or a comma-separated list. Throws std::invalid_argument on an
// entry that is not "*" and not an origin (scheme://host[:port], no path).
CorsPolicy make_cors_policy(const std::string& origins, const std::string& methods, const std::string& headers);

// The Access-Control-Allow-Origin value for a request's Origin header, or nullopt when that origin
// may not read the answer (or CORS is off, or there is no Origin).
std::optional<std::string> allowed_origin(const CorsPolicy& policy, const std::string& request_origin);

}  // namespace detserve::server
