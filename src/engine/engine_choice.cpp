#include "detserve/engine/engine_choice.hpp"

#include <algorithm>
#include <iostream>

#include <opencv2/core/utility.hpp>

#include "detserve/engine/opencv_engine.hpp"
#ifdef DETSERVE_HAVE_OPENVINO
#include "detserve/engine/openvino_engine.hpp"
#endif

namespace detserve::engine {
namespace {

template <typename Enum>
struct Named {
    Enum value;
    std::string_view name;
};
constexpr Named<EngineKind> kEngines[] = {
    {EngineKind::automatic, "auto"}, {EngineKind::openvino, "openvino"}, {EngineKind::opencv, "opencv"}};
constexpr Named<Precision> kPrecisions[] = {
    {Precision::automatic, "auto"}, {Precision::f32, "f32"}, {Precision::bf16, "bf16"}};

template <typename Enum, std::size_t N>
std::optional<Enum> from_name(const Named<Enum> (&table)[N], std::string_view name) {
    for (const auto& entry : table)
        if (entry.name == name) return entry.value;
    return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string_view name_of(const Named<Enum> (&table)[N], Enum value) {
    for (const auto& entry : table)
        if (entry.value == value) return entry.name;
    return "?";
}

constexpr const char* kWithoutOpenVino =
    "this detserve was built without OpenVINO (scripts/install-deps.sh installs it, then rebuild with "
    "scripts/build.sh)";

std::vector<std::unique_ptr<CompiledModel>> compile_opencv_streams(const ModelSource& source,
                                                                   const EngineOptions& options) {
    // OpenCV's thread count is process-wide: the last model compiled sets it for all.
    if (options.threads > 0) cv::setNumThreads(options.threads);
    std::vector<std::unique_ptr<CompiledModel>> streams;
    for (int s = 0; s < std::max(1, options.streams); ++s) {
        if (source.graph) {
            // The lowering names the layer; the user also needs the file.
            try {
                streams.push_back(compile_opencv(*source.graph, options));
            } catch (const EngineError& e) {
                throw EngineError(source.path.string() + ": " + e.what());
            }
        } else
            streams.push_back(compile_opencv_onnx(source.path, options));
    }
    return streams;
}

}  // namespace

std::optional<EngineKind> engine_kind_from_string(std::string_view name) { return from_name(kEngines, name); }
std::string_view to_string(EngineKind kind) { return name_of(kEngines, kind); }
std::optional<Precision> precision_from_string(std::string_view name) { return from_name(kPrecisions, name); }
std::string_view to_string(Precision precision) { return name_of(kPrecisions, precision); }

bool openvino_built() {
#ifdef DETSERVE_HAVE_OPENVINO
    return true;
#else
    return false;
#endif
}

EngineKind resolve_engine(const EngineOptions& options) { return resolve_engine(options, openvino_built()); }

EngineKind resolve_engine(const EngineOptions& options, bool openvino_available) {
    switch (options.engine) {
        case EngineKind::opencv: return EngineKind::opencv;
        case EngineKind::openvino:
            if (!openvino_available) throw EngineError(std::string("engine 'openvino': ") + kWithoutOpenVino);
            if (options.target != Target::cpu)
                throw EngineError("target '" + std::string(to_string(options.target)) +
                                  "' is the OpenCV engine's; the OpenVINO engine runs on its CPU plugin (use engine "
                                  "'opencv' or 'auto' for OpenCL)");
            return EngineKind::openvino;
        case EngineKind::automatic: break;
    }
    return openvino_available && options.target == Target::cpu ? EngineKind::openvino : EngineKind::opencv;
}

std::vector<std::unique_ptr<CompiledModel>> compile_streams(const ModelSource& source, const EngineOptions& options) {
    const EngineKind kind = resolve_engine(options);
    if (kind == EngineKind::opencv) return compile_opencv_streams(source, options);
#ifdef DETSERVE_HAVE_OPENVINO
    try {
        return compile_openvino(source.path, options, source.input_width, source.input_height, source.input_layout);
    } catch (const RuntimeUnavailable& e) {
        // Only `auto` falls back, and only when OpenVINO itself cannot run (not for a model it rejects).
        if (options.engine != EngineKind::automatic) throw;
        std::clog << "detserve: " << e.what() << "; engine auto falls back to the OpenCV engine\n";
        return compile_opencv_streams(source, options);
    }
#else
    throw EngineError(kWithoutOpenVino);
#endif
}

}  // namespace detserve::engine
