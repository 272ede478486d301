#pragma once
// Box geometry shared by the decoders. iou() is declared in detection.hpp and defined in box.cpp.
#include "detserve/detect/detection.hpp"

namespace detserve::detect {

// (centre x, centre y, width, height) -> corners, in the same pixel space.
Box box_from_center(float center_x, float center_y, float width, float height);

// Model-input pixels -> original-image pixels: (v - pad) / scale, then clipped to
// [0, original_width] x [0, original_height]. A non-positive original size skips the clip.
Box to_original_image(const Box& model_box, const InputTransform& transform);

}  // namespace detserve::detect
