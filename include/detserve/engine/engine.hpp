#pragma once
// An engine compiles a Graph (or a model file) into a runnable model. A CompiledModel is not
// thread-safe: each engine stream owns one.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detserve/tensor.hpp"

namespace detserve::engine {

enum class Target { cpu, opencl, opencl_fp16 };

std::optional<Target> target_from_string(std::string_view name);  // "cpu", "opencl", "opencl_fp16"
std::string_view to_string(Target target);

struct EngineOptions {
    Target target = Target::cpu;
};

struct TensorInfo {
    std::string name;
    std::vector<std::int64_t> shape;  // -1 for a dynamic dimension
};

class EngineError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class CompiledModel {
public:
    virtual ~CompiledModel() = default;

    // `input` is an NCHW float batch; outputs come back in the model's output order, as copies.
    virtual NamedTensors infer(const Tensor& input) = 0;

    virtual const TensorInfo& input() const = 0;
    virtual const std::vector<TensorInfo>& outputs() const = 0;
    // True when one forward may carry several images (the batch dimension is not pinned).
    virtual bool dynamic_batch() const = 0;
    virtual std::string precision() const = 0;    // "f32", "f16"
    virtual std::string engine_name() const = 0;  // "opencv"
    virtual Target target() const = 0;
};

}  // namespace detserve::engine
