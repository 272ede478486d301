#include "detserve/app/serve_command.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <sstream>

#include <opencv2/core.hpp>

#include "api_keys.hpp"
#include "detserve/app/detector.hpp"
#include "detserve/app/serve_config.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/engine/cpu_isa.hpp"
#include "detserve/server/http_server.hpp"
#include "detserve/server/metrics.hpp"
#include "detserve/server/process_metrics.hpp"
#include "detserve/server/service_metrics.hpp"
#include "shutdown_signal.hpp"

#ifndef DETSERVE_VERSION
#define DETSERVE_VERSION "dev"
#endif

namespace detserve::app {
namespace {

using SteadyClock = std::chrono::steady_clock;

void log(const std::string& line) { std::clog << "detserve: " << line << std::endl; }

server::ServerOptions server_options(const ServeConfig& config, std::vector<std::string> api_keys) {
    server::ServerOptions o;
    o.host = config.host;
    o.port = config.port;
    o.max_connections = config.max_connections;
    o.max_connections_per_client = config.max_connections_per_client;
    o.listen_backlog = config.listen_backlog;
    o.request_head_timeout = std::chrono::milliseconds(config.request_head_timeout_ms);
    o.max_header_bytes = config.max_header_bytes;
    o.allow_compressed_bodies = config.allow_compressed_bodies;
    o.keep_alive_max_count = config.keep_alive_max_count;
    o.keep_alive_timeout_s = config.keep_alive_timeout_s;
    o.max_body_bytes = config.max_body_bytes;
    o.max_in_flight = config.max_in_flight;
    o.request_timeout = std::chrono::milliseconds(config.request_timeout_ms);
    o.max_images_per_request = config.max_images_per_request;
    o.access_log = config.access_log;
    o.web_root = config.web_root;
    o.cors_allowed_origins = config.cors_allowed_origins;
    o.cors_allowed_methods = config.cors_allowed_methods;
    o.cors_allowed_headers = config.cors_allowed_headers;
    o.api_keys = std::move(api_keys);
    o.metrics_public = config.metrics_public;
    if (config.rate_limit) {
        o.rate_limit_per_s = config.rate_limit->per_s;
        o.rate_limit_burst = config.rate_limit->burst;
    }
    return o;
}

detect::DecodeOptions decode_defaults(const detect::ModelSpec& spec, const ServeConfig& config) {
    detect::DecodeOptions d = detect::decode_options(spec);
    if (config.threshold) d.score_threshold = static_cast<float>(*config.threshold);
    if (config.iou_threshold) d.iou_threshold = static_cast<float>(*config.iou_threshold);
    if (config.max_detections) d.max_detections = *config.max_detections;
    if (const auto mode = detect::nms_mode_from_string(config.nms)) d.nms = *mode;
    return d;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::ostringstream text;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) text << 'x';
        if (shape[i] < 0)
            text << '?';
        else
            text << shape[i];
    }
    return text.str();
}

// The model compiled once per stream, plus what the routes and metrics say about it.
struct LoadedModel {
    pipeline::PipelineModel pipeline_model;
    server::ServedModel served;
};

// The config's engine settings (validated by load_serve_config), compiled for throughput.
engine::EngineOptions engine_options(const ServeConfig& config) {
    const auto kind = engine::engine_kind_from_string(config.engine);
    const auto target = engine::target_from_string(config.target);
    const auto precision = engine::precision_from_string(config.precision);
    if (!kind || !target || !precision) throw std::runtime_error("unknown engine, target or precision");
    engine::EngineOptions options;
    options.engine = *kind;
    options.target = *target;
    options.precision = *precision;
    options.hint = engine::PerformanceHint::throughput;
    options.streams = config.streams;
    options.threads = config.threads;
    options.max_batch = config.max_batch;
    return options;
}

LoadedModel load_for_serving(const ServeConfig& config) {
    const auto options = engine_options(config);
    Model model = load_model(config.model);
    LoadedModel loaded;
    loaded.pipeline_model.preprocess = preprocess_spec(model);
    loaded.pipeline_model.spec = model.spec;
    loaded.pipeline_model.streams = compile_streams(model, options);

    const auto& engine = *loaded.pipeline_model.streams.front();
    const auto described = engine.describe();
    auto& served = loaded.served;
    served.name = model.name;
    served.path = model.path.string();
    served.format = model.format;
    served.family = model.spec.model_type;
    served.engine = engine.engine_name();
    served.target = std::string(engine::to_string(engine.target()));
    served.precision = engine.precision();
    served.engine_version = described.version;
    served.device = described.device;
    served.device_name = described.device_name;
    served.hint = described.hint;
    served.batch = described.batch;
    served.threads = described.threads;
    served.cpu_isa = engine::join_isa(engine::host_cpu_isa_flags());
    served.spec_source = model.spec_source;
    served.input_shape = engine.input().shape;
    served.dynamic_batch = engine.dynamic_batch();
    served.streams = config.streams;
    served.max_batch = engine.dynamic_batch() ? config.max_batch : 1;
    served.labels = model.spec.labels;
    served.defaults = decode_defaults(model.spec, config);
    return loaded;
}

