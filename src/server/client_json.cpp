#include "client_json.hpp"

#include "detserve/server/api_error.hpp"
#include "json_text.hpp"

namespace detserve::server {
namespace {

constexpr std::size_t kQuotedStringChars = 40;

// Thrown from the parser callback, which nlohmann lets through unchanged.
struct TooDeep {};

// "[json.exception.parse_error.101] parse error at …" -> "parse error at …".
std::string without_exception_id(std::string message) {
    if (const auto bracket = message.find("] "); !message.empty() && message.front() == '[' &&
                                                 bracket != std::string::npos)
        message.erase(0, bracket + 2);
    return message;
}

}  // namespace

nlohmann::json parse_client_json(std::string_view text, const std::string& code) {
    // `depth` is the number of arrays/objects around the one starting.
    const nlohmann::json::parser_callback_t bound_depth = [](int depth, nlohmann::json::parse_event_t event,
                                                              nlohmann::json&) {
        if ((event == nlohmann::json::parse_event_t::array_start ||
             event == nlohmann::json::parse_event_t::object_start) &&
            depth >= kMaxClientJsonDepth)
            throw TooDeep{};
        return true;
    };
    try {
        return nlohmann::json::parse(text, bound_depth);
    } catch (const TooDeep&) {
        throw ApiError(400, code,
                       "malformed JSON: arrays and objects nested deeper than " + std::to_string(kMaxClientJsonDepth) +
                           " levels are not accepted");
    } catch (const nlohmann::json::exception& e) {
        throw ApiError(400, code, "malformed JSON: " + without_exception_id(e.what()));
    }
}

std::string describe_client_value(const nlohmann::json& value) {
    if (value.is_array()) return "an array of size " + std::to_string(value.size());
    if (value.is_object()) return "an object of size " + std::to_string(value.size());
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (text.size() <= kQuotedStringChars) return json_text(value);
        // Cutting may split a UTF-8 sequence: json_text replaces the broken tail with U+FFFD.
        return json_text(nlohmann::json(text.substr(0, kQuotedStringChars))) + "… (" + std::to_string(text.size()) +
               " bytes)";
    }
    return json_text(value);
}

}  // namespace detserve::server
