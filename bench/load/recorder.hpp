#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "load/answer_check.hpp"

namespace detserve::bench {

using Clock = std::chrono::steady_clock;

struct RequestOutcome {
    AnswerVerdict verdict;
    double latency_ms = 0;  // completion - send time (closed loop) or - scheduled time (open loop)
    Clock::time_point completed_at;
    bool warmup = false;
};

// Everything a run measured; warm-up requests appear only in the warmup_* counts.
struct RunResults {
    std::vector<double> latencies_ms;     // good answers
    std::vector<double> server_total_ms;  // good answers that carried timing_ms.total
    std::map<std::string, std::int64_t> errors_by_kind;
    std::map<int, std::int64_t> batch_sizes;  // batch_size -> answers
    std::int64_t completed = 0;               // ok + errors
    std::int64_t ok = 0;
    std::int64_t errors = 0;
    std::int64_t warmup_completed = 0;
    std::int64_t warmup_errors = 0;
    double wall_seconds = 0;  // measure start -> last measured completion
    bool interrupted = false;  // stopped early by Ctrl-C
    // Open loop only: sender threads started, and the worst delay between a scheduled send time
    // and the actual send (large when --max-connections was exhausted).
    int sender_threads = 0;
    double max_send_lag_ms = 0;
};

struct ProgressSnapshot {
    std::int64_t started = 0;    // warm-up + measured, including in flight
    std::int64_t completed = 0;  // warm-up + measured
    std::int64_t ok = 0;         // measured
    std::int64_t errors = 0;     // measured
    double p50_ms = 0;           // measured good answers so far
};

// Collects outcomes from many sender threads.
class Recorder {
public:
    void set_measure_start(Clock::time_point start);
    void note_started();
    void note_send_lag(double lag_ms);
    void note_sender_threads(int count);
    void record(const RequestOutcome& outcome);

    ProgressSnapshot progress() const;
    RunResults results() const;

private:
    mutable std::mutex mutex_;
    RunResults results_;
    Clock::time_point measure_start_{};
    Clock::time_point last_completion_{};
    std::int64_t started_ = 0;
};

}  // namespace detserve::bench
