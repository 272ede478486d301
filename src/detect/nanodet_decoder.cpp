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

// One stride's cells in one image: where its scores and distributions start and how far apart
// consecutive cells are (the layouts differ only in these).
struct Level {
    int stride = 0, grid_w = 0, cells = 0, bins = 0;
    const float* scores = nullptr;
    const float* distributions = nullptr;
    std::ptrdiff_t score_step = 0, distribution_step = 0;
};

struct Grid {
    int stride, grid_w, cells;
};

std::vector<Grid> make_grids(int input_width, int input_height, const std::vector<int>& strides) {
    std::vector<Grid> grids;
    for (const int stride : strides) {
        if (stride <= 0) throw std::invalid_argument("nanodet: strides must be positive");
        const int grid_w = cells_along(input_width, stride);
        grids.push_back({stride, grid_w, grid_w * cells_along(input_height, stride)});
    }
    return grids;
}

std::int64_t total_cells(const std::vector<Grid>& grids) {
    std::int64_t total = 0;
    for (const Grid& grid : grids) total += grid.cells;
    return total;
}

std::vector<Level> split_levels(const NamedTensors& outputs, int batch_index, const std::vector<Grid>& grids,
                                int num_classes) {
    std::vector<Level> levels;
    for (const Grid& grid : grids) {
        const int cells = grid.cells;
        const Tensor* score_tensor = find_output(outputs, [&](const Tensor& t) {
            return is_rank3_with(t, cells) && t.dim(2) == num_classes;
        });
        if (!score_tensor)
            throw std::runtime_error(missing_tensor_message("score", grid.stride, cells, std::to_string(num_classes),
                                                            outputs) +
                                     " (nor one concatenated [B," + std::to_string(total_cells(grids)) + "," +
                                     std::to_string(num_classes) + "+4*(reg_max+1)] tensor)");
        const Tensor* box_tensor = find_output(outputs, [&](const Tensor& t) {
            return is_rank3_with(t, cells) && t.dim(2) != num_classes && t.dim(2) % kSides == 0 &&
                   t.dim(2) >= kSides * kMinBinsPerSide;
        });
        if (!box_tensor) {
            const bool ambiguous = std::count_if(outputs.begin(), outputs.end(), [&](const auto& o) {
                return is_rank3_with(o.second, cells) && o.second.dim(2) == num_classes;
            }) > 1;
            throw std::runtime_error(
                missing_tensor_message("box", grid.stride, cells, "4*(reg_max+1)", outputs) +
                (ambiguous ? " (num_classes equals the box channel count: tensors cannot be told "
                             "apart by shape)"
                           : ""));
        }
        const std::string label = "nanodet stride " + std::to_string(grid.stride);
        Level level{grid.stride, grid.grid_w, cells, static_cast<int>(box_tensor->dim(2)) / kSides};
        level.scores = batch_data(*score_tensor, batch_index, label + " score");
        level.distributions = batch_data(*box_tensor, batch_index, label + " box");
        level.score_step = num_classes;
        level.distribution_step = box_tensor->dim(2);
        levels.push_back(level);
    }
    return levels;
}

// The concatenated [B, ΣN_s, C + 4*(reg_max+1)] output, or nullptr.
const Tensor* find_concatenated(const NamedTensors& outputs, const std::vector<Grid>& grids, int num_classes) {
    const std::int64_t total = total_cells(grids);
    return find_output(outputs, [&](const Tensor& t) {
        if (!is_rank3_with(t, total)) return false;
        const std::int64_t box_channels = t.dim(2) - num_classes;
        return box_channels >= kSides * kMinBinsPerSide && box_channels % kSides == 0;
    });
}

std::vector<Level> concatenated_levels(const Tensor& tensor, int batch_index, const std::vector<Grid>& grids,
                                       int num_classes) {
    const float* rows = batch_data(tensor, batch_index, "nanodet output");
    const std::ptrdiff_t row_size = tensor.dim(2);
    std::vector<Level> levels;
    std::ptrdiff_t first_cell = 0;
    for (const Grid& grid : grids) {
        Level level{grid.stride, grid.grid_w, grid.cells, static_cast<int>((row_size - num_classes) / kSides)};
        level.scores = rows + first_cell * row_size;
        level.distributions = level.scores + num_classes;
        level.score_step = level.distribution_step = row_size;
        levels.push_back(level);
        first_cell += grid.cells;
    }
    return levels;
}

}  // namespace

std::vector<Detection> decode_nanodet(const NamedTensors& outputs, int batch_index, int input_width,
                                      int input_height, int num_classes, const InputTransform& transform,
                                      const DecodeOptions& options, const NanodetFormat& format) {
    if (num_classes <= 0) throw std::invalid_argument("nanodet: num_classes must be positive");
    if (input_width <= 0 || input_height <= 0)
        throw std::invalid_argument("nanodet: input size must be positive");
    if (format.strides.empty()) throw std::invalid_argument("nanodet: no strides given");

    const std::vector<Grid> grids = make_grids(input_width, input_height, format.strides);
    const bool split = find_output(outputs, [&](const Tensor& t) {
        return is_rank3_with(t, grids.front().cells) && t.dim(2) == num_classes;
    });
    const Tensor* concatenated = split ? nullptr : find_concatenated(outputs, grids, num_classes);
    const std::vector<Level> levels = concatenated
                                          ? concatenated_levels(*concatenated, batch_index, grids, num_classes)
                                          : split_levels(outputs, batch_index, grids, num_classes);

    std::vector<Detection> candidates;
    for (const Level& level : levels) {
        const float s = static_cast<float>(level.stride);
        for (int cell = 0; cell < level.cells; ++cell) {
            const float* cell_scores = level.scores + cell * level.score_step;
            bool has_box = false;
            Box box;
            for (int c = 0; c < num_classes; ++c) {
                if (!(cell_scores[c] > options.score_threshold)) continue;
                if (!has_box) {  // the softmax is the hot path: only for cells that pass
                    const float cx = (static_cast<float>(cell % level.grid_w) + format.center_offset) * s;
                    const float cy = (static_cast<float>(cell / level.grid_w) + format.center_offset) * s;
                    const float* d = level.distributions + cell * level.distribution_step;
                    box = to_original_image(distance_box(d, level.bins, cx, cy, s), transform);
                    has_box = true;
                }
                candidates.push_back({c, {}, cell_scores[c], box});
            }
        }
    }
    return non_max_suppression(std::move(candidates), options.iou_threshold, options.max_detections, options.nms);
}

}  // namespace detserve::detect
