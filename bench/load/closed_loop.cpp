#include "load/closed_loop.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include "load/http_sender.hpp"

namespace detserve::bench {
namespace {

struct ClosedLoopState {
    const LoadSpec& spec;
    Recorder& recorder;
    Clock::time_point measure_start;
    Clock::time_point measure_end;  // unused when spec.requests is set
    std::atomic<std::int64_t> measured_tickets{0};
    std::atomic<std::uint64_t> next_payload{0};
};

// Whether a request starting at `now` may be sent; claims one of --requests if measured.
bool may_send(ClosedLoopState& state, Clock::time_point now, bool warmup) {
    if (state.spec.stop_requested()) return false;
    if (warmup) return true;
    if (state.spec.requests) return state.measured_tickets.fetch_add(1) < *state.spec.requests;
    return now < state.measure_end;
}

void worker(ClosedLoopState& state) {
    HttpSender sender(state.spec.target, state.spec.timeout_s, state.spec.expect_detections);
    const auto& payloads = state.spec.payloads;
    for (;;) {
        const auto start = Clock::now();
        const bool warmup = start < state.measure_start;
        if (!may_send(state, start, warmup)) return;
        state.recorder.note_started();
        const auto& payload = payloads[state.next_payload.fetch_add(1) % payloads.size()];
        RequestOutcome outcome;
        outcome.verdict = sender.send(payload);
        outcome.completed_at = Clock::now();
        outcome.latency_ms = std::chrono::duration<double, std::milli>(outcome.completed_at - start).count();
        outcome.warmup = warmup;
        state.recorder.record(outcome);
    }
}

}  // namespace

void run_closed_loop(const LoadSpec& spec, int concurrency, Recorder& recorder) {
    const auto t0 = Clock::now();
    const auto measure_start = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.warmup_s));
    const auto measure_end =
        measure_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.duration_s));
    recorder.set_measure_start(measure_start);

    ClosedLoopState state{spec, recorder, measure_start, measure_end};
    std::vector<std::thread> workers;
    workers.reserve(static_cast<std::size_t>(concurrency));
    for (int i = 0; i < concurrency; ++i) workers.emplace_back(worker, std::ref(state));
    for (auto& w : workers) w.join();
}

}  // namespace detserve::bench
