// Decoders + NMS by number of candidates: a synthetic YOLOv8 output [1, 84, N] whose N anchors
// all score above the threshold (random boxes and classes, fixed seed), NMS alone on the same
// candidates, and the NanoDet decoder on the default model's real output for dog.jpg.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_inputs.hpp"
#include "bench_models.hpp"
#include "detserve/app/detector.hpp"
#include "detserve/detect/box.hpp"
#include "detserve/detect/model_spec.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/detect/yolov8_decoder.hpp"
#include "detserve/image/preprocess.hpp"

namespace detserve::bench {
namespace {

constexpr int kCocoClasses = 80;
constexpr int kYoloBoxChannels = 4;       // cx, cy, w, h
constexpr float kYoloInputSize = 640;     // Ultralytics' default imgsz
constexpr std::uint32_t kSyntheticSeed = 4;  // fixed: every run decodes the same tensor

struct SyntheticYolov8 {
    NamedTensors outputs;                       // [1, 4 + 80, N], channel-major
    std::vector<detect::Detection> candidates;  // the same anchors as NMS input
    detect::InputTransform transform;           // identity on a 640x640 image
};

SyntheticYolov8 make_synthetic_yolov8(int anchors) {
    std::mt19937 rng(kSyntheticSeed);
    std::uniform_real_distribution<float> centre(0, kYoloInputSize), side(16, 160);
    std::uniform_real_distribution<float> best_score(0.3f, 1.0f), other_score(0.0f, 0.2f);
    std::uniform_int_distribution<int> class_id(0, kCocoClasses - 1);

    SyntheticYolov8 s;
    s.transform.original_width = s.transform.original_height = static_cast<int>(kYoloInputSize);
    Tensor t;
    t.shape = {1, kYoloBoxChannels + kCocoClasses, anchors};
    t.data.resize(t.elements());
    const auto n = static_cast<std::size_t>(anchors);
    auto at = [&](int channel, std::size_t anchor) -> float& { return t.data[static_cast<std::size_t>(channel) * n + anchor]; };
    for (std::size_t i = 0; i < n; ++i) {
        const float cx = centre(rng), cy = centre(rng), w = side(rng), h = side(rng);
        at(0, i) = cx;
        at(1, i) = cy;
        at(2, i) = w;
        at(3, i) = h;
        for (int c = 0; c < kCocoClasses; ++c) at(kYoloBoxChannels + c, i) = other_score(rng);
        const int best = class_id(rng);
        const float score = best_score(rng);
        at(kYoloBoxChannels + best, i) = score;
        s.candidates.push_back({best, {}, score, detect::to_original_image(detect::box_from_center(cx, cy, w, h), s.transform)});
    }
    s.outputs.emplace_back("output0", std::move(t));
    return s;
}

const SyntheticYolov8& synthetic_yolov8(int anchors) {
    static std::map<int, SyntheticYolov8> made;
    auto it = made.find(anchors);
    if (it == made.end()) it = made.emplace(anchors, make_synthetic_yolov8(anchors)).first;
    return it->second;
}

void BM_DecodeYolov8(benchmark::State& state) {
    const SyntheticYolov8& s = synthetic_yolov8(static_cast<int>(state.range(0)));
    const detect::DecodeOptions options;
    std::size_t kept = 0;
    for (auto _ : state) {
        const auto detections = detect::decode_yolov8(s.outputs, 0, 640, 640, kCocoClasses, s.transform, options);
        kept = detections.size();
        benchmark::DoNotOptimize(detections.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.counters["detections"] = static_cast<double>(kept);
}

void BM_Nms(benchmark::State& state) {
    const SyntheticYolov8& s = synthetic_yolov8(static_cast<int>(state.range(0)));
    const detect::DecodeOptions options;
    std::size_t kept = 0;
    for (auto _ : state) {
        const auto detections = detect::non_max_suppression(s.candidates, options.iou_threshold, options.max_detections);
        kept = detections.size();
        benchmark::DoNotOptimize(detections.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.counters["detections"] = static_cast<double>(kept);
}

// The default model's outputs for dog.jpg, computed once.
struct ModelOutputs {
    NamedTensors outputs;
    detect::InputTransform transform;
};

const ModelOutputs& nanodet_dog_outputs() {
    static std::unique_ptr<ModelOutputs> kept;
    if (!kept) {
        const image::PreprocessSpec spec = app::preprocess_spec(default_model());
        Tensor input;
        input.shape = {1, 3, spec.height, spec.width};
        input.data.resize(input.elements());
        ModelOutputs m;
        m.transform = image::preprocess_into(sample_image("dog.jpg"), spec, input.data.data());
        m.outputs = compiled_streams(default_model(), serve_options(1, 1, 1)).front()->infer(input);
        kept = std::make_unique<ModelOutputs>(std::move(m));
    }
    return *kept;
}

// (cell, class) pairs scoring above the threshold: the decoder's candidates before NMS.
std::int64_t count_candidates(const NamedTensors& outputs, std::size_t classes, float threshold) {
    std::int64_t count = 0;
    for (const auto& [name, tensor] : outputs) {
        if (tensor.shape.size() != 3 || static_cast<std::size_t>(tensor.dim(2)) != classes) continue;
        for (float score : tensor.data) count += score > threshold;
    }
    return count;
}

void BM_DecodeNanodetDog(benchmark::State& state) {
    const ModelOutputs* m = nullptr;
    const app::Model* model = nullptr;
    try {
        model = &default_model();
        m = &nanodet_dog_outputs();
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    const detect::ModelSpec& spec = model->spec;
    const detect::DecodeOptions options{static_cast<float>(state.range(0)) / 100.0f, spec.iou_threshold, spec.max_detections};
    std::size_t kept = 0;
    for (auto _ : state) {
        const auto detections = detect::decode_detections(spec, m->outputs, 0, model->input_width, model->input_height,
                                                          m->transform, options);
        kept = detections.size();
        benchmark::DoNotOptimize(detections.data());
    }
    const std::int64_t candidates = count_candidates(m->outputs, spec.labels.size(), options.score_threshold);
    state.SetItemsProcessed(state.iterations());
    state.counters["candidates"] = static_cast<double>(candidates);
    state.counters["detections"] = static_cast<double>(kept);
}

BENCHMARK(BM_DecodeYolov8)->ArgName("candidates")->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Nms)->ArgName("candidates")->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
// The model's own threshold (0.25) and a low one that many candidates pass.
BENCHMARK(BM_DecodeNanodetDog)->ArgName("threshold_pct")->Arg(25)->Arg(5)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace detserve::bench
