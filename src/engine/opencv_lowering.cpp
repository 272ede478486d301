// Lowers Graph nodes to cv::dnn layers, one function per opset op, the way OpenCV's own importers
// build a Net (addLayer + connect).
#include "opencv_lowering.hpp"

#include <cctype>
#include <map>
#include <set>
#include <string_view>

#include "detserve/graph/image_layout.hpp"
#include "detserve/graph/passes.hpp"

namespace detserve::engine {
namespace {

using graph::Node;
using graph::Source;

struct SourceLess {
    bool operator()(const Source& a, const Source& b) const {
        return a.node != b.node ? a.node < b.node : a.port < b.port;
    }
};

class Lowering;
using LowerFn = void (*)(Lowering&, const Node&);
const std::map<std::string, LowerFn>& lowering_table();

// OpenVINO creates IR ops case-insensitively (Model Optimizer writes "ReLU", "PReLU"): the table
// is keyed by lowercase op names.
std::string lowercase(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

cv::dnn::DictValue int_array(const std::vector<std::int64_t>& values) {
    std::vector<int> ints(values.begin(), values.end());
    return cv::dnn::DictValue::arrayInt(ints.data(), static_cast<int>(ints.size()));
}

class Lowering {
public:
    Lowering(const graph::Graph& graph, cv::dnn::Net& net) : graph_(graph), net_(net) {
        for (const auto& node : graph.nodes())
            for (const auto& input : node.inputs) ++use_count_[input.source];
    }

    LoweredNet run() {
        LoweredNet out;
        std::vector<std::string> input_names;
        for (const graph::Node* parameter : graph_.parameters()) {
            require_float_input(*parameter);
            const int index = static_cast<int>(input_names.size());
            input_names.push_back(parameter->name);
            pins_[Source{parameter->id, 0}] = {0, index};
            out.inputs.push_back({parameter->name, parameter->outputs[0].shape});
        }
        if (input_names.empty()) throw EngineError(graph_.name + ": the model has no Parameter");
        net_.setInputsNames(input_names);
        for (std::size_t i = 0; i < input_names.size(); ++i) take_nchw(*graph_.parameters()[i], static_cast<int>(i), out.inputs[i]);

        const auto& table = lowering_table();
        for (const auto id : graph_.topological_order()) {
            const Node& node = graph_.at(id);
            if (node.is("Parameter") || node.is("Const") || fused_.count(id)) continue;
            if (node.is("Result")) {
                out.outputs.push_back(lower_result(node));
                continue;
            }
            auto it = table.find(lowercase(node.type));
            if (it == table.end())
                throw EngineError("OpenCV engine: op '" + node.type + "' (layer '" + node.name + "', id " +
                                  std::to_string(node.id) + ") is not supported");
            try {
                it->second(*this, node);
            } catch (const cv::Exception& e) {
                throw EngineError("OpenCV engine: cannot build layer '" + node.name + "' (" + node.type + "): " + e.what());
            }
        }
        return out;
    }

    // -- helpers for lowering functions --
    const graph::Graph& graph() const { return graph_; }

    const Node* constant(const Node& node, std::size_t input) const {
        if (input >= node.inputs.size()) return nullptr;
        const Node* producer = graph_.find(node.inputs[input].source.node);
        return producer && producer->is("Const") ? producer : nullptr;
    }

    const Node& require_constant(const Node& node, std::size_t input) const {
        const Node* c = constant(node, input);
        if (!c) fail(node, "input " + std::to_string(input) + " must be a constant");
        return *c;
    }

    [[noreturn]] void fail(const Node& node, const std::string& message) const {
        throw EngineError("OpenCV engine: layer '" + node.name + "' (" + node.type + "): " + message);
    }

    // The single consumer of `node`'s output 0, when there is exactly one.
    const Node* sole_consumer(const Node& node) const {
        auto it = use_count_.find(Source{node.id, 0});
        if (it == use_count_.end() || it->second != 1) return nullptr;
        for (const auto& [consumer, _] : graph_.consumers(Source{node.id, 0})) return graph_.find(consumer);
        return nullptr;
    }

    void mark_fused(const Node& node) { fused_.insert(node.id); }

    // Gives the constant at `node`'s input `input` a Const layer of its own, so that it can feed
    // a layer as a tensor (OpenCV 4.6's Eltwise takes no constant operand).
    void add_constant_layer(const Node& node, std::size_t input) {
        const Node& value = require_constant(node, input);
        const Source source{value.id, 0};
        if (pins_.count(source)) return;
        const auto& shape = value.outputs[0].shape;
        cv::dnn::LayerParams params;
        params.name = value.name;
        params.type = "Const";
        const auto values = graph::const_as_f32(value);
        const std::vector<int> dims(shape.begin(), shape.end());
        cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F);
        std::copy(values.begin(), values.end(), blob.ptr<float>());
        params.blobs.push_back(blob);
        pins_[source] = {net_.addLayer(value.name, "Const", params), 0};
    }

    // Adds a layer fed by the given graph inputs; maps the node's outputs (or `alias`'s) to it.
    int add(const Node& node, const std::string& type, cv::dnn::LayerParams& params, const std::vector<std::size_t>& inputs,
            const Node* alias = nullptr) {
        params.name = node.name;
        params.type = type;
        const int id = net_.addLayer(node.name, type, params);
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const auto pin = pin_of(node, inputs[i]);
            net_.connect(pin.first, pin.second, id, static_cast<int>(i));
        }
        const Node& target = alias ? *alias : node;
        for (std::size_t out = 0; out < target.outputs.size(); ++out) pins_[Source{target.id, static_cast<int>(out)}] = {id, static_cast<int>(out)};
        return id;
    }

private:
    // The net's input is what we feed: an f32 batch. An f16 input is fed f32 and the net computes
    // in f32 (as for its f16 weights); integer inputs (u8 with the scaling in the graph) it cannot take.
    void require_float_input(const Node& parameter) const {
        const auto type = parameter.outputs.at(0).type;
        if (type == graph::ElementType::f32 || type == graph::ElementType::f16) return;
        throw EngineError("OpenCV engine: input '" + parameter.name + "' is " + std::string(graph::to_string(type)) + " " +
                          graph::shape_to_string(parameter.outputs[0].shape) +
                          ", and this engine feeds f32 only: run the model on the OpenVINO engine (engine openvino)");
    }

