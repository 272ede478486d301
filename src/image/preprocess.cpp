#include "detserve/image/preprocess.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace detserve::image {

detect::InputTransform resize_transform(int src_width, int src_height, const PreprocessSpec& spec) {
    detect::InputTransform t;
    t.original_width = src_width;
    t.original_height = src_height;
    if (spec.resize == ResizeMode::stretch) {
        t.scale_x = static_cast<float>(spec.width) / static_cast<float>(src_width);
        t.scale_y = static_cast<float>(spec.height) / static_cast<float>(src_height);
        return t;
    }
    const float scale = std::min(static_cast<float>(spec.width) / static_cast<float>(src_width),
                                 static_cast<float>(spec.height) / static_cast<float>(src_height));
    const int resized_w = static_cast<int>(std::lround(static_cast<float>(src_width) * scale));
    const int resized_h = static_cast<int>(std::lround(static_cast<float>(src_height) * scale));
    t.scale_x = static_cast<float>(resized_w) / static_cast<float>(src_width);
    t.scale_y = static_cast<float>(resized_h) / static_cast<float>(src_height);
    if (spec.resize == ResizeMode::letterbox) {
        t.pad_x = static_cast<float>((spec.width - resized_w) / 2);
        t.pad_y = static_cast<float>((spec.height - resized_h) / 2);
    }
    return t;
}

detect::InputTransform preprocess_into(const cv::Mat& bgr, const PreprocessSpec& spec, float* dst) {
    const detect::InputTransform t = resize_transform(bgr.cols, bgr.rows, spec);
    cv::Mat canvas;
    if (spec.resize == ResizeMode::stretch) {
        cv::resize(bgr, canvas, cv::Size(spec.width, spec.height), 0, 0, cv::INTER_LINEAR);
    } else {
        const int w = static_cast<int>(std::lround(t.scale_x * static_cast<float>(bgr.cols)));
        const int h = static_cast<int>(std::lround(t.scale_y * static_cast<float>(bgr.rows)));
        canvas = cv::Mat(spec.height, spec.width, CV_8UC3, cv::Scalar::all(spec.pad_value));
        cv::Mat roi = canvas(cv::Rect(static_cast<int>(t.pad_x), static_cast<int>(t.pad_y), w, h));
        cv::resize(bgr, roi, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
    }
    const std::size_t plane = static_cast<std::size_t>(spec.width) * static_cast<std::size_t>(spec.height);
    for (int c = 0; c < 3; ++c) {
        // Model channel c reads image channel c (BGR) or 2 - c (RGB).
        const int source = spec.rgb ? 2 - c : c;
        const float mean = spec.mean[static_cast<std::size_t>(c)];
        const float inv_scale = 1.0f / spec.scale[static_cast<std::size_t>(c)];
        float* out = dst + plane * static_cast<std::size_t>(c);
        for (int y = 0; y < spec.height; ++y) {
            const std::uint8_t* row = canvas.ptr<std::uint8_t>(y);
            for (int x = 0; x < spec.width; ++x) *out++ = (static_cast<float>(row[3 * x + source]) - mean) * inv_scale;
        }
    }
    return t;
}

}  // namespace detserve::image
