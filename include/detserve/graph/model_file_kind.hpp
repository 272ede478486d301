#pragma once
// What a model file holds, told from its bytes rather than its name: a file saved with the wrong
// extension (an HTML page downloaded as .onnx), an empty or a truncated file.
#include <cstdint>
#include <span>
#include <string>

namespace detserve::graph {

enum class ModelFormat { openvino_ir, onnx, unknown };

struct ModelFileKind {
    ModelFormat format = ModelFormat::unknown;
    // For `unknown`: what the bytes are instead, to follow "not an ONNX file: " in a message
    // ("the file is empty", "it is an HTML page", "its protobuf is cut short: ...").
    std::string what;
};

// An OpenVINO IR is XML whose root element is <net> (the XML declaration, comments and leading
// whitespace before it are allowed); an ONNX file is a protobuf ModelProto: every top-level field
// well-formed and inside the file, ir_version a varint, a graph and its opset_import present
// (onnx/onnx.proto).
ModelFileKind model_file_kind(std::span<const std::uint8_t> content);

}  // namespace detserve::graph
