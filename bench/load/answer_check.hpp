#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace detserve::bench {

// What one answer says. error_kind is empty for a good answer, else one of the kinds below
// (plus connect_error, timeout, read_error… which the HTTP sender assigns before a body exists).
struct AnswerVerdict {
    std::string error_kind;
    std::optional<int> batch_size;           // native answers: "batch_size"
    std::optional<double> server_total_ms;   // native answers: "timing_ms.total"

    bool ok() const { return error_kind.empty(); }
};

// Error kinds assigned from the body.
inline constexpr std::string_view kBadJson = "bad_json";          // not JSON, or not an object
inline constexpr std::string_view kBadShape = "bad_shape";        // no detections/predictions/outputs array
inline constexpr std::string_view kNotSuccess = "success_false";  // DeepStack {"success": false}
inline constexpr std::string_view kNoDetections = "no_detections";

// "http_503" for status 503.
std::string http_status_kind(int status);

// HTTP 200; a JSON object with an array "detections" (native), "predictions" (DeepStack, and
// "success" not false) or "outputs" (KServe v2); with expect_detections, that array non-empty.
AnswerVerdict check_answer(int status, std::string_view body, bool expect_detections);

}  // namespace detserve::bench
