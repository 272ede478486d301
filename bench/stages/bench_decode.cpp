// JPEG decode by image size: dog.jpg re-encoded (quality 90) at 4:3 sizes from QVGA to 4K, then
// image::decode_image as the service runs it (header checks, pixel budget, cv::imdecode).
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "bench_inputs.hpp"
#include "detserve/image/image_decoder.hpp"

namespace detserve::bench {
namespace {

constexpr int kJpegQuality = 90;  // what a phone or a browser upload typically carries

const std::vector<std::uint8_t>& dog_jpeg(int width, int height) {
    static std::map<std::pair<int, int>, std::vector<std::uint8_t>> encoded;
    auto it = encoded.find({width, height});
    if (it == encoded.end()) {
        const cv::Mat& dog = sample_image("dog.jpg");
        cv::Mat resized;
        const bool shrinking = width < dog.cols;
        cv::resize(dog, resized, cv::Size(width, height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
        std::vector<std::uint8_t> bytes;
        cv::imencode(".jpg", resized, bytes, {cv::IMWRITE_JPEG_QUALITY, kJpegQuality});
        it = encoded.emplace(std::make_pair(width, height), std::move(bytes)).first;
    }
    return it->second;
}

void BM_DecodeJpeg(benchmark::State& state) {
    const int width = static_cast<int>(state.range(0));
    const int height = static_cast<int>(state.range(1));
    const std::vector<std::uint8_t>* jpeg = nullptr;
    try {
        jpeg = &dog_jpeg(width, height);
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    const std::int64_t max_pixels = static_cast<std::int64_t>(width) * height;
    for (auto _ : state) {
        cv::Mat image = image::decode_image(*jpeg, max_pixels);
        benchmark::DoNotOptimize(image.data);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(jpeg->size()));
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(std::to_string(width) + "x" + std::to_string(height) + ", " +
                   std::to_string(jpeg->size() / 1024) + " KiB");
}

BENCHMARK(BM_DecodeJpeg)
    ->ArgNames({"width", "height"})
    ->Args({320, 240})
    ->Args({640, 480})
    ->Args({1280, 960})
    ->Args({1920, 1440})
    ->Args({3840, 2880})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace detserve::bench
