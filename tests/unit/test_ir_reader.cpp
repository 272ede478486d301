#include "detserve/graph/ir_reader.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"

namespace fs = std::filesystem;
using detserve::test::TempDir;
using detserve::test::write_file;
using namespace detserve::graph;

namespace {

// Parameter + Const -> Add -> Result. The Const's 16 bytes sit at offset 8 of the .bin so that
// offsets are really honoured.
const std::string kTinyIr = R"(<?xml version="1.0"?>
<net name="tiny" version="11">
	<layers>
		<layer id="0" name="input" type="Parameter" version="opset1">
			<data shape="1,4" element_type="f32" />
			<output>
				<port id="0" precision="FP32" names="input"><dim>1</dim><dim>4</dim></port>
			</output>
		</layer>
		<layer id="1" name="bias" type="Const" version="opset1">
			<data element_type="f32" shape="1, 4" offset="8" size="16" />
			<output>
				<port id="0" precision="FP32"><dim>1</dim><dim>4</dim></port>
			</output>
		</layer>
		<layer id="2" name="add" type="Add" version="opset1">
			<data auto_broadcast="numpy" />
			<input>
				<port id="0" precision="FP32"><dim>1</dim><dim>4</dim></port>
				<port id="1" precision="FP32"><dim>1</dim><dim>4</dim></port>
			</input>
			<output>
				<port id="2" precision="FP32" names="sum,sum_alias"><dim>1</dim><dim>4</dim></port>
			</output>
		</layer>
		<layer id="3" name="sum/sink_port_0" type="Result" version="opset1">
			<input>
				<port id="0" precision="FP32"><dim>1</dim><dim>4</dim></port>
			</input>
		</layer>
	</layers>
	<edges>
		<edge from-layer="0" from-port="0" to-layer="2" to-port="0" />
		<edge from-layer="1" from-port="0" to-layer="2" to-port="1" />
		<edge from-layer="2" from-port="2" to-layer="3" to-port="0" />
	</edges>
	<rt_info>
		<Runtime_version value="2024.4.0" />
		<model_info>
			<model_type value="yolov5" />
			<labels value="person bicycle car" />
		</model_info>
	</rt_info>
</net>
)";

const std::vector<float> kBias{0.5f, -1.0f, 2.25f, 1e-3f};

std::vector<std::uint8_t> tiny_bin() {
    std::vector<std::uint8_t> bin(8, 0xEE);
    bin.resize(8 + sizeof(float) * kBias.size());
    std::memcpy(bin.data() + 8, kBias.data(), sizeof(float) * kBias.size());
    return bin;
}

// kTinyIr with one piece of text replaced; fails the test if the piece is not there, so that a
// malformed-input case cannot silently test the valid model.
std::string tiny_with(const std::string& from, const std::string& to) {
    std::string xml = kTinyIr;
    const auto at = xml.find(from);
    EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in kTinyIr";
    if (at != std::string::npos) xml.replace(at, from.size(), to);
    return xml;
}

template <typename F>
std::string model_error(F&& read) {
    try {
        read();
    } catch (const ModelError& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected a ModelError";
    return {};
}

std::string memory_error(const std::string& xml, const std::vector<std::uint8_t>& bin = tiny_bin()) {
    return model_error([&] { read_ir_from_memory(xml, bin, "tiny.xml"); });
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }




}  // namespace

