#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "detserve/detect/nanodet_decoder.hpp"

using namespace detserve;
using namespace detserve::detect;

namespace {

constexpr int kClasses = 5;
constexpr float kPeak = 100.0f;  // a logit that puts all softmax mass in its bin

int cells_along(int pixels, int stride) { return (pixels + stride - 1) / stride; }

// Zeroed NanoDet outputs for a W x H input: per stride a score and a box tensor, deliberately
// named so that names cannot be relied on, and with the box tensors listed first.
struct NanodetOutputs {
    int width, height, reg_max, batch;
    std::vector<int> strides = {8, 16, 32};
    NamedTensors tensors;

    NanodetOutputs(int w, int h, int reg, int b = 1) : width(w), height(h), reg_max(reg), batch(b) {
        for (int s : strides) {
            const std::int64_t n = cells_along(w, s) * cells_along(h, s);
            tensors.push_back({"dis" + std::to_string(s), zeros({b, n, 4 * (reg + 1)})});
        }
        for (int s : strides) {
            const std::int64_t n = cells_along(w, s) * cells_along(h, s);
            tensors.push_back({"cls" + std::to_string(s), zeros({b, n, kClasses})});
        }
    }
    static Tensor zeros(std::vector<std::int64_t> shape) {
        Tensor t{std::move(shape), {}};
        t.data.assign(t.elements(), 0.0f);
        return t;
    }
    std::size_t stride_slot(int stride) const {
        for (std::size_t i = 0; i < strides.size(); ++i)
            if (strides[i] == stride) return i;
        throw std::logic_error("stride");
    }
    int cell(int stride, int row, int col) const { return row * cells_along(width, stride) + col; }
    Tensor& scores(int stride) { return tensors[strides.size() + stride_slot(stride)].second; }
    Tensor& boxes(int stride) { return tensors[stride_slot(stride)].second; }

    void set_score(int stride, int cell_index, int class_id, float score, int b = 0) {
        Tensor& t = scores(stride);
        t.data[static_cast<std::size_t>((b * t.dim(1) + cell_index) * kClasses + class_id)] = score;
    }
    // logits for one side (0 left, 1 top, 2 right, 3 bottom) of one cell.
    void set_side(int stride, int cell_index, int side, const std::vector<float>& logits, int b = 0) {
        Tensor& t = boxes(stride);
        const int bins = reg_max + 1;
        ASSERT_EQ(static_cast<int>(logits.size()), bins);
        const std::int64_t base = (b * t.dim(1) + cell_index) * t.dim(2) + side * bins;
        for (int k = 0; k < bins; ++k) t.data[static_cast<std::size_t>(base + k)] = logits[static_cast<std::size_t>(k)];
    }
    // One-hot-like logits whose softmax expectation is exactly `bin`.
    std::vector<float> peak_at(int bin) const {
        std::vector<float> logits(static_cast<std::size_t>(reg_max + 1), 0.0f);
        logits[static_cast<std::size_t>(bin)] = kPeak;
        return logits;
    }
    // Two equal peaks: expectation is their mean.
    std::vector<float> peaks_at(int a, int b) const {
        std::vector<float> logits(static_cast<std::size_t>(reg_max + 1), 0.0f);
        logits[static_cast<std::size_t>(a)] = kPeak;
        logits[static_cast<std::size_t>(b)] = kPeak;
        return logits;
    }
};

// Maps 1:1; no original size, so no clipping: decoded coordinates are seen as they are.
InputTransform identity() { return {}; }

DecodeOptions options(float threshold = 0.3f) { return {threshold, 0.6f, 100}; }

void expect_box(const Box& b, float x0, float y0, float x1, float y1) {
    EXPECT_NEAR(b.x_min, x0, 1e-3);
    EXPECT_NEAR(b.y_min, y0, 1e-3);
    EXPECT_NEAR(b.x_max, x1, 1e-3);
    EXPECT_NEAR(b.y_max, y1, 1e-3);
}

}  // namespace

TEST(DetectNanodet, DecodesKnownBoxInKnownCell) {
    NanodetOutputs out(64, 64, 7);
    const int cell = out.cell(16, 1, 2);  // stride 16, 4x4 grid, row 1 col 2
    out.set_score(16, cell, 3, 0.9f);
    out.set_side(16, cell, 0, out.peak_at(2));      // left   2   bins
    out.set_side(16, cell, 1, out.peaks_at(1, 2));  // top    1.5 bins
    out.set_side(16, cell, 2, out.peak_at(3));      // right  3   bins
    out.set_side(16, cell, 3, out.peaks_at(0, 4));  // bottom 2   bins

    auto dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 3);
    EXPECT_FLOAT_EQ(dets[0].score, 0.9f);
    EXPECT_TRUE(dets[0].label.empty());
    // centre ((2 + 0.5) * 16, (1 + 0.5) * 16) = (40, 24)
    expect_box(dets[0].box, 40 - 32, 24 - 24, 40 + 48, 24 + 32);
}

