#include "detserve/graph/ir_reader.hpp"

#include <pugixml.hpp>

#include <array>
#include <charconv>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace detserve::graph {
namespace {

struct PrecisionName {
    std::string_view name;
    ElementType type;
};

// Port precisions as OpenVINO's IR serializer spells them.
constexpr std::array<PrecisionName, 12> kPrecisions{{
    {"FP32", ElementType::f32},
    {"FP16", ElementType::f16},
    {"BF16", ElementType::bf16},
    {"I64", ElementType::i64},
    {"I32", ElementType::i32},
    {"I16", ElementType::i16},
    {"I8", ElementType::i8},
    {"U64", ElementType::u64},
    {"U32", ElementType::u32},
    {"U16", ElementType::u16},
    {"U8", ElementType::u8},
    {"BOOL", ElementType::boolean},
}};

// Where the Const bytes come from; `present` is false when the .bin file does not exist, which is
// only an error if some layer needs bytes and the policy requires them.
struct WeightsFile {
    std::span<const std::uint8_t> bytes;
    std::string name;
    bool present = true;
    WeightsPolicy policy = WeightsPolicy::required;
};

// A layer as read, with its port ids so that edges (which name ports by id) can find the
// input/output index each id stands for.
struct Layer {
    Node node;
    std::vector<std::int64_t> input_port_ids;
    std::vector<std::int64_t> output_port_ids;
    std::vector<bool> input_typed;  // whether each input port carried its own precision
};

[[noreturn]] void fail(const std::string& source, const std::string& message) {
    throw ModelError(source + ": " + message);
}

std::string layer_label(const Node& node) {
    return "layer '" + node.name + "' (id " + std::to_string(node.id) + ")";
}

std::string_view trim(std::string_view text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    text = trim(text);
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// "?" and "-1" are dynamic; so is a range "1..10", since a Shape holds one number per dimension.
std::optional<std::int64_t> parse_dim(std::string_view text) {
    text = trim(text);
    if (text == "?" || text.find("..") != std::string_view::npos) return -1;
    const auto value = parse_int(text);
    if (!value || *value < -1) return std::nullopt;
    return value;
}

std::int64_t index_of(const std::vector<std::int64_t>& ids, std::int64_t id) {
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] == id) return static_cast<std::int64_t>(i);
    return -1;
}

// A layer's or port's <rt_info>: <attribute name="..." version="0" value="..."/> elements. A port's
// layout keeps its value in a `layout` attribute instead of `value`.
RtInfo read_attributes(pugi::xml_node rt_info) {
    RtInfo info;
    for (auto attribute : rt_info.children("attribute")) {
        const std::string name = attribute.attribute("name").value();
        if (name.empty()) continue;
        const auto value = attribute.attribute("value");
        info.child_or_add(name).value = value ? value.value() : attribute.attribute(name.c_str()).value();
    }
    return info;
}

// The port's element type from its `precision` attribute, or nullopt where it has none: IR v10 and
// POT's INT8 files leave it off input ports. OpenVINO's own reader never uses an input port's
// precision (it infers every type from the producers), so resolve_untyped_inputs() gives such a
// port its producer's type. An output port without one takes its layer's `element_type` (the
// attribute of Parameter and Const, the only layers whose output type is not inferred).
std::optional<ElementType> port_type(pugi::xml_node xml, const Node& node, bool is_output, const std::string& source,
                                     const std::string& where) {
    std::string precision = xml.attribute("precision").value();
    if (precision.empty() && is_output) precision = node.attrs.get_string_or("element_type", "");
    if (precision.empty()) {
        if (is_output) fail(source, where + " has no precision, and the layer no element_type");
        return std::nullopt;
    }
    const auto type = element_type_from_ir_precision(precision);
    if (!type) fail(source, where + ": unknown element type '" + precision + "'");
    return type;
}

Port read_port(pugi::xml_node xml, const Node& node, const std::string& source, std::int64_t port_id, bool is_output,
               bool& typed) {
    const std::string where = layer_label(node) + ": port " + std::to_string(port_id);
    Port port;
    const auto type = port_type(xml, node, is_output, source, where);
    typed = type.has_value();
    if (type) port.type = *type;
    for (auto dim : xml.children("dim")) {
        const auto value = parse_dim(dim.text().get());
        if (!value) fail(source, where + ": bad dimension '" + dim.text().get() + "'");
        port.shape.push_back(*value);
    }
    port.names = xml.attribute("names").value();
    const RtInfo rt_info = read_attributes(xml.child("rt_info"));
    if (const RtInfo* layout = rt_info.child("layout")) port.layout = layout->value;
    return port;
}