TEST(IrReader, ReadsLayersPortsEdgesAndConstBytes) {
    const auto bin = tiny_bin();
    const Graph graph = read_ir_from_memory(kTinyIr, bin, "tiny.xml");
    EXPECT_EQ(graph.name, "tiny");
    ASSERT_EQ(graph.nodes().size(), 4u);

    const Node* input = graph.find_by_name("input");
    ASSERT_NE(input, nullptr);
    EXPECT_EQ(input->type, "Parameter");
    EXPECT_EQ(input->version, "opset1");
    ASSERT_EQ(input->outputs.size(), 1u);
    EXPECT_EQ(input->outputs[0], (Port{ElementType::f32, {1, 4}, "input", {}}));

    const Node& bias = graph.at(1);
    ASSERT_TRUE(bias.data);
    EXPECT_EQ(const_as_f32(bias), kBias);
    // Every <data> attribute is kept as read, offset and size included.
    const std::vector<std::pair<std::string, std::string>> bias_attrs{
        {"element_type", "f32"}, {"shape", "1, 4"}, {"offset", "8"}, {"size", "16"}};
    EXPECT_EQ(bias.attrs.items(), bias_attrs);

    const Node& add = graph.at(2);
    ASSERT_EQ(add.inputs.size(), 2u);
    EXPECT_EQ(add.inputs[0].source, (Source{0, 0}));
    EXPECT_EQ(add.inputs[1].source, (Source{1, 0}));
    EXPECT_EQ(add.inputs[1].port, (Port{ElementType::f32, {1, 4}, "", {}}));
    EXPECT_EQ(add.attrs.get_string("auto_broadcast"), "numpy");
    ASSERT_EQ(add.outputs.size(), 1u);
    EXPECT_EQ(add.outputs[0].names, "sum,sum_alias");

    const Node& result = graph.at(3);
    ASSERT_EQ(result.inputs.size(), 1u);
    EXPECT_EQ(result.inputs[0].source, (Source{2, 0}));  // output port id 2 is output index 0
    EXPECT_TRUE(result.outputs.empty());

    EXPECT_EQ(graph.rt_info.get("Runtime_version"), "2024.4.0");
    EXPECT_EQ(graph.rt_info.get("model_info/model_type"), "yolov5");
    EXPECT_EQ(graph.rt_info.get("model_info/labels"), "person bicycle car");
    ASSERT_EQ(graph.rt_info.children.size(), 2u);
    EXPECT_EQ(graph.rt_info.children[0].key, "Runtime_version");  // order kept
}

TEST(IrReader, MapsPortIdsToIndicesInDeclarationOrder) {
    // Port ids need not be 0..n-1 nor sorted; the index is the position among <input>/<output>.
    const std::string xml = R"(<net name="split" version="10"><layers>
		<layer id="7" name="x" type="Parameter" version="opset1">
			<data shape="?,6" element_type="f32" />
			<output><port id="0" precision="FP32"><dim>?</dim><dim>6</dim></port></output>
		</layer>
		<layer id="3" name="axis" type="Parameter" version="opset1">
			<output><port id="0" precision="I64" /></output>
		</layer>
		<layer id="5" name="split" type="Split" version="opset1">
			<data num_splits="2" />
			<input>
				<port id="9" precision="FP32"><dim>-1</dim><dim>6</dim></port>
				<port id="4" precision="I64" />
			</input>
			<output>
				<port id="1" precision="FP32"><dim>1..10</dim><dim>3</dim></port>
				<port id="0" precision="FP32" names="second"><dim>-1</dim><dim>3</dim></port>
			</output>
		</layer>
		<layer id="11" name="r" type="Result" version="opset1">
			<input><port id="0" precision="FP32"><dim>-1</dim><dim>3</dim></port></input>
		</layer>
	</layers><edges>
		<edge from-layer="5" from-port="0" to-layer="11" to-port="0" />
		<edge from-layer="3" from-port="0" to-layer="5" to-port="4" />
		<edge from-layer="7" from-port="0" to-layer="5" to-port="9" />
	</edges></net>)";
    const Graph graph = read_ir_from_memory(xml, {}, "split.xml");
    const Node& split = graph.at(5);
    ASSERT_EQ(split.inputs.size(), 2u);
    EXPECT_EQ(split.inputs[0].source, (Source{7, 0}));
    EXPECT_EQ(split.inputs[1].source, (Source{3, 0}));
    EXPECT_EQ(split.inputs[1].port.type, ElementType::i64);
    EXPECT_TRUE(split.inputs[1].port.shape.empty());
    ASSERT_EQ(split.outputs.size(), 2u);
    EXPECT_EQ(split.outputs[0].shape, (Shape{-1, 3}));  // "1..10" is dynamic
    EXPECT_EQ(split.outputs[1].names, "second");
    EXPECT_EQ(graph.at(11).inputs[0].source, (Source{5, 1}));  // port id 0 is the SECOND output
    EXPECT_EQ(graph.at(7).outputs[0].shape, (Shape{-1, 6}));  // "?"
}

