// POST /v1/detect: images in, detections out, each image through the pipeline.
#include "detect_images.hpp"
#include "detect_request.hpp"
#include "request_id.hpp"
#include "result_json.hpp"
#include "routes.hpp"

namespace detserve::server {

void handle_detect(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    const auto start = pipeline::Clock::now();
    const std::string id = request_id(request.get_header_value("X-Request-Id"));
    response.set_header("X-Request-Id", id);

    const ServingModel& serving = require_model(context);
    auto images = images_from_request(request, "image", context.options.max_images_per_request);
    const auto options = options_from_query(request, serving.model.defaults, serving.model.labels);

    const auto results = detect_images(context, serving, std::move(images), options, start);

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
    response.set_content(body.dump(), "application/json");
}

}  // namespace detserve::server
