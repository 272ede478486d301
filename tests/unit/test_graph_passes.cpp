// sink_transposes and fuse_pads on small hand-built graphs: which nodes are left, what their
// attributes and constants hold, and that every input's stored port still matches its producer.
#include "detserve/graph/passes.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace detserve::graph;

namespace {

using Attrs = std::vector<std::pair<std::string, std::string>>;

// Builds a Graph in code: every input's port is copied from its producer, as importers do.
class GraphBuilder {
public:
    Source parameter(const std::string& name, const Shape& shape) {
        Node node;
        node.name = name;
        node.type = "Parameter";
        node.attrs.set("shape", join_ints(shape));
        node.attrs.set("element_type", "f32");
        node.outputs.push_back(Port{ElementType::f32, shape, name, {}});
        return add(std::move(node));
    }

    Source constant(Node node) { return add(std::move(node)); }

    Source op(const std::string& type, const std::string& name, const std::vector<Source>& inputs, const Attrs& attrs,
              const Shape& output_shape) {
        Node node;
        node.name = name;
        node.type = type;
        for (const auto& [key, value] : attrs) node.attrs.set(key, value);
        for (const auto& source : inputs) node.inputs.push_back({source, graph.port_of(source)});
        node.outputs.push_back(Port{ElementType::f32, output_shape, {}, {}});
        return add(std::move(node));
    }

    Source transpose(const Source& x, const std::vector<std::int64_t>& perm, const std::string& name) {
        const Source order = constant(make_const_i64(name + "/order", {static_cast<std::int64_t>(perm.size())}, perm));
        const Shape& in = graph.port_of(x).shape;
        Shape out;
        for (auto axis : perm) out.push_back(in[static_cast<std::size_t>(axis)]);
        return op("Transpose", name, {x, order}, {}, out);
    }

    // Pad with constant begin/end (and a value input when `value` is given).
    Source pad(const Source& x, const std::vector<std::int64_t>& begin, const std::vector<std::int64_t>& end,
               std::optional<float> value, const std::string& name) {
        const auto rank = static_cast<std::int64_t>(begin.size());
        std::vector<Source> inputs{x, constant(make_const_i64(name + "/begin", {rank}, begin)),
                                   constant(make_const_i64(name + "/end", {rank}, end))};
        if (value) inputs.push_back(constant(make_const_f32(name + "/value", {}, {*value})));
        Shape shape = graph.port_of(x).shape;
        for (std::size_t i = 0; i < shape.size(); ++i) shape[i] += begin[i] + end[i];
        return op("Pad", name, inputs, {{"pad_mode", "constant"}}, shape);
    }

    void result(const Source& x, const std::string& name) {
        Node node;
        node.name = name;
        node.type = "Result";
        node.inputs.push_back({x, graph.port_of(x)});
        add(std::move(node));
    }

    Graph graph;

private:
    Source add(Node node) { return Source{graph.add_node(std::move(node)).id, 0}; }
};

std::vector<float> iota_f32(std::size_t count, float start) {
    std::vector<float> values(count);
    for (std::size_t i = 0; i < count; ++i) values[i] = start + static_cast<float>(i);
    return values;
}

std::size_t count_ops(const Graph& graph, const std::string& type) {
    std::size_t n = 0;
    for (const auto& node : graph.nodes()) n += node.type == type;
    return n;
}

const Node& only(const Graph& graph, const std::string& type) {
    const Node* found = nullptr;
    for (const auto& node : graph.nodes())
        if (node.type == type) {
            EXPECT_EQ(found, nullptr) << "more than one " << type;
            found = &node;
        }
    if (!found) throw std::runtime_error("no " + type + " node");
    return *found;
}

const Node& producer(const Graph& graph, const Node& node, std::size_t input) {
    return graph.at(node.inputs.at(input).source.node);
}

const Node& result_producer(const Graph& graph) {
    const auto results = graph.results();
    if (results.size() != 1) throw std::runtime_error("expected one Result");
    return producer(graph, *results[0], 0);
}

// The graph is well-formed and every input's stored port (type and shape) equals its producer's
// output port: passes that rewire nodes must not leave stale shapes behind.
void expect_consistent(const Graph& graph) {
    EXPECT_NO_THROW(graph.validate());
    for (const auto& node : graph.nodes())
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const Port& stored = node.inputs[i].port;
            const Port& actual = graph.port_of(node.inputs[i].source);
            EXPECT_EQ(stored.type, actual.type) << node.name << " input " << i;
            EXPECT_EQ(stored.shape, actual.shape) << node.name << " input " << i << ": stored " << shape_to_string(stored.shape)
                                                  << ", producer gives " << shape_to_string(actual.shape);
        }
}