TEST(IrReader, ReadsEveryPortPrecision) {
    const std::vector<std::pair<std::string, ElementType>> cases{
        {"FP32", ElementType::f32}, {"FP16", ElementType::f16}, {"BF16", ElementType::bf16},
        {"I64", ElementType::i64},  {"I32", ElementType::i32},  {"I8", ElementType::i8},
        {"U8", ElementType::u8},    {"BOOL", ElementType::boolean}, {"boolean", ElementType::boolean},
        {"f16", ElementType::f16},  {"U32", ElementType::u32},  {"U64", ElementType::u64},
        {"U16", ElementType::u16},  {"I16", ElementType::i16},  {"u32", ElementType::u32},
    };
    for (const auto& [precision, type] : cases) {
        const std::string xml = R"(<net name="p" version="11"><layers>
			<layer id="0" name="x" type="Parameter" version="opset1">
				<output><port id="0" precision=")" + precision + R"("><dim>2</dim></port></output>
			</layer></layers><edges /></net>)";
        const Graph graph = read_ir_from_memory(xml, {}, "p.xml");
        EXPECT_EQ(graph.at(0).outputs[0].type, type) << precision;
    }
    EXPECT_EQ(ir_precision_name(ElementType::boolean), "BOOL");
    EXPECT_EQ(ir_precision_name(ElementType::bf16), "BF16");
}

TEST(IrReader, ReadsScalarAndSmallIntegerConsts) {
    const std::string xml = R"(<net name="c" version="11"><layers>
		<layer id="0" name="scalar" type="Const" version="opset1">
			<data element_type="i64" shape="" offset="0" size="8" />
			<output><port id="0" precision="I64" /></output>
		</layer>
		<layer id="1" name="flags" type="Const" version="opset1">
			<data element_type="boolean" shape="3" offset="8" size="3" />
			<output><port id="0" precision="BOOL"><dim>3</dim></port></output>
		</layer>
		<layer id="2" name="bytes" type="Const" version="opset1">
			<data element_type="i8" shape="2" offset="11" size="2" />
			<output><port id="0" precision="I8"><dim>2</dim></port></output>
		</layer>
	</layers><edges /></net>)";
    std::vector<std::uint8_t> bin(13, 0);
    const std::int64_t scalar = -42;
    std::memcpy(bin.data(), &scalar, sizeof scalar);
    bin[8] = 1;
    bin[10] = 1;
    bin[11] = 0xFF;  // -1 as i8
    bin[12] = 0x7F;
    const Graph graph = read_ir_from_memory(xml, bin, "c.xml");
    EXPECT_EQ(const_as_i64(graph.at(0)), (std::vector<std::int64_t>{-42}));
    EXPECT_EQ(const_as_i64(graph.at(1)), (std::vector<std::int64_t>{1, 0, 1}));
    EXPECT_EQ(const_as_i64(graph.at(2)), (std::vector<std::int64_t>{-1, 127}));
}

// ---- malformed input: every message names the file, and the layer where there is one ----------

TEST(IrReaderErrors, NotXml) {
    const auto message = memory_error("this is <not xml");
    EXPECT_TRUE(contains(message, "tiny.xml")) << message;
    EXPECT_TRUE(contains(message, "not an OpenVINO IR file")) << message;
    EXPECT_TRUE(contains(memory_error(""), "tiny.xml"));
}

