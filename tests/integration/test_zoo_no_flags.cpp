// The detectors people have (../shared/models/zoo, MANIFEST.md there) load with no flags — no
// sidecar written for them, only what the files say and what detserve knows (its Open Model Zoo
// table, config/models/ for FastestDet's ONNX) — and, at their own default threshold, put the
// label they were trained for on a sample photo. Accuracy against a reference is
// parity.zoo_accuracy's business; this is the front door: load, detect, the right word.
// Skips, saying why, without ../shared.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "detserve/app/detector.hpp"
#include "detserve/image/image_decoder.hpp"
#include "../support/working_directory.hpp"
#include "test_paths.hpp"

namespace {

namespace fs = std::filesystem;
namespace test = detserve::test;
using detserve::app::Detector;

constexpr std::int64_t kMaxPixels = 100'000'000;

fs::path zoo_dir() {
    if (const char* dir = std::getenv("DETSERVE_SHARED_DIR"); dir && *dir) return fs::path(dir) / "models" / "zoo";
    return fs::path(DETSERVE_SOURCE_DIR) / ".." / "shared" / "models" / "zoo";
}

struct NoFlagsCase {
    std::string name;  // for the test's name
    std::string file;  // under models/zoo
    std::string photo;
    std::string label;  // one of its detections there
};

std::vector<NoFlagsCase> cases() {
    return {
        {"yolo11n_int8_640", "yolo11n-int8-640/yolo11n.xml", "dog.jpg", "dog"},
        {"yolo11n_int8_320_nms", "yolo11n-int8-320-nms/yolo11n.xml", "dog.jpg", "dog"},
        {"yolov8n_int8_u8_nhwc", "yolov8n-int8-u8-nhwc/yolov8n_with_preprocess.xml", "dog.jpg", "dog"},
        {"nanodet_plus_m_416_fp16", "nanodet-plus-m-416-fp16/nanodet-plus-m_416_fp16.xml", "dog.jpg", "dog"},
        {"fastestdet_onnx", "fastestdet-onnx/FastestDet.onnx", "dog.jpg", "dog"},
        {"pedestrian_and_vehicle_vehicle", "pedestrian-and-vehicle-detector-adas-0001-fp16/pedestrian-and-vehicle-detector-adas-0001.xml",
         "dog.jpg", "vehicle"},
        {"pedestrian_and_vehicle_pedestrian", "pedestrian-and-vehicle-detector-adas-0001-fp16/pedestrian-and-vehicle-detector-adas-0001.xml",
         "person.jpg", "pedestrian"},
        {"pedestrian_adas_0002_irv10", "pedestrian-detection-adas-0002-fp16-irv10/pedestrian-detection-adas-0002.xml", "person.jpg",
         "pedestrian"},
        {"face_retail_0004_fp32", "face-detection-retail-0004-fp32/face-detection-retail-0004.xml", "scream.jpg", "face"},
        {"face_retail_0004_int8", "face-detection-retail-0004-int8/face-detection-retail-0004.xml", "scream.jpg", "face"},
    };
}

using detserve::test::WorkingDirectory;

class ZooNoFlags : public testing::TestWithParam<NoFlagsCase> {};

TEST_P(ZooNoFlags, LoadsAndPutsItsLabelOnAPhoto) {
    const NoFlagsCase& c = GetParam();
    const fs::path model_path = fs::absolute(zoo_dir() / c.file);
    if (!fs::exists(model_path))
        GTEST_SKIP() << "skipped: " << model_path.lexically_normal() << " not found (../shared absent; set DETSERVE_SHARED_DIR)";
    const fs::path photo = test::sample_photo(c.photo);
    ASSERT_FALSE(photo.empty()) << test::missing_photo_message(c.photo);
    auto beside = model_path;
    ASSERT_FALSE(fs::exists(beside.replace_extension(".json"))) << "a sidecar beside the zoo file would make this test moot";

    // From the repository root: config/models/ is where detserve's own specs are found.
    const WorkingDirectory root(DETSERVE_SOURCE_DIR);
    const auto model = detserve::app::load_model(model_path);
    EXPECT_FALSE(model.spec_source.empty());
    Detector detector(model, {});
    const auto found =
        detector.detect({detserve::image::decode_image(test::read_bytes(photo), kMaxPixels)}, detector.default_options())
            .at(0)
            .detections;
    std::string labels;
    bool has_label = false;
    for (const auto& d : found) {
        labels += " " + d.label + " " + std::to_string(d.score);
        has_label = has_label || d.label == c.label;
    }
    EXPECT_TRUE(has_label) << c.file << " on " << c.photo << " (spec from " << model.spec_source << ", family "
                           << model.spec.model_type << "): no '" << c.label << "' among:" << (labels.empty() ? " nothing" : labels);
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooNoFlags, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<NoFlagsCase>& info) { return info.param.name; });

}  // namespace
