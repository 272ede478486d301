#pragma once

#include <memory>
#include <string>
#include <vector>

#include "load/image_set.hpp"

namespace detserve::bench {

// A ready-to-send POST body. Built once per image before the run, so that building requests
// costs nothing while measuring.
struct HttpPayload {
    std::string body;
    std::string content_type;
};

struct RequestBuilderOptions {
    std::string field = "image";  // multipart form field (DeepStack uses "image" too)
};

// Turns an image into the body a route expects. One subclass per wire format; a KServe v2
// builder (JSON inference request) slots in beside these.
class RequestBuilder {
public:
    virtual ~RequestBuilder() = default;
    virtual HttpPayload build(const ImageFile& image) const = 0;
};

// The bytes as they are, Content-Type image/jpeg or image/png (POST /v1/detect).
class RawRequestBuilder final : public RequestBuilder {
public:
    HttpPayload build(const ImageFile& image) const override;
};

// multipart/form-data with one file field (POST /v1/vision/detection, DeepStack).
class MultipartRequestBuilder final : public RequestBuilder {
public:
    explicit MultipartRequestBuilder(std::string field);
    HttpPayload build(const ImageFile& image) const override;

private:
    std::string field_;
};

// A boundary that does not occur in `data` (RFC 2046 §5.1.1 requires that).
std::string multipart_boundary_for(const std::string& data);

// The format names --format accepts, in the order the usage text lists them.
std::vector<std::string> request_format_names();

// Throws std::invalid_argument for an unknown format name.
std::unique_ptr<RequestBuilder> make_request_builder(const std::string& format,
                                                     const RequestBuilderOptions& options);

}  // namespace detserve::bench
