#pragma once
// Open Model Zoo's intel/ detectors whose output is DetectionOutput's [1, 1, N, 7] (the `ssd`
// family), as their model cards (openvinotoolkit/open_model_zoo, models/intel/<name>/README.md)
// describe them. Their IRs carry neither labels nor preprocessing: this table is where detserve
// finds both, keyed by the IR's file stem, which is the model's OMZ name.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detserve/detect/model_spec.hpp"

namespace detserve::detect {

struct OmzModel {
    std::string name;  // the OMZ name, e.g. "face-detection-retail-0004"
    int input_width = 0;
    int input_height = 0;
    // By DetectionOutput label: the card's class names. Models converted from Caffe/TensorFlow
    // reserve label 0 for the background ("background" here, background_label 0); OMZ's PyTorch
    // (OpenVINO Training Extensions) models number their classes from 0 (background_label -1).
    std::vector<std::string> labels;
    int background_label = 0;
};

// Every model in the table, in the order of OMZ's intel/ object detection index.
const std::vector<OmzModel>& omz_models();

// The model whose OMZ name equals `stem` exactly (an IR's file stem), or nullopt.
std::optional<OmzModel> omz_model(std::string_view stem);

// How to feed and read it: model_type ssd, the card's input size, BGR pixels 0..255 as they are
// (no mean or scale: the graphs normalise inside), stretched to the input size, threshold 0.5 (the
// OMZ object detection demo's default), no second NMS, up to 200 detections (DetectionOutput's
// keep_top_k in these models), the card's labels.
ModelSpec omz_model_spec(const OmzModel& model);

// Open Model Zoo's public/ TensorFlow Object Detection API SSDs (ssdlite_mobilenet_v2 — Frigate's
// default —, ssd_mobilenet_v1_coco, …), converted with DetectionOutput as their last layer and
// --reverse_input_channels: COCO-91 labels (0 = background), BGR pixels 0..255. True for their
// OMZ names.
bool is_omz_public_coco_ssd(std::string_view stem);

}  // namespace detserve::detect
