#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace detserve::server {

RateLimiter::RateLimiter(RateLimit limit, Now now, std::size_t max_buckets)
    : limit_(limit), now_(std::move(now)), max_buckets_(std::max<std::size_t>(1, max_buckets)) {
    if (!(limit_.per_s > 0) || limit_.burst < 1)
        throw std::invalid_argument("rate limit: per_s must be > 0 and burst >= 1");
    const std::chrono::duration<double> refill(limit_.burst / limit_.per_s);
    refill_time_ = std::chrono::duration_cast<Clock::duration>(refill);
}

std::size_t RateLimiter::buckets() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

// The least recently used buckets are at the back; one that has not been used for a whole refill
// time is full, exactly as a new bucket would be.
void RateLimiter::drop_full_buckets(Clock::time_point now) {
    while (!buckets_.empty() && now - buckets_.back().updated >= refill_time_) {
        index_.erase(buckets_.back().client);
        buckets_.pop_back();
    }
}

int RateLimiter::take(const std::string& client) {
    std::lock_guard lock(mutex_);
    const auto now = now_();
    drop_full_buckets(now);
    auto found = index_.find(client);
    if (found == index_.end()) {
        if (buckets_.size() >= max_buckets_) {
            index_.erase(buckets_.back().client);
            buckets_.pop_back();
        }
        buckets_.push_front({client, static_cast<double>(limit_.burst), now});
        found = index_.emplace(client, buckets_.begin()).first;
    } else {
        buckets_.splice(buckets_.begin(), buckets_, found->second);
    }
    Bucket& bucket = *found->second;
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min<double>(limit_.burst, bucket.tokens + std::max(0.0, elapsed) * limit_.per_s);
    bucket.updated = std::max(bucket.updated, now);  // a clock going back adds nothing later either
    if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
    }
    constexpr double kMaxRetryAfterS = 86400;  // keeps the int in range whatever per_s is
    const double wait_s = std::min(kMaxRetryAfterS, (1 - bucket.tokens) / limit_.per_s);
    return std::max(1, static_cast<int>(std::ceil(wait_s)));
}

}  // namespace detserve::server
