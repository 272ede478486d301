#pragma once
// Reloading served models (internal to app/): a new pipeline is built and warmed up beside the old
// one, then put in its place; requests in flight finish on the old one. A failed reload leaves the
// old model serving. Reloads run one at a time, whoever asks (SIGHUP, POST /v1/models/{name}/reload).
#include <mutex>
#include <string>
#include <vector>

#include "detserve/app/serve_config.hpp"
#include "serve_models.hpp"

namespace detserve::app {

class ModelReloader {
public:
    // `plans` hold the served names (as built at start-up). Every argument outlives the reloader.
    ModelReloader(const ServeConfig& config, std::vector<ModelPlan> plans, server::HttpServer& http,
                  server::ServiceMetrics& metrics);

    // Reloads the model served as `name`; throws (with the reason) when it fails or is unknown.
    void reload(const std::string& name);
    // Reloads every model in turn, logging each outcome; a failure does not stop the others.
    void reload_all();

private:
    const ServeConfig& config_;
    std::vector<ModelPlan> plans_;
    server::HttpServer& http_;
    server::ServiceMetrics& metrics_;
    std::mutex reloading_;
};

}  // namespace detserve::app