TEST(DetectNanodet, CellCentreIsOffsetByHalfAStride) {
    NanodetOutputs out(64, 64, 7);
    // All mass in bin 0: a zero-size box sitting exactly on the cell centre.
    const int cell = out.cell(8, 3, 5);
    out.set_score(8, cell, 0, 0.8f);
    for (int side = 0; side < 4; ++side) out.set_side(8, cell, side, out.peak_at(0));
    auto dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 44, 28, 44, 28);  // ((5 + 0.5) * 8, (3 + 0.5) * 8)
}

TEST(DetectNanodet, SideDistanceIsSoftmaxExpectationTimesStride) {
    NanodetOutputs out(64, 64, 7);
    const std::vector<float> logits = {0.3f, -1.2f, 2.0f, 0.7f, -0.4f, 1.1f, 0.0f, -2.5f};
    double sum = 0, weighted = 0;
    for (std::size_t k = 0; k < logits.size(); ++k) {
        sum += std::exp(static_cast<double>(logits[k]));
        weighted += std::exp(static_cast<double>(logits[k])) * static_cast<double>(k);
    }
    const double expected_bins = weighted / sum;  // reference softmax expectation, in double

    const int cell = out.cell(32, 0, 0);
    out.set_score(32, cell, 1, 0.5f);
    for (int side = 0; side < 4; ++side) out.set_side(32, cell, side, logits);
    auto dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    const double d = expected_bins * 32;
    expect_box(dets[0].box, static_cast<float>(16 - d), static_cast<float>(16 - d),
               static_cast<float>(16 + d), static_cast<float>(16 + d));
}

TEST(DetectNanodet, LargeLogitsDoNotOverflow) {
    NanodetOutputs out(64, 64, 7);
    const int cell = out.cell(8, 0, 0);
    out.set_score(8, cell, 0, 0.9f);
    std::vector<float> logits(8, 1000.0f);  // exp(1000) overflows a float without the shift
    for (int side = 0; side < 4; ++side) out.set_side(8, cell, side, logits);
    auto dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 4 - 28, 4 - 28, 4 + 28, 4 + 28);  // uniform over 0..7: 3.5 bins
}

class DetectNanodetRegMax : public ::testing::TestWithParam<int> {};

TEST_P(DetectNanodetRegMax, ReadsRegMaxFromTheBoxTensor) {
    const int reg_max = GetParam();
    NanodetOutputs out(64, 64, reg_max);
    const int cell = out.cell(8, 2, 2);  // centre (20, 20)
    out.set_score(8, cell, 4, 0.7f);
    out.set_side(8, cell, 0, out.peak_at(reg_max));  // the farthest bin
    out.set_side(8, cell, 1, out.peak_at(1));
    out.set_side(8, cell, 2, out.peak_at(reg_max - 1));
    out.set_side(8, cell, 3, out.peaks_at(reg_max - 1, reg_max));
    auto dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    const float r = static_cast<float>(reg_max);
    expect_box(dets[0].box, 20 - 8 * r, 20 - 8, 20 + 8 * (r - 1), 20 + 8 * (r - 0.5f));
}

INSTANTIATE_TEST_SUITE_P(PublishedHeads, DetectNanodetRegMax, ::testing::Values(7, 10));

TEST(DetectNanodet, NonSquareInputUsesCeilGridRowMajor) {
    // 100x60: stride 16 grid is ceil(100/16)=7 wide, ceil(60/16)=4 high.
    NanodetOutputs out(100, 60, 7);
    ASSERT_EQ(out.scores(16).dim(1), 28);
    const int cell = 3 * 7 + 6;  // row 3, col 6: the last cell
    out.set_score(16, cell, 2, 0.6f);
    for (int side = 0; side < 4; ++side) out.set_side(16, cell, side, out.peak_at(0));
    auto dets = decode_nanodet(out.tensors, 0, 100, 60, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 104, 56, 104, 56);  // ((6 + 0.5) * 16, (3 + 0.5) * 16), unclipped
}

