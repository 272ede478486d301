// Reading an ONNX model's inputs from the protobuf wire format (hand-built byte strings, then the
// real NanoDet-m export), and the load-time probe that decides whether a symbolic batch is really
// batchable in OpenCV 4.6 (tiny hand-built ONNX models through compile_opencv_onnx).
#include "../../src/engine/onnx_inputs.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "detserve/engine/opencv_engine.hpp"

#ifndef DETSERVE_SOURCE_DIR
#define DETSERVE_SOURCE_DIR ""
#endif

namespace fs = std::filesystem;
using namespace detserve;
using namespace detserve::engine;

namespace {

// ---- a protobuf writer, just enough to hand-build ONNX models (field numbers: onnx/onnx.proto) ----

using Bytes = std::string;

Bytes varint(std::uint64_t value) {
    Bytes out;
    do {
        const auto low = static_cast<std::uint8_t>(value & 0x7F);
        value >>= 7;
        out.push_back(static_cast<char>(value ? low | 0x80 : low));
    } while (value);
    return out;
}
Bytes key(std::uint32_t field, std::uint8_t wire_type) { return varint(std::uint64_t{field} << 3 | wire_type); }
Bytes field_varint(std::uint32_t field, std::int64_t value) {
    return key(field, 0) + varint(static_cast<std::uint64_t>(value));
}
Bytes field_bytes(std::uint32_t field, const Bytes& payload) { return key(field, 2) + varint(payload.size()) + payload; }
Bytes field_fixed32(std::uint32_t field) { return key(field, 5) + Bytes("\x01\x02\x03\x04", 4); }
Bytes field_fixed64(std::uint32_t field) { return key(field, 1) + Bytes(8, '\x7f'); }

constexpr int kFloat = 1;  // TensorProto.DataType
constexpr int kInt64 = 7;

// TensorShapeProto.dim entries
Bytes dim(std::int64_t value) { return field_bytes(1, field_varint(1, value)); }
Bytes dim(const std::string& param) { return field_bytes(1, field_bytes(2, param)); }

// TypeProto { tensor_type = 1 { elem_type = 1, shape = 2 } }
Bytes tensor_type(int elem_type, const Bytes& dims) {
    return field_bytes(1, field_varint(1, elem_type) + field_bytes(2, dims));
}
// ValueInfoProto { name = 1, type = 2 }
Bytes value_info(const std::string& name, const Bytes& type) { return field_bytes(1, name) + field_bytes(2, type); }
Bytes graph_input(const std::string& name, const Bytes& type) { return field_bytes(11, value_info(name, type)); }
Bytes graph_output(const std::string& name, const Bytes& type) { return field_bytes(12, value_info(name, type)); }

Bytes int64_le(std::int64_t value) {
    Bytes out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xFF));
    return out;
}

// TensorProto { dims = 1, data_type = 2, name = 8, raw_data = 9 }, as GraphProto.initializer = 5
Bytes initializer_i64(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<std::int64_t>& values) {
    Bytes tensor;
    for (auto d : dims) tensor += field_varint(1, d);
    tensor += field_varint(2, kInt64) + field_bytes(8, name);
    Bytes raw;
    for (auto v : values) raw += int64_le(v);
    return field_bytes(5, tensor + field_bytes(9, raw));
}
Bytes initializer_f32(const std::string& name, const std::vector<std::int64_t>& dims) {
    Bytes tensor;
    std::int64_t count = 1;
    for (auto d : dims) {
        tensor += field_varint(1, d);
        count *= d;
    }
    tensor += field_varint(2, kFloat) + field_bytes(8, name) + field_bytes(9, Bytes(static_cast<std::size_t>(count) * 4, '\0'));
    return field_bytes(5, tensor);
}

// AttributeProto { name = 1, i = 3, ints = 8, type = 20 (INT = 2, INTS = 7) }
Bytes attribute_int(const std::string& name, std::int64_t value) {
    return field_bytes(1, name) + field_varint(3, value) + field_varint(20, 2);
}
Bytes attribute_ints(const std::string& name, const std::vector<std::int64_t>& values) {
    Bytes out = field_bytes(1, name);
    for (auto v : values) out += field_varint(8, v);
    return out + field_varint(20, 7);
}

