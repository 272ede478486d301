#include "detserve/engine/openvino_engine.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <mutex>
#include <sstream>

#include <openvino/core/preprocess/pre_post_process.hpp>
#include <openvino/core/version.hpp>
#include <openvino/frontend/manager.hpp>
#include <openvino/openvino.hpp>

namespace detserve::engine {
namespace {

constexpr const char* kDevice = "CPU";
constexpr std::int64_t kChannels = 3;
// The batch of the load-time shape check: any size above 1 shows whether outputs follow the input.
constexpr std::int64_t kProbeBatch = 2;

// OpenVINO's messages start with where in its sources it threw ("Exception from src/…:123:",
// "Check '…' failed at …"); the user needs the reason after them, on one line.
std::string openvino_message(const std::exception& e) {
    std::istringstream lines{e.what()};
    std::string line, out;
    while (std::getline(lines, line)) {
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
        if (line.empty() || line.rfind("Exception from ", 0) == 0 || line.rfind("Check '", 0) == 0) continue;
        out += (out.empty() ? "" : " ") + line;
    }
    return out.empty() ? std::string(e.what()) : out;
}

// One Core for the process: it loads the CPU plugin once (creating a Core is cheap, the plugin not).
ov::Core& core() {
    static std::once_flag once;
    static std::unique_ptr<ov::Core> instance;
    static std::string failure;
    std::call_once(once, [] {
        try {
            auto created = std::make_unique<ov::Core>();
            // Loads the CPU plugin only (get_available_devices() would load every plugin: GPU, NPU…).
            created->get_property(kDevice, ov::device::full_name);
            instance = std::move(created);
        } catch (const std::exception& e) {
            failure = "cannot load its CPU plugin: " + openvino_message(e);
        }
    });
    if (!instance) throw RuntimeUnavailable("OpenVINO " + openvino_version() + " " + failure);
    return *instance;
}

// Only the IR and ONNX frontends may read our files: Core::read_model offers a file its format's
// frontend refuses to every other one in turn (TensorFlow's prints parse errors on stderr). IR
// files still go through Core::read_model, which also completes IR v10 models (tensor names).
std::shared_ptr<ov::Model> read_model(ov::Core& ov_core, const std::filesystem::path& path) {
    ov::frontend::FrontEndManager frontends;
    if (path.extension() == ".onnx") {
        const auto onnx = frontends.load_by_framework("onnx");
        return onnx->convert(onnx->load(path.string()));
    }
    if (!frontends.load_by_framework("ir")->supported(path.string()))
        throw EngineError("its IR frontend does not take this file (not an IR, or an IR version before 10)");
    return ov_core.read_model(path.string());
}

std::vector<std::int64_t> dims_of(const ov::PartialShape& shape) {
    std::vector<std::int64_t> dims;
    if (shape.rank().is_dynamic()) return dims;
    for (const auto& d : shape) dims.push_back(d.is_static() ? d.get_length() : -1);
    return dims;
}

std::string tensor_name(const ov::Output<const ov::Node>& port, std::size_t index) {
    // IR v10 and Ultralytics exports leave some ports without tensor names.
    if (!port.get_names().empty()) return port.get_any_name();
    return "output" + std::to_string(index);
}

std::string precision_name(const ov::element::Type& type) {
    if (type == ov::element::f32) return "f32";
    if (type == ov::element::bf16) return "bf16";
    if (type == ov::element::f16) return "f16";
    return type.get_type_name();
}

// Where the channels are in the file's input: its declared layout, else the one our IR reader
// found (graph/image_layout.hpp: old_api_map_order, the shape), else the axis of size 3.
ov::Layout input_layout(const ov::Output<ov::Node>& input, const std::filesystem::path& path, const std::string& known) {
    const ov::Layout declared = ov::layout::get_layout(input);
    if (!declared.empty()) return declared;
    if (!known.empty()) return ov::Layout(known);
    const auto& shape = input.get_partial_shape();
    if (shape.rank().is_static() && shape.rank().get_length() == 4) {
        if (shape[1].is_static() && shape[1].get_length() == kChannels) return ov::Layout("NCHW");
        if (shape[3].is_static() && shape[3].get_length() == kChannels) return ov::Layout("NHWC");
    }
    throw EngineError(path.string() + ": input '" + (input.get_names().empty() ? "" : input.get_any_name()) +
                      "' has shape " + shape.to_string() + ", expected [N,3,H,W] or [N,H,W,3]");
}

// Our batches are f32 holding what preprocessing made (0..255 for a model that scales inside its
// graph, whole numbers there); a PrePostProcessor Convert takes them to any numeric input type.
void require_numeric_input(const ov::Output<ov::Node>& input, const std::filesystem::path& path) {
    const ov::element::Type type = input.get_element_type();
    if (type.is_real() || (type.is_integral_number() && type.bitwidth() >= 8)) return;
    throw EngineError(path.string() + ": input '" + (input.get_names().empty() ? "" : input.get_any_name()) +
                      "' has element type " + type.get_type_name() +
                      ", which an image batch cannot be converted to (expected a float or an integer type)");
}

// The file's input shape with the batch set to `batch` and open spatial dims pinned to the spec's.
ov::PartialShape input_shape(ov::PartialShape shape, const ov::Layout& layout, ov::Dimension batch, int width,
                             int height) {
    shape[ov::layout::batch_idx(layout)] = batch;
    const auto h = ov::layout::height_idx(layout), w = ov::layout::width_idx(layout);
    if (shape[h].is_dynamic() && height > 0) shape[h] = height;
    if (shape[w].is_dynamic() && width > 0) shape[w] = width;
    return shape;
}

// Whether every output carries the input's batch: reshaped to a batch of kProbeBatch, each output
// must lead with that batch. A Reshape constant that pins the batch at 1 (TRAPS.md: NanoDet's
// [1,80,-1]) gives [1,…] there, and a batched forward would merge the images.
std::string batch_blocker(const std::shared_ptr<ov::Model>& model, const ov::PartialShape& probe_shape) {
    const auto probe = model->clone();
    try {
        probe->reshape(probe_shape);
    } catch (const std::exception& e) {
        return "reshaping to a batch of " + std::to_string(kProbeBatch) + " fails: " + openvino_message(e);
    }
    for (const auto& output : probe->outputs()) {
        const auto& shape = output.get_partial_shape();
        if (shape.rank().is_dynamic() || shape.rank().get_length() == 0 || shape[0] != kProbeBatch)
            return "at a batch of " + std::to_string(kProbeBatch) + " output '" +
                   (output.get_names().empty() ? output.get_node()->get_friendly_name() : output.get_any_name()) +
                   "' has shape " + shape.to_string();
    }
    return {};
}

struct Prepared {
    std::shared_ptr<ov::Model> model;
    bool dynamic_batch = false;
    int max_batch = 1;  // images per forward at most; 0 = unbounded
    std::string batch;  // for EngineDescription::batch
};

// Reshapes the batch (dynamic, bounded by max_batch, where the graph allows it) and adds the
// conversions from our f32 NCHW input and to f32 outputs.
Prepared prepare(std::shared_ptr<ov::Model> model, const std::filesystem::path& path, const EngineOptions& options,
                 int width, int height, const std::string& known_layout) {
    if (model->inputs().size() != 1)
        throw EngineError(path.string() + ": detection models must have exactly one input, this one has " +
                          std::to_string(model->inputs().size()));
    const auto input = model->input();
    require_numeric_input(input, path);
    const ov::Layout layout = input_layout(input, path, known_layout);
    const ov::PartialShape declared = input.get_partial_shape();

    Prepared out;
    std::string fixed_because;
    if (options.max_batch == 1)
        fixed_because = "one image per forward asked";
    else
        fixed_because = batch_blocker(model, input_shape(declared, layout, kProbeBatch, width, height));
    // A fixed batch is 1: the pipeline sends one image at a time to a model that cannot batch.
    ov::Dimension batch = 1;
    if (fixed_because.empty()) {
        batch = options.max_batch > 1 ? ov::Dimension(1, options.max_batch) : ov::Dimension::dynamic();
        out.dynamic_batch = true;
        out.max_batch = options.max_batch;
        out.batch = options.max_batch > 1 ? "dynamic 1.." + std::to_string(options.max_batch) : "dynamic";
    } else {
        out.batch = "fixed 1";
        if (options.max_batch != 1)
            std::clog << "detserve: " << path.string() << ": batch stays fixed at " << batch << " (" << fixed_because
                      << "); running one image per forward\n";
    }
    try {
        model->reshape(input_shape(declared, layout, batch, width, height));
    } catch (const std::exception& e) {
        throw EngineError(path.string() + ": OpenVINO cannot reshape the input to " +
                          input_shape(declared, layout, batch, width, height).to_string() + ": " + openvino_message(e));
    }

    // The tensor we hand over is f32 NCHW; PrePostProcessor adds the Convert (to f16, u8, ...) and
    // the Transpose (to NHWC) that the file's input needs, inside the compiled graph.
    ov::preprocess::PrePostProcessor ppp(model);
    ppp.input().tensor().set_element_type(ov::element::f32).set_layout(ov::Layout("NCHW"));
    ppp.input().model().set_layout(layout);
    for (std::size_t i = 0; i < model->outputs().size(); ++i) ppp.output(i).tensor().set_element_type(ov::element::f32);
    try {
        out.model = ppp.build();
    } catch (const std::exception& e) {
        throw EngineError(path.string() + ": OpenVINO cannot adapt the input to f32 NCHW: " + openvino_message(e));
    }
    return out;
}

ov::AnyMap compile_properties(const EngineOptions& options) {
    const int streams = std::max(1, options.streams);
    ov::AnyMap properties{
        ov::hint::performance_mode(options.hint == PerformanceHint::throughput ? ov::hint::PerformanceMode::THROUGHPUT
                                                                               : ov::hint::PerformanceMode::LATENCY),
        ov::num_streams(streams),
        // Batching is ours (the pipeline's batcher), not the BATCH plugin's.
        ov::hint::allow_auto_batching(false),
    };
    if (options.threads > 0) properties.insert(ov::inference_num_threads(streams * options.threads));
    if (options.precision == Precision::f32) properties.insert(ov::hint::inference_precision(ov::element::f32));
    if (options.precision == Precision::bf16) properties.insert(ov::hint::inference_precision(ov::element::bf16));
    return properties;
}

// What the streams share: the compiled model and what it reports.
struct Compiled {
    ov::CompiledModel model;
    TensorInfo input;
    std::vector<TensorInfo> outputs;
    bool dynamic_batch = false;
    int max_batch = 1;
    std::int64_t fixed_batch = 1;
    EngineDescription description;
};

class OpenVinoModel final : public CompiledModel {
public:
    explicit OpenVinoModel(std::shared_ptr<Compiled> compiled)
        : compiled_(std::move(compiled)), request_(compiled_->model.create_infer_request()) {}

