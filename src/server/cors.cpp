#include "cors.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace detserve::server {
namespace {

std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool looks_like_origin(const std::string& origin) {
    const auto scheme_end = origin.find("://");
    if (scheme_end == std::string::npos || scheme_end == 0) return false;
    const std::string rest = origin.substr(scheme_end + 3);
    return !rest.empty() && rest.find('/') == std::string::npos;
}

}  // namespace

CorsPolicy make_cors_policy(const std::string& origins, const std::string& methods, const std::string& headers) {
    CorsPolicy policy;
    policy.methods = methods;
    policy.headers = headers;
    std::stringstream list(origins);
    for (std::string item; std::getline(list, item, ',');) {
        item = trim(item);
        while (item.size() > 1 && item.back() == '/') item.pop_back();  // "https://a.example/" is that origin
        if (item.empty()) continue;
        if (item == "*") {
            policy.any_origin = true;
        } else if (looks_like_origin(item)) {
            policy.origins.push_back(item);
        } else {
            throw std::invalid_argument("cors_allowed_origins: '" + item +
                                        "' is not an origin (scheme://host[:port]) nor *");
        }
    }
    return policy;
}

std::optional<std::string> allowed_origin(const CorsPolicy& policy, const std::string& request_origin) {
    if (!policy.enabled() || request_origin.empty()) return std::nullopt;
    if (policy.any_origin) return std::string("*");
    if (std::find(policy.origins.begin(), policy.origins.end(), request_origin) != policy.origins.end())
        return request_origin;
    return std::nullopt;
}

}  // namespace detserve::server