// NodeProto { input = 1, output = 2, name = 3, op_type = 4, attribute = 5 }, as GraphProto.node = 1
Bytes node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
           const std::vector<Bytes>& attributes = {}) {
    Bytes out;
    for (const auto& in : inputs) out += field_bytes(1, in);
    out += field_bytes(2, output) + field_bytes(3, op + "_" + output) + field_bytes(4, op);
    for (const auto& a : attributes) out += field_bytes(5, a);
    return field_bytes(1, out);
}

// ModelProto { ir_version = 1, graph = 7, opset_import = 8 { version = 2 } }
Bytes model(const Bytes& graph, std::int64_t opset = 11) {
    return field_varint(1, 6) + field_bytes(7, graph) + field_bytes(8, field_varint(2, opset));
}

std::span<const std::uint8_t> as_span(const Bytes& bytes) {
    return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

std::vector<OnnxInput> read(const Bytes& bytes) { return read_onnx_inputs(as_span(bytes)); }

// The error message read_onnx_inputs gives, or "" when it parses.
std::string error_of(const Bytes& bytes) {
    try {
        read(bytes);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

const std::vector<std::int64_t> kImageDims{-1, 3, 416, 416};

Bytes nchw_type(const Bytes& batch_dim, std::int64_t side = 416) {
    return tensor_type(kFloat, batch_dim + dim(3) + dim(side) + dim(side));
}

Bytes symbolic_model() { return model(field_bytes(2, "g") + graph_input("images", nchw_type(dim("N")))); }

fs::path shared_dir() {
    if (const char* dir = std::getenv("DETSERVE_SHARED_DIR"); dir && *dir) return dir;
    return fs::path(DETSERVE_SOURCE_DIR) / ".." / "shared";
}

}  // namespace

// ---- the wire-format reader ----

TEST(OnnxInputs, SymbolicBatchReadsAsMinusOneAndKeepsItsName) {
    const auto inputs = read(symbolic_model());
    ASSERT_EQ(inputs.size(), 1u);
    EXPECT_EQ(inputs[0].name, "images");
    EXPECT_EQ(inputs[0].elem_type, kFloat);
    EXPECT_TRUE(inputs[0].has_shape);
    EXPECT_EQ(inputs[0].dims, kImageDims);
    EXPECT_EQ(inputs[0].dim_params, (std::vector<std::string>{"N", "", "", ""}));
    EXPECT_EQ(describe(inputs[0]), "images f32 [N,3,416,416]");
}

TEST(OnnxInputs, FixedDims) {
    const auto inputs = read(model(graph_input("x", tensor_type(10, dim(1) + dim(3) + dim(320) + dim(640)))));
    ASSERT_EQ(inputs.size(), 1u);
    EXPECT_EQ(inputs[0].dims, (std::vector<std::int64_t>{1, 3, 320, 640}));
    EXPECT_EQ(onnx_elem_type_name(inputs[0].elem_type), "f16");
    EXPECT_EQ(describe(inputs[0]), "x f16 [1,3,320,640]");
}

TEST(OnnxInputs, MissingDimAndMissingShapeAreUnknown) {
    const Bytes no_value = field_bytes(1, Bytes());  // a Dimension with neither dim_value nor dim_param
    const auto inputs = read(model(graph_input("a", tensor_type(kFloat, no_value + dim(4))) +
                                   graph_input("b", field_bytes(1, field_varint(1, kFloat)))));
    ASSERT_EQ(inputs.size(), 2u);
    EXPECT_EQ(inputs[0].dims, (std::vector<std::int64_t>{-1, 4}));
    EXPECT_EQ(describe(inputs[0]), "a f32 [?,4]");
    EXPECT_FALSE(inputs[1].has_shape);
    EXPECT_TRUE(inputs[1].dims.empty());
}

TEST(OnnxInputs, InitializersListedAsInputsAreExcluded) {
    // Old exporters list every weight among the inputs; here the initializer also comes after them.
    const Bytes graph = graph_input("conv.weight", tensor_type(kFloat, dim(8) + dim(3) + dim(3) + dim(3))) +
                        graph_input("images", nchw_type(dim(1))) + initializer_f32("conv.weight", {8, 3, 3, 3});
    const auto inputs = read(model(graph));
    ASSERT_EQ(inputs.size(), 1u);
    EXPECT_EQ(inputs[0].name, "images");
}

TEST(OnnxInputs, SparseInitializersAreExcludedToo) {
    // SparseTensorProto { values = 1 (TensorProto, named) }, as GraphProto.sparse_initializer = 15
    const Bytes sparse = field_bytes(15, field_bytes(1, field_bytes(8, "mask")));
    const auto inputs = read(model(graph_input("mask", tensor_type(kFloat, dim(4))) + sparse + graph_input("x", nchw_type(dim(1)))));
    ASSERT_EQ(inputs.size(), 1u);
    EXPECT_EQ(inputs[0].name, "x");
}

TEST(OnnxInputs, UnknownFieldsOfEveryWireTypeAreSkipped) {
    const Bytes dimension = field_bytes(1, field_varint(1, 2) + field_bytes(3, "DATA_BATCH") + field_varint(9, 7));
    const Bytes unknown_message = field_bytes(42, field_bytes(1, field_bytes(2, "deep")) + field_fixed64(3) + field_fixed32(4));
    const Bytes type = field_bytes(1, field_varint(1, kFloat) + unknown_message + field_bytes(2, dimension + dim(3))) +
                       field_bytes(6, "IMAGE");  // TypeProto.denotation
    const Bytes input = field_fixed32(7) + field_bytes(1, "x") + field_bytes(3, "doc") + field_bytes(2, type);
    const Bytes graph = node("Relu", {"x"}, "y") + field_bytes(2, "g") + field_bytes(11, input) + field_fixed64(99) +
                        graph_output("y", nchw_type(dim(2)));
    const Bytes bytes = field_bytes(2, "pytorch") + field_fixed64(30) + model(graph) + field_bytes(14, field_bytes(1, "k"));
    const auto inputs = read(bytes);
    ASSERT_EQ(inputs.size(), 1u);
    EXPECT_EQ(inputs[0].name, "x");
    EXPECT_EQ(inputs[0].dims, (std::vector<std::int64_t>{2, 3}));
}

TEST(OnnxInputs, EmptyBytesAndAGraphlessModelHaveNoInputs) {
    EXPECT_TRUE(read("").empty());
    EXPECT_TRUE(read(field_varint(1, 7)).empty());
}

TEST(OnnxInputs, MalformedBytesThrowNamingWhatIsWrong) {
    EXPECT_NE(error_of("\x08\x80").find("truncated varint"), std::string::npos) << error_of("\x08\x80");
    EXPECT_NE(error_of(Bytes(11, '\xff')).find("longer than 10 bytes"), std::string::npos);

    const Bytes past_end = key(7, 2) + varint(100) + "abc";
    EXPECT_NE(error_of(past_end).find("length 100 of field 7 runs past the end (3 bytes left)"), std::string::npos)
        << error_of(past_end);

    const Bytes group = field_bytes(7, key(11, 3));
    EXPECT_NE(error_of(group).find("wire type 3 (groups are unsupported) in GraphProto"), std::string::npos) << error_of(group);
    EXPECT_NE(error_of(key(5, 4)).find("wire type 4"), std::string::npos);
    EXPECT_NE(error_of(key(5, 6)).find("unknown wire type 6"), std::string::npos);
    EXPECT_NE(error_of(key(0, 0) + varint(1)).find("invalid field number 0"), std::string::npos);
    EXPECT_NE(error_of(key(9, 5) + "ab").find("runs past the end"), std::string::npos);

    // A known field with the wrong wire type: ValueInfoProto.name as a varint.
    const Bytes wrong = model(field_bytes(11, field_varint(1, 5)));
    EXPECT_NE(error_of(wrong).find("field 1 has wire type 0, expected 2 in GraphProto.input"), std::string::npos)
        << error_of(wrong);
}

TEST(OnnxInputs, ErrorsGiveTheByteOffsetInTheFile) {
    // The graph starts at byte 2; its input's length claims 50 bytes at offset 2 within it.
    const Bytes bytes = field_bytes(7, key(11, 2) + varint(50) + "x");
    EXPECT_NE(error_of(bytes).find("in GraphProto at byte 4"), std::string::npos) << error_of(bytes);
}

TEST(OnnxInputs, EveryTruncationEitherParsesOrThrows) {
    const Bytes bytes = symbolic_model();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        // A cut right after a complete field is a valid (shorter) message; any other cut must throw.
        try {
            read(bytes.substr(0, n));
        } catch (const std::runtime_error&) {
        }
    }
    EXPECT_FALSE(error_of(bytes.substr(0, bytes.size() - 1)).empty());
}

TEST(OnnxInputs, EveryCorruptedByteEitherParsesOrThrows) {
    const Bytes bytes = symbolic_model();
    for (std::size_t i = 0; i < bytes.size(); ++i)
        for (int value : {0x00, 0x7f, 0x80, 0xff, 0x0b, 0x1a}) {
            Bytes corrupt = bytes;
            corrupt[i] = static_cast<char>(value);
            try {
                read(corrupt);
            } catch (const std::runtime_error&) {
            }
        }
}

TEST(OnnxInputs, FileErrorsStartWithThePath) {
    test::TempDir dir("detserve_onnx");
    const fs::path path = dir.write("cut.onnx", symbolic_model().substr(0, 20));
    try {
        read_onnx_inputs(path);
        FAIL() << "a truncated file parsed";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path.string() + ": malformed ONNX: ", 0), 0u) << e.what();
    }
    try {
        read_onnx_inputs(dir.path() / "missing.onnx");
        FAIL() << "a missing file parsed";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing.onnx: cannot open"), std::string::npos) << e.what();
    }
}

