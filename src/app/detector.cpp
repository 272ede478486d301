#include "detserve/app/detector.hpp"

#include <chrono>
#include <map>
#include <stdexcept>

namespace detserve::app {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Slices image `index` out of a batched output set.
NamedTensors batch_item(const NamedTensors& outputs, std::size_t index) {
    NamedTensors out;
    for (const auto& [name, tensor] : outputs) {
        Tensor item;
        item.shape = tensor.shape;
        const std::size_t per_item = tensor.elements() / static_cast<std::size_t>(tensor.shape.at(0));
        item.shape[0] = 1;
        item.data.assign(tensor.data.begin() + static_cast<std::ptrdiff_t>(index * per_item),
                         tensor.data.begin() + static_cast<std::ptrdiff_t>((index + 1) * per_item));
        out.emplace_back(name, std::move(item));
    }
    return out;
}

image::ResizeMode resize_mode(const std::string& resize_type) {
    static const std::map<std::string, image::ResizeMode> modes{
        {"standard", image::ResizeMode::stretch},
        {"fit_to_window_letterbox", image::ResizeMode::letterbox},
        {"fit_to_window", image::ResizeMode::fit_to_window},
    };
    const auto it = modes.find(resize_type);
    if (it == modes.end()) throw std::invalid_argument("no preprocessing for resize_type '" + resize_type + "'");
    return it->second;
}

}  // namespace

image::PreprocessSpec preprocess_spec(const Model& model) {
    const auto& spec = model.spec;
    image::PreprocessSpec p;
    p.width = model.input_width;
    p.height = model.input_height;
    p.rgb = spec.reverse_input_channels;
    p.mean = spec.mean_values;
    p.scale = spec.scale_values;
    p.resize = resize_mode(spec.resize_type);
    p.pad_value = spec.pad_value;
    return p;
}

Detector::Detector(Model model, const engine::EngineOptions& options)
    : model_(std::move(model)), preprocess_(preprocess_spec(model_)), engine_(compile_model(model_, options)) {}

detect::DecodeOptions Detector::default_options() const {
    return detect::decode_options(model_.spec);
}

Tensor Detector::make_batch(const std::vector<cv::Mat>& images, std::vector<detect::InputTransform>& transforms) const {
    Tensor batch;
    batch.shape = {static_cast<std::int64_t>(images.size()), 3, preprocess_.height, preprocess_.width};
    const std::size_t per_image = 3 * static_cast<std::size_t>(preprocess_.width) * static_cast<std::size_t>(preprocess_.height);
    batch.data.resize(per_image * images.size());
    transforms.clear();
    for (std::size_t i = 0; i < images.size(); ++i)
        transforms.push_back(image::preprocess_into(images[i], preprocess_, batch.data.data() + i * per_image));
    return batch;
}

std::vector<ImageDetections> Detector::detect(const std::vector<cv::Mat>& images, const detect::DecodeOptions& options) {
    std::vector<ImageDetections> results;
    const bool batched = engine_->dynamic_batch() && images.size() > 1;
    const std::size_t step = batched ? images.size() : 1;
    for (std::size_t first = 0; first < images.size(); first += step) {
        const std::vector<cv::Mat> group(images.begin() + static_cast<std::ptrdiff_t>(first),
                                         images.begin() + static_cast<std::ptrdiff_t>(first + step));
        auto start = std::chrono::steady_clock::now();
        std::vector<detect::InputTransform> transforms;
        const Tensor input = make_batch(group, transforms);
        const double preprocess_ms = ms_since(start);
        start = std::chrono::steady_clock::now();
        const NamedTensors outputs = engine_->infer(input);
        const double inference_ms = ms_since(start);
        for (std::size_t i = 0; i < group.size(); ++i) {
            start = std::chrono::steady_clock::now();
            const NamedTensors item = group.size() == 1 ? outputs : batch_item(outputs, i);
            ImageDetections r;
            r.width = group[i].cols;
            r.height = group[i].rows;
            r.detections = detect::decode_detections(model_.spec, item, 0, preprocess_.width, preprocess_.height,
                                                     transforms[i], options);
            r.batch_size = static_cast<int>(group.size());
            r.timing_ms = {{"preprocess", preprocess_ms}, {"inference", inference_ms}, {"postprocess", ms_since(start)}};
            results.push_back(std::move(r));
        }
    }
    return results;
}

}  // namespace detserve::app