Layer read_layer(pugi::xml_node xml, const std::string& source) {
    Layer layer;
    Node& node = layer.node;
    node.name = xml.attribute("name").value();
    const auto id = parse_int(xml.attribute("id").value());
    if (!id) fail(source, "layer '" + node.name + "': missing or malformed id '" + xml.attribute("id").value() + "'");
    node.id = *id;
    node.type = xml.attribute("type").value();
    if (node.type.empty()) fail(source, layer_label(node) + " has no type");
    node.version = xml.attribute("version").value();
    for (auto attribute : xml.child("data").attributes()) node.attrs.set(attribute.name(), attribute.value());
    node.rt_info = read_attributes(xml.child("rt_info"));

    auto read_ports = [&](const char* group, std::vector<std::int64_t>& ids, auto&& add) {
        const bool is_output = std::string_view(group) == "output";
        for (auto port : xml.child(group).children("port")) {
            const auto port_id = parse_int(port.attribute("id").value());
            if (!port_id) fail(source, layer_label(node) + ": " + group + " port with malformed id '" + port.attribute("id").value() + "'");
            if (index_of(layer.input_port_ids, *port_id) >= 0 || index_of(layer.output_port_ids, *port_id) >= 0)
                fail(source, layer_label(node) + ": duplicate port id " + std::to_string(*port_id));
            ids.push_back(*port_id);
            bool typed = true;
            Port read = read_port(port, node, source, *port_id, is_output, typed);
            add(std::move(read), typed);
        }
    };
    read_ports("input", layer.input_port_ids, [&](Port port, bool typed) {
        node.inputs.push_back(Input{Source{}, std::move(port)});
        layer.input_typed.push_back(typed);
    });
    read_ports("output", layer.output_port_ids, [&](Port port, bool) { node.outputs.push_back(std::move(port)); });
    return layer;
}

// Fills every input's Source from the <edges>; each input port must receive exactly one edge.
void connect(std::vector<Layer>& layers, const std::unordered_map<std::int64_t, std::size_t>& index, pugi::xml_node edges,
             const std::string& source) {
    for (auto edge : edges.children("edge")) {
        const auto from_layer = parse_int(edge.attribute("from-layer").value());
        const auto from_port = parse_int(edge.attribute("from-port").value());
        const auto to_layer = parse_int(edge.attribute("to-layer").value());
        const auto to_port = parse_int(edge.attribute("to-port").value());
        const std::string where = std::string("edge ") + edge.attribute("from-layer").value() + ":" +
                                  edge.attribute("from-port").value() + " -> " + edge.attribute("to-layer").value() + ":" +
                                  edge.attribute("to-port").value();
        if (!from_layer || !from_port || !to_layer || !to_port) fail(source, where + " is malformed");
        const auto producer = index.find(*from_layer);
        if (producer == index.end()) fail(source, where + ": no layer with id " + std::to_string(*from_layer));
        const auto consumer = index.find(*to_layer);
        if (consumer == index.end()) fail(source, where + ": no layer with id " + std::to_string(*to_layer));
        const Layer& from = layers[producer->second];
        Layer& to = layers[consumer->second];
        const auto output = index_of(from.output_port_ids, *from_port);
        if (output < 0) fail(source, where + ": " + layer_label(from.node) + " has no output port " + std::to_string(*from_port));
        const auto input = index_of(to.input_port_ids, *to_port);
        if (input < 0) fail(source, where + ": " + layer_label(to.node) + " has no input port " + std::to_string(*to_port));
        Source& target = to.node.inputs[static_cast<std::size_t>(input)].source;
        if (target.node >= 0) fail(source, where + ": input port " + std::to_string(*to_port) + " of " + layer_label(to.node) + " already has an edge");
        target = Source{*from_layer, static_cast<int>(output)};
    }
    for (const Layer& layer : layers)
        for (std::size_t i = 0; i < layer.node.inputs.size(); ++i)
            if (layer.node.inputs[i].source.node < 0)
                fail(source, layer_label(layer.node) + ": input port " + std::to_string(layer.input_port_ids[i]) + " has no edge");
}

