#include "detserve/server/http_server.hpp"

#include <iostream>
#include <stdexcept>

#include <httplib.h>

#include "detserve/server/api_error.hpp"
#include "cors.hpp"
#include "route_table.hpp"

namespace detserve::server {
namespace {

// The metrics label of a request: its route's pattern, or "unmatched" (raw paths would make the
// label set unbounded).
std::string route_label(const httplib::Request& request) {
    const Route* route = match_route(request.path);
    return route ? route->pattern : "unmatched";
}

// Errors cpp-httplib produces itself (no route, body over the limit, unparsable request) come
// with an empty body: give them the error shape of the API the path belongs to.
void describe_library_error(const httplib::Request& request, httplib::Response& response, std::int64_t max_body) {
    const ErrorStyle style = error_style_for_path(request.path);
    switch (response.status) {
        case 404: {
            std::string allowed;
            for (const auto& route : all_routes())
                if (std::regex_match(request.path, std::regex(route.regex)) &&
                    allowed.find(route.method) == std::string::npos)
                    allowed += (allowed.empty() ? "" : ", ") + route.method;
            if (!allowed.empty()) {
                response.set_header("Allow", allowed);
                return write_error(response, style, 405, "method_not_allowed",
                                   request.method + " is not allowed on " + request.path + "; use " + allowed);
            }
            return write_error(response, style, 404, "not_found", "no route for " + request.method + " " + request.path);
        }
        case 413:
            return write_error(response, style, 413, "body_too_large",
                               "the request body is larger than max_body_bytes (" + std::to_string(max_body) + ")");
        default:
            return write_error(response, style, response.status, "bad_request", "the HTTP request could not be read");
    }
}

thread_local pipeline::Clock::time_point request_started;

}  // namespace

struct HttpServer::Impl {
    ServerContext context;
    httplib::Server http;

    CorsPolicy cors;

