#pragma once
// Graph transformations. Each returns how many rewrites it made, so callers can iterate to a
// fixed point and tests can assert that a pass really fired.
#include <cstddef>

#include "detserve/graph/graph.hpp"

namespace detserve::graph {

// Moves Transposes towards the outputs through elementwise ops, Pad and Concat, merging
// consecutive ones and dropping identities: NHWC islands of converted models cancel out.
std::size_t sink_transposes(Graph& graph);

// Folds zero Pads into the Convolution after them (and lowest-value Pads into MaxPool).
std::size_t fuse_pads(Graph& graph);

// Replaces what is known before inference by Consts: Convert of a constant (an OpenVINO
// converter's f16-compressed weights), ShapeOf of a static shape, Slice and Concat of constants.
// The folded node keeps its id, name and tensor names; producers left unused are removed.
std::size_t fold_constants(Graph& graph);

// Names every Result's producing port after the Result when it has no tensor names.
void name_result_ports(Graph& graph);

// The converter's pipeline: sink_transposes to a fixed point, fuse_pads, remove_dead_nodes,
// name_result_ports.
void optimize(Graph& graph);

}  // namespace detserve::graph