TEST(OnnxInputs, RealNanodetMExport) {
    const fs::path path = shared_dir() / "models" / "nanodet_m.onnx";
    if (!fs::exists(path))
        GTEST_SKIP() << path.string() << " not found (only CI and developer machines have ../shared/models; set DETSERVE_SHARED_DIR to point elsewhere)";
    const auto inputs = read_onnx_inputs(path);
    ASSERT_EQ(inputs.size(), 1u) << "the PyTorch 1.7 export must not list its weights as inputs";
    EXPECT_EQ(describe(inputs[0]), "input.1 f32 [1,3,416,416]");
}

// ---- the batch probe's verdict ----

namespace {

Tensor tensor(std::vector<std::int64_t> shape, std::vector<float> data) { return {std::move(shape), std::move(data)}; }

const NamedTensors kOneImage{{"scores", tensor({1, 2, 2}, {1, 2, 3, 4})}, {"boxes", tensor({1, 2}, {10, -20})}};
const NamedTensors kTwoImages{{"scores", tensor({2, 2, 2}, {1, 2, 3, 4, 4, 3, 2, 1})},
                              {"boxes", tensor({2, 2}, {10, -20, -20, 10})}};

}  // namespace

TEST(OnnxBatchProbe, MatchingItemZeroMeansDynamic) {
    const auto verdict = judge_batch_probe(kTwoImages, kOneImage, 1e-4);
    EXPECT_TRUE(verdict.dynamic) << verdict.reason;
}

