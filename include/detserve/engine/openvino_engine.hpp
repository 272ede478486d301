#pragma once
// The OpenVINO engine, in builds with OpenVINO only (engine_choice.hpp chooses it): ov::Core reads
// the IR or ONNX file itself; a PrePostProcessor step adapts the file's input (f16/u8 element type,
// NHWC layout) to the f32 NCHW batches our preprocessing makes and its outputs to f32; the batch is
// made dynamic where the graph carries a batch through, else stays fixed and says so; the CPU
// plugin compiles it with explicit properties (hint, streams, threads, precision).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "detserve/engine/engine.hpp"

namespace detserve::engine {

// The file could not be read or compiled (the message names it and quotes OpenVINO).
// RuntimeUnavailable: OpenVINO itself cannot run here (no CPU plugin), whatever the model.
class RuntimeUnavailable : public EngineError {
public:
    using EngineError::EngineError;
};

// options.streams models sharing one ov::CompiledModel, each with its own ov::InferRequest.
// `input_width`/`input_height` (> 0) pin spatial dimensions the file leaves dynamic; `input_layout`
// ("NCHW", "NHWC") is the input's layout where the file declares none and the caller knows it
// (our IR reader: old_api_map_order); empty: the axis of size 3.
std::vector<std::unique_ptr<CompiledModel>> compile_openvino(const std::filesystem::path& model_path,
                                                             const EngineOptions& options, int input_width = 0,
                                                             int input_height = 0, const std::string& input_layout = {});

std::string openvino_version();  // the release, "2026.4.1"

}  // namespace detserve::engine
