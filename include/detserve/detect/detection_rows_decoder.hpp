#pragma once
// Exports with NMS inside the graph that emit finished detections, one output [B, N, 6] of rows
// (x1, y1, x2, y2, score, class id), corners in model-input pixels; rows after the last detection
// are zero. Ultralytics' `yolo export … nms=True` (YOLOv8/YOLO11: the graph ends in
// NonMaxSuppression, TopK and a padded GatherND; ../shared/models/zoo/yolo11n-int8-320-nms) writes
// this, at most max_det (300) rows per image.
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

// Rows of image `batch_index` with score > options.score_threshold, class id rounded to the
// nearest integer; all-zero padding rows are skipped. The graph already ran NMS, so
// non_max_suppression here only sorts and cuts at max_detections unless options.iou_threshold < 1
// asks for a second one. A class id beyond the label map is kept (named class_<id>), a negative
// one dropped. num_classes and input_width/height are unused (the class count is not in the shape;
// boxes are already pixels): a uniform decoder signature.
std::vector<Detection> decode_detection_rows(const NamedTensors& outputs, int batch_index, int input_width,
                                             int input_height, int num_classes,
                                             const InputTransform& transform, const DecodeOptions& options);

}  // namespace detserve::detect
