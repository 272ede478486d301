#include "detserve/graph/ir_writer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "detserve/graph/graph_summary.hpp"
#include "detserve/graph/ir_reader.hpp"

#include "../support/temp_dir.hpp"

namespace fs = std::filesystem;
using detserve::test::TempDir;
using detserve::test::write_file;
using namespace detserve::graph;

namespace {

Port port(ElementType type, Shape shape, std::string names = {}) { return Port{type, std::move(shape), std::move(names), {}}; }

Input input(std::int64_t node, int output, Port p) { return Input{Source{node, output}, std::move(p)}; }

Node op(std::int64_t id, std::string name, std::string type, std::vector<std::pair<std::string, std::string>> attrs,
        std::vector<Input> inputs, std::vector<Port> outputs) {
    Node node;
    node.id = id;
    node.name = std::move(name);
    node.type = std::move(type);
    for (auto& [key, value] : attrs) node.attrs.set(key, value);
    node.inputs = std::move(inputs);
    node.outputs = std::move(outputs);
    return node;
}

Node with_id(Node node, std::int64_t id) {
    node.id = id;
    return node;
}

std::vector<float> ramp(std::size_t count, float step) {
    std::vector<float> values(count);
    for (std::size_t i = 0; i < count; ++i) values[i] = static_cast<float>(i) * step - 0.5f;
    return values;
}

// Parameter -> Convolution (f32 weight) -> Add (f32 bias) -> Multiply (f16 Const -> Convert)
// -> Reshape (i64 Const) -> Result. Ids are sparse and nodes are added out of topological order,
// so the writer has to sort and keep ids.
Graph small_detector() {
    const auto f32 = ElementType::f32;
    Graph graph;
    graph.name = "small_detector";
    graph.add_node(op(90, "output0/sink_port_0", "Result", {}, {input(80, 0, port(f32, {1, 256}))}, {}));
    Node images = op(10, "images", "Parameter", {{"shape", "1,3,8,8"}, {"element_type", "f32"}}, {}, {port(f32, {1, 3, 8, 8}, "images")});
    images.outputs[0].layout = "[N,C,H,W]";
    images.rt_info.child_or_add("old_api_map_element_type").value = "f16";
    graph.add_node(std::move(images));
    graph.add_node(with_id(make_const_f32("conv.weight", {4, 3, 3, 3}, ramp(4 * 3 * 3 * 3, 0.01f)), 20));
    graph.add_node(op(30, "conv", "Convolution",
                      {{"strides", "1,1"}, {"dilations", "1,1"}, {"pads_begin", "1,1"}, {"pads_end", "1,1"}, {"auto_pad", "explicit"}},
                      {input(10, 0, port(f32, {1, 3, 8, 8})), input(20, 0, port(f32, {4, 3, 3, 3}))}, {port(f32, {1, 4, 8, 8}, "conv_out")}));
    graph.add_node(with_id(make_const_f32("conv.bias", {1, 4, 1, 1}, {0.25f, -0.5f, 1.0f, 3.0f}), 40));
    graph.add_node(op(50, "add", "Add", {{"auto_broadcast", "numpy"}},
                      {input(30, 0, port(f32, {1, 4, 8, 8})), input(40, 0, port(f32, {1, 4, 1, 1}))}, {port(f32, {1, 4, 8, 8}, "add_out")}));

    std::vector<std::uint8_t> half_bytes;
    for (float value : {0.5f, 2.0f, -1.5f, 65504.0f}) {
        const std::uint16_t bits = f32_to_f16(value);
        half_bytes.push_back(static_cast<std::uint8_t>(bits & 0xFF));
        half_bytes.push_back(static_cast<std::uint8_t>(bits >> 8));
    }
    graph.add_node(with_id(make_const("scale_compressed", ElementType::f16, {1, 4, 1, 1}, half_bytes), 55));
    Node scale = op(56, "scale", "Convert", {{"destination_type", "f32"}}, {input(55, 0, port(ElementType::f16, {1, 4, 1, 1}))},
                    {port(f32, {1, 4, 1, 1}, "scale")});
    scale.rt_info.child_or_add("decompression");  // an attribute without a value
    graph.add_node(std::move(scale));
    graph.add_node(op(60, "mul", "Multiply", {{"auto_broadcast", "numpy"}},
                      {input(50, 0, port(f32, {1, 4, 8, 8})), input(56, 0, port(f32, {1, 4, 1, 1}))}, {port(f32, {1, 4, 8, 8})}));
    graph.add_node(with_id(make_const_i64("target_shape", {2}, {1, 256}), 70));
    graph.add_node(op(80, "flatten", "Reshape", {{"special_zero", "false"}},
                      {input(60, 0, port(f32, {1, 4, 8, 8})), input(70, 0, port(ElementType::i64, {2}))}, {port(f32, {1, 256}, "output0")}));

    graph.rt_info.set("Runtime_version", "2024.4.0");
    graph.rt_info.set("model_info/model_type", "yolov5");
    graph.rt_info.set("model_info/labels", "person bicycle car");
    graph.rt_info.set("model_info/confidence_threshold", "0.25");
    // XML-special characters and a newline must survive escaping.
    graph.rt_info.set("framework/names", "{0: 'a&b', 1: \"<c>\"}\nsecond line");
    graph.rt_info.set("framework/stride", "32");
    return graph;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }


void expect_same_graph(const Graph& expected, const Graph& actual) {
    EXPECT_EQ(actual.name, expected.name);
    ASSERT_EQ(actual.nodes().size(), expected.nodes().size());
    for (const Node& want : expected.nodes()) {
        SCOPED_TRACE("node " + want.name);
        const Node* got = actual.find(want.id);
        ASSERT_NE(got, nullptr);
        EXPECT_EQ(got->name, want.name);
        EXPECT_EQ(got->type, want.type);
        EXPECT_EQ(got->version, want.version);
        // The writer adds/rewrites a Const's offset and size; everything else is as stored.
        Attributes got_attrs = got->attrs;
        Attributes want_attrs = want.attrs;
        if (want.is("Const")) {
            for (auto* attrs : {&got_attrs, &want_attrs}) {
                attrs->erase("offset");
                attrs->erase("size");
            }
        }
        EXPECT_EQ(got_attrs, want_attrs);
        EXPECT_EQ(got->inputs, want.inputs);
        EXPECT_EQ(got->outputs, want.outputs);
        EXPECT_EQ(got->rt_info, want.rt_info);
        ASSERT_EQ(static_cast<bool>(got->data), static_cast<bool>(want.data));
        if (want.data) {
            EXPECT_EQ(*got->data, *want.data);
        }
    }
    EXPECT_EQ(actual.rt_info, expected.rt_info);
}

}  // namespace

