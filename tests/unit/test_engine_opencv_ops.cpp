// The ops an OpenVINO-converted YOLOv5 needs beyond a TFJS NanoDet, each through the OpenCV engine
// against a reference computed here: Swish, Power, Multiply/Add with a scalar or a full-shape
// constant (YOLOv5's grid and anchor terms, on 5-D tensors), f16 weights behind a Convert, and an
// Interpolate whose sizes come from ShapeOf -> Slice -> Concat.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "detserve/engine/engine.hpp"
#include "detserve/engine/opencv_engine.hpp"
#include "detserve/graph/graph.hpp"

using namespace detserve;
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
              const Shape& shape_out, ElementType type_out = ElementType::f32) {
        Node node;
        node.name = name;
        node.type = type;
        for (const auto& [key, value] : attrs) node.attrs.set(key, value);
        for (const auto& source : inputs) node.inputs.push_back({source, graph.port_of(source)});
        node.outputs.push_back(Port{type_out, shape_out, name, {}});
        return add(std::move(node));
    }
    void result(const Source& source) {
        Node node;
        node.name = "output/sink_port_0";
        node.type = "Result";
        node.inputs.push_back({source, graph.port_of(source)});
        add(std::move(node));
    }
    // A constant stored as f16 behind a Convert, as OpenVINO's converter compresses weights.
    Source compressed(const std::string& name, const Shape& shape, const std::vector<float>& values) {
        std::vector<std::uint8_t> bytes;
        for (float v : values) {
            const std::uint16_t bits = f32_to_f16(v);
            bytes.push_back(static_cast<std::uint8_t>(bits & 0xFF));
            bytes.push_back(static_cast<std::uint8_t>(bits >> 8));
        }
        const Source half = constant(make_const(name + "_compressed", ElementType::f16, shape, bytes));
        return op("Convert", name, {half}, {{"destination_type", "f32"}}, shape);
    }

    Graph graph;

private:
    Source add(Node node) { return Source{graph.add_node(std::move(node)).id, 0}; }
};

