#include "api_keys.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace detserve::app {
namespace {

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// Why `key` cannot be a key, or "" when it can.
std::string key_problem(std::string_view key) {
    if (key.size() > kMaxApiKeyBytes) return "is longer than " + std::to_string(kMaxApiKeyBytes) + " bytes";
    for (const char c : key) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x21 || byte > 0x7e)
            return "holds a space, a control character or a non-ASCII byte (keys are printable ASCII)";
    }
    return "";
}

}  // namespace

std::vector<std::string> split_api_keys(std::string_view comma_separated) {
    std::vector<std::string> keys;
    std::size_t position = 0;
    while (true) {
        const auto comma = comma_separated.find(',');
        const auto key = trimmed(comma_separated.substr(0, comma));
        ++position;
        if (!key.empty()) {
            if (const auto problem = key_problem(key); !problem.empty())
                throw std::invalid_argument("key " + std::to_string(position) + " " + problem);
            keys.emplace_back(key);
        }
        if (comma == std::string_view::npos) break;
        comma_separated.remove_prefix(comma + 1);
    }
    return keys;
}

std::vector<std::string> read_api_keys_file(const std::string& path) {
    const std::string where = "api_keys_file " + path;
    if (std::filesystem::is_directory(path)) throw ConfigError(where + ": is a directory, not a file of keys");
    std::ifstream in(path);
    if (!in) throw ConfigError(where + ": cannot open: " + std::strerror(errno));
    std::vector<std::string> keys;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const auto key = trimmed(line);
        if (key.empty() || key.front() == '#') continue;
        if (const auto problem = key_problem(key); !problem.empty())
            throw ConfigError(where + ": line " + std::to_string(number) + ": the key " + problem);
        keys.emplace_back(key);
    }
    if (in.bad()) throw ConfigError(where + ": cannot read: " + std::strerror(errno));
    if (keys.empty()) throw ConfigError(where + ": holds no key (one per line; # starts a comment)");
    return keys;
}

std::vector<std::string> api_keys(const ServeConfig& config) {
    std::vector<std::string> keys;
    try {
        keys = split_api_keys(config.api_keys);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(std::string("api_keys: ") + e.what());
    }
    if (!config.api_keys_file.empty())
        for (auto& key : read_api_keys_file(config.api_keys_file)) keys.push_back(std::move(key));
    return keys;
}

}  // namespace detserve::app