std::vector<std::int64_t> transpose_order(const Graph& graph, const Node& transpose) {
    return const_as_i64(producer(graph, transpose, 1));
}

}  // namespace

// ---- sink_transposes --------------------------------------------------------------------------

TEST(SinkTransposes, InversePairCancelsToNothing) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 3, 4, 5});
    const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");
    const Source nchw = b.transpose(nhwc, {0, 3, 1, 2}, "to_nchw");
    b.result(nchw, "out");

    EXPECT_GT(sink_transposes(b.graph), 0u);
    EXPECT_EQ(count_ops(b.graph, "Transpose"), 0u);
    const Node& result = *b.graph.results().at(0);
    EXPECT_EQ(result.inputs[0].source, x);
    EXPECT_EQ(result.inputs[0].port.shape, (Shape{1, 3, 4, 5}));
    // The orders' constants went with their Transposes.
    EXPECT_EQ(b.graph.nodes().size(), 2u);
    expect_consistent(b.graph);
}

TEST(SinkTransposes, ConsecutiveTransposesMergeIntoTheComposedOrder) {
    GraphBuilder b;
    const Source x = b.parameter("x", {2, 3, 4, 5});
    const Source first = b.transpose(x, {1, 2, 3, 0}, "first");        // [3,4,5,2]
    const Source second = b.transpose(first, {2, 0, 3, 1}, "second");  // [5,3,2,4]
    b.result(second, "out");

    EXPECT_GT(sink_transposes(b.graph), 0u);
    ASSERT_EQ(count_ops(b.graph, "Transpose"), 1u);
    const Node& merged = only(b.graph, "Transpose");
    // merged[i] = first[second[i]]
    EXPECT_EQ(transpose_order(b.graph, merged), (std::vector<std::int64_t>{3, 1, 0, 2}));
    EXPECT_EQ(merged.inputs[0].source, x);
    EXPECT_EQ(merged.outputs[0].shape, (Shape{5, 3, 2, 4}));
    EXPECT_EQ(&result_producer(b.graph), &merged);
    expect_consistent(b.graph);
}

TEST(SinkTransposes, AddOfPerChannelConstantMovesBeforeTheTranspose) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 3, 2, 4});
    const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");  // [1,2,4,3]
    const Source bias = b.constant(make_const_f32("bias", {3}, {10.0f, 20.0f, 30.0f}));
    const Source sum = b.op("Add", "add", {nhwc, bias}, {{"auto_broadcast", "numpy"}}, {1, 2, 4, 3});
    b.result(sum, "out");

    EXPECT_GT(sink_transposes(b.graph), 0u);
    ASSERT_EQ(count_ops(b.graph, "Transpose"), 1u);
    const Node& add = only(b.graph, "Add");
    EXPECT_EQ(add.inputs[0].source, x);
    const Node& moved = producer(b.graph, add, 1);
    ASSERT_TRUE(moved.is("Const"));
    EXPECT_EQ(moved.outputs[0].shape, (Shape{1, 3, 1, 1}));
    EXPECT_EQ(const_as_f32(moved), (std::vector<float>{10.0f, 20.0f, 30.0f}));
    EXPECT_EQ(add.outputs[0].shape, (Shape{1, 3, 2, 4}));
    EXPECT_EQ(add.attrs.get_string("auto_broadcast"), "numpy");

    const Node& after = result_producer(b.graph);
    ASSERT_TRUE(after.is("Transpose"));
    EXPECT_EQ(after.inputs[0].source.node, add.id);
    EXPECT_EQ(transpose_order(b.graph, after), (std::vector<std::int64_t>{0, 2, 3, 1}));
    EXPECT_EQ(after.outputs[0].shape, (Shape{1, 2, 4, 3}));
    expect_consistent(b.graph);
}

