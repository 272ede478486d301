// Folds the parts of a graph whose value is known before inference into Consts: the
// f16-compressed weights an OpenVINO converter writes (Const f16 -> Convert f32), and the shape
// arithmetic exporters leave in (ShapeOf -> Slice -> Concat feeding an Interpolate's sizes).
// One function per op, in a table, as the engines lower ops.
#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "detserve/graph/passes.hpp"
#include "host_tensor.hpp"

namespace detserve::graph {
namespace {

using Folder = std::optional<HostTensor> (*)(const Graph&, const Node&);

// The value of input `index` when its producer is a Const.
std::optional<HostTensor> constant_input(const Graph& graph, const Node& node, std::size_t index) {
    if (index >= node.inputs.size()) return std::nullopt;
    const Node* producer = graph.find(node.inputs[index].source.node);
    if (!producer || !producer->is("Const") || !producer->data) return std::nullopt;
    const Port& port = producer->outputs.at(0);
    return HostTensor{port.type, port.shape, *producer->data};
}

std::size_t elements(const Shape& shape) {
    std::size_t n = 1;
    for (const auto d : shape) n *= static_cast<std::size_t>(d);
    return n;
}

std::optional<HostTensor> encode(ElementType type, Shape shape, const std::vector<float>& floats,
                                 const std::vector<std::int64_t>& ints) {
    HostTensor out{type, std::move(shape), {}};
    const std::size_t count = floats.empty() ? ints.size() : floats.size();
    out.bytes.resize(count * element_size(type));
    std::uint8_t* dst = out.bytes.data();
    auto store = [&](std::size_t i, auto value) { std::memcpy(dst + i * sizeof(value), &value, sizeof(value)); };
    for (std::size_t i = 0; i < count; ++i) {
        const double v = floats.empty() ? static_cast<double>(ints[i]) : static_cast<double>(floats[i]);
        auto whole = [&] { return floats.empty() ? ints[i] : saturating_i64(v); };
        switch (type) {
            case ElementType::f32: store(i, static_cast<float>(v)); break;
            case ElementType::f16: store(i, f32_to_f16(static_cast<float>(v))); break;
            case ElementType::i64: store(i, whole()); break;
            case ElementType::i32: store(i, static_cast<std::int32_t>(whole())); break;
            // Narrower integers wrap as C++ converts them, which is what Convert-1 specifies.
            case ElementType::i16: store(i, static_cast<std::int16_t>(whole())); break;
            case ElementType::i8: store(i, static_cast<std::int8_t>(whole())); break;
            case ElementType::u64: store(i, static_cast<std::uint64_t>(whole())); break;
            case ElementType::u32: store(i, static_cast<std::uint32_t>(whole())); break;
            case ElementType::u16: store(i, static_cast<std::uint16_t>(whole())); break;
            case ElementType::u8: store(i, static_cast<std::uint8_t>(whole())); break;
            case ElementType::boolean: store(i, static_cast<std::uint8_t>(v != 0)); break;
            case ElementType::bf16: return std::nullopt;  // no exporter we read folds into bf16
        }
    }
    return out;
}

bool is_float(ElementType type) {
    return type == ElementType::f32 || type == ElementType::f16 || type == ElementType::bf16;
}

std::optional<HostTensor> fold_convert(const Graph& graph, const Node& node) {
    auto in = constant_input(graph, node, 0);
    const auto destination = element_type_from_string(node.attrs.get_string_or("destination_type", ""));
    // Float -> integer rounding is the op's business at run time; weights and shapes never need it.
    if (!in || !destination || (is_float(in->type) && !is_float(*destination))) return std::nullopt;
    if (is_float(in->type)) return encode(*destination, in->shape, in->as_f32(), {});
    return encode(*destination, in->shape, {}, in->as_i64());
}

std::optional<HostTensor> fold_shape_of(const Graph& graph, const Node& node) {
    if (node.inputs.empty()) return std::nullopt;
    const Shape& shape = graph.port_of(node.inputs[0].source).shape;
    if (std::any_of(shape.begin(), shape.end(), [](std::int64_t d) { return d < 0; })) return std::nullopt;
    const auto type = element_type_from_string(node.attrs.get_string_or("output_type", "i64"));
    if (!type) return std::nullopt;
    return encode(*type, {static_cast<std::int64_t>(shape.size())}, {}, std::vector<std::int64_t>(shape.begin(), shape.end()));
}

// Slice-8: data, start, stop, step[, axes]; negative bounds count from the end and are clamped,
// as numpy slicing.
std::optional<HostTensor> fold_slice(const Graph& graph, const Node& node) {
    const auto data = constant_input(graph, node, 0);
    const auto start = constant_input(graph, node, 1), stop = constant_input(graph, node, 2),
               step = constant_input(graph, node, 3);
    if (!data || !start || !stop || !step) return std::nullopt;
    const auto starts = start->as_i64(), stops = stop->as_i64(), steps = step->as_i64();
    const auto rank = static_cast<std::int64_t>(data->shape.size());
    std::vector<std::int64_t> axes(starts.size());
    for (std::size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<std::int64_t>(i);
    if (node.inputs.size() > 4) {
        const auto given = constant_input(graph, node, 4);
        if (!given) return std::nullopt;
        axes = given->as_i64();
    }
    if (stops.size() != starts.size() || steps.size() != starts.size() || axes.size() != starts.size())
        throw ModelError("layer '" + node.name + "' (Slice): start, stop, step and axes differ in length");

    // Per axis, the source indices the output takes.
    std::vector<std::vector<std::int64_t>> picks(data->shape.size());
    for (std::size_t a = 0; a < picks.size(); ++a)
        for (std::int64_t i = 0; i < data->shape[a]; ++i) picks[a].push_back(i);
    for (std::size_t i = 0; i < starts.size(); ++i) {
        const std::int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (axis < 0 || axis >= rank || steps[i] == 0)
            throw ModelError("layer '" + node.name + "' (Slice): bad axis or zero step");
        const std::int64_t dim = data->shape[static_cast<std::size_t>(axis)];
        const bool forward = steps[i] > 0;
        auto bound = [&](std::int64_t v) {
            if (v < 0) v += dim;
            return forward ? std::clamp<std::int64_t>(v, 0, dim) : std::clamp<std::int64_t>(v, -1, dim - 1);
        };
        auto& pick = picks[static_cast<std::size_t>(axis)];
        pick.clear();
        for (std::int64_t j = bound(starts[i]); forward ? j < bound(stops[i]) : j > bound(stops[i]); j += steps[i])
            pick.push_back(j);
    }

    HostTensor out{data->type, {}, {}};
    for (const auto& pick : picks) out.shape.push_back(static_cast<std::int64_t>(pick.size()));
    const std::size_t size = element_size(data->type);
    const std::size_t count = elements(out.shape);
    out.bytes.resize(count * size);
    std::vector<std::size_t> index(picks.size(), 0);  // odometer over the output
    for (std::size_t n = 0; n < count; ++n) {
        std::size_t source = 0;
        for (std::size_t a = 0; a < picks.size(); ++a)
            source = source * static_cast<std::size_t>(data->shape[a]) + static_cast<std::size_t>(picks[a][index[a]]);
        std::memcpy(out.bytes.data() + n * size, data->bytes.data() + source * size, size);
        for (std::size_t a = picks.size(); a-- > 0;) {
            if (++index[a] < picks[a].size()) break;
            index[a] = 0;
        }
    }
    return out;
}

std::optional<HostTensor> fold_concat(const Graph& graph, const Node& node) {
    std::vector<HostTensor> parts;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        auto part = constant_input(graph, node, i);
        if (!part) return std::nullopt;
        parts.push_back(std::move(*part));
    }
    if (parts.empty()) return std::nullopt;
    const auto rank = static_cast<std::int64_t>(parts[0].shape.size());
    std::int64_t axis = node.attrs.get_int("axis");
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) throw ModelError("layer '" + node.name + "' (Concat): axis out of range");

