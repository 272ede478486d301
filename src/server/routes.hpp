#pragma once
// Route handlers (internal to server/). Each may throw ApiError; http_server.cpp turns it into
// the JSON error answer.
#include <httplib.h>

#include "detserve/server/api_error.hpp"
#include "server_context.hpp"

namespace detserve::server {

void handle_detect(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_models(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_reload(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_healthz(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_readyz(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_openapi(ServerContext& context, const httplib::Request& request, httplib::Response& response);
void handle_metrics(ServerContext& context, const httplib::Request& request, httplib::Response& response);

// Nothing, when every model is in service; else ApiError 503 (loading / failed to load / draining).
void require_ready(const ServerContext& context);

// The model named `name` (the default model when `name` is empty), held for the request's life;
// ApiError 503 as require_ready, or 404 unknown_model naming the models served.
std::shared_ptr<const ServingModel> require_model(const ServerContext& context, const std::string& name = "");

// "'nanodet', 'yolov5n'": the names of the models served, for messages.
std::string served_model_names(const ServerContext& context);

}  // namespace detserve::server
