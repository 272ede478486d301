#pragma once
// TensorFlow Object Detection API exports (exporter_main_v2.py / export_inference_graph.py, the
// "Exporting a trained model" section of the API's documentation): four outputs
//   detection_boxes   [B, N, 4]  (ymin, xmin, ymax, xmax), normalised to [0, 1] of the model input
//   detection_classes [B, N]     class ids as floats, 1-based (COCO-91 ids 1..90 for COCO models)
//   detection_scores  [B, N]     sorted descending
//   num_detections    [B]        valid rows per image, as a float
// Exporters may add more (raw_detection_boxes [B, M, 4], detection_multiclass_scores,
// detection_anchor_indices [B, N]); they are told apart from the four as described below.
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

// The first num_detections rows of image `batch_index` with score > options.score_threshold; the
// class id is the row's class as is (index into coco91, where 0 is the background), corners ×
// input size mapped to the original image. The graph already ran NMS: non_max_suppression here
// only sorts and cuts at max_detections unless options.iou_threshold < 1 asks for a second one.
//
// Which output is which:
// - boxes: [B, N, 4]; one named "…detection_boxes…" first, then any other, but never one whose
//   name contains "raw" (raw_detection_boxes: the boxes before NMS) unless it is the only one.
// - num_detections: the [B] output.
// - classes and scores share the shape [B, N] of the boxes. By name when the names say it (one
//   contains "class", the other "score"; names containing "anchor" are never either). Otherwise by
//   content over the image's valid rows: class ids are whole numbers, scores rarely all are; when
//   both are whole (a one-class model scoring exactly 0 or 1), the one with the larger sum is the
//   classes, since ids are >= 1 and scores <= 1.
// num_classes is unused (ids come as they are); kept for a uniform decoder signature.
std::vector<Detection> decode_tf_od_api(const NamedTensors& outputs, int batch_index, int input_width,
                                        int input_height, int num_classes, const InputTransform& transform,
                                        const DecodeOptions& options);

}  // namespace detserve::detect