TEST(SinkTransposes, FullConstantOperandIsTransposedElementByElement) {
    // NHWC constant c[h][w][c] = 100h + 10w + c must become c'[0][c][h][w] with the same value.
    constexpr std::int64_t kC = 3, kH = 2, kW = 4;
    std::vector<float> hwc;
    for (std::int64_t h = 0; h < kH; ++h)
        for (std::int64_t w = 0; w < kW; ++w)
            for (std::int64_t c = 0; c < kC; ++c) hwc.push_back(static_cast<float>(100 * h + 10 * w + c));

    GraphBuilder b;
    const Source x = b.parameter("x", {1, kC, kH, kW});
    const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");
    const Source scale = b.constant(make_const_f32("scale", {kH, kW, kC}, hwc));
    // Constant on the left: the pass must keep operand order.
    const Source product = b.op("Multiply", "mul", {scale, nhwc}, {{"auto_broadcast", "numpy"}}, {1, kH, kW, kC});
    b.result(product, "out");

    EXPECT_GT(sink_transposes(b.graph), 0u);
    const Node& mul = only(b.graph, "Multiply");
    EXPECT_EQ(mul.inputs[1].source, x);
    const Node& moved = producer(b.graph, mul, 0);
    ASSERT_TRUE(moved.is("Const"));
    ASSERT_EQ(moved.outputs[0].shape, (Shape{1, kC, kH, kW}));
    const auto values = const_as_f32(moved);
    for (std::int64_t c = 0; c < kC; ++c)
        for (std::int64_t h = 0; h < kH; ++h)
            for (std::int64_t w = 0; w < kW; ++w)
                EXPECT_EQ(values[static_cast<std::size_t>((c * kH + h) * kW + w)], static_cast<float>(100 * h + 10 * w + c))
                    << "c=" << c << " h=" << h << " w=" << w;
    EXPECT_EQ(mul.outputs[0].shape, (Shape{1, kC, kH, kW}));
    ASSERT_EQ(count_ops(b.graph, "Transpose"), 1u);
    EXPECT_EQ(result_producer(b.graph).outputs[0].shape, (Shape{1, kH, kW, kC}));
    expect_consistent(b.graph);
}

TEST(SinkTransposes, BinaryOfTwoEqualTransposesSinksBoth) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 3, 4, 5});
    const Source y = b.parameter("y", {1, 3, 4, 5});
    const Source tx = b.transpose(x, {0, 2, 3, 1}, "tx");
    const Source ty = b.transpose(y, {0, 2, 3, 1}, "ty");
    const Source sum = b.op("Add", "add", {tx, ty}, {{"auto_broadcast", "numpy"}}, {1, 4, 5, 3});
    b.result(b.transpose(sum, {0, 3, 1, 2}, "back"), "out");

    EXPECT_GT(sink_transposes(b.graph), 0u);
    EXPECT_EQ(count_ops(b.graph, "Transpose"), 0u);
    const Node& add = only(b.graph, "Add");
    EXPECT_EQ(add.inputs[0].source, x);
    EXPECT_EQ(add.inputs[1].source, y);
    EXPECT_EQ(add.outputs[0].shape, (Shape{1, 3, 4, 5}));
    EXPECT_EQ(&result_producer(b.graph), &add);
    expect_consistent(b.graph);
}

TEST(SinkTransposes, BinaryOfDifferentTransposesIsLeftAlone) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 4, 4, 4});
    const Source y = b.parameter("y", {1, 4, 4, 4});
    const Source tx = b.transpose(x, {0, 2, 3, 1}, "tx");
    const Source ty = b.transpose(y, {0, 3, 2, 1}, "ty");
    b.result(b.op("Add", "add", {tx, ty}, {{"auto_broadcast", "numpy"}}, {1, 4, 4, 4}), "out");

    EXPECT_EQ(sink_transposes(b.graph), 0u);
    EXPECT_EQ(count_ops(b.graph, "Transpose"), 2u);
    expect_consistent(b.graph);
}

