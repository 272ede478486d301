#pragma once
// Query values and path parameters arrive percent-decoded, as any bytes: a route that reads them
// first checks they are UTF-8, so that a bad byte is the client's 400 rather than an error deep
// inside (a label lookup, a JSON answer).
#include <string_view>

#include <httplib.h>

namespace detserve::server {

// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
bool is_utf8(std::string_view text);

// Every query parameter's name and value and every path parameter (the route regex's groups);
// throws ApiError 400 ("invalid_parameter" / "invalid_path") naming the one that is not UTF-8.
void require_utf8_request(const httplib::Request& request);

}  // namespace detserve::server
