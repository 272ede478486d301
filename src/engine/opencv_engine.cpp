#include "detserve/engine/opencv_engine.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>

#include <opencv2/core/ocl.hpp>
#include <opencv2/dnn.hpp>

#include "onnx_inputs.hpp"
#include "opencv_lowering.hpp"

namespace detserve::engine {
namespace {

struct TargetName {
    Target target;
    std::string_view name;
};
constexpr TargetName kTargets[] = {{Target::cpu, "cpu"}, {Target::opencl, "opencl"}, {Target::opencl_fp16, "opencl_fp16"}};

int dnn_target(Target target) {
    switch (target) {
        case Target::cpu: return cv::dnn::DNN_TARGET_CPU;
        case Target::opencl: return cv::dnn::DNN_TARGET_OPENCL;
        case Target::opencl_fp16: return cv::dnn::DNN_TARGET_OPENCL_FP16;
    }
    return cv::dnn::DNN_TARGET_CPU;
}

void require_opencl(Target target) {
    if (target == Target::cpu) return;
    if (!opencl_available())
        throw EngineError(
            "target '" + std::string(to_string(target)) +
            "' needs an OpenCL device, and OpenCV found none (on a CPU-only machine install pocl-opencl-icd and set "
            "OPENCV_DNN_OPENCL_ALLOW_ALL_DEVICES=1 and OPENCV_OPENCL_DEVICE=:CPU:)");
}

void use_target(cv::dnn::Net& net, Target target) {
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(dnn_target(target));
}

// One forward of an NCHW float batch; the outputs come back as copies (forward() reuses its buffers).
NamedTensors run_forward(cv::dnn::Net& net, const Tensor& input, const std::vector<std::string>& layers,
                         const std::vector<TensorInfo>& outputs) {
    const std::vector<int> dims(input.shape.begin(), input.shape.end());
    // setInput copies the data into the network's own buffer.
    const cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F, const_cast<float*>(input.data.data()));
    std::vector<cv::Mat> blobs;
    try {
        net.setInput(blob);
        net.forward(blobs, layers);
    } catch (const cv::Exception& e) {
        throw EngineError(std::string("OpenCV forward failed: ") + e.what());
    }
    NamedTensors out;
    out.reserve(blobs.size());
    for (std::size_t i = 0; i < blobs.size(); ++i) {
        const cv::Mat& m = blobs[i];
        Tensor t;
        for (int d = 0; d < m.dims; ++d) t.shape.push_back(m.size[d]);
        const cv::Mat dense = m.isContinuous() ? m : m.clone();
        const float* data = dense.ptr<float>();
        t.data.assign(data, data + dense.total());
        out.emplace_back(outputs[i].name, std::move(t));
    }
    return out;
}

class OpenCvModel final : public CompiledModel {
public:
    OpenCvModel(cv::dnn::Net net, TensorInfo input, std::vector<TensorInfo> outputs, std::vector<std::string> layers,
                bool dynamic_batch, Target target)
        : net_(std::move(net)),
          input_(std::move(input)),
          outputs_(std::move(outputs)),
          layers_(std::move(layers)),
          dynamic_batch_(dynamic_batch),
          target_(target) {
        use_target(net_, target);
    }

    NamedTensors infer(const Tensor& input) override {
        if (input.shape.size() != 4) throw EngineError("input must be an NCHW tensor");
        if (!dynamic_batch_ && input.shape[0] != 1) throw EngineError("this model takes one image per forward");
        return run_forward(net_, input, layers_, outputs_);
    }

