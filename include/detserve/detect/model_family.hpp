#pragma once
// Which decoder family a model belongs to when the file does not say it in our words: the names
// other tools write (Ultralytics' "YOLO", OpenVINO model API's "YOLOv8", "NanoDet-Plus", "SSD"),
// the family its output shapes give away, and what each family's own pipeline feeds it. Pure
// functions: the loader (app/model_spec_sources) decides which source wins.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace detserve::detect {

// A model_type as some tool spelled it.
struct SpelledFamily {
    std::string family;    // one of supported_model_types(), or empty
    bool generic = false;  // a name that covers several families ("YOLO"): the outputs decide
};

// "YOLOv8", "yolo_v8", "YOLO11", "yolov11" → yolov8; "YOLOv5" → yolov5; "YOLOX" → yolox;
// "NanoDet", "NanoDet-Plus" → nanodet; "SSD" → ssd; our own names as they are. Case, '-', '_' and
// spaces do not matter. "YOLO" (what Ultralytics writes for every export) is generic. Anything
// else: empty family, not generic.
SpelledFamily family_from_model_type(std::string_view spelled);

struct OutputShape {
    std::string name;
    std::vector<std::int64_t> dims;  // -1 where dynamic
};

// What the output shapes say: the family, why (one line for `detserve info`), and the spec fields
// the shapes settle (strides, center_offset; labels "coco80" when the class count is only
// consistent with COCO's 80 and nothing names the labels).
struct InferredFamily {
    std::string family;
    std::string reason;
    nlohmann::json fields = nlohmann::json::object();
    int classes = -1;  // the class count the shapes give, -1 when they do not
};

// `classes`: the number of labels another source names, or -1. Rules, in order:
//   [B,1,N,7]                              ssd (DetectionOutput rows)
//   detection_boxes [B,N,4] + 3 more       tf_od_api
//   one [B,85-like,H,W] (H·W = cells at 16) fastestdet
//   [B, 4+C, A]  A = cells(8,16,32)         yolov8 (YOLOv8/YOLO11 head, channel-major)
//   [B, 3·A, 5+C]                           yolov5 (three anchors per cell)
//   [B, A, 5+C]                             yolox
//   [B, A', C+4·(R+1)] A' = cells(8..32|64) nanodet (concatenated GFL head; 4 strides: NanoDet-Plus)
//   [B, N, 6] matching none of the above    detections (an export with NMS inside)
// where cells(s…) = Σ ceil(H/s)·ceil(W/s) at the model's input size. nullopt when nothing fits.
std::optional<InferredFamily> infer_family(const std::vector<OutputShape>& outputs, int input_width,
                                           int input_height, int classes);

// The preprocessing and serving defaults of the family's own pipeline (Ultralytics for
// yolov5/yolov8/detections, NanoDet's config, YOLOX's demo, Open Model Zoo's SSDs), as sidecar
// fields; the lowest layer of a spec, under anything a file or a sidecar says.
nlohmann::json family_defaults(std::string_view family);

}  // namespace detserve::detect
