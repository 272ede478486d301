#pragma once
// Route handlers (internal to server/). Each may throw ApiError; http_server.cpp turns it into
// the JSON error answer.
#include <httplib.h>

#include "detserve/server/api_error.hpp"
#include "server_context.hpp"

namespace detserve::server {

void handle_detect(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_models(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_healthz(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_readyz(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_openapi(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_metrics(ServerContext& context, const httplib::Request& request, httplib::Response& response);

// The ready model, or ApiError 503 (loading / failed to load / draining).
const ServingModel& require_model(const ServerContext& context);

}  // namespace detserve::server