TEST(IrWriter, RoundTripKeepsNodesAttributesPortsBytesAndRtInfo) {
    const Graph graph = small_detector();
    const IrFiles files = serialize_ir(graph);
    const Graph back = read_ir_from_memory(files.xml, files.bin, "small_detector.xml");
    expect_same_graph(graph, back);
    EXPECT_EQ(back.rt_info.get("framework/names"), "{0: 'a&b', 1: \"<c>\"}\nsecond line");
}

TEST(IrWriter, WritesLayerAndPortRtInfoAsOpenVinoDoes) {
    const std::string xml = serialize_ir(small_detector()).xml;
    EXPECT_TRUE(contains(xml, R"(<attribute name="old_api_map_element_type" version="0" value="f16" />)")) << xml;
    EXPECT_TRUE(contains(xml, R"(<attribute name="decompression" version="0" />)")) << xml;
    EXPECT_TRUE(contains(xml, R"(<attribute name="layout" version="0" layout="[N,C,H,W]" />)")) << xml;
}

TEST(IrWriter, SecondSerializationIsByteIdentical) {
    const IrFiles first = serialize_ir(small_detector());
    const IrFiles second = serialize_ir(read_ir_from_memory(first.xml, first.bin, "first.xml"));
    EXPECT_EQ(second.xml, first.xml);
    EXPECT_EQ(second.bin, first.bin);
}

TEST(IrWriter, WritesIrV11Spelling) {
    const std::string xml = serialize_ir(small_detector()).xml;
    EXPECT_EQ(xml.rfind("<?xml version=\"1.0\"?>\n<net name=\"small_detector\" version=\"11\">", 0), 0u) << xml.substr(0, 80);
    // Convolution: inputs are ports 0 and 1, its output is port 2.
    EXPECT_TRUE(contains(xml, "<port id=\"2\" precision=\"FP32\" names=\"conv_out\">")) << xml;
    EXPECT_TRUE(contains(xml, "<port id=\"0\" precision=\"FP16\">"));
    EXPECT_TRUE(contains(xml, "<port id=\"1\" precision=\"I64\">"));
    EXPECT_TRUE(contains(xml, "<edge from-layer=\"30\" from-port=\"2\" to-layer=\"50\" to-port=\"0\" />"));
    EXPECT_TRUE(contains(xml, "<model_type value=\"yolov5\" />"));
    EXPECT_TRUE(contains(xml, "<data strides=\"1,1\" dilations=\"1,1\" pads_begin=\"1,1\" pads_end=\"1,1\" auto_pad=\"explicit\" />"));
    // Topological order: the Result, added first, is written last.
    EXPECT_LT(xml.find("name=\"images\""), xml.find("name=\"output0/sink_port_0\""));
    EXPECT_LT(xml.find("name=\"flatten\""), xml.find("name=\"output0/sink_port_0\""));
}

