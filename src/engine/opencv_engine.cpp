#include "detserve/engine/opencv_engine.hpp"

#include <opencv2/core/ocl.hpp>
#include <opencv2/dnn.hpp>

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
        net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net_.setPreferableTarget(dnn_target(target));
    }

    NamedTensors infer(const Tensor& input) override {
        if (input.shape.size() != 4) throw EngineError("input must be an NCHW tensor");
        if (!dynamic_batch_ && input.shape[0] != 1) throw EngineError("this model takes one image per forward");
        const std::vector<int> dims(input.shape.begin(), input.shape.end());
        // setInput copies the data into the network's own buffer.
        const cv::Mat blob(4, dims.data(), CV_32F, const_cast<float*>(input.data.data()));
        std::vector<cv::Mat> blobs;
        try {
            net_.setInput(blob);
            net_.forward(blobs, layers_);
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
            t.data.assign(data, data + dense.total());  // forward() reuses its buffers: copy
            out.emplace_back(outputs_[i].name, std::move(t));
        }
        return out;
    }

    const TensorInfo& input() const override { return input_; }
    const std::vector<TensorInfo>& outputs() const override { return outputs_; }
    bool dynamic_batch() const override { return dynamic_batch_; }
    std::string precision() const override { return target_ == Target::opencl_fp16 ? "f16" : "f32"; }
    std::string engine_name() const override { return "opencv"; }
    Target target() const override { return target_; }

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

std::unique_ptr<CompiledModel> compile_opencv_onnx(const std::filesystem::path& onnx_path, const EngineOptions& options) {
    require_opencl(options.target);
    cv::dnn::Net net;
    try {
        net = cv::dnn::readNetFromONNX(onnx_path.string());
    } catch (const cv::Exception& e) {
        throw EngineError(onnx_path.string() + ": OpenCV cannot read this ONNX model: " + e.what());
    }
    if (net.empty()) throw EngineError(onnx_path.string() + ": OpenCV read an empty network");
    std::vector<TensorInfo> outputs;
    std::vector<std::string> layers;
    for (const auto& name : net.getUnconnectedOutLayersNames()) {
        outputs.push_back({name, {}});
        layers.push_back(name);
    }
    TensorInfo input{"input", {}};
    // ONNX batch handling is decided by the caller's ModelSpec; one image per forward is always safe.
    return std::make_unique<OpenCvModel>(std::move(net), std::move(input), std::move(outputs), std::move(layers), false,
                                         options.target);
}

}  // namespace detserve::engine
