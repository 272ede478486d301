// libFuzzer's entry point for one target; DETSERVE_FUZZ_TARGET names its function
// (fuzz/CMakeLists.txt compiles this file once per target).
#include "targets/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return detserve::fuzz::DETSERVE_FUZZ_TARGET(data, size);
}
