#pragma once
// Ground truth in the YOLO label format (darknet, Ultralytics datasets): one object per line,
// "class_id cx cy w h" with the centre and size normalised by the image's width and height.
#include <string_view>
#include <vector>

#include "detserve/detect/recall.hpp"

namespace detserve::detect {

// One line as written: centre and size as fractions of the image's width and height.
struct YoloLabel {
    int class_id = 0;
    double center_x = 0, center_y = 0, width = 0, height = 0;
};

// Blank lines are skipped; a line that is not five numbers with an integer class id >= 0 (and
// < class_count, when class_count >= 0) and a non-negative size throws std::invalid_argument
// naming its line number.
std::vector<YoloLabel> parse_yolo_label_lines(std::string_view text, int class_count = -1);

// The same as boxes in pixels of a width x height image.
std::vector<GroundTruth> parse_yolo_labels(std::string_view text, int image_width, int image_height,
                                           int class_count = -1);

}  // namespace detserve::detect
