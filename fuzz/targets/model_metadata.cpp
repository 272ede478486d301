// What a model's own files say about it, as load_model reads them: Ultralytics' metadata.yaml
// (app/metadata_yaml.cpp) and rt_info/model_info entries (detect::model_info_field), assembled into
// a ModelSpec field by field (app/model_spec_sources.cpp) over fixed output shapes.
// Input: the metadata.yaml text up to the first NUL; after it, NUL-separated "key=value" words,
// each a model_info entry.
#include <string>
#include <string_view>
#include <vector>

#include "detserve/app/metadata_yaml.hpp"
#include "detserve/app/model_spec_sources.hpp"
#include "fuzz_targets.hpp"
#include "input_split.hpp"

namespace detserve::fuzz {

int fuzz_model_metadata(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto parts = split_at_nul(input);
    std::vector<app::SpecSource> sources;
    try {
        sources.push_back({"metadata.yaml", app::spec_fields_from_metadata(app::parse_metadata_yaml(parts.front())), false});
    } catch (const app::MetadataError&) {
        // a refusal the loader reports as a warning (or, for a task, an error)
    }
    app::SpecSource model_info{"rt_info/model_info", nlohmann::json::object(), false};
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const auto eq = parts[i].find('=');
        if (eq == std::string_view::npos) continue;
        const std::string key(parts[i].substr(0, eq)), value(parts[i].substr(eq + 1));
        try {
            if (auto field = detect::model_info_field(key, value); !field.is_null()) model_info.fields[key] = std::move(field);
        } catch (const std::invalid_argument&) {
        }
    }
    sources.push_back(std::move(model_info));
    // One shape per family the resolution can infer, so that each family's defaults are applied.
    static const std::vector<std::vector<detect::OutputShape>> kOutputs{
        {{"output0", {1, 84, 8400}}},  {{"output0", {1, 300, 6}}},       {{"out", {1, 1, 200, 7}}},
        {{"output", {1, 3598, 112}}}, {{"758", {1, 85, 40, 40}}},       {{"logits", {1, 1000}}},
    };
    const int which = size ? data[size - 1] % static_cast<int>(kOutputs.size()) : 0;
    try {
        app::resolve_model_spec(sources, kOutputs[static_cast<std::size_t>(which)], 640, 640);
    } catch (const std::runtime_error&) {
        // no family, or a strict source's bad field: the loader's error
    }
    return 0;
}

}  // namespace detserve::fuzz
