#pragma once
// Imports a TensorFlow.js graph model (model.json + weight shards) into a Graph of opset ops with
// NCHW semantics. Constant subgraphs are evaluated at import time; an op that cannot be mapped is
// an error naming the op and the node.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detserve/graph/graph.hpp"

namespace detserve::graph {

Graph import_tfjs_graph_model(const std::filesystem::path& model_json);

// `weights` is the concatenation of every shard in manifest order; `source_name` names the model
// in error messages.
Graph import_tfjs_graph_model(const nlohmann::json& model, const std::vector<std::uint8_t>& weights,
                              const std::string& source_name);

}  // namespace detserve::graph