    // We feed NCHW; an image input the graph takes as NHWC gets a Permute to it in front.
    void take_nchw(const Node& parameter, int index, LoweredInput& input) {
        const auto& shape = parameter.outputs.at(0).shape;
        if (shape.size() != 4) return;
        graph::ImageLayout layout;
        try {
            layout = graph::image_layout(parameter);
        } catch (const graph::ModelError&) {
            return;  // not an image batch we know the layout of: fed as declared
        }
        if (layout.name() == "NCHW") return;
        if (layout.name() != "NHWC")
            throw EngineError("OpenCV engine: input '" + parameter.name + "' is " + layout.name() + " (by " + layout.source +
                              "); this engine feeds NCHW or NHWC only");
        cv::dnn::LayerParams params;
        params.name = parameter.name + "/to_nhwc";
        params.type = "Permute";
        params.set("order", int_array({0, 2, 3, 1}));
        const int id = net_.addLayer(params.name, params.type, params);
        net_.connect(0, index, id, 0);
        pins_[Source{parameter.id, 0}] = {id, 0};
        input.shape = {shape[0], shape[3], shape[1], shape[2]};
    }

    std::pair<int, int> pin_of(const Node& node, std::size_t input) const {
        const Source& source = node.inputs.at(input).source;
        auto it = pins_.find(source);
        if (it == pins_.end()) {
            const Node* producer = graph_.find(source.node);
            fail(node, "input " + std::to_string(input) + " comes from '" + (producer ? producer->name : "?") +
                           "', which the OpenCV engine cannot take as a tensor input (a constant in a tensor slot?)");
        }
        return it->second;
    }

