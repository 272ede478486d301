#pragma once
// KServe v2 (Open Inference Protocol) REST bodies, without a server: the JSON inference request
// with the binary tensor data extension in, the inference response (JSON or binary outputs) out.
// Pure functions; a malformed request throws ApiError 400 "invalid_request" naming the field.
//
// Spec: kserve/kserve docs/predict-api/v2/required_api.md and the binary tensor data extension
// (Triton's extension_binary_data.md): `Inference-Header-Content-Length` gives the JSON size, the
// tensors' bytes follow it in the order of the inputs with `parameters.binary_data_size`; a BYTES
// element is a 4-byte little-endian length and then its bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "detserve/detect/detection.hpp"
#include "detserve/server/api_error.hpp"

namespace detserve::server::kserve {

// The header of the binary tensor data extension.
inline constexpr const char* kHeaderLengthHeader = "Inference-Header-Content-Length";

struct BodyParts {
    std::string_view json;
    std::string_view binary;  // empty without the extension
};

// Splits a request body at `header_length` (the header's text; nullopt when it was not sent).
// The length must be a decimal integer no larger than the body.
BodyParts split_body(std::string_view body, const std::optional<std::string>& header_length);

// The elements of a BYTES tensor in binary form, as views into `data`. Throws when a length prefix
// is cut short or a length runs past the end.
std::vector<std::string_view> decode_bytes_elements(std::string_view data);
std::string encode_bytes_elements(const std::vector<std::string>& elements);

// Standard base64 (RFC 4648 §4), padding optional; throws std::invalid_argument on any other text.
std::string base64_decode(std::string_view text);

struct InferInput {
    std::string name, datatype;
    std::vector<std::int64_t> shape;
    std::vector<std::string> elements;  // one per BYTES element, decoded
};

struct RequestedOutput {
    std::string name;
    std::optional<bool> binary;  // parameters.binary_data; nullopt follows binary_data_output
};

struct InferRequest {
    std::optional<std::string> id;
    nlohmann::json parameters = nlohmann::json::object();  // the request's, as sent
    std::vector<InferInput> inputs;
    std::vector<RequestedOutput> outputs;  // empty: every output
    bool binary_data_output = false;       // parameters.binary_data_output
};

// Parses the JSON header and takes each binary input's bytes from `binary`, in order. Only BYTES
// inputs are accepted (JSON data: base64 strings or {"b64": …} objects). A single input without
// data or binary_data_size takes all of `binary` (as OpenVINO Model Server allows): length-prefixed,
// or one JPEG/PNG without a prefix. Bytes left over after the last input are an error.
InferRequest parse_infer_request(std::string_view json_text, std::string_view binary);

struct OutputTensor {
    std::string name, datatype;  // "FP32", "INT32", "BYTES"
    std::vector<std::int64_t> shape;
    std::variant<std::vector<float>, std::vector<std::int32_t>, std::vector<std::string>> data;
};

// Throws ApiError 400 naming the unknown output and the available ones.
void check_requested_outputs(const std::vector<RequestedOutput>& requested, const std::vector<OutputTensor>& available);

struct EncodedResponse {
    std::string body;
    std::optional<std::size_t> header_length;  // set when binary tensor data follows the JSON
};

// $inference_response with `outputs` (the requested ones in their order, else all), each as JSON
// data or, when asked, as binary data after the JSON with parameters.binary_data_size;
// `parameters` are the response's own (left out when empty).
EncodedResponse encode_infer_response(const std::string& model_name, const std::string& id,
                                      const nlohmann::ordered_json& parameters, const std::vector<OutputTensor>& outputs,
                                      const InferRequest& request);

// One image's detections as tensors: boxes FP32 [N,4] (x_min, y_min, x_max, y_max in pixels of
// the image), scores FP32 [N], class_ids INT32 [N], labels BYTES [N].
std::vector<OutputTensor> detection_outputs(const std::vector<detect::Detection>& detections);

}  // namespace detserve::server::kserve
