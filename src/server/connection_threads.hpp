#pragma once
// cpp-httplib's task queue, sized by connections rather than cores (internal to server/): a worker
// serves one connection from accept to close, so the pool starts empty and grows, one thread per
// connection that finds no idle worker, up to `max_threads`. Idle workers stay for the next burst.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace detserve::server {

class ConnectionThreads final : public httplib::TaskQueue {
public:
    // `started` counts the threads this queue has started (it outlives the queue).
    ConnectionThreads(std::size_t max_threads, std::atomic<std::size_t>& started)
        : max_threads_(max_threads), started_(started) {}
    ~ConnectionThreads() override;

    void enqueue(std::function<void()> job) override;
    void shutdown() override;

private:
    void work();

    const std::size_t max_threads_;
    std::atomic<std::size_t>& started_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace detserve::server