    const TensorInfo& input() const override { return input_; }
    const std::vector<TensorInfo>& outputs() const override { return outputs_; }
    bool dynamic_batch() const override { return dynamic_batch_; }
    std::string precision() const override { return target_ == Target::opencl_fp16 ? "f16" : "f32"; }
    std::string engine_name() const override { return "opencv"; }
    Target target() const override { return target_; }
    EngineDescription describe() const override {
        EngineDescription d;
        d.engine = engine_name();
        d.version = CV_VERSION;
        d.device = std::string(to_string(target_));
        if (target_ != Target::cpu) d.device_name = opencl_device_name();
        d.precision = precision();
        d.threads = cv::getNumThreads();  // process-wide in OpenCV
        d.batch = dynamic_batch_ ? "dynamic" : "fixed 1";
        return d;
    }

private:
    cv::dnn::Net net_;
    TensorInfo input_;
    std::vector<TensorInfo> outputs_;
    std::vector<std::string> layers_;
    bool dynamic_batch_;
    Target target_;
};

// A graph is batch-agnostic when its Parameter leaves the batch open and no Reshape pins it.
bool graph_has_dynamic_batch(const graph::Graph& graph) {
    const auto parameters = graph.parameters();
    if (parameters.size() != 1 || parameters[0]->outputs[0].shape.empty() || parameters[0]->outputs[0].shape[0] >= 0)
        return false;
    for (const auto& node : graph.nodes()) {
        if (!node.is("Reshape")) continue;
        const graph::Node* target = graph.find(node.inputs.at(1).source.node);
        if (!target || !target->is("Const")) return false;
        const auto dims = graph::const_as_i64(*target);
        const bool copies_batch = !dims.empty() && dims[0] == 0 && node.attrs.get_string_or("special_zero", "false") == "true";
        if (!copies_batch && !(dims.size() > 0 && dims[0] == -1)) return false;
    }
    return true;
}

}  // namespace

std::optional<Target> target_from_string(std::string_view name) {
    for (const auto& entry : kTargets)
        if (entry.name == name) return entry.target;
    return std::nullopt;
}

std::string_view to_string(Target target) {
    for (const auto& entry : kTargets)
        if (entry.target == target) return entry.name;
    return "?";
}

bool opencl_available() {
    if (!cv::ocl::haveOpenCL()) return false;
    cv::ocl::setUseOpenCL(true);
    return cv::ocl::useOpenCL();
}

std::string opencl_device_name() {
    if (!opencl_available()) return {};
    return cv::ocl::Device::getDefault().name();
}

std::unique_ptr<CompiledModel> compile_opencv(const graph::Graph& graph, const EngineOptions& options) {
    require_opencl(options.target);
    cv::dnn::Net net;
    const LoweredNet lowered = lower_to_opencv(graph, net);
    if (lowered.inputs.size() != 1) throw EngineError(graph.name + ": detection models must have exactly one input");
    TensorInfo input{lowered.inputs[0].name, lowered.inputs[0].shape};
    std::vector<TensorInfo> outputs;
    std::vector<std::string> layers;
    for (const auto& output : lowered.outputs) {
        outputs.push_back({output.name, output.shape});
        layers.push_back(output.layer);
    }
    return std::make_unique<OpenCvModel>(std::move(net), std::move(input), std::move(outputs), std::move(layers),
                                         graph_has_dynamic_batch(graph), options.target);
}

