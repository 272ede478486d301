#pragma once
// What the server and the pipeline share: image bytes and options in, detections or a failure,
// stage timings and the batch size out, through a future. Nothing here knows about HTTP or TBB.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detserve/detect/detection.hpp"

namespace detserve::pipeline {

using Clock = std::chrono::steady_clock;

struct RequestOptions {
    detect::DecodeOptions decode;
    std::vector<int> classes;  // class ids to keep; empty keeps all
};

// Milliseconds spent in each stage; `queue` is the wait between preprocessing and the forward
// (in the batcher and behind busy streams), `total` runs from submit() to completion.
struct StageTimings {
    double decode = 0, preprocess = 0, queue = 0, inference = 0, postprocess = 0, total = 0;
};

enum class FailureKind {
    bad_image,  // `code` is the image::ImageErrorCode's name
    timeout,    // the deadline passed before the image was inferred
    cancelled,  // the caller gave up (abandon()) or the pipeline is shutting down
    internal,   // the engine or a decoder threw
};

struct Failure {
    FailureKind kind = FailureKind::internal;
    std::string code;
    std::string message;
};

struct DetectResult {
    std::optional<Failure> failure;  // set when the image could not be processed
    int width = 0, height = 0;
    std::vector<detect::Detection> detections;
    StageTimings timing_ms;
    int batch_size = 0;  // images in the forward that carried this one
};

// The image bytes live in a buffer shared with the caller (a request body may hold several images),
// so the pipeline may outlive the caller's wait without copying them.
struct ImageBytes {
    std::shared_ptr<const std::string> buffer;
    std::size_t offset = 0, size = 0;

    std::string_view view() const { return std::string_view(*buffer).substr(offset, size); }
};

// A submitted image: the caller waits on `result` until its deadline and calls abandon() if it
// gives up, so that the stages still ahead skip it.
class Ticket {
public:
    Ticket(std::future<DetectResult> result, std::shared_ptr<std::atomic<bool>> abandoned)
        : result(std::move(result)), abandoned_(std::move(abandoned)) {}

    std::future<DetectResult> result;
    void abandon() { abandoned_->store(true); }

private:
    std::shared_ptr<std::atomic<bool>> abandoned_;
};

}  // namespace detserve::pipeline
