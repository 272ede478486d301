#pragma once
// The `models` setting of `detserve serve` (internal to app/): a list of models, each served under
// its name with its own pipeline, as the config file gives it (a JSON array of objects) or as a
// flag or environment variable does (the same JSON, or NAME=PATH[,NAME=PATH…]).
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "detserve/app/serve_config.hpp"

namespace detserve::app {

// A bad entry: `key_path` says where in the list ("[1].streams"), what() what is wrong.
class ModelListError : public std::runtime_error {
public:
    ModelListError(std::string key_path, const std::string& message)
        : std::runtime_error(message), key_path_(std::move(key_path)) {}
    const std::string& key_path() const { return key_path_; }

private:
    std::string key_path_;
};

// Throws ModelListError: unknown keys, wrong types, out-of-range values, missing name or path,
// names that are not URL-safe, duplicate names.
std::vector<ModelSetting> parse_model_list(const nlohmann::ordered_json& list);
// A JSON array (text starting with '['), else NAME=PATH[,NAME=PATH…].
std::vector<ModelSetting> parse_model_list_text(std::string_view text);

// The list as the config file holds it: only the keys an entry sets.
nlohmann::ordered_json model_list_json(const std::vector<ModelSetting>& models);

// Letters, digits, '.', '_' and '-', not starting with '.': a model's name is a URL path segment.
bool is_model_name(std::string_view name);

// Names that appear twice in `models` (after the one-model and repository entries are added).
void check_unique_names(const std::vector<ModelSetting>& models);

}  // namespace detserve::app