    LoweredOutput lower_result(const Node& result) {
        const Source& source = result.inputs.at(0).source;
        const Node& producer = graph_.at(source.node);
        const auto& port = producer.outputs.at(static_cast<std::size_t>(source.port));
        std::string name = port.names.empty() ? result.name : port.names.substr(0, port.names.find(','));
        // Outputs are read by layer name; an Identity gives every output a layer of its own.
        cv::dnn::LayerParams params;
        const std::string layer = "detserve_output/" + name;
        params.name = layer;
        params.type = "Identity";
        const int id = net_.addLayer(layer, "Identity", params);
        const auto pin = pin_of(result, 0);
        net_.connect(pin.first, pin.second, id, 0);
        return {name, layer, port.shape};
    }

    const graph::Graph& graph_;
    cv::dnn::Net& net_;
    std::map<Source, std::pair<int, int>, SourceLess> pins_;
    std::map<Source, int, SourceLess> use_count_;
    std::set<std::int64_t> fused_;
};

// ---- one function per op ----------------------------------------------------------------------

cv::Mat weight_blob(const Node& constant, const std::vector<int>& dims) {
    const auto values = graph::const_as_f32(constant);
    cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F);
    std::copy(values.begin(), values.end(), blob.ptr<float>());
    return blob;
}

// A following Add of a per-channel constant becomes the convolution's bias.
const Node* fusable_bias(Lowering& lo, const Node& conv, std::int64_t channels) {
    const Node* add = lo.sole_consumer(conv);
    if (!add || !add->is("Add") || add->inputs.size() != 2) return nullptr;
    const Node* bias = lo.constant(*add, add->inputs[0].source.node == conv.id ? 1 : 0);
    if (!bias || graph::shape_elements(bias->outputs[0].shape) != channels) return nullptr;
    const auto& shape = bias->outputs[0].shape;
    // Accept [C], [1,C,1,1] and [C,1,1]: every non-channel dimension is 1.
    int non_one = 0;
    for (auto d : shape) non_one += d != 1;
    if (non_one > 1) return nullptr;
    if (shape.size() == 4 && shape[1] != channels) return nullptr;
    if (shape.size() == 3 && shape[0] != channels) return nullptr;
    return add;
}

void lower_convolution(Lowering& lo, const Node& node) {
    const Node& weights = lo.require_constant(node, 1);
    auto wshape = weights.outputs[0].shape;
    std::int64_t groups = 1;
    if (node.is("GroupConvolution")) {  // [G, O/G, I/G, kh, kw] -> [O, I/G, kh, kw]
        if (wshape.size() != 5) lo.fail(node, "weights must be 5-D");
        groups = wshape[0];
        wshape = {wshape[0] * wshape[1], wshape[2], wshape[3], wshape[4]};
    }
    if (wshape.size() != 4) lo.fail(node, "only 2-D convolutions are supported, weights " + graph::shape_to_string(wshape));
    if (node.attrs.get_string_or("auto_pad", "explicit") != "explicit" && node.attrs.get_string_or("auto_pad", "explicit") != "notset")
        lo.fail(node, "auto_pad '" + node.attrs.get_string("auto_pad") + "' is not supported");
    cv::dnn::LayerParams params;
    params.blobs.push_back(weight_blob(weights, std::vector<int>(wshape.begin(), wshape.end())));
    const auto begin = node.attrs.get_ints("pads_begin");
    const auto end = node.attrs.get_ints("pads_end");
    params.set("kernel_size", int_array({wshape[2], wshape[3]}));
    params.set("stride", int_array(node.attrs.get_ints("strides")));
    params.set("dilation", int_array(node.attrs.get_ints("dilations")));
    params.set("pad", int_array({begin.at(0), end.at(0), begin.at(1), end.at(1)}));
    params.set("num_output", static_cast<int>(wshape[0]));
    params.set("group", static_cast<int>(groups));
    const Node* add = fusable_bias(lo, node, wshape[0]);
    params.set("bias_term", add != nullptr);
    if (add) {
        const Node& bias = *lo.constant(*add, add->inputs[0].source.node == node.id ? 1 : 0);
        params.blobs.push_back(weight_blob(bias, {1, static_cast<int>(wshape[0])}));
        lo.mark_fused(*add);
    }
    // With a fused bias, readers of the Add read the convolution layer.
    lo.add(node, "Convolution", params, {0}, add);
}

