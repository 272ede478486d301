#include "load/open_loop.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "load/http_sender.hpp"

namespace detserve::bench {
namespace {

constexpr std::string_view kClientQueueTimeout = "client_queue_timeout";

struct ScheduledRequest {
    Clock::time_point scheduled;
    std::size_t payload_index;
    bool warmup;
};

double milliseconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// At low rates the next send can be seconds away; wake up now and then to notice Ctrl-C.
void sleep_until_or_stop(Clock::time_point until, const LoadSpec& spec) {
    constexpr auto kStopCheck = std::chrono::milliseconds(100);
    while (!spec.stop_requested() && Clock::now() + kStopCheck < until) std::this_thread::sleep_for(kStopCheck);
    std::this_thread::sleep_until(until);
}

// Sender threads fed from a queue; a new thread (and connection) starts only when every
// existing one is busy, so a fast server is served by a few keep-alive connections.
class SenderPool {
public:
    SenderPool(const LoadSpec& spec, int max_threads, Recorder& recorder)
        : spec_(spec), max_threads_(static_cast<std::size_t>(max_threads)), recorder_(recorder) {}

    ~SenderPool() { close_and_join(); }

    void submit(const ScheduledRequest& request) {
        std::lock_guard lock(mutex_);
        queue_.push_back(request);
        if (queue_.size() > available_ && threads_.size() < max_threads_) {
            ++available_;
            threads_.emplace_back(&SenderPool::sender_loop, this);
        }
        ready_.notify_one();
    }

    // Lets the queued requests go out, then waits for every answer.
    void close_and_join() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }

    int thread_count() const { return static_cast<int>(threads_.size()); }

private:
    void sender_loop() {
        HttpSender sender(spec_.target, spec_.timeout_s, spec_.expect_detections);
        for (;;) {
            ScheduledRequest request;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [&] { return closed_ || !queue_.empty(); });
                if (queue_.empty()) return;
                request = queue_.front();
                queue_.pop_front();
                --available_;
            }
            if (!spec_.stop_requested()) send(sender, request);  // after Ctrl-C, drop what has not gone out
            std::lock_guard lock(mutex_);
            ++available_;
        }
    }

    void send(HttpSender& sender, const ScheduledRequest& request) {
        const double lag_ms = milliseconds_between(request.scheduled, Clock::now());
        RequestOutcome outcome;
        outcome.warmup = request.warmup;
        if (!request.warmup) recorder_.note_send_lag(lag_ms);
        recorder_.note_started();
        if (lag_ms > spec_.timeout_s * 1000) {
            outcome.verdict.error_kind = kClientQueueTimeout;
        } else {
            outcome.verdict = sender.send(spec_.payloads[request.payload_index]);
        }
        outcome.completed_at = Clock::now();
        outcome.latency_ms = milliseconds_between(request.scheduled, outcome.completed_at);
        recorder_.record(outcome);
    }

    const LoadSpec& spec_;
    const std::size_t max_threads_;
    Recorder& recorder_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<ScheduledRequest> queue_;
    std::vector<std::thread> threads_;
    std::size_t available_ = 0;  // threads idle or starting, i.e. able to take a request now
    bool closed_ = false;
};

}  // namespace

void run_open_loop(const LoadSpec& spec, double rate, int max_connections, Recorder& recorder) {
    using std::chrono::duration;
    using std::chrono::duration_cast;
    const auto t0 = Clock::now();
    const auto measure_start = t0 + duration_cast<Clock::duration>(duration<double>(spec.warmup_s));
    const auto measure_end = measure_start + duration_cast<Clock::duration>(duration<double>(spec.duration_s));
    recorder.set_measure_start(measure_start);

    SenderPool pool(spec, max_connections, recorder);
    std::int64_t measured = 0;
    for (std::uint64_t k = 0; !spec.stop_requested(); ++k) {
        // From k, not by adding 1/rate each step, so rounding does not accumulate into drift.
        const auto scheduled = t0 + duration_cast<Clock::duration>(duration<double>(static_cast<double>(k) / rate));
        const bool warmup = scheduled < measure_start;
        if (!warmup) {
            if (spec.requests ? measured >= *spec.requests : scheduled >= measure_end) break;
            ++measured;
        }
        sleep_until_or_stop(scheduled, spec);
        if (spec.stop_requested()) break;
        pool.submit({scheduled, k % spec.payloads.size(), warmup});
    }
    pool.close_and_join();
    recorder.note_sender_threads(pool.thread_count());
}

}  // namespace detserve::bench