TEST(DetectNanodet, MapsThroughLetterboxAndClips) {
    NanodetOutputs out(64, 64, 7);
    const int cell = out.cell(16, 1, 1);  // centre (24, 24)
    out.set_score(16, cell, 0, 0.9f);
    out.set_side(16, cell, 0, out.peak_at(1));  // x_min 8
    out.set_side(16, cell, 1, out.peak_at(0));  // y_min 24
    out.set_side(16, cell, 2, out.peak_at(2));  // x_max 56
    out.set_side(16, cell, 3, out.peak_at(2));  // y_max 56
    // 128x96 image letterboxed into 64x64: scale 0.5, 8 px bars above and below.
    const InputTransform t{0.5f, 0.5f, 0, 8, 128, 96};
    auto dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, t, options());
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 16, 32, 112, 96);  // y_max (56-8)/0.5 = 96: exactly the edge

    out.set_side(16, cell, 3, out.peak_at(4));  // y_max 88 -> 160, clipped to 96
    out.set_side(16, cell, 0, out.peak_at(3));  // x_min -24 -> -48, clipped to 0
    dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, t, options());
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 0, 32, 112, 96);
}

TEST(DetectNanodet, ThresholdIsStrictAndEveryClassAboveItIsACandidate) {
    NanodetOutputs out(64, 64, 7);
    const int cell = out.cell(8, 4, 4);
    out.set_score(8, cell, 0, 0.3f);   // equal to the threshold: dropped
    out.set_score(8, cell, 1, 0.31f);  // kept
    out.set_score(8, cell, 4, 0.95f);  // kept; same box, other class: not suppressed
    out.set_score(8, out.cell(8, 0, 0), 2, 0.29f);  // below
    auto dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options(0.3f));
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_EQ(dets[0].class_id, 4);
    EXPECT_EQ(dets[1].class_id, 1);

    dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options(0.9f));
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].class_id, 4);
}

TEST(DetectNanodet, AppliesClassWiseNmsAndMaxDetections) {
    NanodetOutputs out(64, 64, 7);
    // Two neighbouring stride-8 cells with the same large box (3 bins each side) and same class.
    const int a = out.cell(8, 4, 4), b = out.cell(8, 4, 5);
    out.set_score(8, a, 0, 0.9f);
    out.set_score(8, b, 0, 0.8f);
    for (int side = 0; side < 4; ++side) {
        out.set_side(8, a, side, out.peak_at(3));
        out.set_side(8, b, side, out.peak_at(3));
    }
    auto dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);  // IoU 40/56 > 0.6
    EXPECT_FLOAT_EQ(dets[0].score, 0.9f);

    out.set_score(8, b, 1, 0.7f);  // another class at cell b survives
    DecodeOptions opts = options();
    dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), opts);
    EXPECT_EQ(dets.size(), 2u);
    opts.max_detections = 1;
    dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), opts);
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_FLOAT_EQ(dets[0].score, 0.9f);
}

TEST(DetectNanodet, ReadsTheRequestedBatchImage) {
    NanodetOutputs out(64, 64, 7, /*batch=*/2);
    const int cell = out.cell(32, 1, 1);
    out.set_score(32, cell, 2, 0.9f, /*b=*/1);
    for (int side = 0; side < 4; ++side) out.set_side(32, cell, side, out.peak_at(1), /*b=*/1);
    EXPECT_TRUE(decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options()).empty());
    auto dets = decode_nanodet(out.tensors, 1, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 16, 16, 80, 80);
    EXPECT_THROW(decode_nanodet(out.tensors, 2, 64, 64, kClasses, identity(), options()),
                 std::runtime_error);
}

TEST(DetectNanodet, MissingTensorErrorNamesStrideAndShapes) {
    NanodetOutputs out(64, 64, 7);
    out.tensors.erase(out.tensors.begin() + 2);  // the stride-32 box tensor, [1,4,32]
    try {
        decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("stride 32"), std::string::npos) << message;
        EXPECT_NE(message.find("box"), std::string::npos) << message;
        EXPECT_NE(message.find("[1,64,32]"), std::string::npos) << message;  // shapes present
    }
}

TEST(DetectNanodet, WrongClassCountIsReportedAsMissingScores) {
    NanodetOutputs out(64, 64, 7);
    try {
        decode_nanodet(out.tensors, 0, 64, 64, 80, identity(), options());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("score"), std::string::npos) << message;
        EXPECT_NE(message.find("stride 8"), std::string::npos) << message;
        EXPECT_NE(message.find("[1,64,5]"), std::string::npos) << message;
    }
}

TEST(DetectNanodet, ClassCountEqualToBoxChannelsIsReportedAsAmbiguous) {
    NanodetOutputs out(64, 64, 7);  // box tensors have 32 channels
    for (int stride : out.strides) {
        Tensor& scores = out.scores(stride);
        scores.shape[2] = 32;
        scores.data.assign(scores.elements(), 0.0f);
    }
    try {
        decode_nanodet(out.tensors, 0, 64, 64, 32, identity(), options());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot be told apart"), std::string::npos) << e.what();
    }
}

