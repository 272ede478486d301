#pragma once
// FastestDet (github.com/dog-qiuqiu/FastestDet, model/custom_layers.py DetectHead and
// example/onnx-runtime/runtime.py): one output [B, 5 + C, H, W], a single-scale grid. Per cell,
// channel 0 is the objectness (sigmoid inside the graph), 1-2 the raw centre offsets, 3-4 the raw
// width and height, 5.. the class probabilities (softmax over C inside the graph).
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

// As the repository's own decoding: score = objectness^0.6 · best class^0.4, kept when above
// options.score_threshold; centre = ((col + tanh(tx)) / W, (row + tanh(ty)) / H), size =
// (sigmoid(tw), sigmoid(th)), all normalised to the model input, so × input size, then mapped to the
// original image; one candidate per cell for its best class, then NMS as options say (the
// repository's runtime.py: IoU 0.45 over all classes). num_classes <= 0 takes C from the shape.
std::vector<Detection> decode_fastestdet(const NamedTensors& outputs, int batch_index, int input_width,
                                         int input_height, int num_classes, const InputTransform& transform,
                                         const DecodeOptions& options);

}  // namespace detserve::detect