TEST(SinkTransposes, ConcatOfEqualTransposesRemapsTheAxis) {
    for (const std::int64_t nhwc_axis : {3, -1}) {
        SCOPED_TRACE("axis " + std::to_string(nhwc_axis));
        GraphBuilder b;
        const Source x = b.parameter("x", {1, 3, 4, 5});
        const Source y = b.parameter("y", {1, 2, 4, 5});
        const Source tx = b.transpose(x, {0, 2, 3, 1}, "tx");  // [1,4,5,3]
        const Source ty = b.transpose(y, {0, 2, 3, 1}, "ty");  // [1,4,5,2]
        const Source cat = b.op("Concat", "cat", {tx, ty}, {{"axis", std::to_string(nhwc_axis)}}, {1, 4, 5, 5});
        b.result(cat, "out");

        EXPECT_GT(sink_transposes(b.graph), 0u);
        const Node& concat = only(b.graph, "Concat");
        EXPECT_EQ(concat.attrs.get_int("axis"), 1);  // NHWC channels are NCHW axis 1
        EXPECT_EQ(concat.inputs[0].source, x);
        EXPECT_EQ(concat.inputs[1].source, y);
        EXPECT_EQ(concat.outputs[0].shape, (Shape{1, 5, 4, 5}));
        ASSERT_EQ(count_ops(b.graph, "Transpose"), 1u);
        const Node& after = result_producer(b.graph);
        ASSERT_TRUE(after.is("Transpose"));
        EXPECT_EQ(transpose_order(b.graph, after), (std::vector<std::int64_t>{0, 2, 3, 1}));
        EXPECT_EQ(after.outputs[0].shape, (Shape{1, 4, 5, 5}));
        expect_consistent(b.graph);
    }
}

TEST(SinkTransposes, ConcatOfMixedTransposesIsLeftAlone) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 4, 4, 4});
    const Source y = b.parameter("y", {1, 4, 4, 4});
    const Source tx = b.transpose(x, {0, 2, 3, 1}, "tx");
    const Source ty = b.transpose(y, {0, 3, 1, 2}, "ty");
    b.result(b.op("Concat", "cat", {tx, ty}, {{"axis", "1"}}, {1, 8, 4, 4}), "out");

    EXPECT_EQ(sink_transposes(b.graph), 0u);
    EXPECT_EQ(only(b.graph, "Concat").attrs.get_int("axis"), 1);
    expect_consistent(b.graph);
}

TEST(SinkTransposes, SigmoidMovesAcrossATranspose) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 3, 4, 5});
    const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");
    b.result(b.op("Sigmoid", "sigmoid", {nhwc}, {}, {1, 4, 5, 3}), "out");

    EXPECT_GT(sink_transposes(b.graph), 0u);
    const Node& sigmoid = only(b.graph, "Sigmoid");
    EXPECT_EQ(sigmoid.inputs[0].source, x);
    EXPECT_EQ(sigmoid.outputs[0].shape, (Shape{1, 3, 4, 5}));
    const Node& after = result_producer(b.graph);
    ASSERT_TRUE(after.is("Transpose"));
    EXPECT_EQ(after.inputs[0].source.node, sigmoid.id);
    EXPECT_EQ(after.outputs[0].shape, (Shape{1, 4, 5, 3}));
    expect_consistent(b.graph);
}

TEST(SinkTransposes, NhwcIslandThroughSigmoidCancelsCompletely) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 3, 4, 5});
    const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");
    const Source sigmoid = b.op("Sigmoid", "sigmoid", {nhwc}, {}, {1, 4, 5, 3});
    const Source relu = b.op("Relu", "relu", {sigmoid}, {}, {1, 4, 5, 3});
    b.result(b.transpose(relu, {0, 3, 1, 2}, "to_nchw"), "out");

    EXPECT_GT(sink_transposes(b.graph), 0u);
    EXPECT_EQ(count_ops(b.graph, "Transpose"), 0u);
    const Node& relu_node = result_producer(b.graph);
    ASSERT_TRUE(relu_node.is("Relu"));
    EXPECT_EQ(relu_node.outputs[0].shape, (Shape{1, 3, 4, 5}));
    EXPECT_EQ(producer(b.graph, relu_node, 0).type, "Sigmoid");
    EXPECT_EQ(producer(b.graph, producer(b.graph, relu_node, 0), 0).type, "Parameter");
    expect_consistent(b.graph);
}

TEST(SinkTransposes, ScalarPReluMovesButPerChannelPReluDoesNot) {
    {
        GraphBuilder b;
        const Source x = b.parameter("x", {1, 3, 4, 5});
        const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");
        const Source slope = b.constant(make_const_f32("slope", {1}, {0.1f}));
        b.result(b.op("PRelu", "leaky", {nhwc, slope}, {}, {1, 4, 5, 3}), "out");
        EXPECT_GT(sink_transposes(b.graph), 0u);
        EXPECT_EQ(only(b.graph, "PRelu").inputs[0].source, x);
        EXPECT_TRUE(result_producer(b.graph).is("Transpose"));
        expect_consistent(b.graph);
    }
    {
        GraphBuilder b;
        const Source x = b.parameter("x", {1, 3, 4, 5});
        const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");
        const Source slope = b.constant(make_const_f32("slope", {3}, {0.1f, 0.2f, 0.3f}));
        b.result(b.op("PRelu", "prelu", {nhwc, slope}, {}, {1, 4, 5, 3}), "out");
        EXPECT_EQ(sink_transposes(b.graph), 0u);
        EXPECT_TRUE(result_producer(b.graph).is("PRelu"));
        expect_consistent(b.graph);
    }
}

