#include "detserve/detect/fastestdet_decoder.hpp"

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

constexpr int kObjectnessAndBox = 5;  // objectness, tx, ty, tw, th
// FastestDet weighs objectness over class confidence in its score (runtime.py, ncnn example).
constexpr float kObjectnessExponent = 0.6f;
constexpr float kClassExponent = 0.4f;

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

std::vector<Detection> decode_fastestdet(const NamedTensors& outputs, int batch_index, int input_width,
                                         int input_height, int num_classes, const InputTransform& transform,
                                         const DecodeOptions& options) {
    const Tensor* output = find_output(outputs, [&](const Tensor& t) {
        if (t.shape.size() != 4) return false;
        return num_classes > 0 ? t.dim(1) == kObjectnessAndBox + num_classes : t.dim(1) > kObjectnessAndBox;
    });
    if (!output)
        throw std::runtime_error(
            "fastestdet: no output of shape [B," +
            (num_classes > 0 ? std::to_string(kObjectnessAndBox + num_classes) : "5+C") +
            ",H,W]; outputs: " + describe_outputs(outputs));

    const int classes = static_cast<int>(output->dim(1)) - kObjectnessAndBox;
    const int grid_h = static_cast<int>(output->dim(2));
    const int grid_w = static_cast<int>(output->dim(3));
    const auto cells = static_cast<std::size_t>(grid_h) * static_cast<std::size_t>(grid_w);
    const float* data = batch_data(*output, batch_index, "fastestdet output");
    // Channel-major: channel ch of cell i is at ch * cells + i.
    auto channel = [&](int ch) { return data + static_cast<std::size_t>(ch) * cells; };

    std::vector<Detection> candidates;
    for (int row = 0; row < grid_h; ++row) {
        for (int col = 0; col < grid_w; ++col) {
            const std::size_t cell = static_cast<std::size_t>(row) * static_cast<std::size_t>(grid_w) +
                                     static_cast<std::size_t>(col);
            int best = 0;
            float best_probability = channel(kObjectnessAndBox)[cell];
            for (int c = 1; c < classes; ++c) {
                const float p = channel(kObjectnessAndBox + c)[cell];
                if (p > best_probability) {
                    best = c;
                    best_probability = p;
                }
            }
            const float score = std::pow(channel(0)[cell], kObjectnessExponent) *
                                std::pow(best_probability, kClassExponent);
            if (!(score > options.score_threshold)) continue;

            const float center_x = (static_cast<float>(col) + std::tanh(channel(1)[cell])) / static_cast<float>(grid_w);
            const float center_y = (static_cast<float>(row) + std::tanh(channel(2)[cell])) / static_cast<float>(grid_h);
            const float width = sigmoid(channel(3)[cell]);
            const float height = sigmoid(channel(4)[cell]);
            const Box model_box = box_from_center(center_x * static_cast<float>(input_width),
                                                  center_y * static_cast<float>(input_height),
                                                  width * static_cast<float>(input_width),
                                                  height * static_cast<float>(input_height));
            candidates.push_back({best, {}, score, to_original_image(model_box, transform)});
        }
    }
    return non_max_suppression(std::move(candidates), options.iou_threshold, options.max_detections, options.nms);
}

}  // namespace detserve::detect
