// fold_constants on small hand-built graphs shaped like what OpenVINO's converter writes: f16
// weights behind a Convert, and ShapeOf -> Slice -> Concat computing an Interpolate's sizes.
#include "detserve/graph/element_type.hpp"
#include "detserve/graph/passes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using namespace detserve::graph;

namespace {

using Attrs = std::vector<std::pair<std::string, std::string>>;

class Builder {
public:
    Source parameter(const Shape& shape) {
        Node node;
        node.name = "images";
        node.type = "Parameter";
        node.attrs.set("shape", join_ints(shape));
        node.attrs.set("element_type", "f32");
        node.outputs.push_back(Port{ElementType::f32, shape, "images", {}});
        return add(std::move(node));
    }
    Source constant(Node node) { return add(std::move(node)); }
    Source op(const std::string& type, const std::string& name, const std::vector<Source>& inputs, const Attrs& attrs,
              ElementType type_out, const Shape& shape_out, const std::string& tensor_names = {}) {
        Node node;
        node.name = name;
        node.type = type;
        for (const auto& [key, value] : attrs) node.attrs.set(key, value);
        for (const auto& source : inputs) node.inputs.push_back({source, graph.port_of(source)});
        node.outputs.push_back(Port{type_out, shape_out, tensor_names, {}});
        return add(std::move(node));
    }
    void result(const Source& source) {
        Node node;
        node.name = "output";
        node.type = "Result";
        node.inputs.push_back({source, graph.port_of(source)});
        add(std::move(node));
    }
    const Node& node(const Source& s) const { return graph.at(s.node); }

    Graph graph;

private:
    Source add(Node node) { return Source{graph.add_node(std::move(node)).id, 0}; }
};

Node f16_const(const std::string& name, const Shape& shape, const std::vector<float>& values) {
    std::vector<std::uint8_t> bytes;
    for (float v : values) {
        const std::uint16_t bits = f32_to_f16(v);
        bytes.push_back(static_cast<std::uint8_t>(bits & 0xFF));
        bytes.push_back(static_cast<std::uint8_t>(bits >> 8));
    }
    return make_const(name, ElementType::f16, shape, bytes);
}

// A Slice of `data` (any constant node) with the given bounds.
Source slice(Builder& b, const Source& data, std::vector<std::int64_t> start, std::vector<std::int64_t> stop,
             std::vector<std::int64_t> step, std::vector<std::int64_t> axes, const Shape& out,
             ElementType type = ElementType::i64) {
    const auto n = static_cast<std::int64_t>(start.size());
    return b.op("Slice", "slice",
                {data, b.constant(make_const_i64("start", {n}, start)), b.constant(make_const_i64("stop", {n}, stop)),
                 b.constant(make_const_i64("step", {n}, step)), b.constant(make_const_i64("axes", {n}, axes))},
                {}, type, out);
}

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

}  // namespace

TEST(GraphConstantFolding, ConvertOfF16WeightsBecomesAnF32ConstInPlace) {
    Builder b;
    const Source x = b.parameter({1, 4});
    const Source half = b.constant(f16_const("w_compressed", {1, 4}, {0.5f, -2.0f, 1024.0f, 0.333251953125f}));
    const Source w = b.op("Convert", "w", {half}, {{"destination_type", "f32"}}, ElementType::f32, {1, 4}, "w_tensor");
    const Source sum = b.op("Add", "add", {x, w}, {}, ElementType::f32, {1, 4});
    b.result(sum);

    EXPECT_EQ(fold_constants(b.graph), 1u);
    const Node& folded = b.node(w);  // same id, name and tensor names
    EXPECT_EQ(folded.type, "Const");
    EXPECT_EQ(folded.name, "w");
    EXPECT_TRUE(folded.inputs.empty());
    EXPECT_EQ(folded.outputs[0].type, ElementType::f32);
    EXPECT_EQ(folded.outputs[0].names, "w_tensor");
    EXPECT_EQ(folded.attrs.get_string("element_type"), "f32");
    EXPECT_EQ(const_as_f32(folded), (std::vector<float>{0.5f, -2.0f, 1024.0f, 0.333251953125f}));
    EXPECT_EQ(b.graph.find(half.node), nullptr) << "the f16 constant no longer feeds anything";
    EXPECT_EQ(b.graph.at(sum.node).inputs[1].source, w);
    EXPECT_EQ(fold_constants(b.graph), 0u);
}

