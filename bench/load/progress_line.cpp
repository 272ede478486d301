#include "load/progress_line.hpp"

#include <cstdio>

#include "load/format_fixed.hpp"

namespace detserve::bench {
namespace {

constexpr std::chrono::seconds kTerminalInterval{1};
constexpr std::chrono::seconds kLogInterval{5};

}  // namespace

ProgressLine::ProgressLine(const Recorder& recorder, double warmup_s, bool to_terminal)
    : recorder_(recorder), warmup_s_(warmup_s), to_terminal_(to_terminal), thread_(&ProgressLine::loop, this) {}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (to_terminal_ && printed_) std::fputc('\n', stderr);
}

void ProgressLine::loop() {
    const auto interval = to_terminal_ ? kTerminalInterval : kLogInterval;
    const auto start = Clock::now();
    auto last_tick = start;
    std::int64_t last_completed = 0;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval, [&] { return stopping_; })) {
        const auto now = Clock::now();
        const auto completed = recorder_.progress().completed;
        const double tick_s = std::chrono::duration<double>(now - last_tick).count();
        const double rps = tick_s > 0 ? static_cast<double>(completed - last_completed) / tick_s : 0;
        last_tick = now;
        last_completed = completed;
        print(std::chrono::duration<double>(now - start).count(), rps);
    }
}

void ProgressLine::print(double elapsed_s, double rps) {
    const ProgressSnapshot p = recorder_.progress();
    const char* phase = elapsed_s < warmup_s_ ? "warm-up " : "";
    // On a terminal, trailing blanks erase what is left of a longer previous line.
    std::fprintf(stderr, "%s[%7.1f s] %ssent %lld  ok %lld  errors %lld  %s req/s  p50 %s ms%s",
                 to_terminal_ ? "\r" : "", elapsed_s, phase, static_cast<long long>(p.started),
                 static_cast<long long>(p.ok), static_cast<long long>(p.errors), format_fixed(rps, 1).c_str(),
                 format_fixed(p.p50_ms, 1).c_str(), to_terminal_ ? "    " : "\n");
    std::fflush(stderr);
    printed_ = true;
}

}  // namespace detserve::bench
