#include "detserve/pipeline/pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include "detserve/pipeline/batcher.hpp"
#include "stages.hpp"
#include "tsan_handoff.hpp"

namespace detserve::pipeline {

namespace flow = oneapi::tbb::flow;

using Batch = std::vector<WorkPtr>;
using WorkNode = flow::multifunction_node<WorkPtr, std::tuple<WorkPtr>>;
using StreamNode = flow::multifunction_node<Batch, std::tuple<WorkPtr>, flow::queueing>;

struct Pipeline::Impl {
    PipelineModel model;
    PipelineOptions options;
    std::atomic<std::size_t> in_flight{0};
    std::atomic<bool> stopping{false};

    // Declared before the graph: the arena and the thread budget must outlive it.
    std::unique_ptr<oneapi::tbb::global_control> thread_budget;
    oneapi::tbb::task_arena arena;
    std::unique_ptr<flow::graph> graph;
    std::unique_ptr<WorkNode> decode, preprocess;
    std::vector<std::unique_ptr<StreamNode>> stream_nodes;
    std::unique_ptr<flow::function_node<WorkPtr>> postprocess;
    std::unique_ptr<Batcher<WorkPtr>> batcher;

    Impl(PipelineModel m, PipelineOptions o);
    void build_graph();
    void run_batch(int stream, const Batch& batch, StreamNode::output_ports_type& out);
    void forward(int stream, const Batch& items);
    void complete(Work& work);
};

namespace {

int worker_threads(const PipelineOptions& options) {
    if (options.worker_threads > 0) return options.worker_threads;
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int arena_size(const PipelineModel& model, const PipelineOptions& options) {
    return static_cast<int>(model.streams.size()) + worker_threads(options);
}

}  // namespace

Pipeline::Impl::Impl(PipelineModel m, PipelineOptions o)
    : model(std::move(m)),
      options(std::move(o)),
      // +1: the budget counts the thread that creates the arena; the arena reserves no slot for it.
      thread_budget(std::make_unique<oneapi::tbb::global_control>(
          oneapi::tbb::global_control::max_allowed_parallelism,
          static_cast<std::size_t>(options.thread_budget > 0 ? options.thread_budget : arena_size(model, options) + 1))),
      arena(arena_size(model, options), 0) {
    if (model.streams.empty()) throw std::invalid_argument("pipeline: at least one engine stream is needed");
    if (options.max_batch < 1) throw std::invalid_argument("pipeline: max_batch must be >= 1");
    arena.execute([this] { build_graph(); });
}

void Pipeline::Impl::build_graph() {
    graph = std::make_unique<flow::graph>();
    // Every body starts with handoff_acquire(work) and ends with handoff_release(this), and every
    // try_put of ours is preceded by handoff_release(work): tsan_handoff.hpp says why.
    decode = std::make_unique<WorkNode>(*graph, flow::unlimited, [this](WorkPtr work, WorkNode::output_ports_type& out) {
        handoff_acquire(work.get());
        if (!work->expired(Clock::now())) decode_stage(*work, options.max_pixels);
        if (work->failed()) {
            complete(*work);
        } else {
            handoff_release(work.get());
            std::get<0>(out).try_put(std::move(work));
        }
        handoff_release(this);
    });
    preprocess = std::make_unique<WorkNode>(*graph, flow::unlimited, [this](WorkPtr work, WorkNode::output_ports_type&) {
        handoff_acquire(work.get());
        try {
            preprocess_stage(*work, model.preprocess);
        } catch (const std::exception& e) {
            work->fail(FailureKind::internal, "preprocess_failed", e.what());
            complete(*work);
            handoff_release(this);
            return;
        }
        const auto queued = work->queued = Clock::now();
        batcher->submit(std::move(work), queued);  // its mutex orders this thread before the dispatching one
        handoff_release(this);
    });
    postprocess = std::make_unique<flow::function_node<WorkPtr>>(*graph, flow::unlimited, [this](WorkPtr work) {
        handoff_acquire(work.get());
        try {
            postprocess_stage(*work, model.spec, model.preprocess);
        } catch (const std::exception& e) {
            work->fail(FailureKind::internal, "postprocess_failed", e.what());
        }
        complete(*work);
        handoff_release(this);
    });
    flow::make_edge(std::get<0>(decode->output_ports()), *preprocess);

    for (std::size_t s = 0; s < model.streams.size(); ++s) {
        const int stream = static_cast<int>(s);
        stream_nodes.push_back(std::make_unique<StreamNode>(
            *graph, flow::serial,
            [this, stream](const Batch& batch, StreamNode::output_ports_type& out) {
                for (const auto& work : batch) handoff_acquire(work.get());
                run_batch(stream, batch, out);
                handoff_release(this);
            }));
        flow::make_edge(std::get<0>(stream_nodes.back()->output_ports()), *postprocess);
    }

    BatcherOptions batching{static_cast<int>(model.streams.size()), options.max_batch, options.max_delay};
    batcher = std::make_unique<Batcher<WorkPtr>>(batching, [this](int stream, Batch batch) {
        for (const auto& work : batch) handoff_release(work.get());
        stream_nodes[static_cast<std::size_t>(stream)]->try_put(std::move(batch));
    });
}

void Pipeline::Impl::run_batch(int stream, const Batch& batch, StreamNode::output_ports_type& out) {
    const auto now = Clock::now();
    Batch live;
    for (const auto& work : batch) {
        work->result.timing_ms.queue = ms_between(work->queued, now);
        if (work->expired(now))
            complete(*work);
        else
            live.push_back(work);
    }
    if (!live.empty()) {
        if (model.streams[static_cast<std::size_t>(stream)]->dynamic_batch()) {
            forward(stream, live);
        } else {
            for (const auto& work : live) forward(stream, {work});
        }
    }
    // The stream is free again before the results fan out, so the next batch forms meanwhile.
    batcher->release(stream);
    for (auto& work : live) {
        if (work->failed()) {
            complete(*work);
        } else {
            handoff_release(work.get());
            std::get<0>(out).try_put(work);
        }
    }
}

void Pipeline::Impl::forward(int stream, const Batch& items) {
    const auto start = Clock::now();
    BatchRecord record{stream, static_cast<int>(items.size()), 0, false};
    try {
        const Tensor input = assemble_batch(items, model.preprocess);
        auto outputs = std::make_shared<const NamedTensors>(model.streams[static_cast<std::size_t>(stream)]->infer(input));
        record.inference_ms = ms_between(start, Clock::now());
        for (std::size_t i = 0; i < items.size(); ++i) {
            items[i]->outputs = outputs;
            items[i]->batch_index = static_cast<int>(i);
        }
    } catch (const std::exception& e) {
        record.inference_ms = ms_between(start, Clock::now());
        record.failed = true;
        for (const auto& work : items) work->fail(FailureKind::internal, "inference_failed", e.what());
    }
    for (const auto& work : items) {
        work->result.timing_ms.inference = record.inference_ms;
        work->result.batch_size = record.size;
        work->input = {};
    }
    if (options.on_batch) options.on_batch(record);
}

void Pipeline::Impl::complete(Work& work) {
    work.result.timing_ms.total = ms_between(work.submitted, Clock::now());
    in_flight.fetch_sub(1);  // before the caller can see the result
    work.promise.set_value(std::move(work.result));
}

Pipeline::Pipeline(PipelineModel model, PipelineOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(options))) {}

Pipeline::~Pipeline() {
    impl_->stopping.store(true);
    // The graph was built inside `arena` and attached to it (flow::graph's constructor attaches to
    // the current arena); wait_for_all() enters that arena itself.
    impl_->graph->wait_for_all();
    handoff_acquire(impl_.get());  // every body ended with handoff_release(this)
}

Ticket Pipeline::submit(ImageBytes image, RequestOptions options, Clock::time_point deadline) {
    auto work = std::make_shared<Work>();
    work->image = std::move(image);
    work->options = std::move(options);
    work->deadline = deadline;
    work->submitted = Clock::now();
    Ticket ticket(work->promise.get_future(), work->abandoned);
    impl_->in_flight.fetch_add(1);
    if (impl_->stopping.load()) {
        work->fail(FailureKind::cancelled, "shutting_down", "the service is shutting down");
        impl_->complete(*work);
    } else {
        handoff_release(work.get());
        impl_->decode->try_put(std::move(work));
    }
    return ticket;
}

void Pipeline::warm_up() {
    for (auto& stream : impl_->model.streams) {
        Tensor blank;
        blank.shape = {1, 3, impl_->model.preprocess.height, impl_->model.preprocess.width};
        blank.data.assign(blank.elements(), 0.0f);
        stream->infer(blank);
    }
}

std::size_t Pipeline::queued() const { return impl_->batcher->waiting(); }
std::size_t Pipeline::in_flight() const { return impl_->in_flight.load(); }
int Pipeline::streams() const { return static_cast<int>(impl_->model.streams.size()); }
bool Pipeline::dynamic_batch() const { return impl_->model.streams.front()->dynamic_batch(); }
const PipelineOptions& Pipeline::options() const { return impl_->options; }

}  // namespace detserve::pipeline
