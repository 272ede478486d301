#include "detserve/detect/nanodet_decoder.hpp"

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

constexpr int kSides = 4;           // left, top, right, bottom (GFL's distance order)
constexpr int kMinBinsPerSide = 2;  // reg_max >= 1; fewer bins cannot express a distance

int cells_along(int pixels, int stride) { return (pixels + stride - 1) / stride; }

bool is_rank3_with(const Tensor& t, std::int64_t cells) {
    return t.shape.size() == 3 && t.dim(1) == cells;
}

// Σ_k softmax(bins)_k · k: the expected bin index of one side's distribution.
float distribution_expectation(const float* bins, int count) {
    const float max_bin = *std::max_element(bins, bins + count);
    float sum = 0, weighted = 0;
    for (int k = 0; k < count; ++k) {
        const float e = std::exp(bins[k] - max_bin);  // shifted for stability; softmax unchanged
        sum += e;
        weighted += e * static_cast<float>(k);
    }
    return weighted / sum;
}

// The box a cell's four distributions describe around its centre, in model-input pixels.
Box distance_box(const float* distributions, int bins, float center_x, float center_y, float stride) {
    const float left = distribution_expectation(distributions, bins) * stride;
    const float top = distribution_expectation(distributions + bins, bins) * stride;
    const float right = distribution_expectation(distributions + 2 * bins, bins) * stride;
    const float bottom = distribution_expectation(distributions + 3 * bins, bins) * stride;
    return {center_x - left, center_y - top, center_x + right, center_y + bottom};
}

std::string missing_tensor_message(const char* role, int stride, std::int64_t cells,
                                   const std::string& expected_last_dim,
                                   const NamedTensors& outputs) {
    return std::string("nanodet: no ") + role + " tensor for stride " + std::to_string(stride) +
           " (expected [B," + std::to_string(cells) + "," + expected_last_dim +
           "]); outputs: " + describe_outputs(outputs);
}

}  // namespace

std::vector<Detection> decode_nanodet(const NamedTensors& outputs, int batch_index, int input_width,
                                      int input_height, const std::vector<int>& strides,
                                      int num_classes, const InputTransform& transform,
                                      const DecodeOptions& options) {
    if (num_classes <= 0) throw std::invalid_argument("nanodet: num_classes must be positive");
    if (input_width <= 0 || input_height <= 0)
        throw std::invalid_argument("nanodet: input size must be positive");
    if (strides.empty()) throw std::invalid_argument("nanodet: no strides given");

    std::vector<Detection> candidates;
    for (const int stride : strides) {
        if (stride <= 0) throw std::invalid_argument("nanodet: strides must be positive");
        const int grid_w = cells_along(input_width, stride);
        const int cells = grid_w * cells_along(input_height, stride);

        const Tensor* score_tensor = find_output(outputs, [&](const Tensor& t) {
            return is_rank3_with(t, cells) && t.dim(2) == num_classes;
        });
        if (!score_tensor)
            throw std::runtime_error(missing_tensor_message(
                "score", stride, cells, std::to_string(num_classes), outputs));
        const Tensor* box_tensor = find_output(outputs, [&](const Tensor& t) {
            return is_rank3_with(t, cells) && t.dim(2) != num_classes && t.dim(2) % kSides == 0 &&
                   t.dim(2) >= kSides * kMinBinsPerSide;
        });
        if (!box_tensor) {
            const bool ambiguous = std::count_if(outputs.begin(), outputs.end(), [&](const auto& o) {
                return is_rank3_with(o.second, cells) && o.second.dim(2) == num_classes;
            }) > 1;
            throw std::runtime_error(
                missing_tensor_message("box", stride, cells, "4*(reg_max+1)", outputs) +
                (ambiguous ? " (num_classes equals the box channel count: tensors cannot be told "
                             "apart by shape)"
                           : ""));
        }

        const int bins = static_cast<int>(box_tensor->dim(2)) / kSides;  // reg_max + 1
        const std::string label = "nanodet stride " + std::to_string(stride);
        const float* scores = batch_data(*score_tensor, batch_index, label + " score");
        const float* distributions = batch_data(*box_tensor, batch_index, label + " box");
        const float s = static_cast<float>(stride);

        for (int cell = 0; cell < cells; ++cell) {
            const float* cell_scores = scores + static_cast<std::ptrdiff_t>(cell) * num_classes;
            bool has_box = false;
            Box box;
            for (int c = 0; c < num_classes; ++c) {
                if (!(cell_scores[c] > options.score_threshold)) continue;
                if (!has_box) {  // the softmax is the hot path: only for cells that pass
                    const float cx = (static_cast<float>(cell % grid_w) + 0.5f) * s;
                    const float cy = (static_cast<float>(cell / grid_w) + 0.5f) * s;
                    const float* d = distributions + static_cast<std::ptrdiff_t>(cell) * kSides * bins;
                    box = to_original_image(distance_box(d, bins, cx, cy, s), transform);
                    has_box = true;
                }
                candidates.push_back({c, {}, cell_scores[c], box});
            }
        }
    }
    return non_max_suppression(std::move(candidates), options.iou_threshold,
                               options.max_detections);
}

}  // namespace detserve::detect
