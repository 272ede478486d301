#include "detserve/detect/model_spec.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "detserve/detect/detection_rows_decoder.hpp"
#include "detserve/detect/fastestdet_decoder.hpp"
#include "detserve/detect/nanodet_decoder.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/detect/ssd_decoder.hpp"
#include "detserve/detect/tf_od_api_decoder.hpp"
#include "detserve/detect/yolov5_decoder.hpp"
#include "detserve/detect/yolov8_decoder.hpp"
#include "detserve/detect/yolox_decoder.hpp"

namespace detserve::detect {
namespace {

using nlohmann::json;

[[noreturn]] void bad_value(const std::string& key, const std::string& why) {
    throw std::invalid_argument("model spec key '" + key + "': " + why);
}

std::array<float, 3> three_floats(const json& value, const std::string& key) {
    if (value.is_number()) {
        const float v = value.get<float>();
        return {v, v, v};
    }
    if (!value.is_array() || value.size() != 3) bad_value(key, "expects three numbers (one per channel)");
    std::array<float, 3> out{};
    for (std::size_t i = 0; i < 3; ++i) {
        if (!value[i].is_number()) bad_value(key, "expects numbers");
        out[i] = value[i].get<float>();
    }
    return out;
}

float number(const json& value, const std::string& key, float min, float max) {
    if (!value.is_number()) bad_value(key, "expects a number");
    const float v = value.get<float>();
    if (v < min || v > max) bad_value(key, "must be within [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return v;
}

LabelMap load_labels(const std::string& source, const std::string& base_dir) {
    if (auto builtin = LabelMap::builtin(source)) return *builtin;
    std::filesystem::path path(source);
    if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
    return LabelMap::from_file(path.string());
}

// nlohmann's serializer is the check: it throws type_error 316 on bytes that are not UTF-8. Label
// names from a model's metadata or a label file end up in JSON answers and `detserve info`.
bool is_utf8(const std::string& text) {
    try {
        (void)json(text).dump();
        return true;
    } catch (const json::type_error&) {
        return false;
    }
}

void require_utf8_names(const LabelMap& labels) {
    for (const auto& name : labels.names())
        if (!is_utf8(name)) bad_value("labels", "a name is not UTF-8 text");
}

using Setter = void (*)(ModelSpec&, const json&, const std::string& base_dir);

const std::map<std::string, Setter>& setters() {
    static const std::map<std::string, Setter> table{
        {"model_type",
         [](ModelSpec& s, const json& v, const std::string&) {
             if (!v.is_string()) bad_value("model_type", "expects a string");
             s.model_type = v.get<std::string>();
             const auto& known = supported_model_types();
             if (std::find(known.begin(), known.end(), s.model_type) == known.end()) {
                 std::string names;
                 for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
                 bad_value("model_type", "'" + s.model_type + "' is not one of " + names);
             }
         }},
        {"input_size",
         [](ModelSpec& s, const json& v, const std::string&) {
             if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() || !v[1].is_number_integer() ||
                 v[0].get<int>() <= 0 || v[1].get<int>() <= 0)
                 bad_value("input_size", "expects [width, height] in pixels");
             s.input_width = v[0].get<int>();
             s.input_height = v[1].get<int>();
         }},
        {"reverse_input_channels",
         [](ModelSpec& s, const json& v, const std::string&) {
             if (!v.is_boolean()) bad_value("reverse_input_channels", "expects true or false");
             s.reverse_input_channels = v.get<bool>();
         }},
        {"mean_values", [](ModelSpec& s, const json& v, const std::string&) { s.mean_values = three_floats(v, "mean_values"); }},
        {"scale_values",
         [](ModelSpec& s, const json& v, const std::string&) {
             s.scale_values = three_floats(v, "scale_values");
             for (float f : s.scale_values)
                 if (f == 0) bad_value("scale_values", "must not be zero");
         }},
        {"resize_type",
         [](ModelSpec& s, const json& v, const std::string&) {
             if (!v.is_string() || (v != "standard" && v != "fit_to_window_letterbox" && v != "fit_to_window"))
                 bad_value("resize_type", "expects \"standard\", \"fit_to_window_letterbox\" or \"fit_to_window\"");
             s.resize_type = v.get<std::string>();
         }},
        {"pad_value", [](ModelSpec& s, const json& v, const std::string&) { s.pad_value = number(v, "pad_value", 0, 255); }},
        {"confidence_threshold",
         [](ModelSpec& s, const json& v, const std::string&) { s.confidence_threshold = number(v, "confidence_threshold", 0, 1); }},
        {"iou_threshold",
         [](ModelSpec& s, const json& v, const std::string&) { s.iou_threshold = number(v, "iou_threshold", 0, 1); }},
        {"max_detections",
         [](ModelSpec& s, const json& v, const std::string&) {
             if (!v.is_number_integer() || v.get<int>() <= 0) bad_value("max_detections", "expects a positive integer");
             s.max_detections = v.get<int>();
         }},
        {"nms",
         [](ModelSpec& s, const json& v, const std::string&) {
             const auto mode = v.is_string() ? nms_mode_from_string(v.get<std::string>()) : std::nullopt;
             if (!mode) bad_value("nms", "expects \"class_wise\" or \"agnostic\"");
             s.nms = *mode;
         }},
        {"strides",
         [](ModelSpec& s, const json& v, const std::string&) {
             if (!v.is_array() || v.empty()) bad_value("strides", "expects a list of positive integers");
             s.strides.clear();
             for (const auto& e : v) {
                 if (!e.is_number_integer() || e.get<int>() <= 0) bad_value("strides", "expects a list of positive integers");
                 s.strides.push_back(e.get<int>());
             }
         }},
        {"center_offset",
         [](ModelSpec& s, const json& v, const std::string&) {
             s.center_offset = number(v, "center_offset", 0, 1);
             if (s.center_offset >= 1) bad_value("center_offset", "must be below 1 (a fraction of a cell)");
         }},
        {"background_label",
         [](ModelSpec& s, const json& v, const std::string&) {
             if (!v.is_number_integer() || v.get<int>() < -1)
                 bad_value("background_label", "expects an integer class id, or -1 for none");
             s.background_label = v.get<int>();
         }},
        {"labels",
         [](ModelSpec& s, const json& v, const std::string& base_dir) {
             if (v.is_string()) {
                 s.labels_source = v.get<std::string>();
                 try {
                     s.labels = load_labels(s.labels_source, base_dir);
                 } catch (const std::exception& e) {
                     bad_value("labels", e.what());
                 }
                 require_utf8_names(s.labels);
             } else if (v.is_array()) {
                 std::vector<std::string> names;
                 for (const auto& e : v) {
                     if (!e.is_string()) bad_value("labels", "expects a list of strings");
                     names.push_back(e.get<std::string>());
                 }
                 s.labels_source = "inline";
                 s.labels = LabelMap(std::move(names));
                 require_utf8_names(s.labels);
             } else {
                 bad_value("labels", "expects \"coco80\", \"coco91\", a label file path, or a list of names");
             }
         }},
    };
    return table;
}

// Shortest form that reads back to the same float ("0.25", "114"), not std::to_string's "0.250000".
std::string format_number(float value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string join_floats(const std::array<float, 3>& values) {
    return format_number(values[0]) + " " + format_number(values[1]) + " " + format_number(values[2]);
}

// The double that prints as the float was written (103.53, not 103.52999877929688): a float
// holds 6 significant decimal digits, which is what format_number keeps.
double rounded(float value) { return std::stod(format_number(value)); }

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

// Families whose graph ends in NMS: their rows are finished detections.
bool has_nms_inside(const std::string& model_type) {
    return model_type == "ssd" || model_type == "detections" || model_type == "tf_od_api";
}

}  // namespace

const std::vector<std::string>& supported_model_types() {
    static const std::vector<std::string> types{"nanodet", "yolov5",     "yolov8",    "yolox",
                                                "ssd",     "detections", "tf_od_api", "fastestdet"};
    return types;
}

void apply_model_spec_key(ModelSpec& spec, const std::string& key, const json& value, const std::string& base_dir) {
    if (key == "$comment" || key == "description") return;
    const auto& table = setters();
    auto it = table.find(key);
    if (it == table.end()) throw std::invalid_argument("model spec has unknown key '" + key + "'");
    it->second(spec, value, base_dir);
}

ModelSpec model_spec_from_json(const json& object, const std::string& base_dir) {
    if (!object.is_object()) throw std::invalid_argument("model spec must be a JSON object");
    ModelSpec spec;
    for (const auto& [key, value] : object.items()) apply_model_spec_key(spec, key, value, base_dir);
    if (spec.model_type.empty()) throw std::invalid_argument("model spec key 'model_type' is required");
    // Family defaults, where the spec leaves the key out.
    if (has_nms_inside(spec.model_type) && !object.contains("iou_threshold")) spec.iou_threshold = 1;
    if ((spec.model_type == "ssd" || spec.model_type == "tf_od_api") && !object.contains("labels")) {
        spec.labels_source = "coco91";
        spec.labels = LabelMap::coco91();
    }
    return spec;
}

json model_spec_to_json(const ModelSpec& spec) {
    json out;
    out["model_type"] = spec.model_type;
    if (spec.input_width > 0) out["input_size"] = {spec.input_width, spec.input_height};
    out["reverse_input_channels"] = spec.reverse_input_channels;
    out["mean_values"] = {rounded(spec.mean_values[0]), rounded(spec.mean_values[1]), rounded(spec.mean_values[2])};
    out["scale_values"] = {rounded(spec.scale_values[0]), rounded(spec.scale_values[1]), rounded(spec.scale_values[2])};
    out["resize_type"] = spec.resize_type;
    out["pad_value"] = rounded(spec.pad_value);
    out["confidence_threshold"] = rounded(spec.confidence_threshold);
    out["iou_threshold"] = rounded(spec.iou_threshold);
    out["max_detections"] = spec.max_detections;
    out["nms"] = std::string(to_string(spec.nms));
    out["strides"] = spec.strides;
    if (spec.model_type == "nanodet") out["center_offset"] = rounded(spec.center_offset);
    if (spec.model_type == "ssd") out["background_label"] = spec.background_label;
    if (spec.labels_source == "coco80" || spec.labels_source == "coco91") out["labels"] = spec.labels_source;
    else out["labels"] = spec.labels.names();
    return out;
}

std::vector<std::pair<std::string, std::string>> model_spec_to_model_info(const ModelSpec& spec) {
    std::string labels;
    for (const auto& name : spec.labels.names()) {
        std::string word = name;
        std::replace(word.begin(), word.end(), ' ', '_');
        labels += (labels.empty() ? "" : " ") + word;
    }
    std::string strides;
    for (int s : spec.strides) strides += (strides.empty() ? "" : " ") + std::to_string(s);
    std::vector<std::pair<std::string, std::string>> out{
        {"model_type", spec.model_type},
        {"labels", labels},
        {"reverse_input_channels", spec.reverse_input_channels ? "True" : "False"},
        {"mean_values", join_floats(spec.mean_values)},
        {"scale_values", join_floats(spec.scale_values)},
        {"resize_type", spec.resize_type},
        {"pad_value", format_number(spec.pad_value)},
        {"confidence_threshold", format_number(spec.confidence_threshold)},
        {"iou_threshold", format_number(spec.iou_threshold)},
        {"max_detections", std::to_string(spec.max_detections)},
        {"nms", std::string(to_string(spec.nms))},
        {"strides", strides},
    };
    if (spec.model_type == "nanodet") out.emplace_back("center_offset", format_number(spec.center_offset));
    if (spec.model_type == "ssd") out.emplace_back("background_label", std::to_string(spec.background_label));
    if (spec.input_width > 0)
        out.emplace_back("input_size", std::to_string(spec.input_width) + " " + std::to_string(spec.input_height));
    return out;
}

json model_info_field(const std::string& key, const std::string& value) {
    const auto words = split_words(value);
    auto numbers = [&]() {
        json list = json::array();
        for (const auto& w : words) {
            try {
                std::size_t used = 0;
                const double n = std::stod(w, &used);
                if (used != w.size() || !std::isfinite(n)) throw std::invalid_argument(w);
                list.push_back(n);
            } catch (const std::exception&) {
                bad_value(key, "'" + value + "' is not a list of numbers");
            }
        }
        if (list.empty()) bad_value(key, "is empty");
        return list;
    };
    if (key == "labels") {
        json names = json::array();
        for (auto w : words) {
            std::replace(w.begin(), w.end(), '_', ' ');
            names.push_back(w);
        }
        return names;
    }
    if (key == "reverse_input_channels") {
        if (value == "True" || value == "true" || value == "YES" || value == "yes" || value == "1") return true;
        if (value == "False" || value == "false" || value == "NO" || value == "no" || value == "0") return false;
        bad_value(key, "'" + value + "' is not a yes/no value");
    }
    if (key == "mean_values" || key == "scale_values") {
        const json list = numbers();
        return list.size() == 1 ? list[0] : list;
    }
    // Whole numbers an int holds (a cast of anything else is undefined: fuzz/regressions/model_metadata).
    auto integers = [&]() {
        json ints = json::array();
        for (const auto& n : numbers()) {
            const double v = n.get<double>();
            if (v != std::floor(v) || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
                bad_value(key, "'" + value + "' is not a list of whole numbers");
            ints.push_back(static_cast<int>(v));
        }
        return ints;
    };
    if (key == "strides" || key == "input_size") return integers();
    if (key == "max_detections" || key == "background_label") return integers().at(0);
    if (key == "pad_value" || key == "confidence_threshold" || key == "iou_threshold" || key == "center_offset")
        return numbers().at(0);
    if (key == "model_type" || key == "resize_type" || key == "nms") return value;
    return nullptr;
}

ModelSpec model_spec_from_model_info(const std::vector<std::pair<std::string, std::string>>& entries,
                                     const std::string& base_dir) {
    json object = json::object();
    for (const auto& [key, value] : entries)
        if (json field = model_info_field(key, value); !field.is_null()) object[key] = std::move(field);
    return model_spec_from_json(object, base_dir);
}

DecodeOptions decode_options(const ModelSpec& spec) {
    return {spec.confidence_threshold, spec.iou_threshold, spec.max_detections, spec.nms};
}

std::vector<Detection> decode_detections(const ModelSpec& spec, const NamedTensors& outputs, int batch_index,
                                         int input_width, int input_height, const InputTransform& transform,
                                         const DecodeOptions& options) {
    const int classes = static_cast<int>(spec.labels.size());
    std::vector<Detection> detections;
    if (spec.model_type == "nanodet")
        detections = decode_nanodet(outputs, batch_index, input_width, input_height, classes, transform, options,
                                    NanodetFormat{spec.strides, spec.center_offset});
    else if (spec.model_type == "yolov5")
        detections = decode_yolov5(outputs, batch_index, input_width, input_height, classes, transform, options);
    else if (spec.model_type == "yolov8")
        detections = decode_yolov8(outputs, batch_index, input_width, input_height, classes, transform, options);
    else if (spec.model_type == "yolox")
        detections = decode_yolox(outputs, batch_index, input_width, input_height, classes, transform, options,
                                  YoloxFormat{false, spec.strides});
    else if (spec.model_type == "ssd")
        detections = decode_ssd(outputs, batch_index, input_width, input_height, classes, transform, options,
                                SsdFormat{spec.background_label});
    else if (spec.model_type == "detections")
        detections = decode_detection_rows(outputs, batch_index, input_width, input_height, classes, transform, options);
    else if (spec.model_type == "tf_od_api")
        detections = decode_tf_od_api(outputs, batch_index, input_width, input_height, classes, transform, options);
    else if (spec.model_type == "fastestdet")
        detections = decode_fastestdet(outputs, batch_index, input_width, input_height, classes, transform, options);
    else
        throw std::invalid_argument("no decoder for model_type '" + spec.model_type + "'");
    for (auto& d : detections) d.label = spec.labels.name(d.class_id);
    return detections;
}

}  // namespace detserve::detect
