#include "request_body.hpp"

namespace detserve::server {

BodyRead read_request_body(const httplib::ContentReader& reader, bool multipart, const BodyLimits& limits,
                           std::string& body, httplib::MultipartFormDataMap& files) {
    std::uint64_t received = 0;
    bool too_large = false;
    auto count = [&](std::size_t n) {
        received += n;
        too_large = received > limits.max_bytes;
        return !too_large;
    };
    bool read = false;
    if (multipart) {
        httplib::MultipartFormData* part = nullptr;
        read = reader(
            [&](const httplib::MultipartFormData& header) {
                if (files.size() >= limits.max_parts) {
                    too_large = true;
                    return false;
                }
                part = &files.emplace(header.name, header)->second;
                return true;
            },
            [&](const char* data, std::size_t n) {
                if (!count(n)) return false;
                if (part) part->content.append(data, n);
                return true;
            });
    } else {
        read = reader([&](const char* data, std::size_t n) {
            if (!count(n)) return false;
            body.append(data, n);
            return true;
        });
    }
    if (too_large) return BodyRead::too_large;
    return read ? BodyRead::complete : BodyRead::unreadable;
}

}  // namespace detserve::server
