// Detections drawn for POST /v1/detect?annotate=true: colours per class, stroke width by image
// size, boxes and captions where the detections are, nothing elsewhere.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "../../src/server/annotate.hpp"

namespace detserve::server {
namespace {

const cv::Vec3b kGrey(128, 128, 128);

detect::Detection detection(int class_id, const std::string& label, float score, detect::Box box) {
    detect::Detection d;
    d.class_id = class_id;
    d.label = label;
    d.score = score;
    d.box = box;
    return d;
}

cv::Mat grey_image(int width, int height) { return cv::Mat(height, width, CV_8UC3, cv::Scalar(128, 128, 128)); }

int changed_pixels(const cv::Mat& image, const cv::Rect& region) {
    int changed = 0;
    for (int y = region.y; y < region.y + region.height; ++y)
        for (int x = region.x; x < region.x + region.width; ++x) changed += image.at<cv::Vec3b>(y, x) != kGrey;
    return changed;
}

TEST(ServerAnnotate, ClassColoursAreStableAndMatchTheWebPage) {
    EXPECT_EQ(class_colour(16), class_colour(16));
    EXPECT_NE(class_colour(1), class_colour(2));
    EXPECT_NE(class_colour(16), class_colour(1));
    // The same values as web/colours.js (BGR here, RGB there); tests/browser checks that side.
    EXPECT_EQ(class_colour(0), cv::Scalar(48, 200, 242));
    EXPECT_EQ(class_colour(1), cv::Scalar(242, 48, 143));
    EXPECT_EQ(class_colour(2), cv::Scalar(242, 180, 48));
    EXPECT_EQ(class_colour(16), cv::Scalar(48, 70, 242));
    EXPECT_EQ(class_colour(20), class_colour(0)) << "the palette repeats";
}

TEST(ServerAnnotate, LineWidthGrowsWithTheImage) {
    EXPECT_EQ(box_line_width(768, 576), 2);   // darknet's dog.jpg
    EXPECT_EQ(box_line_width(64, 48), 2);     // never thinner than 2 px
    EXPECT_EQ(box_line_width(4000, 3000), 11);
    EXPECT_LT(box_line_width(1920, 1080), box_line_width(4000, 3000));
}

TEST(ServerAnnotate, DrawsTheBoxEdgesAndACaptionAboveLeavingTheRestUntouched) {
    cv::Mat image = grey_image(320, 240);
    draw_detections(image, {detection(16, "dog", 0.91f, {100, 80, 220, 200})});

    const auto colour = class_colour(16);
    const cv::Vec3b expected(colour[0], colour[1], colour[2]);
    EXPECT_EQ(image.at<cv::Vec3b>(200, 160), expected) << "bottom edge";
    EXPECT_EQ(image.at<cv::Vec3b>(140, 100), expected) << "left edge";
    EXPECT_EQ(image.at<cv::Vec3b>(140, 220), expected) << "right edge";
    EXPECT_EQ(changed_pixels(image, {105, 85, 110, 110}), 0) << "inside the box";
    EXPECT_GT(changed_pixels(image, {100, 60, 60, 19}), 200) << "the caption sits above the box";
    EXPECT_EQ(changed_pixels(image, {0, 0, 90, 240}), 0) << "left of the box";
    EXPECT_EQ(changed_pixels(image, {230, 0, 90, 240}), 0) << "right of the box";
}

TEST(ServerAnnotate, CaptionsStayInsideTheImageAtItsTopRightCorner) {
    cv::Mat image = grey_image(200, 100);
    draw_detections(image, {detection(1, "bicycle", 0.5f, {170, 0, 199, 40})});
    EXPECT_GT(changed_pixels(image, {100, 2, 70, 10}), 50)
        << "a caption wider than the space right of the box moves left; no room above: it goes inside";
    EXPECT_EQ(changed_pixels(image, {0, 50, 160, 50}), 0);
}

TEST(ServerAnnotate, NoDetectionsLeaveTheImageAsItWas) {
    cv::Mat image = grey_image(64, 48);
    draw_detections(image, {});
    EXPECT_EQ(changed_pixels(image, {0, 0, 64, 48}), 0);
}

TEST(ServerAnnotate, EncodesAJpegOfTheSameSize) {
    cv::Mat image = grey_image(97, 41);
    draw_detections(image, {detection(0, "person", 0.3f, {10, 10, 60, 35})});
    const std::string jpeg = encode_jpeg(image);
    ASSERT_GT(jpeg.size(), 4u);
    EXPECT_EQ(static_cast<unsigned char>(jpeg[0]), 0xFF);
    EXPECT_EQ(static_cast<unsigned char>(jpeg[1]), 0xD8);
    const cv::Mat decoded = cv::imdecode(std::vector<std::uint8_t>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
    EXPECT_EQ(decoded.cols, 97);
    EXPECT_EQ(decoded.rows, 41);
}

}  // namespace
}  // namespace detserve::server
