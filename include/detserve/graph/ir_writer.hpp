#pragma once
// OpenVINO IR v11 writer. Output is deterministic: serialising what the reader gives back from
// serialize_ir(g) yields the same bytes again.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "detserve/graph/graph.hpp"

namespace detserve::graph {

struct IrFiles {
    std::string xml;
    std::vector<std::uint8_t> bin;
};

// Layers in topological order keeping the node ids; Const bytes concatenated in that order, with
// each Const's `offset` and `size` attributes rewritten to where its bytes went.
IrFiles serialize_ir(const Graph& graph);

// Writes xml_path and the .bin beside it, creating parent directories. Throws ModelError.
void write_ir(const Graph& graph, const std::filesystem::path& xml_path);

}  // namespace detserve::graph