TEST(SinkTransposes, PadMovesBeforeTheTransposeWithPermutedAmounts) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 3, 4, 5});
    const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");                        // [1,4,5,3]
    const Source padded = b.pad(nhwc, {0, 1, 2, 0}, {0, 3, 4, 0}, 0.0f, "pad");          // [1,8,11,3]
    b.result(padded, "out");

    EXPECT_GT(sink_transposes(b.graph), 0u);
    const Node& pad = only(b.graph, "Pad");
    EXPECT_EQ(pad.inputs[0].source, x);
    EXPECT_EQ(const_as_i64(producer(b.graph, pad, 1)), (std::vector<std::int64_t>{0, 0, 1, 2}));
    EXPECT_EQ(const_as_i64(producer(b.graph, pad, 2)), (std::vector<std::int64_t>{0, 0, 3, 4}));
    ASSERT_EQ(pad.inputs.size(), 4u);
    EXPECT_EQ(const_as_f32(producer(b.graph, pad, 3)), (std::vector<float>{0.0f}));
    EXPECT_EQ(pad.outputs[0].shape, (Shape{1, 3, 8, 11}));
    EXPECT_EQ(result_producer(b.graph).outputs[0].shape, (Shape{1, 8, 11, 3}));
    expect_consistent(b.graph);
}

// A file may carry any constant as a Transpose order: one that is not a permutation of the input's
// axes is left for the engine to reject, never used to index a shape.
TEST(SinkTransposes, OrderThatIsNotAPermutationOfTheInputsAxesIsLeftAlone) {
    for (const std::vector<std::int64_t>& order :
         {std::vector<std::int64_t>{10}, std::vector<std::int64_t>{0, 0, 1, 2}, std::vector<std::int64_t>{0, 2, 1},
          std::vector<std::int64_t>{0, 2, 3, -1}}) {
        GraphBuilder b;
        const Source x = b.parameter("x", {1, 3, 4, 5});
        const Source perm = b.constant(make_const_i64("bad/order", {static_cast<std::int64_t>(order.size())}, order));
        const Source t = b.op("Transpose", "bad", {x, perm}, {}, {1, 3, 4, 5});
        const Source s = b.op("Sigmoid", "s", {t}, {}, {1, 3, 4, 5});
        b.result(s, "out");
        EXPECT_EQ(sink_transposes(b.graph), 0u) << shape_to_string(order);
        EXPECT_EQ(count_ops(b.graph, "Transpose"), 1u);
    }
}

TEST(SinkTransposes, ReturnsZeroWhenThereIsNothingToDo) {
    {
        GraphBuilder b;  // no Transpose at all
        const Source x = b.parameter("x", {1, 3, 4, 5});
        b.result(b.op("Sigmoid", "sigmoid", {x}, {}, {1, 3, 4, 5}), "out");
        EXPECT_EQ(sink_transposes(b.graph), 0u);
        EXPECT_EQ(b.graph.nodes().size(), 3u);
    }
    {
        GraphBuilder b;  // a real Transpose at the output, which nothing follows
        const Source x = b.parameter("x", {1, 80, 10});
        b.result(b.transpose(x, {0, 2, 1}, "to_rows"), "out");
        EXPECT_EQ(sink_transposes(b.graph), 0u);
        EXPECT_EQ(count_ops(b.graph, "Transpose"), 1u);
    }
    {
        GraphBuilder b;  // a Transpose before an op it cannot cross
        const Source x = b.parameter("x", {1, 3, 4, 5});
        const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");
        const Source target = b.constant(make_const_i64("target", {3}, {1, 20, 3}));
        b.result(b.op("Reshape", "reshape", {nhwc, target}, {{"special_zero", "false"}}, {1, 20, 3}), "out");
        EXPECT_EQ(sink_transposes(b.graph), 0u);
        EXPECT_EQ(count_ops(b.graph, "Transpose"), 1u);
        expect_consistent(b.graph);
    }
}

