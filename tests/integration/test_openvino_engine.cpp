// The OpenVINO engine on real files: the default model compiles on it by default with the
// properties we set, one process holds one oneTBB (TRAPS.md: Debian's and the wheel's share a
// soname), the binary finds its OpenVINO libraries from a bare environment, the pipeline's streams
// share one compiled model, a fixed-batch model says so, and files OpenVINO rejects fail with a
// message naming the file and quoting OpenVINO. `engine`/`--engine`/DETSERVE_ENGINE choose.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "detserve/app/detector.hpp"
#include "detserve/engine/cpu_isa.hpp"
#include "detserve/engine/engine_choice.hpp"
#include "detserve/image/image_decoder.hpp"
#include "test_paths.hpp"

#ifndef DETSERVE_BINARY
#error "DETSERVE_BINARY must be defined (tests/CMakeLists.txt sets it)"
#endif

namespace {

namespace fs = std::filesystem;
namespace engine = detserve::engine;
namespace test = detserve::test;
using detserve::Tensor;
using detserve::app::Detector;

constexpr std::int64_t kMaxPixels = 100'000'000;

fs::path shared_dir() {
    if (const char* dir = std::getenv("DETSERVE_SHARED_DIR"); dir && *dir) return dir;
    return fs::path(DETSERVE_SOURCE_DIR) / ".." / "shared";
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

struct RunResult {
    int exit_code = -1;  // -1: killed by a signal
    std::string out, err;
};

// The binary with exactly `env` as its environment (nothing inherited), output captured in files.
RunResult run_binary(const std::vector<std::string>& args, std::vector<std::string> env, const fs::path& scratch) {
    const fs::path out_path = scratch / "stdout.txt", err_path = scratch / "stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> argv_strings{DETSERVE_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv, envp;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    RunResult result;
    pid_t pid = 0;
    const int spawn_error = posix_spawn(&pid, DETSERVE_BINARY, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_error != 0) {
        ADD_FAILURE() << "cannot start " << DETSERVE_BINARY << ": " << std::strerror(spawn_error);
        return result;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_text(out_path);
    result.err = read_text(err_path);
    return result;
}

// What a fresh login shell has: no LD_LIBRARY_PATH, no venv activated. Plus, when set, the
// variables of a sanitized run (scripts/test.sh --sanitize): where the child's reports go (so that
// check-reports.sh sees them), its suppressions, and TBB_ENABLE_SANITIZERS, without which the
// wheel's oneTBB dlopens libtbbbind with RTLD_DEEPBIND and the sanitizer runtime ends the process.
// None of them changes where the dynamic loader looks for libraries.
std::vector<std::string> bare_environment() {
    std::vector<std::string> env{"PATH=/usr/bin:/bin"};
    if (const char* home = std::getenv("HOME")) env.push_back(std::string("HOME=") + home);
    for (const char* name : {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "TBB_ENABLE_SANITIZERS"})
        if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
    return env;
}

// The distinct files a process has mapped whose name starts with `prefix` ("libtbb.so").
std::set<std::string> mapped_libraries(const std::string& maps, const std::string& prefix) {
    std::set<std::string> paths;
    std::istringstream lines(maps);
    for (std::string line; std::getline(lines, line);) {
        const auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        const fs::path path = line.substr(slash);
        if (path.filename().string().rfind(prefix, 0) == 0) paths.insert(fs::weakly_canonical(path).string());
    }
    return paths;
}

// The libraries the dynamic loader initialised (LD_DEBUG=files: "calling init: PATH").
std::set<std::string> initialised_libraries(const std::string& ld_debug, const std::string& prefix) {
    std::set<std::string> paths;
    std::istringstream lines(ld_debug);
    for (std::string line; std::getline(lines, line);) {
        const auto at = line.find("calling init: ");
        if (at == std::string::npos) continue;
        const fs::path path = line.substr(at + std::strlen("calling init: "));
        if (path.filename().string().rfind(prefix, 0) == 0) paths.insert(fs::weakly_canonical(path).string());
    }
    return paths;
}

std::string joined(const std::set<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

engine::EngineOptions openvino_options() {
    engine::EngineOptions options;
    options.engine = engine::EngineKind::openvino;
    return options;
}

// The default model and a scratch directory.
class WithDefaultModel : public ::testing::Test {
protected:
    void SetUp() override {
        model_path = test::default_model_path();
        ASSERT_TRUE(fs::exists(model_path)) << test::missing_model_message(model_path);
        scratch = fs::temp_directory_path() / ("detserve_openvino_test_" + std::to_string(getpid()));
        fs::create_directories(scratch);
    }
    void TearDown() override { fs::remove_all(scratch); }

    fs::path model_path, scratch;
};

using EngineChoiceCli = WithDefaultModel;

class OpenVinoEngine : public WithDefaultModel {
protected:
    void SetUp() override {
        if (!engine::openvino_built()) GTEST_SKIP() << "skipped: this detserve was built without OpenVINO";
        WithDefaultModel::SetUp();
    }

    Tensor dog_batch(const Detector& detector, int images) {
        const fs::path dog = test::sample_photo("dog.jpg");
        EXPECT_FALSE(dog.empty()) << test::missing_photo_message("dog.jpg");
        const cv::Mat photo = detserve::image::decode_image(test::read_bytes(dog), kMaxPixels);
        std::vector<detserve::detect::InputTransform> transforms;
        return detector.make_batch(std::vector<cv::Mat>(static_cast<std::size_t>(images), photo), transforms);
    }

    // An IR whose one op no opset has, with a spec so that `detect` gets as far as the engine.
    fs::path write_model_openvino_rejects() {
        const fs::path xml = scratch / "mystery.xml";
        std::ofstream(xml) << R"(<?xml version="1.0"?>
<net name="mystery" version="11">
	<layers>
		<layer id="0" name="input" type="Parameter" version="opset1">
			<data shape="1,3,8,8" element_type="f32" />
			<output><port id="0" precision="FP32" names="input"><dim>1</dim><dim>3</dim><dim>8</dim><dim>8</dim></port></output>
		</layer>
		<layer id="1" name="mystery" type="Frobnicate" version="opset1">
			<input><port id="0" precision="FP32"><dim>1</dim><dim>3</dim><dim>8</dim><dim>8</dim></port></input>
			<output><port id="1" precision="FP32" names="output"><dim>1</dim><dim>3</dim><dim>8</dim><dim>8</dim></port></output>
		</layer>
		<layer id="2" name="output" type="Result" version="opset1">
			<input><port id="0" precision="FP32"><dim>1</dim><dim>3</dim><dim>8</dim><dim>8</dim></port></input>
		</layer>
	</layers>
	<edges>
		<edge from-layer="0" from-port="0" to-layer="1" to-port="0" />
		<edge from-layer="1" from-port="1" to-layer="2" to-port="0" />
	</edges>
</net>
)";
        std::ofstream(scratch / "mystery.bin");
        std::ofstream(scratch / "mystery.json") << R"({"model_type": "yolov8", "labels": "coco80"})";
        return xml;
    }
};

TEST_F(OpenVinoEngine, RunsTheDefaultModelByDefault) {
    Detector detector(detserve::app::load_model(model_path), {});
    const auto d = detector.engine().describe();
    EXPECT_EQ(detector.engine().engine_name(), "openvino");
    EXPECT_EQ(d.engine, "openvino");
    EXPECT_EQ(d.device, "CPU");
    EXPECT_FALSE(d.version.empty());
    EXPECT_EQ(d.hint, "latency");
    EXPECT_EQ(d.streams, 1);
    EXPECT_GE(d.threads, 1);
    // auto precision: what the CPU plugin picks, bf16 only where the CPU computes it natively.
    EXPECT_EQ(d.precision, engine::has_bf16(engine::host_cpu_isa_flags()) ? "bf16" : "f32");
    EXPECT_TRUE(detector.engine().dynamic_batch()) << d.batch;
    EXPECT_EQ(detector.engine().input().shape, (std::vector<std::int64_t>{-1, 3, 416, 416}));
}

TEST_F(OpenVinoEngine, ExplicitPropertiesAreWhatTheCompiledModelReports) {
    auto options = openvino_options();
    options.hint = engine::PerformanceHint::throughput;
    options.streams = 2;
    options.threads = 1;
    options.precision = engine::Precision::f32;
    options.max_batch = 4;
    const auto streams = detserve::app::compile_streams(detserve::app::load_model(model_path), options);
    ASSERT_EQ(streams.size(), 2u);
    const auto d = streams[0]->describe();
    EXPECT_EQ(d.hint, "throughput");
    EXPECT_EQ(d.streams, 2);
    EXPECT_EQ(d.threads, 2);  // INFERENCE_NUM_THREADS = streams x threads
    EXPECT_EQ(d.precision, "f32");
    EXPECT_EQ(d.batch, "dynamic 1..4");
}

TEST_F(OpenVinoEngine, StreamsShareOneCompiledModelAndRunAtOnce) {
    auto options = openvino_options();
    options.streams = 2;
    options.hint = engine::PerformanceHint::throughput;
    const auto model = detserve::app::load_model(model_path);
    const auto streams = detserve::app::compile_streams(model, options);
    ASSERT_EQ(streams.size(), 2u);
    Detector single(model, openvino_options());
    const Tensor batch = dog_batch(single, 2);
    const auto expected = single.engine().infer(batch);
    auto first = std::async(std::launch::async, [&] { return streams[0]->infer(batch); });
    auto second = std::async(std::launch::async, [&] { return streams[1]->infer(batch); });
    for (const auto& got : {first.get(), second.get()}) {
        ASSERT_EQ(got.size(), expected.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].second.shape, expected[i].second.shape);
            ASSERT_EQ(got[i].second.data.size(), expected[i].second.data.size());
            double worst = 0;
            for (std::size_t k = 0; k < got[i].second.data.size(); ++k)
                worst = std::max(worst, std::fabs(double(got[i].second.data[k]) - expected[i].second.data[k]));
            EXPECT_LT(worst, 1e-4) << got[i].first;
        }
    }
}

TEST_F(OpenVinoEngine, OneImagePerForwardAskedIsAFixedBatch) {
    auto options = openvino_options();
    options.max_batch = 1;
    Detector detector(detserve::app::load_model(model_path), options);
    EXPECT_FALSE(detector.engine().dynamic_batch());
    EXPECT_EQ(detector.engine().input().shape[0], 1);
    try {
        detector.engine().infer(dog_batch(detector, 2));
        FAIL() << "a batch of 2 should be refused";
    } catch (const engine::EngineError& e) {
        EXPECT_NE(std::string(e.what()).find("1 image(s) per forward"), std::string::npos) << e.what();
    }
}

TEST_F(OpenVinoEngine, AModelThatPinsItsBatchStaysFixedAndSaysWhy) {
    const fs::path onnx = shared_dir() / "models" / "nanodet_m.onnx";
    if (!fs::exists(onnx)) GTEST_SKIP() << "skipped: " << onnx.lexically_normal().string() << " not found";
    // Its Reshape constants carry a batch of 1: a forward of two images would merge them.
    const auto streams = engine::compile_streams({onnx, nullptr, 416, 416}, openvino_options());
    ASSERT_EQ(streams.size(), 1u);
    EXPECT_FALSE(streams[0]->dynamic_batch());
    EXPECT_EQ(streams[0]->describe().batch, "fixed 1");
}

TEST_F(OpenVinoEngine, OneProcessHoldsOneOneTbbTheWheels) {
    Detector detector(detserve::app::load_model(model_path), openvino_options());
    detector.engine().infer(dog_batch(detector, 1));
    const std::string maps = read_text("/proc/self/maps");
    const auto tbb = mapped_libraries(maps, "libtbb.so");
    const auto openvino = mapped_libraries(maps, "libopenvino.so");
    ASSERT_EQ(tbb.size(), 1u) << "libtbb.so mapped from: " << joined(tbb);
    ASSERT_EQ(openvino.size(), 1u) << joined(openvino);
    EXPECT_EQ(fs::path(*tbb.begin()).parent_path(), fs::path(*openvino.begin()).parent_path())
        << "the oneTBB loaded should be the one beside libopenvino (Debian's 2021.8 lacks what its CPU plugin needs)";
}

TEST_F(OpenVinoEngine, TheBinaryLoadsItsLibrariesFromABareEnvironment) {
    auto env = bare_environment();
    env.push_back("LD_DEBUG=files");
    const RunResult run = run_binary({"info", "--model", model_path.string()}, env, scratch);
    ASSERT_EQ(run.exit_code, 0) << run.err.substr(run.err.size() > 4000 ? run.err.size() - 4000 : 0);
    EXPECT_NE(run.out.find("engine: openvino"), std::string::npos) << run.out;
    const auto tbb = initialised_libraries(run.err, "libtbb.so");
    EXPECT_EQ(tbb.size(), 1u) << "libtbb.so initialised from: " << joined(tbb);
    EXPECT_FALSE(initialised_libraries(run.err, "libopenvino_intel_cpu_plugin").empty())
        << "the CPU plugin was not loaded";
}

TEST_F(EngineChoiceCli, EngineIsChosenByFlagThenEnvironmentThenAuto) {
    const std::string expected_auto = engine::openvino_built() ? "engine: openvino" : "engine: opencv";
    const auto env = bare_environment();
    auto with_engine_env = env;
    with_engine_env.push_back("DETSERVE_ENGINE=opencv");
    struct Case {
        std::vector<std::string> extra_args;
        std::vector<std::string> env;
        std::string expected;
    };
    const std::vector<Case> cases{{{}, env, expected_auto},
                                  {{"--engine", "auto"}, with_engine_env, expected_auto},
                                  {{"--engine", "opencv"}, env, "engine: opencv"},
                                  {{}, with_engine_env, "engine: opencv"}};
    for (const auto& c : cases) {
        std::vector<std::string> args{"info", "--model", model_path.string()};
        args.insert(args.end(), c.extra_args.begin(), c.extra_args.end());
        const RunResult run = run_binary(args, c.env, scratch);
        SCOPED_TRACE(testing::PrintToString(c.extra_args) + " env " + testing::PrintToString(c.env));
        EXPECT_EQ(run.exit_code, 0) << run.err;
        EXPECT_NE(run.out.find(c.expected), std::string::npos) << run.out;
    }
    const RunResult bad = run_binary({"info", "--model", model_path.string(), "--engine", "tensorrt"}, env, scratch);
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--engine"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("auto, openvino or opencv"), std::string::npos) << bad.err;
    if (!engine::openvino_built()) {
        const RunResult missing =
            run_binary({"info", "--model", model_path.string(), "--engine", "openvino"}, env, scratch);
        EXPECT_EQ(missing.exit_code, 1);
        EXPECT_NE(missing.err.find("built without OpenVINO"), std::string::npos) << missing.err;
    }
}

TEST_F(OpenVinoEngine, AModelOpenVinoRejectsNamesTheFileAndOpenVinosReason) {
    const fs::path xml = write_model_openvino_rejects();
    try {
        detserve::app::compile_model(detserve::app::load_model(xml), openvino_options());
        FAIL() << "OpenVINO should refuse an op no opset has";
    } catch (const engine::EngineError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(xml.string()), std::string::npos) << message;
        EXPECT_NE(message.find("Frobnicate"), std::string::npos) << message;
        EXPECT_EQ(message.find("Exception from src/"), std::string::npos) << "OpenVINO's source location: " << message;
    }
    // The same through the CLI: one line on stderr, exit 1, nothing on stdout.
    const fs::path dog = test::sample_photo("dog.jpg");
    ASSERT_FALSE(dog.empty()) << test::missing_photo_message("dog.jpg");
    const RunResult run = run_binary({"detect", dog.string(), "--model", xml.string()}, bare_environment(), scratch);
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_NE(run.err.find(xml.string()), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("Frobnicate"), std::string::npos) << run.err;
    EXPECT_EQ(run.out, "");
}

TEST_F(OpenVinoEngine, FilesThatAreNoModelAreRefusedByName) {
    const fs::path html = shared_dir() / "models" / "zoo" / "not-a-model-html-as-onnx";
    const fs::path legacy = shared_dir() / "models" / "zoo" / "face-detection-retail-0004-irv3-legacy";
    if (!fs::exists(html) || !fs::exists(legacy))
        GTEST_SKIP() << "skipped: " << html.parent_path().lexically_normal().string() << " not found";
    for (const auto& dir : {html, legacy}) {
        for (const auto& entry : fs::directory_iterator(dir)) {
            const auto extension = entry.path().extension();
            if (extension != ".onnx" && extension != ".xml") continue;
            SCOPED_TRACE(entry.path().string());
            try {
                engine::compile_streams({entry.path()}, openvino_options());
                ADD_FAILURE() << "OpenVINO should refuse " << entry.path();
            } catch (const engine::EngineError& e) {
                EXPECT_NE(std::string(e.what()).find(entry.path().string()), std::string::npos) << e.what();
                EXPECT_NE(std::string(e.what()).find("cannot read this model"), std::string::npos) << e.what();
            }
        }
    }
}

}  // namespace
