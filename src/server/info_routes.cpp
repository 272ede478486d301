// Health, readiness, model description and metrics.
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

const ServingModel& require_model(const ServerContext& context) {
    if (context.draining.load()) throw ApiError(503, "shutting_down", "the service is shutting down");
    if (const auto* serving = context.serving.load()) return *serving;
    if (const auto error = load_error(context); !error.empty())
        throw ApiError(503, "model_load_failed", "the model failed to load: " + error);
    throw ApiError(503, "not_ready", "the model is loading and warming up; retry when GET /readyz answers 200");
}

void handle_healthz(ServerContext&, const httplib::Request&, httplib::Response& response) {
    json_answer(response, {{"status", "ok"}});
}

void handle_readyz(ServerContext& context, const httplib::Request&, httplib::Response& response) {
    const ServingModel& serving = require_model(context);
    json_answer(response, {{"status", "ready"}, {"model", serving.model.name}});
}

void handle_models(ServerContext& context, const httplib::Request&, httplib::Response& response) {
    const ServingModel& serving = require_model(context);
    const ServedModel& m = serving.model;
    nlohmann::ordered_json model;
    model["name"] = m.name;
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
    json_answer(response, {{"models", nlohmann::ordered_json::array({model})}});
}

void handle_openapi(ServerContext&, const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(openapi_document()), "application/json");
}

void handle_metrics(ServerContext& context, const httplib::Request&, httplib::Response& response) {
    response.set_content(context.registry.render(), std::string(kPrometheusContentType));
}

}  // namespace detserve::server
