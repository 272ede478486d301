#include <cmath>
#include <limits>

#include "detserve/graph/passes.hpp"

namespace detserve::graph {
namespace {

struct SpatialPad {
    std::vector<std::int64_t> begin, end;  // H, W
    float value = 0;
};

// A constant Pad of a 4-D NCHW tensor that pads only H and W, by non-negative amounts.
std::optional<SpatialPad> spatial_pad(const Graph& graph, const Node& pad) {
    if (!pad.is("Pad") || pad.inputs.size() < 3 || pad.attrs.get_string_or("pad_mode", "constant") != "constant")
        return std::nullopt;
    const Node* begin = graph.find(pad.inputs[1].source.node);
    const Node* end = graph.find(pad.inputs[2].source.node);
    if (!begin || !end || !begin->is("Const") || !end->is("Const")) return std::nullopt;
    const auto b = const_as_i64(*begin), e = const_as_i64(*end);
    if (b.size() != 4 || e.size() != 4 || b[0] || b[1] || e[0] || e[1]) return std::nullopt;
    for (auto v : {b[2], b[3], e[2], e[3]})
        if (v < 0) return std::nullopt;
    SpatialPad out{{b[2], b[3]}, {e[2], e[3]}, 0.0f};
    if (pad.inputs.size() > 3) {
        const Node* value = graph.find(pad.inputs[3].source.node);
        if (!value || !value->is("Const")) return std::nullopt;
        out.value = const_as_f32(*value).at(0);
    }
    return out;
}

bool fuses_into(const Node& consumer, float pad_value) {
    if (consumer.is("Convolution") || consumer.is("GroupConvolution")) return pad_value == 0.0f;
    // Max pooling ignores padded cells, which equals padding with -infinity (or the lowest float).
    if (consumer.is("MaxPool")) return std::isinf(pad_value) ? pad_value < 0 : pad_value <= std::numeric_limits<float>::lowest();
    return false;
}

}  // namespace

std::size_t fuse_pads(Graph& graph) {
    std::size_t fused = 0;
    for (auto& consumer : graph.nodes()) {
        if (consumer.inputs.empty()) continue;
        const Node* pad = graph.find(consumer.inputs[0].source.node);
        if (!pad) continue;
        const auto spatial = spatial_pad(graph, *pad);
        if (!spatial || !fuses_into(consumer, spatial->value)) continue;
        if (consumer.attrs.get_string_or("auto_pad", "explicit") != "explicit") continue;
        auto begin = consumer.attrs.get_ints("pads_begin");
        auto end = consumer.attrs.get_ints("pads_end");
        if (begin.size() != 2 || end.size() != 2) continue;  // not a 2-D convolution or pool
        for (std::size_t i = 0; i < 2; ++i) {
            begin[i] += spatial->begin[i];
            end[i] += spatial->end[i];
        }
        consumer.attrs.set("pads_begin", join_ints(begin));
        consumer.attrs.set("pads_end", join_ints(end));
        consumer.inputs[0] = pad->inputs[0];
        ++fused;
    }
    graph.remove_dead_nodes();
    return fused;
}

}  // namespace detserve::graph
