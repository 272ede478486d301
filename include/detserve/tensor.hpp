#pragma once
// A dense float32 tensor in row-major order: what engines return and decoders read.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace detserve {

struct Tensor {
    std::vector<std::int64_t> shape;
    std::vector<float> data;

    std::int64_t dim(int axis) const { return shape.at(static_cast<std::size_t>(axis)); }
    std::size_t elements() const {
        std::size_t n = 1;
        for (auto d : shape) n *= static_cast<std::size_t>(d);
        return n;
    }
};

// Engine outputs by name, in the model's output order.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

}  // namespace detserve
