#include "detserve/detect/ssd_decoder.hpp"

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <utility>

#include "detserve/detect/box.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/detect/output_tensors.hpp"

namespace detserve::detect {

namespace {

constexpr int kRowSize = 7;  // image_id, label, conf, x_min, y_min, x_max, y_max
constexpr float kEndOfOutput = -1;

bool is_detection_output(const Tensor& t) {
    return t.shape.size() == 4 && t.dim(0) == 1 && t.dim(1) == 1 && t.dim(3) == kRowSize;
}

}  // namespace

std::vector<Detection> decode_ssd(const NamedTensors& outputs, int batch_index, int input_width,
                                  int input_height, [[maybe_unused]] int num_classes,
                                  const InputTransform& transform, const DecodeOptions& options,
                                  const SsdFormat& format) {
    const Tensor* output = find_output(outputs, is_detection_output);
    if (!output)
        throw std::runtime_error("ssd: no DetectionOutput-style output of shape [1,1,N,7]; outputs: " +
                                 describe_outputs(outputs));
    const float* rows = batch_data(*output, 0, "ssd output");
    const auto row_count = static_cast<std::size_t>(output->dim(2));
    const auto width = static_cast<float>(input_width);
    const auto height = static_cast<float>(input_height);

    std::vector<Detection> candidates;
    for (std::size_t i = 0; i < row_count; ++i) {
        const float* row = rows + i * kRowSize;
        if (row[0] == kEndOfOutput) break;
        if (row[0] != static_cast<float>(batch_index)) continue;
        const float label = row[1];
        if (!std::isfinite(label)) continue;
        const int class_id = static_cast<int>(std::lround(label));
        if (class_id == format.background_label) continue;
        const float score = row[2];
        if (!(score > options.score_threshold)) continue;
        const Box model_box{row[3] * width, row[4] * height, row[5] * width, row[6] * height};
        candidates.push_back({class_id, {}, score, to_original_image(model_box, transform)});
    }
    return non_max_suppression(std::move(candidates), options.iou_threshold, options.max_detections, options.nms);
}

}  // namespace detserve::detect
