#include "detserve/detect/yolov8_decoder.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "detserve/detect/box.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/detect/output_tensors.hpp"

namespace detserve::detect {

namespace {
constexpr int kBoxChannels = 4;  // cx, cy, w, h
}

std::vector<Detection> decode_yolov8(const NamedTensors& outputs, int batch_index,
                                     [[maybe_unused]] int input_width,
                                     [[maybe_unused]] int input_height, int num_classes,
                                     const InputTransform& transform, const DecodeOptions& options,
                                     bool multi_label) {
    const Tensor* output = find_output(outputs, [&](const Tensor& t) {
        if (t.shape.size() != 3) return false;
        return num_classes > 0 ? t.dim(1) == kBoxChannels + num_classes : t.dim(1) > kBoxChannels;
    });
    if (!output)
        throw std::runtime_error(
            "yolov8: no output of shape [B," +
            (num_classes > 0 ? std::to_string(kBoxChannels + num_classes) : "4+C") +
            ",N]; outputs: " + describe_outputs(outputs));

    const int classes = static_cast<int>(output->dim(1)) - kBoxChannels;
    const auto anchors = static_cast<std::size_t>(output->dim(2));
    const float* data = batch_data(*output, batch_index, "yolov8 output");
    // Channel-major: value of channel ch for anchor i is at ch * anchors + i.
    auto channel = [&](int ch) { return data + static_cast<std::size_t>(ch) * anchors; };

    std::vector<Detection> candidates;
    for (std::size_t i = 0; i < anchors; ++i) {
        int best = 0;
        float best_score = channel(kBoxChannels)[i];
        for (int c = 1; c < classes; ++c) {
            const float score = channel(kBoxChannels + c)[i];
            if (score > best_score) {
                best = c;
                best_score = score;
            }
        }
        if (!(best_score > options.score_threshold)) continue;
        const Box box = to_original_image(
            box_from_center(channel(0)[i], channel(1)[i], channel(2)[i], channel(3)[i]), transform);
        if (!multi_label) {
            candidates.push_back({best, {}, best_score, box});
            continue;
        }
        for (int c = 0; c < classes; ++c) {
            const float score = channel(kBoxChannels + c)[i];
            if (score > options.score_threshold) candidates.push_back({c, {}, score, box});
        }
    }
    return non_max_suppression(std::move(candidates), options.iou_threshold, options.max_detections, options.nms);
}

}  // namespace detserve::detect