TEST(DetectNanodet, CentreOffsetIsAFormatOption) {
    // NanoDet-Plus puts the cell centre on the cell's corner: (col, row)·s instead of (+0.5)·s.
    NanodetOutputs out(64, 64, 7);
    const int cell = out.cell(16, 1, 2);
    out.set_score(16, cell, 0, 0.8f);
    for (int side = 0; side < 4; ++side) out.set_side(16, cell, side, out.peak_at(1));
    NanodetFormat plus;
    plus.center_offset = kNanodetPlusCenterOffset;
    auto dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options(), plus);
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 32 - 16, 16 - 16, 32 + 16, 16 + 16);  // centre (2 * 16, 1 * 16)
    dets = decode_nanodet(out.tensors, 0, 64, 64, kClasses, identity(), options());
    ASSERT_EQ(dets.size(), 1u);
    expect_box(dets[0].box, 40 - 16, 24 - 16, 40 + 16, 24 + 16);  // the GFL default, +0.5
}

namespace {

// The same outputs as one [B, ΣN_s, C + 4*(reg_max+1)] tensor: strides in order, each row the
// class scores then the four distributions (nanodet's _forward_onnx).
Tensor concatenate(NanodetOutputs& out) {
    const std::int64_t box_channels = 4 * (out.reg_max + 1);
    const std::int64_t row = kClasses + box_channels;
    std::int64_t total = 0;
    for (int s : out.strides) total += out.scores(s).dim(1);
    Tensor t{{out.batch, total, row}, {}};
    t.data.assign(t.elements(), -1.0f);  // a stray layout mix-up would read these
    for (int b = 0; b < out.batch; ++b) {
        std::int64_t first = 0;
        for (int s : out.strides) {
            const Tensor& scores = out.scores(s);
            const Tensor& boxes = out.boxes(s);
            const std::int64_t cells = scores.dim(1);
            for (std::int64_t c = 0; c < cells; ++c) {
                float* dst = t.data.data() + ((b * total + first + c) * row);
                const float* score_src = scores.data.data() + (b * cells + c) * kClasses;
                const float* box_src = boxes.data.data() + (b * cells + c) * box_channels;
                std::copy(score_src, score_src + kClasses, dst);
                std::copy(box_src, box_src + box_channels, dst + kClasses);
            }
            first += cells;
        }
    }
    return t;
}

}  // namespace

TEST(DetectNanodet, ConcatenatedOutputDecodesLikeTheSplitOne) {
    NanodetOutputs out(96, 64, 10, /*batch=*/2);  // non-square: 12x8, 6x4, 3x2 cells
    // Image 1: one box in each stride block, the last cell of the last block included.
    const int a = out.cell(8, 7, 11), b = out.cell(16, 2, 3), c = out.cell(32, 1, 2);
    out.set_score(8, a, 1, 0.9f, 1);
    out.set_score(16, b, 4, 0.8f, 1);
    out.set_score(32, c, 0, 0.7f, 1);
    for (int side = 0; side < 4; ++side) {
        out.set_side(8, a, side, out.peak_at(1), 1);
        out.set_side(16, b, side, out.peaks_at(2, 3), 1);
        out.set_side(32, c, side, out.peak_at(side), 1);
    }
    const NamedTensors concatenated = {{"output", concatenate(out)}};
    ASSERT_EQ(concatenated[0].second.dim(1), 96 + 24 + 6);

    const auto split = decode_nanodet(out.tensors, 1, 96, 64, kClasses, identity(), options());
    const auto single = decode_nanodet(concatenated, 1, 96, 64, kClasses, identity(), options());
    ASSERT_EQ(split.size(), 3u);
    ASSERT_EQ(single.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(single[i].class_id, split[i].class_id);
        EXPECT_FLOAT_EQ(single[i].score, split[i].score);
        expect_box(single[i].box, split[i].box.x_min, split[i].box.y_min, split[i].box.x_max, split[i].box.y_max);
    }
    expect_box(single[0].box, 92 - 8, 60 - 8, 92 + 8, 60 + 8);  // stride 8 (11.5, 7.5) cells
    expect_box(single[2].box, 80 - 0, 48 - 32, 80 + 64, 48 + 96);  // stride 32, sides 0,1,2,3 bins

    EXPECT_TRUE(decode_nanodet(concatenated, 0, 96, 64, kClasses, identity(), options()).empty());
}

TEST(DetectNanodet, NoMatchingLayoutNamesBoth) {
    const NamedTensors outputs = {{"output", NanodetOutputs::zeros({1, 80, kClasses + 32})}};  // 84 rows expected
    try {
        decode_nanodet(outputs, 0, 64, 64, kClasses, identity(), options());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("[B,64,5]"), std::string::npos) << message;
        EXPECT_NE(message.find("[B,84,5+4*(reg_max+1)]"), std::string::npos) << message;
        EXPECT_NE(message.find("'output' [1,80,37]"), std::string::npos) << message;
    }
}
