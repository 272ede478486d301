#pragma once

#include <cstdint>
#include <vector>

namespace detserve::bench {

struct LatencySummary {
    std::int64_t count = 0;
    double throughput_rps = 0;  // count / wall_seconds
    double mean_ms = 0;
    double p50_ms = 0;
    double p90_ms = 0;
    double p99_ms = 0;
    double p999_ms = 0;
    double max_ms = 0;
};

// Nearest-rank percentile of ascending `sorted` samples: the smallest sample such that at least
// p% of the samples are <= it, i.e. sorted[ceil(p/100 * n) - 1], clamped to [min, max]; p = 0
// gives the minimum. No interpolation: every reported value is a latency that was measured.
// Empty input gives 0.
double nearest_rank_percentile(const std::vector<double>& sorted, double p);

// Exact summary of all samples (sorts a copy). wall_seconds <= 0 gives throughput 0.
LatencySummary summarize(std::vector<double> latencies_ms, double wall_seconds);

}  // namespace detserve::bench
