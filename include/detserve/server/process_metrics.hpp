#pragma once
// The process_* metrics every Prometheus client library exports, read from /proc/self (Linux).
#include <optional>

#include "detserve/server/metrics.hpp"

namespace detserve::server {

struct ProcessStats {
    double resident_memory_bytes = 0;
    double virtual_memory_bytes = 0;
    double cpu_seconds_total = 0;   // user + system
    double start_time_seconds = 0;  // since the Unix epoch
    double open_fds = 0;
};

// std::nullopt when /proc/self/stat or /proc/stat cannot be read or parsed.
std::optional<ProcessStats> read_process_stats();

// Registers process_resident_memory_bytes, process_virtual_memory_bytes,
// process_cpu_seconds_total, process_start_time_seconds and process_open_fds, and a collector
// that refreshes them on every render(). Where /proc is unreadable they stay at 0.
void register_process_metrics(MetricsRegistry& registry);

}  // namespace detserve::server