    Impl(ServerOptions options, MetricsRegistry& registry, ServiceMetrics& metrics)
        : context(std::move(options), registry, metrics),
          cors(make_cors_policy(context.options.cors_allowed_origins, context.options.cors_allowed_methods,
                                context.options.cors_allowed_headers)) {}
    void install_routes();
    void answer_options(const httplib::Request& request, httplib::Response& response) const;
};

// OPTIONS: a CORS preflight from an allowed origin gets the allowed methods and headers; any other
// OPTIONS request gets the methods of the route (or 404).
void HttpServer::Impl::answer_options(const httplib::Request& request, httplib::Response& response) const {
    std::string methods;
    for (const auto& route : all_routes())
        if (std::regex_match(request.path, std::regex(route.regex)) && methods.find(route.method) == std::string::npos)
            methods += route.method + ", ";
    if (methods.empty())
        return write_error(response, error_style_for_path(request.path), 404, "not_found",
                           "no route for " + request.path);
    methods += "OPTIONS";
    response.status = 204;
    response.set_header("Allow", methods);
    const bool preflight = request.has_header("Access-Control-Request-Method");
    if (preflight && allowed_origin(cors, request.get_header_value("Origin"))) {
        response.set_header("Access-Control-Allow-Methods", cors.methods);
        response.set_header("Access-Control-Allow-Headers", cors.headers);
        response.set_header("Access-Control-Max-Age", "600");
    }
}

void HttpServer::Impl::install_routes() {
    const auto& options = context.options;
    const int threads = options.http_threads;
    http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    // Without it a kept-alive answer waits for the client's delayed ACK (~40 ms on Linux).
    http.set_tcp_nodelay(true);
    http.set_keep_alive_max_count(static_cast<std::size_t>(options.keep_alive_max_count));
    http.set_keep_alive_timeout(options.keep_alive_timeout_s);
    http.set_payload_max_length(static_cast<std::size_t>(options.max_body_bytes));

    // Runs before the body is read: the one place that sees every request start.
    http.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
        request_started = pipeline::Clock::now();
        if (request.method != "OPTIONS") return httplib::Server::HandlerResponse::Unhandled;
        answer_options(request, response);
        return httplib::Server::HandlerResponse::Handled;
    });
    // Runs before every answer is written, whoever produced it (routes, errors, preflights).
    http.set_post_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
        // Draining: kept-alive connections outlive the closed listener; ask clients to hang up so
        // that their next request goes to a replica that is not stopping.
        if (context.draining.load()) response.set_header("Connection", "close");
        const auto origin = allowed_origin(cors, request.get_header_value("Origin"));
        if (!origin) return;
        response.set_header("Access-Control-Allow-Origin", *origin);
        if (*origin != "*") response.set_header("Vary", "Origin");
        response.set_header("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, X-Detections");
    });
    for (const auto& route : all_routes()) {
        auto handler = [this, &route](const httplib::Request& request, httplib::Response& response) {
            if (!context.access.allow(route, request, response)) return;  // 401 / 429
            try {
                route.handler(context, request, response);
            } catch (const ApiError& e) {
                write_error(response, route.errors, e.status(), e.code(), e.what());
            }
        };
        if (route.method == "GET")
            http.Get(route.regex, handler);
        else if (route.method == "POST")
            http.Post(route.regex, handler);
        else
            throw std::logic_error("route " + route.pattern + ": unsupported method " + route.method);
    }
    http.set_exception_handler([](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
        std::string message = "unexpected error";
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            message = e.what();
        } catch (...) {
        }
        write_error(response, error_style_for_path(request.path), 500, "internal_error", message);
    });
    const auto max_body = options.max_body_bytes;
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [max_body](const httplib::Request& request, httplib::Response& response) {
            if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours already
            describe_library_error(request, response, max_body);
            return httplib::Server::HandlerResponse::Handled;
        }));
    // Called once per answered request, whatever produced the answer.
    http.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
        const double seconds = std::chrono::duration<double>(pipeline::Clock::now() - request_started).count();
        context.metrics.record_request(route_label(request), response.status, seconds);
        if (context.options.access_log)
            std::clog << request.remote_addr << " \"" << request.method << ' ' << request.path << "\" "
                      << response.status << ' ' << response.body.size() << ' ' << seconds * 1000.0 << "ms\n";
    });
}

std::vector<std::pair<std::string, std::string>> registered_routes() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& route : all_routes()) out.emplace_back(route.method, route.pattern);
    return out;
}

HttpServer::HttpServer(ServerOptions options, MetricsRegistry& registry, ServiceMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), registry, metrics)) {
    impl_->install_routes();
    registry.add_collector([context = &impl_->context] {
        context->metrics.set_in_flight(static_cast<std::size_t>(context->admitted.load()));
        const auto* serving = context->serving.load();
        context->metrics.set_queue_depth(serving ? serving->pipeline->queued() : 0);
    });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
    const auto& options = impl_->context.options;
    const std::string where = options.host + ":" + std::to_string(options.port);
    int port = -1;
    if (options.port == 0)
        port = impl_->http.bind_to_any_port(options.host);
    else if (impl_->http.bind_to_port(options.host, options.port))
        port = options.port;
    if (port <= 0) throw std::runtime_error("cannot listen on " + where + " (address in use, or not an address of this host)");
    return port;
}

void HttpServer::serve() { impl_->http.listen_after_bind(); }

void HttpServer::stop() { impl_->http.stop(); }

void HttpServer::set_model(pipeline::Pipeline& pipeline, ServedModel model) {
    auto& context = impl_->context;
    context.serving_storage = std::make_unique<ServingModel>(ServingModel{&pipeline, std::move(model)});
    context.serving.store(context.serving_storage.get());
    context.metrics.set_ready(true);
}

void HttpServer::set_load_error(const std::string& message) {
    std::lock_guard lock(impl_->context.load_error_mutex);
    impl_->context.load_error = message;
}

void HttpServer::set_draining() {
    impl_->context.draining.store(true);
    impl_->context.metrics.set_ready(false);
}

}  // namespace detserve::server
