#include "detserve/server/http_server.hpp"

#include <iostream>
#include <stdexcept>

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "detserve/server/api_error.hpp"
#include "buffered_stream.hpp"
#include "connection_limits.hpp"
#include "connection_threads.hpp"
#include "cors.hpp"
#include "request_body.hpp"
#include "request_head.hpp"
#include "route_table.hpp"
#include "socket_stream.hpp"

namespace detserve::server {
namespace {

using Clock = pipeline::Clock;

// Chunk framing (sizes, CRLFs, trailers) a chunked body may add on top of max_body_bytes before
// the stream refuses to read more.
constexpr std::uint64_t kFramingAllowance = 1 << 20;
// Reads while gathering a request head.
constexpr std::size_t kHeadReadBytes = 4096;
// After an answer that leaves part of the request unread, how long and how much of it is drained
// before closing, so that the client reads the answer instead of a connection reset.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr std::size_t kLingerBytes = 512 << 10;
// Worker threads beyond max_connections, so that a connection over the limit still gets its 503.
constexpr std::size_t kSpareThreads = 16;
// The least time a request's body may take to arrive, whatever request_timeout_ms says.
constexpr std::chrono::milliseconds kMinBodyTime{30000};
// cpp-httplib's per-read (and per-write) timeout between bytes of a body.
constexpr auto kReadTimeout = std::chrono::seconds(5);
constexpr auto kWriteTimeout = std::chrono::seconds(5);

// What one request left for its connection to decide after cpp-httplib answered it. Worker
// threads serve one connection at a time, so this is per thread.
struct RequestOutcome {
    bool body_consumed = false;  // our content reader read the whole body
    bool close = false;          // the answer says Connection: close
};
thread_local RequestOutcome request_outcome;
thread_local Clock::time_point request_started;

// The metrics label of a request: its route's pattern, or "unmatched" (raw paths would make the
// label set unbounded).
std::string route_label(const std::string& path) {
    const Route* route = match_route(path);
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

const char* reason_phrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 408: return "Request Timeout";
        case 413: return "Payload Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 431: return "Request Header Fields Too Large";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        default: return "Error";
    }
}

// An answer written before cpp-httplib has parsed the request; the connection closes after it.
std::string raw_answer(const httplib::Response& response) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\nConnection: close\r\n\r\n";
    return out + response.body;
}

void write_all(httplib::Stream& stream, const std::string& bytes) {
    for (std::size_t sent = 0; sent < bytes.size();) {
        const ssize_t n = stream.write(bytes.data() + sent, bytes.size() - sent);
        if (n <= 0) return;
        sent += static_cast<std::size_t>(n);
    }
}

// Half-closes, then reads what the client still sends for a while, so that closing with unread
// bytes does not reset the connection before the client has read our answer.
void linger_and_close(SocketStream& socket) {
    ::shutdown(socket.socket(), SHUT_WR);
    socket.set_deadline(Clock::now() + kLingerTime);
    char discard[16384];
    for (std::size_t drained = 0; drained < kLingerBytes;) {
        const ssize_t n = socket.read(discard, sizeof discard);
        if (n <= 0) break;
        drained += static_cast<std::size_t>(n);
    }
}

void set_listen_socket_options(int fd, std::chrono::milliseconds head_timeout) {
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // The kernel completes the handshake but wakes accept() only once the request's first bytes
    // have arrived: idle connections wait in the kernel, not on a worker thread.
    const int defer_s = static_cast<int>(std::max<std::int64_t>(1, (head_timeout.count() + 999) / 1000));
    ::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof defer_s);
}

// cpp-httplib's server with the connection handling replaced: each accepted socket is served by
// serve_connection(), which gathers every request head itself — with a deadline from its first
// byte and a cap on its size — checks its framing, and only then lets cpp-httplib parse and route it.
class Listener final : public httplib::Server {
public:
    explicit Listener(ServerContext& context)
        : context_(context),
          limits_(static_cast<std::size_t>(context.options.max_connections),
                  static_cast<std::size_t>(context.options.max_connections_per_client)),
          head_limits_{static_cast<std::size_t>(context.options.max_header_bytes), context.options.max_body_bytes,
                       context.options.allow_compressed_bodies} {}

    // Serves every request arriving on `connection` as for an accepted socket, without deadlines.
    void serve_stream(httplib::Stream& connection) { serve_connection(connection, nullptr); }

    // cpp-httplib listens with a backlog of 5; listening again on the bound socket resizes it.
    void set_backlog(int backlog) { ::listen(svr_sock_, backlog); }

