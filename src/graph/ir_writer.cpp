#include "detserve/graph/ir_writer.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "detserve/graph/ir_reader.hpp"

namespace detserve::graph {
namespace {

std::string layer_label(const Node& node) {
    return "layer '" + node.name + "' (id " + std::to_string(node.id) + ")";
}

// pugixml writes any name it is given, so an attribute or rt_info key that is not an XML name
// would produce a file nobody can read back.
const std::string& xml_name(const std::string& name, const std::string& what) {
    auto is_start = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    auto is_rest = [&](char c) { return is_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; };
    bool valid = !name.empty() && is_start(name[0]);
    for (char c : name) valid = valid && is_rest(c);
    if (!valid) throw ModelError("cannot write IR: " + what + " '" + name + "' is not a valid XML name");
    return name;
}

// Version 0 is the one OpenVINO writes for every rt_info attribute of layers and ports today.
pugi::xml_node append_rt_attribute(pugi::xml_node rt_info, const std::string& name) {
    auto attribute = rt_info.append_child("attribute");
    attribute.append_attribute("name").set_value(name.c_str());
    attribute.append_attribute("version").set_value("0");
    return attribute;
}

void write_port(pugi::xml_node parent, std::size_t id, const Port& port, bool with_names) {
    auto xml = parent.append_child("port");
    xml.append_attribute("id").set_value(std::to_string(id).c_str());
    xml.append_attribute("precision").set_value(std::string(ir_precision_name(port.type)).c_str());
    if (with_names && !port.names.empty()) xml.append_attribute("names").set_value(port.names.c_str());
    for (auto dim : port.shape) xml.append_child("dim").text().set(std::to_string(dim).c_str());
    // A port's layout keeps its value in a `layout` attribute, as OpenVINO writes it.
    if (!port.layout.empty())
        append_rt_attribute(xml.append_child("rt_info"), "layout").append_attribute("layout").set_value(port.layout.c_str());
}

void write_layer_rt_info(pugi::xml_node layer, const Node& node) {
    if (node.rt_info.children.empty()) return;
    auto rt_info = layer.append_child("rt_info");
    for (const auto& [name, child] : node.rt_info.children) {
        auto attribute = append_rt_attribute(rt_info, name);
        if (!child.value.empty()) attribute.append_attribute("value").set_value(child.value.c_str());
    }
}

void write_layer(pugi::xml_node layers, const Node& node, std::vector<std::uint8_t>& bin) {
    auto xml = layers.append_child("layer");
    xml.append_attribute("id").set_value(std::to_string(node.id).c_str());
    xml.append_attribute("name").set_value(node.name.c_str());
    xml.append_attribute("type").set_value(node.type.c_str());
    if (!node.version.empty()) xml.append_attribute("version").set_value(node.version.c_str());

    Attributes attrs = node.attrs;
    if (node.is("Const")) {
        if (!node.data) throw ModelError("cannot write IR: " + layer_label(node) + " is a Const without data");
        attrs.set("offset", std::to_string(bin.size()));
        attrs.set("size", std::to_string(node.data->size()));
        bin.insert(bin.end(), node.data->begin(), node.data->end());
    }
    if (!attrs.items().empty()) {
        auto data = xml.append_child("data");
        for (const auto& [key, value] : attrs.items())
            data.append_attribute(xml_name(key, "attribute of " + layer_label(node)).c_str()).set_value(value.c_str());
    }
    write_layer_rt_info(xml, node);

    // IR port ids: inputs 0..n-1, then outputs n..n+m-1.
    if (!node.inputs.empty()) {
        auto inputs = xml.append_child("input");
        for (std::size_t i = 0; i < node.inputs.size(); ++i) write_port(inputs, i, node.inputs[i].port, false);
    }
    if (!node.outputs.empty()) {
        auto outputs = xml.append_child("output");
        for (std::size_t i = 0; i < node.outputs.size(); ++i) write_port(outputs, node.inputs.size() + i, node.outputs[i], true);
    }
}

void write_rt_info(pugi::xml_node xml, const RtInfo& info) {
    if (!info.value.empty()) xml.append_attribute("value").set_value(info.value.c_str());
    for (const auto& [key, child] : info.children) write_rt_info(xml.append_child(xml_name(key, "rt_info key").c_str()), child);
}

void write_file(const std::filesystem::path& path, const void* bytes, std::size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(size));
    out.close();
    if (!out) throw ModelError(path.string() + ": cannot write the file");
}

}  // namespace

IrFiles serialize_ir(const Graph& graph) {
    graph.validate();
    std::unordered_map<std::int64_t, const Node*> by_id;
    for (const Node& node : graph.nodes()) by_id[node.id] = &node;
    const auto order = graph.topological_order();

    IrFiles files;
    pugi::xml_document document;
    auto net = document.append_child("net");
    net.append_attribute("name").set_value(graph.name.c_str());
    net.append_attribute("version").set_value("11");
    auto layers = net.append_child("layers");
    for (auto id : order) write_layer(layers, *by_id.at(id), files.bin);

    // Edges grouped by producer, as OpenVINO's serializer orders them, so that our files diff
    // cleanly against theirs.
    struct Edge {
        std::size_t from_position, from_port, to_position, to_port;
        auto operator<=>(const Edge&) const = default;
    };
    std::unordered_map<std::int64_t, std::size_t> position;
    for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    std::vector<Edge> edge_list;
    for (std::size_t to = 0; to < order.size(); ++to) {
        const Node& node = *by_id.at(order[to]);
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const Source& source = node.inputs[i].source;
            const Node& producer = *by_id.at(source.node);
            edge_list.push_back({position.at(source.node), producer.inputs.size() + static_cast<std::size_t>(source.port), to, i});
        }
    }
    std::sort(edge_list.begin(), edge_list.end());
    auto edges = net.append_child("edges");
    for (const Edge& e : edge_list) {
        auto edge = edges.append_child("edge");
        edge.append_attribute("from-layer").set_value(std::to_string(order[e.from_position]).c_str());
        edge.append_attribute("from-port").set_value(std::to_string(e.from_port).c_str());
        edge.append_attribute("to-layer").set_value(std::to_string(order[e.to_position]).c_str());
        edge.append_attribute("to-port").set_value(std::to_string(e.to_port).c_str());
    }
    if (!graph.rt_info.value.empty() || !graph.rt_info.children.empty()) write_rt_info(net.append_child("rt_info"), graph.rt_info);

    std::ostringstream out;
    document.save(out, "\t", pugi::format_indent);  // starts with <?xml version="1.0"?>
    files.xml = out.str();
    return files;
}

void write_ir(const Graph& graph, const std::filesystem::path& xml_path) {
    const IrFiles files = serialize_ir(graph);
    if (xml_path.has_parent_path()) {
        std::error_code error;
        std::filesystem::create_directories(xml_path.parent_path(), error);
        if (error) throw ModelError(xml_path.parent_path().string() + ": cannot create the directory: " + error.message());
    }
    auto bin_path = xml_path;
    bin_path.replace_extension(".bin");
    write_file(xml_path, files.xml.data(), files.xml.size());
    write_file(bin_path, files.bin.data(), files.bin.size());
}

}  // namespace detserve::graph
