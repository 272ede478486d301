#include "result_json.hpp"

#include <cmath>

#include "detserve/detect/detection_json.hpp"

namespace detserve::server {
namespace {

double round3(double ms) { return std::round(ms * 1000.0) / 1000.0; }

}  // namespace

nlohmann::ordered_json result_to_json(const pipeline::DetectResult& result) {
    const auto& t = result.timing_ms;
    nlohmann::ordered_json out;
    out["image"] = {{"width", result.width}, {"height", result.height}};
    out["detections"] = detect::detections_to_json(result.detections);
    out["timing_ms"] = {{"decode", round3(t.decode)},         {"preprocess", round3(t.preprocess)},
                        {"queue", round3(t.queue)},           {"inference", round3(t.inference)},
                        {"postprocess", round3(t.postprocess)}, {"total", round3(t.total)}};
    out["batch_size"] = result.batch_size;
    return out;
}

}  // namespace detserve::server
