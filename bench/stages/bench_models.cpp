#include "bench_models.hpp"

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "bench_inputs.hpp"

namespace detserve::bench {

const app::Model& model_at(const std::filesystem::path& path) {
    static std::map<std::filesystem::path, std::unique_ptr<app::Model>> models;
    auto& model = models[path];
    if (!model) {
        if (!std::filesystem::is_regular_file(path)) throw MissingInput(path.string() + " not found");
        model = std::make_unique<app::Model>(app::load_model(path, app::SpecPolicy::optional));
    }
    return *model;
}

std::vector<engine::CompiledModel*> compiled_streams(const app::Model& model, const engine::EngineOptions& options) {
    using Key = std::tuple<std::filesystem::path, engine::EngineKind, engine::Precision, engine::PerformanceHint, int,
                           int, int>;
    static std::map<Key, std::vector<std::unique_ptr<engine::CompiledModel>>> compiled;
    auto& streams = compiled[Key{model.path, options.engine, options.precision, options.hint, options.streams,
                                 options.threads, options.max_batch}];
    if (streams.empty()) streams = app::compile_streams(model, options);
    std::vector<engine::CompiledModel*> out;
    for (const auto& stream : streams) out.push_back(stream.get());
    return out;
}

engine::EngineOptions serve_options(int streams, int threads, int max_batch) {
    engine::EngineOptions options;
    options.hint = engine::PerformanceHint::throughput;
    options.streams = streams;
    options.threads = threads;
    options.max_batch = max_batch;
    return options;
}

}  // namespace detserve::bench
