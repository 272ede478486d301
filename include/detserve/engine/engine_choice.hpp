#pragma once
// Which engine runs a model, and compiling it for the pipeline's streams. `auto` is OpenVINO when
// this build has it (CMake found the runtime) and the target is the CPU, else the OpenCV engine.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "detserve/engine/engine.hpp"
#include "detserve/graph/graph.hpp"

namespace detserve::engine {

// A model file as the app layer has read it.
struct ModelSource {
    std::filesystem::path path;           // the .xml (beside its .bin) or .onnx file
    const graph::Graph* graph = nullptr;  // the IR as graph/ir_reader read it: what OpenCV lowers
    int input_width = 0, input_height = 0;  // pins spatial dimensions the file leaves open
    std::string input_layout;  // "NCHW"/"NHWC" as the graph says (graph/image_layout.hpp); empty: the engine's guess
};

// True when this build has the OpenVINO engine.
bool openvino_built();

// The engine `options.engine` means where OpenVINO is `openvino_available` (resolve_engine(options):
// in this build). Never `automatic`. Throws EngineError when the choice cannot run: `openvino`
// without OpenVINO, or with an OpenCL target.
EngineKind resolve_engine(const EngineOptions& options, bool openvino_available);
EngineKind resolve_engine(const EngineOptions& options);

// One compiled model per stream (options.streams of them), each used by one thread at a time.
// OpenCV compiles one net per stream; OpenVINO compiles once with NUM_STREAMS = streams and gives
// each stream its own infer request. Errors name the file and the engine's message.
std::vector<std::unique_ptr<CompiledModel>> compile_streams(const ModelSource& source, const EngineOptions& options);

}  // namespace detserve::engine
