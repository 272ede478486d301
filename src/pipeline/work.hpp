#pragma once
// One image's state as it moves through the pipeline (internal to pipeline/).
#include <atomic>
#include <future>
#include <memory>

#include <opencv2/core.hpp>

#include "detserve/pipeline/request.hpp"
#include "detserve/tensor.hpp"

namespace detserve::pipeline {

struct Work {
    ImageBytes image;
    RequestOptions options;
    Clock::time_point deadline;
    std::shared_ptr<std::atomic<bool>> abandoned = std::make_shared<std::atomic<bool>>(false);
    std::promise<DetectResult> promise;
    DetectResult result;

    Clock::time_point submitted;
    Clock::time_point queued;  // handed to the batcher
    cv::Mat decoded;           // released once preprocessed
    std::vector<float> input;  // 3 x H x W, the model's input for this image
    detect::InputTransform transform;
    std::shared_ptr<const NamedTensors> outputs;  // the whole batch's outputs
    int batch_index = 0;

    void fail(FailureKind kind, std::string code, std::string message) {
        result.failure = Failure{kind, std::move(code), std::move(message)};
    }
    bool failed() const { return result.failure.has_value(); }
    // True (and the failure recorded) when the caller gave up or the deadline passed.
    bool expired(Clock::time_point now);
};

using WorkPtr = std::shared_ptr<Work>;

double ms_between(Clock::time_point from, Clock::time_point to);

}  // namespace detserve::pipeline
