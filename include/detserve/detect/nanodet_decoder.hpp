#pragma once
// NanoDet (GFL head): per cell, class scores (sigmoid applied) and four box-side distributions.
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

// The stride set of the published NanoDet models (nanodet-m/-t/-plus configs: strides [8, 16, 32]).
inline const std::vector<int> kNanodetStrides = {8, 16, 32};

// Where a cell's centre sits, in strides from its corner. NanoDet's GFL head (nanodet-m, -t, -g,
// RepVGG, EfficientNet-Lite; gfl_head.py get_single_level_center_point) uses (col + 0.5)·s;
// NanoDet-Plus (nanodet_plus_head.py get_single_level_center_priors) uses col·s.
inline constexpr float kNanodetGflCenterOffset = 0.5f;
inline constexpr float kNanodetPlusCenterOffset = 0.0f;

struct NanodetFormat {
    std::vector<int> strides = kNanodetStrides;
    float center_offset = kNanodetGflCenterOffset;
};

// Two output layouts, told apart by shape (never by name):
// - split (older exports, the TFJS model): per stride s, scores [B, N_s, num_classes] and box
//   distributions [B, N_s, 4*(reg_max+1)], N_s = ceil(H/s) * ceil(W/s), cells row-major;
// - concatenated (nanodet's current export for both heads): one [B, ΣN_s, num_classes +
//   4*(reg_max+1)] tensor, the strides' cells in order, each row scores then distributions.
// reg_max is read from the shape. Each side (left, top, right, bottom) is the softmax expectation
// over its reg_max+1 bins times s, measured from the cell centre ((col + offset)·s,
// (row + offset)·s). Every (cell, class) with score > options.score_threshold is a candidate;
// boxes are mapped to the original image, then class-wise NMS. Labels are left empty.
// Throws std::runtime_error naming the stride whose tensor is missing and the shapes present.
std::vector<Detection> decode_nanodet(const NamedTensors& outputs, int batch_index, int input_width,
                                      int input_height, int num_classes, const InputTransform& transform,
                                      const DecodeOptions& options, const NanodetFormat& format = {});

}  // namespace detserve::detect
