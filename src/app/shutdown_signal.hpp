#pragma once
// SIGTERM/SIGINT delivered to one watcher thread (sigwait) instead of an async handler, so that
// shutdown can take locks, log and stop the server like any other code.
#include <csignal>
#include <functional>
#include <thread>

namespace detserve::app {

class ShutdownSignal {
public:
    // Blocks SIGTERM/SIGINT in the calling thread (and so in every thread it starts afterwards:
    // construct this before any other thread) and ignores SIGPIPE (clients that hang up).
    ShutdownSignal();
    ~ShutdownSignal();  // joins the watcher (waking it if no signal came)

    // Runs `on_signal(signal_number)` on the watcher thread when the first signal arrives.
    void watch(std::function<void(int)> on_signal);
    // Delivers a shutdown to the watcher as if SIGTERM had arrived.
    void trigger();

private:
    sigset_t signals_{};
    std::thread watcher_;
};

}  // namespace detserve::app