// An input port without a precision of its own carries what its producer's output port carries.
void resolve_untyped_inputs(std::vector<Layer>& layers, const std::unordered_map<std::int64_t, std::size_t>& index) {
    for (Layer& layer : layers)
        for (std::size_t i = 0; i < layer.node.inputs.size(); ++i) {
            if (layer.input_typed[i]) continue;
            Input& input = layer.node.inputs[i];
            const Node& producer = layers[index.at(input.source.node)].node;
            input.port.type = producer.outputs[static_cast<std::size_t>(input.source.port)].type;
        }
}

// One message for the whole file rather than one per Const: the user is missing a file, not bytes.
void require_weights(const std::vector<Layer>& layers, const WeightsFile& weights, const std::string& source) {
    if (weights.present || weights.policy == WeightsPolicy::optional) return;
    const Node* first = nullptr;
    std::size_t consts = 0;
    for (const Layer& layer : layers)
        if (layer.node.is("Const")) {
            if (!first) first = &layer.node;
            ++consts;
        }
    if (first)
        fail(source, "its weights file '" + weights.name + "' does not exist, and its " + std::to_string(consts) +
                         " Const layers (the first: " + layer_label(*first) +
                         ") need their bytes from it (an OpenVINO IR is the .xml and the .bin beside it)");
}

void load_const(Node& node, const WeightsFile& weights, const std::string& source) {
    const std::string where = layer_label(node);
    if (node.outputs.size() != 1) fail(source, where + ": a Const needs exactly one output port");
    const Port& port = node.outputs[0];

    if (const std::string* name = node.attrs.find("element_type")) {
        const auto type = element_type_from_ir_precision(*name);
        if (!type) fail(source, where + ": unknown element type '" + *name + "'");
        if (*type != port.type)
            fail(source, where + ": element_type " + *name + " disagrees with its output precision " + std::string(ir_precision_name(port.type)));
    }
    // The attribute getters throw without context; add the file and the layer.
    auto attribute = [&](auto read) {
        try {
            return read();
        } catch (const ModelError& error) {
            fail(source, where + ": " + error.what());
        }
    };
    const Shape shape = node.attrs.has("shape") ? attribute([&] { return node.attrs.get_ints("shape"); }) : port.shape;
    const auto offset = attribute([&] { return node.attrs.get_int("offset"); });
    const auto size = attribute([&] { return node.attrs.get_int("size"); });
    if (shape_elements(shape) != shape_elements(port.shape))
        fail(source, where + ": shape " + shape_to_string(shape) + " disagrees with its output port " + shape_to_string(port.shape));
    const auto elements = shape_elements(shape);
    if (elements < 0) fail(source, where + ": a Const cannot have the dynamic shape " + shape_to_string(shape));
    const auto expected = elements * static_cast<std::int64_t>(element_size(port.type));
    if (size != expected)
        fail(source, where + ": size " + std::to_string(size) + " does not match " + std::string(to_string(port.type)) + " " +
                         shape_to_string(shape) + " (" + std::to_string(expected) + " bytes)");
    if (!weights.present) return;  // WeightsPolicy::optional: the topology without the values
    const auto available = static_cast<std::int64_t>(weights.bytes.size());
    if (offset < 0 || offset > available || size > available - offset)
        fail(source, where + ": " + std::to_string(size) + " bytes at offset " + std::to_string(offset) + " lie past the end of '" +
                         weights.name + "' (" + std::to_string(available) + " bytes)");
    const auto bytes = weights.bytes.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(size));
    node.data = std::make_shared<const std::vector<std::uint8_t>>(bytes.begin(), bytes.end());
}

// v11 model-level rt_info: nested elements, each value in a `value` attribute.
RtInfo read_rt_info(pugi::xml_node xml) {
    RtInfo info;
    info.value = xml.attribute("value").value();
    for (auto child : xml.children())
        if (child.type() == pugi::node_element) info.children.push_back({child.name(), read_rt_info(child)});
    return info;
}

