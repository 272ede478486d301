#pragma once
// How to feed a detector and read its outputs. Stored in an IR's rt_info/model_info (OpenVINO's
// model_info keys where they exist) or in a sidecar JSON with the same keys.
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detserve/detect/detection.hpp"
#include "detserve/detect/label_map.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

struct ModelSpec {
    std::string model_type;        // decoder family, one of supported_model_types()
    int input_width = 0;           // 0: take it from the model's input shape
    int input_height = 0;
    bool reverse_input_channels = false;  // true: the model wants RGB
    std::array<float, 3> mean_values{0, 0, 0};
    std::array<float, 3> scale_values{1, 1, 1};
    std::string resize_type = "standard";  // "standard" (stretch), "fit_to_window_letterbox", "fit_to_window"
    float pad_value = 114;
    float confidence_threshold = 0.25f;
    float iou_threshold = 0.6f;
    int max_detections = 100;
    NmsMode nms = NmsMode::class_wise;
    std::vector<int> strides{8, 16, 32};
    float center_offset = 0.5f;  // nanodet: cell centre (col + offset)·stride; 0 for NanoDet-Plus
    int background_label = 0;    // ssd: DetectionOutput's background label, never a detection; -1: none
    std::string labels_source = "coco80";  // "coco80", "coco91", or a label file path
    LabelMap labels = LabelMap::coco80();
};

// Families with a decoder, in the order `detserve info` lists them.
const std::vector<std::string>& supported_model_types();

// Reads the sidecar/model_info keys; unknown keys and bad values throw std::invalid_argument with
// the key's name. `base_dir` resolves a relative label file. Families whose graph ends in NMS
// (ssd, detections, tf_od_api) default to iou_threshold 1 (no second NMS); ssd and tf_od_api
// default to the coco91 labels (background at 0, TF Object Detection API ids).
ModelSpec model_spec_from_json(const nlohmann::json& json, const std::string& base_dir = ".");
// One key of the sidecar form applied to `spec` (what model_spec_from_json does per key): a spec
// assembled field by field from several sources. Throws std::invalid_argument naming the key.
void apply_model_spec_key(ModelSpec& spec, const std::string& key, const nlohmann::json& value,
                          const std::string& base_dir = ".");
nlohmann::json model_spec_to_json(const ModelSpec& spec);

// Flat key -> string form used in rt_info/model_info (lists space-separated; label names with
// spaces written with '_' as OpenVINO's model API does).
std::vector<std::pair<std::string, std::string>> model_spec_to_model_info(const ModelSpec& spec);
ModelSpec model_spec_from_model_info(const std::vector<std::pair<std::string, std::string>>& entries,
                                     const std::string& base_dir = ".");
// One model_info entry in the sidecar's JSON form ("0.5" -> 0.5, "8 16 32" -> [8,16,32], labels
// split on spaces with '_' read as a space); null for keys that are not ModelSpec's (OpenVINO and
// Ultralytics write others). Throws std::invalid_argument naming the key when the text is not the
// form the key needs.
nlohmann::json model_info_field(const std::string& key, const std::string& value);

// The spec's serving defaults: confidence_threshold, iou_threshold, max_detections, nms.
DecodeOptions decode_options(const ModelSpec& spec);

// Runs the family's decoder on one image of a batch, then applies the label map.
std::vector<Detection> decode_detections(const ModelSpec& spec, const NamedTensors& outputs, int batch_index,
                                         int input_width, int input_height, const InputTransform& transform,
                                         const DecodeOptions& options);

}  // namespace detserve::detect
