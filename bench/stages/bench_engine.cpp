// Engine forwards by streams x batch (BM_EngineForward*: the default model as `detserve serve`
// compiles it) and engines side by side (BM_Engines: one model on each engine at batch 1).
//
// Names are a contract: the benchmark report (bench/run.sh) reads
// BM_EngineForward/streams:S/batch:B/real_time and bench/engines.sh reads
// BM_Engines/model:M/engine:E/streams:S/threads:T/real_time, with their items_per_second (images per
// second over all streams, computed here from the wall-clock time of the timed loop) from
// --benchmark_format=json. Wall-clock time (UseRealTime, hence the "/real_time" suffix) also decides
// the number of iterations: OpenVINO runs a forward on its own threads, so the benchmark thread's
// CPU time says nothing about how long one took. The JSON's real_time is the wall time of one
// iteration (S x B images); its cpu_time is the benchmark thread's only.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include "bench_inputs.hpp"
#include "bench_models.hpp"
#include "detserve/app/detector.hpp"
#include "detserve/engine/cpu_isa.hpp"
#include "detserve/engine/engine_choice.hpp"
#include "detserve/image/preprocess.hpp"
#include "stream_rounds.hpp"

namespace detserve::bench {
namespace {

// dog.jpg preprocessed for `model` (for the default model's spec when the file has none: the
// forward's speed does not depend on the pixel values), repeated `batch` times.
Tensor dog_batch(const app::Model& model, int batch) {
    const image::PreprocessSpec spec = app::preprocess_spec(model.spec_source.empty() ? default_model() : model);
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

// Forwards of `batch` images on `options.streams` streams of `model` at once, OpenCV's
// process-wide thread count set to `options.threads` meanwhile (main() sets 1).
void run_forwards(benchmark::State& state, const app::Model& model, const engine::EngineOptions& options, int batch) {
    const OpenCvThreads threads(options.threads);
    std::vector<engine::CompiledModel*> models;
    Tensor input;
    try {
        input = dog_batch(model, batch);
        models = compiled_streams(model, options);
        for (auto* stream : models) warm_up(*stream, input);
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
    const double images = static_cast<double>(state.iterations()) * static_cast<double>(models.size() * static_cast<std::size_t>(batch));
    state.counters["items_per_second"] = benchmark::Counter(seconds > 0 ? images / seconds : 0);
    state.SetLabel(engine::summary(models.front()->describe()));
}

// The default model as serve compiles it for S streams x T threads, dynamic batches up to 8 (the
// largest measured).
void run_forwards(benchmark::State& state, int streams, int threads, int batch) {
    try {
        run_forwards(state, default_model(), serve_options(streams, threads, 8), batch);
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
    }
}

void BM_EngineForward(benchmark::State& state) {
    run_forwards(state, static_cast<int>(state.range(0)), 1, static_cast<int>(state.range(1)));
}

// One stream whose forward spreads over two threads: the alternative to two streams.
void BM_EngineForward1x2threads(benchmark::State& state) {
    run_forwards(state, 1, 2, static_cast<int>(state.range(0)));
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

BENCHMARK(BM_EngineForward)->Apply(streams_by_batch)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EngineForward1x2threads)->Apply(batches)->UseRealTime()->Unit(benchmark::kMillisecond);

// $DETSERVE_BENCH_MODELS (paths separated by ':'), else the default model and, when it is there,
// ../shared/models/nanodet_m.onnx (the file of issue 11's onnxruntime comparison).
std::vector<std::filesystem::path> compared_models() {
    std::vector<std::filesystem::path> models;
    if (const char* env = std::getenv("DETSERVE_BENCH_MODELS"); env && *env) {
        std::istringstream list{env};
        for (std::string path; std::getline(list, path, ':');)
            if (!path.empty()) models.emplace_back(path);
        return models;
    }
    models.push_back(default_model_path());
    const char* shared = std::getenv("DETSERVE_SHARED_DIR");
    const auto onnx = (shared && *shared ? std::filesystem::path(shared) : std::filesystem::path(DETSERVE_SOURCE_DIR) / ".." / "shared") /
                      "models" / "nanodet_m.onnx";
    if (std::filesystem::is_regular_file(onnx)) models.push_back(onnx);
    return models;
}

}  // namespace

// The engines compiled as `detserve serve --engine E --precision P --streams S --threads T` would
// (max batch 4, its default), batch-1 forwards; bf16 only where the CPU has it.
void register_engine_comparison() {
    struct Engine {
        const char* name;
        engine::EngineKind kind;
        engine::Precision precision;
    };
    std::vector<Engine> engines{{"opencv", engine::EngineKind::opencv, engine::Precision::f32}};
    if (engine::openvino_built()) {
        engines.push_back({"openvino_f32", engine::EngineKind::openvino, engine::Precision::f32});
        if (engine::has_bf16(engine::host_cpu_isa_flags()))
            engines.push_back({"openvino_bf16", engine::EngineKind::openvino, engine::Precision::bf16});
    }
    for (const auto& path : compared_models())
        for (const auto& e : engines)
            for (const auto& [streams, threads] : {std::pair{1, 2}, std::pair{2, 1}}) {
                auto options = serve_options(streams, threads, 4);
                options.engine = e.kind;
                options.precision = e.precision;
                const std::string name = "BM_Engines/model:" + path.filename().string() + "/engine:" + e.name +
                                         "/streams:" + std::to_string(streams) + "/threads:" + std::to_string(threads);
                benchmark::RegisterBenchmark(name.c_str(), [path, options](benchmark::State& state) {
                    try {
                        run_forwards(state, model_at(path), options, 1);
                    } catch (const std::exception& ex) {
                        state.SkipWithError(ex.what());
                    }
                })->UseRealTime()->Unit(benchmark::kMillisecond);
            }
}

}  // namespace detserve::bench