// A Transpose with two readers is sunk into each; the original disappears.
TEST(SinkTransposes, TransposeWithTwoReadersSinksIntoBoth) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 3, 4, 5});
    const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");
    const Source s = b.op("Sigmoid", "sigmoid", {nhwc}, {}, {1, 4, 5, 3});
    const Source r = b.op("Relu", "relu", {nhwc}, {}, {1, 4, 5, 3});
    const Source cat = b.op("Concat", "cat", {s, r}, {{"axis", "3"}}, {1, 4, 5, 6});
    b.result(b.transpose(cat, {0, 3, 1, 2}, "to_nchw"), "out");

    EXPECT_GE(sink_transposes(b.graph), 3u);
    EXPECT_EQ(count_ops(b.graph, "Transpose"), 0u);
    EXPECT_EQ(only(b.graph, "Sigmoid").inputs[0].source, x);
    EXPECT_EQ(only(b.graph, "Relu").inputs[0].source, x);
    const Node& concat = only(b.graph, "Concat");
    EXPECT_EQ(concat.attrs.get_int("axis"), 1);
    EXPECT_EQ(concat.outputs[0].shape, (Shape{1, 6, 4, 5}));
    EXPECT_EQ(&result_producer(b.graph), &concat);
    expect_consistent(b.graph);
}

// The rewrites add nodes while holding pointers into the node list; run the constant-operand
// rewrite at every node-list size around a reallocation so a stale pointer cannot go unnoticed.
TEST(SinkTransposes, ConstantOperandRewriteSurvivesNodeListGrowth) {
    for (int extra = 0; extra < 40; ++extra) {
        SCOPED_TRACE("extra nodes " + std::to_string(extra));
        GraphBuilder b;
        Source x = b.parameter("x", {1, 3, 2, 2});
        for (int i = 0; i < extra; ++i) x = b.op("Relu", "relu" + std::to_string(i), {x}, {}, {1, 3, 2, 2});
        const Source nhwc = b.transpose(x, {0, 2, 3, 1}, "to_nhwc");
        const Source bias = b.constant(make_const_f32("bias", {3}, iota_f32(3, 1.0f)));
        b.result(b.op("Add", "add", {nhwc, bias}, {{"auto_broadcast", "numpy"}}, {1, 2, 2, 3}), "out");

        EXPECT_GT(sink_transposes(b.graph), 0u);
        const Node& add = only(b.graph, "Add");
        EXPECT_EQ(add.inputs[0].source, x);
        EXPECT_EQ(add.outputs[0].shape, (Shape{1, 3, 2, 2}));
        expect_consistent(b.graph);
    }
}

// ---- fuse_pads --------------------------------------------------------------------------------

namespace {

const Attrs kConvAttrs{{"strides", "1,1"}, {"dilations", "1,1"}, {"pads_begin", "1,0"}, {"pads_end", "0,1"}, {"auto_pad", "explicit"}};
const Attrs kPoolAttrs{{"strides", "2,2"},   {"pads_begin", "0,0"},       {"pads_end", "0,0"},
                       {"kernel", "3,3"},    {"rounding_type", "floor"}, {"auto_pad", "explicit"}};

// x [1,3,8,8] -> Pad(begin, end, value) -> `consumer` -> Result
struct PadGraph {
    Graph graph;
    Source x;
};

PadGraph pad_then(const std::string& consumer, const std::vector<std::int64_t>& begin, const std::vector<std::int64_t>& end,
                  std::optional<float> value, const Attrs& attrs = {}) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 3, 8, 8});
    const Source padded = b.pad(x, begin, end, value, "pad");
    const Shape& p = b.graph.port_of(padded).shape;
    Source y;
    if (consumer == "Convolution") {
        const Source w = b.constant(make_const_f32("w", {4, 3, 3, 3}, iota_f32(4 * 3 * 3 * 3, 0.0f)));
        y = b.op("Convolution", "conv", {padded, w}, attrs.empty() ? kConvAttrs : attrs, {1, 4, p[2] - 2 + 1, p[3] - 2 + 1});
    } else if (consumer == "GroupConvolution") {
        const Source w = b.constant(make_const_f32("w", {3, 1, 1, 3, 3}, iota_f32(3 * 3 * 3, 0.0f)));
        y = b.op("GroupConvolution", "dwconv", {padded, w}, attrs.empty() ? kConvAttrs : attrs, {1, 3, p[2] - 2 + 1, p[3] - 2 + 1});
    } else if (consumer == "MaxPool") {
        y = b.op("MaxPool", "pool", {padded}, attrs.empty() ? kPoolAttrs : attrs, {1, 3, (p[2] - 3) / 2 + 1, (p[3] - 3) / 2 + 1});
    } else {
        y = b.op(consumer, "other", {padded}, attrs, p);
    }
    b.result(y, "out");
    return {std::move(b.graph), x};
}

}  // namespace

