#pragma once
// An engine compiles a Graph (or a model file) into a runnable model. A CompiledModel is not
// thread-safe: each engine stream owns one.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "detserve/tensor.hpp"

namespace detserve::engine {

enum class Target { cpu, opencl, opencl_fp16 };

std::optional<Target> target_from_string(std::string_view name);  // "cpu", "opencl", "opencl_fp16"
std::string_view to_string(Target target);

// Which engine compiles the model. `automatic` ("auto"): OpenVINO when this build has it and the
// target is the CPU, else OpenCV (engine_choice.hpp).
enum class EngineKind { automatic, openvino, opencv };
std::optional<EngineKind> engine_kind_from_string(std::string_view name);  // "auto", "openvino", "opencv"
std::string_view to_string(EngineKind kind);

// OpenVINO's INFERENCE_PRECISION_HINT. `automatic` ("auto") leaves it to the CPU plugin, which
// picks bf16 on CPUs with AVX512-BF16 or AMX; the precision it chose is read back and reported.
enum class Precision { automatic, f32, bf16 };
std::optional<Precision> precision_from_string(std::string_view name);  // "auto", "f32", "bf16"
std::string_view to_string(Precision precision);

// OpenVINO's PERFORMANCE_HINT: `serve` compiles for throughput, `detect` and `info` for latency.
enum class PerformanceHint { latency, throughput };

struct EngineOptions {
    EngineKind engine = EngineKind::automatic;
    Target target = Target::cpu;  // the OpenCV engine's device; OpenVINO runs on its CPU plugin
    // How the OpenVINO engine compiles (the OpenCV engine compiles one net per stream instead).
    PerformanceHint hint = PerformanceHint::latency;
    int streams = 1;   // NUM_STREAMS; one infer request per stream
    int threads = 0;   // per stream: INFERENCE_NUM_THREADS = streams x threads; 0 = the plugin's choice
    Precision precision = Precision::automatic;
    int max_batch = 0;  // upper bound of a dynamic batch; 0 = unbounded, 1 = one image per forward
};

struct TensorInfo {
    std::string name;
    std::vector<std::int64_t> shape;  // -1 for a dynamic dimension
};

class EngineError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What really runs, as the engine reports it after compiling: for `detserve info`, /v1/models and
// detserve_engine_info.
struct EngineDescription {
    std::string engine;     // "openvino", "opencv"
    std::string version;    // the runtime's version
    std::string device;     // OpenVINO: "CPU"; OpenCV: its target ("cpu", "opencl", "opencl_fp16")
    std::string device_name;  // "AMD EPYC 7B13", an OpenCL device's name; may be empty
    std::string precision;  // what the kernels compute in: "f32", "bf16", "f16"
    std::string hint;       // "latency", "throughput"; empty for OpenCV
    int streams = 1;        // OpenVINO: NUM_STREAMS read back; OpenCV: 1 (one net per stream)
    int threads = 0;        // OpenVINO: INFERENCE_NUM_THREADS read back; OpenCV: cv::getNumThreads()
    std::string batch;      // "dynamic", "1..4", "fixed 1", with why it is fixed when it is
};

// "openvino 2026.4.1 on CPU (AMD EPYC 7B13): f32, 2 streams, 2 threads, throughput hint, batch
// dynamic 1..4": one line for logs and `detserve info`.
std::string summary(const EngineDescription& description);

class CompiledModel {
public:
    virtual ~CompiledModel() = default;

    // `input` is an NCHW float batch; outputs come back in the model's output order, as copies.
    virtual NamedTensors infer(const Tensor& input) = 0;

    virtual const TensorInfo& input() const = 0;
    virtual const std::vector<TensorInfo>& outputs() const = 0;
    // True when one forward may carry several images (the batch dimension is not pinned).
    virtual bool dynamic_batch() const = 0;
    virtual std::string precision() const = 0;    // "f32", "f16", "bf16"
    virtual std::string engine_name() const = 0;  // "opencv", "openvino"
    virtual Target target() const = 0;
    virtual EngineDescription describe() const = 0;
};

}  // namespace detserve::engine
