#include "load/target_url.hpp"

#include <stdexcept>

namespace detserve::bench {

TargetUrl parse_target_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos)
        throw std::invalid_argument("'" + url + "' is not an http:// or https:// URL");
    const std::string scheme = url.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https")
        throw std::invalid_argument("unsupported scheme '" + scheme + "' in '" + url + "'");

    const auto host_begin = scheme_end + 3;
    const auto path_begin = url.find_first_of("/?", host_begin);
    const std::string host_port = url.substr(host_begin, path_begin - host_begin);
    if (host_port.empty() || host_port.front() == ':')
        throw std::invalid_argument("no host in '" + url + "'");

    std::string path = path_begin == std::string::npos ? std::string(1, '/') : url.substr(path_begin);
    if (path.front() == '?') path.insert(path.begin(), '/');
    return {url.substr(0, path_begin), std::move(path)};
}

}  // namespace detserve::bench
