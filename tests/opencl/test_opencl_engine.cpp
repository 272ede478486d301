// NanoDet on OpenCV's OpenCL target against its CPU target. On this CPU-only machine the OpenCL
// device is POCL, which OpenCV only uses with OPENCV_DNN_OPENCL_ALLOW_ALL_DEVICES=1 and
// OPENCV_OPENCL_DEVICE=:CPU: (set below, before OpenCV first looks at OpenCL, unless the caller
// chose otherwise); without them dnn silently falls back to the CPU backend, so the test first
// proves OpenCL is really in use.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/core/ocl.hpp>

#include "detserve/app/detector.hpp"
#include "detserve/engine/opencv_engine.hpp"
#include "detserve/image/image_decoder.hpp"

namespace {

namespace fs = std::filesystem;

const bool kOpenClEnvironment = [] {
    setenv("OPENCV_DNN_OPENCL_ALLOW_ALL_DEVICES", "1", 0);
    setenv("OPENCV_OPENCL_DEVICE", ":CPU:", 0);
    return true;
}();

fs::path model_path() {
    if (const char* env = std::getenv("DETSERVE_MODEL")) return env;
    return fs::path(DETSERVE_SOURCE_DIR) / "models/nanodet/nanodet.xml";
}

fs::path sample(const std::string& name) {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("DETSERVE_SAMPLES_DIR")) dirs.emplace_back(env);
    dirs.emplace_back("/usr/share/darknet/data");
    if (const char* home = std::getenv("HOME")) dirs.push_back(fs::path(home) / ".cache/detserve/samples");
    for (const auto& dir : dirs)
        if (fs::exists(dir / name)) return dir / name;
    return {};
}

TEST(OpenClEngine, NanoDetOnPoclMatchesCpu) {
    ASSERT_TRUE(kOpenClEnvironment);
    ASSERT_STREQ(std::getenv("OPENCV_DNN_OPENCL_ALLOW_ALL_DEVICES"), "1");
    ASSERT_TRUE(detserve::engine::opencl_available()) << "no OpenCL device: install pocl-opencl-icd (scripts/install-deps.sh)";
    ASSERT_TRUE(cv::ocl::useOpenCL());
    const std::string device = detserve::engine::opencl_device_name();
    std::cout << "OpenCL device: " << device << " (platform " << cv::ocl::Device::getDefault().vendorName() << ")\n";
    EXPECT_NE(device.find("pthread"), std::string::npos) << "expected the POCL CPU device, got " << device;

    ASSERT_TRUE(fs::exists(model_path())) << "run scripts/fetch-default-model.sh";
    const fs::path photo = sample("dog.jpg");
    ASSERT_FALSE(photo.empty()) << "run scripts/fetch-sample-images.sh";
    std::ifstream in(photo, std::ios::binary);
    const std::vector<std::uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
    const cv::Mat image = detserve::image::decode_image(bytes, 0);

    const auto model = detserve::app::load_model(model_path());
    // Both on the OpenCV engine: its OpenCL target against its CPU target.
    const auto opencv_on = [](detserve::engine::Target target) {
        detserve::engine::EngineOptions options;
        options.engine = detserve::engine::EngineKind::opencv;
        options.target = target;
        return options;
    };
    detserve::app::Detector cpu(model, opencv_on(detserve::engine::Target::cpu));
    detserve::app::Detector opencl(model, opencv_on(detserve::engine::Target::opencl));
    EXPECT_EQ(opencl.engine().target(), detserve::engine::Target::opencl);

    std::vector<detserve::detect::InputTransform> transforms;
    const detserve::Tensor input = cpu.make_batch({image}, transforms);
    const auto expected = cpu.engine().infer(input);
    const auto actual = opencl.engine().infer(input);  // first call builds the OpenCL kernels (~25 s)
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t o = 0; o < expected.size(); ++o) {
        SCOPED_TRACE(expected[o].first);
        ASSERT_EQ(actual[o].second.shape, expected[o].second.shape);
        double max_diff = 0;
        for (std::size_t i = 0; i < expected[o].second.data.size(); ++i)
            max_diff = std::max(max_diff, static_cast<double>(std::abs(actual[o].second.data[i] - expected[o].second.data[i])));
        std::cout << expected[o].first << ": max |opencl - cpu| = " << max_diff << "\n";
        EXPECT_LE(max_diff, 1e-3);
    }

    // The decoded answer is the same objects too.
    const auto cpu_result = cpu.detect({image}, cpu.default_options()).at(0);
    const auto ocl_result = opencl.detect({image}, opencl.default_options()).at(0);
    ASSERT_EQ(cpu_result.detections.size(), ocl_result.detections.size());
    for (std::size_t i = 0; i < cpu_result.detections.size(); ++i)
        EXPECT_EQ(cpu_result.detections[i].label, ocl_result.detections[i].label);
}

}  // namespace
