#include "detserve/detect/detection_json.hpp"

#include <cmath>

namespace detserve::detect {
namespace {

// Two decimals: sub-pixel noise is not information, and answers stay short.
double round2(float value) { return std::round(static_cast<double>(value) * 100.0) / 100.0; }

}  // namespace

nlohmann::ordered_json detections_to_json(const std::vector<Detection>& detections) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& d : detections) {
        out.push_back({{"label", d.label},
                       {"class_id", d.class_id},
                       {"score", std::round(static_cast<double>(d.score) * 10000.0) / 10000.0},
                       {"box",
                        {{"x_min", round2(d.box.x_min)},
                         {"y_min", round2(d.box.y_min)},
                         {"x_max", round2(d.box.x_max)},
                         {"y_max", round2(d.box.y_max)}}}});
    }
    return out;
}

}  // namespace detserve::detect
