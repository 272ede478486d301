#include "detserve/app/model_loader.hpp"

#include <fstream>
#include <iterator>
#include <vector>

#include "detserve/engine/engine_choice.hpp"
#include "detserve/graph/image_layout.hpp"
#include "detserve/graph/ir_reader.hpp"
#include "detserve/graph/model_file_kind.hpp"

namespace detserve::app {
namespace {

constexpr const char* kModelInfo = "model_info";
// Where an Ultralytics export keeps its class names (a Python dict literal).
constexpr const char* kFrameworkNames = "framework/names";

// A spec and whether it named its labels (else the IR's own class names may fill them in).
struct ReadSpec {
    detect::ModelSpec spec;
    bool has_labels = false;
};

ReadSpec read_sidecar(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path.string() + ": cannot open model spec");
    try {
        const auto json = nlohmann::json::parse(in);
        return {detect::model_spec_from_json(json, path.parent_path().string()), json.contains("labels")};
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path.string() + ": not valid JSON: " + e.what());
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path.string() + ": " + e.what());
    }
}

std::optional<ReadSpec> spec_from_rt_info(const graph::Graph& graph, const std::filesystem::path& path) {
    const graph::RtInfo* info = graph.rt_info.child(kModelInfo);
    if (!info || !info->child("model_type")) return std::nullopt;
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& [key, node] : info->children) entries.emplace_back(key, node.value);
    try {
        return ReadSpec{detect::model_spec_from_model_info(entries, path.parent_path().string()),
                        info->child("labels") != nullptr};
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path.string() + ": rt_info/model_info: " + e.what());
    }
}

// A spec that names no labels takes the IR's framework/names when it has them.
void labels_from_framework_names(const graph::Graph& graph, const std::filesystem::path& path, detect::ModelSpec& spec) {
    const auto names = graph.rt_info.get(kFrameworkNames);
    if (!names) return;
    try {
        spec.labels = detect::LabelMap::from_python_dict(*names);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path.string() + ": rt_info/" + kFrameworkNames + ": " + e.what());
    }
    spec.labels_source = std::string("rt_info/") + kFrameworkNames;
}

// Refuses a file whose bytes are not what its extension says (an HTML page saved as .onnx, an
// empty or cut-short file) before a reader or an engine makes less sense of it.
void require_model_format(const std::filesystem::path& path, const std::string& extension) {
    const bool ir = extension == ".xml";
    if (!ir && extension != ".onnx") return;  // refused below as an unknown format
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) throw std::runtime_error(path.string() + ": cannot open the file");
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    const auto kind = graph::model_file_kind(bytes);
    const auto expected = ir ? graph::ModelFormat::openvino_ir : graph::ModelFormat::onnx;
    if (kind.format == expected) return;
    std::string message = path.string() + ": not an " + (ir ? "OpenVINO IR" : "ONNX") + " file (";
    if (kind.format == graph::ModelFormat::unknown) message += kind.what + ")";
    else message += std::string("it is an ") + (ir ? "ONNX model: name it .onnx)" : "OpenVINO IR: name it .xml, beside its .bin)");
    throw std::runtime_error(message);
}

}  // namespace

std::optional<std::filesystem::path> sidecar_beside(const std::filesystem::path& model_path) {
    auto beside = model_path;
    beside.replace_extension(".json");
    if (std::filesystem::exists(beside)) return beside;
    return std::nullopt;
}

std::optional<std::filesystem::path> find_sidecar(const std::filesystem::path& model_path) {
    if (auto beside = sidecar_beside(model_path)) return beside;
    const auto shared = std::filesystem::path("config") / "models" / (model_path.stem().string() + ".json");
    if (std::filesystem::exists(shared)) return shared;
    return std::nullopt;
}