// yolo11n-int8-320-nms converts i64 constants to u32 (its NMS indices); every integer type folds,
// a narrower one wrapping as Convert-1 says, boolean as "not zero".
TEST(GraphConstantFolding, ConvertBetweenIntegerTypesFoldsToEveryIntegerType) {
    const std::vector<std::int64_t> values{0, 1, 300, -1};
    const std::vector<std::pair<std::string, std::vector<std::int64_t>>> cases{
        {"u32", {0, 1, 300, 4294967295}}, {"u64", {0, 1, 300, kMax}},   {"i16", {0, 1, 300, -1}},
        {"u16", {0, 1, 300, 65535}},      {"i8", {0, 1, 44, -1}},       {"u8", {0, 1, 44, 255}},
        {"boolean", {0, 1, 1, 1}},
    };
    for (const auto& [name, expected] : cases) {
        SCOPED_TRACE(name);
        Builder b;
        const auto type = *element_type_from_string(name);
        const Source c = b.constant(make_const_i64("c", {4}, values));
        const Source converted = b.op("Convert", "to_" + name, {c}, {{"destination_type", name}}, type, {4});
        b.result(converted);
        EXPECT_EQ(fold_constants(b.graph), 1u);
        EXPECT_EQ(b.node(converted).outputs[0].type, type);
        EXPECT_EQ(const_as_i64(b.node(converted)), expected);
    }
}

TEST(GraphConstantFolding, FloatToIntegerConvertIsLeftForRunTime) {
    Builder b;
    const Source c = b.constant(make_const_f32("c", {2}, {1.5f, -2.5f}));
    const Source i = b.op("Convert", "to_int", {c}, {{"destination_type", "i64"}}, ElementType::i64, {2});
    b.result(i);
    EXPECT_EQ(fold_constants(b.graph), 0u);
    EXPECT_EQ(b.node(i).type, "Convert");
}

TEST(GraphConstantFolding, ShapeArithmeticForAnInterpolateFoldsToOneConst) {
    // As yolov5n.xml's /model.11/Resize: sizes = concat(shape(x)[0:2], [26, 26]).
    Builder b;
    const Source x = b.parameter({1, 128, 13, 13});
    const Source shape = b.op("ShapeOf", "shape", {x}, {{"output_type", "i64"}}, ElementType::i64, {4});
    const Source batch_channels = slice(b, shape, {0}, {2}, {1}, {0}, {2});
    const Source size = b.constant(make_const_i64("size", {2}, {26, 26}));
    const Source sizes = b.op("Concat", "sizes", {batch_channels, size}, {{"axis", "0"}}, ElementType::i64, {4});
    const Source up = b.op("Interpolate", "resize", {x, sizes}, {{"mode", "nearest"}}, ElementType::f32, {1, 128, 26, 26});
    b.result(up);

    EXPECT_EQ(fold_constants(b.graph), 3u);
    EXPECT_EQ(b.node(sizes).type, "Const");
    EXPECT_EQ(const_as_i64(b.node(sizes)), (std::vector<std::int64_t>{1, 128, 26, 26}));
    EXPECT_EQ(b.graph.find(shape.node), nullptr);
    EXPECT_EQ(b.graph.find(batch_channels.node), nullptr);
    EXPECT_EQ(b.graph.at(up.node).inputs[0].source, x) << "the tensor input is untouched";
}

TEST(GraphConstantFolding, ShapeOfADynamicShapeStays) {
    Builder b;
    const Source x = b.parameter({-1, 3, 8, 8});
    const Source shape = b.op("ShapeOf", "shape", {x}, {}, ElementType::i64, {4});
    b.result(shape);
    EXPECT_EQ(fold_constants(b.graph), 0u);
}

