#pragma once

#include <string>

namespace detserve::bench {

// "http://127.0.0.1:8080/v1/detect" split the way httplib::Client wants it.
struct TargetUrl {
    std::string origin;  // "http://127.0.0.1:8080" (scheme, host, optional port)
    std::string path;    // "/v1/detect" (with any query string), "/" when absent
};

// Throws std::invalid_argument naming what is wrong (scheme, missing host).
TargetUrl parse_target_url(const std::string& url);

}  // namespace detserve::bench
