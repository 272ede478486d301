#pragma once
// YOLOX (Megvii export_onnx.py): one output [B, N, 5 + C], rows (x, y, w, h, objectness, C class
// scores) with objectness and class scores already sigmoid.
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/tensor.hpp"

namespace detserve::detect {

struct YoloxFormat {
    // false: the default export (decode_in_inference off), boxes are grid-relative and decoded
    // here; true: exported with --decode_in_inference, boxes already cx, cy, w, h in pixels.
    bool decoded = false;
    // YOLOX's head strides; rows are grids of floor(H/s) x floor(W/s) cells, row-major, in
    // this order.
    std::vector<int> strides = {8, 16, 32};
};

// Raw rows are decoded as in YOLOX's demo_postprocess: cx = (x + col)·s, cy = (y + row)·s,
// w = exp(w)·s, h = exp(h)·s. As in yolox.utils.postprocess a row gives one candidate for its best
// class, scored objectness · class score, kept when above options.score_threshold. Boxes are
// mapped to the original image, then class-wise NMS. num_classes <= 0 takes C from the shape.
std::vector<Detection> decode_yolox(const NamedTensors& outputs, int batch_index, int input_width,
                                    int input_height, int num_classes,
                                    const InputTransform& transform, const DecodeOptions& options,
                                    const YoloxFormat& format = {});

}  // namespace detserve::detect
