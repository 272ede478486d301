#include "detserve/detect/yolox_decoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "detserve/detect/box.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/detect/output_tensors.hpp"

namespace detserve::detect {

namespace {

// Grid position and stride of every row, in the order the head concatenates them.
struct Anchor {
    float col, row, stride;
};

std::vector<Anchor> make_anchors(int input_width, int input_height, const std::vector<int>& strides) {
    std::vector<Anchor> anchors;
    for (const int stride : strides) {
        if (stride <= 0) throw std::invalid_argument("yolox: strides must be positive");
        // Floor division, as YOLOX's demo_postprocess (img_size // stride).
        const int grid_w = input_width / stride;
        const int grid_h = input_height / stride;
        for (int row = 0; row < grid_h; ++row)
            for (int col = 0; col < grid_w; ++col)
                anchors.push_back({static_cast<float>(col), static_cast<float>(row),
                                   static_cast<float>(stride)});
    }
    return anchors;
}

}  // namespace

std::vector<Detection> decode_yolox(const NamedTensors& outputs, int batch_index, int input_width,
                                    int input_height, int num_classes,
                                    const InputTransform& transform, const DecodeOptions& options,
                                    const YoloxFormat& format) {
    const Tensor* output = &find_objectness_rows(outputs, num_classes, "yolox");

    const int row_size = static_cast<int>(output->dim(2));
    const int classes = row_size - kBoxAndObjectness;
    const auto rows = static_cast<std::size_t>(output->dim(1));
    const float* data = batch_data(*output, batch_index, "yolox output");

    std::vector<Anchor> anchors;
    if (!format.decoded) {
        anchors = make_anchors(input_width, input_height, format.strides);
        if (anchors.size() != rows)
            throw std::runtime_error(
                "yolox: output has " + std::to_string(rows) + " rows but a " +
                std::to_string(input_width) + "x" + std::to_string(input_height) +
                " input gives " + std::to_string(anchors.size()) +
                " grid cells over its strides (exported with decode_in_inference?)");
    }

    std::vector<Detection> candidates;
    for (std::size_t i = 0; i < rows; ++i) {
        const float* row = data + i * static_cast<std::size_t>(row_size);
        const float* class_scores = row + kBoxAndObjectness;
        const int best = static_cast<int>(
            std::max_element(class_scores, class_scores + classes) - class_scores);
        const float score = row[4] * class_scores[best];
        if (!(score > options.score_threshold)) continue;

        Box box;
        if (format.decoded) {
            box = box_from_center(row[0], row[1], row[2], row[3]);
        } else {
            const Anchor& a = anchors[i];
            box = box_from_center((row[0] + a.col) * a.stride, (row[1] + a.row) * a.stride,
                                  std::exp(row[2]) * a.stride, std::exp(row[3]) * a.stride);
        }
        candidates.push_back({best, {}, score, to_original_image(box, transform)});
    }
    return non_max_suppression(std::move(candidates), options.iou_threshold, options.max_detections, options.nms);
}

}  // namespace detserve::detect