TEST(IrReaderErrors, TruncatedFileSaysSo) {
    const auto message = memory_error(kTinyIr.substr(0, kTinyIr.size() / 2));
    EXPECT_TRUE(contains(message, "tiny.xml")) << message;
    EXPECT_TRUE(contains(message, "not an OpenVINO IR file")) << message;
    EXPECT_TRUE(contains(message, "truncated")) << message;
}

TEST(IrReaderErrors, XmlThatIsNotAnIr) {
    const auto wrong_root = memory_error("<html><body /></html>");
    EXPECT_TRUE(contains(wrong_root, "tiny.xml")) << wrong_root;
    EXPECT_TRUE(contains(wrong_root, "<html>")) << wrong_root;
    const auto no_layers = memory_error(R"(<net name="x" version="11"><edges /></net>)");
    EXPECT_TRUE(contains(no_layers, "tiny.xml")) << no_layers;
    EXPECT_TRUE(contains(no_layers, "<layers>")) << no_layers;
}

TEST(IrReaderErrors, UnsupportedVersion) {
    for (const std::string version : {"7", "12", ""}) {
        const auto message = memory_error(tiny_with(R"(version="11")", "version=\"" + version + "\""));
        EXPECT_TRUE(contains(message, "tiny.xml")) << message;
        EXPECT_TRUE(contains(message, "unsupported IR version '" + version + "'")) << message;
        EXPECT_TRUE(contains(message, "reads IR v10 and v11 only")) << message;
    }
}

TEST(IrReaderErrors, DuplicateLayerId) {
    const auto message = memory_error(tiny_with(R"(id="3" name="sum/sink_port_0")", R"(id="1" name="sum/sink_port_0")"));
    EXPECT_TRUE(contains(message, "tiny.xml")) << message;
    EXPECT_TRUE(contains(message, "'sum/sink_port_0' (id 1)")) << message;
    EXPECT_TRUE(contains(message, "duplicate layer id")) << message;
}

TEST(IrReaderErrors, EdgeToMissingLayer) {
    const auto message = memory_error(tiny_with(R"(to-layer="3")", R"(to-layer="9")"));
    EXPECT_TRUE(contains(message, "tiny.xml")) << message;
    EXPECT_TRUE(contains(message, "no layer with id 9")) << message;
}

TEST(IrReaderErrors, EdgeFromMissingOutputPort) {
    const auto message = memory_error(tiny_with(R"(from-port="2" to-layer="3")", R"(from-port="5" to-layer="3")"));
    EXPECT_TRUE(contains(message, "tiny.xml")) << message;
    EXPECT_TRUE(contains(message, "layer 'add' (id 2) has no output port 5")) << message;
}

TEST(IrReaderErrors, EdgeToMissingInputPort) {
    const auto message = memory_error(tiny_with(R"(to-layer="2" to-port="1")", R"(to-layer="2" to-port="4")"));
    EXPECT_TRUE(contains(message, "tiny.xml")) << message;
    EXPECT_TRUE(contains(message, "layer 'add' (id 2) has no input port 4")) << message;
}

TEST(IrReaderErrors, InputPortWithoutEdge) {
    const auto message = memory_error(tiny_with(R"(<edge from-layer="1" from-port="0" to-layer="2" to-port="1" />)", ""));
    EXPECT_TRUE(contains(message, "tiny.xml")) << message;
    EXPECT_TRUE(contains(message, "layer 'add' (id 2): input port 1 has no edge")) << message;
}

TEST(IrReaderErrors, Cycle) {
    const std::string xml = R"(<net name="loop" version="11"><layers>
		<layer id="0" name="first" type="Relu" version="opset1">
			<input><port id="0" precision="FP32"><dim>1</dim></port></input>
			<output><port id="1" precision="FP32"><dim>1</dim></port></output>
		</layer>
		<layer id="1" name="second" type="Relu" version="opset1">
			<input><port id="0" precision="FP32"><dim>1</dim></port></input>
			<output><port id="1" precision="FP32"><dim>1</dim></port></output>
		</layer>
	</layers><edges>
		<edge from-layer="0" from-port="1" to-layer="1" to-port="0" />
		<edge from-layer="1" from-port="1" to-layer="0" to-port="0" />
	</edges></net>)";
    const auto message = model_error([&] { read_ir_from_memory(xml, {}, "loop.xml"); });
    EXPECT_TRUE(contains(message, "loop.xml")) << message;
    EXPECT_TRUE(contains(message, "cycle")) << message;
    EXPECT_TRUE(contains(message, "'first'") || contains(message, "'second'")) << message;
}

