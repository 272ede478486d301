// The TensorFlow.js graph-model importer on model.json + its weight shards (concatenated), as
// scripts/fetch-default-model.sh's conversion runs it.
// Input: 4 bytes little-endian = model.json's length (clamped), model.json, the weights.
#include <nlohmann/json.hpp>

#include "detserve/graph/tfjs_importer.hpp"
#include "fuzz_targets.hpp"
#include "input_split.hpp"

namespace detserve::fuzz {

int fuzz_tfjs_importer(const std::uint8_t* data, std::size_t size) {
    const auto [json_text, weight_bytes] = split_length_prefixed(data, size);
    // import_tfjs_graph_model(path) rejects text that is not JSON before the importer sees it.
    nlohmann::json model = nlohmann::json::parse(json_text, nullptr, false);
    if (model.is_discarded()) return 0;
    const std::vector<std::uint8_t> weights(weight_bytes.begin(), weight_bytes.end());
    try {
        graph::import_tfjs_graph_model(model, weights, "fuzz.json");
    } catch (const graph::ModelError&) {
    }
    return 0;
}

}  // namespace detserve::fuzz