TEST(FusePads, ZeroPadFoldsIntoConvolutionPads) {
    PadGraph g = pad_then("Convolution", {0, 0, 1, 2}, {0, 0, 3, 4}, 0.0f);
    const Shape conv_out = only(g.graph, "Convolution").outputs[0].shape;

    EXPECT_EQ(fuse_pads(g.graph), 1u);
    EXPECT_EQ(count_ops(g.graph, "Pad"), 0u);
    const Node& conv = only(g.graph, "Convolution");
    EXPECT_EQ(conv.inputs[0].source, g.x);
    EXPECT_EQ(conv.inputs[0].port.shape, (Shape{1, 3, 8, 8}));
    // Own pads 1,0 / 0,1 plus the Pad's 1,2 / 3,4.
    EXPECT_EQ(conv.attrs.get_ints("pads_begin"), (std::vector<std::int64_t>{2, 2}));
    EXPECT_EQ(conv.attrs.get_ints("pads_end"), (std::vector<std::int64_t>{3, 5}));
    EXPECT_EQ(conv.outputs[0].shape, conv_out);
    EXPECT_EQ(conv.attrs.get_string("auto_pad"), "explicit");
    expect_consistent(g.graph);
}

TEST(FusePads, PadWithoutValueInputFoldsIntoGroupConvolution) {
    PadGraph g = pad_then("GroupConvolution", {0, 0, 1, 1}, {0, 0, 1, 1}, std::nullopt);
    EXPECT_EQ(fuse_pads(g.graph), 1u);
    EXPECT_EQ(count_ops(g.graph, "Pad"), 0u);
    const Node& conv = only(g.graph, "GroupConvolution");
    EXPECT_EQ(conv.inputs[0].source, g.x);
    EXPECT_EQ(conv.attrs.get_ints("pads_begin"), (std::vector<std::int64_t>{2, 1}));
    EXPECT_EQ(conv.attrs.get_ints("pads_end"), (std::vector<std::int64_t>{1, 2}));
    expect_consistent(g.graph);
}

TEST(FusePads, NonZeroPadIsNotFusedIntoConvolution) {
    PadGraph g = pad_then("Convolution", {0, 0, 1, 1}, {0, 0, 1, 1}, 1.0f);
    EXPECT_EQ(fuse_pads(g.graph), 0u);
    EXPECT_EQ(count_ops(g.graph, "Pad"), 1u);
    const Node& conv = only(g.graph, "Convolution");
    EXPECT_TRUE(producer(g.graph, conv, 0).is("Pad"));
    EXPECT_EQ(conv.attrs.get_ints("pads_begin"), (std::vector<std::int64_t>{1, 0}));
    EXPECT_EQ(conv.attrs.get_ints("pads_end"), (std::vector<std::int64_t>{0, 1}));
    expect_consistent(g.graph);
}

TEST(FusePads, MinusInfinityPadFoldsIntoMaxPool) {
    for (const float value : {-std::numeric_limits<float>::infinity(), std::numeric_limits<float>::lowest()}) {
        SCOPED_TRACE(value);
        PadGraph g = pad_then("MaxPool", {0, 0, 1, 1}, {0, 0, 1, 1}, value);
        const Shape pool_out = only(g.graph, "MaxPool").outputs[0].shape;
        EXPECT_EQ(fuse_pads(g.graph), 1u);
        EXPECT_EQ(count_ops(g.graph, "Pad"), 0u);
        const Node& pool = only(g.graph, "MaxPool");
        EXPECT_EQ(pool.inputs[0].source, g.x);
        EXPECT_EQ(pool.attrs.get_ints("pads_begin"), (std::vector<std::int64_t>{1, 1}));
        EXPECT_EQ(pool.attrs.get_ints("pads_end"), (std::vector<std::int64_t>{1, 1}));
        EXPECT_EQ(pool.outputs[0].shape, pool_out);
        expect_consistent(g.graph);
    }
}

