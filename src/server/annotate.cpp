#include "annotate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace detserve::server {
namespace {

// 20 vivid colours (RGB, the same list as web/colours.js), ordered so that the classes COCO
// photos show together most (person, bicycle, car, bus, truck, cat, dog…) differ most; ids from
// 20 on reuse them.
constexpr std::uint32_t kPalette[] = {
    0xf2c830, 0x8f30f2, 0x30b4f2, 0xf23097, 0x7cd64a, 0xf27a30, 0x3a5ef2, 0x2fd6b0, 0xc25ae0, 0xeef05a,
    0x5fa82a, 0x30e0f2, 0xf25cc8, 0xd69a5a, 0xf2e6b0, 0x3fcf6a, 0xf24630, 0xb07cf2, 0xf2a08a, 0x2a8fa0,
};

// Stroke width relative to the image's mean side; 0.003 gives 2 px at 768x576.
constexpr double kLineWidthPerPixel = 0.003;
constexpr int kMinLineWidth = 2;

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

// Black on light colours, white on dark ones (Rec. 601 luma).
cv::Scalar text_colour_on(const cv::Scalar& bgr) {
    const double luma = 0.299 * bgr[2] + 0.587 * bgr[1] + 0.114 * bgr[0];
    return luma > 140 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255);
}

// Hershey fonts draw ASCII only.
std::string caption_of(const detect::Detection& detection) {
    std::string label = detection.label.empty() ? "class " + std::to_string(detection.class_id) : detection.label;
    for (char& c : label)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
    char score[16];
    std::snprintf(score, sizeof score, " %.2f", detection.score);
    return label + score;
}

void draw_caption(cv::Mat& image, const std::string& text, cv::Point box_corner, const cv::Scalar& colour,
                  int line_width) {
    const double font_scale = 0.3 * line_width;
    const int thickness = std::max(1, line_width / 2);
    const int pad = std::max(2, line_width);
    int baseline = 0;
    const cv::Size size = cv::getTextSize(text, kFont, font_scale, thickness, &baseline);
    const int width = size.width + 2 * pad, height = size.height + baseline + pad;
    // Above the box when there is room, else just inside its top edge; never past the right side.
    const int top = box_corner.y - height >= 0 ? box_corner.y - height : box_corner.y;
    const int left = std::max(0, std::min(box_corner.x, image.cols - width));
    cv::rectangle(image, cv::Rect(left, top, width, height), colour, cv::FILLED);
    cv::putText(image, text, cv::Point(left + pad, top + pad / 2 + size.height), kFont, font_scale,
                text_colour_on(colour), thickness, cv::LINE_AA);
}

}  // namespace

cv::Scalar class_colour(int class_id) {
    constexpr int size = sizeof kPalette / sizeof kPalette[0];
    const std::uint32_t rgb = kPalette[std::max(class_id, 0) % size];
    return cv::Scalar(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff);
}

int box_line_width(int width, int height) {
    return std::max(kMinLineWidth, static_cast<int>(std::lround(kLineWidthPerPixel * (width + height) / 2.0)));
}

void draw_detections(cv::Mat& image, const std::vector<detect::Detection>& detections) {
    const int line_width = box_line_width(image.cols, image.rows);
    std::vector<std::size_t> order(detections.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return detections[a].score < detections[b].score; });
    for (const std::size_t i : order) {
        const auto& detection = detections[i];
        const cv::Scalar colour = class_colour(detection.class_id);
        const cv::Point corner(static_cast<int>(std::lround(detection.box.x_min)),
                               static_cast<int>(std::lround(detection.box.y_min)));
        const cv::Point opposite(static_cast<int>(std::lround(detection.box.x_max)),
                                 static_cast<int>(std::lround(detection.box.y_max)));
        cv::rectangle(image, corner, opposite, colour, line_width, cv::LINE_8);
        draw_caption(image, caption_of(detection), corner, colour, line_width);
    }
}

std::string encode_jpeg(const cv::Mat& image, int quality) {
    std::vector<std::uint8_t> bytes;
    if (!cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, quality}))
        throw std::runtime_error("could not encode the annotated image as JPEG");
    return std::string(bytes.begin(), bytes.end());
}

}  // namespace detserve::server
