#pragma once
// Image -> model input: resize (stretch or letterbox), colour order, (x - mean) / scale, NCHW.
#include <array>

#include <opencv2/core.hpp>

#include "detserve/detect/detection.hpp"

namespace detserve::image {

// The ModelSpec resize_type values are OpenVINO model API's names for these.
enum class ResizeMode {
    stretch,        // "standard": each axis scaled to the input size
    letterbox,      // "fit_to_window_letterbox": aspect kept, centred, padded on both sides (Ultralytics)
    fit_to_window,  // "fit_to_window": aspect kept, at the top-left, padded right/bottom (YOLOX's preproc)
};

struct PreprocessSpec {
    int width = 0, height = 0;
    bool rgb = false;  // the model wants RGB (images decode as BGR)
    std::array<float, 3> mean{0, 0, 0};   // in the model's channel order
    std::array<float, 3> scale{1, 1, 1};
    ResizeMode resize = ResizeMode::stretch;
    float pad_value = 114;  // letterbox border, before normalisation
};

// Where an image of src_w x src_h lands inside the model input; pure geometry.
detect::InputTransform resize_transform(int src_width, int src_height, const PreprocessSpec& spec);

// Writes 3 x height x width floats (one image of an NCHW batch) at `dst`; returns the
// transform that maps model-input pixels back to the image.
detect::InputTransform preprocess_into(const cv::Mat& bgr, const PreprocessSpec& spec, float* dst);

}  // namespace detserve::image