    NamedTensors infer(const Tensor& input) override {
        const auto& expected = compiled_->input.shape;
        const auto matches = [&](std::size_t axis) { return expected[axis] < 0 || input.shape[axis] == expected[axis]; };
        if (input.shape.size() != 4 || !matches(1) || !matches(2) || !matches(3))
            throw EngineError("input must be an NCHW tensor [N," + std::to_string(expected[1]) + "," +
                              std::to_string(expected[2]) + "," + std::to_string(expected[3]) + "]");
        const std::int64_t batch = input.shape[0];
        if (!compiled_->dynamic_batch && batch != compiled_->fixed_batch)
            throw EngineError("this model takes " + std::to_string(compiled_->fixed_batch) + " image(s) per forward");
        if (compiled_->max_batch > 0 && batch > compiled_->max_batch)
            throw EngineError("this model takes at most " + std::to_string(compiled_->max_batch) + " images per forward");
        if (input.data.size() != input.elements()) throw EngineError("input data does not match its shape");
        NamedTensors out;
        try {
            // Wraps our buffer: the plugin reads the batch where preprocessing wrote it.
            request_.set_input_tensor(ov::Tensor(ov::element::f32, ov::Shape(input.shape.begin(), input.shape.end()),
                                                 const_cast<float*>(input.data.data())));
            request_.infer();
            out.reserve(compiled_->outputs.size());
            for (std::size_t i = 0; i < compiled_->outputs.size(); ++i) {
                const ov::Tensor result = request_.get_output_tensor(i);
                Tensor t;
                for (const auto d : result.get_shape()) t.shape.push_back(static_cast<std::int64_t>(d));
                const float* data = result.data<const float>();
                t.data.assign(data, data + result.get_size());
                out.emplace_back(compiled_->outputs[i].name, std::move(t));
            }
        } catch (const ov::Exception& e) {
            throw EngineError("OpenVINO inference failed: " + openvino_message(e));
        }
        return out;
    }

