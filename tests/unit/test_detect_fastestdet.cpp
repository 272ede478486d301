// The fastestdet family, decoded as FastestDet's repository decodes its output
// (example/onnx-runtime/runtime.py): objectness channel 0, tanh centre offsets, sigmoid sizes,
// score objectness^0.6 · class^0.4, boxes normalised to the input.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "detserve/detect/fastestdet_decoder.hpp"

using namespace detserve;
using namespace detserve::detect;

namespace {

constexpr int kClasses = 3;
constexpr int kChannels = 5 + kClasses;
constexpr int kGridH = 2;
constexpr int kGridW = 3;

// [batch, 5 + C, H, W], every cell empty: objectness 0, class probabilities uniform.
Tensor make_output(int batch = 1) {
    Tensor t{{batch, kChannels, kGridH, kGridW}, {}};
    t.data.assign(t.elements(), 0.0f);
    for (int b = 0; b < batch; ++b)
        for (int c = 0; c < kClasses; ++c)
            for (int i = 0; i < kGridH * kGridW; ++i)
                t.data[static_cast<std::size_t>(((b * kChannels) + 5 + c) * kGridH * kGridW + i)] = 1.0f / kClasses;
    return t;
}

float logit(float p) { return std::log(p / (1 - p)); }

// Channel values of one cell: objectness, tx, ty, tw, th (raw), class probabilities.
void set_cell(Tensor& t, int row, int col, std::vector<float> values, int b = 0) {
    ASSERT_EQ(values.size(), static_cast<std::size_t>(kChannels));
    for (int ch = 0; ch < kChannels; ++ch)
        t.data[static_cast<std::size_t>(((b * kChannels + ch) * kGridH + row) * kGridW + col)] =
            values[static_cast<std::size_t>(ch)];
}

InputTransform identity() { return {1, 1, 0, 0, 300, 200}; }
DecodeOptions options() { return {0.5f, 0.45f, 100, NmsMode::agnostic}; }

}  // namespace

TEST(DetectFastestDet, DecodesACellAsTheRepositoryDoes) {
    Tensor t = make_output();
    //             obj   tx  ty                 tw  th            classes
    set_cell(t, 1, 2, {0.8f, 0, std::atanh(0.5f), 0, logit(0.25f), 0.1f, 0.2f, 0.7f});
    const auto dets = decode_fastestdet({{"758", t}}, 0, 300, 200, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 2);
    EXPECT_NEAR(dets[0].score, std::pow(0.8f, 0.6f) * std::pow(0.7f, 0.4f), 1e-5);
    // centre ((2 + tanh 0) / 3, (1 + 0.5) / 2) = (0.667, 0.75) · (300, 200) = (200, 150);
    // size (sigmoid 0, 0.25) = (0.5, 0.25) · (300, 200) = (150, 50)
    EXPECT_NEAR(dets[0].box.x_min, 125, 1e-3);
    EXPECT_NEAR(dets[0].box.y_min, 125, 1e-3);
    EXPECT_NEAR(dets[0].box.x_max, 275, 1e-3);
    EXPECT_NEAR(dets[0].box.y_max, 175, 1e-3);
}

TEST(DetectFastestDet, ScoreWeighsObjectnessOverClass) {
    Tensor t = make_output();
    // objectness · class = 0.36 would miss a 0.5 threshold; 0.9^0.6 · 0.4^0.4 = 0.651 passes.
    set_cell(t, 0, 0, {0.9f, 0, 0, 0, 0, 0.4f, 0.3f, 0.3f});
    // A confident class with no objectness is nothing: channel 0 is the objectness.
    set_cell(t, 1, 0, {0.0f, 0, 0, 0, 0, 1.0f, 0, 0});
    const auto dets = decode_fastestdet({{"758", t}}, 0, 300, 200, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 0);
    EXPECT_NEAR(dets[0].score, 0.6506f, 1e-3);
}

TEST(DetectFastestDet, MapsToTheOriginalImageAndSuppressesAcrossClasses) {
    Tensor t = make_output();
    set_cell(t, 0, 1, {0.9f, 0, 0, 0, 0, 0.9f, 0.05f, 0.05f});
    set_cell(t, 0, 2, {0.8f, -5, 0, 0, 0, 0.05f, 0.9f, 0.05f});  // tanh(-5) ≈ -1: the centre of cell 1
    // A 600x400 image stretched into 300x200.
    const InputTransform transform{0.5f, 0.5f, 0, 0, 600, 400};
    auto dets = decode_fastestdet({{"758", t}}, 0, 300, 200, kClasses, transform, options());
    ASSERT_EQ(dets.size(), 1u);  // agnostic, as the repository's nms()
    EXPECT_EQ(dets[0].class_id, 0);
    EXPECT_NEAR(dets[0].box.x_min, 50, 1e-2);   // (1/3 · 300 - 0.5 · 300 / 2) / 0.5
    EXPECT_NEAR(dets[0].box.y_min, 0, 1e-2);    // (0 - 50) / 0.5, clipped to the image
    EXPECT_NEAR(dets[0].box.y_max, 100, 1e-2);  // (0 + 50) / 0.5
    DecodeOptions class_wise = options();
    class_wise.nms = NmsMode::class_wise;
    dets = decode_fastestdet({{"758", t}}, 0, 300, 200, kClasses, transform, class_wise);
    EXPECT_EQ(dets.size(), 2u);
}

TEST(DetectFastestDet, BatchIndexAndInferredClassCount) {
    Tensor t = make_output(2);
    set_cell(t, 1, 1, {0.9f, 0, 0, 0, 0, 0, 0.9f, 0.1f}, /*b=*/1);
    EXPECT_TRUE(decode_fastestdet({{"758", t}}, 0, 300, 200, kClasses, identity(), options()).empty());
    const auto dets = decode_fastestdet({{"758", t}}, 1, 300, 200, 0, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 1);
    EXPECT_THROW(decode_fastestdet({{"758", t}}, 2, 300, 200, kClasses, identity(), options()), std::runtime_error);
}

TEST(DetectFastestDet, WrongShapeErrorListsOutputs) {
    Tensor t = make_output();
    try {
        decode_fastestdet({{"758", t}}, 0, 300, 200, 80, identity(), options());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("fastestdet"), std::string::npos) << message;
        EXPECT_NE(message.find("[B,85,H,W]"), std::string::npos) << message;
        EXPECT_NE(message.find("'758' [1,8,2,3]"), std::string::npos) << message;
    }
}
