#include "detserve/app/model_loader.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "detserve/app/metadata_yaml.hpp"
#include "detserve/app/model_spec_sources.hpp"
#include "detserve/detect/omz_models.hpp"

#include "detserve/engine/engine_choice.hpp"
#include "detserve/graph/image_layout.hpp"
#include "detserve/graph/ir_reader.hpp"
#include "detserve/graph/model_file_kind.hpp"

namespace detserve::app {
namespace {

constexpr const char* kModelInfo = "model_info";
// Where an Ultralytics export keeps its class names (a Python dict literal).
constexpr const char* kFrameworkNames = "framework/names";
// What Ultralytics writes beside every export.
constexpr const char* kMetadataYaml = "metadata.yaml";

nlohmann::json read_json_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path.string() + ": cannot open model spec");
    try {
        auto json = nlohmann::json::parse(in);
        if (!json.is_object()) throw std::runtime_error(path.string() + ": a model spec must be a JSON object");
        return json;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path.string() + ": not valid JSON: " + e.what());
    }
}

SpecSource sidecar_source(const std::filesystem::path& path) {
    return {path.string(), read_json_file(path), true, path.parent_path().string()};
}

// What detserve knows of a model by its file stem: Open Model Zoo's detectors, whose IRs carry
// neither labels nor preprocessing (their names are their stems).
std::optional<SpecSource> known_model_source(const std::string& stem) {
    if (const auto omz = detect::omz_model(stem)) {
        auto fields = detect::model_spec_to_json(detect::omz_model_spec(*omz));
        fields.erase("input_size");  // the IR's own input shape stands
        return SpecSource{"Open Model Zoo card (" + stem + ")", std::move(fields), true};
    }
    if (detect::is_omz_public_coco_ssd(stem))
        return SpecSource{"Open Model Zoo public model (" + stem + ")",
                          {{"model_type", "ssd"}, {"labels", "coco91"}, {"background_label", 0}}, true};
    return std::nullopt;
}

// rt_info/model_info, entry by entry: a value in a form we cannot read is a warning, not a dead
// end (the sidecar can set the field).
SpecSource model_info_source(const graph::RtInfo& info, const std::filesystem::path& path,
                             std::vector<std::string>& warnings) {
    SpecSource source{std::string("rt_info/") + kModelInfo, nlohmann::json::object(), false,
                      path.parent_path().string()};
    for (const auto& [key, node] : info.children) {
        try {
            if (auto field = detect::model_info_field(key, node.value); !field.is_null()) source.fields[key] = std::move(field);
        } catch (const std::invalid_argument& e) {
            warnings.push_back(source.origin + ": " + e.what() + "; ignored");
        }
    }
    return source;
}

std::optional<SpecSource> framework_names_source(const graph::Graph& graph, std::vector<std::string>& warnings) {
    const auto names = graph.rt_info.get(kFrameworkNames);
    if (!names) return std::nullopt;
    const std::string origin = std::string("rt_info/") + kFrameworkNames;
    try {
        return SpecSource{origin, {{"labels", detect::LabelMap::from_python_dict(*names).names()}}, false};
    } catch (const std::invalid_argument& e) {
        warnings.push_back(origin + ": " + e.what() + "; ignored");
        return std::nullopt;
    }
}

std::optional<SpecSource> metadata_yaml_source(const std::filesystem::path& model_path,
                                                std::vector<std::string>& warnings) {
    const auto path = model_path.parent_path() / kMetadataYaml;
    if (!std::filesystem::exists(path)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
        return SpecSource{path.string(), spec_fields_from_metadata(parse_metadata_yaml(text)), false};
    } catch (const MetadataError& e) {
        // A task other than detect is a model detserve cannot serve, not a field to fix.
        if (std::string(e.what()).find("task") != std::string::npos) throw std::runtime_error(path.string() + ": " + e.what());
        warnings.push_back(path.string() + ": " + e.what() + "; ignored");
        return std::nullopt;
    }
}

// The Results' shapes, named by their tensor names (IR v10 and Ultralytics leave some unnamed:
// then the Result layer's name).
std::vector<detect::OutputShape> output_shapes(const graph::Graph& graph) {
    std::vector<detect::OutputShape> outputs;
    for (const graph::Node* result : graph.results()) {
        if (result->inputs.empty()) continue;
        const auto& port = result->inputs[0].port;
        std::string name = port.names.substr(0, port.names.find(','));
        if (name.empty()) name = graph.port_of(result->inputs[0].source).names;
        name = name.substr(0, name.find(','));
        outputs.push_back({name.empty() ? result->name : name, port.shape});
    }
    return outputs;
}

