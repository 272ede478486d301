#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "load/bench_options.hpp"
#include "load/latency_summary.hpp"
#include "load/recorder.hpp"

namespace detserve::bench {

// The settings and results of one run, in the shape every writer (text, JSON, CSV) reads.
struct BenchReport {
    BenchOptions options;
    std::vector<std::string> image_paths;
    std::string started_at;  // UTC, ISO 8601
    RunResults results;
    LatencySummary latency;       // good answers, client side
    LatencySummary server_total;  // timing_ms.total of the answers that had it (throughput 0)
    double batch_size_mean = 0;   // 0 when no answer carried batch_size
};

BenchReport make_report(const BenchOptions& options, std::vector<std::string> image_paths,
                        std::string started_at, RunResults results);

double mean_batch_size(const std::map<int, std::int64_t>& histogram);
// "1:120 2:40 4:8"; "" when empty.
std::string format_batch_histogram(const std::map<int, std::int64_t>& histogram);
// "http_503:4 timeout:1"; "" when empty.
std::string format_error_kinds(const std::map<std::string, std::int64_t>& errors);

// The human-readable summary printed on stdout.
std::string format_text_summary(const BenchReport& report);

nlohmann::json report_to_json(const BenchReport& report);
// Throws std::runtime_error naming the file.
void write_json_report(const std::string& path, const BenchReport& report);

// One row per run, so that a sweep accumulates in one file. RFC 4180 quoting.
std::string csv_header();
std::string csv_row(const BenchReport& report);
std::string csv_escape(const std::string& field);
// Appends a row; writes the header first when the file is new or empty. Throws
// std::runtime_error naming the file.
void append_csv_report(const std::string& path, const BenchReport& report);

}  // namespace detserve::bench
