#pragma once
// OpenVINO IR v10/v11 reader: model.xml (topology, attributes, port types and shapes) plus
// model.bin (the constants' bytes) into a Graph.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "detserve/graph/element_type.hpp"
#include "detserve/graph/graph.hpp"

namespace detserve::graph {

// Weights are read from the same path with the extension replaced by ".bin"; a model without
// Const layers may have no .bin. Throws ModelError naming the file and the layer.
Graph read_ir(const std::filesystem::path& xml_path);
Graph read_ir(const std::filesystem::path& xml_path, const std::filesystem::path& bin_path);

// For tests and in-memory conversion; `source_name` is what error messages call the file.
Graph read_ir_from_memory(std::string_view xml, std::span<const std::uint8_t> bin, const std::string& source_name);

// The port `precision` spellings of IR v11 ("FP32", "I64", "BOOL", ...). The reader also accepts
// the element type names ("f32", "boolean", ...) that some writers put there.
std::optional<ElementType> element_type_from_ir_precision(std::string_view precision);
std::string_view ir_precision_name(ElementType type);

}  // namespace detserve::graph