TEST(IrReaderErrors, UnknownElementType) {
    const auto on_port = memory_error(tiny_with(R"(<port id="0" precision="FP32"><dim>1</dim><dim>4</dim></port>
			</output>
		</layer>
		<layer id="2")", R"(<port id="0" precision="FP64"><dim>1</dim><dim>4</dim></port>
			</output>
		</layer>
		<layer id="2")"));
    EXPECT_TRUE(contains(on_port, "tiny.xml")) << on_port;
    EXPECT_TRUE(contains(on_port, "layer 'bias' (id 1)")) << on_port;
    EXPECT_TRUE(contains(on_port, "unknown element type 'FP64'")) << on_port;

    const auto on_const = memory_error(tiny_with(R"(element_type="f32" shape="1, 4")", R"(element_type="q7" shape="1, 4")"));
    EXPECT_TRUE(contains(on_const, "layer 'bias' (id 1)")) << on_const;
    EXPECT_TRUE(contains(on_const, "unknown element type 'q7'")) << on_const;
}

TEST(IrReaderErrors, MalformedDimension) {
    const auto message = memory_error(tiny_with("<dim>4</dim></port>\n\t\t\t</output>\n\t\t</layer>\n\t\t<layer id=\"1\"",
                                                "<dim>four</dim></port>\n\t\t\t</output>\n\t\t</layer>\n\t\t<layer id=\"1\""));
    EXPECT_TRUE(contains(message, "layer 'input' (id 0)")) << message;
    EXPECT_TRUE(contains(message, "'four'")) << message;
}

TEST(IrReaderErrors, ConstOffsetPastTheEnd) {
    const auto message = memory_error(tiny_with(R"(offset="8")", R"(offset="100")"));
    EXPECT_TRUE(contains(message, "tiny.xml")) << message;
    EXPECT_TRUE(contains(message, "layer 'bias' (id 1)")) << message;
    EXPECT_TRUE(contains(message, "past the end")) << message;
}

TEST(IrReaderErrors, ShortBin) {
    auto bin = tiny_bin();
    bin.resize(bin.size() - 1);
    const auto message = memory_error(kTinyIr, bin);
    EXPECT_TRUE(contains(message, "layer 'bias' (id 1)")) << message;
    EXPECT_TRUE(contains(message, "past the end")) << message;
    EXPECT_TRUE(contains(message, "(23 bytes)")) << message;
}

TEST(IrReaderErrors, ConstSizeDoesNotMatchShape) {
    const auto message = memory_error(tiny_with(R"(size="16")", R"(size="12")"));
    EXPECT_TRUE(contains(message, "tiny.xml")) << message;
    EXPECT_TRUE(contains(message, "layer 'bias' (id 1)")) << message;
    EXPECT_TRUE(contains(message, "size 12 does not match")) << message;
}

TEST(IrReaderErrors, ConstWithoutOffset) {
    const auto message = memory_error(tiny_with(R"( offset="8")", ""));
    EXPECT_TRUE(contains(message, "layer 'bias' (id 1)")) << message;
    EXPECT_TRUE(contains(message, "'offset'")) << message;
}

// ---- files ------------------------------------------------------------------------------------

TEST(IrReaderFiles, ReadsXmlAndBinBesideIt) {
    TempDir dir;
    write_file(dir.path() / "tiny.xml", kTinyIr);
    write_file(dir.path() / "tiny.bin", tiny_bin());
    const Graph graph = read_ir(dir.path() / "tiny.xml");
    EXPECT_EQ(const_as_f32(graph.at(1)), kBias);

    write_file(dir.path() / "elsewhere.weights", tiny_bin());
    fs::remove(dir.path() / "tiny.bin");
    EXPECT_EQ(const_as_f32(read_ir(dir.path() / "tiny.xml", dir.path() / "elsewhere.weights").at(1)), kBias);
}

TEST(IrReaderFiles, MissingXml) {
    TempDir dir;
    const auto path = dir.path() / "absent_model.xml";
    const auto message = model_error([&] { read_ir(path); });
    EXPECT_TRUE(contains(message, path.string())) << message;
}

TEST(IrReaderFiles, UnreadableXmlAndBin) {
    TempDir dir;
    fs::create_directories(dir.path() / "model.xml");  // a directory cannot be read as a file
    const auto xml_message = model_error([&] { read_ir(dir.path() / "model.xml"); });
    EXPECT_TRUE(contains(xml_message, (dir.path() / "model.xml").string())) << xml_message;

    write_file(dir.path() / "tiny.xml", kTinyIr);
    fs::create_directories(dir.path() / "tiny.bin");
    const auto bin_message = model_error([&] { read_ir(dir.path() / "tiny.xml"); });
    EXPECT_TRUE(contains(bin_message, (dir.path() / "tiny.bin").string())) << bin_message;
}

TEST(IrReaderFiles, MissingBinWithConsts) {
    TempDir dir;
    write_file(dir.path() / "tiny.xml", kTinyIr);
    const auto message = model_error([&] { read_ir(dir.path() / "tiny.xml"); });
    EXPECT_TRUE(contains(message, (dir.path() / "tiny.xml").string())) << message;
    EXPECT_TRUE(contains(message, "layer 'bias' (id 1)")) << message;
    EXPECT_TRUE(contains(message, "tiny.bin")) << message;
}

TEST(IrReaderFiles, ModelWithoutConstsNeedsNoBin) {
    TempDir dir;
    const std::string xml = R"(<net name="id" version="11"><layers>
		<layer id="0" name="x" type="Parameter" version="opset1">
			<data shape="2" element_type="u8" />
			<output><port id="0" precision="U8"><dim>2</dim></port></output>
		</layer>
		<layer id="1" name="y" type="Result" version="opset1">
			<input><port id="0" precision="U8"><dim>2</dim></port></input>
		</layer>
	</layers><edges><edge from-layer="0" from-port="0" to-layer="1" to-port="0" /></edges></net>)";
    write_file(dir.path() / "identity.xml", xml);
    const Graph graph = read_ir(dir.path() / "identity.xml");
    ASSERT_EQ(graph.nodes().size(), 2u);
    EXPECT_EQ(graph.at(1).inputs[0].port.type, ElementType::u8);
}

