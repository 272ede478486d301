#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "load/bench_report.hpp"
#include "load/format_fixed.hpp"

namespace detserve::bench {
namespace {

// Column order of csv_header() and csv_row(); append new columns at the end only, so that
// rows of older runs in the same file keep their meaning.
const std::vector<std::string> kColumns{
    "started_at", "label",  "url",    "format",  "mode",   "concurrency", "rate",   "duration_s",
    "requests",   "warmup_s", "images", "completed", "ok",  "errors",      "wall_s", "throughput_rps",
    "mean_ms",    "p50_ms", "p90_ms", "p99_ms",  "p999_ms", "max_ms",     "server_total_p50_ms",
    "batch_size_mean", "error_kinds",
};

std::string join_row(const std::vector<std::string>& fields) {
    std::string row;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) row += ',';
        row += csv_escape(fields[i]);
    }
    row += '\n';
    return row;
}

}  // namespace

std::string csv_escape(const std::string& field) {
    if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
    std::string quoted = "\"";
    for (char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string csv_header() { return join_row(kColumns); }

std::string csv_row(const BenchReport& report) {
    const BenchOptions& o = report.options;
    const RunResults& r = report.results;
    const LatencySummary& l = report.latency;
    const bool open = o.mode == LoadMode::open_loop;
    return join_row({
        report.started_at,
        o.label,
        o.url,
        o.format,
        load_mode_name(o.mode),
        open ? "" : std::to_string(o.concurrency),
        open ? format_fixed(o.rate, 3) : "",
        o.requests ? "" : format_fixed(o.duration_s, 3),
        o.requests ? std::to_string(*o.requests) : "",
        format_fixed(o.warmup_s, 3),
        std::to_string(report.image_paths.size()),
        std::to_string(r.completed),
        std::to_string(r.ok),
        std::to_string(r.errors),
        format_fixed(r.wall_seconds, 3),
        format_fixed(l.throughput_rps, 3),
        format_fixed(l.mean_ms, 3),
        format_fixed(l.p50_ms, 3),
        format_fixed(l.p90_ms, 3),
        format_fixed(l.p99_ms, 3),
        format_fixed(l.p999_ms, 3),
        format_fixed(l.max_ms, 3),
        report.server_total.count > 0 ? format_fixed(report.server_total.p50_ms, 3) : "",
        r.batch_sizes.empty() ? "" : format_fixed(report.batch_size_mean, 3),
        format_error_kinds(r.errors_by_kind),
    });
}

void append_csv_report(const std::string& path, const BenchReport& report) {
    std::error_code ec;
    const bool new_file = !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
    std::ofstream out(path, std::ios::app);
    if (new_file) out << csv_header();
    out << csv_row(report);
    if (!out) throw std::runtime_error("cannot append to CSV report '" + path + "'");
}

}  // namespace detserve::bench
