#include "detserve/detect/model_family.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace detserve::detect {
namespace {

using nlohmann::json;

constexpr std::int64_t kDetectionOutputColumns = 7;  // image_id, label, conf, x_min, y_min, x_max, y_max
constexpr std::int64_t kNmsRowColumns = 6;           // x1, y1, x2, y2, score, class
constexpr std::int64_t kBoxColumns = 4;
constexpr int kCocoClasses = 80;
constexpr int kFastestDetStride = 16;

std::string squeezed_lower(std::string_view text) {
    std::string out;
    for (const char c : text)
        if (c != '-' && c != '_' && c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::int64_t cells(int width, int height, const std::vector<int>& strides) {
    std::int64_t n = 0;
    for (const int s : strides) n += static_cast<std::int64_t>((height + s - 1) / s) * ((width + s - 1) / s);
    return n;
}

std::string shape_text(const OutputShape& output) {
    std::string out = "'" + output.name + "' [";
    for (std::size_t i = 0; i < output.dims.size(); ++i) out += (i ? "," : "") + std::to_string(output.dims[i]);
    return out + "]";
}

std::string strides_text(const std::vector<int>& strides) {
    std::string out;
    for (const int s : strides) out += (out.empty() ? "" : "/") + std::to_string(s);
    return out;
}

bool named_like(const OutputShape& output, std::string_view word) {
    return squeezed_lower(output.name).find(word) != std::string::npos;
}

// A class count C from a width W = C + extra: the other source's count when it has one, else W −
// extra; nullopt when that leaves no class.
std::optional<int> class_count(std::int64_t width, std::int64_t extra, int classes) {
    if (classes > 0) return width == extra + classes ? std::optional<int>(classes) : std::nullopt;
    return width > extra ? std::optional<int>(static_cast<int>(width - extra)) : std::nullopt;
}

InferredFamily make(std::string family, std::string reason, int classes, json fields = json::object()) {
    return {std::move(family), std::move(reason), std::move(fields), classes};
}

std::optional<InferredFamily> from_one_rank3(const OutputShape& out, int width, int height, int classes) {
    const std::vector<int> three{8, 16, 32}, four{8, 16, 32, 64};
    const std::int64_t a = out.dims[1], b = out.dims[2];
    const std::int64_t anchors = cells(width, height, three);
    const std::string at = " at " + std::to_string(width) + "x" + std::to_string(height);
    if (b == anchors) {
        if (const auto c = class_count(a, kBoxColumns, classes))
            return make("yolov8", shape_text(out) + ": 4 box + " + std::to_string(*c) + " class rows for the " +
                                      std::to_string(anchors) + " cells of strides 8/16/32" + at,
                        *c);
    }
    if (a == 3 * anchors) {
        if (const auto c = class_count(b, kBoxColumns + 1, classes))
            return make("yolov5", shape_text(out) + ": 3 anchors x " + std::to_string(anchors) +
                                      " cells of strides 8/16/32" + at + ", box + objectness + " +
                                      std::to_string(*c) + " classes",
                        *c);
    }
    // NanoDet's GFL head: per cell C scores then 4 sides x (reg_max + 1) bins. Four strides is
    // NanoDet-Plus (its cell centres sit at the corner, offset 0).
    for (const auto* strides : {&four, &three}) {
        if (a != cells(width, height, *strides)) continue;
        const int c = classes > 0 ? classes : kCocoClasses;
        const std::int64_t bins = b - c;
        if (bins < 2 * kBoxColumns || bins % kBoxColumns != 0) continue;
        const bool plus = strides->size() == 4;
        json fields{{"strides", *strides}, {"center_offset", plus ? 0.0 : 0.5}};
        std::string reason = shape_text(out) + ": " + std::to_string(a) + " cells of strides " +
                             strides_text(*strides) + at + ", " + std::to_string(c) + " class scores + 4 x " +
                             std::to_string(bins / kBoxColumns) + " distance bins (NanoDet" +
                             (plus ? "-Plus" : "") + " GFL head)";
        if (classes <= 0) {
            fields["labels"] = "coco80";
            reason += "; no labels named, 80 classes assumed (COCO)";
        }
        return make("nanodet", reason, c, fields);
    }
    if (a == anchors) {
        if (const auto c = class_count(b, kBoxColumns + 1, classes))
            return make("yolox", shape_text(out) + ": " + std::to_string(anchors) + " cells of strides 8/16/32" + at +
                                     ", box + objectness + " + std::to_string(*c) + " classes",
                        *c);
    }
    if (b == kNmsRowColumns)
        return make("detections", shape_text(out) + ": " + (a > 0 ? std::to_string(a) : "N") +
                                      " rows of x1, y1, x2, y2, score, class (NMS inside the model)",
                    classes);
    return std::nullopt;
}

}  // namespace

SpelledFamily family_from_model_type(std::string_view spelled) {
    static const std::map<std::string, std::string> kNames{
        {"nanodet", "nanodet"},     {"nanodetplus", "nanodet"}, {"yolov5", "yolov5"},       {"yolov8", "yolov8"},
        {"yolov11", "yolov8"},      {"yolo11", "yolov8"},       {"yolox", "yolox"},         {"ssd", "ssd"},
        {"detections", "detections"}, {"tfodapi", "tf_od_api"}, {"fastestdet", "fastestdet"},
    };
    const std::string key = squeezed_lower(spelled);
    if (key == "yolo") return {"", true};
    if (const auto it = kNames.find(key); it != kNames.end()) return {it->second, false};
    return {};
}

std::optional<InferredFamily> infer_family(const std::vector<OutputShape>& outputs, int input_width,
                                           int input_height, int classes) {
    for (const auto& out : outputs)
        if (out.dims.size() == 4 && out.dims[1] == 1 && out.dims[3] == kDetectionOutputColumns)
            return make("ssd", shape_text(out) + ": DetectionOutput rows (image_id, label, conf, box corners)", classes);

    const auto boxes = std::find_if(outputs.begin(), outputs.end(), [](const OutputShape& o) {
        return o.dims.size() == 3 && o.dims[2] == kBoxColumns && named_like(o, "detectionboxes");
    });
    if (boxes != outputs.end() && outputs.size() >= 4)
        return make("tf_od_api", shape_text(*boxes) + " with detection_classes, detection_scores, num_detections "
                                                      "(TensorFlow Object Detection API)",
                    classes);

    if (outputs.size() == 1 && outputs[0].dims.size() == 4 && input_width > 0 && input_height > 0) {
        const auto& out = outputs[0];
        const std::int64_t h = (input_height + kFastestDetStride - 1) / kFastestDetStride;
        const std::int64_t w = (input_width + kFastestDetStride - 1) / kFastestDetStride;
        if (out.dims[2] == h && out.dims[3] == w) {
            if (const auto c = class_count(out.dims[1], kBoxColumns + 1, classes))
                return make("fastestdet", shape_text(out) + ": per cell of stride 16 objectness, box and " +
                                              std::to_string(*c) + " class scores (FastestDet)",
                            *c);
        }
    }

    if (input_width <= 0 || input_height <= 0) return std::nullopt;
    std::vector<const OutputShape*> rank3;
    for (const auto& out : outputs)
        if (out.dims.size() == 3) rank3.push_back(&out);
    // A yolov5 export may keep its three raw heads beside the concatenated output: take the first
    // rank-3 output any rule explains.
    for (const auto* out : rank3)
        if (auto found = from_one_rank3(*out, input_width, input_height, classes)) return found;
    return std::nullopt;
}

json family_defaults(std::string_view family) {
    // Ultralytics (LetterBox(auto=False), pad 114, RGB, /255): YOLOv5's detect.py thresholds
    // 0.25 / 0.45; YOLOv8 and YOLO11 predict 0.25 / 0.7.
    const json ultralytics{{"reverse_input_channels", true}, {"mean_values", 0},       {"scale_values", 255},
                           {"resize_type", "fit_to_window_letterbox"}, {"pad_value", 114}, {"confidence_threshold", 0.25}};
    if (family == "yolov5" || family == "yolov8" || family == "detections") {
        json fields = ultralytics;
        // An export with NMS inside needs no second one: IoU 1 suppresses nothing.
        fields["iou_threshold"] = family == "yolov5" ? 0.45 : family == "yolov8" ? 0.7 : 1.0;
        return fields;
    }
    // NanoDet's configs: BGR, mean/std of ImageNet in BGR order, keep-ratio resize; its demo's
    // score 0.35 and NMS IoU 0.6.
    if (family == "nanodet")
        return {{"reverse_input_channels", false},       {"mean_values", {103.53, 116.28, 123.675}},
                {"scale_values", {57.375, 57.12, 58.395}}, {"resize_type", "fit_to_window_letterbox"},
                {"pad_value", 0},                         {"confidence_threshold", 0.35},
                {"iou_threshold", 0.6}};
    // YOLOX's demo (preproc): BGR 0..255, keep-ratio resize to the top-left corner, pad 114;
    // onnx_inference.py's score 0.3, NMS 0.45.
    if (family == "yolox")
        return {{"reverse_input_channels", false}, {"mean_values", 0}, {"scale_values", 1},
                {"resize_type", "fit_to_window"},  {"pad_value", 114}, {"confidence_threshold", 0.3},
                {"iou_threshold", 0.45}};
    // Open Model Zoo's SSDs take BGR 0..255 resized to the input (normalisation inside the graph);
    // its object_detection_demo's threshold 0.5.
    if (family == "ssd")
        return {{"reverse_input_channels", false}, {"mean_values", 0}, {"scale_values", 1},
                {"resize_type", "standard"}, {"confidence_threshold", 0.5}, {"iou_threshold", 1.0}};
    // TF Object Detection API exports take RGB 0..255 (fixed_shape_resizer: a plain resize).
    if (family == "tf_od_api")
        return {{"reverse_input_channels", true}, {"mean_values", 0}, {"scale_values", 1},
                {"resize_type", "standard"}, {"confidence_threshold", 0.5}, {"iou_threshold", 1.0}, {"labels", "coco91"}};
    // FastestDet's own example: BGR (cv2), /255, a plain resize.
    if (family == "fastestdet")
        return {{"reverse_input_channels", false}, {"mean_values", 0}, {"scale_values", 255},
                {"resize_type", "standard"}};
    return json::object();
}

}  // namespace detserve::detect
