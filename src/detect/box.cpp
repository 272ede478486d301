#include "detserve/detect/box.hpp"

#include <algorithm>

namespace detserve::detect {

float iou(const Box& a, const Box& b) {
    const Box overlap{std::max(a.x_min, b.x_min), std::max(a.y_min, b.y_min),
                      std::min(a.x_max, b.x_max), std::min(a.y_max, b.y_max)};
    const float intersection = overlap.area();
    const float union_area = a.area() + b.area() - intersection;
    return union_area > 0 ? intersection / union_area : 0.0f;
}

Box box_from_center(float center_x, float center_y, float width, float height) {
    return {center_x - width * 0.5f, center_y - height * 0.5f,
            center_x + width * 0.5f, center_y + height * 0.5f};
}

Box to_original_image(const Box& model_box, const InputTransform& transform) {
    auto map_x = [&](float x) {
        x = (x - transform.pad_x) / transform.scale_x;
        return transform.original_width > 0
                   ? std::clamp(x, 0.0f, static_cast<float>(transform.original_width))
                   : x;
    };
    auto map_y = [&](float y) {
        y = (y - transform.pad_y) / transform.scale_y;
        return transform.original_height > 0
                   ? std::clamp(y, 0.0f, static_cast<float>(transform.original_height))
                   : y;
    };
    return {map_x(model_box.x_min), map_y(model_box.y_min), map_x(model_box.x_max),
            map_y(model_box.y_max)};
}

}  // namespace detserve::detect
