#pragma once
// Finding a decoder's tensors among an engine's outputs. Decoders match tensors by shape, never
// by name (names change with every exporter), and their errors list the shapes that were there.
#include <functional>
#include <string>
#include <string_view>

#include "detserve/tensor.hpp"

namespace detserve::detect {

// "'output0' [1,25200,85], 'onnx::Sigmoid_1' [1,3,80,80,85]"
std::string describe_outputs(const NamedTensors& outputs);

// The first output whose tensor satisfies `matches`, or nullptr.
const Tensor* find_output(const NamedTensors& outputs,
                          const std::function<bool(const Tensor&)>& matches);

// Start of image `batch_index` in a [B, ...] tensor. Throws std::runtime_error (naming `what`)
// when the index is out of range or the tensor holds fewer floats than its shape says.
const float* batch_data(const Tensor& tensor, int batch_index, std::string_view what);

// Rows of box + objectness + class scores ([B, N, 5+C]), as YOLOv5 and YOLOX heads emit them.
constexpr int kBoxAndObjectness = 5;  // x, y, w, h, objectness

// The [B, N, 5+C] output (C = num_classes, or any C when num_classes <= 0); throws
// std::runtime_error naming `family` and the outputs present when there is none.
const Tensor& find_objectness_rows(const NamedTensors& outputs, int num_classes, std::string_view family);

}  // namespace detserve::detect
