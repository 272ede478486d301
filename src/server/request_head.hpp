#pragma once
// The request line and headers, checked as they arrive and before cpp-httplib parses them
// (internal to server/). cpp-httplib 0.11 buffers a line without bound, takes the first of two
// differing Content-Length headers, skip-reads a body declared over the limit and inflates
// compressed bodies whole; these checks answer such requests before any body byte is read.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace detserve::server {

// cpp-httplib's own limit on the request line (CPPHTTPLIB_REQUEST_URI_MAX_LENGTH) and on one
// header line (CPPHTTPLIB_HEADER_MAX_LENGTH), both 8192 in 0.11.
inline constexpr std::size_t kMaxRequestLineBytes = 8192;
inline constexpr std::size_t kMaxHeaderLineBytes = 8192;

struct HeadLimits {
    std::size_t max_header_bytes = 64 * 1024;  // request line + headers + blank line
    std::int64_t max_body_bytes = 32 * 1024 * 1024;
    bool allow_compressed_bodies = false;
};

// Why a request is answered without being read further; the connection is closed after it.
struct HeadProblem {
    int status = 400;
    std::string code;
    std::string message;
};

// What the connection needs to know about an acceptable head.
struct HeadSummary {
    bool has_body = false;          // a Content-Length > 0 or chunked framing
    bool body_read_by_server = true;  // false: cpp-httplib ignores bodies on this method (GET…)
};

// The offset just past the blank line that ends the head in `buffer` (CRLF CRLF, or bare LF LF as
// cpp-httplib accepts), or nullopt while it has not arrived.
std::optional<std::size_t> find_head_end(std::string_view buffer);

// A head that has not ended within `limits.max_header_bytes`: 414 when the request line alone is
// too long, 431 otherwise.
HeadProblem oversized_head(std::string_view partial, const HeadLimits& limits);

// Checks a complete head (`head` ends with its blank line): line lengths, Content-Length (digits
// only; duplicates must agree; not over max_body_bytes), Transfer-Encoding (chunked only, never
// with Content-Length), Content-Encoding (only when allowed).
std::optional<HeadProblem> check_request_head(std::string_view head, const HeadLimits& limits,
                                              HeadSummary* summary = nullptr);

// The path of the request line (the target up to '?'), for the error shape of an early answer;
// empty when there is none.
std::string request_path(std::string_view head);

}  // namespace detserve::server
