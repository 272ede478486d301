#pragma once
// The service's inference pipeline, a oneTBB flow graph built once at start-up:
//
//   submit -> decode -> preprocess -> batcher -> infer (one node per engine stream) -> postprocess
//             (parallel)  (parallel)                (serial per stream)                 (parallel)
//
// Each stream owns one compiled model. When the model's batch is dynamic a batch is one forward,
// else the stream runs it image by image. TBB is sized explicitly: one slot per stream plus
// `worker_threads` for the parallel stages (oneTBB would give a 2-core machine a single worker).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "detserve/detect/model_spec.hpp"
#include "detserve/engine/engine.hpp"
#include "detserve/image/preprocess.hpp"
#include "detserve/pipeline/request.hpp"

namespace detserve::pipeline {

struct PipelineModel {
    image::PreprocessSpec preprocess;
    detect::ModelSpec spec;
    std::vector<std::unique_ptr<engine::CompiledModel>> streams;  // at least one
};

// One engine forward, for metrics.
struct BatchRecord {
    int stream = 0;
    int size = 0;  // images in the forward
    double inference_ms = 0;
    bool failed = false;
};

struct PipelineOptions {
    int max_batch = 4;
    std::chrono::microseconds max_delay{100000};
    std::int64_t max_pixels = 40'000'000;
    int worker_threads = 0;  // threads for decode/preprocess/postprocess; 0 = one per core
    // oneTBB's max_allowed_parallelism while the pipeline lives; 0 = what this pipeline needs. oneTBB
    // takes the smallest of all live pipelines' values: with several pipelines in one process, give
    // each the total of all of them.
    int thread_budget = 0;
    std::function<void(const BatchRecord&)> on_batch;  // called from the stream that ran it
};

class Pipeline {
public:
    Pipeline(PipelineModel model, PipelineOptions options);
    ~Pipeline();  // stops taking work and waits for every submitted image to complete
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    Ticket submit(ImageBytes image, RequestOptions options, Clock::time_point deadline);

    // One forward of a blank batch on every stream (first-run allocations, OpenCL kernel builds).
    void warm_up();

    std::size_t queued() const;     // preprocessed, waiting for a stream
    std::size_t in_flight() const;  // submitted, not completed
    int streams() const;
    bool dynamic_batch() const;
    const PipelineOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace detserve::pipeline
