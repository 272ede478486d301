// Choosing the engine (`engine: auto | openvino | opencv`), with and without OpenVINO in the
// build, and reading the CPU's instruction sets from /proc/cpuinfo text.
#include <gtest/gtest.h>

#include "detserve/engine/cpu_isa.hpp"
#include "detserve/engine/engine_choice.hpp"

namespace {

using namespace detserve::engine;

EngineOptions options_for(EngineKind kind, Target target = Target::cpu) {
    EngineOptions options;
    options.engine = kind;
    options.target = target;
    return options;
}

TEST(EngineChoice, NamesRoundTrip) {
    for (const auto kind : {EngineKind::automatic, EngineKind::openvino, EngineKind::opencv})
        EXPECT_EQ(engine_kind_from_string(to_string(kind)), kind);
    for (const auto precision : {Precision::automatic, Precision::f32, Precision::bf16})
        EXPECT_EQ(precision_from_string(to_string(precision)), precision);
    EXPECT_EQ(engine_kind_from_string("auto"), EngineKind::automatic);
    EXPECT_FALSE(engine_kind_from_string("OpenVINO").has_value());
    EXPECT_FALSE(engine_kind_from_string("").has_value());
    EXPECT_FALSE(precision_from_string("fp16").has_value());
}

TEST(EngineChoice, AutoIsOpenVinoWhereItIsAvailableOnTheCpu) {
    EXPECT_EQ(resolve_engine(options_for(EngineKind::automatic), true), EngineKind::openvino);
    EXPECT_EQ(resolve_engine(options_for(EngineKind::automatic), false), EngineKind::opencv);
}

TEST(EngineChoice, AutoWithAnOpenClTargetIsOpenCv) {
    for (const auto target : {Target::opencl, Target::opencl_fp16}) {
        EXPECT_EQ(resolve_engine(options_for(EngineKind::automatic, target), true), EngineKind::opencv);
        EXPECT_EQ(resolve_engine(options_for(EngineKind::automatic, target), false), EngineKind::opencv);
    }
}

TEST(EngineChoice, OpenCvIsAlwaysOpenCv) {
    EXPECT_EQ(resolve_engine(options_for(EngineKind::opencv), true), EngineKind::opencv);
    EXPECT_EQ(resolve_engine(options_for(EngineKind::opencv), false), EngineKind::opencv);
}

TEST(EngineChoice, OpenVinoWithoutOpenVinoSaysHowToGetIt) {
    try {
        resolve_engine(options_for(EngineKind::openvino), false);
        FAIL() << "expected an EngineError";
    } catch (const EngineError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("built without OpenVINO"), std::string::npos) << message;
        EXPECT_NE(message.find("scripts/install-deps.sh"), std::string::npos) << message;
    }
    EXPECT_EQ(resolve_engine(options_for(EngineKind::openvino), true), EngineKind::openvino);
}

TEST(EngineChoice, OpenVinoWithAnOpenClTargetIsRefused) {
    try {
        resolve_engine(options_for(EngineKind::openvino, Target::opencl), true);
        FAIL() << "expected an EngineError";
    } catch (const EngineError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("'opencl'"), std::string::npos) << message;
        EXPECT_NE(message.find("OpenCV engine"), std::string::npos) << message;
    }
}

TEST(EngineChoice, ThisBuildResolvesAutoByWhatItHas) {
    EXPECT_EQ(resolve_engine(options_for(EngineKind::automatic)),
              openvino_built() ? EngineKind::openvino : EngineKind::opencv);
}

TEST(EngineDescriptionSummary, SaysEngineDevicePrecisionStreamsAndBatch) {
    EngineDescription d{"openvino", "2026.4.1", "CPU", "AMD EPYC", "f32", "throughput", 2, 2, "dynamic 1..4"};
    EXPECT_EQ(summary(d),
              "openvino 2026.4.1 on CPU (AMD EPYC): f32, 2 streams, 2 threads, throughput hint, batch dynamic 1..4");
    EngineDescription opencv{"opencv", "4.6.0", "cpu", "", "f32", "", 1, 1, "fixed 1"};
    EXPECT_EQ(summary(opencv), "opencv 4.6.0 on cpu: f32, 1 stream, 1 thread, batch fixed 1");
}

// Two processors of a /proc/cpuinfo, shortened; Linux prints one "flags" line per processor.
constexpr const char* kSapphireRapids =
    "processor\t: 0\n"
    "vendor_id\t: GenuineIntel\n"
    "model name\t: Intel(R) Xeon(R) Platinum 8480+\n"
    "flags\t\t: fpu vme sse4_1 sse4_2 avx avx2 fma avx512f avx512bw avx512_vnni avx512_bf16 avx512_fp16 "
    "amx_bf16 amx_tile amx_int8\n"
    "bugs\t\t: spectre_v1\n"
    "\n"
    "processor\t: 1\n"
    "flags\t\t: fpu\n";
constexpr const char* kEpycZen3 =
    "processor\t: 0\n"
    "model name\t: AMD EPYC 7B13\n"
    "flags\t\t: fpu sse4_1 sse4_2 avx avx2 fma\n";

TEST(CpuIsa, ReadsTheKernelRelevantFlagsOfTheFirstProcessor) {
    const auto flags = cpu_isa_flags(kSapphireRapids);
    EXPECT_EQ(flags, (std::vector<std::string>{"sse4_2", "avx2", "avx512f", "avx512_vnni", "avx512_bf16",
                                               "avx512_fp16", "amx_bf16", "amx_int8"}));
    EXPECT_TRUE(has_bf16(flags));
    EXPECT_EQ(join_isa(flags), "sse4_2 avx2 avx512f avx512_vnni avx512_bf16 avx512_fp16 amx_bf16 amx_int8");
}

TEST(CpuIsa, Avx2OnlyHasNoBf16) {
    const auto flags = cpu_isa_flags(kEpycZen3);
    EXPECT_EQ(flags, (std::vector<std::string>{"sse4_2", "avx2"}));
    EXPECT_FALSE(has_bf16(flags));
}

TEST(CpuIsa, NoFlagsLineIsEmptyAndShownAsUnknown) {
    EXPECT_TRUE(cpu_isa_flags("").empty());
    EXPECT_TRUE(cpu_isa_flags("processor\t: 0\nFeatures\t: fp asimd\n").empty());  // an ARM cpuinfo
    EXPECT_EQ(join_isa({}), "unknown");
}

TEST(CpuIsa, AFlagMustMatchWhole) {
    // "avx2" must not be found inside "avx512f", nor "avx512_bf16" inside a longer name.
    EXPECT_EQ(cpu_isa_flags("flags : avx512f avx512_bf16x\n"), (std::vector<std::string>{"avx512f"}));
}

}  // namespace
