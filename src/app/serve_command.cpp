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
#include "detserve/app/serve_config.hpp"
#include "detserve/engine/cpu_isa.hpp"
#include "detserve/server/http_server.hpp"
#include "detserve/server/metrics.hpp"
#include "detserve/server/process_metrics.hpp"
#include "detserve/server/service_metrics.hpp"
#include "serve_models.hpp"
#include "serve_reload.hpp"
#include "serve_reload_signal.hpp"
#include "shutdown_signal.hpp"

#ifndef DETSERVE_VERSION
#define DETSERVE_VERSION "dev"
#endif

namespace detserve::app {
namespace {

using SteadyClock = std::chrono::steady_clock;

void log(const std::string& line) { std::clog << "detserve: " << line << std::endl; }

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

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
    std::vector<ModelPlan> plans;
    try {
        config = load_serve_config(args);
        keys = api_keys(config);
        plans = plan_models(config);
    } catch (const HelpRequested&) {
        std::cout << serve_usage();
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << "detserve serve: " << e.what() << "\n";
        return 2;
    }
    // Before any thread exists, so that every thread inherits the blocked signals.
    ShutdownSignal shutdown_signal;
    ReloadSignal reload_signal;
    const auto started = SteadyClock::now();
    cv::setNumThreads(config.threads);  // process-wide in OpenCV: one value for every stream

    server::MetricsRegistry registry;
    server::ServiceMetrics metrics(registry, config.max_batch, DETSERVE_VERSION);
    server::register_process_metrics(registry);
    server::HttpServer http(server_options(config, std::move(keys)), registry, metrics);
    const int port = http.bind();
    log("listening on http://" + config.host + ":" + std::to_string(port) + " (loading the models)");

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
    std::unique_ptr<ModelReloader> reloader;  // set before the server is ready, so before any reload request
    http.set_reloader([&reloader](const std::string& name) { reloader->reload(name); });
    std::thread serving([&] {
        http.serve();
        drained.finished();
    });

    int exit_code = 0;
    std::string loading = "the models";
    try {
        for (auto& plan : plans) {
            loading = plan.name.empty() ? plan.path : plan.name + " (" + plan.path + ")";
            auto built = build_model(plan, config, metrics);
            plan.name = built.served.name;  // the one-model form is served under the model's own name
            publish_model_metrics(built.served, metrics);
            log("loaded " + describe(built.served));
            http.add_model(std::move(built.pipeline), std::move(built.served));
        }
        reloader = std::make_unique<ModelReloader>(config, std::move(plans), http, metrics);
        reload_signal.watch([&reloader] { reloader->reload_all(); });
        http.set_ready();
        const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
        log("ready in " + std::to_string(seconds).substr(0, 4) + " s: " + join_names(http.model_names()) +
            " (CPU " + engine::join_isa(engine::host_cpu_isa_flags()) + ")");
    } catch (const std::exception& e) {
        log("cannot serve " + loading + ": " + e.what());
        http.set_load_error(e.what());
        exit_code = 1;
        shutdown_signal.trigger();
    }
    serving.join();
    reload_signal.stop();  // a SIGHUP reload under way finishes before the models go
    // Every admitted image has been answered; the pipelines drain as the server lets go of them.
    if (stopping.load() && exit_code == 0) log("stopped");
    return exit_code;
}

}  // namespace detserve::app
