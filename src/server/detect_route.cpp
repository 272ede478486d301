// POST /v1/detect: images in, detections out, each image through the pipeline. With
// annotate=true the answer is the one image as a JPEG with its detections drawn.
#include <span>

#include "annotate.hpp"
#include "detect_images.hpp"
#include "detect_request.hpp"
#include "detserve/image/image_decoder.hpp"
#include "json_text.hpp"
#include "request_id.hpp"
#include "request_text.hpp"
#include "result_json.hpp"
#include "routes.hpp"

namespace detserve::server {
namespace {

bool annotate_requested(const httplib::Request& request) {
    if (!request.has_param("annotate")) return false;
    const std::string value = request.get_param_value("annotate");
    if (value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    throw ApiError(400, "invalid_parameter", "annotate: expected true or false, got '" + value + "'");
}

// The pipeline decoded the image already; decoding it again here keeps decoded pixels out of
// DetectResult, which every other route would pay for.
std::string annotated_jpeg(const pipeline::ImageBytes& image, const pipeline::DetectResult& result,
                           std::int64_t max_pixels) {
    const auto bytes = image.view();
    cv::Mat pixels =
        image::decode_image(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), max_pixels);
    draw_detections(pixels, result.detections);
    return encode_jpeg(pixels);
}

// ?model=NAME, else the default model (the config's first).
std::string model_requested(const httplib::Request& request) {
    if (!request.has_param("model")) return "";
    const std::string name = request.get_param_value("model");
    if (name.empty()) throw ApiError(400, "invalid_parameter", "model: expected a model's name, got ''");
    return name;
}

void answer_json(httplib::Response& response, const std::string& id, const ServingModel& serving,
                 const std::vector<pipeline::DetectResult>& results) {
    nlohmann::ordered_json body;
    body["request_id"] = id;
    body["model"] = serving.model.name;
    if (results.size() == 1) {
        auto single = result_to_json(results[0]);
        for (auto& [key, value] : single.items()) body[key] = std::move(value);
    } else {
        body["results"] = nlohmann::ordered_json::array();
        for (const auto& result : results) body["results"].push_back(result_to_json(result));
    }
    response.set_content(json_text(body), "application/json");  // labels come from model files
}

}  // namespace

void handle_detect(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    const auto start = pipeline::Clock::now();
    const std::string id = request_id(request.get_header_value("X-Request-Id"));
    response.set_header("X-Request-Id", id);

    require_utf8_request(request);
    const auto held = require_model(context, model_requested(request));
    const ServingModel& serving = *held;
    auto images = images_from_request(request, "image", context.options.max_images_per_request);
    const auto options =
        options_from_query(request, serving.model.defaults, serving.model.labels, {"annotate", "model"});
    const bool annotate = annotate_requested(request);
    if (annotate && images.size() != 1)
        throw ApiError(400, "invalid_parameter",
                       "annotate=true answers one JPEG: send one image (this request has " +
                           std::to_string(images.size()) + ")");
    const auto first_image = images.front();  // shares the bytes with the pipeline's copy

    const auto results = detect_images(context, serving, std::move(images), options, start);

    if (annotate) {
        response.set_header("X-Detections", std::to_string(results[0].detections.size()));
        response.set_content(annotated_jpeg(first_image, results[0], serving.pipeline->options().max_pixels),
                             "image/jpeg");
        return;
    }
    answer_json(response, id, serving, results);
}

}  // namespace detserve::server
