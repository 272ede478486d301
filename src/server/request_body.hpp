#pragma once
// A POST body read through cpp-httplib's content reader (internal to server/), counted as it
// arrives — after inflating, when compressed bodies are allowed — so that no framing (chunked,
// compressed, many parts) gets past max_body_bytes. Multipart parts land in `files`, the rest in
// `body`, as cpp-httplib would have filled them.
#include <cstddef>
#include <cstdint>

#include <httplib.h>

namespace detserve::server {

enum class BodyRead {
    complete,
    too_large,     // over max_bytes (or max_parts): the rest is unread
    unreadable,    // cpp-httplib could not read it (bad chunk, bad multipart, timeout, hang-up)
};

struct BodyLimits {
    std::uint64_t max_bytes = 0;
    std::size_t max_parts = 1024;
};

BodyRead read_request_body(const httplib::ContentReader& reader, bool multipart, const BodyLimits& limits,
                           std::string& body, httplib::MultipartFormDataMap& files);

}  // namespace detserve::server