TEST(IrReaderFiles, ErrorsInsideTheFileNameIt) {
    TempDir dir;
    write_file(dir.path() / "broken.xml", tiny_with(R"(size="16")", R"(size="12")"));
    write_file(dir.path() / "broken.bin", tiny_bin());
    const auto message = model_error([&] { read_ir(dir.path() / "broken.xml"); });
    EXPECT_TRUE(contains(message, (dir.path() / "broken.xml").string())) << message;
    EXPECT_TRUE(contains(message, "layer 'bias' (id 1)")) << message;
}

// ---- what real converters write: IR v10 ports, rt_info, whitespace, u32/u64 -------------------

// IR v10 (and POT's INT8 IR v11) input ports carry no precision: each takes its producer's type,
// as OpenVINO infers it. Here the f16 Parameter feeds an input port without a precision.
TEST(IrReader, InputPortWithoutPrecisionTakesItsProducersType) {
    const std::string xml = R"(<net name="v10" version="10"><layers>
		<layer id="0" name="data" type="Parameter" version="opset1">
			<data element_type="f16" shape="1,3,2,2"/>
			<output><port id="0" precision="FP16"><dim>1</dim><dim>3</dim><dim>2</dim><dim>2</dim></port></output>
		</layer>
		<layer id="1" name="relu" type="ReLU" version="opset1">
			<input><port id="0"><dim>1</dim><dim>3</dim><dim>2</dim><dim>2</dim></port></input>
			<output><port id="1" precision="FP16"><dim>1</dim><dim>3</dim><dim>2</dim><dim>2</dim></port></output>
		</layer>
		<layer id="2" name="out" type="Result" version="opset1">
			<input><port id="0"><dim>1</dim><dim>3</dim><dim>2</dim><dim>2</dim></port></input>
		</layer>
	</layers><edges>
		<edge from-layer="0" from-port="0" to-layer="1" to-port="0"/>
		<edge from-layer="1" from-port="1" to-layer="2" to-port="0"/>
	</edges></net>)";
    const Graph graph = read_ir_from_memory(xml, {}, "v10.xml");
    EXPECT_EQ(graph.at(1).inputs[0].port.type, ElementType::f16);
    EXPECT_EQ(graph.at(2).inputs[0].port.type, ElementType::f16);
}

