#include <gtest/gtest.h>

#include "detserve/detect/box.hpp"

using namespace detserve::detect;

TEST(DetectBox, IouOfIdenticalDisjointAndPartialBoxes) {
    const Box a{0, 0, 10, 10};
    EXPECT_FLOAT_EQ(iou(a, a), 1.0f);
    EXPECT_FLOAT_EQ(iou(a, Box{20, 20, 30, 30}), 0.0f);
    EXPECT_FLOAT_EQ(iou(a, Box{10, 0, 20, 10}), 0.0f);  // touching edges
    // Half-overlapping: intersection 50, union 150.
    EXPECT_FLOAT_EQ(iou(a, Box{5, 0, 15, 10}), 50.0f / 150.0f);
    // One inside the other: 25 / 100.
    EXPECT_FLOAT_EQ(iou(a, Box{0, 0, 5, 5}), 0.25f);
}

TEST(DetectBox, IouOfDegenerateBoxesIsZero) {
    EXPECT_FLOAT_EQ(iou(Box{5, 5, 5, 5}, Box{5, 5, 5, 5}), 0.0f);
    EXPECT_FLOAT_EQ(iou(Box{10, 10, 0, 0}, Box{0, 0, 10, 10}), 0.0f);
}

TEST(DetectBox, BoxFromCenter) {
    const Box b = box_from_center(50, 40, 20, 10);
    EXPECT_FLOAT_EQ(b.x_min, 40);
    EXPECT_FLOAT_EQ(b.y_min, 35);
    EXPECT_FLOAT_EQ(b.x_max, 60);
    EXPECT_FLOAT_EQ(b.y_max, 45);
}

TEST(DetectBox, LetterboxMappingUndoesPadThenScale) {
    // A 1280x720 image letterboxed into 640x640: scale 0.5, 140 px of padding above and below.
    const InputTransform t{0.5f, 0.5f, 0.0f, 140.0f, 1280, 720};
    const Box b = to_original_image(Box{100, 240, 300, 440}, t);
    EXPECT_NEAR(b.x_min, 200, 1e-3);
    EXPECT_NEAR(b.y_min, 200, 1e-3);
    EXPECT_NEAR(b.x_max, 600, 1e-3);
    EXPECT_NEAR(b.y_max, 600, 1e-3);
}

TEST(DetectBox, PillarboxMappingUndoesHorizontalPad) {
    // A 480x960 portrait image letterboxed into 640x640: scale 2/3, 160 px bars left and right.
    const InputTransform t{2.0f / 3.0f, 2.0f / 3.0f, 160.0f, 0.0f, 480, 960};
    const Box b = to_original_image(Box{200, 100, 400, 300}, t);
    EXPECT_NEAR(b.x_min, 60, 1e-3);
    EXPECT_NEAR(b.y_min, 150, 1e-3);
    EXPECT_NEAR(b.x_max, 360, 1e-3);
    EXPECT_NEAR(b.y_max, 450, 1e-3);
}

TEST(DetectBox, StretchResizeUsesSeparateScales) {
    const InputTransform t{0.25f, 0.5f, 0, 0, 2000, 2000};
    const Box b = to_original_image(Box{10, 10, 20, 20}, t);
    EXPECT_NEAR(b.x_min, 40, 1e-3);
    EXPECT_NEAR(b.y_min, 20, 1e-3);
    EXPECT_NEAR(b.x_max, 80, 1e-3);
    EXPECT_NEAR(b.y_max, 40, 1e-3);
}

TEST(DetectBox, MappingClipsToTheOriginalImage) {
    const InputTransform t{0.5f, 0.5f, 0.0f, 140.0f, 1280, 720};
    // Reaches into the top padding and past the right edge.
    const Box b = to_original_image(Box{-10, 100, 700, 600}, t);
    EXPECT_FLOAT_EQ(b.x_min, 0);
    EXPECT_FLOAT_EQ(b.y_min, 0);
    EXPECT_FLOAT_EQ(b.x_max, 1280);
    EXPECT_FLOAT_EQ(b.y_max, 720);
}

TEST(DetectBox, NoOriginalSizeMeansNoClip) {
    const Box b = to_original_image(Box{-10, -20, 700, 800}, InputTransform{});
    EXPECT_FLOAT_EQ(b.x_min, -10);
    EXPECT_FLOAT_EQ(b.y_min, -20);
    EXPECT_FLOAT_EQ(b.x_max, 700);
    EXPECT_FLOAT_EQ(b.y_max, 800);
}
