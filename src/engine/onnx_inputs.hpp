#pragma once
// What an ONNX model says about its inputs, read straight from the protobuf wire format (Debian
// ships no protobuf library we could link), and whether a batch OpenCV reports as open really is.
// Field numbers are onnx/onnx.proto's.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detserve/tensor.hpp"

namespace detserve::engine {

struct OnnxInput {
    std::string name;
    int elem_type = 0;                    // TensorProto.DataType: 1 = FLOAT, 10 = FLOAT16, ...
    bool has_shape = false;               // false: the rank itself is unknown
    std::vector<std::int64_t> dims;       // -1 where symbolic (dim_param) or missing
    std::vector<std::string> dim_params;  // the symbol per dim ("N", "batch"), empty when fixed
};

// The graph's real inputs, in order: GraphProto.input minus the initializers that old exporters
// also list there. Throws std::runtime_error naming what is malformed; never reads out of bounds.
std::vector<OnnxInput> read_onnx_inputs(std::span<const std::uint8_t> model_bytes);

// Reads the file; errors start with its path.
std::vector<OnnxInput> read_onnx_inputs(const std::filesystem::path& onnx_path);

// "f32", "f16", "i64", ... (our short names); "type N" for one we do not know.
std::string onnx_elem_type_name(int elem_type);

// Text such as "input.1 f32 [N,3,416,416]" (a symbolic dim shows its dim_param).
std::string describe(const OnnxInput& input);

// The verdict of the load-time batch probe: a forward of two different images against a forward of
// the first one alone. OpenCV 4.6's ONNX importer folds Shape ops with a batch of 1, so a Reshape
// can pin the batch and a batched forward silently merges images.
struct BatchProbeVerdict {
    bool dynamic = false;
    std::string reason;  // why not, when not dynamic
};

// Dynamic only when every output of `batch_of_two` has dim 0 = 2, the rest of its shape equals the
// single forward's, and its item 0 equals the single forward within `relative_tolerance` x that
// output's max |value|.
BatchProbeVerdict judge_batch_probe(const NamedTensors& batch_of_two, const NamedTensors& batch_of_one,
                                    double relative_tolerance);

}  // namespace detserve::engine