void lower_max_pool(Lowering& lo, const Node& node) {
    cv::dnn::LayerParams params;
    params.set("pool", "max");
    const auto begin = node.attrs.get_ints("pads_begin");
    const auto end = node.attrs.get_ints("pads_end");
    params.set("kernel_size", int_array(node.attrs.get_ints("kernel")));
    params.set("stride", int_array(node.attrs.get_ints("strides")));
    params.set("pad", int_array({begin.at(0), end.at(0), begin.at(1), end.at(1)}));
    // OpenCV defaults to ceil; the opset's default is floor.
    params.set("ceil_mode", node.attrs.get_string_or("rounding_type", "floor") == "ceil");
    lo.add(node, "Pooling", params, {0});
}

void lower_prelu(Lowering& lo, const Node& node) {
    const Node& slope = lo.require_constant(node, 1);
    const auto values = graph::const_as_f32(slope);
    cv::dnn::LayerParams params;
    if (values.size() == 1) {
        params.set("negative_slope", values[0]);
        lo.add(node, "ReLU", params, {0});
        return;
    }
    params.blobs.push_back(weight_blob(slope, {static_cast<int>(values.size())}));
    lo.add(node, "ChannelsPReLU", params, {0});
}

void lower_relu(Lowering& lo, const Node& node) {
    cv::dnn::LayerParams params;
    lo.add(node, "ReLU", params, {0});
}

void lower_sigmoid(Lowering& lo, const Node& node) {
    cv::dnn::LayerParams params;
    lo.add(node, "Sigmoid", params, {0});
}

// x·c or x + c with a one-element constant: OpenCV's Power layer computes (shift + scale·x)^power.
bool lower_scalar_operand(Lowering& lo, const Node& node, bool multiply) {
    const std::size_t tensor = lo.constant(node, 0) ? 1 : 0;
    const Node* constant = lo.constant(node, 1 - tensor);
    if (!constant || graph::shape_elements(constant->outputs[0].shape) != 1) return false;
    const float value = graph::const_as_f32(*constant).at(0);
    cv::dnn::LayerParams params;
    params.set("power", 1.0f);
    params.set("scale", multiply ? value : 1.0f);
    params.set("shift", multiply ? 0.0f : value);
    lo.add(node, "Power", params, {tensor});
    return true;
}

void lower_eltwise(Lowering& lo, const Node& node, const char* operation) {
    if (lo.constant(node, 0) && lo.constant(node, 1)) lo.fail(node, "both operands are constants (not folded)");
    if (lower_scalar_operand(lo, node, std::string_view(operation) == "prod")) return;
    // A constant of the tensor's full shape (YOLOv5's grid and anchor terms) becomes a Const layer.
    for (std::size_t i = 0; i < 2; ++i)
        if (lo.constant(node, i)) lo.add_constant_layer(node, i);
    if (node.inputs[0].port.shape != node.inputs[1].port.shape)
        lo.fail(node, "inputs " + graph::shape_to_string(node.inputs[0].port.shape) + " and " +
                          graph::shape_to_string(node.inputs[1].port.shape) + " differ (OpenCV 4.6 Eltwise has no broadcasting)");
    cv::dnn::LayerParams params;
    params.set("operation", operation);
    lo.add(node, "Eltwise", params, {0, 1});
}

void lower_add(Lowering& lo, const Node& node) { lower_eltwise(lo, node, "sum"); }
void lower_multiply(Lowering& lo, const Node& node) { lower_eltwise(lo, node, "prod"); }

void lower_swish(Lowering& lo, const Node& node) {
    // OpenCV's Swish is x·sigmoid(x): the opset's default beta of 1.
    if (node.inputs.size() > 1) {
        const auto beta = graph::const_as_f32(lo.require_constant(node, 1));
        if (beta.size() != 1 || beta[0] != 1.0f) lo.fail(node, "only beta = 1 is supported");
    }
    cv::dnn::LayerParams params;
    lo.add(node, "Swish", params, {0});
}

void lower_power(Lowering& lo, const Node& node) {
    const auto exponent = graph::const_as_f32(lo.require_constant(node, 1));
    if (exponent.size() != 1) lo.fail(node, "only a one-element constant exponent is supported");
    cv::dnn::LayerParams params;
    params.set("power", exponent[0]);
    params.set("scale", 1.0f);
    params.set("shift", 0.0f);
    lo.add(node, "Power", params, {0});
}

