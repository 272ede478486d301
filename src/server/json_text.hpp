#pragma once
// Serialising an answer that may carry client bytes (a path, a query value, a multipart field
// name): invalid UTF-8 becomes U+FFFD instead of nlohmann's type_error.316, which escaping an
// error handler would abort the process.
#include <string>

#include <nlohmann/json.hpp>

namespace detserve::server {

template <class Json>
std::string json_text(const Json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace detserve::server
