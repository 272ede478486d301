// DeepStack / CodeProject.AI object detection: the routes Frigate's deepstack detector and Home
// Assistant's deepstack_object / codeproject_ai_object integrations call.
#include <optional>

#include "deepstack_json.hpp"
#include "detect_images.hpp"
#include "detect_request.hpp"
#include "json_text.hpp"
#include "request_id.hpp"
#include "request_text.hpp"
#include "route_table.hpp"
#include "routes.hpp"

namespace detserve::server {
namespace {

// DeepStack's default min_confidence (its API docs; Frigate sends none).
constexpr double kDefaultMinConfidence = 0.4;

// A form field's text: cpp-httplib puts multipart text fields in request.files; clients may also
// put it in the query string.
std::optional<std::string> form_field(const httplib::Request& request, const std::string& name) {
    std::string text;
    if (const auto it = request.files.find(name); it != request.files.end())
        text = it->second.content;
    else if (request.has_param(name))
        text = request.get_param_value(name);
    else
        return std::nullopt;
    text.erase(0, text.find_first_not_of(" \t\r\n"));
    text.erase(text.find_last_not_of(" \t\r\n") + 1);
    return text;
}

double min_confidence(const httplib::Request& request) {
    const auto text = form_field(request, "min_confidence");
    if (!text || text->empty()) return kDefaultMinConfidence;
    return parse_number_param("min_confidence", *text, 0, 1);
}

// One `image` field (or a raw image body) through the pipeline; `api_key` is for access control (checked before this).
void answer_detection(ServerContext& context, const ServingModel& serving, const httplib::Request& request,
                      httplib::Response& response, const std::string& command, pipeline::Clock::time_point start) {
    const std::string id = request_id(request.get_header_value("X-Request-Id"));
    response.set_header("X-Request-Id", id);
    require_utf8_request(request);
    auto images = images_from_request(request, "image", 1);
    pipeline::RequestOptions options;
    options.decode = serving.model.defaults;
    options.decode.score_threshold = static_cast<float>(min_confidence(request));
    const auto results = detect_images(context, serving, std::move(images), options, start);
    const double round_trip_ms =
        std::chrono::duration<double, std::milli>(pipeline::Clock::now() - start).count();
    response.set_content(json_text(deepstack::detection_answer(results[0], command, id, round_trip_ms)),
                         "application/json");
}

// The default model (the config's first).
void handle_detection(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    const auto start = pipeline::Clock::now();
    answer_detection(context, *require_model(context), request, response, "detect", start);
}

void handle_custom(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    const auto start = pipeline::Clock::now();
    require_ready(context);
    require_utf8_request(request);
    const std::string name = request.matches[1];
    const auto serving = context.models.find(name);
    if (!serving)
        throw ApiError(404, "unknown_model",
                       "no custom model '" + name + "'; the available models are " + served_model_names(context) +
                           " (POST /v1/vision/custom/list)");
    answer_detection(context, *serving, request, response, "custom", start);
}

// CodeProject.AI answers the custom models it can run.
void handle_custom_list(ServerContext& context, const httplib::Request&, httplib::Response& response) {
    require_ready(context);
    const nlohmann::ordered_json answer{
        {"success", true}, {"models", context.models.names()}, {"command", "list"}, {"moduleId", "detserve"}};
    response.set_content(json_text(answer), "application/json");
}

void handle_ping(ServerContext&, const httplib::Request&, httplib::Response& response) {
    response.set_content(nlohmann::ordered_json{{"success", true}}.dump(), "application/json");
}

}  // namespace

// custom/list comes before custom/{model}: the first route whose regex matches answers.
std::vector<Route> deepstack_routes() {
    return {
        {"POST", "/v1/vision/detection", "/v1/vision/detection", ErrorStyle::deepstack, handle_detection,
         "DeepStack / CodeProject.AI: detect objects in the multipart 'image' field"},
        {"POST", "/v1/vision/custom/list", "/v1/vision/custom/list", ErrorStyle::deepstack, handle_custom_list,
         "DeepStack / CodeProject.AI: the custom models available (the served models)"},
        {"POST", "/v1/vision/custom/{model}", "/v1/vision/custom/([^/]+)", ErrorStyle::deepstack, handle_custom,
         "DeepStack / CodeProject.AI: detect with the named model (a served model's name)"},
        {"GET", "/v1/status/ping", "/v1/status/ping", ErrorStyle::deepstack, handle_ping,
         "CodeProject.AI: the server is up", RouteAccess::open},
    };
}

}  // namespace detserve::server