void lower_concat(Lowering& lo, const Node& node) {
    cv::dnn::LayerParams params;
    params.set("axis", static_cast<int>(node.attrs.get_int("axis")));
    std::vector<std::size_t> inputs(node.inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i] = i;
    lo.add(node, "Concat", params, inputs);
}

void lower_interpolate(Lowering& lo, const Node& node) {
    const std::string mode = node.attrs.get_string_or("mode", "nearest");
    const std::string transform = node.attrs.get_string_or("coordinate_transformation_mode", "half_pixel");
    const auto& out = node.outputs.at(0).shape;
    if (out.size() != 4 || out[2] < 0 || out[3] < 0) lo.fail(node, "needs a static 4-D output shape");
    cv::dnn::LayerParams params;
    if (mode == "linear" || mode == "linear_onnx" || mode == "bilinear_pillow") {
        params.set("interpolation", "bilinear");
    } else if (mode == "nearest") {
        params.set("interpolation", "nearest");
    } else {
        lo.fail(node, "mode '" + mode + "' is not supported");
    }
    if (transform == "align_corners") params.set("align_corners", true);
    else if (transform == "half_pixel" || transform == "pytorch_half_pixel") params.set("half_pixel_centers", true);
    else if (transform != "asymmetric") lo.fail(node, "coordinate_transformation_mode '" + transform + "' is not supported");
    params.set("height", static_cast<int>(out[2]));
    params.set("width", static_cast<int>(out[3]));
    lo.add(node, "Resize", params, {0});
}

void lower_variadic_split(Lowering& lo, const Node& node) {
    const auto axis = graph::const_as_i64(lo.require_constant(node, 1)).at(0);
    const auto lengths = graph::const_as_i64(lo.require_constant(node, 2));
    std::vector<std::int64_t> points;
    std::int64_t at = 0;
    for (std::size_t i = 0; i + 1 < lengths.size(); ++i) points.push_back(at += lengths[i]);
    cv::dnn::LayerParams params;
    params.set("axis", static_cast<int>(axis));
    params.set("slice_point", int_array(points));
    lo.add(node, "Slice", params, {0});
}

void lower_reshape(Lowering& lo, const Node& node) {
    const auto target = graph::const_as_i64(lo.require_constant(node, 1));
    const bool special_zero = node.attrs.get_string_or("special_zero", "false") == "true";
    for (auto d : target)
        if (d == 0 && !special_zero) lo.fail(node, "a zero-sized dimension is not supported");
    cv::dnn::LayerParams params;  // OpenCV's Reshape reads 0 as "copy" and -1 as "infer", like special_zero
    params.set("dim", int_array(target));
    lo.add(node, "Reshape", params, {0});
}

void lower_transpose(Lowering& lo, const Node& node) {
    cv::dnn::LayerParams params;
    params.set("order", int_array(graph::const_as_i64(lo.require_constant(node, 1))));
    lo.add(node, "Permute", params, {0});
}

const std::map<std::string, LowerFn>& lowering_table() {
    static const std::map<std::string, LowerFn> table{
        {"convolution", lower_convolution},
        {"groupconvolution", lower_convolution},
        {"maxpool", lower_max_pool},
        {"prelu", lower_prelu},
        {"relu", lower_relu},
        {"sigmoid", lower_sigmoid},
        {"swish", lower_swish},
        {"power", lower_power},
        {"add", lower_add},
        {"multiply", lower_multiply},
        {"concat", lower_concat},
        {"interpolate", lower_interpolate},
        {"variadicsplit", lower_variadic_split},
        {"reshape", lower_reshape},
        {"transpose", lower_transpose},
    };
    return table;
}

}  // namespace

LoweredNet lower_to_opencv(const graph::Graph& graph, cv::dnn::Net& net) {
    graph::Graph folded = graph;  // constants share their bytes: the copy is cheap
    graph::fold_constants(folded);
    return Lowering(folded, net).run();
}

}  // namespace detserve::engine
