#include <fstream>
#include <stdexcept>

#include "load/bench_report.hpp"

namespace detserve::bench {
namespace {

nlohmann::json latencies_to_json(const LatencySummary& s) {
    return {{"count", s.count}, {"mean", s.mean_ms}, {"p50", s.p50_ms},   {"p90", s.p90_ms},
            {"p99", s.p99_ms},  {"p999", s.p999_ms}, {"max", s.max_ms}};
}

nlohmann::json settings_to_json(const BenchReport& report) {
    const BenchOptions& o = report.options;
    nlohmann::json settings = {
        {"label", o.label},
        {"url", o.url},
        {"format", o.format},
        {"mode", load_mode_name(o.mode)},
        {"concurrency", nullptr},
        {"rate", nullptr},
        {"duration_s", nullptr},
        {"requests", nullptr},
        {"warmup_s", o.warmup_s},
        {"timeout_s", o.timeout_s},
        {"expect_detections", o.expect_detections},
        {"images", report.image_paths},
        {"started_at", report.started_at},
    };
    if (o.mode == LoadMode::open_loop) {
        settings["rate"] = o.rate;
        settings["max_connections"] = o.max_connections;
    } else {
        settings["concurrency"] = o.concurrency;
    }
    if (o.requests)
        settings["requests"] = *o.requests;
    else
        settings["duration_s"] = o.duration_s;
    if (o.format == "multipart") settings["field"] = o.field;
    return settings;
}

nlohmann::json results_to_json(const BenchReport& report) {
    const RunResults& r = report.results;
    nlohmann::json histogram = nlohmann::json::object();
    for (const auto& [size, count] : r.batch_sizes) histogram[std::to_string(size)] = count;
    nlohmann::json results = {
        {"completed", r.completed},
        {"ok", r.ok},
        {"errors", r.errors},
        {"errors_by_kind", r.errors_by_kind},
        {"wall_seconds", r.wall_seconds},
        {"throughput_rps", report.latency.throughput_rps},
        {"latency_ms", latencies_to_json(report.latency)},
        {"server_total_ms", report.server_total.count > 0 ? latencies_to_json(report.server_total) : nullptr},
        {"batch_size", {{"mean", r.batch_sizes.empty() ? nlohmann::json() : nlohmann::json(report.batch_size_mean)},
                        {"histogram", histogram}}},
        {"warmup", {{"completed", r.warmup_completed}, {"errors", r.warmup_errors}}},
        {"interrupted", r.interrupted},
    };
    if (report.options.mode == LoadMode::open_loop)
        results["open_loop"] = {{"sender_threads", r.sender_threads}, {"max_send_lag_ms", r.max_send_lag_ms}};
    return results;
}

}  // namespace

nlohmann::json report_to_json(const BenchReport& report) {
    return {{"settings", settings_to_json(report)}, {"results", results_to_json(report)}};
}

void write_json_report(const std::string& path, const BenchReport& report) {
    std::ofstream out(path);
    out << report_to_json(report).dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write JSON report '" + path + "'");
}

}  // namespace detserve::bench
