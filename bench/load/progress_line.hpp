#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "load/recorder.hpp"

namespace detserve::bench {

// Prints elapsed, sent, ok, errors, current req/s and p50 so far on stderr while a run goes:
// on a terminal one '\r'-updated line every second, otherwise a line every 5 seconds.
class ProgressLine {
public:
    ProgressLine(const Recorder& recorder, double warmup_s, bool to_terminal);
    ~ProgressLine();
    void stop();

private:
    void loop();
    void print(double elapsed_s, double rps);

    const Recorder& recorder_;
    const double warmup_s_;
    const bool to_terminal_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool printed_ = false;
    std::thread thread_;  // last: starts after the members it reads
};

}  // namespace detserve::bench
