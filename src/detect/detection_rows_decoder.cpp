#include "detserve/detect/detection_rows_decoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <utility>

#include "detserve/detect/box.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/detect/output_tensors.hpp"

namespace detserve::detect {

namespace {
constexpr int kRowSize = 6;  // x1, y1, x2, y2, score, class id
}

std::vector<Detection> decode_detection_rows(const NamedTensors& outputs, int batch_index,
                                             [[maybe_unused]] int input_width,
                                             [[maybe_unused]] int input_height,
                                             [[maybe_unused]] int num_classes,
                                             const InputTransform& transform, const DecodeOptions& options) {
    const Tensor* output =
        find_output(outputs, [](const Tensor& t) { return t.shape.size() == 3 && t.dim(2) == kRowSize; });
    if (!output)
        throw std::runtime_error("detections: no output of shape [B,N,6] (x1, y1, x2, y2, score, class); outputs: " +
                                 describe_outputs(outputs));
    const float* rows = batch_data(*output, batch_index, "detections output");
    const auto row_count = static_cast<std::size_t>(output->dim(1));

    std::vector<Detection> candidates;
    for (std::size_t i = 0; i < row_count; ++i) {
        const float* row = rows + i * kRowSize;
        if (std::all_of(row, row + kRowSize, [](float v) { return v == 0.0f; })) continue;  // padding
        const float score = row[4];
        if (!(score > options.score_threshold) || !std::isfinite(row[5])) continue;
        const int class_id = static_cast<int>(std::lround(row[5]));
        if (class_id < 0) continue;
        candidates.push_back({class_id, {}, score, to_original_image({row[0], row[1], row[2], row[3]}, transform)});
    }
    return non_max_suppression(std::move(candidates), options.iou_threshold, options.max_detections, options.nms);
}

}  // namespace detserve::detect
