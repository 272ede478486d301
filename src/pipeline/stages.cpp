#include "stages.hpp"

#include <algorithm>
#include <cstring>

#include "detserve/image/image_decoder.hpp"

namespace detserve::pipeline {

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

bool Work::expired(Clock::time_point now) {
    if (failed()) return true;
    if (abandoned->load()) {
        fail(FailureKind::cancelled, "cancelled", "the client stopped waiting for this image");
        return true;
    }
    if (now >= deadline) {
        fail(FailureKind::timeout, "deadline_exceeded", "the request's deadline passed before the image was inferred");
        return true;
    }
    return false;
}

void decode_stage(Work& work, std::int64_t max_pixels) {
    const auto start = Clock::now();
    const auto bytes = work.image.view();
    try {
        work.decoded = image::decode_image(
            std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), max_pixels);
        work.result.width = work.decoded.cols;
        work.result.height = work.decoded.rows;
    } catch (const image::ImageError& e) {
        work.fail(FailureKind::bad_image, std::string(image::to_string(e.code())), e.what());
    }
    work.result.timing_ms.decode = ms_between(start, Clock::now());
}

void preprocess_stage(Work& work, const image::PreprocessSpec& spec) {
    const auto start = Clock::now();
    work.input.resize(3 * static_cast<std::size_t>(spec.width) * static_cast<std::size_t>(spec.height));
    work.transform = image::preprocess_into(work.decoded, spec, work.input.data());
    work.decoded.release();
    work.result.timing_ms.preprocess = ms_between(start, Clock::now());
}

Tensor assemble_batch(const std::vector<WorkPtr>& items, const image::PreprocessSpec& spec) {
    Tensor batch;
    batch.shape = {static_cast<std::int64_t>(items.size()), 3, spec.height, spec.width};
    const std::size_t per_image = 3 * static_cast<std::size_t>(spec.width) * static_cast<std::size_t>(spec.height);
    batch.data.resize(per_image * items.size());
    for (std::size_t i = 0; i < items.size(); ++i)
        std::memcpy(batch.data.data() + i * per_image, items[i]->input.data(), per_image * sizeof(float));
    return batch;
}

void postprocess_stage(Work& work, const detect::ModelSpec& spec, const image::PreprocessSpec& input) {
    const auto start = Clock::now();
    detect::DecodeOptions decode = work.options.decode;
    const auto& classes = work.options.classes;
    // Filter before the max_detections cut, so that a class filter never returns fewer boxes than asked.
    if (!classes.empty()) decode.max_detections = std::numeric_limits<int>::max();
    auto detections = detect::decode_detections(spec, *work.outputs, work.batch_index, input.width, input.height,
                                                work.transform, decode);
    if (!classes.empty()) {
        std::erase_if(detections, [&](const detect::Detection& d) {
            return std::find(classes.begin(), classes.end(), d.class_id) == classes.end();
        });
        if (detections.size() > static_cast<std::size_t>(work.options.decode.max_detections))
            detections.resize(static_cast<std::size_t>(work.options.decode.max_detections));
    }
    work.result.detections = std::move(detections);
    work.outputs.reset();
    work.result.timing_ms.postprocess = ms_between(start, Clock::now());
}

}  // namespace detserve::pipeline
