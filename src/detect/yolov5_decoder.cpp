#include "detserve/detect/yolov5_decoder.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "detserve/detect/box.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/detect/output_tensors.hpp"

namespace detserve::detect {

std::vector<Detection> decode_yolov5(const NamedTensors& outputs, int batch_index,
                                     [[maybe_unused]] int input_width,
                                     [[maybe_unused]] int input_height, int num_classes,
                                     const InputTransform& transform, const DecodeOptions& options,
                                     bool multi_label) {
    const Tensor* output = &find_objectness_rows(outputs, num_classes, "yolov5");

    const int row_size = static_cast<int>(output->dim(2));
    const int classes = row_size - kBoxAndObjectness;
    const auto rows = static_cast<std::size_t>(output->dim(1));
    const float* data = batch_data(*output, batch_index, "yolov5 output");

    std::vector<Detection> candidates;
    for (std::size_t i = 0; i < rows; ++i) {
        const float* row = data + i * static_cast<std::size_t>(row_size);
        const float objectness = row[4];
        if (!(objectness > options.score_threshold)) continue;
        const float* class_scores = row + kBoxAndObjectness;
        const Box box = to_original_image(box_from_center(row[0], row[1], row[2], row[3]), transform);
        if (multi_label) {
            for (int c = 0; c < classes; ++c) {
                const float score = objectness * class_scores[c];
                if (score > options.score_threshold) candidates.push_back({c, {}, score, box});
            }
        } else {
            const int best = static_cast<int>(
                std::max_element(class_scores, class_scores + classes) - class_scores);
            const float score = objectness * class_scores[best];
            if (score > options.score_threshold) candidates.push_back({best, {}, score, box});
        }
    }
    return non_max_suppression(std::move(candidates), options.iou_threshold, options.max_detections, options.nms);
}

}  // namespace detserve::detect
