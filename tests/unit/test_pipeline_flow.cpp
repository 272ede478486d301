// The flow graph end to end on real PNG bytes and a fake engine: every request gets its own answer,
// batches form under load and stay within max_batch, failures stay with the requests they belong to.
#include <gtest/gtest.h>

#include <future>
#include <numeric>

#include <opencv2/imgcodecs.hpp>

#include "../support/fake_engine.hpp"
#include "detserve/pipeline/pipeline.hpp"

namespace detserve::pipeline {
namespace {

using namespace std::chrono_literals;
using test::FakeEngine;

// A 40x30 PNG whose every pixel is `level`: the fake engine answers with class `level`.
ImageBytes grey_png(int level) {
    std::vector<std::uint8_t> png;
    cv::imencode(".png", cv::Mat(30, 40, CV_8UC3, cv::Scalar::all(level)), png);
    auto buffer = std::make_shared<const std::string>(png.begin(), png.end());
    return {buffer, 0, buffer->size()};
}

struct Setup {
    int streams = 1;
    bool dynamic_batch = true;
    int forward_ms = 5;
    int max_batch = 4;
    std::chrono::microseconds max_delay = 1s;
    int throw_on_level = -1;
};

struct PipelineUnderTest {
    std::vector<FakeEngine*> engines;
    std::shared_ptr<test::ConcurrencyProbe> probe = std::make_shared<test::ConcurrencyProbe>();
    std::vector<BatchRecord> batches;
    std::mutex batches_mutex;
    std::unique_ptr<Pipeline> pipeline;

    explicit PipelineUnderTest(const Setup& setup) {
        PipelineModel model;
        model.preprocess.width = model.preprocess.height = FakeEngine::kSize;
        model.spec.model_type = "yolov8";
        for (int s = 0; s < setup.streams; ++s) {
            auto engine = std::make_unique<FakeEngine>(setup.dynamic_batch, setup.forward_ms, setup.throw_on_level, probe);
            engines.push_back(engine.get());
            model.streams.push_back(std::move(engine));
        }
        PipelineOptions options;
        options.max_batch = setup.max_batch;
        options.max_delay = setup.max_delay;
        options.on_batch = [this](const BatchRecord& r) {
            std::lock_guard lock(batches_mutex);
            batches.push_back(r);
        };
        pipeline = std::make_unique<Pipeline>(std::move(model), options);
    }

    Ticket submit(int level, RequestOptions options = {}, Clock::duration timeout = 30s) {
        return pipeline->submit(grey_png(level), options, Clock::now() + timeout);
    }
};

DetectResult wait(Ticket& ticket) {
    EXPECT_EQ(ticket.result.wait_for(30s), std::future_status::ready) << "the pipeline never answered";
    return ticket.result.get();
}

TEST(PipelineFlow, OneImageGetsItsDetectionAndTimings) {
    PipelineUnderTest p({});
    auto ticket = p.submit(7);
    const auto result = wait(ticket);
    ASSERT_FALSE(result.failure) << result.failure->message;
    EXPECT_EQ(result.width, 40);
    EXPECT_EQ(result.height, 30);
    ASSERT_EQ(result.detections.size(), 1u);
    EXPECT_EQ(result.detections[0].class_id, 7);
    EXPECT_EQ(result.detections[0].label, "truck");
    // The 16x16 box at the centre of the 32x32 input, mapped back onto the 40x30 image.
    EXPECT_NEAR(result.detections[0].box.x_min, 10, 1e-3);
    EXPECT_NEAR(result.detections[0].box.y_max, 22.5, 1e-3);
    EXPECT_EQ(result.batch_size, 1);
    const auto& t = result.timing_ms;
    EXPECT_GE(t.inference, 5.0);
    EXPECT_GE(t.total, t.decode + t.preprocess + t.queue + t.inference + t.postprocess - 1e-6);
    EXPECT_EQ(p.pipeline->in_flight(), 0u);
}

TEST(PipelineFlow, ConcurrentRequestsShareBatchesAndEachGetsItsOwnAnswer) {
    PipelineUnderTest p({.streams = 1, .forward_ms = 40, .max_batch = 4});
    std::vector<Ticket> tickets;
    for (int level = 0; level < 24; ++level) tickets.push_back(p.submit(level));
    for (int level = 0; level < 24; ++level) {
        const auto result = wait(tickets[static_cast<std::size_t>(level)]);
        ASSERT_FALSE(result.failure) << result.failure->message;
        ASSERT_EQ(result.detections.size(), 1u);
        EXPECT_EQ(result.detections[0].class_id, level) << "request " << level << " got another image's answer";
        EXPECT_GE(result.batch_size, 1);
        EXPECT_LE(result.batch_size, 4);
    }
    const auto sizes = p.engines[0]->batch_sizes();
    EXPECT_LT(sizes.size(), 24u) << "24 images arriving together while the stream is busy must share forwards";
    for (int size : sizes) EXPECT_LE(size, 4);
    EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), 0), 24);
    EXPECT_EQ(p.batches.size(), sizes.size()) << "one on_batch record per forward";
}

