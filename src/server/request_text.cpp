#include "request_text.hpp"

#include <cstdint>

#include "detserve/server/api_error.hpp"

namespace detserve::server {

bool is_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<std::uint8_t>(text[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        std::uint8_t low = 0x80, high = 0xbf;  // the range of the byte after the lead (RFC 3629 §4)
        if (lead >= 0xc2 && lead <= 0xdf) length = 2;
        else if (lead == 0xe0) length = 3, low = 0xa0;
        else if (lead == 0xed) length = 3, high = 0x9f;  // no UTF-16 surrogates
        else if (lead >= 0xe1 && lead <= 0xef) length = 3;
        else if (lead == 0xf0) length = 4, low = 0x90;
        else if (lead >= 0xf1 && lead <= 0xf3) length = 4;
        else if (lead == 0xf4) length = 4, high = 0x8f;  // nothing above U+10FFFF
        else return false;
        if (i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto byte = static_cast<std::uint8_t>(text[i + k]);
            if (k == 1 ? (byte < low || byte > high) : (byte < 0x80 || byte > 0xbf)) return false;
        }
        i += length;
    }
    return true;
}

void require_utf8_request(const httplib::Request& request) {
    for (std::size_t i = 1; i < request.matches.size(); ++i)
        if (request.matches[i].matched && !is_utf8(request.matches[i].str()))
            throw ApiError(400, "invalid_path",
                           "path parameter " + std::to_string(i) + " of " + request.path + " is not valid UTF-8");
    for (const auto& [name, value] : request.params) {
        if (!is_utf8(name)) throw ApiError(400, "invalid_parameter", "a query parameter's name is not valid UTF-8");
        if (!is_utf8(value))
            throw ApiError(400, "invalid_parameter", "query parameter '" + name + "' is not valid UTF-8");
    }
}

}  // namespace detserve::server
