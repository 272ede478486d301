#pragma once
// NanoDet (GFL head) with one score tensor and one box-distribution tensor per stride.
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

// The stride set of the published NanoDet models (nanodet-m/-t config: strides [8, 16, 32]).
inline const std::vector<int> kNanodetStrides = {8, 16, 32};

// Per stride s the model has scores [B, N_s, num_classes] (sigmoid applied) and box distributions
// [B, N_s, 4*(reg_max+1)], N_s = ceil(H/s) * ceil(W/s), cells row-major; tensors are matched by
// shape and reg_max is read from the box tensor. Each side (left, top, right, bottom) is the
// softmax expectation over its reg_max+1 bins times s, measured from the cell centre
// ((col + 0.5)·s, (row + 0.5)·s). Every (cell, class) with score > options.score_threshold is a
// candidate; boxes are mapped to the original image, then class-wise NMS. Labels are left empty.
// Throws std::runtime_error naming the stride whose tensor is missing and the shapes present.
std::vector<Detection> decode_nanodet(const NamedTensors& outputs, int batch_index, int input_width,
                                      int input_height, const std::vector<int>& strides,
                                      int num_classes, const InputTransform& transform,
                                      const DecodeOptions& options);

}  // namespace detserve::detect
