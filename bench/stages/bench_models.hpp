#pragma once
// Compiled models for the engine benchmarks, compiled on first use and kept for the whole run
// (compiling takes longer than a forward). A CompiledModel is not thread-safe: a stream's copy is
// used by one thread at a time.
#include <filesystem>
#include <vector>

#include "detserve/app/model_loader.hpp"
#include "detserve/engine/engine.hpp"

namespace detserve::bench {

// The model at `path` (the IR or ONNX file), loaded once; its spec is optional (sidecars are
// looked up as detserve does, from the working directory). Throws MissingInput.
const app::Model& model_at(const std::filesystem::path& path);

// `options.streams` streams of `model` compiled as `detserve serve` compiles them with these
// options (app::compile_streams): the same options give the same models.
std::vector<engine::CompiledModel*> compiled_streams(const app::Model& model, const engine::EngineOptions& options);

// serve's options for S streams x T threads per stream, on its default engine and precision
// (auto), batches of up to `max_batch` images.
engine::EngineOptions serve_options(int streams, int threads, int max_batch);

// Registers BM_Engines (bench_engine.cpp), whose models are found at run time: call before
// RunSpecifiedBenchmarks.
void register_engine_comparison();

}  // namespace detserve::bench
