// Image -> NCHW model input: the three resize modes' geometry, colour order and (x - mean) / scale.
#include <gtest/gtest.h>

#include <vector>

#include "detserve/image/preprocess.hpp"

using namespace detserve;
using image::PreprocessSpec;
using image::ResizeMode;

namespace {

PreprocessSpec spec(int w, int h, ResizeMode mode) {
    PreprocessSpec s;
    s.width = w;
    s.height = h;
    s.resize = mode;
    return s;
}

// Model channel c at (x, y) of a one-image NCHW buffer.
float at(const std::vector<float>& nchw, const PreprocessSpec& s, int c, int x, int y) {
    return nchw[static_cast<std::size_t>((c * s.height + y) * s.width + x)];
}

}  // namespace

TEST(ImagePreprocess, StretchScalesEachAxis) {
    const auto t = image::resize_transform(640, 480, spec(320, 320, ResizeMode::stretch));
    EXPECT_FLOAT_EQ(t.scale_x, 0.5f);
    EXPECT_FLOAT_EQ(t.scale_y, 320.0f / 480.0f);
    EXPECT_EQ(t.pad_x, 0);
    EXPECT_EQ(t.pad_y, 0);
    EXPECT_EQ(t.original_width, 640);
    EXPECT_EQ(t.original_height, 480);
}

TEST(ImagePreprocess, LetterboxCentresAndFitToWindowKeepsTheTopLeft) {
    // 640x480 into 320x320: one scale 0.5, the image 320x240, 80 rows of padding.
    auto t = image::resize_transform(640, 480, spec(320, 320, ResizeMode::letterbox));
    EXPECT_FLOAT_EQ(t.scale_x, 0.5f);
    EXPECT_FLOAT_EQ(t.scale_y, 0.5f);
    EXPECT_EQ(t.pad_x, 0);
    EXPECT_EQ(t.pad_y, 40);
    t = image::resize_transform(480, 640, spec(320, 320, ResizeMode::letterbox));  // portrait: bars left and right
    EXPECT_EQ(t.pad_x, 40);
    EXPECT_EQ(t.pad_y, 0);
    t = image::resize_transform(640, 480, spec(320, 320, ResizeMode::fit_to_window));
    EXPECT_FLOAT_EQ(t.scale_x, 0.5f);
    EXPECT_FLOAT_EQ(t.scale_y, 0.5f);
    EXPECT_EQ(t.pad_x, 0);
    EXPECT_EQ(t.pad_y, 0);
}

TEST(ImagePreprocess, PadsWithPadValueWhereTheImageIsNot) {
    const cv::Mat bgr(2, 4, CV_8UC3, cv::Scalar(10, 20, 30));  // 4 wide, 2 high, one colour
    for (const ResizeMode mode : {ResizeMode::letterbox, ResizeMode::fit_to_window}) {
        PreprocessSpec s = spec(4, 4, mode);
        s.pad_value = 0;
        std::vector<float> out(3 * 4 * 4);
        const auto t = image::preprocess_into(bgr, s, out.data());
        const int image_top = mode == ResizeMode::letterbox ? 1 : 0;
        EXPECT_EQ(t.pad_y, image_top);
        for (int y = 0; y < 4; ++y) {
            const bool inside = y >= image_top && y < image_top + 2;
            EXPECT_EQ(at(out, s, 0, 2, y), inside ? 10 : 0) << "row " << y;
        }
    }
}

TEST(ImagePreprocess, ColourOrderThenMeanAndScalePerModelChannel) {
    const cv::Mat bgr(8, 8, CV_8UC3, cv::Scalar(10, 20, 30));
    PreprocessSpec s = spec(4, 4, ResizeMode::stretch);
    s.mean = {1, 2, 3};
    s.scale = {2, 4, 9};
    std::vector<float> out(3 * 4 * 4);
    image::preprocess_into(bgr, s, out.data());
    EXPECT_FLOAT_EQ(at(out, s, 0, 3, 3), (10 - 1) / 2.0f);  // B
    EXPECT_FLOAT_EQ(at(out, s, 1, 3, 3), (20 - 2) / 4.0f);  // G
    EXPECT_FLOAT_EQ(at(out, s, 2, 3, 3), (30 - 3) / 9.0f);  // R

    s.rgb = true;  // the model wants RGB: its channel 0 is the image's red
    image::preprocess_into(bgr, s, out.data());
    EXPECT_FLOAT_EQ(at(out, s, 0, 0, 0), (30 - 1) / 2.0f);
    EXPECT_FLOAT_EQ(at(out, s, 2, 0, 0), (10 - 3) / 9.0f);
}
