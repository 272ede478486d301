#include "detserve/server/http_server.hpp"

#include <iostream>
#include <stdexcept>

#include <httplib.h>

#include "routes.hpp"

namespace detserve::server {
namespace {

using Handler = void (*)(ServerContext&, const httplib::Request&, httplib::Response&);

struct Route {
    const char* method;
    const char* pattern;  // also the metrics' route label
    Handler handler;
};

const std::vector<Route>& routes() {
    static const std::vector<Route> table = {
        {"POST", "/v1/detect", handle_detect}, {"GET", "/v1/models", handle_models},
        {"GET", "/healthz", handle_healthz},   {"GET", "/readyz", handle_readyz},
        {"GET", "/metrics", handle_metrics},
    };
    return table;
}

// The metrics label of a request: its route's pattern, or "unmatched" (raw paths would make the
// label set unbounded).
std::string route_label(const httplib::Request& request) {
    for (const auto& route : routes())
        if (request.path == route.pattern) return route.pattern;
    return "unmatched";
}

void write_error(httplib::Response& response, int status, const std::string& code, const std::string& message) {
    response.status = status;
    if (status == 503) response.set_header("Retry-After", "1");
    response.set_content(error_body(code, message), "application/json");
}

// Errors cpp-httplib produces itself (no route, body over the limit, unparsable request) come
// with an empty body: give them the native JSON error too.
void describe_library_error(const httplib::Request& request, httplib::Response& response, std::int64_t max_body) {
    switch (response.status) {
        case 404: {
            std::string known;
            for (const auto& route : routes())
                if (request.path == route.pattern) known = route.method;
            if (!known.empty())
                return write_error(response, 405, "method_not_allowed",
                                   request.method + " is not allowed on " + request.path + "; use " + known);
            return write_error(response, 404, "not_found", "no route for " + request.method + " " + request.path);
        }
        case 413:
            return write_error(response, 413, "body_too_large",
                               "the request body is larger than max_body_bytes (" + std::to_string(max_body) + ")");
        default:
            return write_error(response, response.status, "bad_request", "the HTTP request could not be read");
    }
}

thread_local pipeline::Clock::time_point request_started;

}  // namespace

struct HttpServer::Impl {
    ServerContext context;
    httplib::Server http;

    Impl(ServerOptions options, MetricsRegistry& registry, ServiceMetrics& metrics)
        : context(std::move(options), registry, metrics) {}
    void install_routes();
};

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
    http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
        request_started = pipeline::Clock::now();
        return httplib::Server::HandlerResponse::Unhandled;
    });
    for (const auto& route : routes()) {
        auto handler = [this, &route](const httplib::Request& request, httplib::Response& response) {
            try {
                route.handler(context, request, response);
            } catch (const ApiError& e) {
                write_error(response, e.status(), e.code(), e.what());
            }
        };
        if (std::string(route.method) == "GET")
            http.Get(route.pattern, handler);
        else
            http.Post(route.pattern, handler);
    }
    http.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
        std::string message = "unexpected error";
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            message = e.what();
        } catch (...) {
        }
        write_error(response, 500, "internal_error", message);
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
