#pragma once
// SSD-style detectors whose graph ends in OpenVINO's DetectionOutput (opset1/opset8 spec,
// docs.openvino.ai "DetectionOutput-8", Outputs): one tensor [1, 1, N·B, 7] of rows
// (image_id, label, conf, x_min, y_min, x_max, y_max), corners normalised to [0, 1] of the model
// input. The rows of all B images of a batch share the one tensor, each naming its image; the first
// row with image_id -1 ends the output. Open Model Zoo's intel/ detectors, TF Object Detection API
// SSDs converted by OpenVINO, Caffe SSDs and OpenCV's DetectionOutput layer all emit this.
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

struct SsdFormat {
    // The label DetectionOutput reserves for the background (its background_label_id); a row with
    // it is never a detection. -1: every label is a class (OMZ's PyTorch-trained models, whose
    // label 0 is the first class).
    int background_label = 0;
};

// The rows of image `batch_index` (image_id == batch_index) above options.score_threshold, label
// as class_id unchanged (an SSD's label map has the background at 0), corners × input size mapped
// to the original image. DetectionOutput already ran NMS: non_max_suppression here only sorts by
// score and cuts at max_detections unless options.iou_threshold < 1 asks for a second NMS.
// num_classes is unused (the label is the class id); kept for a uniform decoder signature.
std::vector<Detection> decode_ssd(const NamedTensors& outputs, int batch_index, int input_width,
                                  int input_height, int num_classes, const InputTransform& transform,
                                  const DecodeOptions& options, const SsdFormat& format = {});

}  // namespace detserve::detect