    HostTensor out{parts[0].type, parts[0].shape, {}};
    out.shape[static_cast<std::size_t>(axis)] = 0;
    for (const auto& part : parts) {
        if (part.type != out.type || part.shape.size() != out.shape.size())
            throw ModelError("layer '" + node.name + "' (Concat): inputs differ in type or rank");
        out.shape[static_cast<std::size_t>(axis)] += part.shape[static_cast<std::size_t>(axis)];
    }
    // Each input contributes a chunk of dim(axis) * inner elements per outer index.
    const Shape outer_dims(out.shape.begin(), out.shape.begin() + axis);
    const std::size_t outer = elements(outer_dims);
    const std::size_t size = element_size(out.type);
    for (std::size_t o = 0; o < outer; ++o)
        for (const auto& part : parts) {
            const std::size_t chunk = part.bytes.size() / outer;
            out.bytes.insert(out.bytes.end(), part.bytes.begin() + static_cast<std::ptrdiff_t>(o * chunk),
                             part.bytes.begin() + static_cast<std::ptrdiff_t>((o + 1) * chunk));
        }
    if (out.bytes.size() != elements(out.shape) * size)
        throw ModelError("layer '" + node.name + "' (Concat): inputs' shapes do not concatenate");
    return out;
}

const std::map<std::string, Folder>& folders() {
    static const std::map<std::string, Folder> table{
        {"Convert", fold_convert},
        {"ShapeOf", fold_shape_of},
        {"Slice", fold_slice},
        {"Concat", fold_concat},
    };
    return table;
}

// Turns `node` into a Const holding `value`, keeping its id, name and output tensor names, so that
// every consumer reads the Const without being rewired.
void become_constant(Node& node, HostTensor value) {
    const Port& declared = node.outputs.at(0);
    const bool static_shape = std::none_of(declared.shape.begin(), declared.shape.end(), [](auto d) { return d < 0; });
    if (static_shape && declared.shape != value.shape)
        throw ModelError("layer '" + node.name + "' (" + node.type + "): folds to " + shape_to_string(value.shape) +
                         " but its output port says " + shape_to_string(declared.shape));
    Port port{value.type, value.shape, declared.names, declared.layout};
    node.type = "Const";
    node.version = "opset1";
    node.attrs = Attributes{};
    node.attrs.set("element_type", std::string(to_string(value.type)));
    node.attrs.set("shape", join_ints(value.shape));
    node.inputs.clear();
    node.outputs = {std::move(port)};
    node.data = std::make_shared<const std::vector<std::uint8_t>>(std::move(value.bytes));
}

}  // namespace

std::size_t fold_constants(Graph& graph) {
    const auto& table = folders();
    std::size_t folded = 0;
    for (const auto id : graph.topological_order()) {
        Node& node = graph.at(id);
        const auto it = table.find(node.type);
        if (it == table.end() || node.outputs.size() != 1) continue;
        if (auto value = it->second(graph, node)) {
            become_constant(node, std::move(*value));
            ++folded;
        }
    }
    if (folded) graph.remove_dead_nodes();
    return folded;
}

}  // namespace detserve::graph