TEST(IrReader, OutputPortWithoutPrecisionTakesTheLayersElementType) {
    const std::string xml = R"(<net name="p" version="11"><layers>
		<layer id="0" name="x" type="Parameter" version="opset1">
			<data element_type="u8" shape="2"/>
			<output><port id="0"><dim>2</dim></port></output>
		</layer></layers><edges /></net>)";
    EXPECT_EQ(read_ir_from_memory(xml, {}, "p.xml").at(0).outputs[0].type, ElementType::u8);

    const std::string relu = R"(<net name="p" version="11"><layers>
		<layer id="0" name="x" type="Parameter" version="opset1">
			<data element_type="f32" shape="2"/>
			<output><port id="0" precision="FP32"><dim>2</dim></port></output>
		</layer>
		<layer id="1" name="r" type="ReLU" version="opset1">
			<input><port id="0"><dim>2</dim></port></input>
			<output><port id="1"><dim>2</dim></port></output>
		</layer></layers><edges><edge from-layer="0" from-port="0" to-layer="1" to-port="0"/></edges></net>)";
    const auto message = model_error([&] { read_ir_from_memory(relu, {}, "p.xml"); });
    EXPECT_TRUE(contains(message, "p.xml: layer 'r' (id 1): port 1 has no precision")) << message;
}

TEST(IrReader, ReadsU32AndU64ConstsAndSaturatesU64AboveTheInt64Range) {
    const std::string xml = R"(<net name="c" version="11"><layers>
		<layer id="0" name="indices" type="Const" version="opset1">
			<data element_type="u32" shape="2" offset="0" size="8" />
			<output><port id="0" precision="U32"><dim>2</dim></port></output>
		</layer>
		<layer id="1" name="stop" type="Const" version="opset1">
			<data element_type="u64" shape="2" offset="8" size="16" />
			<output><port id="0" precision="U64"><dim>2</dim></port></output>
		</layer>
	</layers><edges /></net>)";
    std::vector<std::uint8_t> bin(24, 0);
    const std::uint32_t u32s[] = {7, 4000000000u};
    const std::uint64_t u64s[] = {42, ~std::uint64_t{0}};
    std::memcpy(bin.data(), u32s, sizeof u32s);
    std::memcpy(bin.data() + 8, u64s, sizeof u64s);
    const Graph graph = read_ir_from_memory(xml, bin, "c.xml");
    EXPECT_EQ(const_as_i64(graph.at(0)), (std::vector<std::int64_t>{7, 4000000000}));
    EXPECT_EQ(const_as_f32(graph.at(0)), (std::vector<float>{7.0f, 4e9f}));
    EXPECT_EQ(const_as_i64(graph.at(1)), (std::vector<std::int64_t>{42, std::numeric_limits<std::int64_t>::max()}));
    EXPECT_EQ(element_size(ElementType::u64), 8u);
    EXPECT_EQ(element_size(ElementType::u32), 4u);
    EXPECT_EQ(ir_precision_name(ElementType::u32), "U32");
}

