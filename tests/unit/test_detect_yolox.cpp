#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "detserve/detect/yolox_decoder.hpp"

using namespace detserve;
using namespace detserve::detect;

namespace {

constexpr int kClasses = 2;
constexpr int kRow = 5 + kClasses;

Tensor make_output(int rows, int batch = 1) {
    Tensor t{{batch, rows, kRow}, {}};
    t.data.assign(t.elements(), 0.0f);
    return t;
}

void set_row(Tensor& t, int row, std::vector<float> values, int b = 0) {
    ASSERT_EQ(values.size(), static_cast<std::size_t>(kRow));
    const std::size_t base = static_cast<std::size_t>((b * t.dim(1) + row) * kRow);
    for (std::size_t i = 0; i < values.size(); ++i) t.data[base + i] = values[i];
}

InputTransform identity() { return {1, 1, 0, 0, 1000, 1000}; }
DecodeOptions options() { return {0.25f, 0.45f, 100}; }

void expect_box(const Box& b, float x0, float y0, float x1, float y1) {
    EXPECT_NEAR(b.x_min, x0, 1e-3);
    EXPECT_NEAR(b.y_min, y0, 1e-3);
    EXPECT_NEAR(b.x_max, x1, 1e-3);
    EXPECT_NEAR(b.y_max, y1, 1e-3);
}

// A 64x64 input: 8x8 cells at stride 8, then 4x4 at 16, then 2x2 at 32.
constexpr int kRows64 = 64 + 16 + 4;

}  // namespace

TEST(DetectYolox, DecodesGridOffsetsAndLogSizes) {
    Tensor t = make_output(kRows64);
    const int row = 64 + 2 * 4 + 1;  // stride 16 block, grid row 2, col 1
    set_row(t, row, {0.5f, 0.25f, std::log(2.0f), std::log(3.0f), 0.9f, 0.2f, 0.8f});
    auto dets = decode_yolox({{"output", t}}, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 1);
    EXPECT_NEAR(dets[0].score, 0.72f, 1e-6);
    // centre ((0.5 + 1) * 16, (0.25 + 2) * 16) = (24, 36); size (2 * 16, 3 * 16) = (32, 48)
    expect_box(dets[0].box, 8, 12, 40, 60);
}

TEST(DetectYolox, FirstAndLastStrideBlocks) {
    Tensor t = make_output(kRows64);
    set_row(t, 0, {0, 0, 0, 0, 0.9f, 0.9f, 0});            // stride 8, cell (0,0)
    set_row(t, kRows64 - 1, {0, 0, 0, 0, 0.9f, 0, 0.9f});  // stride 32, cell (1,1)
    auto dets = decode_yolox({{"output", t}}, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 2u);
    // Ties keep grid order. No +0.5: YOLOX's grid is the cell's corner.
    expect_box(dets[0].box, -4 + 4, -4 + 4, 4, 4);  // centre (0,0), 8x8, clipped at 0
    expect_box(dets[1].box, 16, 16, 48, 48);        // centre (32,32), 32x32
}

TEST(DetectYolox, NonSquareInputUsesFloorGridRowMajor) {
    // 96x64: stride 8 grid 12x8, stride 16 6x4, stride 32 3x2.
    const int rows = 96 + 24 + 6;
    Tensor t = make_output(rows);
    set_row(t, 96 + 1 * 6 + 5, {0, 0, 0, 0, 0.9f, 0.9f, 0});  // stride 16, row 1, col 5
    auto dets = decode_yolox({{"output", t}}, 0, 96, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 72, 8, 88, 24);  // centre (80, 16), 16x16
}

TEST(DetectYolox, ThresholdIsOnObjectnessTimesBestClass) {
    Tensor t = make_output(kRows64);
    set_row(t, 10, {0, 0, 0, 0, 0.5f, 0.4f, 0.3f});  // 0.20: dropped
    set_row(t, 20, {0, 0, 0, 0, 0.5f, 0.3f, 0.6f});  // 0.30: kept, class 1
    auto dets = decode_yolox({{"output", t}}, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 1);
    EXPECT_NEAR(dets[0].score, 0.30f, 1e-6);
}

