#pragma once
// The OpenCV dnn engine: builds a cv::dnn::Net layer by layer from a Graph, or reads ONNX.
#include <filesystem>
#include <memory>

#include "detserve/engine/engine.hpp"
#include "detserve/graph/graph.hpp"

namespace detserve::engine {

std::unique_ptr<CompiledModel> compile_opencv(const graph::Graph& graph, const EngineOptions& options);
std::unique_ptr<CompiledModel> compile_opencv_onnx(const std::filesystem::path& onnx_path, const EngineOptions& options);

// True when OpenCV has a usable OpenCL device (after the environment has been set up for it).
bool opencl_available();
std::string opencl_device_name();

}  // namespace detserve::engine
