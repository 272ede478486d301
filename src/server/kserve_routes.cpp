// KServe v2 REST (Open Inference Protocol): health, server and model metadata, and inference of
// the served model with a JPEG/PNG as a BYTES input, as OpenVINO Model Server takes it.
#include <nlohmann/json.hpp>

#include "client_json.hpp"
#include "detect_images.hpp"
#include "json_text.hpp"
#include "kserve_codec.hpp"
#include "openapi_document.hpp"
#include "request_id.hpp"
#include "request_text.hpp"
#include "route_table.hpp"
#include "routes.hpp"

namespace detserve::server {
namespace {

constexpr const char* kInputName = "image";

// detserve's version, as docs/openapi.json (compiled in) states it.
const std::string& server_version() {
    static const std::string version = [] {
        const auto doc = nlohmann::json::parse(openapi_document(), nullptr, false);
        return doc.is_object() ? doc["info"].value("version", "unknown") : std::string("unknown");
    }();
    return version;
}

void json_answer(httplib::Response& response, const nlohmann::ordered_json& body) {
    response.set_content(json_text(body), "application/json");
}

// Health answers are the status alone (200 true, 4xx false): "not ready" is 400, not 503.
void require_health_ready(const ServerContext& context) {
    try {
        require_ready(context);
    } catch (const ApiError& e) {
        throw ApiError(400, e.code(), e.what());
    }
}

// The model the path names (and its version, when the path has one), held for the request.
std::shared_ptr<const ServingModel> model_of_path(const ServerContext& context, const httplib::Request& request) {
    require_utf8_request(request);
    const std::string name = request.matches[1];
    if (name.empty()) throw ApiError(404, "unknown_model", "no model name in the path");
    auto serving = require_model(context, name);
    const std::string& version = serving->model.version;
    if (request.matches.size() > 2 && request.matches[2].matched && request.matches[2] != version)
        throw ApiError(404, "unknown_version",
                       "model '" + name + "' has no version '" + request.matches[2].str() + "' (versions: " + version +
                           ")");
    return serving;
}

// The request's parameters this server reads: threshold and max_detections; others are ignored
// (the protocol lets clients send server-specific ones, e.g. Triton's priority or timeout).
pipeline::RequestOptions options_from_parameters(const nlohmann::json& parameters, const detect::DecodeOptions& defaults) {
    pipeline::RequestOptions options;
    options.decode = defaults;
    if (parameters.contains("threshold")) {
        const auto& t = parameters["threshold"];
        if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 1)
            throw ApiError(400, "invalid_parameter",
                           "parameters.threshold must be a number within [0, 1], got " + describe_client_value(t));
        options.decode.score_threshold = t.get<float>();
    }
    if (parameters.contains("max_detections")) {
        const auto& n = parameters["max_detections"];
        if (!n.is_number_integer() || n.get<std::int64_t>() < 1 || n.get<std::int64_t>() > 10000)
            throw ApiError(400, "invalid_parameter",
                           "parameters.max_detections must be an integer within [1, 10000], got " +
                               describe_client_value(n));
        options.decode.max_detections = n.get<int>();
    }
    return options;
}

// One BYTES input named "image" holding one JPEG or PNG; several images are several requests
// (concurrent requests share engine forwards anyway).
pipeline::ImageBytes single_image(kserve::InferRequest& request) {
    if (request.inputs.size() != 1)
        throw ApiError(400, "invalid_request",
                       "this model takes one input, 'image' (BYTES, shape [1]); the request has " +
                           std::to_string(request.inputs.size()));
    auto& input = request.inputs[0];
    if (input.name != kInputName)
        throw ApiError(400, "invalid_request", "unknown input '" + input.name + "'; this model's input is 'image'");
    if (input.elements.size() != 1)
        throw ApiError(400, "invalid_request",
                       "input 'image' holds " + std::to_string(input.elements.size()) +
                           " images; send one per request (shape [1])");
    auto buffer = std::make_shared<const std::string>(std::move(input.elements[0]));
    return {buffer, 0, buffer->size()};
}

void handle_server_metadata(ServerContext&, const httplib::Request&, httplib::Response& response) {
    json_answer(response, {{"name", "detserve"},
                           {"version", server_version()},
                           {"extensions", nlohmann::ordered_json::array({"binary_tensor_data"})}});
}

void handle_live(ServerContext&, const httplib::Request&, httplib::Response& response) { response.status = 200; }

void handle_ready(ServerContext& context, const httplib::Request&, httplib::Response& response) {
    require_health_ready(context);
    response.status = 200;
}

void handle_model_ready(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    require_health_ready(context);
    model_of_path(context, request);
    response.status = 200;
}

void handle_model_metadata(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    const auto held = model_of_path(context, request);
    const ServingModel& serving = *held;
    nlohmann::ordered_json outputs = nlohmann::ordered_json::array();
    for (auto& tensor : kserve::detection_outputs({})) {
        tensor.shape[0] = -1;  // one row per detection
        outputs.push_back({{"name", tensor.name}, {"datatype", tensor.datatype}, {"shape", tensor.shape}});
    }
    nlohmann::ordered_json input{
        {"name", kInputName}, {"datatype", "BYTES"}, {"shape", nlohmann::ordered_json::array({1})}};
    nlohmann::ordered_json metadata;
    metadata["name"] = serving.model.name;
    metadata["versions"] = nlohmann::ordered_json::array({serving.model.version});
    metadata["platform"] = "detserve_" + serving.model.engine;
    metadata["inputs"] = nlohmann::ordered_json::array({std::move(input)});
    metadata["outputs"] = std::move(outputs);
    json_answer(response, metadata);
}

void handle_infer(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    const auto start = pipeline::Clock::now();
    const auto held = model_of_path(context, request);
    const ServingModel& serving = *held;
    std::optional<std::string> header_length;
    if (request.has_header(kserve::kHeaderLengthHeader))
        header_length = request.get_header_value(kserve::kHeaderLengthHeader);
    const auto parts = kserve::split_body(request.body, header_length);
    auto infer = kserve::parse_infer_request(parts.json, parts.binary);
    const auto options = options_from_parameters(infer.parameters, serving.model.defaults);
    kserve::check_requested_outputs(infer.outputs, kserve::detection_outputs({}));
    auto image = single_image(infer);

    const auto results = detect_images(context, serving, {std::move(image)}, options, start);
    const auto& result = results[0];
    const std::string id = infer.id ? *infer.id : request_id(request.get_header_value("X-Request-Id"));
    const nlohmann::ordered_json parameters{{"image_width", result.width}, {"image_height", result.height}};
    const auto encoded = kserve::encode_infer_response(serving.model.name, id, parameters,
                                                       kserve::detection_outputs(result.detections), infer);
    if (encoded.header_length) {
        response.set_header(kserve::kHeaderLengthHeader, std::to_string(*encoded.header_length));
        response.set_content(encoded.body, "application/octet-stream");
    } else {
        response.set_content(encoded.body, "application/json");
    }
}

}  // namespace

