#include "detserve/app/model_spec_sources.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace detserve::app {
namespace {

using nlohmann::json;

constexpr const char* kModelType = "model_type";
constexpr const char* kLabels = "labels";

struct Layer {
    std::string origin;
    json fields;
    bool strict = false;
    std::string base_dir = ".";
    bool counts_as_source = true;  // family defaults and inference are not a "source" of the spec
};

// The canonical family a source names, or nullopt (none named, or a generic/unknown name, which is
// a warning for a lenient source and an error for a strict one).
std::optional<std::string> named_family(const SpecSource& source, std::vector<std::string>& warnings) {
    const auto it = source.fields.find(kModelType);
    if (it == source.fields.end()) return std::nullopt;
    const std::string spelled = it->is_string() ? it->get<std::string>() : it->dump();
    const auto family = detect::family_from_model_type(spelled);
    if (!family.family.empty()) return family.family;
    if (family.generic) return std::nullopt;
    const std::string why = "model_type '" + spelled + "' is not a family detserve decodes (" + [] {
        std::string known;
        for (const auto& f : detect::supported_model_types()) known += (known.empty() ? "" : ", ") + f;
        return known;
    }() + ")";
    if (source.strict) throw std::runtime_error(source.origin + ": model spec key " + why);
    warnings.push_back(source.origin + ": " + why + "; ignored");
    return std::nullopt;
}

// How many labels the highest source that names them gives, or -1.
int named_class_count(const std::vector<SpecSource>& sources) {
    for (auto it = sources.rbegin(); it != sources.rend(); ++it) {
        const auto labels = it->fields.find(kLabels);
        if (labels == it->fields.end()) continue;
        detect::ModelSpec scratch;
        try {
            detect::apply_model_spec_key(scratch, kLabels, *labels, it->base_dir);
            return static_cast<int>(scratch.labels.size());
        } catch (const std::invalid_argument&) {
            continue;  // reported when the layers are applied
        }
    }
    return -1;
}

std::string outputs_text(const std::vector<detect::OutputShape>& outputs) {
    std::string out;
    for (const auto& o : outputs) {
        out += (out.empty() ? "'" : ", '") + o.name + "' [";
        for (std::size_t i = 0; i < o.dims.size(); ++i) out += (i ? "," : "") + std::to_string(o.dims[i]);
        out += "]";
    }
    return out.empty() ? "none" : out;
}

void set_origin(std::vector<std::pair<std::string, std::string>>& origins, const std::string& key,
                const std::string& origin) {
    const auto it = std::find_if(origins.begin(), origins.end(), [&](const auto& o) { return o.first == key; });
    if (it != origins.end()) it->second = origin;
    else origins.emplace_back(key, origin);
}

}  // namespace

ResolvedSpec resolve_model_spec(const std::vector<SpecSource>& sources, const std::vector<detect::OutputShape>& outputs,
                                int input_width, int input_height) {
    ResolvedSpec out;

    // 1. The family: the highest source that names one, else the outputs.
    std::optional<std::string> family;
    std::string family_origin;
    for (auto it = sources.rbegin(); it != sources.rend() && !family; ++it) {
        family = named_family(*it, out.warnings);
        if (family) family_origin = it->origin;
    }
    const int classes = named_class_count(sources);
    const auto inferred = detect::infer_family(outputs, input_width, input_height, classes);
    if (family) {
        out.family_reason = "named by " + family_origin;
    } else if (inferred) {
        family = inferred->family;
        out.family_reason = "inferred from the outputs: " + inferred->reason;
    } else {
        throw std::runtime_error(
            "nothing says which detector family this is (no model_type in the file or a sidecar) and its outputs (" +
            outputs_text(outputs) +
            ") match none detserve knows; a sidecar must give model_type (one of nanodet, yolov5, yolov8, yolox, ssd, "
            "detections, tf_od_api, fastestdet), labels, and the preprocessing (reverse_input_channels, mean_values, "
            "scale_values, resize_type) — docs/models.md");
    }

    // 2. Layers, lowest first: the family's defaults, what the shapes settle (when they agree on
    // the family), then the sources.
    std::vector<Layer> layers;
    layers.push_back({"family default (" + *family + ")", detect::family_defaults(*family), true, ".", false});
    if (inferred && inferred->family == *family)
        layers.push_back({"the outputs' shapes", inferred->fields, true, ".", false});
    for (const auto& source : sources) layers.push_back({source.origin, source.fields, source.strict, source.base_dir, true});

    out.spec.model_type = *family;
    set_origin(out.origins, kModelType, family_origin.empty() ? "the outputs' shapes" : family_origin);
    bool labels_named = false;
    for (const auto& layer : layers) {
        for (const auto& [key, value] : layer.fields.items()) {
            if (key == kModelType || key == "description" || key == "$comment") continue;
            try {
                detect::apply_model_spec_key(out.spec, key, value, layer.base_dir);
            } catch (const std::invalid_argument& e) {
                if (layer.strict) throw std::runtime_error(layer.origin + ": " + e.what());
                out.warnings.push_back(layer.origin + ": " + e.what() + "; ignored");
                continue;
            }
            set_origin(out.origins, key, layer.origin);
            if (key == kLabels) {
                labels_named = true;
                if (out.spec.labels_source == "inline") out.spec.labels_source = layer.origin;
            }
        }
    }
    // The sources some field still comes from, highest first.
    for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer) {
        const bool used = std::any_of(out.origins.begin(), out.origins.end(),
                                      [&](const auto& o) { return o.second == layer->origin; });
        if (used && layer->counts_as_source &&
            std::find(out.sources.begin(), out.sources.end(), layer->origin) == out.sources.end())
            out.sources.push_back(layer->origin);
    }

    // 3. Labels nobody named: the class count the shapes give, COCO's when it is 80.
    if (!labels_named) {
        const int count = inferred && inferred->family == *family ? inferred->classes : -1;
        if (count == 80) {
            out.spec.labels = detect::LabelMap::coco80();
            out.spec.labels_source = "coco80";
            set_origin(out.origins, kLabels, "assumed COCO-80 (the outputs have 80 classes; nothing names them)");
        } else {
            out.spec.labels = detect::LabelMap(std::vector<std::string>(count > 0 ? static_cast<std::size_t>(count) : 0));
            out.spec.labels_source = "none";
            set_origin(out.origins, kLabels, "nothing names them: class_N");
        }
    }
    return out;
}

}  // namespace detserve::app
