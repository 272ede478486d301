#include <algorithm>
#include <set>

#include "detserve/graph/passes.hpp"
#include "host_tensor.hpp"

namespace detserve::graph {
namespace {

using Perm = std::vector<std::int64_t>;

const std::set<std::string> kUnaryElementwise{"Sigmoid", "Relu", "Convert", "Clamp", "Tanh", "Exp", "Swish", "HSwish"};
const std::set<std::string> kBinaryElementwise{"Add", "Multiply", "Subtract", "Divide", "Maximum", "Minimum"};

const Node* const_producer(const Graph& graph, const Source& source) {
    const Node* node = graph.find(source.node);
    return node && node->is("Const") ? node : nullptr;
}

bool is_permutation_of_rank(const Perm& perm, std::size_t rank) {
    if (perm.size() != rank) return false;
    std::vector<bool> seen(rank, false);
    for (const auto axis : perm) {
        if (axis < 0 || static_cast<std::size_t>(axis) >= rank || seen[static_cast<std::size_t>(axis)]) return false;
        seen[static_cast<std::size_t>(axis)] = true;
    }
    return true;
}

// The permutation of a Transpose whose order input is a Const and a permutation of its input's
// axes (a file may say anything; the rules below index shapes with it); nullopt otherwise.
std::optional<Perm> transpose_perm(const Graph& graph, const Node& node) {
    if (!node.is("Transpose") || node.inputs.size() != 2 || node.outputs.size() != 1) return std::nullopt;
    const Node* order = const_producer(graph, node.inputs[1].source);
    if (!order || !order->data) return std::nullopt;
    Perm perm = const_as_i64(*order);
    const std::size_t rank = graph.port_of(node.inputs[0].source).shape.size();
    if (!is_permutation_of_rank(perm, rank) || node.outputs[0].shape.size() != rank) return std::nullopt;
    return perm;
}

const Node* transpose_feeding(const Graph& graph, const Node& node, std::size_t input) {
    if (input >= node.inputs.size()) return nullptr;
    const Node* producer = graph.find(node.inputs[input].source.node);
    return producer && transpose_perm(graph, *producer) ? producer : nullptr;
}

Perm inverse(const Perm& perm) {
    Perm inv(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) inv[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
    return inv;
}

bool is_identity(const Perm& perm) {
    for (std::size_t i = 0; i < perm.size(); ++i)
        if (perm[i] != static_cast<std::int64_t>(i)) return false;
    return true;
}

Shape permute_shape(const Shape& shape, const Perm& perm) {
    Shape out(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) out[i] = shape[static_cast<std::size_t>(perm[i])];
    return out;
}

Source add_const(Graph& graph, Node constant) { return Source{graph.add_node(std::move(constant)).id, 0}; }

Source add_transpose(Graph& graph, const Source& input, const Perm& perm, const std::string& name) {
    const Source order = add_const(graph, make_const_i64(name + "/order", {static_cast<std::int64_t>(perm.size())}, perm));
    Node t;
    t.name = name;
    t.type = "Transpose";
    const Port in = graph.port_of(input);
    t.inputs.push_back({input, in});
    t.inputs.push_back({order, graph.port_of(order)});
    t.outputs.push_back(Port{in.type, permute_shape(in.shape, perm), {}, {}});
    return Source{graph.add_node(std::move(t)).id, 0};
}

// Clones `node` with new inputs and output shapes, returns the clone's id.
std::int64_t clone_with(Graph& graph, const Node& node, const std::vector<Source>& inputs, const std::vector<Shape>& shapes,
                        const std::string& suffix) {
    Node copy = node;
    copy.id = -1;
    copy.name = node.name + suffix;
    copy.inputs.clear();
    for (const auto& source : inputs) copy.inputs.push_back({source, graph.port_of(source)});
    for (std::size_t i = 0; i < copy.outputs.size(); ++i) {
        copy.outputs[i].shape = shapes[i];
        copy.outputs[i].names.clear();
    }
    return graph.add_node(std::move(copy)).id;
}

// Replaces every use of `node`'s output 0 by Transpose(clone, perm).
void finish_sink(Graph& graph, std::int64_t node_id, std::int64_t clone_id, const Perm& perm, const std::string& name) {
    const Source t = add_transpose(graph, Source{clone_id, 0}, perm, name + "/sunk_transpose");
    graph.replace_uses(Source{node_id, 0}, t);
}

// Transpose(Transpose(x, p1), p2) == Transpose(x, p1[p2[i]]).
bool merge_transposes(Graph& graph, const Node& node) {
    const auto outer = transpose_perm(graph, node);
    if (!outer) return false;
    const Node* inner_node = transpose_feeding(graph, node, 0);
    if (!inner_node) return false;
    const Perm inner = *transpose_perm(graph, *inner_node);
    if (inner.size() != outer->size()) return false;
    Perm merged(outer->size());
    for (std::size_t i = 0; i < merged.size(); ++i) merged[i] = inner[static_cast<std::size_t>((*outer)[i])];
    const Source x = inner_node->inputs[0].source;
    const std::int64_t id = node.id;
    const std::string name = node.name;
    if (is_identity(merged)) {
        graph.replace_uses(Source{id, 0}, x);
    } else {
        const Source t = add_transpose(graph, x, merged, name + "/merged");
        graph.replace_uses(Source{id, 0}, t);
    }
    return true;
}

bool sink_through_unary(Graph& graph, const Node& node) {
    const bool scalar_prelu = node.is("PRelu") && [&] {
        const Node* slope = const_producer(graph, node.inputs[1].source);
        return slope && shape_elements(slope->outputs[0].shape) == 1;
    }();
    if (!kUnaryElementwise.count(node.type) && !scalar_prelu) return false;
    const Node* t = transpose_feeding(graph, node, 0);
    if (!t) return false;
    const Perm perm = *transpose_perm(graph, *t);
    std::vector<Source> inputs{t->inputs[0].source};
    for (std::size_t i = 1; i < node.inputs.size(); ++i) inputs.push_back(node.inputs[i].source);
    const Shape shape = graph.port_of(t->inputs[0].source).shape;
    const std::int64_t clone = clone_with(graph, node, inputs, {shape}, "/nchw");
    finish_sink(graph, node.id, clone, perm, graph.at(clone).name);
    return true;
}

// op(Transpose(x, p), c) == Transpose(op(x, c'), p) with c' = c brought to x's axis order.
bool sink_through_binary(Graph& graph, const Node& node) {
    if (!kBinaryElementwise.count(node.type) || node.inputs.size() != 2) return false;
    for (std::size_t side = 0; side < 2; ++side) {
        const Node* t = transpose_feeding(graph, node, side);
        const Node* other_t = transpose_feeding(graph, node, 1 - side);
        const Node* constant = const_producer(graph, node.inputs[1 - side].source);
        if (!t || (!constant && !other_t)) continue;
        const Perm perm = *transpose_perm(graph, *t);
        const std::size_t rank = perm.size();
        // Copied now: add_const below may grow the node list and leave `t` dangling.
        const Source x = t->inputs[0].source;
        Source other;
        if (constant) {
            const Shape& cshape = constant->outputs[0].shape;
            if (cshape.size() > rank) continue;
            HostTensor c{constant->outputs[0].type, cshape, *constant->data};
            c.shape.insert(c.shape.begin(), static_cast<std::ptrdiff_t>(rank - cshape.size()), 1);
            HostTensor moved = transpose_host(c, inverse(perm));
            other = add_const(graph, make_const(constant->name + "/transposed", moved.type, moved.shape, std::move(moved.bytes)));
        } else {
            if (*transpose_perm(graph, *other_t) != perm) continue;
            other = other_t->inputs[0].source;
        }
        std::vector<Source> inputs(2);
        inputs[side] = x;
        inputs[1 - side] = other;
        const Shape x_shape = graph.port_of(inputs[side]).shape;
        const Shape o_shape = graph.port_of(inputs[1 - side]).shape;
        Shape shape(rank);
        for (std::size_t i = 0; i < rank; ++i) {
            const auto a = x_shape[i], b = i < o_shape.size() ? o_shape[i] : 1;
            shape[i] = a == 1 ? b : a;
        }
        const std::int64_t clone = clone_with(graph, node, inputs, {shape}, "/nchw");
        finish_sink(graph, node.id, clone, perm, graph.at(clone).name);
        return true;
    }
    return false;
}

bool sink_through_concat(Graph& graph, const Node& node) {
    if (!node.is("Concat") || node.inputs.empty()) return false;
    std::optional<Perm> perm;
    std::vector<Source> inputs;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        const Node* t = transpose_feeding(graph, node, i);
        if (!t) return false;
        const Perm p = *transpose_perm(graph, *t);
        if (perm && *perm != p) return false;
        perm = p;
        inputs.push_back(t->inputs[0].source);
    }
    auto axis = node.attrs.get_int("axis");
    if (axis < 0) axis += static_cast<std::int64_t>(perm->size());
    if (axis < 0 || static_cast<std::size_t>(axis) >= perm->size()) return false;
    const std::int64_t new_axis = (*perm)[static_cast<std::size_t>(axis)];
    Shape shape = graph.port_of(inputs[0]).shape;
    for (std::size_t i = 1; i < inputs.size(); ++i) shape[static_cast<std::size_t>(new_axis)] += graph.port_of(inputs[i]).shape[static_cast<std::size_t>(new_axis)];
    const std::int64_t clone = clone_with(graph, node, inputs, {shape}, "/nchw");
    graph.at(clone).attrs.set("axis", std::to_string(new_axis));
    finish_sink(graph, node.id, clone, *perm, graph.at(clone).name);
    return true;
}

bool sink_through_pad(Graph& graph, const Node& node) {
    if (!node.is("Pad") || node.inputs.size() < 3 || node.attrs.get_string_or("pad_mode", "constant") != "constant") return false;
    const Node* t = transpose_feeding(graph, node, 0);
    const Node* begin_node = const_producer(graph, node.inputs[1].source);
    const Node* end_node = const_producer(graph, node.inputs[2].source);
    if (!t || !begin_node || !end_node) return false;
    const Perm perm = *transpose_perm(graph, *t);
    if (!begin_node->data || !end_node->data) return false;
    const auto begin = const_as_i64(*begin_node), end = const_as_i64(*end_node);
    if (begin.size() != perm.size() || end.size() != perm.size()) return false;
    std::vector<std::int64_t> new_begin(perm.size()), new_end(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) {
        new_begin[static_cast<std::size_t>(perm[i])] = begin[i];
        new_end[static_cast<std::size_t>(perm[i])] = end[i];
    }
    std::vector<Source> inputs{t->inputs[0].source,
                               add_const(graph, make_const_i64(node.name + "/pads_begin_nchw", {static_cast<std::int64_t>(perm.size())}, new_begin)),
                               add_const(graph, make_const_i64(node.name + "/pads_end_nchw", {static_cast<std::int64_t>(perm.size())}, new_end))};
    for (std::size_t i = 3; i < node.inputs.size(); ++i) inputs.push_back(node.inputs[i].source);
    Shape shape = graph.port_of(inputs[0]).shape;
    for (std::size_t i = 0; i < shape.size(); ++i)
        if (shape[i] >= 0) shape[i] += new_begin[i] + new_end[i];
    const std::int64_t clone = clone_with(graph, node, inputs, {shape}, "/nchw");
    finish_sink(graph, node.id, clone, perm, graph.at(clone).name);
    return true;
}

}  // namespace

std::size_t sink_transposes(Graph& graph) {
    using Rule = bool (*)(Graph&, const Node&);
    static constexpr Rule kRules[] = {merge_transposes, sink_through_unary, sink_through_binary, sink_through_concat,
                                      sink_through_pad};
    std::size_t rewrites = 0;
    for (bool changed = true; changed;) {
        changed = false;
        graph.remove_dead_nodes();
        for (const std::int64_t id : graph.topological_order()) {
            const Node* node = graph.find(id);
            if (!node || graph.consumers(Source{id, 0}).empty()) continue;
            const Node snapshot = *node;  // rules add nodes, which may move the vector
            for (Rule rule : kRules) {
                if (rule(graph, snapshot)) {
                    ++rewrites;
                    changed = true;
                    break;
                }
            }
            if (changed) break;
        }
    }
    graph.remove_dead_nodes();
    return rewrites;
}

void name_result_ports(Graph& graph) {
    for (const auto& node : graph.nodes()) {
        if (!node.is("Result") || node.inputs.empty()) continue;
        const Source source = node.inputs[0].source;
        Node& producer = graph.at(source.node);
        auto& port = producer.outputs[static_cast<std::size_t>(source.port)];
        if (port.names.empty()) port.names = node.name;
    }
}

void optimize(Graph& graph) {
    sink_transposes(graph);
    fuse_pads(graph);
    graph.remove_dead_nodes();
    name_result_ports(graph);
}

}  // namespace detserve::graph
