// The TFJS graph-model importer on tiny models built in code the way tfjs-converter writes them
// (base64 strings, integers as strings, float16-"quantized" weights, int64 constants stored as
// int32): the optimised graph's structure, its numerics through the OpenCV engine against a plain
// reference, batch-agnostic reshapes, error messages and an IR round trip.
#include "detserve/graph/tfjs_importer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detserve/engine/opencv_engine.hpp"
#include "detserve/graph/ir_reader.hpp"
#include "detserve/graph/ir_writer.hpp"
#include "detserve/graph/passes.hpp"

#include "../support/temp_dir.hpp"

namespace fs = std::filesystem;
using detserve::test::TempDir;
using detserve::test::write_file;
using namespace detserve::graph;
using nlohmann::json;

namespace {

// ---- writing TFJS graph models in code ---------------------------------------------------------

std::string base64(const std::string& text) {
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < text.size(); i += 3) {
        const auto n = (static_cast<unsigned>(static_cast<unsigned char>(text[i])) << 16) |
                       (static_cast<unsigned>(static_cast<unsigned char>(text[i + 1])) << 8) |
                       static_cast<unsigned>(static_cast<unsigned char>(text[i + 2]));
        for (int shift : {18, 12, 6, 0}) out.push_back(alphabet[(n >> shift) & 63]);
    }
    if (i < text.size()) {
        unsigned n = static_cast<unsigned>(static_cast<unsigned char>(text[i])) << 16;
        if (i + 1 < text.size()) n |= static_cast<unsigned>(static_cast<unsigned char>(text[i + 1])) << 8;
        out.push_back(alphabet[(n >> 18) & 63]);
        out.push_back(alphabet[(n >> 12) & 63]);
        out.push_back(i + 1 < text.size() ? alphabet[(n >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

// TF attribute values in the protobuf JSON mapping tfjs-converter writes.
json attr_s(const std::string& text) { return {{"s", base64(text)}}; }
json attr_type(const std::string& type) { return {{"type", type}}; }
json attr_f(double value) { return {{"f", value}}; }
json attr_ints(const std::vector<std::int64_t>& values) {
    json list = json::array();
    for (auto v : values) list.push_back(std::to_string(v));
    return {{"list", {{"i", list}}}};
}
json tensor_shape(const Shape& shape) {
    json dims = json::array();
    for (auto d : shape) dims.push_back({{"size", std::to_string(d)}});
    return {{"dim", dims}};
}

template <typename T>
void append_bytes(std::vector<std::uint8_t>& out, const T& value) {
    std::uint8_t bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.insert(out.end(), bytes, bytes + sizeof(T));
}

class TfjsModelBuilder {
public:
    void placeholder(const std::string& name, const Shape& shape, const std::string& dtype = "DT_FLOAT") {
        nodes_.push_back({{"name", name}, {"op", "Placeholder"}, {"attr", {{"shape", {{"shape", tensor_shape(shape)}}}, {"dtype", attr_type(dtype)}}}});
        json dims = tensor_shape(shape);
        signature_inputs_[name + ":0"] = {{"name", name + ":0"}, {"dtype", dtype}, {"tensorShape", dims}};
    }

    // A float32 weight stored as float16; returns the values the importer will see.
    std::vector<float> const_f16(const std::string& name, const Shape& shape, const std::vector<float>& values) {
        std::vector<std::uint8_t> bytes;
        std::vector<float> decoded;
        for (float v : values) {
            const std::uint16_t half = f32_to_f16(v);
            append_bytes(bytes, half);
            decoded.push_back(f16_to_f32(half));
        }
        add_const(name, shape, "DT_FLOAT", {{"name", name}, {"shape", shape}, {"dtype", "float32"},
                                            {"quantization", {{"dtype", "float16"}, {"original_dtype", "float32"}}}},
                  bytes);
        return decoded;
    }

    void const_f32(const std::string& name, const Shape& shape, const std::vector<float>& values) {
        std::vector<std::uint8_t> bytes;
        for (float v : values) append_bytes(bytes, v);
        add_const(name, shape, "DT_FLOAT", {{"name", name}, {"shape", shape}, {"dtype", "float32"}}, bytes);
    }

    // Affine uint8 quantization: value = q * scale + min.
    void const_u8(const std::string& name, const Shape& shape, const std::vector<std::uint8_t>& q, float scale, float min) {
        add_const(name, shape, "DT_FLOAT",
                  {{"name", name}, {"shape", shape}, {"dtype", "float32"},
                   {"quantization", {{"dtype", "uint8"}, {"scale", scale}, {"min", min}, {"original_dtype", "float32"}}}},
                  q);
    }

    // Integers are stored as int32 whatever the node declares (TFJS has no int64 storage).
    void const_int(const std::string& name, const Shape& shape, const std::vector<std::int64_t>& values,
                   const std::string& declared = "DT_INT32") {
        std::vector<std::uint8_t> bytes;
        for (auto v : values) append_bytes(bytes, static_cast<std::int32_t>(v));
        add_const(name, shape, declared, {{"name", name}, {"shape", shape}, {"dtype", "int32"}}, bytes);
    }

    void const_bool(const std::string& name, const Shape& shape, const std::vector<bool>& values) {
        std::vector<std::uint8_t> bytes;
        for (bool v : values) bytes.push_back(v ? 1 : 0);
        add_const(name, shape, "DT_BOOL", {{"name", name}, {"shape", shape}, {"dtype", "bool"}}, bytes);
    }

    void op(const std::string& name, const std::string& op, const std::vector<std::string>& inputs, json attr = json::object()) {
        if (!attr.contains("T")) attr["T"] = attr_type("DT_FLOAT");
        nodes_.push_back({{"name", name}, {"op", op}, {"input", inputs}, {"attr", attr}});
    }

    json model(const std::vector<std::string>& outputs) const {
        json signature_outputs = json::object();
        for (const auto& name : outputs) signature_outputs[name] = {{"name", name}, {"dtype", "DT_FLOAT"}};
        return {{"format", "graph-model"},
                {"generatedBy", "detserve unit test"},
                {"convertedBy", "TensorFlow.js Converter v3.21.0"},
                {"signature", {{"inputs", signature_inputs_}, {"outputs", signature_outputs}}},
                {"modelTopology", {{"node", nodes_}, {"library", json::object()}, {"versions", {{"producer", 1395}}}}},
                {"weightsManifest", json::array({{{"paths", {"group1-shard1of1.bin"}}, {"weights", manifest_}}})}};
    }

    const std::vector<std::uint8_t>& weights() const { return weights_; }
    std::size_t offset_of(const std::string& weight) const { return offsets_.at(weight); }

private:
    void add_const(const std::string& name, const Shape& shape, const std::string& tf_dtype, json spec,
                   const std::vector<std::uint8_t>& bytes) {
        nodes_.push_back({{"name", name},
                          {"op", "Const"},
                          {"attr", {{"dtype", attr_type(tf_dtype)},
                                    {"value", {{"tensor", {{"dtype", tf_dtype}, {"tensorShape", tensor_shape(shape)}}}}}}}});
        offsets_[name] = weights_.size();
        weights_.insert(weights_.end(), bytes.begin(), bytes.end());
        manifest_.push_back(std::move(spec));
    }

    json nodes_ = json::array();
    json manifest_ = json::array();
    json signature_inputs_ = json::object();
    std::vector<std::uint8_t> weights_;
    std::map<std::string, std::size_t> offsets_;
};

// ---- the tiny detector head ----------------------------------------------------------------------
// NCHW input [1,3,8,8] -> Pad(1) -> Transpose(0,2,3,1) -> Conv2D 3x3 VALID NHWC -> Add(bias[C])
// -> Transpose(0,3,1,2) -> LeakyRelu(0.1) -> Reshape([1,C,-1], computed like onnx-tf does)
// -> Transpose(0,2,1) -> Identity: the shape of one NanoDet output branch.

constexpr std::int64_t kIn = 3;
constexpr std::int64_t kSize = 8;
constexpr std::int64_t kChannels = 4;
constexpr std::int64_t kKernel = 3;
constexpr float kAlpha = 0.1f;
const std::string kOutput = "Identity:0";

struct TinyModel {
    json model;
    std::vector<std::uint8_t> weights;
    std::vector<float> filter_hwio;  // as decoded from float16
    std::vector<float> bias;
    std::int64_t stride = 1;
    std::size_t filter_offset = 0;
};

float filter_value(std::size_t i) { return static_cast<float>(static_cast<int>((i * 37) % 23) - 11) / 17.0f + 0.0013f * static_cast<float>(i); }

TinyModel tiny_detector(std::int64_t stride, const std::string& activation_op = "LeakyRelu") {
    TfjsModelBuilder b;
    b.placeholder("input", {1, kIn, kSize, kSize});
    b.const_int("model/Const", {4, 2}, {0, 0, 0, 0, 1, 1, 1, 1});
    b.op("model/Pad", "Pad", {"input", "model/Const"}, {{"Tpaddings", attr_type("DT_INT32")}});
    b.const_int("model/transpose_1/perm", {4}, {0, 2, 3, 1});
    b.op("model/transpose_1", "Transpose", {"model/Pad", "model/transpose_1/perm"}, {{"Tperm", attr_type("DT_INT32")}});

    std::vector<float> filter(static_cast<std::size_t>(kKernel * kKernel * kIn * kChannels));
    for (std::size_t i = 0; i < filter.size(); ++i) filter[i] = filter_value(i);
    TinyModel out;
    out.stride = stride;
    out.filter_hwio = b.const_f16("model/split", {kKernel, kKernel, kIn, kChannels}, filter);
    b.op("model/convolution", "Conv2D", {"model/transpose_1", "model/split"},
         {{"padding", attr_s("VALID")}, {"data_format", attr_s("NHWC")}, {"strides", attr_ints({1, stride, stride, 1})},
          {"dilations", attr_ints({1, 1, 1, 1})}, {"explicit_paddings", {{"list", json::object()}}},
          {"use_cudnn_on_gpu", {{"b", true}}}});
    out.bias = b.const_f16("model/bias", {kChannels}, {0.3f, -0.71f, 1.1f, -0.05f});
    b.op("model/Add", "Add", {"model/convolution", "model/bias"});
    b.const_int("model/transpose_2/perm", {4}, {0, 3, 1, 2});
    b.op("model/transpose_2", "Transpose", {"model/Add", "model/transpose_2/perm"}, {{"Tperm", attr_type("DT_INT32")}});
    b.op("model/act", activation_op, {"model/transpose_2"}, {{"alpha", attr_f(kAlpha)}});

    // [1,C,-1] = base + SparseToDense(Where(mask), Cast(dense_shape), values, 0) = [1,0,-1] + [0,C,0]
    b.const_int("model/shape_base", {3}, {1, 0, -1}, "DT_INT64");
    b.const_bool("model/mask", {3}, {false, true, false});
    b.op("model/Where", "Where", {"model/mask"}, {{"T", attr_type("DT_BOOL")}});
    b.const_int("model/dense_shape", {1}, {3});
    b.op("model/Cast", "Cast", {"model/dense_shape"}, {{"SrcT", attr_type("DT_INT32")}, {"DstT", attr_type("DT_INT64")}});
    b.const_int("model/GatherV2", {1}, {kChannels}, "DT_INT64");
    b.const_int("model/zeros", {}, {0}, "DT_INT64");
    b.op("model/SparseToDense", "SparseToDense", {"model/Where", "model/Cast", "model/GatherV2", "model/zeros"},
         {{"Tindices", attr_type("DT_INT64")}, {"validate_indices", {{"b", true}}}});
    b.op("model/add_shape", "AddV2", {"model/shape_base", "model/SparseToDense"});
    b.op("model/Reshape", "Reshape", {"model/act", "model/add_shape"}, {{"Tshape", attr_type("DT_INT64")}});

    b.const_int("model/transpose_3/perm", {3}, {0, 2, 1});
    b.op("model/transpose_3", "Transpose", {"model/Reshape", "model/transpose_3/perm"}, {{"Tperm", attr_type("DT_INT32")}});
    b.op("Identity", "Identity", {"model/transpose_3"});

    out.model = b.model({kOutput});
    out.weights = b.weights();
    out.filter_offset = b.offset_of("model/split");
    return out;
}

std::int64_t out_size(std::int64_t stride) { return (kSize + 2 - kKernel) / stride + 1; }

// The model computed directly from its definition, for one image [3,8,8]: output [H*W, C].
std::vector<float> reference(const TinyModel& m, const float* image) {
    const std::int64_t padded = kSize + 2;
    const auto at_padded = [&](std::int64_t c, std::int64_t y, std::int64_t x) {
        if (y < 1 || x < 1 || y > kSize || x > kSize) return 0.0;
        return static_cast<double>(image[(c * kSize + (y - 1)) * kSize + (x - 1)]);
    };
    const std::int64_t out = out_size(m.stride);
    EXPECT_LE((out - 1) * m.stride + kKernel, padded);
    std::vector<float> rows(static_cast<std::size_t>(out * out * kChannels));
    for (std::int64_t oc = 0; oc < kChannels; ++oc)
        for (std::int64_t oy = 0; oy < out; ++oy)
            for (std::int64_t ox = 0; ox < out; ++ox) {
                double sum = m.bias[static_cast<std::size_t>(oc)];
                for (std::int64_t ky = 0; ky < kKernel; ++ky)
                    for (std::int64_t kx = 0; kx < kKernel; ++kx)
                        for (std::int64_t ic = 0; ic < kIn; ++ic)
                            sum += m.filter_hwio[static_cast<std::size_t>(((ky * kKernel + kx) * kIn + ic) * kChannels + oc)] *
                                   at_padded(ic, oy * m.stride + ky, ox * m.stride + kx);
                const double activated = sum >= 0 ? sum : static_cast<double>(kAlpha) * sum;
                // Reshape [C, H*W] then Transpose(0,2,1): row = spatial position, column = channel.
                rows[static_cast<std::size_t>((oy * out + ox) * kChannels + oc)] = static_cast<float>(activated);
            }
    return rows;
}

std::vector<float> image(std::uint32_t seed) {
    std::vector<float> values(static_cast<std::size_t>(kIn * kSize * kSize));
    std::uint32_t state = seed;
    for (auto& v : values) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f;
    }
    return values;
}

std::size_t count_ops(const Graph& graph, const std::string& type) {
    return static_cast<std::size_t>(std::count_if(graph.nodes().begin(), graph.nodes().end(), [&](const Node& n) { return n.type == type; }));
}

const Node& only(const Graph& graph, const std::string& type) {
    const Node* found = nullptr;
    for (const auto& node : graph.nodes())
        if (node.type == type) {
            EXPECT_EQ(found, nullptr) << "more than one " << type;
            found = &node;
        }
    if (!found) throw std::runtime_error("the graph has no " + type);
    return *found;
}

const Node& input_node(const Graph& graph, const Node& node, std::size_t input) { return graph.at(node.inputs.at(input).source.node); }

void expect_consistent(const Graph& graph) {
    EXPECT_NO_THROW(graph.validate());
    for (const auto& node : graph.nodes())
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const Port& actual = graph.port_of(node.inputs[i].source);
            EXPECT_EQ(node.inputs[i].port.type, actual.type) << node.name << " input " << i;
            EXPECT_EQ(node.inputs[i].port.shape, actual.shape) << node.name << " input " << i;
        }
}

template <typename F>
std::string model_error(F&& import) {
    try {
        import();
    } catch (const ModelError& error) {
        return error.what();
    } catch (const std::exception& other) {
        ADD_FAILURE() << "expected a ModelError, got another exception: " << other.what();
        return other.what();
    }
    ADD_FAILURE() << "expected a ModelError";
    return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

Graph import(const TinyModel& m) { return import_tfjs_graph_model(m.model, m.weights, "tiny.json"); }

detserve::Tensor batch_of(const std::vector<std::vector<float>>& images) {
    detserve::Tensor t;
    t.shape = {static_cast<std::int64_t>(images.size()), kIn, kSize, kSize};
    for (const auto& img : images) t.data.insert(t.data.end(), img.begin(), img.end());
    return t;
}



}  // namespace

// ---- encoding sanity: the test's writer speaks the converter's dialect ------------------------

TEST(TfjsImporterFixture, AttributesAreWrittenLikeTheConverter) {
    EXPECT_EQ(base64("NHWC"), "TkhXQw==");
    EXPECT_EQ(base64("VALID"), "VkFMSUQ=");
    EXPECT_EQ(base64("SAME"), "U0FNRQ==");
    EXPECT_EQ(attr_ints({1, 2, 2, 1}).dump(), R"({"list":{"i":["1","2","2","1"]}})");
    // The weights really are float16: the decoded values differ from the float32 ones.
    const TinyModel m = tiny_detector(1);
    EXPECT_NE(m.filter_hwio[1], filter_value(1));
    EXPECT_NEAR(m.filter_hwio[1], filter_value(1), 1e-3);
    // The paddings [4,2] and the first perm [4] come first, as int32.
    EXPECT_EQ(m.filter_offset, 4u * 8u + 4u * 4u);
}

// ---- structure after optimize -----------------------------------------------------------------

TEST(TfjsImporter, TinyDetectorOptimisesToOneRealTranspose) {
    for (const std::int64_t stride : {1, 2}) {
        SCOPED_TRACE("stride " + std::to_string(stride));
        const TinyModel m = tiny_detector(stride);
        Graph graph;
        ASSERT_NO_THROW(graph = import(m));
        expect_consistent(graph);
        EXPECT_EQ(graph.name, "tiny");

        // The NHWC island around the convolution cancelled; the final [N,C,HW]->[N,HW,C] stays.
        ASSERT_EQ(count_ops(graph, "Transpose"), 1u);
        EXPECT_EQ(const_as_i64(input_node(graph, only(graph, "Transpose"), 1)), (std::vector<std::int64_t>{0, 2, 1}));
        EXPECT_EQ(count_ops(graph, "Pad"), 0u);
        EXPECT_EQ(count_ops(graph, "Parameter"), 1u);
        EXPECT_EQ(count_ops(graph, "Convolution"), 1u);
        EXPECT_EQ(count_ops(graph, "Add"), 1u);
        EXPECT_EQ(count_ops(graph, "PRelu"), 1u);
        EXPECT_EQ(count_ops(graph, "Reshape"), 1u);
        EXPECT_EQ(count_ops(graph, "Result"), 1u);
        // What is left is one chain and its constants: weights, bias, slope, target, order.
        EXPECT_EQ(count_ops(graph, "Const"), 5u);
        EXPECT_EQ(graph.nodes().size(), 12u);

        const Node& parameter = only(graph, "Parameter");
        EXPECT_EQ(parameter.name, "input");
        EXPECT_EQ(parameter.outputs[0].shape, (Shape{-1, kIn, kSize, kSize}));
        EXPECT_EQ(parameter.outputs[0].type, ElementType::f32);

        const Node& conv = only(graph, "Convolution");
        EXPECT_EQ(conv.inputs[0].source.node, parameter.id);  // the Pad folded into the convolution
        EXPECT_EQ(conv.attrs.get_ints("pads_begin"), (std::vector<std::int64_t>{1, 1}));
        EXPECT_EQ(conv.attrs.get_ints("pads_end"), (std::vector<std::int64_t>{1, 1}));
        EXPECT_EQ(conv.attrs.get_ints("strides"), (std::vector<std::int64_t>{stride, stride}));
        EXPECT_EQ(conv.attrs.get_ints("dilations"), (std::vector<std::int64_t>{1, 1}));
        const std::int64_t out = out_size(stride);
        EXPECT_EQ(conv.outputs[0].shape, (Shape{-1, kChannels, out, out}));
        const Node& weights = input_node(graph, conv, 1);
        ASSERT_EQ(weights.outputs[0].shape, (Shape{kChannels, kIn, kKernel, kKernel}));
        const auto oihw = const_as_f32(weights);
        for (std::int64_t o = 0; o < kChannels; ++o)
            for (std::int64_t i = 0; i < kIn; ++i)
                for (std::int64_t y = 0; y < kKernel; ++y)
                    for (std::int64_t x = 0; x < kKernel; ++x)
                        ASSERT_EQ(oihw[static_cast<std::size_t>(((o * kIn + i) * kKernel + y) * kKernel + x)],
                                  m.filter_hwio[static_cast<std::size_t>(((y * kKernel + x) * kIn + i) * kChannels + o)]);

        const Node& add = only(graph, "Add");
        EXPECT_EQ(add.inputs[0].source.node, conv.id);
        const Node& bias = input_node(graph, add, 1);
        EXPECT_EQ(bias.outputs[0].shape, (Shape{1, kChannels, 1, 1}));
        EXPECT_EQ(const_as_f32(bias), m.bias);

        const Node& prelu = only(graph, "PRelu");
        EXPECT_EQ(prelu.inputs[0].source.node, add.id);
        const Node& slope = input_node(graph, prelu, 1);
        EXPECT_EQ(shape_elements(slope.outputs[0].shape), 1);
        EXPECT_EQ(const_as_f32(slope), (std::vector<float>{kAlpha}));

        const Node& reshape = only(graph, "Reshape");
        EXPECT_EQ(reshape.inputs[0].source.node, prelu.id);
        EXPECT_EQ(const_as_i64(input_node(graph, reshape, 1)), (std::vector<std::int64_t>{0, kChannels, -1}));
        EXPECT_EQ(input_node(graph, reshape, 1).outputs[0].type, ElementType::i64);
        EXPECT_TRUE(reshape.attrs.get_bool("special_zero"));
        EXPECT_EQ(reshape.outputs[0].shape, (Shape{-1, kChannels, out * out}));

        const Node& transpose = only(graph, "Transpose");
        EXPECT_EQ(transpose.inputs[0].source.node, reshape.id);
        EXPECT_EQ(transpose.outputs[0].shape, (Shape{-1, out * out, kChannels}));
        EXPECT_EQ(transpose.outputs[0].names, kOutput);
        const Node& result = only(graph, "Result");
        EXPECT_EQ(result.name, kOutput);
        EXPECT_EQ(result.inputs[0].source.node, transpose.id);

        // Already optimal: the passes find nothing more to do.
        EXPECT_EQ(sink_transposes(graph), 0u);
        EXPECT_EQ(fuse_pads(graph), 0u);
    }
}

// ---- numerics through the OpenCV engine ----------------------------------------------------------

TEST(TfjsImporter, TinyDetectorMatchesReferenceOnOpenCv) {
    for (const std::int64_t stride : {1, 2}) {
        SCOPED_TRACE("stride " + std::to_string(stride));
        const TinyModel m = tiny_detector(stride);
        const auto model = detserve::engine::compile_opencv(import(m), {});
        ASSERT_TRUE(model);
        EXPECT_TRUE(model->dynamic_batch());
        ASSERT_EQ(model->outputs().size(), 1u);
        EXPECT_EQ(model->outputs()[0].name, kOutput);

        const auto img = image(7);
        const auto got = model->infer(batch_of({img}));
        ASSERT_EQ(got.size(), 1u);
        EXPECT_EQ(got[0].first, kOutput);
        const std::int64_t out = out_size(stride);
        ASSERT_EQ(got[0].second.shape, (std::vector<std::int64_t>{1, out * out, kChannels}));
        const auto want = reference(m, img.data());
        ASSERT_EQ(got[0].second.data.size(), want.size());
        std::size_t negatives = 0;
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_NEAR(got[0].second.data[i], want[i], 1e-5) << "element " << i;
            negatives += want[i] < 0;
        }
        // Both sides of the leaky ReLU are exercised.
        EXPECT_GT(negatives, 0u);
        EXPECT_LT(negatives, want.size());
    }
}

TEST(TfjsImporter, BatchOfTwoEqualsTwoSingleForwards) {
    const TinyModel m = tiny_detector(1);
    const auto model = detserve::engine::compile_opencv(import(m), {});
    const auto first = image(1), second = image(2);
    const auto single_first = model->infer(batch_of({first}))[0].second;
    const auto single_second = model->infer(batch_of({second}))[0].second;
    const auto both = model->infer(batch_of({first, second}))[0].second;

    const std::int64_t rows = out_size(1) * out_size(1);
    ASSERT_EQ(both.shape, (std::vector<std::int64_t>{2, rows, kChannels}));
    const std::size_t per_image = single_first.data.size();
    ASSERT_EQ(both.data.size(), 2 * per_image);
    const auto want_first = reference(m, first.data());
    const auto want_second = reference(m, second.data());
    for (std::size_t i = 0; i < per_image; ++i) {
        EXPECT_NEAR(both.data[i], single_first.data[i], 1e-6) << "image 0, element " << i;
        EXPECT_NEAR(both.data[per_image + i], single_second.data[i], 1e-6) << "image 1, element " << i;
        EXPECT_NEAR(both.data[i], want_first[i], 1e-5) << "image 0, element " << i;
        EXPECT_NEAR(both.data[per_image + i], want_second[i], 1e-5) << "image 1, element " << i;
    }
    // The two images really differ, so a merged batch could not pass by accident.
    EXPECT_NE(single_first.data, single_second.data);
}

// NCHW -> Transpose -> PadV2(-inf, in NHWC) -> MaxPool 3x3/2 -> Sigmoid and Relu -> ConcatV2(-1)
// -> Transpose back: the Pad sinks into NCHW, folds into the pooling, and no Transpose is left.
TEST(TfjsImporter, MaxPoolBranchSinksPadV2AndConcat) {
    TfjsModelBuilder b;
    b.placeholder("input", {1, kIn, kSize, kSize});
    b.const_int("m/perm", {4}, {0, 2, 3, 1});
    b.op("m/to_nhwc", "Transpose", {"input", "m/perm"});
    b.const_int("m/PadV2/paddings", {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0});
    b.const_f16("m/PadV2/constant_values", {}, {-std::numeric_limits<float>::infinity()});
    b.op("m/PadV2", "PadV2", {"m/to_nhwc", "m/PadV2/paddings", "m/PadV2/constant_values"});
    b.op("m/MaxPool", "MaxPool", {"m/PadV2"},
         {{"ksize", attr_ints({1, 3, 3, 1})}, {"strides", attr_ints({1, 2, 2, 1})}, {"padding", attr_s("VALID")},
          {"data_format", attr_s("NHWC")}, {"explicit_paddings", {{"list", json::object()}}}});
    b.op("m/Sigmoid", "Sigmoid", {"m/MaxPool"});
    b.op("m/Relu", "Relu", {"m/MaxPool"});
    b.const_int("m/concat/axis", {}, {-1});
    b.op("m/concat", "ConcatV2", {"m/Sigmoid", "m/Relu", "m/concat/axis"}, {{"N", {{"i", "2"}}}});
    b.const_int("m/back_perm", {4}, {0, 3, 1, 2});
    b.op("m/to_nchw", "Transpose", {"m/concat", "m/back_perm"});
    b.op("Identity", "Identity", {"m/to_nchw"});

    const Graph graph = import_tfjs_graph_model(b.model({kOutput}), b.weights(), "pool.json");
    expect_consistent(graph);
    EXPECT_EQ(count_ops(graph, "Transpose"), 0u);
    EXPECT_EQ(count_ops(graph, "Pad"), 0u);
    const Node& pool = only(graph, "MaxPool");
    EXPECT_TRUE(input_node(graph, pool, 0).is("Parameter"));
    EXPECT_EQ(pool.attrs.get_ints("pads_begin"), (std::vector<std::int64_t>{1, 1}));
    EXPECT_EQ(pool.attrs.get_ints("pads_end"), (std::vector<std::int64_t>{1, 1}));
    EXPECT_EQ(pool.attrs.get_ints("kernel"), (std::vector<std::int64_t>{3, 3}));
    EXPECT_EQ(pool.attrs.get_ints("strides"), (std::vector<std::int64_t>{2, 2}));
    const std::int64_t out = (kSize + 2 - 3) / 2 + 1;
    EXPECT_EQ(pool.outputs[0].shape, (Shape{-1, kIn, out, out}));
    const Node& concat = only(graph, "Concat");
    EXPECT_EQ(concat.attrs.get_int("axis"), 1);
    EXPECT_EQ(concat.outputs[0].shape, (Shape{-1, 2 * kIn, out, out}));
    EXPECT_EQ(input_node(graph, concat, 0).type, "Sigmoid");
    EXPECT_EQ(input_node(graph, concat, 1).type, "Relu");
    EXPECT_EQ(input_node(graph, *graph.results().at(0), 0).id, concat.id);

    const auto model = detserve::engine::compile_opencv(graph, {});
    const auto img = image(3);
    const auto got = model->infer(batch_of({img}))[0].second;
    ASSERT_EQ(got.shape, (std::vector<std::int64_t>{1, 2 * kIn, out, out}));
    for (std::int64_t c = 0; c < kIn; ++c)
        for (std::int64_t oy = 0; oy < out; ++oy)
            for (std::int64_t ox = 0; ox < out; ++ox) {
                float best = -std::numeric_limits<float>::infinity();
                for (std::int64_t ky = 0; ky < 3; ++ky)
                    for (std::int64_t kx = 0; kx < 3; ++kx) {
                        const std::int64_t y = oy * 2 + ky - 1, x = ox * 2 + kx - 1;
                        if (y >= 0 && x >= 0 && y < kSize && x < kSize)
                            best = std::max(best, img[static_cast<std::size_t>((c * kSize + y) * kSize + x)]);
                    }
                const auto at = [&](std::int64_t channel) {
                    return got.data[static_cast<std::size_t>((channel * out + oy) * out + ox)];
                };
                EXPECT_NEAR(at(c), 1.0 / (1.0 + std::exp(-static_cast<double>(best))), 1e-5) << "sigmoid c=" << c;
                EXPECT_NEAR(at(kIn + c), std::max(best, 0.0f), 1e-6) << "relu c=" << c;
            }
}

// ---- errors ----------------------------------------------------------------------------------------

TEST(TfjsImporter, UnsupportedOpNamesTheOpAndTheNode) {
    for (const std::string op : {"FooBar", "Softmax"}) {
        const TinyModel m = tiny_detector(1, op);
        const std::string message = model_error([&] { import(m); });
        EXPECT_TRUE(contains(message, op)) << message;
        EXPECT_TRUE(contains(message, "model/act")) << message;
        EXPECT_TRUE(contains(message, "tiny.json")) << message;
    }
}

TEST(TfjsImporter, ShortWeightShardNamesTheWeight) {
    TinyModel m = tiny_detector(1);
    m.weights.resize(m.filter_offset + 10);  // cut inside the convolution filter
    const std::string message = model_error([&] { import(m); });
    EXPECT_TRUE(contains(message, "'model/split'")) << message;
    EXPECT_TRUE(contains(message, std::to_string(m.filter_offset + 10))) << message;

    TinyModel last = tiny_detector(1);
    last.weights.pop_back();  // one byte short: the last weight in the manifest
    const std::string last_message = model_error([&] { import(last); });
    EXPECT_TRUE(contains(last_message, "'model/transpose_3/perm'")) << last_message;
}

TEST(TfjsImporter, UnknownInputIsNamed) {
    TinyModel m = tiny_detector(1);
    for (auto& node : m.model["modelTopology"]["node"])
        if (node["name"] == "model/act") node["input"][0] = "model/does_not_exist";
    const std::string message = model_error([&] { import(m); });
    EXPECT_TRUE(contains(message, "model/does_not_exist")) << message;
}

TEST(TfjsImporter, ConstantWithoutManifestEntryIsNamed) {
    TinyModel m = tiny_detector(1);
    for (auto& group : m.model["weightsManifest"]) {
        auto& weights = group["weights"];
        weights.erase(std::remove_if(weights.begin(), weights.end(), [](const json& w) { return w["name"] == "model/transpose_3/perm"; }),
                      weights.end());
    }
    const std::string message = model_error([&] { import(m); });
    EXPECT_TRUE(contains(message, "model/transpose_3/perm")) << message;
    EXPECT_TRUE(contains(message, "manifest")) << message;
}

TEST(TfjsImporter, NonGraphJsonIsAClearError) {
    const std::vector<std::uint8_t> none;
    for (const json& not_a_graph : {json::array({1, 2}), json{{"format", "graph-model"}}, json{{"weightsManifest", json::array()}}}) {
        const std::string message = model_error([&] { import_tfjs_graph_model(not_a_graph, none, "odd.json"); });
        EXPECT_TRUE(contains(message, "odd.json")) << message;
        EXPECT_TRUE(contains(message, "not a TFJS graph model")) << message;
    }
    // A Keras layers-model has a modelTopology and a weightsManifest too, but no node list.
    const json layers_model{{"format", "layers-model"},
                            {"modelTopology", {{"class_name", "Sequential"}, {"config", json::object()}}},
                            {"weightsManifest", json::array()}};
    const std::string message = model_error([&] { import_tfjs_graph_model(layers_model, none, "layers.json"); });
    EXPECT_TRUE(contains(message, "layers.json")) << message;
    EXPECT_TRUE(contains(message, "not a TFJS graph model")) << message;
}

TEST(TfjsImporter, MalformedNodeIsAModelErrorNamingTheFile) {
    TinyModel m = tiny_detector(1);
    for (auto& node : m.model["modelTopology"]["node"])
        if (node["name"] == "model/act") node.erase("op");
    const std::string message = model_error([&] { import(m); });
    EXPECT_TRUE(contains(message, "tiny.json")) << message;
    EXPECT_TRUE(contains(message, "op")) << message;
}

TEST(TfjsImporter, ModelWithoutSignatureOutputsIsAnError) {
    TinyModel m = tiny_detector(1);
    m.model["signature"]["outputs"] = json::object();
    const std::string message = model_error([&] { import(m); });
    EXPECT_TRUE(contains(message, "signature outputs")) << message;
}

// ---- weight decoding ---------------------------------------------------------------------------

TEST(TfjsImporter, Uint8AffineQuantizationDecodesScaleAndMin) {
    TfjsModelBuilder b;
    b.placeholder("input", {1, 4, 1, 1});
    b.const_u8("scale", {1, 4, 1, 1}, {0, 1, 2, 255}, 0.5f, -1.0f);
    b.op("mul", "Mul", {"input", "scale"});
    b.op("Identity", "Identity", {"mul"});
    const Graph graph = import_tfjs_graph_model(b.model({kOutput}), b.weights(), "u8.json");
    const Node& mul = only(graph, "Multiply");
    const Node& scale = input_node(graph, mul, 1);
    ASSERT_TRUE(scale.is("Const"));
    EXPECT_EQ(scale.outputs[0].type, ElementType::f32);
    EXPECT_EQ(scale.outputs[0].shape, (Shape{1, 4, 1, 1}));
    EXPECT_EQ(const_as_f32(scale), (std::vector<float>{-1.0f, -0.5f, 0.0f, 126.5f}));
}

TEST(TfjsImporter, Int64ConstantsStoredAsInt32BecomeI64) {
    TfjsModelBuilder b;
    b.placeholder("ids", {1, 3}, "DT_INT64");
    b.placeholder("small_ids", {1, 3}, "DT_INT32");
    b.const_int("offsets64", {3}, {5, -7, 1 << 20}, "DT_INT64");
    b.const_int("offsets32", {3}, {-3, 9, 123456}, "DT_INT32");
    b.op("add64", "AddV2", {"ids", "offsets64"});
    b.op("add32", "AddV2", {"small_ids", "offsets32"});
    b.op("Identity", "Identity", {"add64"});
    b.op("Identity_1", "Identity", {"add32"});
    const Graph graph = import_tfjs_graph_model(b.model({"Identity:0", "Identity_1:0"}), b.weights(), "ints.json");
    expect_consistent(graph);

    const Node& add64 = *graph.find_by_name("add64");
    const Node& wide = input_node(graph, add64, 1);
    ASSERT_TRUE(wide.is("Const"));
    EXPECT_EQ(wide.outputs[0].type, ElementType::i64);
    ASSERT_TRUE(wide.data);
    EXPECT_EQ(wide.data->size(), 3u * 8u);
    EXPECT_EQ(const_as_i64(wide), (std::vector<std::int64_t>{5, -7, 1 << 20}));
    EXPECT_EQ(input_node(graph, add64, 0).outputs[0].type, ElementType::i64);
    EXPECT_EQ(add64.outputs[0].type, ElementType::i64);

    const Node& narrow = input_node(graph, *graph.find_by_name("add32"), 1);
    EXPECT_EQ(narrow.outputs[0].type, ElementType::i32);
    ASSERT_TRUE(narrow.data);
    EXPECT_EQ(narrow.data->size(), 3u * 4u);
    EXPECT_EQ(const_as_i64(narrow), (std::vector<std::int64_t>{-3, 9, 123456}));
}

// ---- files and IR --------------------------------------------------------------------------------

TEST(TfjsImporter, IrRoundTripIsByteIdentical) {
    const Graph graph = import(tiny_detector(2));
    const IrFiles first = serialize_ir(graph);
    const IrFiles second = serialize_ir(read_ir_from_memory(first.xml, first.bin, "tiny.xml"));
    EXPECT_EQ(second.xml, first.xml);
    EXPECT_EQ(second.bin, first.bin);
    EXPECT_TRUE(contains(first.xml, "special_zero=\"true\"")) << first.xml;

    TempDir dir;
    write_ir(graph, dir.path() / "ir" / "tiny.xml");
    const Graph from_disk = read_ir(dir.path() / "ir" / "tiny.xml");
    const IrFiles third = serialize_ir(from_disk);
    EXPECT_EQ(third.xml, first.xml);
    EXPECT_EQ(third.bin, first.bin);

    // The IR read back computes the same numbers as the imported graph.
    const auto img = image(11);
    const auto direct = detserve::engine::compile_opencv(graph, {})->infer(batch_of({img}))[0].second;
    const auto via_ir = detserve::engine::compile_opencv(from_disk, {})->infer(batch_of({img}))[0].second;
    EXPECT_EQ(via_ir.shape, direct.shape);
    EXPECT_EQ(via_ir.data, direct.data);
}

TEST(TfjsImporter, FileOverloadReadsShardsBesideTheModel) {
    const TinyModel m = tiny_detector(1);
    TempDir dir;
    write_file(dir.path() / "tiny.json", m.model.dump(2));
    write_file(dir.path() / "group1-shard1of1.bin", m.weights);
    const Graph from_file = import_tfjs_graph_model(dir.path() / "tiny.json");
    const IrFiles a = serialize_ir(from_file);
    const IrFiles b = serialize_ir(import(m));
    EXPECT_EQ(a.xml, b.xml);
    EXPECT_EQ(a.bin, b.bin);
}

TEST(TfjsImporter, FileOverloadErrorsNameTheFile) {
    TempDir dir;
    const std::string missing = model_error([&] { import_tfjs_graph_model(dir.path() / "absent.json"); });
    EXPECT_TRUE(contains(missing, "absent.json")) << missing;

    write_file(dir.path() / "broken.json", std::string("{\"modelTopology\": [1, 2"));
    const std::string broken = model_error([&] { import_tfjs_graph_model(dir.path() / "broken.json"); });
    EXPECT_TRUE(contains(broken, "broken.json")) << broken;
    EXPECT_TRUE(contains(broken, "not valid JSON")) << broken;

    // The manifest's shard is not on disk.
    write_file(dir.path() / "noshard.json", tiny_detector(1).model.dump());
    const std::string no_shard = model_error([&] { import_tfjs_graph_model(dir.path() / "noshard.json"); });
    EXPECT_TRUE(contains(no_shard, "group1-shard1of1.bin")) << no_shard;
}