Tensor ramp(const std::vector<std::int64_t>& shape, float step, float offset) {
    Tensor t{shape, {}};
    t.data.resize(t.elements());
    for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(i) * step + offset;
    return t;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

std::string error_of(const Graph& graph) {
    try {
        engine::compile_opencv(graph, {});
    } catch (const engine::EngineError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(EngineOpenCvOps, YoloHeadArithmeticOnFiveDimensionalTensors) {
    // y = swish((2·x + grid)^2) · anchor with x [1,3,2,2,2]: the constant operands come scalar and
    // full-shape, first and second, f16-compressed and plain.
    const Shape shape{1, 3, 2, 2, 2};
    Builder b;
    const Source images = b.parameter({1, 3, 2, 4});  // engines take NCHW; the head reshapes to 5-D
    const Source target = b.constant(make_const_i64("target", {5}, shape));
    const Source x = b.op("Reshape", "reshape", {images, target}, {{"special_zero", "true"}}, shape);
    const Source two = b.compressed("two", {1, 1, 1, 1, 1}, {2.0f});
    const Source doubled = b.op("Multiply", "mul", {x, two}, {{"auto_broadcast", "numpy"}}, shape);
    std::vector<float> grid(24), anchor(24);
    for (std::size_t i = 0; i < 24; ++i) {
        grid[i] = static_cast<float>(i % 5) - 2.0f;
        anchor[i] = 0.5f + static_cast<float>(i % 3);
    }
    const Source grid_c = b.constant(make_const_f32("grid", shape, grid));
    const Source shifted = b.op("Add", "add", {grid_c, doubled}, {{"auto_broadcast", "numpy"}}, shape);
    const Source exponent = b.compressed("exponent", {1, 1, 1, 1, 1}, {2.0f});
    const Source squared = b.op("Power", "pow", {shifted, exponent}, {{"auto_broadcast", "numpy"}}, shape);
    const Source swish = b.op("Swish", "swish", {squared}, {}, shape);
    const Source anchor_c = b.compressed("anchor", shape, anchor);
    const Source scaled = b.op("Multiply", "anchor_mul", {swish, anchor_c}, {{"auto_broadcast", "numpy"}}, shape);
    const Source plus = b.constant(make_const_f32("bias", {1}, {0.25f}));
    const Source out = b.op("Add", "plus", {scaled, plus}, {{"auto_broadcast", "numpy"}}, shape);
    b.result(out);

    const auto model = engine::compile_opencv(b.graph, {});
    const Tensor input = ramp({1, 3, 2, 4}, 0.05f, -0.6f);
    const auto got = model->infer(input);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].second.shape, shape);
    for (std::size_t i = 0; i < 24; ++i) {
        const float p = std::pow(2.0f * input.data[i] + grid[i], 2.0f);
        EXPECT_NEAR(got[0].second.data[i], p * sigmoid(p) * anchor[i] + 0.25f, 1e-4f) << "element " << i;
    }
}

TEST(EngineOpenCvOps, InterpolateSizesFromShapeArithmetic) {
    Builder b;
    const Source x = b.parameter({1, 2, 2, 2});
    const Source shape = b.op("ShapeOf", "shape", {x}, {{"output_type", "i64"}}, {4}, ElementType::i64);
    auto i64 = [&](const std::string& name, std::int64_t v) { return b.constant(make_const_i64(name, {1}, {v})); };
    const Source head = b.op("Slice", "slice", {shape, i64("start", 0), i64("stop", 2), i64("step", 1), i64("axes", 0)}, {},
                             {2}, ElementType::i64);
    const Source size = b.constant(make_const_i64("size", {2}, {4, 4}));
    const Source sizes = b.op("Concat", "sizes", {head, size}, {{"axis", "0"}}, {4}, ElementType::i64);
    const Source up = b.op("Interpolate", "resize", {x, sizes},
                           {{"mode", "nearest"}, {"shape_calculation_mode", "sizes"},
                            {"coordinate_transformation_mode", "asymmetric"}, {"nearest_mode", "floor"}},
                           {1, 2, 4, 4});
    b.result(up);

    const auto model = engine::compile_opencv(b.graph, {});
    const Tensor input = ramp({1, 2, 2, 2}, 1.0f, 0.0f);  // channel 0: [[0,1],[2,3]]
    const auto got = model->infer(input);
    ASSERT_EQ(got[0].second.shape, (std::vector<std::int64_t>{1, 2, 4, 4}));
    // Nearest, asymmetric, floor: output (y, x) reads input (y / 2, x / 2).
    for (int c = 0; c < 2; ++c)
        for (int y = 0; y < 4; ++y)
            for (int xx = 0; xx < 4; ++xx)
                EXPECT_EQ(got[0].second.data[static_cast<std::size_t>((c * 4 + y) * 4 + xx)],
                          input.data[static_cast<std::size_t>((c * 2 + y / 2) * 2 + xx / 2)]);
}

TEST(EngineOpenCvOps, UnsupportedFormsNameTheLayer) {
    {
        Builder b;
        const Source x = b.parameter({1, 4});
        const Source beta = b.constant(make_const_f32("beta", {}, {0.5f}));
        b.result(b.op("Swish", "swish_half", {x, beta}, {}, {1, 4}));
        const auto message = error_of(b.graph);
        EXPECT_NE(message.find("'swish_half'"), std::string::npos) << message;
        EXPECT_NE(message.find("beta"), std::string::npos) << message;
    }
    {
        Builder b;
        const Source x = b.parameter({1, 3});
        const Source exponent = b.constant(make_const_f32("exponent", {3}, {1, 2, 3}));
        b.result(b.op("Power", "pow3", {x, exponent}, {}, {1, 3}));
        EXPECT_NE(error_of(b.graph).find("'pow3'"), std::string::npos);
    }
    {
        Builder b;  // a per-channel constant needs broadcasting that OpenCV 4.6's Eltwise lacks
        const Source x = b.parameter({1, 3, 2, 2});
        const Source scale = b.constant(make_const_f32("scale", {1, 3, 1, 1}, {1, 2, 3}));
        b.result(b.op("Multiply", "channel_scale", {x, scale}, {}, {1, 3, 2, 2}));
        const auto message = error_of(b.graph);
        EXPECT_NE(message.find("'channel_scale'"), std::string::npos) << message;
        EXPECT_NE(message.find("broadcasting"), std::string::npos) << message;
    }
}

// vehicle-license-plate-detection-barrier-0106 takes NHWC (its first op a Transpose to NCHW): the
// engine is fed NCHW like every model, and puts the Permute back in front.
TEST(EngineOpenCvOps, AnNhwcInputIsFedNchw) {
    Builder b;
    Node placeholder;
    placeholder.name = "Placeholder";
    placeholder.type = "Parameter";
    placeholder.outputs.push_back(Port{ElementType::f32, {1, 2, 4, 3}, "Placeholder", {}});
    placeholder.rt_info.child_or_add("old_api_map_order").value = "0, 2, 3, 1";
    const Source nhwc = b.constant(std::move(placeholder));
    const Source order = b.constant(make_const_i64("order", {4}, {0, 3, 1, 2}));
    b.result(b.op("Transpose", "to_nchw", {nhwc, order}, {}, {1, 3, 2, 4}));

    const auto compiled = engine::compile_opencv(b.graph, {});
    EXPECT_EQ(compiled->input().shape, (std::vector<std::int64_t>{1, 3, 2, 4}));
    const Tensor input = ramp({1, 3, 2, 4}, 0.5f, -3.0f);
    const auto out = compiled->infer(input);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].second.shape, input.shape);
    EXPECT_EQ(out[0].second.data, input.data) << "NCHW in, Permute to NHWC, the model's Transpose back";
}

