#include "load/bench_report.hpp"

namespace detserve::bench {

BenchReport make_report(const BenchOptions& options, std::vector<std::string> image_paths,
                        std::string started_at, RunResults results) {
    BenchReport report;
    report.options = options;
    report.image_paths = std::move(image_paths);
    report.started_at = std::move(started_at);
    report.latency = summarize(results.latencies_ms, results.wall_seconds);
    report.server_total = summarize(results.server_total_ms, 0);
    report.batch_size_mean = mean_batch_size(results.batch_sizes);
    report.results = std::move(results);
    return report;
}

double mean_batch_size(const std::map<int, std::int64_t>& histogram) {
    double weighted = 0;
    std::int64_t answers = 0;
    for (const auto& [size, count] : histogram) {
        weighted += static_cast<double>(size) * static_cast<double>(count);
        answers += count;
    }
    return answers > 0 ? weighted / static_cast<double>(answers) : 0;
}

std::string format_batch_histogram(const std::map<int, std::int64_t>& histogram) {
    std::string text;
    for (const auto& [size, count] : histogram) {
        if (!text.empty()) text += ' ';
        text += std::to_string(size);
        text += ':';
        text += std::to_string(count);
    }
    return text;
}

std::string format_error_kinds(const std::map<std::string, std::int64_t>& errors) {
    std::string text;
    for (const auto& [kind, count] : errors) {
        if (!text.empty()) text += ' ';
        text += kind;
        text += ':';
        text += std::to_string(count);
    }
    return text;
}

}  // namespace detserve::bench
