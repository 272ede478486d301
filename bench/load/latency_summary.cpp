#include "load/latency_summary.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace detserve::bench {

double nearest_rank_percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto n = static_cast<double>(sorted.size());
    // The epsilon keeps p*n/100 that should be an integer (99.9% of 1000) from ceiling one up.
    const double rank = std::ceil(p * n / 100.0 - 1e-9);
    const auto index = static_cast<std::size_t>(std::clamp(rank, 1.0, n)) - 1;
    return sorted[index];
}

LatencySummary summarize(std::vector<double> latencies_ms, double wall_seconds) {
    LatencySummary s;
    s.count = static_cast<std::int64_t>(latencies_ms.size());
    if (wall_seconds > 0) s.throughput_rps = static_cast<double>(s.count) / wall_seconds;
    if (latencies_ms.empty()) return s;

    std::sort(latencies_ms.begin(), latencies_ms.end());
    s.mean_ms = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) /
                static_cast<double>(latencies_ms.size());
    s.p50_ms = nearest_rank_percentile(latencies_ms, 50);
    s.p90_ms = nearest_rank_percentile(latencies_ms, 90);
    s.p99_ms = nearest_rank_percentile(latencies_ms, 99);
    s.p999_ms = nearest_rank_percentile(latencies_ms, 99.9);
    s.max_ms = latencies_ms.back();
    return s;
}

}  // namespace detserve::bench
