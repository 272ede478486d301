#pragma once
// Dynamic batching across engine streams. A request that finds a stream idle leaves at once, alone:
// nobody waits for company. While every stream is busy, requests gather; when a stream frees up it
// takes the oldest waiting request together with those that arrived within `max_delay` of it, up to
// `max_batch`. A batch therefore closes `max_delay` after its first request (bounding how much a
// larger, slower forward can add to that request's latency) or when it is full.
//
// Pure bookkeeping with an injectable clock: no threads, no engine. `dispatch` is called outside
// the lock, so it may hand the batch to another thread or run it inline.
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace detserve::pipeline {

struct BatcherOptions {
    int streams = 1;
    int max_batch = 1;
    std::chrono::microseconds max_delay{0};
};

template <class Item>
class Batcher {
public:
    using Clock = std::chrono::steady_clock;
    using Dispatch = std::function<void(int stream, std::vector<Item> batch)>;

    Batcher(BatcherOptions options, Dispatch dispatch)
        : options_(options), dispatch_(std::move(dispatch)), busy_(static_cast<std::size_t>(options.streams), false) {
        if (options.streams < 1) throw std::invalid_argument("batcher: streams must be >= 1");
        if (options.max_batch < 1) throw std::invalid_argument("batcher: max_batch must be >= 1");
        if (options.max_delay.count() < 0) throw std::invalid_argument("batcher: max_delay must be >= 0");
    }

    void submit(Item item, Clock::time_point now = Clock::now()) {
        int stream = -1;
        std::vector<Item> batch;
        {
            std::lock_guard lock(mutex_);
            waiting_.push_back({std::move(item), now});
            stream = idle_stream();
            if (stream >= 0) batch = take_batch(stream);
        }
        if (stream >= 0) dispatch_(stream, std::move(batch));
    }

    // `stream` finished its batch: it takes the next one, if any is waiting.
    void release(int stream) {
        std::vector<Item> batch;
        {
            std::lock_guard lock(mutex_);
            busy_.at(static_cast<std::size_t>(stream)) = false;
            if (waiting_.empty()) return;
            batch = take_batch(stream);
        }
        dispatch_(stream, std::move(batch));
    }

    std::size_t waiting() const {
        std::lock_guard lock(mutex_);
        return waiting_.size();
    }

    int busy_streams() const {
        std::lock_guard lock(mutex_);
        int busy = 0;
        for (bool b : busy_) busy += b ? 1 : 0;
        return busy;
    }

    const BatcherOptions& options() const { return options_; }

private:
    struct Waiting {
        Item item;
        Clock::time_point arrived;
    };

    int idle_stream() const {
        for (std::size_t i = 0; i < busy_.size(); ++i)
            if (!busy_[i]) return static_cast<int>(i);
        return -1;
    }

    std::vector<Item> take_batch(int stream) {
        const auto closes_at = waiting_.front().arrived + options_.max_delay;
        std::vector<Item> batch;
        while (!waiting_.empty() && batch.size() < static_cast<std::size_t>(options_.max_batch) &&
               waiting_.front().arrived <= closes_at) {
            batch.push_back(std::move(waiting_.front().item));
            waiting_.pop_front();
        }
        busy_[static_cast<std::size_t>(stream)] = true;
        return batch;
    }

    BatcherOptions options_;
    Dispatch dispatch_;
    mutable std::mutex mutex_;
    std::deque<Waiting> waiting_;
    std::vector<bool> busy_;
};

}  // namespace detserve::pipeline
