#pragma once
// Ultralytics' metadata.yaml (written beside every export): the block-style YAML subset it uses —
// nested mappings by indentation, "- item" sequences, plain and quoted scalars, comments — read
// into JSON, and the ModelSpec fields it settles. Not a general YAML parser: flow collections,
// anchors, multi-line scalars and tags are refused with the line they are on.
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace detserve::app {

class MetadataError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Scalars stay strings ("640", "true"); mapping keys keep document order. Throws MetadataError
// naming the line.
nlohmann::json parse_metadata_yaml(std::string_view text);

// What Ultralytics' metadata says that a ModelSpec uses, in the sidecar's JSON form: `labels`
// from `names` (id → name, gaps left unnamed), `input_size` [w, h] from `imgsz` ([h, w] there, or
// one number), and `model_type` "detections" when `args.nms` is true (the export has NMS inside).
// A `task` other than detect is refused (segmentation, pose and classification heads have other
// outputs). Throws MetadataError naming the field.
nlohmann::json spec_fields_from_metadata(const nlohmann::json& metadata);

}  // namespace detserve::app
