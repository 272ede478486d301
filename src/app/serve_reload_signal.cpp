#include "serve_reload_signal.hpp"

#include <pthread.h>

namespace detserve::app {

ReloadSignal::ReloadSignal() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

ReloadSignal::~ReloadSignal() { stop(); }

void ReloadSignal::stop() {
    if (!watcher_.joinable()) return;
    stopping_.store(true);
    pthread_kill(watcher_.native_handle(), SIGHUP);
    watcher_.join();
}

void ReloadSignal::watch(std::function<void()> on_reload) {
    watcher_ = std::thread([this, on_reload = std::move(on_reload)] {
        int signal_number = 0;
        while (sigwait(&signals_, &signal_number) == 0 && !stopping_.load()) on_reload();
    });
}

}  // namespace detserve::app