TEST(FusePads, ZeroPadIsNotFusedIntoMaxPool) {
    // Zeros would win the max over negative inputs; pooling's own padding never does.
    PadGraph g = pad_then("MaxPool", {0, 0, 1, 1}, {0, 0, 1, 1}, 0.0f);
    EXPECT_EQ(fuse_pads(g.graph), 0u);
    EXPECT_EQ(count_ops(g.graph, "Pad"), 1u);
    EXPECT_EQ(only(g.graph, "MaxPool").attrs.get_ints("pads_begin"), (std::vector<std::int64_t>{0, 0}));
    expect_consistent(g.graph);
}

TEST(FusePads, PadOnChannelOrBatchAxisIsNotFused) {
    for (const auto& [begin, end] : std::vector<std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>>>{
             {{0, 1, 0, 0}, {0, 0, 0, 0}}, {{0, 0, 0, 0}, {0, 1, 0, 0}}, {{1, 0, 1, 1}, {0, 0, 1, 1}}}) {
        SCOPED_TRACE("begin " + join_ints(begin) + " end " + join_ints(end));
        GraphBuilder b;
        const Source x = b.parameter("x", {1, 3, 8, 8});
        const Source padded = b.pad(x, begin, end, 0.0f, "pad");
        const Shape& p = b.graph.port_of(padded).shape;
        const Source w = b.constant(make_const_f32("w", {4, p[1], 3, 3}, iota_f32(static_cast<std::size_t>(4 * p[1] * 9), 0.0f)));
        b.result(b.op("Convolution", "conv", {padded, w}, kConvAttrs, {p[0], 4, p[2] - 1, p[3] - 1}), "out");

        EXPECT_EQ(fuse_pads(b.graph), 0u);
        EXPECT_EQ(count_ops(b.graph, "Pad"), 1u);
        EXPECT_EQ(only(b.graph, "Convolution").attrs.get_ints("pads_begin"), (std::vector<std::int64_t>{1, 0}));
        expect_consistent(b.graph);
    }
}

TEST(FusePads, NegativePadIsNotFused) {
    PadGraph g = pad_then("Convolution", {0, 0, -1, 0}, {0, 0, 0, 0}, 0.0f);
    EXPECT_EQ(fuse_pads(g.graph), 0u);
    EXPECT_EQ(count_ops(g.graph, "Pad"), 1u);
    expect_consistent(g.graph);
}

TEST(FusePads, ConvolutionWithAutoPadIsNotFused) {
    Attrs same = kConvAttrs;
    same.back() = {"auto_pad", "same_upper"};
    PadGraph g = pad_then("Convolution", {0, 0, 1, 1}, {0, 0, 1, 1}, 0.0f, same);
    EXPECT_EQ(fuse_pads(g.graph), 0u);
    EXPECT_EQ(count_ops(g.graph, "Pad"), 1u);
    expect_consistent(g.graph);
}

TEST(FusePads, PadBeforeOtherOpsStays) {
    PadGraph g = pad_then("Relu", {0, 0, 1, 1}, {0, 0, 1, 1}, 0.0f);
    EXPECT_EQ(fuse_pads(g.graph), 0u);
    EXPECT_EQ(count_ops(g.graph, "Pad"), 1u);
    expect_consistent(g.graph);
}

TEST(FusePads, PadReadByConvolutionAndAnotherOpStaysForTheOther) {
    GraphBuilder b;
    const Source x = b.parameter("x", {1, 3, 8, 8});
    const Source padded = b.pad(x, {0, 0, 1, 1}, {0, 0, 1, 1}, 0.0f, "pad");
    const Source w = b.constant(make_const_f32("w", {4, 3, 3, 3}, iota_f32(108, 0.0f)));
    b.result(b.op("Convolution", "conv", {padded, w}, kConvAttrs, {1, 4, 9, 9}), "conv_out");
    b.result(b.op("Relu", "relu", {padded}, {}, {1, 3, 10, 10}), "relu_out");

    EXPECT_EQ(fuse_pads(b.graph), 1u);
    EXPECT_EQ(only(b.graph, "Convolution").inputs[0].source, x);
    EXPECT_TRUE(producer(b.graph, only(b.graph, "Relu"), 0).is("Pad"));
    expect_consistent(b.graph);
}
