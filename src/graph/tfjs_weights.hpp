#pragma once
// Decodes a TFJS weights manifest into named constants (float16/uint8-quantized weights widened).
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host_tensor.hpp"

namespace detserve::graph {

std::map<std::string, HostTensor> decode_tfjs_weights(const nlohmann::json& manifest,
                                                     const std::vector<std::uint8_t>& weights,
                                                     const std::string& source_name);

}  // namespace detserve::graph
