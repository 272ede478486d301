// The OpenVINO IR reader on model.xml + model.bin, then what the converter does with the graph
// (constant folding, the optimisation passes, serialisation back to IR).
// Input: 4 bytes little-endian = the xml's length (clamped to what there is), the xml, the bin.
#include <span>
#include <string_view>

#include "detserve/graph/ir_reader.hpp"
#include "detserve/graph/ir_writer.hpp"
#include "detserve/graph/passes.hpp"
#include "fuzz_targets.hpp"
#include "input_split.hpp"

namespace detserve::fuzz {

int fuzz_ir_reader(const std::uint8_t* data, std::size_t size) {
    const auto [xml, bin_text] = split_length_prefixed(data, size);
    const std::span<const std::uint8_t> bin(reinterpret_cast<const std::uint8_t*>(bin_text.data()), bin_text.size());
    try {
        graph::Graph g = graph::read_ir_from_memory(xml, bin, "fuzz.xml");
        graph::fold_constants(g);
        graph::optimize(g);
        const graph::IrFiles files = graph::serialize_ir(g);
        graph::read_ir_from_memory(files.xml, files.bin, "fuzz-roundtrip.xml");
    } catch (const graph::ModelError&) {
    }
    return 0;
}

}  // namespace detserve::fuzz
