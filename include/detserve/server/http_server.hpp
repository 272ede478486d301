#pragma once
// The HTTP front of the service (cpp-httplib): routes, limits, admission, metrics, health.
// It submits images to a pipeline and waits on their futures; it knows nothing of TBB or engines.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "detserve/detect/detection.hpp"
#include "detserve/detect/label_map.hpp"
#include "detserve/pipeline/pipeline.hpp"

namespace httplib {
class Stream;
}

namespace detserve::server {

class MetricsRegistry;
class ServiceMetrics;

struct ServerOptions {
    std::string host = "0.0.0.0";
    int port = 8080;  // 0: an ephemeral port, see HttpServer::bind()
    int max_connections = 1024;
    int max_connections_per_client = 256;
    int listen_backlog = 1024;
    std::chrono::milliseconds request_head_timeout{10000};
    int max_header_bytes = 64 * 1024;
    bool allow_compressed_bodies = false;
    int keep_alive_max_count = 100;
    int keep_alive_timeout_s = 5;
    std::int64_t max_body_bytes = 32 * 1024 * 1024;
    int max_in_flight = 256;  // images admitted and not yet answered
    std::chrono::milliseconds request_timeout{60000};
    int max_images_per_request = 16;
    bool access_log = false;
    std::string web_root = "web";
    std::string cors_allowed_origins;  // empty: no CORS headers
    std::string cors_allowed_methods = "GET, POST, OPTIONS";
    std::string cors_allowed_headers = "Content-Type, X-Request-Id, Authorization, Inference-Header-Content-Length";
    // Access control: when api_keys is not empty, routes other than health, readiness and the
    // page's files need "Authorization: Bearer KEY"; /metrics too unless metrics_public.
    std::vector<std::string> api_keys;
    bool metrics_public = false;
    double rate_limit_per_s = 0;  // 0: no rate limit; else a token bucket per key (per address without keys)
    int rate_limit_burst = 1;
};

// What GET /v1/models reports and what the routes need to know about a served model.
struct ServedModel {
    std::string name, path, format, family, engine, target, precision, spec_source;
    std::string version = "1";  // KServe's model version: a model repository's version directory
    // Set by the server when the model is put in service: 1 at start-up, +1 per reload, and when.
    int generation = 0;
    std::string loaded_at;  // ISO 8601 UTC
    // What the engine reports after compiling (engine::EngineDescription) and the CPU's ISA flags.
    std::string engine_version, device, device_name, hint, batch, cpu_isa;
    int threads = 0;
    std::vector<std::int64_t> input_shape;  // NCHW, -1 for a dynamic batch
    bool dynamic_batch = false;
    int streams = 1, max_batch = 1;
    detect::LabelMap labels;
    detect::DecodeOptions defaults;  // the model's thresholds, after config overrides
};

// Every route the server installs, as (method, pattern) with {name} placeholders — what
// /openapi.json must describe.
std::vector<std::pair<std::string, std::string>> registered_routes();

class HttpServer {
public:
    // GET /metrics renders `registry`; `metrics` must be registered on it. Both outlive the server.
    HttpServer(ServerOptions options, MetricsRegistry& registry, ServiceMetrics& metrics);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds the listening socket; returns the port (the chosen one when options.port is 0).
    // Throws std::runtime_error naming host:port when the address is taken or invalid.
    int bind();
    // Accepts connections until stop(); in-flight requests finish before it returns.
    void serve();
    // Serves every request arriving on `stream` exactly as for an accepted connection (head checks,
    // keep-alive, routes), minus the socket deadlines; returns when the stream ends. For fuzzing.
    void serve_stream(httplib::Stream& stream);
    // Stops accepting; safe from any thread (a signal watcher).
    void stop();

    // One model, compiled and warmed up, and the server is ready: /readyz answers 200 and /v1/detect
    // takes images. `pipeline` must outlive serve(). (The one-model form of add_model + set_ready.)
    void set_model(pipeline::Pipeline& pipeline, ServedModel model);
    // Puts a compiled, warmed-up model in service under model.name, or in place of the model of that
    // name: requests that already hold the old pipeline finish on it, and the last of them
    // destroys it. The first model added is the default of routes that name none.
    void add_model(std::shared_ptr<pipeline::Pipeline> pipeline, ServedModel model);
    // Every model is in service: /readyz answers 200.
    void set_ready();
    // What POST /v1/models/{name}/reload calls, on the request's thread; it throws on failure (the
    // message becomes the answer's) and calls add_model on success. Without one the route answers 501.
    void set_reloader(std::function<void(const std::string& name)> reload);
    // The names of the models in service, in order.
    std::vector<std::string> model_names() const;
    // Start-up failed (model did not load): /readyz explains why instead of "loading".
    void set_load_error(const std::string& message);
    // Shutting down: /readyz answers 503 so that load balancers stop sending.
    void set_draining();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace detserve::server
