// POST /v1/detect: images in, detections out, each image through the pipeline.
#include "detect_request.hpp"
#include "request_id.hpp"
#include "result_json.hpp"
#include "routes.hpp"

namespace detserve::server {
namespace {

// Waits for every ticket until the deadline; on timeout abandons what is left and answers 504.
std::vector<pipeline::DetectResult> wait_for_results(std::vector<pipeline::Ticket>& tickets,
                                                     pipeline::Clock::time_point deadline,
                                                     std::chrono::milliseconds timeout) {
    std::vector<pipeline::DetectResult> results;
    for (std::size_t i = 0; i < tickets.size(); ++i) {
        if (tickets[i].result.wait_until(deadline) != std::future_status::ready) {
            for (std::size_t j = i; j < tickets.size(); ++j) tickets[j].abandon();
            throw ApiError(504, "deadline_exceeded",
                           "no answer within the request timeout of " + std::to_string(timeout.count()) + " ms");
        }
        results.push_back(tickets[i].result.get());
    }
    return results;
}

void raise_first_failure(const std::vector<pipeline::DetectResult>& results) {
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& failure = results[i].failure;
        if (!failure) continue;
        const std::string where = results.size() > 1 ? "image " + std::to_string(i + 1) + " of " +
                                                           std::to_string(results.size()) + ": "
                                                     : "";
        throw ApiError(status_for(*failure), failure->code, where + failure->message);
    }
}

}  // namespace

void handle_detect(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    const auto start = pipeline::Clock::now();
    const std::string id = request_id(request.get_header_value("X-Request-Id"));
    response.set_header("X-Request-Id", id);

    const ServingModel& serving = require_model(context);
    auto images = images_from_request(request, "image", context.options.max_images_per_request);
    const auto options = options_from_query(request, serving.model.defaults, serving.model.labels);

    Admission admission(context.admitted, static_cast<int>(images.size()), context.options.max_in_flight);
    if (!admission.admitted()) {
        context.metrics.record_rejection("overloaded");
        throw ApiError(503, "overloaded",
                       "the service is at its limit of " + std::to_string(context.options.max_in_flight) +
                           " images in flight; retry shortly");
    }

    const auto deadline = start + context.options.request_timeout;
    std::vector<pipeline::Ticket> tickets;
    for (auto& image : images) tickets.push_back(serving.pipeline->submit(std::move(image), options, deadline));
    std::vector<pipeline::DetectResult> results;
    try {
        results = wait_for_results(tickets, deadline, context.options.request_timeout);
    } catch (const ApiError&) {
        context.metrics.record_rejection("timeout");
        throw;
    }
    raise_first_failure(results);

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
    for (const auto& result : results) context.metrics.record_stages(result.timing_ms);
    response.set_content(body.dump(), "application/json");
}

}  // namespace detserve::server
