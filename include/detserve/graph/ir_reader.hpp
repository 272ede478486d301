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

// What a missing weights file means. `required`: the model is refused, naming the .bin (a model
// without Const layers needs none). `optional`: the topology is read anyway, every Const keeping
// its element type and shape but no bytes (Node::data null): enough to describe the model
// (`detserve info`), not to run, fold or write it.
enum class WeightsPolicy { required, optional };

// The .bin beside an .xml: the same path with the extension replaced.
std::filesystem::path ir_weights_path(const std::filesystem::path& xml_path);

// Weights are read from ir_weights_path(xml_path) unless given. Throws ModelError naming the file
// and the layer.
Graph read_ir(const std::filesystem::path& xml_path, WeightsPolicy policy = WeightsPolicy::required);
Graph read_ir(const std::filesystem::path& xml_path, const std::filesystem::path& bin_path,
              WeightsPolicy policy = WeightsPolicy::required);

// For tests and in-memory conversion; `source_name` is what error messages call the file.
Graph read_ir_from_memory(std::string_view xml, std::span<const std::uint8_t> bin, const std::string& source_name);

// The port `precision` spellings of IR v11 ("FP32", "I64", "U32", "BOOL", ...). The reader also
// accepts the element type names ("f32", "boolean", ...) that some writers put there.
std::optional<ElementType> element_type_from_ir_precision(std::string_view precision);
std::string_view ir_precision_name(ElementType type);

}  // namespace detserve::graph
