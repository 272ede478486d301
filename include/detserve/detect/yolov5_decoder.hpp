#pragma once
// YOLOv5 (Ultralytics export): one output [B, N, 5 + C], each row (cx, cy, w, h, objectness,
// C class scores); boxes in model-input pixels, objectness and class scores already sigmoid.
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

// As Ultralytics' non_max_suppression: rows with objectness <= score_threshold are skipped, the
// score is objectness · class score, and a row gives one candidate for its best class
// (multi_label=false, their default) or one per class above the threshold (multi_label=true).
// Boxes are mapped to the original image, then class-wise NMS. num_classes <= 0 takes C from the
// output's shape. input_width/height are unused (boxes are already pixels); kept for a uniform
// decoder signature.
std::vector<Detection> decode_yolov5(const NamedTensors& outputs, int batch_index, int input_width,
                                     int input_height, int num_classes,
                                     const InputTransform& transform, const DecodeOptions& options,
                                     bool multi_label = false);

}  // namespace detserve::detect