namespace {

// Relative tolerance for "item 0 of a batch equals the single-image forward". f32 kernels agree far
// closer across batch sizes; f16 ones only to ~1e-3. Merged images differ by far more than either.
double batch_probe_tolerance(Target target) { return target == Target::opencl_fp16 ? 1e-2 : 1e-4; }

// `items` different, deterministic images: a ramp over [0, 1], then the same ramp reversed.
Tensor probe_images(std::int64_t items, std::int64_t channels, std::int64_t height, std::int64_t width) {
    Tensor t;
    t.shape = {items, channels, height, width};
    const std::size_t per_image = static_cast<std::size_t>(channels * height * width);
    t.data.resize(per_image * static_cast<std::size_t>(items));
    for (std::size_t k = 0; k < per_image; ++k) {
        const float ramp = per_image > 1 ? static_cast<float>(k) / static_cast<float>(per_image - 1) : 0.0f;
        t.data[k] = ramp;
        if (items > 1) t.data[per_image + k] = 1.0f - ramp;
    }
    return t;
}

struct OnnxBatch {
    bool dynamic = false;
    std::string note;         // why one image per forward although the batch dim is symbolic
    NamedTensors one_image;   // the probe's single-image outputs, when it ran
};

// OpenCV 4.6's ONNX importer folds Shape ops at a batch of 1, so a symbolic batch can end up pinned
// in a Reshape constant and a batched forward silently merges images: believe the batch is open
// only when a forward of 2 images matches the single-image one.
OnnxBatch probe_onnx_batch(cv::dnn::Net& net, const OnnxInput& input, const std::vector<std::string>& layers,
                           const std::vector<TensorInfo>& outputs, Target target) {
    OnnxBatch batch;
    const auto& dims = input.dims;
    if (dims.size() != 4 || dims[1] < 0 || dims[2] < 0 || dims[3] < 0) {
        batch.note = "the input " + describe(input) + " is not [N,C,H,W] with a known C, H and W, so the batch is not probed";
        return batch;
    }
    use_target(net, target);
    NamedTensors two_images;
    std::string two_failed;
    try {
        two_images = run_forward(net, probe_images(2, dims[1], dims[2], dims[3]), layers, outputs);
    } catch (const EngineError& e) {
        two_failed = e.what();
        while (!two_failed.empty() && std::isspace(static_cast<unsigned char>(two_failed.back()))) two_failed.pop_back();
    }
    // The single-image forward runs last, so that the net stays allocated for the fallback's batch.
    batch.one_image = run_forward(net, probe_images(1, dims[1], dims[2], dims[3]), layers, outputs);
    if (!two_failed.empty()) {
        batch.note = "a forward of 2 images fails (" + two_failed + ")";
        return batch;
    }
    const BatchProbeVerdict verdict = judge_batch_probe(two_images, batch.one_image, batch_probe_tolerance(target));
    batch.dynamic = verdict.dynamic;
    if (!verdict.dynamic) batch.note = "OpenCV's import pins it (" + verdict.reason + ")";
    return batch;
}

// Output shapes without a forward, for a fully known input shape; empty where OpenCV cannot tell.
std::vector<std::int64_t> inferred_output_shape(const cv::dnn::Net& net, const std::vector<std::int64_t>& input_dims,
                                                const std::string& layer) {
    try {
        std::vector<cv::dnn::MatShape> in_shapes, out_shapes;
        net.getLayerShapes(cv::dnn::MatShape(input_dims.begin(), input_dims.end()), net.getLayerId(layer), in_shapes,
                           out_shapes);
        if (out_shapes.empty()) return {};
        return {out_shapes[0].begin(), out_shapes[0].end()};
    } catch (const cv::Exception&) {
        return {};
    }
}

}  // namespace

std::unique_ptr<CompiledModel> compile_opencv_onnx(const std::filesystem::path& onnx_path, const EngineOptions& options) {
    require_opencl(options.target);
    cv::dnn::Net net;
    try {
        net = cv::dnn::readNetFromONNX(onnx_path.string());
    } catch (const cv::Exception& e) {
        throw EngineError(onnx_path.string() + ": OpenCV cannot read this ONNX model: " + e.what());
    }
    if (net.empty()) throw EngineError(onnx_path.string() + ": OpenCV read an empty network");
    std::vector<OnnxInput> inputs;
    try {
        inputs = read_onnx_inputs(onnx_path);
    } catch (const std::runtime_error& e) {
        throw EngineError(e.what());
    }
    if (inputs.empty()) throw EngineError(onnx_path.string() + ": the graph has no inputs besides its initializers");
    const OnnxInput& first = inputs.front();
    TensorInfo input{first.name, first.dims};

    std::vector<TensorInfo> outputs;
    std::vector<std::string> layers;
    for (const auto& name : net.getUnconnectedOutLayersNames()) {
        outputs.push_back({name, {}});
        layers.push_back(name);
    }

    const bool symbolic_batch = !first.dims.empty() && first.dims[0] < 0;
    OnnxBatch batch;
    if (symbolic_batch) {
        try {
            batch = probe_onnx_batch(net, first, layers, outputs, options.target);
        } catch (const EngineError& e) {
            throw EngineError(onnx_path.string() + ": the load-time forward of one image (input " + describe(first) + ") failed: " + e.what());
        }
        if (!batch.dynamic)
            std::clog << "detserve: " << onnx_path.string() << ": batch dim is symbolic but " << batch.note
                      << "; running one image per forward\n";
    }
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        if (!batch.one_image.empty()) {
            outputs[i].shape = batch.one_image[i].second.shape;
            if (batch.dynamic) outputs[i].shape[0] = -1;
        } else if (!symbolic_batch && std::ranges::all_of(first.dims, [](std::int64_t d) { return d >= 0; })) {
            outputs[i].shape = inferred_output_shape(net, first.dims, layers[i]);
        }
    }
    return std::make_unique<OpenCvModel>(std::move(net), std::move(input), std::move(outputs), std::move(layers),
                                         batch.dynamic, options.target);
}

}  // namespace detserve::engine
