// Reading a /v1/detect request (src/server/detect_request.cpp): the image bytes from the body by
// its Content-Type, and the query options (threshold, max_detections, classes).
// Input: the first line is the query string ("threshold=0.5&classes=dog,7"), decoded as
// cpp-httplib decodes it; the second line is the Content-Type header; the rest is the body.
// (Multipart bodies are parsed by cpp-httplib before our code sees them: the http_request target
// sends them through the whole server.)
#include <httplib.h>

#include "detect_request.hpp"
#include "detserve/detect/label_map.hpp"
#include "fuzz_targets.hpp"
#include "input_split.hpp"

namespace detserve::fuzz {

int fuzz_detect_request(const std::uint8_t* data, std::size_t size) {
    const auto [query, after_query] = split_first_line({reinterpret_cast<const char*>(data), size});
    const auto [content_type, body] = split_first_line(after_query);
    httplib::Request request;
    request.method = "POST";
    request.path = "/v1/detect";
    httplib::detail::parse_query_text(std::string(query), request.params);
    if (!content_type.empty()) request.set_header("Content-Type", std::string(content_type));
    request.body = body;
    static const detect::LabelMap labels = detect::LabelMap::coco80();
    try {
        server::options_from_query(request, detect::DecodeOptions{}, labels, {"annotate"});
        server::images_from_request(request, "image", 16);
    } catch (const server::ApiError&) {
    }
    return 0;
}

}  // namespace detserve::fuzz
