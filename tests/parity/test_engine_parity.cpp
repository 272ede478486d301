// OpenVINO against the OpenCV engine, on the same preprocessed photos: the default model and the
// real files in ../shared/models (nanodet_m.onnx, yolov5n IR with f16 weights). Every output of
// OpenVINO at f32 equals OpenCV's within 1e-3 of that output's largest magnitude; the decoded
// detections match (same labels, IoU >= 0.95); at bf16 (CPUs with AVX512-BF16 or AMX only) the
// detections match within IoU 0.9.
//
// ../shared is on CI and developer machines only: its models skip, saying where they were looked
// for, when it is absent. A build without OpenVINO skips everything here, saying so.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../integration/test_paths.hpp"
#include "detserve/app/detector.hpp"
#include "detserve/detect/box.hpp"
#include "detserve/engine/cpu_isa.hpp"
#include "detserve/engine/engine_choice.hpp"
#include "detserve/image/image_decoder.hpp"
#include "../support/working_directory.hpp"

namespace {

namespace fs = std::filesystem;
using detserve::NamedTensors;
using detserve::Tensor;
using detserve::app::Detector;
using detserve::detect::Detection;
namespace engine = detserve::engine;
namespace test = detserve::test;

// The bounds: f32 kernels differ in summation order and fusion only.
constexpr double kRelativeTolerance = 1e-3;
constexpr double kMinIouF32 = 0.95;
constexpr double kMinIouBf16 = 0.9;
// YOLOv5 decodes one class per anchor (the best), so where two classes nearly tie (horses.jpg's
// horse/cow) BF16 rounding can hand a label to a neighbouring anchor: measured on an AVX512-BF16
// EPYC (2026-12-07), the same labels with boxes at IoU 0.876 and 0.880 of f32's, while its dev-set
// mAP@[.50:.95] is 0.317 in bf16 against 0.312 in f32 (tests/parity/accuracy-floors.sh holds bf16
// to f32 there); on an AMX Xeon (2026-12-07) the cow's box moved to IoU 0.835. Which anchor wins a
// near-tie depends on the CPU's bf16 kernels (AVX512-BF16 or AMX tiles), so the bound is one both
// meet with room, still far above what a broken bf16 path gives (a missed object: IoU 0). NanoDet
// scores every class of a cell and meets kMinIouBf16.
constexpr double kMinIouBf16BestClassDecoder = 0.75;
// Detections within this of the threshold may fall on either side of it with either engine: those
// found by one engine are looked for among the other's at the threshold minus this margin.
constexpr float kScoreMargin = 0.02f;
constexpr std::int64_t kMaxPixels = 100'000'000;
const std::vector<std::string> kPhotos = {"dog.jpg", "person.jpg", "horses.jpg", "giraffe.jpg", "kite.jpg"};

fs::path shared_dir() {
    if (const char* dir = std::getenv("DETSERVE_SHARED_DIR"); dir && *dir) return dir;
    return fs::path(DETSERVE_SOURCE_DIR) / ".." / "shared";
}

struct ModelCase {
    std::string name;
    fs::path path;
    bool shared;  // from ../shared (skip when absent), else the default model (fail when absent)
    double min_iou_bf16 = kMinIouBf16;
};

std::vector<ModelCase> model_cases() {
    return {{"default_nanodet", test::default_model_path(), false},
            {"nanodet_m_onnx", shared_dir() / "models" / "nanodet_m.onnx", true},
            {"yolov5n_fp16_ir", shared_dir() / "models" / "yolov5n_openvino_fp16" / "yolov5n.xml", true,
             kMinIouBf16BestClassDecoder}};
}

using detserve::test::WorkingDirectory;

cv::Mat load_photo(const std::string& name) {
    const fs::path path = test::sample_photo(name);
    if (path.empty()) return {};
    return detserve::image::decode_image(test::read_bytes(path), kMaxPixels);
}

engine::EngineOptions options(engine::EngineKind kind, engine::Precision precision = engine::Precision::f32) {
    engine::EngineOptions o;
    o.engine = kind;
    o.precision = precision;
    return o;
}

double max_magnitude(const Tensor& t) {
    double m = 0;
    for (const float v : t.data) m = std::max(m, static_cast<double>(std::fabs(v)));
    return m;
}

// The OpenVINO output that corresponds to OpenCV's output `index`: the one of the same name, else
// the one at the same position (the IR's tensor names and OpenCV's layer names can differ).
const Tensor* counterpart(const NamedTensors& openvino, const NamedTensors& opencv, std::size_t index) {
    for (const auto& [name, tensor] : openvino)
        if (name == opencv[index].first) return &tensor;
    return index < openvino.size() ? &openvino[index].second : nullptr;
}

class EngineParity : public ::testing::TestWithParam<ModelCase> {
protected:
    void SetUp() override {
        if (!engine::openvino_built()) GTEST_SKIP() << "skipped: this detserve was built without OpenVINO";
        const ModelCase& c = GetParam();
        if (!fs::exists(c.path)) {
            if (c.shared)
                GTEST_SKIP() << "skipped: " << c.path.lexically_normal().string() << " not found (set DETSERVE_SHARED_DIR)";
            FAIL() << test::missing_model_message(c.path);
        }
        for (const auto& name : kPhotos) {
            cv::Mat photo = load_photo(name);
            ASSERT_FALSE(photo.empty()) << test::missing_photo_message(name);
            photos.push_back(std::move(photo));
        }
        const WorkingDirectory in_repository(DETSERVE_SOURCE_DIR);
        model = detserve::app::load_model(fs::absolute(c.path));
    }