TEST(OnnxBatchProbe, ToleranceIsRelativeToTheOutputsLargestValue) {
    auto two = kTwoImages;
    two[1].second.data[0] += 0.0015f;  // 20 x 1e-4 = 0.002 allowed on "boxes"
    EXPECT_TRUE(judge_batch_probe(two, kOneImage, 1e-4).dynamic);
    two[1].second.data[0] += 0.001f;
    EXPECT_FALSE(judge_batch_probe(two, kOneImage, 1e-4).dynamic);
}

TEST(OnnxBatchProbe, APinnedBatchOfOneIsNotDynamic) {
    // What NanoDet's Reshape [1,80,-1] does to two images: one item holding both.
    NamedTensors merged = kTwoImages;
    merged[0].second.shape = {1, 2, 4};
    const auto verdict = judge_batch_probe(merged, kOneImage, 1e-4);
    EXPECT_FALSE(verdict.dynamic);
    EXPECT_EQ(verdict.reason, "output 'scores' has shape [1,2,4] for a batch of 2, [1,2,2] for one image");
}

TEST(OnnxBatchProbe, MixedImagesInItemZeroAreNotDynamic) {
    NamedTensors mixed = kTwoImages;
    mixed[0].second.data = {1, 4, 2, 3, 3, 2, 4, 1};  // interleaved: the right shape, the wrong values
    const auto verdict = judge_batch_probe(mixed, kOneImage, 1e-4);
    EXPECT_FALSE(verdict.dynamic);
    EXPECT_NE(verdict.reason.find("item 0 of output 'scores' differs"), std::string::npos) << verdict.reason;
    EXPECT_NE(verdict.reason.find("mixes images"), std::string::npos) << verdict.reason;
}