TEST(PipelineFlow, FixedBatchModelRunsTheBatchImageByImage) {
    PipelineUnderTest p({.streams = 1, .dynamic_batch = false, .forward_ms = 20, .max_batch = 4});
    std::vector<Ticket> tickets;
    for (int level = 10; level < 18; ++level) tickets.push_back(p.submit(level));
    for (int i = 0; i < 8; ++i) {
        const auto result = wait(tickets[static_cast<std::size_t>(i)]);
        ASSERT_FALSE(result.failure) << result.failure->message;
        EXPECT_EQ(result.detections.at(0).class_id, 10 + i);
        EXPECT_EQ(result.batch_size, 1);
    }
    for (int size : p.engines[0]->batch_sizes()) EXPECT_EQ(size, 1);
}

TEST(PipelineFlow, StreamsRunForwardsAtTheSameTime) {
    PipelineUnderTest p({.streams = 2, .forward_ms = 150, .max_batch = 1});
    std::vector<Ticket> tickets;
    for (int level = 0; level < 4; ++level) tickets.push_back(p.submit(level));
    for (auto& t : tickets) EXPECT_FALSE(wait(t).failure);
    EXPECT_EQ(p.probe->max_active, 2);
    EXPECT_EQ(p.engines[0]->batch_sizes().size() + p.engines[1]->batch_sizes().size(), 4u);
}

TEST(PipelineFlow, EngineFailureFailsOnlyItsBatchAndTheServiceGoesOn) {
    PipelineUnderTest p({.streams = 1, .forward_ms = 5, .max_batch = 1, .throw_on_level = 66});
    auto bad = p.submit(66);
    const auto failed = wait(bad);
    ASSERT_TRUE(failed.failure);
    EXPECT_EQ(failed.failure->kind, FailureKind::internal);
    EXPECT_NE(failed.failure->message.find("asked to fail"), std::string::npos);
    auto good = p.submit(3);
    const auto ok = wait(good);
    ASSERT_FALSE(ok.failure);
    EXPECT_EQ(ok.detections.at(0).class_id, 3);
}

TEST(PipelineFlow, BadBytesFailWithTheImageErrorCode) {
    PipelineUnderTest p({});
    auto text = std::make_shared<const std::string>("this is not an image");
    auto ticket = p.pipeline->submit({text, 0, text->size()}, {}, Clock::now() + 10s);
    const auto result = wait(ticket);
    ASSERT_TRUE(result.failure);
    EXPECT_EQ(result.failure->kind, FailureKind::bad_image);
    EXPECT_EQ(result.failure->code, "unsupported_format");

    auto png = grey_png(1);
    auto truncated = p.pipeline->submit({png.buffer, 0, png.size / 2}, {}, Clock::now() + 10s);
    const auto cut = wait(truncated);
    ASSERT_TRUE(cut.failure);
    EXPECT_EQ(cut.failure->code, "truncated_image");
    EXPECT_TRUE(p.engines[0]->batch_sizes().empty()) << "bad images never reach the engine";
}

TEST(PipelineFlow, PixelBudgetRefusesBeforeDecoding) {
    PipelineModel model;
    model.preprocess.width = model.preprocess.height = FakeEngine::kSize;
    model.spec.model_type = "yolov8";
    model.streams.push_back(std::make_unique<FakeEngine>(true, 1));
    PipelineOptions options;
    options.max_pixels = 40 * 30 - 1;
    Pipeline pipeline(std::move(model), options);
    auto ticket = pipeline.submit(grey_png(1), {}, Clock::now() + 10s);
    const auto result = wait(ticket);
    ASSERT_TRUE(result.failure);
    EXPECT_EQ(result.failure->code, "image_too_large");
}

TEST(PipelineFlow, ExpiredAndAbandonedRequestsSkipTheEngine) {
    PipelineUnderTest p({.streams = 1, .forward_ms = 200, .max_batch = 4});
    auto first = p.submit(1);  // occupies the stream for 200 ms
    std::this_thread::sleep_for(20ms);
    auto late = p.submit(2, {}, 50ms);  // its deadline passes while it waits for the stream
    auto gone = p.submit(3);
    gone.abandon();
    auto kept = p.submit(4);
    EXPECT_FALSE(wait(first).failure);
    const auto timed_out = wait(late);
    ASSERT_TRUE(timed_out.failure);
    EXPECT_EQ(timed_out.failure->kind, FailureKind::timeout);
    const auto cancelled = wait(gone);
    ASSERT_TRUE(cancelled.failure);
    EXPECT_EQ(cancelled.failure->kind, FailureKind::cancelled);
    const auto ok = wait(kept);
    ASSERT_FALSE(ok.failure);
    EXPECT_EQ(ok.batch_size, 1) << "only the live request is inferred";
    EXPECT_EQ(p.engines[0]->batch_sizes(), (std::vector<int>{1, 1}));
}

TEST(PipelineFlow, ClassFilterKeepsOnlyTheAskedClasses) {
    PipelineUnderTest p({});
    RequestOptions only_cars;
    only_cars.classes = {2};
    auto car = p.submit(2, only_cars);
    auto person = p.submit(0, only_cars);
    EXPECT_EQ(wait(car).detections.size(), 1u);
    EXPECT_TRUE(wait(person).detections.empty());
}

TEST(PipelineFlow, DestructionWaitsForEverySubmittedImage) {
    std::vector<Ticket> tickets;
    {
        PipelineUnderTest p({.streams = 1, .forward_ms = 30, .max_batch = 2});
        for (int level = 0; level < 6; ++level) tickets.push_back(p.submit(level));
    }
    for (auto& t : tickets) {
        ASSERT_EQ(t.result.wait_for(0s), std::future_status::ready);
        EXPECT_FALSE(t.result.get().failure);
    }
}

}  // namespace
}  // namespace detserve::pipeline