    std::size_t open_connections() const { return limits_.open(); }
    std::uint64_t received_bytes() const { return received_bytes_.load(); }

private:
    bool process_and_close_socket(socket_t sock) override;
    void serve_connection(httplib::Stream& connection, SocketStream* socket);
    void answer_early(httplib::Stream& stream, std::string_view head, Clock::time_point started, int status,
                      const std::string& code, const std::string& message);

    ServerContext& context_;
    ConnectionLimits limits_;
    const HeadLimits head_limits_;
    std::atomic<std::uint64_t> received_bytes_{0};
};

bool Listener::process_and_close_socket(socket_t sock) {
    SocketStream socket(sock, kReadTimeout, kWriteTimeout, received_bytes_);
    std::string address;
    int port = 0;
    socket.get_remote_ip_and_port(address, port);
    if (auto slot = limits_.acquire(address)) {
        serve_connection(socket, &socket);
    } else {
        context_.metrics.record_rejection("too_many_connections");
        const auto started = Clock::now();
        BufferedStream peek(socket);
        socket.set_deadline(started + std::chrono::milliseconds(100));
        peek.fill(kHeadReadBytes);
        answer_early(socket, peek.buffered(), started, 503, "too_many_connections",
                     "too many open connections (max_connections " + std::to_string(context_.options.max_connections) +
                         ", max_connections_per_client " + std::to_string(context_.options.max_connections_per_client) +
                         "); retry later");
        linger_and_close(socket);
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return true;
}

void Listener::answer_early(httplib::Stream& stream, std::string_view head, Clock::time_point started, int status,
                            const std::string& code, const std::string& message) {
    const std::string path = request_path(head);
    httplib::Response response;
    write_error(response, error_style_for_path(path), status, code, message);
    write_all(stream, raw_answer(response));
    std::string address;
    int port = 0;
    stream.get_remote_ip_and_port(address, port);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    context_.log_answer(address, std::string(head.substr(0, head.find(' '))), path, status, response.body.size(),
                        route_label(path), seconds);
}

}  // namespace

void Listener::serve_connection(httplib::Stream& connection, SocketStream* socket) {
    const auto& options = context_.options;
    BufferedStream stream(connection);
    const auto stopping = [this] { return !is_running(); };
    for (int served = 0; served < options.keep_alive_max_count; ++served) {
        // The first byte of the next request: a fresh connection has one already (TCP_DEFER_ACCEPT);
        // a kept-alive one may wait keep_alive_timeout_s for it.
        if (stream.buffered().empty()) {
            if (socket) {
                const auto idle = served == 0 ? options.request_head_timeout
                                              : std::chrono::milliseconds(options.keep_alive_timeout_s * 1000);
                socket->set_deadline(std::nullopt);
                if (!socket->wait_readable(Clock::now() + idle, stopping)) return;
            }
            if (stream.fill(kHeadReadBytes) <= 0) return;  // the client hung up
        }
        const auto head_started = Clock::now();
        const auto head_deadline = head_started + options.request_head_timeout;
        if (socket) socket->set_deadline(head_deadline);
        std::optional<std::size_t> head_end;
        while (!(head_end = find_head_end(stream.buffered()))) {
            if (stream.buffered().size() > head_limits_.max_header_bytes) {
                const auto problem = oversized_head(stream.buffered(), head_limits_);
                answer_early(stream, stream.buffered(), head_started, problem.status, problem.code, problem.message);
                if (socket) linger_and_close(*socket);
                return;
            }
            if (socket && !socket->wait_readable(head_deadline, stopping)) {
                if (is_running()) {
                    answer_early(stream, stream.buffered(), head_started, 408, "request_timeout",
                                 "the request line and headers did not arrive within request_head_timeout_ms (" +
                                     std::to_string(options.request_head_timeout.count()) + ")");
                    linger_and_close(*socket);
                }
                return;
            }
            if (stream.fill(kHeadReadBytes) <= 0) return;  // hung up (or a read error)
        }
        const std::string_view head = stream.buffered().substr(0, *head_end);
        HeadSummary summary;
        if (const auto problem = check_request_head(head, head_limits_, &summary)) {
            answer_early(stream, head, head_started, problem->status, problem->code, problem->message);
            if (socket) linger_and_close(*socket);
            return;
        }

        // Body bytes may trickle no longer than the request may take (but at least kMinBodyTime,
        // so that a short request_timeout_ms is answered 504 by the pipeline, not cut off here).
        if (socket) socket->set_deadline(head_started + std::max<std::chrono::milliseconds>(options.request_timeout, kMinBodyTime));
        stream.start_request(head.size() + static_cast<std::uint64_t>(options.max_body_bytes) + kFramingAllowance);
        request_outcome = {};
        // A stopped listener ends its sockets' keep-alive; serve_stream() has no listener at all.
        const bool stopped = socket && !is_running();
        const bool last = served + 1 == options.keep_alive_max_count || context_.draining.load() || stopped;
        bool client_closes = false;
        bool answered = false;
        try {
            answered = process_request(stream, last, client_closes, nullptr);
        } catch (const std::exception& e) {
            // Nothing escapes a route handler (the exception handler answers 500); this is
            // cpp-httplib's own code failing, which must cost one connection, not the process.
            std::clog << "detserve: dropped a connection: " << e.what() << std::endl;
        } catch (...) {
        }
        const bool body_left = summary.has_body && !request_outcome.body_consumed &&
                               (!summary.body_read_by_server || stream.over_budget());
        if (!answered || last || client_closes || request_outcome.close || body_left || stream.over_budget()) {
            if (socket && (body_left || request_outcome.close || stream.over_budget())) linger_and_close(*socket);
            return;
        }
    }
}