TEST(OnnxBatchProbe, OtherShapeChangesAndMissingBatchDimsAreNotDynamic) {
    NamedTensors reshaped = kTwoImages;
    reshaped[0].second.shape = {2, 4, 1};
    EXPECT_FALSE(judge_batch_probe(reshaped, kOneImage, 1e-4).dynamic);

    const NamedTensors flat_one{{"dets", tensor({4}, {1, 2, 3, 4})}};
    const NamedTensors flat_two{{"dets", tensor({8}, {1, 2, 3, 4, 4, 3, 2, 1})}};
    const auto verdict = judge_batch_probe(flat_two, flat_one, 1e-4);
    EXPECT_FALSE(verdict.dynamic);
    EXPECT_NE(verdict.reason.find("no batch dimension"), std::string::npos) << verdict.reason;

    EXPECT_FALSE(judge_batch_probe({}, {}, 1e-4).dynamic);
    EXPECT_FALSE(judge_batch_probe(kTwoImages, {kOneImage[0]}, 1e-4).dynamic);
}

TEST(OnnxBatchProbe, NanIsNeverEqual) {
    NamedTensors two = kTwoImages;
    two[0].second.data[1] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_FALSE(judge_batch_probe(two, kOneImage, 1e-4).dynamic);
}

// ---- compile_opencv_onnx on tiny hand-built models ----

namespace {

// Captures std::clog for the scope.
class ClogCapture {
public:
    ClogCapture() : old_(std::clog.rdbuf(text_.rdbuf())) {}
    ~ClogCapture() { std::clog.rdbuf(old_); }
    std::string text() const { return text_.str(); }

private:
    std::ostringstream text_;
    std::streambuf* old_;
};

constexpr std::int64_t kSide = 4;

// images [N,3,4,4] -> Relu -> y
Bytes relu_model(const Bytes& batch_dim) {
    return model(node("Relu", {"images"}, "y") + field_bytes(2, "relu") + graph_input("images", nchw_type(batch_dim, kSide)) +
                 graph_output("y", nchw_type(batch_dim, kSide)));
}

// images [N,3,4,4] -> Reshape(images, Concat(Unsqueeze(Gather(Shape(images), 0)), [-1])) -> y [N,48]:
// batch-agnostic in ONNX, but OpenCV 4.6 folds Shape at a batch of 1 and pins the Reshape to [1,-1].
Bytes flatten_by_shape_model() {
    const Bytes graph = node("Shape", {"images"}, "shape") +
                        node("Gather", {"shape", "zero"}, "batch", {attribute_int("axis", 0)}) +
                        node("Unsqueeze", {"batch"}, "batch1", {attribute_ints("axes", {0})}) +
                        node("Concat", {"batch1", "minus_one"}, "target", {attribute_int("axis", 0)}) +
                        node("Reshape", {"images", "target"}, "y") + field_bytes(2, "flatten") +
                        initializer_i64("zero", {}, {0}) + initializer_i64("minus_one", {1}, {-1}) +
                        graph_input("images", nchw_type(dim("N"), kSide)) +
                        graph_output("y", tensor_type(kFloat, dim("N") + dim(3 * kSide * kSide)));
    return model(graph);
}

Tensor ramp_batch(std::int64_t items) {
    Tensor t{{items, 3, kSide, kSide}, {}};
    for (std::size_t i = 0; i < t.elements(); ++i) t.data.push_back(static_cast<float>(i % 7) - 3.0f);
    return t;
}

}  // namespace

