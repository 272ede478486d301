#pragma once
// YOLOv8 and YOLO11 (Ultralytics export): one output [B, 4 + C, N], channel-major: rows cx, cy,
// w, h (model-input pixels) then C class scores, already sigmoid; no objectness.
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

// As Ultralytics' non_max_suppression: an anchor gives one candidate for its best class
// (multi_label=false, their default) or one per class above options.score_threshold
// (multi_label=true). Boxes are mapped to the original image, then class-wise NMS.
// num_classes <= 0 takes C from the output's shape. input_width/height are unused (boxes are
// already pixels); kept for a uniform decoder signature.
std::vector<Detection> decode_yolov8(const NamedTensors& outputs, int batch_index, int input_width,
                                     int input_height, int num_classes,
                                     const InputTransform& transform, const DecodeOptions& options,
                                     bool multi_label = false);

}  // namespace detserve::detect