    std::vector<cv::Mat> photos;
    detserve::app::Model model;
};

TEST_P(EngineParity, F32OutputsEqualOpenCvWithinATenthOfAPercentOfTheirRange) {
    Detector opencv(model, options(engine::EngineKind::opencv));
    Detector openvino(model, options(engine::EngineKind::openvino));
    ASSERT_EQ(openvino.engine().engine_name(), "openvino");
    ASSERT_EQ(openvino.engine().precision(), "f32");
    for (std::size_t p = 0; p < photos.size(); ++p) {
        SCOPED_TRACE(kPhotos[p]);
        std::vector<detserve::detect::InputTransform> transforms;
        const Tensor input = opencv.make_batch({photos[p]}, transforms);
        const NamedTensors expected = opencv.engine().infer(input);
        const NamedTensors actual = openvino.engine().infer(input);
        ASSERT_EQ(actual.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const auto& [name, want] = expected[i];
            SCOPED_TRACE("output " + name);
            const Tensor* got = counterpart(actual, expected, i);
            ASSERT_NE(got, nullptr);
            ASSERT_EQ(got->shape, want.shape);
            const double bound = kRelativeTolerance * max_magnitude(want);
            double worst = 0;
            std::size_t worst_at = 0;
            for (std::size_t k = 0; k < want.data.size(); ++k) {
                const double diff = std::fabs(static_cast<double>(got->data[k]) - want.data[k]);
                if (diff > worst) worst = diff, worst_at = k;
            }
            EXPECT_LE(worst, bound) << "element " << worst_at << ": OpenVINO " << got->data[worst_at] << ", OpenCV "
                                    << want.data[worst_at] << " (largest magnitude " << max_magnitude(want) << ")";
        }
    }
}

// Every detection of `found` (at the model's threshold) has one of the same label in `others`
// (decoded at the threshold minus kScoreMargin) overlapping it by at least `min_iou`.
void expect_matched(const std::vector<Detection>& found, const std::vector<Detection>& others, double min_iou,
                    const std::string& found_by, const std::string& other) {
    for (const auto& d : found) {
        double best = 0;
        for (const auto& o : others)
            if (o.class_id == d.class_id) best = std::max(best, static_cast<double>(detserve::detect::iou(d.box, o.box)));
        EXPECT_GE(best, min_iou) << found_by << "'s " << d.label << " (score " << d.score << ", box " << d.box.x_min
                                 << "," << d.box.y_min << "," << d.box.x_max << "," << d.box.y_max << ") has no "
                                 << other << " match";
    }
}

void expect_same_detections(Detector& reference, Detector& candidate, const std::vector<cv::Mat>& photos,
                            double min_iou) {
    auto at_threshold = reference.default_options();
    auto below = at_threshold;
    below.score_threshold = std::max(0.0f, at_threshold.score_threshold - kScoreMargin);
    std::size_t compared = 0;
    for (std::size_t p = 0; p < photos.size(); ++p) {
        SCOPED_TRACE(kPhotos[p]);
        const auto ref = reference.detect({photos[p]}, at_threshold).at(0).detections;
        const auto ref_below = reference.detect({photos[p]}, below).at(0).detections;
        const auto got = candidate.detect({photos[p]}, at_threshold).at(0).detections;
        const auto got_below = candidate.detect({photos[p]}, below).at(0).detections;
        expect_matched(ref, got_below, min_iou, reference.engine().engine_name(), candidate.engine().engine_name());
        expect_matched(got, ref_below, min_iou, candidate.engine().engine_name(), reference.engine().engine_name());
        compared += ref.size();
    }
    EXPECT_GT(compared, 0u) << "no detection on any photo: nothing was compared";
}

TEST_P(EngineParity, F32DetectionsMatchOpenCv) {
    Detector opencv(model, options(engine::EngineKind::opencv));
    Detector openvino(model, options(engine::EngineKind::openvino));
    expect_same_detections(opencv, openvino, photos, kMinIouF32);
}

TEST_P(EngineParity, Bf16DetectionsMatchF32) {
    if (!engine::has_bf16(engine::host_cpu_isa_flags()))
        GTEST_SKIP() << "skipped: this CPU has no AVX512-BF16 or AMX (cpu isa: "
                     << engine::join_isa(engine::host_cpu_isa_flags()) << ")";
    Detector f32(model, options(engine::EngineKind::openvino, engine::Precision::f32));
    Detector bf16(model, options(engine::EngineKind::openvino, engine::Precision::bf16));
    ASSERT_EQ(bf16.engine().precision(), "bf16");
    expect_same_detections(f32, bf16, photos, GetParam().min_iou_bf16);
}

INSTANTIATE_TEST_SUITE_P(Models, EngineParity, ::testing::ValuesIn(model_cases()),
                         [](const ::testing::TestParamInfo<ModelCase>& info) { return info.param.name; });

}  // namespace