Model load_model(const std::filesystem::path& path, SpecPolicy policy) {
    if (!std::filesystem::exists(path)) throw std::runtime_error(path.string() + ": model file not found");
    Model model;
    model.path = path;
    model.name = path.stem().string();
    const auto extension = path.extension().string();
    require_model_format(path, extension);
    const auto sidecar = find_sidecar(path);
    if (extension == ".xml") {
        model.format = "openvino_ir";
        // Describing a model (SpecPolicy::optional) needs no weights; running one does.
        const bool describing = policy == SpecPolicy::optional;
        model.graph = graph::read_ir(path, describing ? graph::WeightsPolicy::optional : graph::WeightsPolicy::required);
        if (describing && !std::filesystem::exists(graph::ir_weights_path(path))) model.missing_weights = graph::ir_weights_path(path);
        auto spec = spec_from_rt_info(*model.graph, path);
        // A sidecar beside the model overrides what the IR carries (it is how a user adjusts a model
        // they did not convert); config/models/ only fills in for an IR that carries nothing.
        const auto beside = sidecar_beside(path);
        std::optional<ReadSpec> chosen;
        if (beside) {
            chosen = read_sidecar(*beside);
            model.spec_source = beside->string();
        } else if (spec) {
            chosen = spec;
            model.spec_source = "rt_info";
        } else if (sidecar) {
            chosen = read_sidecar(*sidecar);
            model.spec_source = sidecar->string();
        }
        if (chosen) {
            model.spec = chosen->spec;
            if (!chosen->has_labels) labels_from_framework_names(*model.graph, path, model.spec);
        } else if (policy == SpecPolicy::optional) {
            model.spec_source = "";
        } else {
            throw std::runtime_error(path.string() + ": no ModelSpec: the IR has no rt_info/model_info/model_type and there is no "
                                     "sidecar " + path.stem().string() + ".json beside it or in config/models/");
        }
        const auto parameters = model.graph->parameters();
        if (parameters.size() != 1) throw std::runtime_error(path.string() + ": a detector must have exactly one input");
        const auto& shape = parameters[0]->outputs[0].shape;
        graph::ImageLayout layout;
        try {
            layout = graph::image_layout(*parameters[0]);
        } catch (const graph::ModelError& e) {
            throw std::runtime_error(path.string() + ": " + e.what());
        }
        if (shape[layout.channels] != 3)
            throw std::runtime_error(path.string() + ": input '" + parameters[0]->name + "' has shape " +
                                     graph::shape_to_string(shape) + ", " + layout.name() + " by " + layout.source +
                                     ": expected 3 colour channels");
        model.input_layout = layout.name();
        model.input_height = static_cast<int>(shape[layout.height]);
        model.input_width = static_cast<int>(shape[layout.width]);
    } else if (extension == ".onnx") {
        model.format = "onnx";
        if (!sidecar)
            throw std::runtime_error(path.string() + ": an ONNX model needs a sidecar " + path.stem().string() +
                                     ".json (beside it or in config/models/) with model_type and input_size");
        model.spec = read_sidecar(*sidecar).spec;
        model.spec_source = sidecar->string();
        if (model.spec.input_width <= 0)
            throw std::runtime_error(sidecar->string() + ": key 'input_size' is required for an ONNX model");
    } else {
        throw std::runtime_error(path.string() + ": unknown model format (expected .xml OpenVINO IR or .onnx)");
    }
    if (model.spec.input_width > 0) {
        model.input_width = model.spec.input_width;
        model.input_height = model.spec.input_height;
    }
    if (model.input_width <= 0 || model.input_height <= 0)
        throw std::runtime_error(path.string() + ": the input size is dynamic; set input_size in the model spec");
    return model;
}

std::vector<std::unique_ptr<engine::CompiledModel>> compile_streams(const Model& model,
                                                                    const engine::EngineOptions& options) {
    if (model.missing_weights)
        throw std::runtime_error(model.path.string() + ": cannot run: its weights file '" + model.missing_weights->string() +
                                 "' does not exist (an OpenVINO IR is the .xml and the .bin beside it)");
    const engine::ModelSource source{model.path, model.graph ? &*model.graph : nullptr, model.input_width,
                                     model.input_height, model.input_layout};
    return engine::compile_streams(source, options);
}

std::unique_ptr<engine::CompiledModel> compile_model(const Model& model, const engine::EngineOptions& options) {
    auto one = options;
    one.streams = 1;
    return std::move(compile_streams(model, one).front());
}

void store_spec_in_rt_info(const detect::ModelSpec& spec, graph::Graph& graph) {
    for (const auto& [key, value] : detect::model_spec_to_model_info(spec))
        graph.rt_info.set(std::string(kModelInfo) + "/" + key, value);
}

}  // namespace detserve::app
