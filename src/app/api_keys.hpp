#pragma once
// The API keys `serve` accepts (internal to app/): the api_keys setting (comma-separated) and the
// lines of api_keys_file. Messages name the setting, the file and the line, never a key.
#include <string>
#include <string_view>
#include <vector>

#include "detserve/app/serve_config.hpp"

namespace detserve::app {

// At most this long, as the server compares keys over a fixed length.
constexpr std::size_t kMaxApiKeyBytes = 256;

// The keys of "k1, k2": trimmed, empty items skipped. Throws std::invalid_argument naming the
// item's position when a key is longer than kMaxApiKeyBytes or holds a byte outside printable
// ASCII without spaces (it could not be sent as "Authorization: Bearer KEY").
std::vector<std::string> split_api_keys(std::string_view comma_separated);

// One key per line; blank lines and lines starting with # are skipped. Throws ConfigError naming
// the file when it cannot be read or holds no key, and the line when a key is not valid.
std::vector<std::string> read_api_keys_file(const std::string& path);

// config.api_keys and then the keys of config.api_keys_file (when set). Throws ConfigError.
std::vector<std::string> api_keys(const ServeConfig& config);

}  // namespace detserve::app