// A path may name the version ("/v2/models/nanodet/versions/1/infer"); the pattern leaves it out.
std::vector<Route> kserve_routes() {
    return {
        {"GET", "/v2", "/v2", ErrorStyle::kserve, handle_server_metadata,
         "KServe v2: server metadata (name, version, extensions)"},
        {"GET", "/v2/health/live", "/v2/health/live", ErrorStyle::kserve, handle_live,
         "KServe v2: 200 while the server runs", RouteAccess::open},
        {"GET", "/v2/health/ready", "/v2/health/ready", ErrorStyle::kserve, handle_ready,
         "KServe v2: 200 once the model is ready, 400 before and while shutting down", RouteAccess::open},
        {"GET", "/v2/models/{model}", "/v2/models/([^/]+)(?:/versions/([^/]+))?", ErrorStyle::kserve,
         handle_model_metadata, "KServe v2: model metadata (inputs and outputs)"},
        {"GET", "/v2/models/{model}/ready", "/v2/models/([^/]+)(?:/versions/([^/]+))?/ready", ErrorStyle::kserve,
         handle_model_ready, "KServe v2: 200 when the model is ready"},
        {"POST", "/v2/models/{model}/infer", "/v2/models/([^/]+)(?:/versions/([^/]+))?/infer", ErrorStyle::kserve,
         handle_infer, "KServe v2: detect objects in a JPEG/PNG sent as a BYTES input (JSON or binary data)"},
    };
}

}  // namespace detserve::server
