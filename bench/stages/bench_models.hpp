#pragma once
// Compiled copies of the default model, one per engine stream, compiled on first use and kept for
// the whole run (compiling takes longer than a forward). A CompiledModel is not thread-safe: a
// stream's copy is used by one thread at a time.
#include <cstddef>

#include "detserve/engine/engine.hpp"

namespace detserve::bench {

// Copy `stream` (0, 1, ...) of the default model on the CPU target. Throws MissingInput.
engine::CompiledModel& compiled_model(std::size_t stream);

}  // namespace detserve::bench
