// The KServe v2 request body (src/server/kserve_codec.cpp): the split at
// Inference-Header-Content-Length, the JSON header, the binary tensor data extension, and the
// response encoded for what the request asked (JSON or binary outputs).
// Input: the first line is the Inference-Header-Content-Length value ("-" = header not sent);
// the rest is the body.
#include "detserve/detect/detection.hpp"
#include "fuzz_targets.hpp"
#include "input_split.hpp"
#include "kserve_codec.hpp"

namespace detserve::fuzz {

int fuzz_kserve_codec(const std::uint8_t* data, std::size_t size) {
    const auto [header_line, body] = split_first_line({reinterpret_cast<const char*>(data), size});
    std::optional<std::string> header_length;
    if (header_line != "-") header_length = std::string(header_line);
    try {
        const auto parts = server::kserve::split_body(body, header_length);
        const auto request = server::kserve::parse_infer_request(parts.json, parts.binary);
        detect::Detection dog;
        dog.class_id = 16;
        dog.label = "dog";
        dog.score = 0.9f;
        const auto outputs = server::kserve::detection_outputs({dog});
        server::kserve::check_requested_outputs(request.outputs, outputs);
        server::kserve::encode_infer_response("nanodet", request.id.value_or("fuzz"), nlohmann::ordered_json::object(),
                                              outputs, request);
    } catch (const server::ApiError&) {
    }
    return 0;
}

}  // namespace detserve::fuzz
