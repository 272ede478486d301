// Health, readiness, model description and metrics.
#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

#include "detserve/detect/nms.hpp"
#include "json_text.hpp"
#include "openapi_document.hpp"
#include "routes.hpp"

namespace detserve::server {
namespace {

void json_answer(httplib::Response& response, const nlohmann::ordered_json& body) {
    response.set_content(json_text(body), "application/json");  // a model path need not be UTF-8
}

std::string load_error(const ServerContext& context) {
    std::lock_guard lock(context.load_error_mutex);
    return context.load_error;
}

}  // namespace

void require_ready(const ServerContext& context) {
    if (context.draining.load()) throw ApiError(503, "shutting_down", "the service is shutting down");
    if (context.ready.load()) return;
    if (const auto error = load_error(context); !error.empty())
        throw ApiError(503, "model_load_failed", "the model failed to load: " + error);
    throw ApiError(503, "not_ready", "the model is loading and warming up; retry when GET /readyz answers 200");
}

std::string served_model_names(const ServerContext& context) {
    std::string names;
    for (const auto& name : context.models.names()) names += (names.empty() ? "'" : ", '") + name + "'";
    return names;
}

std::shared_ptr<const ServingModel> require_model(const ServerContext& context, const std::string& name) {
    require_ready(context);
    auto serving = name.empty() ? context.models.first() : context.models.find(name);
    if (!serving)
        throw ApiError(404, "unknown_model",
                       "unknown model '" + name + "'; this server serves " + served_model_names(context));
    return serving;
}

void handle_healthz(ServerContext&, const httplib::Request&, httplib::Response& response) {
    json_answer(response, {{"status", "ok"}});
}

void handle_readyz(ServerContext& context, const httplib::Request&, httplib::Response& response) {
    const auto serving = require_model(context);
    json_answer(response, {{"status", "ready"}, {"model", serving->model.name}, {"models", context.models.names()}});
}

namespace {

nlohmann::ordered_json model_json(const ServedModel& m) {
    nlohmann::ordered_json model;
    model["name"] = m.name;
    model["version"] = m.version;
    model["generation"] = m.generation;
    model["loaded_at"] = m.loaded_at;
    model["path"] = m.path;
    model["format"] = m.format;
    model["family"] = m.family;
    model["engine"] = m.engine;
    model["engine_version"] = m.engine_version;
    model["target"] = m.target;
    model["device"] = m.device;
    model["device_name"] = m.device_name;
    model["precision"] = m.precision;
    model["threads"] = m.threads;
    model["performance_hint"] = m.hint;
    model["batch"] = m.batch;
    model["cpu_isa"] = m.cpu_isa;
    model["input_shape"] = m.input_shape;
    model["labels_count"] = m.labels.size();
    model["labels"] = m.labels.names();
    model["dynamic_batch"] = m.dynamic_batch;
    model["max_batch"] = m.max_batch;
    model["streams"] = m.streams;
    model["spec_source"] = m.spec_source;
    // Thresholds are floats; printed as doubles they would read 0.6000000238418579.
    const auto short_decimal = [](float v) { return std::round(static_cast<double>(v) * 1e6) / 1e6; };
    model["defaults"] = {{"threshold", short_decimal(m.defaults.score_threshold)},
                         {"iou_threshold", short_decimal(m.defaults.iou_threshold)},
                         {"max_detections", m.defaults.max_detections},
                         {"nms", std::string(detect::to_string(m.defaults.nms))}};
    return model;
}

}  // namespace

void handle_models(ServerContext& context, const httplib::Request&, httplib::Response& response) {
    require_ready(context);
    auto models = nlohmann::ordered_json::array();
    for (const auto& serving : context.models.all()) models.push_back(model_json(serving->model));
    json_answer(response, {{"models", std::move(models)}});
}

// Builds and warms up the model again and puts it in place of the old one; the old one serves
// until then, and keeps serving when the reload fails.
void handle_reload(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    const std::string name = request.matches[1];
    const auto before = require_model(context, name);
    if (!context.reload) throw ApiError(501, "not_supported", "this server cannot reload models");
    const auto start = std::chrono::steady_clock::now();
    try {
        context.reload(name);
    } catch (const std::exception& e) {
        throw ApiError(500, "reload_failed",
                       "model '" + name + "' was not reloaded (generation " + std::to_string(before->model.generation) +
                           " still serves): " + e.what());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto after = require_model(context, name);
    json_answer(response, {{"status", "reloaded"},
                           {"reload_ms", std::round(seconds * 1e4) / 10},
                           {"model", model_json(after->model)}});
}

void handle_openapi(ServerContext&, const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(openapi_document()), "application/json");
}

void handle_metrics(ServerContext& context, const httplib::Request&, httplib::Response& response) {
    response.set_content(context.registry.render(), std::string(kPrometheusContentType));
}

}  // namespace detserve::server
