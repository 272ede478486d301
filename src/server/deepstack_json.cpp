#include "deepstack_json.hpp"

#include <algorithm>
#include <cmath>

namespace detserve::server::deepstack {
namespace {

int pixel(float value, int limit) {
    const long rounded = std::lround(static_cast<double>(value));
    return static_cast<int>(std::clamp<long>(rounded, 0, std::max(limit, 0)));
}

long whole_ms(double ms) { return std::lround(ms); }

// CodeProject.AI's summary line: "Found bicycle, dog" (each label once, most confident first).
std::string message_for(const nlohmann::ordered_json& predictions) {
    if (predictions.empty()) return "No objects found";
    std::vector<std::string> labels;
    for (const auto& p : predictions) {
        const auto label = p["label"].get<std::string>();
        if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
    }
    std::string message = "Found ";
    for (std::size_t i = 0; i < labels.size(); ++i) message += (i ? ", " : "") + labels[i];
    return message;
}

}  // namespace

nlohmann::ordered_json predictions_json(const pipeline::DetectResult& result) {
    std::vector<const detect::Detection*> sorted;
    for (const auto& d : result.detections) sorted.push_back(&d);
    std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->score > b->score; });
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto* d : sorted)
        out.push_back({{"label", d->label},
                       {"confidence", std::round(static_cast<double>(d->score) * 10000.0) / 10000.0},
                       {"x_min", pixel(d->box.x_min, result.width)},
                       {"y_min", pixel(d->box.y_min, result.height)},
                       {"x_max", pixel(d->box.x_max, result.width)},
                       {"y_max", pixel(d->box.y_max, result.height)}});
    return out;
}

nlohmann::ordered_json detection_answer(const pipeline::DetectResult& result, const std::string& command,
                                        const std::string& request_id, double round_trip_ms) {
    auto predictions = predictions_json(result);
    nlohmann::ordered_json answer;
    answer["success"] = true;
    answer["message"] = message_for(predictions);
    const auto count = predictions.size();
    answer["predictions"] = std::move(predictions);
    answer["count"] = count;
    answer["inferenceMs"] = whole_ms(result.timing_ms.inference);
    answer["processMs"] = whole_ms(result.timing_ms.total);
    answer["analysisRoundTripMs"] = whole_ms(round_trip_ms);
    answer["duration"] = whole_ms(round_trip_ms);  // DeepStack's name for the round trip
    answer["command"] = command;
    answer["moduleId"] = "detserve";
    answer["requestId"] = request_id;
    answer["code"] = 200;
    return answer;
}

}  // namespace detserve::server::deepstack