// yolov8n-int8-u8-nhwc: a u8 input with the /255 inside the graph. The OpenCV engine feeds f32
// only, and says so at load; an f16 input (IR v10) it feeds f32.
TEST(EngineOpenCvOps, AnIntegerInputIsRefusedAtLoadAnF16OneFedF32) {
    for (const auto type : {ElementType::u8, ElementType::f16}) {
        Builder b;
        Node images;
        images.name = "images";
        images.type = "Parameter";
        images.outputs.push_back(Port{type, {1, 3, 2, 2}, "images", {}});
        const Source input = b.constant(std::move(images));
        b.result(b.op("Relu", "relu", {input}, {}, {1, 3, 2, 2}, type));
        const std::string message = error_of(b.graph);
        if (type == ElementType::u8) {
            EXPECT_NE(message.find("input 'images' is u8 [1,3,2,2]"), std::string::npos) << message;
            EXPECT_NE(message.find("f32 only"), std::string::npos) << message;
        } else {
            EXPECT_EQ(message, "no error");
        }
    }
}

// OpenVINO reads IR op types case-insensitively (Model Optimizer writes "ReLU", "PReLU"); so do we.
TEST(EngineOpenCvOps, OpTypesMatchCaseInsensitivelyAsOpenVinoReadsThem) {
    Builder b;
    const Source images = b.parameter({1, 3, 2, 2});
    b.result(b.op("ReLU", "relu", {images}, {}, {1, 3, 2, 2}));
    const auto compiled = engine::compile_opencv(b.graph, {});
    const auto out = compiled->infer(ramp({1, 3, 2, 2}, 1.0f, -6.0f));
    EXPECT_EQ(out.at(0).second.data[0], 0.0f);
    EXPECT_EQ(out.at(0).second.data[11], 5.0f);
}
