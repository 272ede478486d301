#pragma once
// The models `detserve serve` serves (internal to app/): which (the `models` list, the
// `model_repository`, else the one `model`), with what settings, and how one is built: loaded,
// compiled per stream, its pipeline warmed up.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "detserve/app/serve_config.hpp"
#include "detserve/engine/engine.hpp"
#include "detserve/pipeline/pipeline.hpp"
#include "detserve/server/http_server.hpp"

namespace detserve::server {
class ServiceMetrics;
}

namespace detserve::app {

// One model with every setting resolved from its entry and the top-level settings.
struct ModelPlan {
    std::string name;  // empty for the one-model form until loaded: the model's own name
    std::string path;
    std::string version = "1";
    std::string repository_directory;  // a repository model's <repository>/<name>: reloads re-read it
    engine::EngineOptions engine;
    std::optional<double> threshold, iou_threshold;
    std::optional<int> max_detections;
    std::string nms = "model";
    int thread_budget = 0;  // the process's oneTBB parallelism, the same for every model's pipeline
};

// The models of `config`, in order (the first is the default). Throws ConfigError naming the key
// (model_repository problems, names the list and the repository both use).
std::vector<ModelPlan> plan_models(const ServeConfig& config);

// A model ready to put in service.
struct BuiltModel {
    std::shared_ptr<pipeline::Pipeline> pipeline;
    server::ServedModel served;
};

// Loads, compiles and warms up `plan`. A repository model takes its highest version now present.
// Batches are counted in `metrics` under the served name. Throws what loading or compiling throws.
BuiltModel build_model(const ModelPlan& plan, const ServeConfig& config, server::ServiceMetrics& metrics);

// Publishes a built model's detserve_model_info and detserve_engine_info.
void publish_model_metrics(const server::ServedModel& served, server::ServiceMetrics& metrics);

// "nanodet (openvino_ir, nanodet, openvino 2024.6 on CPU f32, 2 streams, …)" for the log.
std::string describe(const server::ServedModel& served);

}  // namespace detserve::app
