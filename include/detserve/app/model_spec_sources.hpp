#pragma once
// A ModelSpec assembled field by field from every place that says something about a model: the
// family's own defaults, what the output shapes give away, detserve's shipped knowledge, the
// file's metadata (rt_info, metadata.yaml) and the user's sidecar — each field from the highest
// source that has it. Pure: model_loader reads the files and hands the sources in.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "detserve/detect/model_family.hpp"
#include "detserve/detect/model_spec.hpp"

namespace detserve::app {

struct SpecSource {
    std::string origin;  // "rt_info/model_info", ".../yolo11n.json", "metadata.yaml", …
    nlohmann::json fields = nlohmann::json::object();  // the sidecar's keys and forms
    // Strict: a bad field is an error naming the source (a sidecar someone wrote for this model).
    // Lenient: a warning, and the field is left to the sources below (a file's own metadata,
    // written by a tool whose spellings we may not know).
    bool strict = false;
    std::string base_dir = ".";  // resolves a relative label file
};

struct ResolvedSpec {
    detect::ModelSpec spec;
    std::vector<std::pair<std::string, std::string>> origins;  // field → the source it came from
    std::vector<std::string> warnings;                          // lenient fields that were ignored
    std::string family_reason;  // how the family was settled, for `detserve info`
    std::vector<std::string> sources;  // the sources that gave a field, highest first
};

// `sources` lowest priority first. The family is the highest source's model_type (in any of the
// spellings family_from_model_type knows; a generic one such as Ultralytics' "YOLO" leaves it to
// the outputs), else what infer_family makes of `outputs`. Labels nobody names: COCO-80 when the
// shapes say 80 classes, else unnamed ("class_N"). Throws std::runtime_error when the family
// cannot be settled, naming the fields a sidecar must give, or for a bad field of a strict source.
ResolvedSpec resolve_model_spec(const std::vector<SpecSource>& sources, const std::vector<detect::OutputShape>& outputs,
                                int input_width, int input_height);

}  // namespace detserve::app
