// The batcher alone, with a manual clock and no threads: who leaves, when, and together with whom.
#include <gtest/gtest.h>

#include "detserve/pipeline/batcher.hpp"

namespace detserve::pipeline {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Dispatched {
    int stream;
    std::vector<int> items;
};

struct BatcherFixture {
    std::vector<Dispatched> log;
    Batcher<int> batcher;

    explicit BatcherFixture(BatcherOptions options)
        : batcher(options, [this](int stream, std::vector<int> batch) { log.push_back({stream, std::move(batch)}); }) {}
};

const Clock::time_point t0 = Clock::time_point{} + 1h;

TEST(PipelineBatcher, LoneRequestLeavesAtOnceAlone) {
    BatcherFixture f({.streams = 1, .max_batch = 8, .max_delay = 50ms});
    f.batcher.submit(1, t0);
    ASSERT_EQ(f.log.size(), 1u);
    EXPECT_EQ(f.log[0].stream, 0);
    EXPECT_EQ(f.log[0].items, std::vector<int>{1});
    EXPECT_EQ(f.batcher.waiting(), 0u);
}

TEST(PipelineBatcher, RequestsArrivingWhileBusyLeaveTogetherWhenAStreamFrees) {
    BatcherFixture f({.streams = 1, .max_batch = 8, .max_delay = 50ms});
    f.batcher.submit(1, t0);
    f.batcher.submit(2, t0 + 1ms);
    f.batcher.submit(3, t0 + 2ms);
    f.batcher.submit(4, t0 + 3ms);
    EXPECT_EQ(f.log.size(), 1u) << "nothing leaves while the only stream is busy";
    EXPECT_EQ(f.batcher.waiting(), 3u);
    f.batcher.release(0);
    ASSERT_EQ(f.log.size(), 2u);
    EXPECT_EQ(f.log[1].items, (std::vector<int>{2, 3, 4}));
    f.batcher.release(0);
    EXPECT_EQ(f.log.size(), 2u) << "a stream freed with nothing waiting dispatches nothing";
    EXPECT_EQ(f.batcher.busy_streams(), 0);
}

TEST(PipelineBatcher, EachIdleStreamTakesARequestBeforeAnyBatchForms) {
    BatcherFixture f({.streams = 2, .max_batch = 4, .max_delay = 50ms});
    f.batcher.submit(1, t0);
    f.batcher.submit(2, t0);
    f.batcher.submit(3, t0);
    ASSERT_EQ(f.log.size(), 2u);
    EXPECT_EQ(f.log[0].stream, 0);
    EXPECT_EQ(f.log[1].stream, 1);
    EXPECT_EQ(f.batcher.waiting(), 1u);
    f.batcher.release(1);
    ASSERT_EQ(f.log.size(), 3u);
    EXPECT_EQ(f.log[2].stream, 1);
    EXPECT_EQ(f.log[2].items, std::vector<int>{3});
}

TEST(PipelineBatcher, MaxBatchHolds) {
    BatcherFixture f({.streams = 1, .max_batch = 3, .max_delay = 1s});
    for (int i = 0; i < 8; ++i) f.batcher.submit(i, t0 + std::chrono::microseconds(i));
    f.batcher.release(0);
    f.batcher.release(0);
    f.batcher.release(0);
    ASSERT_EQ(f.log.size(), 4u);
    EXPECT_EQ(f.log[1].items, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(f.log[2].items, (std::vector<int>{4, 5, 6}));
    EXPECT_EQ(f.log[3].items, std::vector<int>{7});
    for (const auto& d : f.log) EXPECT_LE(d.items.size(), 3u);
}

TEST(PipelineBatcher, MaxDelayClosesABatchAfterItsFirstRequest) {
    BatcherFixture f({.streams = 1, .max_batch = 8, .max_delay = 10ms});
    f.batcher.submit(0, t0);  // occupies the stream
    f.batcher.submit(1, t0 + 1ms);
    f.batcher.submit(2, t0 + 11ms);  // exactly max_delay after 1: still in its batch
    f.batcher.submit(3, t0 + 12ms);  // later: starts the next batch
    f.batcher.submit(4, t0 + 20ms);
    f.batcher.release(0);
    f.batcher.release(0);
    ASSERT_EQ(f.log.size(), 3u);
    EXPECT_EQ(f.log[1].items, (std::vector<int>{1, 2}));
    EXPECT_EQ(f.log[2].items, (std::vector<int>{3, 4}));
}

TEST(PipelineBatcher, ZeroDelayMeansNoBatchingAcrossArrivalTimes) {
    BatcherFixture f({.streams = 1, .max_batch = 8, .max_delay = 0us});
    f.batcher.submit(0, t0);
    f.batcher.submit(1, t0 + 1us);
    f.batcher.submit(2, t0 + 2us);
    f.batcher.release(0);
    f.batcher.release(0);
    ASSERT_EQ(f.log.size(), 3u);
    EXPECT_EQ(f.log[1].items, std::vector<int>{1});
    EXPECT_EQ(f.log[2].items, std::vector<int>{2});
}

TEST(PipelineBatcher, RejectsImpossibleOptions) {
    auto make = [](BatcherOptions o) { Batcher<int> b(o, [](int, std::vector<int>) {}); };
    EXPECT_THROW(make({.streams = 0, .max_batch = 1, .max_delay = 0us}), std::invalid_argument);
    EXPECT_THROW(make({.streams = 1, .max_batch = 0, .max_delay = 0us}), std::invalid_argument);
    EXPECT_THROW(make({.streams = 1, .max_batch = 1, .max_delay = -1us}), std::invalid_argument);
}

}  // namespace
}  // namespace detserve::pipeline
