#include "shutdown_signal.hpp"

#include <pthread.h>

namespace detserve::app {

ShutdownSignal::ShutdownSignal() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

ShutdownSignal::~ShutdownSignal() {
    if (!watcher_.joinable()) return;
    trigger();
    watcher_.join();
}

void ShutdownSignal::watch(std::function<void(int)> on_signal) {
    watcher_ = std::thread([this, on_signal = std::move(on_signal)] {
        int signal_number = 0;
        if (sigwait(&signals_, &signal_number) == 0) on_signal(signal_number);
    });
}

void ShutdownSignal::trigger() {
    if (watcher_.joinable()) pthread_kill(watcher_.native_handle(), SIGTERM);
}

}  // namespace detserve::app