TEST(DetectYolox, AlreadyDecodedOutputIsTakenAsPixels) {
    Tensor t = make_output(3);  // row count need not match any grid
    set_row(t, 1, {300, 200, 100, 50, 0.9f, 0.9f, 0.1f});
    const InputTransform transform{0.5f, 0.5f, 0, 0, 2000, 2000};
    auto dets = decode_yolox({{"output", t}}, 0, 640, 640, kClasses, transform, options(),
                             YoloxFormat{.decoded = true});
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 500, 350, 700, 450);
}

TEST(DetectYolox, RowCountMismatchIsAnError) {
    Tensor t = make_output(kRows64);
    try {
        decode_yolox({{"output", t}}, 0, 640, 640, kClasses, identity(), options());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("84 rows"), std::string::npos) << message;
        EXPECT_NE(message.find("8400"), std::string::npos) << message;
    }
}

TEST(DetectYolox, SuppressesOverlapsOfTheSameClass) {
    Tensor t = make_output(kRows64);
    set_row(t, 64 + 5, {0, 0, std::log(2.0f), std::log(2.0f), 0.9f, 0.9f, 0});  // (1,1) at 16
    set_row(t, 64 + 6, {-1, 0, std::log(2.0f), std::log(2.0f), 0.9f, 0.8f, 0});  // same box
    set_row(t, 64 + 7, {-2, 0, std::log(2.0f), std::log(2.0f), 0.9f, 0, 0.8f});  // other class
    auto dets = decode_yolox({{"output", t}}, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_EQ(dets[0].class_id, 0);
    EXPECT_EQ(dets[1].class_id, 1);
}

TEST(DetectYolox, RawBoxesMapThroughLetterbox) {
    Tensor t = make_output(kRows64);
    const int row = 64 + 1 * 4 + 2;  // stride 16, grid row 1, col 2: corner (32, 16)
    set_row(t, row, {0.5f, 0.5f, std::log(2.0f), std::log(1.0f), 0.9f, 0.9f, 0});
    // A 128x64 image letterboxed into 64x64: scale 0.5, 16 px bars above and below.
    const InputTransform transform{0.5f, 0.5f, 0, 16, 128, 64};
    auto dets = decode_yolox({{"output", t}}, 0, 64, 64, kClasses, transform, options());
    ASSERT_EQ(dets.size(), 1u);
    // Model input: centre (40, 24), 32 x 16 -> (24, 16, 56, 32); back: (48, 0, 112, 32).
    expect_box(dets[0].box, 48, 0, 112, 32);
}

TEST(DetectYolox, BatchIndexInferredClassCountAndMaxDetections) {
    Tensor t = make_output(kRows64, /*batch=*/2);
    set_row(t, 3, {0, 0, 0, 0, 0.9f, 0.9f, 0}, /*b=*/1);
    set_row(t, 40, {0, 0, 0, 0, 0.9f, 0, 0.5f}, /*b=*/1);
    EXPECT_TRUE(decode_yolox({{"output", t}}, 0, 64, 64, kClasses, identity(), options()).empty());
    auto dets = decode_yolox({{"output", t}}, 1, 64, 64, /*num_classes=*/0, identity(), options());
    ASSERT_EQ(dets.size(), 2u);
    expect_box(dets[0].box, 20, 0, 28, 4);  // stride 8, col 3: centre (24, 0), 8x8, clipped at 0
    EXPECT_EQ(dets[1].class_id, 1);
    DecodeOptions opts = options();
    opts.max_detections = 1;
    dets = decode_yolox({{"output", t}}, 1, 64, 64, kClasses, identity(), opts);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 0);
    EXPECT_THROW(decode_yolox({{"output", t}}, 2, 64, 64, kClasses, identity(), options()), std::runtime_error);
}
