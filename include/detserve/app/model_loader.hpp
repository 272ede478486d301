#pragma once
// Finds, reads and describes a model and compiles it on an engine. Its ModelSpec is assembled field
// by field (model_spec_sources.hpp) from, lowest first: the family's defaults and what the output
// shapes say, config/models/<stem>.json, metadata.yaml beside the file, rt_info/framework/names,
// rt_info/model_info, and the sidecar beside the model.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "detserve/detect/model_spec.hpp"
#include "detserve/engine/engine.hpp"
#include "detserve/graph/graph.hpp"

namespace detserve::app {

struct Model {
    std::string name;                 // file stem
    std::filesystem::path path;
    std::string format;               // "openvino_ir" or "onnx"
    // Where the spec's fields came from, highest first and joined with " + " ("rt_info/model_info
    // + metadata.yaml", a sidecar's path, "inferred"); empty when there is no spec.
    std::string spec_source;
    detect::ModelSpec spec;
    std::vector<std::pair<std::string, std::string>> spec_origins;  // field → its source
    std::vector<std::string> spec_warnings;  // metadata fields that were ignored, and why
    std::string family_reason;               // how the decoder family was settled
    int input_width = 0, input_height = 0;
    std::string input_layout;           // IR only: "NCHW" or "NHWC" (graph/image_layout.hpp)
    std::optional<graph::Graph> graph;  // IR only
    // An IR described without its weights (SpecPolicy::optional): the .bin that does not exist.
    // Such a model is refused by compile_streams.
    std::optional<std::filesystem::path> missing_weights;
};

// `<model>.json` beside the model (the user's), `config/models/<stem>.json` under the working
// directory (detserve's, for files that carry no spec), and the first of the two.
std::optional<std::filesystem::path> sidecar_beside(const std::filesystem::path& model_path);
std::optional<std::filesystem::path> shipped_sidecar(const std::filesystem::path& model_path);
std::optional<std::filesystem::path> find_sidecar(const std::filesystem::path& model_path);

enum class SpecPolicy { required, optional };

// With SpecPolicy::optional an IR without any ModelSpec still loads (spec_source stays empty), and
// so does one whose .bin is missing (missing_weights): enough to describe it, not to run it.
// A file whose content is not the format its extension names is refused, naming it.
Model load_model(const std::filesystem::path& path, SpecPolicy policy = SpecPolicy::required);

// The model on the engine options.engine names (auto: OpenVINO when this build has it), once for
// options.streams streams (engine_choice.hpp); compile_model is one stream of it.
std::vector<std::unique_ptr<engine::CompiledModel>> compile_streams(const Model& model,
                                                                    const engine::EngineOptions& options);
std::unique_ptr<engine::CompiledModel> compile_model(const Model& model, const engine::EngineOptions& options);

// Writes the spec into the graph's rt_info/model_info.
void store_spec_in_rt_info(const detect::ModelSpec& spec, graph::Graph& graph);

}  // namespace detserve::app