struct HttpServer::Impl {
    ServerContext context;
    Listener http;
    std::atomic<std::size_t> worker_threads{0};  // of the ConnectionThreads cpp-httplib owns

    CorsPolicy cors;

    Impl(ServerOptions options, MetricsRegistry& registry, ServiceMetrics& metrics)
        : context(std::move(options), registry, metrics),
          http(context),
          cors(make_cors_policy(context.options.cors_allowed_origins, context.options.cors_allowed_methods,
                                context.options.cors_allowed_headers)) {}
    void install_routes();
    void answer_options(const httplib::Request& request, httplib::Response& response) const;
    void answer_post(const Route& route, const httplib::Request& request, httplib::Response& response,
                     const httplib::ContentReader& reader);
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

// A POST route: the body is read here, counted against max_body_bytes as it arrives, into a copy
// of the request that the handler then reads like any other (request.body / request.files).
void HttpServer::Impl::answer_post(const Route& route, const httplib::Request& request, httplib::Response& response,
                                   const httplib::ContentReader& reader) {
    const auto& options = context.options;
    // An empty body is not read: cpp-httplib's multipart parser calls an empty form invalid.
    const bool has_body = request.has_header("Transfer-Encoding") ||
                          (request.has_header("Content-Length") && request.get_header_value("Content-Length") != "0");
    // The key is checked before the body is read unless it may be in the body (DeepStack's
    // api_key form field): a refused client does not get to upload max_body_bytes first. Its
    // body is left unread, so the connection closes after the answer.
    const bool key_in_body =
        route.errors == ErrorStyle::deepstack && context.access.keys_required() && !request.has_header("Authorization");
    if (!key_in_body && !context.access.allow(route, request, response)) {  // 401 / 429
        if (has_body) response.set_header("Connection", "close");
        return;
    }
    httplib::Request filled = request;
    if (has_body) {
        const BodyLimits limits{static_cast<std::uint64_t>(options.max_body_bytes),
                                static_cast<std::size_t>(options.max_images_per_request) + 16};
        switch (read_request_body(reader, request.is_multipart_form_data(), limits, filled.body, filled.files)) {
            case BodyRead::complete:
                break;
            case BodyRead::too_large:
                context.metrics.record_rejection("too_large");
                response.set_header("Connection", "close");
                return write_error(response, route.errors, 413, "body_too_large",
                                   "the request body is larger than max_body_bytes (" +
                                       std::to_string(options.max_body_bytes) + ")" +
                                       (request.is_multipart_form_data() ? " or has too many parts" : ""));
            case BodyRead::unreadable:
                // cpp-httplib has set its status: 400 (framing, multipart), 415 (an encoding it lacks).
                response.set_header("Connection", "close");
                return write_error(response, route.errors, response.status == 415 ? 415 : 400, "unreadable_body",
                                   "the request body could not be read (malformed chunked or multipart framing, "
                                   "or the client stopped sending)");
        }
    }
    request_outcome.body_consumed = true;
    if (key_in_body && !context.access.allow(route, filled, response)) return;  // 401 / 429
    route.handler(context, filled, response);
}

void HttpServer::Impl::install_routes() {
    const auto& options = context.options;
    const auto threads = static_cast<std::size_t>(options.max_connections) + kSpareThreads;
    http.new_task_queue = [this, threads] { return new ConnectionThreads(threads, worker_threads); };
    // Without it a kept-alive answer waits for the client's delayed ACK (~40 ms on Linux).
    http.set_tcp_nodelay(true);
    http.set_socket_options(
        [timeout = options.request_head_timeout](socket_t fd) { set_listen_socket_options(fd, timeout); });
    http.set_payload_max_length(static_cast<std::size_t>(options.max_body_bytes));

    // Runs before the body is read: the one place that sees every request start.
    http.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
        request_started = Clock::now();
        if (request.method != "OPTIONS") return httplib::Server::HandlerResponse::Unhandled;
        answer_options(request, response);
        return httplib::Server::HandlerResponse::Handled;
    });
    // Runs before every answer is written, whoever produced it (routes, errors, preflights).
    http.set_post_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
        // Draining: kept-alive connections outlive the closed listener; ask clients to hang up so
        // that their next request goes to a replica that is not stopping.
        if (context.draining.load()) response.set_header("Connection", "close");
        if (response.get_header_value("Connection") == "close") request_outcome.close = true;
        const auto origin = allowed_origin(cors, request.get_header_value("Origin"));
        if (!origin) return;
        response.set_header("Access-Control-Allow-Origin", *origin);
        if (*origin != "*") response.set_header("Vary", "Origin");
        response.set_header("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, X-Detections");
    });
    for (const auto& route : all_routes()) {
        const auto answer_errors = [&route](httplib::Response& response, const auto& answer) {
            try {
                answer();
            } catch (const ApiError& e) {
                write_error(response, route.errors, e.status(), e.code(), e.what());
            }
        };
        if (route.method == "GET")
            http.Get(route.regex, [this, &route, answer_errors](const httplib::Request& request,
                                                                httplib::Response& response) {
                answer_errors(response, [&] {
                    if (!context.access.allow(route, request, response)) return;  // 401 / 429
                    route.handler(context, request, response);
                });
            });
        else if (route.method == "POST")
            http.Post(route.regex, [this, &route, answer_errors](const httplib::Request& request,
                                                                 httplib::Response& response,
                                                                 const httplib::ContentReader& reader) {
                answer_errors(response, [&] { answer_post(route, request, response, reader); });
            });
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
        const double seconds = std::chrono::duration<double>(Clock::now() - request_started).count();
        context.log_answer(request.remote_addr, request.method, request.path, response.status, response.body.size(),
                           route_label(request.path), seconds);
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
    registry.add_collector([impl = impl_.get()] {
        auto& context = impl->context;
        context.metrics.set_in_flight(static_cast<std::size_t>(context.admitted.load()));
        for (const auto& serving : context.models.all())
            context.metrics.set_queue_depth(serving->model.name, serving->pipeline->queued());
        context.metrics.set_connections(impl->http.open_connections(), impl->worker_threads.load(),
                                        impl->http.received_bytes());
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
    impl_->http.set_backlog(options.listen_backlog);
    return port;
}

void HttpServer::serve() { impl_->http.listen_after_bind(); }

void HttpServer::serve_stream(httplib::Stream& stream) { impl_->http.serve_stream(stream); }

void HttpServer::stop() { impl_->http.stop(); }

void HttpServer::set_model(pipeline::Pipeline& pipeline, ServedModel model) {
    // Not owned: the caller keeps the pipeline alive past serve().
    add_model(std::shared_ptr<pipeline::Pipeline>(&pipeline, [](pipeline::Pipeline*) {}), std::move(model));
    set_ready();
}

void HttpServer::add_model(std::shared_ptr<pipeline::Pipeline> pipeline, ServedModel model) {
    // Released here, outside the table's lock: a replaced pipeline no request holds is destroyed now.
    const auto replaced = impl_->context.models.put(std::move(pipeline), std::move(model));
}

void HttpServer::set_ready() {
    impl_->context.ready.store(true);
    impl_->context.metrics.set_ready(!impl_->context.draining.load());
}

void HttpServer::set_reloader(std::function<void(const std::string& name)> reload) {
    impl_->context.reload = std::move(reload);
}

std::vector<std::string> HttpServer::model_names() const { return impl_->context.models.names(); }

void HttpServer::set_load_error(const std::string& message) {
    std::lock_guard lock(impl_->context.load_error_mutex);
    impl_->context.load_error = message;
}

void HttpServer::set_draining() {
    impl_->context.draining.store(true);
    impl_->context.metrics.set_ready(false);
}

}  // namespace detserve::server