// Waits until `done` or the timeout; false on timeout.
class DrainWait {
public:
    void finished() {
        std::lock_guard lock(mutex_);
        done_ = true;
        changed_.notify_all();
    }
    bool wait(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [this] { return done_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool done_ = false;
};

}  // namespace

int command_serve(const std::vector<std::string>& args) {
    ServeConfig config;
    std::vector<std::string> keys;
    try {
        config = load_serve_config(args);
        keys = api_keys(config);
    } catch (const HelpRequested&) {
        std::cout << serve_usage();
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << "detserve serve: " << e.what() << "\n";
        return 2;
    }
    // Before any thread exists, so that every thread inherits the blocked signals.
    ShutdownSignal shutdown_signal;
    const auto started = SteadyClock::now();
    cv::setNumThreads(config.threads);  // process-wide in OpenCV: one value for every stream

    server::MetricsRegistry registry;
    server::ServiceMetrics metrics(registry, config.max_batch, DETSERVE_VERSION);
    server::register_process_metrics(registry);
    server::HttpServer http(server_options(config, std::move(keys)), registry, metrics);
    const int port = http.bind();
    log("listening on http://" + config.host + ":" + std::to_string(port) + " (loading " + config.model + ")");

    DrainWait drained;
    std::atomic<bool> stopping{false};
    const auto shutdown_timeout = std::chrono::milliseconds(config.shutdown_timeout_ms);
    shutdown_signal.watch([&](int signal_number) {
        stopping.store(true);
        log(std::string(signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
            ": no new connections; finishing requests in flight (up to " + std::to_string(shutdown_timeout.count()) +
            " ms)");
        http.set_draining();
        http.stop();
        if (!drained.wait(shutdown_timeout)) {
            log("requests still in flight after " + std::to_string(shutdown_timeout.count()) + " ms; exiting anyway");
            std::_Exit(1);
        }
    });
    std::thread serving([&] {
        http.serve();
        drained.finished();
    });

    std::unique_ptr<pipeline::Pipeline> pipeline;
    int exit_code = 0;
    try {
        auto loaded = load_for_serving(config);
        pipeline::PipelineOptions options;
        options.max_batch = loaded.served.max_batch;
        options.max_delay = std::chrono::microseconds(config.max_delay_us);
        options.max_pixels = config.max_pixels;
        options.on_batch = [&metrics](const pipeline::BatchRecord& batch) { metrics.record_batch(batch.size); };
        const auto served = loaded.served;
        pipeline = std::make_unique<pipeline::Pipeline>(std::move(loaded.pipeline_model), options);
        pipeline->warm_up();
        metrics.set_model_info({served.name, served.format, served.engine, served.target, served.family,
                                served.precision, shape_text(served.input_shape)});
        metrics.set_engine_info({served.engine, served.engine_version, served.device, served.precision,
                                 served.streams, served.threads, served.cpu_isa});
        http.set_model(*pipeline, served);
        const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
        log("ready in " + std::to_string(seconds).substr(0, 4) + " s: " + served.name + " (" + served.format + ", " +
            served.family + ", " + served.engine + " " + served.engine_version + " on " + served.device + " " +
            served.precision + ", " + std::to_string(served.streams) + " streams, " + std::to_string(served.threads) +
            " threads, max batch " + std::to_string(served.max_batch) + (served.dynamic_batch ? "" : ": fixed batch") +
            "; CPU " + served.cpu_isa + ")");
    } catch (const std::exception& e) {
        log("cannot serve " + config.model + ": " + e.what());
        http.set_load_error(e.what());
        exit_code = 1;
        shutdown_signal.trigger();
    }
    serving.join();
    pipeline.reset();  // every admitted image has been answered; the graph drains here
    if (stopping.load() && exit_code == 0) log("stopped");
    return exit_code;
}

}  // namespace detserve::app