TEST(OnnxEngine, SymbolicBatchThatBatchesIsDynamic) {
    test::TempDir dir("detserve_onnx");
    ClogCapture clog;
    const auto compiled = compile_opencv_onnx(dir.write("relu.onnx", relu_model(dim("batch"))), {});
    EXPECT_EQ(compiled->input().name, "images");
    EXPECT_EQ(compiled->input().shape, (std::vector<std::int64_t>{-1, 3, kSide, kSide}));
    EXPECT_TRUE(compiled->dynamic_batch());
    ASSERT_EQ(compiled->outputs().size(), 1u);
    EXPECT_EQ(compiled->outputs()[0].shape, (std::vector<std::int64_t>{-1, 3, kSide, kSide}));
    EXPECT_EQ(clog.text(), "");

    const auto out = compiled->infer(ramp_batch(3));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].second.shape, (std::vector<std::int64_t>{3, 3, kSide, kSide}));
}

TEST(OnnxEngine, SymbolicBatchThatOpenCvPinsRunsOneImagePerForward) {
    test::TempDir dir("detserve_onnx");
    ClogCapture clog;
    const fs::path path = dir.write("flatten.onnx", flatten_by_shape_model());
    const auto compiled = compile_opencv_onnx(path, {});
    EXPECT_EQ(compiled->input().shape, (std::vector<std::int64_t>{-1, 3, kSide, kSide}));
    EXPECT_FALSE(compiled->dynamic_batch());
    EXPECT_EQ(clog.text(), "detserve: " + path.string() +
                               ": batch dim is symbolic but OpenCV's import pins it (output 'y' has shape [1,96] for a "
                               "batch of 2, [1,48] for one image); running one image per forward\n");
    ASSERT_EQ(compiled->outputs().size(), 1u);
    EXPECT_EQ(compiled->outputs()[0].shape, (std::vector<std::int64_t>{1, 3 * kSide * kSide}));

    const auto out = compiled->infer(ramp_batch(1));
    EXPECT_EQ(out[0].second.shape, (std::vector<std::int64_t>{1, 3 * kSide * kSide}));
    EXPECT_THROW(compiled->infer(ramp_batch(2)), EngineError);
}

TEST(OnnxEngine, SymbolicHeightIsNotProbed) {
    test::TempDir dir("detserve_onnx");
    ClogCapture clog;
    const Bytes type = tensor_type(kFloat, dim("N") + dim(3) + dim("H") + dim(kSide));
    const Bytes bytes = model(node("Relu", {"images"}, "y") + graph_input("images", type) + graph_output("y", type));
    const auto compiled = compile_opencv_onnx(dir.write("h.onnx", bytes), {});
    EXPECT_FALSE(compiled->dynamic_batch());
    EXPECT_EQ(compiled->input().shape, (std::vector<std::int64_t>{-1, 3, -1, kSide}));
    EXPECT_NE(clog.text().find("the input images f32 [N,3,H,4] is not [N,C,H,W] with a known C, H and W"), std::string::npos) << clog.text();
}

TEST(OnnxEngine, FixedBatchIsNotDynamicAndKnowsItsOutputShapes) {
    test::TempDir dir("detserve_onnx");
    ClogCapture clog;
    const auto compiled = compile_opencv_onnx(dir.write("fixed.onnx", relu_model(dim(1))), {});
    EXPECT_FALSE(compiled->dynamic_batch());
    EXPECT_EQ(compiled->input().shape, (std::vector<std::int64_t>{1, 3, kSide, kSide}));
    ASSERT_EQ(compiled->outputs().size(), 1u);
    EXPECT_EQ(compiled->outputs()[0].shape, (std::vector<std::int64_t>{1, 3, kSide, kSide}));
    EXPECT_EQ(clog.text(), "");
}

TEST(OnnxEngine, CorruptModelFailsWithThePath) {
    test::TempDir dir("detserve_onnx");
    const fs::path path = dir.write("cut.onnx", relu_model(dim("N")).substr(0, 30));
    try {
        compile_opencv_onnx(path, {});
        FAIL() << "a truncated model compiled";
    } catch (const EngineError& e) {
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
}
