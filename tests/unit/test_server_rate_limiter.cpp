// The token bucket behind rate_limit, on a manual clock.
#include <gtest/gtest.h>

#include "../../src/server/rate_limiter.hpp"

namespace detserve::server {
namespace {

using namespace std::chrono_literals;

struct ManualClock {
    RateLimiter::Clock::time_point now{};
    RateLimiter::Now function() {
        return [this] { return now; };
    }
};

TEST(ServerRateLimiter, BurstAtOnceThenRefusedWithRetryAfterRoundedUp) {
    ManualClock clock;
    RateLimiter limiter({0.5, 3}, clock.function());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.take("a"), 0) << i;
    EXPECT_EQ(limiter.take("a"), 2) << "one token takes 1 / 0.5 = 2 s";
    clock.now += 500ms;
    EXPECT_EQ(limiter.take("a"), 2) << "0.25 token: 1.5 s more, rounded up";
    clock.now += 1500ms;
    EXPECT_EQ(limiter.take("a"), 0);
    EXPECT_EQ(limiter.take("a"), 2);
}

TEST(ServerRateLimiter, RetryAfterIsAtLeastOneSecond) {
    ManualClock clock;
    RateLimiter limiter({100, 1}, clock.function());
    EXPECT_EQ(limiter.take("a"), 0);
    EXPECT_EQ(limiter.take("a"), 1) << "10 ms rounds up to 1 s";
}

TEST(ServerRateLimiter, RefillStopsAtTheBurst) {
    ManualClock clock;
    RateLimiter limiter({10, 2}, clock.function());
    clock.now += 1h;
    EXPECT_EQ(limiter.take("a"), 0);
    EXPECT_EQ(limiter.take("a"), 0);
    EXPECT_GT(limiter.take("a"), 0) << "an hour idle still allows only the burst";
}

TEST(ServerRateLimiter, EachClientHasItsOwnBucket) {
    ManualClock clock;
    RateLimiter limiter({1, 1}, clock.function());
    EXPECT_EQ(limiter.take("a"), 0);
    EXPECT_EQ(limiter.take("a"), 1);
    EXPECT_EQ(limiter.take("b"), 0);
    EXPECT_EQ(limiter.take("b"), 1);
}

TEST(ServerRateLimiter, BucketsIdleForAWholeRefillAreDropped) {
    ManualClock clock;
    RateLimiter limiter({1, 2}, clock.function());
    for (int i = 0; i < 100; ++i) limiter.take("client " + std::to_string(i));
    EXPECT_EQ(limiter.buckets(), 100u);
    clock.now += 2s;  // burst / per_s: every bucket is full again
    limiter.take("new");
    EXPECT_EQ(limiter.buckets(), 1u);
}

TEST(ServerRateLimiter, TheNumberOfBucketsIsCappedLeastRecentlyUsedFirst) {
    ManualClock clock;
    RateLimiter limiter({0.001, 1}, clock.function(), 3);
    EXPECT_EQ(limiter.take("a"), 0);
    EXPECT_EQ(limiter.take("b"), 0);
    EXPECT_EQ(limiter.take("c"), 0);
    EXPECT_GT(limiter.take("a"), 0) << "a is empty, and now the most recently used: b is the least";
    EXPECT_EQ(limiter.take("d"), 0);
    EXPECT_EQ(limiter.buckets(), 3u);
    EXPECT_GT(limiter.take("a"), 0) << "a was kept";
    EXPECT_GT(limiter.take("c"), 0) << "c was kept";
    EXPECT_EQ(limiter.take("b"), 0) << "b was evicted: it starts over with a full bucket";
}

TEST(ServerRateLimiter, ClockGoingBackwardsAddsNoTokens) {
    ManualClock clock;
    clock.now += 10s;
    RateLimiter limiter({1, 1}, clock.function());
    EXPECT_EQ(limiter.take("a"), 0);
    clock.now -= 5s;
    EXPECT_GT(limiter.take("a"), 0);
}

TEST(ServerRateLimiter, RefusesANonPositiveRateOrBurst) {
    EXPECT_THROW(RateLimiter({0, 1}), std::invalid_argument);
    EXPECT_THROW(RateLimiter({1, 0}), std::invalid_argument);
}

}  // namespace
}  // namespace detserve::server
