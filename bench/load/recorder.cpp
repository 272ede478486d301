#include "load/recorder.hpp"

#include <algorithm>

namespace detserve::bench {

void Recorder::set_measure_start(Clock::time_point start) {
    std::lock_guard lock(mutex_);
    measure_start_ = start;
}

void Recorder::note_started() {
    std::lock_guard lock(mutex_);
    ++started_;
}

void Recorder::note_send_lag(double lag_ms) {
    std::lock_guard lock(mutex_);
    results_.max_send_lag_ms = std::max(results_.max_send_lag_ms, lag_ms);
}

void Recorder::note_sender_threads(int count) {
    std::lock_guard lock(mutex_);
    results_.sender_threads = count;
}

void Recorder::record(const RequestOutcome& outcome) {
    std::lock_guard lock(mutex_);
    if (outcome.warmup) {
        ++results_.warmup_completed;
        if (!outcome.verdict.ok()) ++results_.warmup_errors;
        return;
    }
    ++results_.completed;
    last_completion_ = std::max(last_completion_, outcome.completed_at);
    if (!outcome.verdict.ok()) {
        ++results_.errors;
        ++results_.errors_by_kind[outcome.verdict.error_kind];
        return;
    }
    ++results_.ok;
    results_.latencies_ms.push_back(outcome.latency_ms);
    if (outcome.verdict.batch_size) ++results_.batch_sizes[*outcome.verdict.batch_size];
    if (outcome.verdict.server_total_ms) results_.server_total_ms.push_back(*outcome.verdict.server_total_ms);
}

ProgressSnapshot Recorder::progress() const {
    std::vector<double> latencies;
    ProgressSnapshot snapshot;
    {
        std::lock_guard lock(mutex_);
        snapshot.started = started_;
        snapshot.completed = results_.completed + results_.warmup_completed;
        snapshot.ok = results_.ok;
        snapshot.errors = results_.errors;
        latencies = results_.latencies_ms;
    }
    if (!latencies.empty()) {
        const auto mid = latencies.begin() + static_cast<std::ptrdiff_t>((latencies.size() - 1) / 2);
        std::nth_element(latencies.begin(), mid, latencies.end());
        snapshot.p50_ms = *mid;  // nearest rank: ceil(n/2)-th smallest
    }
    return snapshot;
}

RunResults Recorder::results() const {
    std::lock_guard lock(mutex_);
    RunResults copy = results_;
    if (copy.completed > 0 && last_completion_ > measure_start_)
        copy.wall_seconds = std::chrono::duration<double>(last_completion_ - measure_start_).count();
    return copy;
}

}  // namespace detserve::bench