// face-detection-retail-0004 (Open Model Zoo) starts with a newline before <?xml; a byte order
// mark is as harmless.
TEST(IrReader, WhitespaceOrAByteOrderMarkBeforeTheDeclaration) {
    for (const std::string prefix : {"\n", " \r\n\t", "\xEF\xBB\xBF"}) {
        const Graph graph = read_ir_from_memory(prefix + kTinyIr, tiny_bin(), "tiny.xml");
        EXPECT_EQ(graph.nodes().size(), 4u);
    }
}

TEST(IrReader, ListAttributesWithOrWithoutSpaces) {
    Attributes attrs;
    attrs.set("order", "0, 2, 3, 1");
    attrs.set("tight", "0,2,3,1");
    attrs.set("scales", " 0.5 ,1.25,  2 ");
    EXPECT_EQ(attrs.get_ints("order"), (std::vector<std::int64_t>{0, 2, 3, 1}));
    EXPECT_EQ(attrs.get_ints("tight"), attrs.get_ints("order"));
    EXPECT_EQ(attrs.get_floats("scales"), (std::vector<double>{0.5, 1.25, 2.0}));
    // kTinyIr's bias Const has shape="1, 4".
    EXPECT_EQ(read_ir_from_memory(kTinyIr, tiny_bin(), "tiny.xml").at(1).outputs[0].shape, (Shape{1, 4}));
}

// vehicle-license-plate-detection-barrier-0106: a TensorFlow NHWC Placeholder, as Model Optimizer
// writes it.
TEST(IrReader, ReadsLayerRtInfoAndThePortLayout) {
    const std::string xml = R"(<net name="tf" version="11"><layers>
		<layer id="0" name="Placeholder" type="Parameter" version="opset1">
			<data shape="1,300,300,3" element_type="f32" />
			<rt_info>
				<attribute name="old_api_map_order" version="0" value="0, 2, 3, 1" />
				<attribute name="decompression" version="0" />
			</rt_info>
			<output>
				<port id="0" precision="FP32" names="Placeholder">
					<dim>1</dim><dim>300</dim><dim>300</dim><dim>3</dim>
					<rt_info><attribute name="layout" version="0" layout="[N,H,W,C]" /></rt_info>
				</port>
			</output>
		</layer></layers><edges /></net>)";
    const Graph graph = read_ir_from_memory(xml, {}, "tf.xml");
    const Node& placeholder = graph.at(0);
    EXPECT_EQ(placeholder.rt_info.get("old_api_map_order"), "0, 2, 3, 1");
    ASSERT_NE(placeholder.rt_info.child("decompression"), nullptr);
    EXPECT_EQ(placeholder.rt_info.child("decompression")->value, "");
    EXPECT_EQ(placeholder.outputs[0].layout, "[N,H,W,C]");
    EXPECT_EQ(placeholder.outputs[0].shape, (Shape{1, 300, 300, 3}));
}

TEST(IrReaderFiles, WithoutItsBinAModelCanStillBeDescribed) {
    TempDir dir;
    write_file(dir.path() / "tiny.xml", kTinyIr);
    const Graph graph = read_ir(dir.path() / "tiny.xml", WeightsPolicy::optional);
    const Node& bias = graph.at(1);
    EXPECT_EQ(bias.data, nullptr);
    EXPECT_EQ(bias.outputs[0].type, ElementType::f32);
    EXPECT_EQ(bias.outputs[0].shape, (Shape{1, 4}));
    EXPECT_EQ(ir_weights_path(dir.path() / "tiny.xml"), dir.path() / "tiny.bin");

    const auto message = model_error([&] { read_ir(dir.path() / "tiny.xml", WeightsPolicy::required); });
    EXPECT_TRUE(contains(message, "its weights file '" + (dir.path() / "tiny.bin").string() + "' does not exist")) << message;
}
