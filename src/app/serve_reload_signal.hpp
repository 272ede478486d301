#pragma once
// SIGHUP delivered to one watcher thread (sigwait), as many times as it comes: each one asks for a
// reload of every model. Like ShutdownSignal, construct it before any other thread exists.
#include <atomic>
#include <csignal>
#include <functional>
#include <thread>

namespace detserve::app {

class ReloadSignal {
public:
    ReloadSignal();   // blocks SIGHUP in the calling thread and so in every thread started after
    ~ReloadSignal();  // stop()

    // Stops and joins the watcher, after the reload it may be running.
    void stop();

    // Runs `on_reload()` on the watcher thread for each SIGHUP (one at a time; signals that arrive
    // during a reload are merged into one more).
    void watch(std::function<void()> on_reload);

private:
    sigset_t signals_{};
    std::atomic<bool> stopping_{false};
    std::thread watcher_;
};

}  // namespace detserve::app