TEST(GraphConstantFolding, SliceClampsCountsFromTheEndAndSteps) {
    Builder b;
    const Source data = b.constant(make_const_i64("data", {6}, {10, 11, 12, 13, 14, 15}));
    const Source tail = slice(b, data, {-2}, {kMax}, {1}, {0}, {2});
    const Source odd = slice(b, data, {1}, {100}, {2}, {-1}, {3});
    const Source reversed = slice(b, data, {-1}, {-kMax}, {-1}, {0}, {6});  // numpy's [::-1], index 0 included
    const Source evens_back = slice(b, data, {4}, {-kMax}, {-2}, {0}, {3});
    for (const Source& s : {tail, odd, reversed, evens_back}) b.result(s);
    EXPECT_EQ(fold_constants(b.graph), 4u);
    EXPECT_EQ(const_as_i64(b.node(tail)), (std::vector<std::int64_t>{14, 15}));
    EXPECT_EQ(const_as_i64(b.node(odd)), (std::vector<std::int64_t>{11, 13, 15}));
    EXPECT_EQ(const_as_i64(b.node(reversed)), (std::vector<std::int64_t>{15, 14, 13, 12, 11, 10}));
    EXPECT_EQ(const_as_i64(b.node(evens_back)), (std::vector<std::int64_t>{14, 12, 10}));
}

TEST(GraphConstantFolding, SliceAndConcatAlongAnInnerAxis) {
    Builder b;
    // 2x3 f32: [[0,1,2],[3,4,5]]
    const Source m = b.constant(make_const_f32("m", {2, 3}, {0, 1, 2, 3, 4, 5}));
    const Source cols = slice(b, m, {1}, {3}, {1}, {1}, {2, 2}, ElementType::f32);  // [[1,2],[4,5]]
    const Source extra = b.constant(make_const_f32("extra", {2, 1}, {9, 8}));
    const Source joined = b.op("Concat", "joined", {cols, extra, cols}, {{"axis", "-1"}}, ElementType::f32, {2, 5});
    b.result(joined);
    EXPECT_EQ(fold_constants(b.graph), 2u);
    EXPECT_EQ(b.node(joined).outputs[0].shape, (Shape{2, 5}));
    EXPECT_EQ(const_as_f32(b.node(joined)), (std::vector<float>{1, 2, 9, 1, 2, 4, 5, 8, 4, 5}));
}

TEST(GraphConstantFolding, AFoldThatContradictsTheDeclaredShapeNamesTheLayer) {
    Builder b;
    const Source data = b.constant(make_const_i64("data", {4}, {1, 2, 3, 4}));
    b.result(slice(b, data, {0}, {2}, {1}, {0}, {3}));  // declares 3, gives 2
    try {
        fold_constants(b.graph);
        FAIL() << "expected an error";
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("'slice'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("[2]"), std::string::npos) << e.what();
    }
}

// f32 constants read as integers (a shape given as floats): an out-of-range value saturates
// rather than being cast, which would be undefined behaviour.
TEST(GraphElementType, FloatsReadAsInt64SaturateAndNanIsZero) {
    const std::vector<float> values{7.677e31f, -7.677e31f, std::numeric_limits<float>::quiet_NaN(), -2.75f, 3.5f,
                                    std::numeric_limits<float>::infinity()};
    const auto ints = to_i64(ElementType::f32, reinterpret_cast<const std::uint8_t*>(values.data()), values.size());
    EXPECT_EQ(ints, (std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max(),
                                               std::numeric_limits<std::int64_t>::lowest(), 0, -2, 3,
                                               std::numeric_limits<std::int64_t>::max()}));
    EXPECT_EQ(saturating_i64(9223372036854775807.0), std::numeric_limits<std::int64_t>::max());  // rounds to 2^63
    EXPECT_EQ(saturating_i64(-9223372036854775808.0), std::numeric_limits<std::int64_t>::lowest());
    EXPECT_EQ(saturating_i64(4611686018427387904.0), std::int64_t{1} << 62);
}
