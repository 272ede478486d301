#pragma once
// The fuzz targets: each takes arbitrary bytes and feeds them to one input reader the way the
// service does. A target never crashes, hangs or leaks on any input; it returns 0. The readers'
// own errors (ModelError, ApiError, ImageError, ConfigError, ...) are expected and caught; any
// other exception escaping is a finding.
//
// libFuzzer calls them through fuzz/libfuzzer_entry.cpp (scripts/fuzz.sh); the GoogleTest
// tests/fuzz/test_fuzz_regressions.cpp replays fuzz/regressions/ and fuzz/corpus/ with them.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace detserve::fuzz {

int fuzz_ir_reader(const std::uint8_t* data, std::size_t size);
int fuzz_tfjs_importer(const std::uint8_t* data, std::size_t size);
int fuzz_onnx_inputs(const std::uint8_t* data, std::size_t size);
int fuzz_detect_request(const std::uint8_t* data, std::size_t size);
int fuzz_image_decode(const std::uint8_t* data, std::size_t size);
int fuzz_kserve_codec(const std::uint8_t* data, std::size_t size);
int fuzz_serve_config(const std::uint8_t* data, std::size_t size);
int fuzz_http_request(const std::uint8_t* data, std::size_t size);
int fuzz_model_metadata(const std::uint8_t* data, std::size_t size);

struct FuzzTarget {
    std::string_view name;  // also the folder under fuzz/corpus/ and fuzz/regressions/
    int (*run)(const std::uint8_t* data, std::size_t size);
};

inline constexpr FuzzTarget kFuzzTargets[] = {
    {"ir_reader", fuzz_ir_reader},           {"tfjs_importer", fuzz_tfjs_importer},
    {"onnx_inputs", fuzz_onnx_inputs},       {"detect_request", fuzz_detect_request},
    {"image_decode", fuzz_image_decode},     {"kserve_codec", fuzz_kserve_codec},
    {"serve_config", fuzz_serve_config},     {"http_request", fuzz_http_request},
    {"model_metadata", fuzz_model_metadata},
};

}  // namespace detserve::fuzz
