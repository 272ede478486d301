#include "detect_images.hpp"

#include "detserve/server/api_error.hpp"

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

std::vector<pipeline::DetectResult> detect_images(ServerContext& context, const ServingModel& serving,
                                                  std::vector<pipeline::ImageBytes> images,
                                                  const pipeline::RequestOptions& options,
                                                  pipeline::Clock::time_point request_start) {
    Admission admission(context.admitted, static_cast<int>(images.size()), context.options.max_in_flight);
    if (!admission.admitted()) {
        context.metrics.record_rejection("overloaded");
        throw ApiError(503, "overloaded",
                       "the service is at its limit of " + std::to_string(context.options.max_in_flight) +
                           " images in flight; retry shortly");
    }
    const auto deadline = request_start + context.options.request_timeout;
    std::vector<pipeline::Ticket> tickets;
    for (auto& image : images) tickets.push_back(serving.pipeline->submit(std::move(image), options, deadline));
    std::vector<pipeline::DetectResult> results;
    try {
        results = wait_for_results(tickets, deadline, context.options.request_timeout);
    } catch (const ApiError&) {
        context.metrics.record_rejection("timeout");
        throw;
    }
    for (const auto& result : results)
        if (!result.failure) context.metrics.record_stages(serving.model.name, result.timing_ms);
    raise_first_failure(results);
    return results;
}

}  // namespace detserve::server
