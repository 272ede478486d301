// The ONNX input reader (protobuf wire format, src/engine/onnx_inputs.cpp) on a model file's bytes.
#include <span>

#include "../../src/engine/onnx_inputs.hpp"
#include "fuzz_targets.hpp"

namespace detserve::fuzz {

int fuzz_onnx_inputs(const std::uint8_t* data, std::size_t size) {
    try {
        for (const auto& input : engine::read_onnx_inputs(std::span<const std::uint8_t>(data, size)))
            engine::describe(input);
    } catch (const std::runtime_error&) {
    }
    return 0;
}

}  // namespace detserve::fuzz