Graph parse_ir(std::string_view text, const WeightsFile& weights, const std::string& source) {
    pugi::xml_document document;
    const auto parsed = document.load_buffer(text.data(), text.size());
    if (!parsed) {
        // pugixml stops at the end of a file cut short, with the root element still open.
        const bool at_end = static_cast<std::size_t>(parsed.offset) + 1 >= text.size();
        fail(source, std::string("not an OpenVINO IR file: its XML does not parse (") + parsed.description() + " at byte " +
                         std::to_string(parsed.offset) + " of " + std::to_string(text.size()) + ")" +
                         (at_end && !text.empty() ? ": the file is truncated" : ""));
    }
    const auto net = document.document_element();
    if (std::string_view(net.name()) != "net")
        fail(source, std::string("not an OpenVINO IR: the root element is <") + net.name() + ">, expected <net>");
    const auto layers_xml = net.child("layers");
    if (!layers_xml) fail(source, "not an OpenVINO IR: <net> has no <layers>");
    const std::string version = net.attribute("version").value();
    if (version != "10" && version != "11")
        fail(source, "unsupported IR version '" + version +
                         "': detserve, like current OpenVINO, reads IR v10 and v11 only (older IRs predate OpenVINO "
                         "2020.1); convert the original model again with a current OpenVINO (ovc)");

    std::vector<Layer> layers;
    std::unordered_map<std::int64_t, std::size_t> index;
    for (auto xml : layers_xml.children("layer")) {
        Layer layer = read_layer(xml, source);
        const auto [existing, inserted] = index.emplace(layer.node.id, layers.size());
        if (!inserted) fail(source, layer_label(layer.node) + ": duplicate layer id, already used by layer '" + layers[existing->second].node.name + "'");
        layers.push_back(std::move(layer));
    }
    connect(layers, index, net.child("edges"), source);
    resolve_untyped_inputs(layers, index);
    require_weights(layers, weights, source);
    for (Layer& layer : layers)
        if (layer.node.is("Const")) load_const(layer.node, weights, source);

    Graph graph;
    if (const std::string name = net.attribute("name").value(); !name.empty()) graph.name = name;
    for (Layer& layer : layers) graph.add_node(std::move(layer.node));
    graph.rt_info = read_rt_info(net.child("rt_info"));
    try {
        graph.validate();
    } catch (const ModelError& error) {
        fail(source, error.what());
    }
    return graph;
}

std::string read_file(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        throw ModelError(path.string() + ": cannot read: " + (std::filesystem::exists(path, error) ? "not a regular file" : "no such file"));
    const auto size = std::filesystem::file_size(path, error);
    std::ifstream in(path, std::ios::binary);
    std::string bytes(error ? 0 : size, '\0');
    if (error || !in || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
        throw ModelError(path.string() + ": cannot read the file");
    return bytes;
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::optional<ElementType> element_type_from_ir_precision(std::string_view precision) {
    for (const auto& entry : kPrecisions)
        if (entry.name == precision) return entry.type;
    return element_type_from_string(precision);
}

std::string_view ir_precision_name(ElementType type) {
    for (const auto& entry : kPrecisions)
        if (entry.type == type) return entry.name;
    throw std::logic_error("no IR precision name for element type " + std::string(to_string(type)));
}

std::filesystem::path ir_weights_path(const std::filesystem::path& xml_path) {
    auto bin_path = xml_path;
    return bin_path.replace_extension(".bin");
}

Graph read_ir(const std::filesystem::path& xml_path, WeightsPolicy policy) {
    return read_ir(xml_path, ir_weights_path(xml_path), policy);
}

Graph read_ir(const std::filesystem::path& xml_path, const std::filesystem::path& bin_path, WeightsPolicy policy) {
    const std::string xml = read_file(xml_path);
    std::error_code error;
    const bool bin_present = std::filesystem::exists(bin_path, error);
    const std::string bin = bin_present ? read_file(bin_path) : std::string();
    return parse_ir(xml, WeightsFile{as_bytes(bin), bin_path.string(), bin_present, policy}, xml_path.string());
}

Graph read_ir_from_memory(std::string_view xml, std::span<const std::uint8_t> bin, const std::string& source_name) {
    return parse_ir(xml, WeightsFile{bin, source_name + " weights", true, WeightsPolicy::required}, source_name);
}

}  // namespace detserve::graph
