#pragma once
// Detections drawn on the image they came from, for POST /v1/detect?annotate=true: a box and a
// "label score" caption per detection, one colour per class, strokes and text scaled to the image.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "detserve/detect/detection.hpp"

namespace detserve::server {

// The class's colour as BGR, from a fixed palette that web/colours.js shares, so that the page's
// canvas and the annotated JPEG agree.
cv::Scalar class_colour(int class_id);

// Box stroke width in pixels for an image of this size: 2 px at 768x576, growing with the image.
int box_line_width(int width, int height);

// Draws every detection on `image` (8-bit BGR) in place, lowest score first so that the most
// confident boxes and captions end on top.
void draw_detections(cv::Mat& image, const std::vector<detect::Detection>& detections);

// JPEG bytes; throws std::runtime_error if OpenCV cannot encode the image.
std::string encode_jpeg(const cv::Mat& image, int quality = 90);

}  // namespace detserve::server