    const TensorInfo& input() const override { return compiled_->input; }
    const std::vector<TensorInfo>& outputs() const override { return compiled_->outputs; }
    bool dynamic_batch() const override { return compiled_->dynamic_batch; }
    std::string precision() const override { return compiled_->description.precision; }
    std::string engine_name() const override { return "openvino"; }
    Target target() const override { return Target::cpu; }
    EngineDescription describe() const override { return compiled_->description; }

private:
    std::shared_ptr<Compiled> compiled_;  // shared by the streams; only create_infer_request() needs it mutable
    ov::InferRequest request_;
};

}  // namespace

std::string openvino_version() {
    // "2026.4.1-22982-e213a147257-releases/2026/4": the release is what people compare.
    const std::string build = ov::get_openvino_version().buildNumber;
    return build.substr(0, build.find('-'));
}

std::vector<std::unique_ptr<CompiledModel>> compile_openvino(const std::filesystem::path& model_path,
                                                             const EngineOptions& options, int input_width,
                                                             int input_height, const std::string& known_layout) {
    ov::Core& ov_core = core();
    std::shared_ptr<ov::Model> read;
    try {
        read = read_model(ov_core, model_path);
    } catch (const std::exception& e) {
        throw EngineError(model_path.string() + ": OpenVINO " + openvino_version() +
                          " cannot read this model: " + openvino_message(e));
    }
    Prepared prepared = prepare(std::move(read), model_path, options, input_width, input_height, known_layout);

    auto compiled = std::make_shared<Compiled>();
    try {
        compiled->model = ov_core.compile_model(prepared.model, kDevice, compile_properties(options));
    } catch (const std::exception& e) {
        throw EngineError(model_path.string() + ": OpenVINO's CPU plugin cannot compile this model: " +
                          openvino_message(e));
    }
    compiled->dynamic_batch = prepared.dynamic_batch;
    compiled->max_batch = prepared.dynamic_batch ? prepared.max_batch : 1;
    const auto in = compiled->model.input();
    compiled->input = {in.get_names().empty() ? "input" : in.get_any_name(), dims_of(in.get_partial_shape())};
    if (!prepared.dynamic_batch) compiled->fixed_batch = compiled->input.shape.at(0);
    const auto ports = compiled->model.outputs();
    for (std::size_t i = 0; i < ports.size(); ++i)
        compiled->outputs.push_back({tensor_name(ports[i], i), dims_of(ports[i].get_partial_shape())});

    auto& d = compiled->description;
    d.engine = "openvino";
    d.version = openvino_version();
    d.device = kDevice;
    try {
        d.device_name = ov_core.get_property(kDevice, ov::device::full_name);
        d.precision = precision_name(compiled->model.get_property(ov::hint::inference_precision));
        d.streams = compiled->model.get_property(ov::num_streams).num;
        d.threads = compiled->model.get_property(ov::inference_num_threads);
        std::ostringstream hint;
        hint << compiled->model.get_property(ov::hint::performance_mode);
        d.hint = hint.str();
        std::transform(d.hint.begin(), d.hint.end(), d.hint.begin(), [](unsigned char c) { return std::tolower(c); });
    } catch (const std::exception& e) {
        throw EngineError(model_path.string() + ": OpenVINO compiled the model but cannot report its properties: " +
                          openvino_message(e));
    }
    d.batch = prepared.batch;
    if (options.precision == Precision::bf16 && d.precision != "bf16")
        std::clog << "detserve: precision bf16 asked, but OpenVINO's CPU plugin runs " << d.precision
                  << " on this CPU (it has no AVX512-BF16 or AMX)\n";

    std::vector<std::unique_ptr<CompiledModel>> streams;
    for (int s = 0; s < std::max(1, options.streams); ++s) streams.push_back(std::make_unique<OpenVinoModel>(compiled));
    return streams;
}

}  // namespace detserve::engine
