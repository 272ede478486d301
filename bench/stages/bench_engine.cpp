// Engine forward of the default model by streams x batch: S streams, each with its own compiled
// model, each running one forward of a B-image batch per iteration, concurrently.
//
// Names are a contract: the benchmark report (bench/run.sh) reads BM_EngineForward/streams:S/batch:B
// and its items_per_second (images per second over all streams) from --benchmark_format=json.
// UseRealTime() would append "/real_time" to every name, so these benchmarks keep the default
// clock instead: stream 0 runs on the benchmark's own thread, whose CPU time (what decides the
// number of iterations) is then about one forward per iteration, and items_per_second is
// computed here from the wall-clock time of the whole timed loop. The JSON's real_time is the
// wall time of one iteration (S x B images); its cpu_time is the benchmark thread's only.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include "bench_inputs.hpp"
#include "bench_models.hpp"
#include "detserve/app/detector.hpp"
#include "detserve/image/preprocess.hpp"
#include "stream_rounds.hpp"

namespace detserve::bench {
namespace {

// dog.jpg preprocessed for the default model, repeated `batch` times.
Tensor dog_batch(int batch) {
    const image::PreprocessSpec spec = app::preprocess_spec(default_model());
    const std::size_t per_image = 3 * static_cast<std::size_t>(spec.width) * static_cast<std::size_t>(spec.height);
    Tensor input;
    input.shape = {batch, 3, spec.height, spec.width};
    input.data.resize(per_image * static_cast<std::size_t>(batch));
    for (int i = 0; i < batch; ++i)
        image::preprocess_into(sample_image("dog.jpg"), spec, input.data.data() + per_image * static_cast<std::size_t>(i));
    return input;
}

// OpenCV dnn allocates its buffers on the first forward at a new input shape: keep that out of
// the timed loop.
void warm_up(engine::CompiledModel& model, const Tensor& input) {
    static std::map<const engine::CompiledModel*, std::int64_t> warmed_batch;
    if (warmed_batch[&model] == input.shape[0]) return;
    model.infer(input);
    warmed_batch[&model] = input.shape[0];
}

void run_forwards(benchmark::State& state, std::size_t streams, int batch) {
    std::vector<engine::CompiledModel*> models;
    Tensor input;
    try {
        input = dog_batch(batch);
        for (std::size_t s = 0; s < streams; ++s) {
            models.push_back(&compiled_model(s));
            warm_up(*models.back(), input);
        }
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    StreamRounds rounds(models, input);
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state) {
        if (const std::string error = rounds.run_round(); !error.empty()) {
            state.SkipWithError(error.c_str());
            break;
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double images = static_cast<double>(state.iterations()) * static_cast<double>(streams * static_cast<std::size_t>(batch));
    state.counters["items_per_second"] = benchmark::Counter(seconds > 0 ? images / seconds : 0);
}

// cv::setNumThreads is process-wide (TRAPS.md); main() sets 1, the service's default.
class OpenCvThreads {
public:
    explicit OpenCvThreads(int threads) : previous_(cv::getNumThreads()) { cv::setNumThreads(threads); }
    ~OpenCvThreads() { cv::setNumThreads(previous_); }
    OpenCvThreads(const OpenCvThreads&) = delete;
    OpenCvThreads& operator=(const OpenCvThreads&) = delete;

private:
    int previous_;
};

void BM_EngineForward(benchmark::State& state) {
    run_forwards(state, static_cast<std::size_t>(state.range(0)), static_cast<int>(state.range(1)));
}

// One stream whose forward OpenCV spreads over two threads: the alternative to two streams.
void BM_EngineForward1x2threads(benchmark::State& state) {
    const OpenCvThreads two_threads(2);
    run_forwards(state, 1, static_cast<int>(state.range(0)));
}

constexpr int kStreams[] = {1, 2};
constexpr int kBatches[] = {1, 2, 4, 8};

void streams_by_batch(benchmark::internal::Benchmark* b) {
    b->ArgNames({"streams", "batch"});
    for (int streams : kStreams)
        for (int batch : kBatches) b->Args({streams, batch});
}

void batches(benchmark::internal::Benchmark* b) {
    b->ArgName("batch");
    for (int batch : kBatches) b->Arg(batch);
}

BENCHMARK(BM_EngineForward)->Apply(streams_by_batch)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EngineForward1x2threads)->Apply(batches)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace detserve::bench
