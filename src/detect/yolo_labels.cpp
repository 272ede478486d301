#include "detserve/detect/yolo_labels.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "detserve/detect/box.hpp"

namespace detserve::detect {

std::vector<YoloLabel> parse_yolo_label_lines(std::string_view text, int class_count) {
    std::vector<YoloLabel> labels;
    std::istringstream lines{std::string(text)};
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::istringstream fields(line);
        double class_id = 0, cx = 0, cy = 0, w = 0, h = 0;
        std::string extra;
        if (!(fields >> class_id >> cx >> cy >> w >> h) || (fields >> extra) || class_id < 0 ||
            class_id != std::floor(class_id) || w < 0 || h < 0)
            throw std::invalid_argument("YOLO labels line " + std::to_string(number) +
                                        ": expected \"class_id cx cy w h\", got '" + line + "'");
        if ((class_count >= 0 && class_id >= class_count) || class_id > std::numeric_limits<int>::max()) {
            std::ostringstream message;
            message << "YOLO labels line " << number << ": class id " << class_id << " is out of range";
            if (class_count >= 0) message << ": there are " << class_count << " class names (ids 0 to " << class_count - 1 << ")";
            throw std::invalid_argument(message.str());
        }
        labels.push_back({static_cast<int>(class_id), cx, cy, w, h});
    }
    return labels;
}

std::vector<GroundTruth> parse_yolo_labels(std::string_view text, int image_width, int image_height, int class_count) {
    std::vector<GroundTruth> truths;
    const auto width = static_cast<double>(image_width), height = static_cast<double>(image_height);
    for (const YoloLabel& l : parse_yolo_label_lines(text, class_count))
        truths.push_back({l.class_id, box_from_center(static_cast<float>(l.center_x * width), static_cast<float>(l.center_y * height),
                                                      static_cast<float>(l.width * width), static_cast<float>(l.height * height))});
    return truths;
}

}  // namespace detserve::detect
