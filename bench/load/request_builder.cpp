#include "load/request_builder.hpp"

#include <functional>
#include <stdexcept>

namespace detserve::bench {
namespace {

using BuilderFactory = std::function<std::unique_ptr<RequestBuilder>(const RequestBuilderOptions&)>;

struct RequestFormat {
    const char* name;
    BuilderFactory make;
};

// Adding a wire format (KServe v2 JSON next) is one builder class and one row here.
const std::vector<RequestFormat>& request_formats() {
    static const std::vector<RequestFormat> formats{
        {"raw", [](const RequestBuilderOptions&) { return std::make_unique<RawRequestBuilder>(); }},
        {"multipart",
         [](const RequestBuilderOptions& o) { return std::make_unique<MultipartRequestBuilder>(o.field); }},
    };
    return formats;
}

// A file name cannot carry a quote or a line break inside the quoted Content-Disposition value.
std::string header_safe_file_name(std::string name) {
    for (char& c : name)
        if (c == '"' || c == '\r' || c == '\n') c = '_';
    return name;
}

}  // namespace

HttpPayload RawRequestBuilder::build(const ImageFile& image) const {
    return {image.bytes, image.content_type};
}

MultipartRequestBuilder::MultipartRequestBuilder(std::string field) : field_(std::move(field)) {}

HttpPayload MultipartRequestBuilder::build(const ImageFile& image) const {
    const std::string boundary = multipart_boundary_for(image.bytes);
    HttpPayload payload;
    payload.content_type = "multipart/form-data; boundary=" + boundary;
    payload.body.reserve(image.bytes.size() + 256);
    payload.body += "--" + boundary + "\r\n";
    payload.body += "Content-Disposition: form-data; name=\"" + field_ + "\"; filename=\"" +
                    header_safe_file_name(image.name) + "\"\r\n";
    payload.body += "Content-Type: " + image.content_type + "\r\n\r\n";
    payload.body += image.bytes;
    payload.body += "\r\n--" + boundary + "--\r\n";
    return payload;
}

std::string multipart_boundary_for(const std::string& data) {
    for (unsigned attempt = 0;; ++attempt) {
        std::string boundary = "detserve-bench-boundary-" + std::to_string(attempt);
        if (data.find(boundary) == std::string::npos) return boundary;
    }
}

std::vector<std::string> request_format_names() {
    std::vector<std::string> names;
    for (const auto& f : request_formats()) names.emplace_back(f.name);
    return names;
}

std::unique_ptr<RequestBuilder> make_request_builder(const std::string& format,
                                                     const RequestBuilderOptions& options) {
    for (const auto& f : request_formats())
        if (format == f.name) return f.make(options);
    std::string known;
    for (const auto& name : request_format_names()) {
        if (!known.empty()) known += ", ";
        known += name;
    }
    throw std::invalid_argument("unknown request format '" + format + "' (known: " + known + ")");
}

}  // namespace detserve::bench