void apply(const ResolvedSpec& resolved, Model& model) {
    model.spec = resolved.spec;
    model.spec_origins = resolved.origins;
    model.spec_warnings = resolved.warnings;
    model.family_reason = resolved.family_reason;
    std::string joined;
    for (const auto& s : resolved.sources) joined += (joined.empty() ? "" : " + ") + s;
    model.spec_source = joined.empty() ? "inferred" : joined;
    for (const auto& warning : resolved.warnings) std::clog << "detserve: " << model.path.string() << ": " << warning << "\n";
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

std::optional<std::filesystem::path> shipped_sidecar(const std::filesystem::path& model_path) {
    const auto shared = std::filesystem::path("config") / "models" / (model_path.stem().string() + ".json");
    if (std::filesystem::exists(shared)) return shared;
    return std::nullopt;
}

std::optional<std::filesystem::path> find_sidecar(const std::filesystem::path& model_path) {
    if (auto beside = sidecar_beside(model_path)) return beside;
    return shipped_sidecar(model_path);
}

Model load_model(const std::filesystem::path& path, SpecPolicy policy) {
    if (!std::filesystem::exists(path)) throw std::runtime_error(path.string() + ": model file not found");
    Model model;
    model.path = path;
    model.name = path.stem().string();
    const auto extension = path.extension().string();
    require_model_format(path, extension);
    // Lowest priority first: detserve's shipped spec for a file of this name, the file's own
    // metadata, then the user's sidecar beside it.
    std::vector<SpecSource> sources;
    std::vector<std::string> warnings;
    if (auto known = known_model_source(model.name)) sources.push_back(std::move(*known));
    if (const auto shipped = shipped_sidecar(path)) sources.push_back(sidecar_source(*shipped));
    std::vector<detect::OutputShape> outputs;
    if (extension == ".xml") {
        model.format = "openvino_ir";
        // Describing a model (SpecPolicy::optional) needs no weights; running one does.
        const bool describing = policy == SpecPolicy::optional;
        model.graph = graph::read_ir(path, describing ? graph::WeightsPolicy::optional : graph::WeightsPolicy::required);
        if (describing && !std::filesystem::exists(graph::ir_weights_path(path))) model.missing_weights = graph::ir_weights_path(path);
        if (auto yaml = metadata_yaml_source(path, warnings)) sources.push_back(std::move(*yaml));
        if (auto names = framework_names_source(*model.graph, warnings)) sources.push_back(std::move(*names));
        if (const graph::RtInfo* info = model.graph->rt_info.child(kModelInfo))
            sources.push_back(model_info_source(*info, path, warnings));
        const auto parameters = model.graph->parameters();
        if (parameters.size() != 1) throw std::runtime_error(path.string() + ": a detector must have exactly one input");
        // A u8 input takes pixels as they are: whatever scaling the model needs is inside it.
        if (parameters[0]->outputs[0].type == graph::ElementType::u8)
            sources.insert(sources.begin(), SpecSource{"the input's element type (u8: pixels as they are)",
                                                       {{"mean_values", 0}, {"scale_values", 1}}, true});
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
        outputs = output_shapes(*model.graph);
    } else if (extension == ".onnx") {
        model.format = "onnx";
    } else {
        throw std::runtime_error(path.string() + ": unknown model format (expected .xml OpenVINO IR or .onnx)");
    }
    if (const auto beside = sidecar_beside(path)) sources.push_back(sidecar_source(*beside));

    if (model.format == "onnx" && sources.empty())
        throw std::runtime_error(path.string() + ": an ONNX model carries no model spec; it needs a sidecar " +
                                 path.stem().string() +
                                 ".json (beside it or in config/models/) with model_type, input_size and labels "
                                 "(docs/models.md)");
    try {
        auto resolved = resolve_model_spec(sources, outputs, model.input_width, model.input_height);
        resolved.warnings.insert(resolved.warnings.begin(), warnings.begin(), warnings.end());
        apply(resolved, model);
    } catch (const std::runtime_error& e) {
        if (policy == SpecPolicy::required) throw std::runtime_error(path.string() + ": " + e.what());
        model.spec_source = "";
        model.spec_warnings = warnings;
        model.spec_warnings.push_back(e.what());
    }
    if (model.spec.input_width > 0) {
        model.input_width = model.spec.input_width;
        model.input_height = model.spec.input_height;
    }
    if (model.format == "onnx" && model.input_width <= 0 && !model.spec_source.empty())
        throw std::runtime_error(model.spec_source + ": key 'input_size' is required for an ONNX model");
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
