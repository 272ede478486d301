#include <sstream>

#include "load/bench_report.hpp"
#include "load/format_fixed.hpp"

namespace detserve::bench {
namespace {

std::string describe_load(const BenchOptions& o) {
    std::string text = o.mode == LoadMode::open_loop ? "open loop, rate " + format_fixed(o.rate, 2) + " req/s"
                                                     : "closed loop, concurrency " + std::to_string(o.concurrency);
    text += o.requests ? ", " + std::to_string(*o.requests) + " requests" : ", " + format_fixed(o.duration_s, 1) + " s";
    text += ", warm-up " + format_fixed(o.warmup_s, 1) + " s";
    return text;
}

std::string describe_latencies(const LatencySummary& s) {
    return "mean " + format_fixed(s.mean_ms, 1) + "  p50 " + format_fixed(s.p50_ms, 1) + "  p90 " +
           format_fixed(s.p90_ms, 1) + "  p99 " + format_fixed(s.p99_ms, 1) + "  p99.9 " +
           format_fixed(s.p999_ms, 1) + "  max " + format_fixed(s.max_ms, 1);
}

}  // namespace

std::string format_text_summary(const BenchReport& report) {
    const BenchOptions& o = report.options;
    const RunResults& r = report.results;
    std::ostringstream out;
    out << "detserve-bench" << (o.label.empty() ? "" : "  " + o.label) << (r.interrupted ? "  (interrupted)" : "")
        << "\n";
    out << "  url          " << o.url << " (" << o.format << ")\n";
    out << "  load         " << describe_load(o) << "\n";
    out << "  images       " << report.image_paths.size() << "\n";
    out << "  requests     " << r.completed << " (" << r.ok << " ok, " << r.errors << " errors); warm-up "
        << r.warmup_completed << " (" << r.warmup_errors << " errors)\n";
    out << "  throughput   " << format_fixed(report.latency.throughput_rps, 2) << " req/s (good answers over "
        << format_fixed(r.wall_seconds, 2) << " s)\n";
    out << "  latency ms   " << describe_latencies(report.latency) << "\n";
    if (report.server_total.count > 0)
        out << "  server ms    " << describe_latencies(report.server_total) << "  (timing_ms.total)\n";
    if (!r.batch_sizes.empty())
        out << "  batch size   mean " << format_fixed(report.batch_size_mean, 2) << "  [size:answers] "
            << format_batch_histogram(r.batch_sizes) << "\n";
    if (o.mode == LoadMode::open_loop)
        out << "  senders      " << r.sender_threads << " (threads = connections), max send lag "
            << format_fixed(r.max_send_lag_ms, 1) << " ms\n";
    if (!r.errors_by_kind.empty()) out << "  errors       " << format_error_kinds(r.errors_by_kind) << "\n";
    return out.str();
}

}  // namespace detserve::bench
