#include "detserve/graph/graph_summary.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace detserve::graph {
namespace {

// Long rt_info values (a COCO label list is ~1 kB) would bury the rest of the summary.
constexpr std::size_t kMaxValueChars = 60;

std::string first_name(const std::string& names) { return names.substr(0, names.find(',')); }

std::string port_text(const std::string& name, const Port& port) {
    return name + " " + std::string(to_string(port.type)) + " " + shape_to_string(port.shape);
}

std::string shortened(const std::string& value) {
    if (value.size() <= kMaxValueChars) return value;
    std::size_t cut = kMaxValueChars;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
    return value.substr(0, cut) + "…";
}

}  // namespace

std::map<std::string, int> op_counts(const Graph& graph) {
    std::map<std::string, int> counts;
    for (const Node& node : graph.nodes()) ++counts[node.type];
    return counts;
}

std::string describe_graph(const Graph& graph) {
    std::string out = "model: " + graph.name + " (" + std::to_string(graph.nodes().size()) + " nodes)\n";

    out += "inputs:";
    for (const Node* parameter : graph.parameters())
        if (!parameter->outputs.empty()) out.append(" ").append(port_text(parameter->name, parameter->outputs[0]));
    out += "\n";

    // A Result's own name is a sink name ("output0/sink_port_0"); users know the tensor name.
    out += "outputs:";
    for (const Node* result : graph.results()) {
        if (result->inputs.empty()) continue;
        const Input& input = result->inputs[0];
        const Node* producer = graph.find(input.source.node);
        std::string name = result->name;
        if (producer && input.source.port >= 0 && static_cast<std::size_t>(input.source.port) < producer->outputs.size()) {
            const std::string tensor = first_name(producer->outputs[static_cast<std::size_t>(input.source.port)].names);
            if (!tensor.empty()) name = tensor;
        }
        out.append(" ").append(port_text(name, input.port));
    }
    out += "\n";

    const auto counts = op_counts(graph);
    std::vector<std::pair<std::string, int>> ops(counts.begin(), counts.end());
    std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    out += "ops:";
    for (const auto& [type, count] : ops) out += " " + type + "×" + std::to_string(count);
    out += "\n";

    out += "model_info:";
    if (const RtInfo* model_info = graph.rt_info.child("model_info")) {
        for (const auto& [key, child] : model_info->children) out += " " + key + "=" + shortened(child.value);
    } else {
        out += " none";
    }
    out += "\n";
    return out;
}

}  // namespace detserve::graph
