#pragma once
// A token bucket per client (internal to server/): each client may send `burst` requests at once
// and then `per_s` a second. Memory stays bounded: a bucket idle long enough to be full again is
// the same as no bucket and is dropped, and beyond `max_buckets` the least recently used goes.
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace detserve::server {

struct RateLimit {
    double per_s = 1;  // tokens added per second
    int burst = 1;     // bucket size: requests a client may send at once
};

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    using Now = std::function<Clock::time_point()>;

    static constexpr std::size_t kDefaultMaxBuckets = 65536;

    // `now` is injectable for tests (a manual clock).
    explicit RateLimiter(RateLimit limit, Now now = Clock::now, std::size_t max_buckets = kDefaultMaxBuckets);

    // Takes one token from `client`'s bucket. 0: allowed; otherwise refused, and the whole seconds
    // (rounded up, at least 1) until the bucket holds a token again: the Retry-After value.
    int take(const std::string& client);

    const RateLimit& limit() const { return limit_; }
    std::size_t buckets() const;

private:
    struct Bucket {
        std::string client;
        double tokens;
        Clock::time_point updated;
    };
    using Buckets = std::list<Bucket>;  // most recently used first

    void drop_full_buckets(Clock::time_point now);

    RateLimit limit_;
    Now now_;
    std::size_t max_buckets_;
    Clock::duration refill_time_;  // from empty to full
    mutable std::mutex mutex_;
    Buckets buckets_;
    std::unordered_map<std::string, Buckets::iterator> index_;
};

}  // namespace detserve::server
