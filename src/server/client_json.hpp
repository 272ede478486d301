#pragma once
// JSON sent by clients. nlohmann parses any depth iteratively, but every later copy, dump() and
// recursive walk of the document recurses once per level: 100 000 nested arrays (200 KB) overflow
// the stack. So the depth is bounded while parsing, every nlohmann exception (parse errors, and
// out_of_range for 1e309) is a 400, and a client's value is quoted short in messages.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace detserve::server {

// Arrays and objects nested deeper than this are refused; the deepest legitimate request body
// (a KServe BYTES tensor of shape [1,1,1] inside "inputs") is 5 levels deep.
inline constexpr int kMaxClientJsonDepth = 64;

// Throws ApiError 400 `code` "malformed JSON: …" (syntax, number out of range, invalid UTF-8)
// or "JSON nested deeper than 64 levels".
nlohmann::json parse_client_json(std::string_view text, const std::string& code = "malformed_json");

// A client's value for an error message: scalars as JSON (strings cut to 40 bytes, valid UTF-8),
// arrays and objects by their kind and size, never serialised whole.
std::string describe_client_value(const nlohmann::json& value);

}  // namespace detserve::server
