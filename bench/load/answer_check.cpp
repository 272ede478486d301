#include "load/answer_check.hpp"

#include <array>

#include <nlohmann/json.hpp>

namespace detserve::bench {
namespace {

// The array that carries the results, per response format.
constexpr std::array<const char*, 3> kResultArrays{"detections", "predictions", "outputs"};

const nlohmann::json* find_result_array(const nlohmann::json& answer) {
    for (const char* key : kResultArrays) {
        const auto it = answer.find(key);
        if (it != answer.end() && it->is_array()) return &*it;
    }
    return nullptr;
}

void collect_server_stats(const nlohmann::json& answer, AnswerVerdict& verdict) {
    if (const auto it = answer.find("batch_size"); it != answer.end() && it->is_number_integer())
        verdict.batch_size = it->get<int>();
    if (const auto timing = answer.find("timing_ms"); timing != answer.end() && timing->is_object())
        if (const auto total = timing->find("total"); total != timing->end() && total->is_number())
            verdict.server_total_ms = total->get<double>();
}

}  // namespace

std::string http_status_kind(int status) { return "http_" + std::to_string(status); }

AnswerVerdict check_answer(int status, std::string_view body, bool expect_detections) {
    AnswerVerdict verdict;
    if (status != 200) {
        verdict.error_kind = http_status_kind(status);
        return verdict;
    }
    const auto answer = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (answer.is_discarded() || !answer.is_object()) {
        verdict.error_kind = kBadJson;
        return verdict;
    }
    collect_server_stats(answer, verdict);

    if (const auto it = answer.find("success"); it != answer.end() && it->is_boolean() && !it->get<bool>()) {
        verdict.error_kind = kNotSuccess;
        return verdict;
    }
    const nlohmann::json* results = find_result_array(answer);
    if (results == nullptr)
        verdict.error_kind = kBadShape;
    else if (expect_detections && results->empty())
        verdict.error_kind = kNoDetections;
    return verdict;
}

}  // namespace detserve::bench
