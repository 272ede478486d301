#include "serve_reload.hpp"

#include <chrono>
#include <iostream>
#include <stdexcept>

#include "detserve/server/service_metrics.hpp"

namespace detserve::app {
namespace {

void log(const std::string& line) { std::clog << "detserve: " << line << std::endl; }

}  // namespace

ModelReloader::ModelReloader(const ServeConfig& config, std::vector<ModelPlan> plans, server::HttpServer& http,
                             server::ServiceMetrics& metrics)
    : config_(config), plans_(std::move(plans)), http_(http), metrics_(metrics) {}

void ModelReloader::reload(const std::string& name) {
    std::lock_guard lock(reloading_);
    const ModelPlan* plan = nullptr;
    for (const auto& candidate : plans_)
        if (candidate.name == name) plan = &candidate;
    if (!plan) throw std::invalid_argument("no model named '" + name + "'");
    const auto start = std::chrono::steady_clock::now();
    BuiltModel built;
    try {
        built = build_model(*plan, config_, metrics_);
    } catch (const std::exception& e) {
        metrics_.record_reload(name, false);
        log("reload of " + name + " failed; the loaded model keeps serving: " + e.what());
        throw;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    publish_model_metrics(built.served, metrics_);
    const std::string described = describe(built.served);
    http_.add_model(std::move(built.pipeline), std::move(built.served));
    metrics_.record_reload(name, true);
    log("reloaded in " + std::to_string(seconds).substr(0, 4) + " s: " + described);
}

void ModelReloader::reload_all() {
    log("SIGHUP: reloading every model");
    for (const auto& plan : plans_) {
        try {
            reload(plan.name);
        } catch (const std::exception&) {
            // reload() has logged it; the others still get their turn
        }
    }
}

}  // namespace detserve::app
