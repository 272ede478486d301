#pragma once
#include <string>

namespace detserve::detect {

// Pixel coordinates in the original image, x to the right, y down.
struct Box {
    float x_min = 0, y_min = 0, x_max = 0, y_max = 0;
    float width() const { return x_max - x_min; }
    float height() const { return y_max - y_min; }
    float area() const { return width() > 0 && height() > 0 ? width() * height() : 0.0f; }
};

float iou(const Box& a, const Box& b);

struct Detection {
    int class_id = -1;   // index into the model's label map
    std::string label;   // filled from the label map
    float score = 0;
    Box box;
};

// Maps model-input pixels back to the original image: original = (model - pad) / scale,
// then clipped to [0, original_width] x [0, original_height].
struct InputTransform {
    float scale_x = 1, scale_y = 1;
    float pad_x = 0, pad_y = 0;
    int original_width = 0, original_height = 0;
};

// Which boxes suppress each other in NMS: boxes of the same class only, or any two boxes (one
// object gets one label, the best-scored, even when the model scores it high in several classes).
enum class NmsMode { class_wise, agnostic };

struct DecodeOptions {
    float score_threshold = 0.25f;
    float iou_threshold = 0.6f;
    int max_detections = 100;
    NmsMode nms = NmsMode::class_wise;
};

}  // namespace detserve::detect
