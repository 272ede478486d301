// Preprocess: image::preprocess_into with the default model's PreprocessSpec, stretched (the
// model's own resize_type) vs letterboxed, from a few source sizes into one NCHW slice.
#include <map>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <opencv2/imgproc.hpp>

#include "bench_inputs.hpp"
#include "detserve/app/detector.hpp"
#include "detserve/image/preprocess.hpp"

namespace detserve::bench {
namespace {

const cv::Mat& dog_at(int width, int height) {
    static std::map<std::pair<int, int>, cv::Mat> resized;
    auto it = resized.find({width, height});
    if (it == resized.end()) {
        cv::Mat image;
        cv::resize(sample_image("dog.jpg"), image, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
        it = resized.emplace(std::make_pair(width, height), std::move(image)).first;
    }
    return it->second;
}

void BM_Preprocess(benchmark::State& state, image::ResizeMode mode) {
    image::PreprocessSpec spec;
    const cv::Mat* source = nullptr;
    try {
        spec = app::preprocess_spec(default_model());
        source = &dog_at(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    spec.resize = mode;
    std::vector<float> slice(3 * static_cast<std::size_t>(spec.width) * static_cast<std::size_t>(spec.height));
    for (auto _ : state) {
        const detect::InputTransform transform = image::preprocess_into(*source, spec, slice.data());
        benchmark::DoNotOptimize(transform);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("to " + std::to_string(spec.width) + "x" + std::to_string(spec.height));
}

BENCHMARK_CAPTURE(BM_Preprocess, stretch, image::ResizeMode::stretch)
    ->ArgNames({"width", "height"})
    ->Args({640, 480})
    ->Args({768, 576})
    ->Args({1920, 1440})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Preprocess, letterbox, image::ResizeMode::letterbox)
    ->ArgNames({"width", "height"})
    ->Args({640, 480})
    ->Args({768, 576})
    ->Args({1920, 1440})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace detserve::bench
