#include "detserve/server/api_error.hpp"

#include <nlohmann/json.hpp>

#include "json_text.hpp"

namespace detserve::server {

std::string error_body(const std::string& code, const std::string& message) {
    nlohmann::ordered_json body;
    body["error"] = {{"code", code}, {"message", message}};
    return json_text(body);  // the message may quote a path or a value from the client
}

int status_for(const pipeline::Failure& failure) {
    switch (failure.kind) {
        case pipeline::FailureKind::bad_image:
            if (failure.code == "image_too_large") return 413;
            if (failure.code == "unsupported_format") return 415;
            return 400;
        case pipeline::FailureKind::timeout: return 504;
        case pipeline::FailureKind::cancelled: return failure.code == "shutting_down" ? 503 : 499;
        case pipeline::FailureKind::internal: return 500;
    }
    return 500;
}

}  // namespace detserve::server