TEST(IrWriter, DynamicDimensionsAreWrittenAsMinusOne) {
    Graph graph;
    graph.add_node(op(0, "x", "Parameter", {{"shape", "?,3"}, {"element_type", "u8"}}, {}, {port(ElementType::u8, {-1, 3}, "x")}));
    graph.add_node(op(1, "y", "Result", {}, {input(0, 0, port(ElementType::u8, {-1, 3}))}, {}));
    const IrFiles files = serialize_ir(graph);
    EXPECT_TRUE(contains(files.xml, "<dim>-1</dim>")) << files.xml;
    EXPECT_TRUE(contains(files.xml, "precision=\"U8\""));
    EXPECT_FALSE(contains(files.xml, "<rt_info"));
    EXPECT_TRUE(files.bin.empty());
    EXPECT_EQ(read_ir_from_memory(files.xml, files.bin, "dyn.xml").at(0).outputs[0].shape, (Shape{-1, 3}));
}

TEST(IrWriter, ConstOffsetsPointIntoTheNewBin) {
    const IrFiles original = serialize_ir(small_detector());
    Graph graph = read_ir_from_memory(original.xml, original.bin, "a.xml");
    // Stale offsets from an earlier file must not survive a change of a constant's bytes.
    Node& weight = graph.at(20);
    weight.data = std::make_shared<const std::vector<std::uint8_t>>(std::vector<std::uint8_t>(4 * 3 * 3 * 3 * 4, 0x11));
    graph.at(40).attrs.set("offset", "999999");

    const IrFiles files = serialize_ir(graph);
    const Graph back = read_ir_from_memory(files.xml, files.bin, "b.xml");
    std::size_t expected_offset = 0;
    std::size_t consts = 0;
    for (auto id : back.topological_order()) {
        const Node& node = back.at(id);
        if (!node.is("Const")) continue;
        ++consts;
        EXPECT_EQ(node.attrs.get_int("offset"), static_cast<std::int64_t>(expected_offset)) << node.name;
        EXPECT_EQ(node.attrs.get_int("size"), static_cast<std::int64_t>(node.data->size())) << node.name;
        EXPECT_EQ(*node.data, *graph.at(id).data) << node.name;
        expected_offset += node.data->size();
    }
    EXPECT_EQ(consts, 4u);
    EXPECT_EQ(expected_offset, files.bin.size());
}

TEST(IrWriter, WriteIrCreatesDirectoriesAndReadsBack) {
    const TempDir root;  // write_ir must create nested/dir under it
    const fs::path xml_path = root.path() / "nested" / "dir" / "model.xml";
    const Graph graph = small_detector();
    write_ir(graph, xml_path);
    EXPECT_TRUE(fs::exists(root.path() / "nested" / "dir" / "model.bin"));
    const Graph back = read_ir(xml_path);
    expect_same_graph(graph, back);
    const IrFiles written = serialize_ir(graph);
    EXPECT_EQ(serialize_ir(back).xml, written.xml);
}

TEST(IrWriter, RejectsGraphsItCannotWrite) {
    Graph bad_key = small_detector();
    bad_key.rt_info.set("model info", "x");
    EXPECT_THROW(serialize_ir(bad_key), ModelError);

    Graph no_data = small_detector();
    no_data.at(20).data.reset();
    try {
        serialize_ir(no_data);
        ADD_FAILURE() << "expected a ModelError";
    } catch (const ModelError& error) {
        EXPECT_TRUE(contains(error.what(), "conv.weight")) << error.what();
    }

    Graph cycle = small_detector();
    cycle.at(30).inputs[0].source = Source{60, 0};
    EXPECT_THROW(serialize_ir(cycle), ModelError);
}

TEST(GraphSummary, CountsOpsAndDescribesTheModel) {
    const Graph graph = small_detector();
    const std::map<std::string, int> expected{{"Add", 1},      {"Const", 4},   {"Convert", 1}, {"Convolution", 1}, {"Multiply", 1},
                                              {"Parameter", 1}, {"Reshape", 1}, {"Result", 1}};
    EXPECT_EQ(op_counts(graph), expected);

    const std::string text = describe_graph(graph);
    EXPECT_TRUE(contains(text, "inputs: images f32 [1,3,8,8]\n")) << text;
    EXPECT_TRUE(contains(text, "outputs: output0 f32 [1,256]\n")) << text;
    EXPECT_TRUE(contains(text, "ops: Const×4 Add×1")) << text;
    EXPECT_TRUE(contains(text, "model_info: model_type=yolov5 labels=person bicycle car confidence_threshold=0.25\n")) << text;
}
