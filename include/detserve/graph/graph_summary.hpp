#pragma once
// A human-readable look at a Graph, for `detserve info` and logs.
#include <map>
#include <string>

#include "detserve/graph/graph.hpp"

namespace detserve::graph {

// Number of nodes per op type ("Convolution" -> 60).
std::map<std::string, int> op_counts(const Graph& graph);

// Several lines: model name, inputs and outputs (name, element type, shape), op counts and the
// rt_info model_info entries, e.g.
//   inputs: images f32 [1,3,416,416]
//   outputs: output0 f32 [1,10647,85]
//   ops: Const×158 Convert×135 Add×70 Convolution×60 ...
//   model_info: model_type=yolov5 labels=person bicycle ...
std::string describe_graph(const Graph& graph);

}  // namespace detserve::graph
