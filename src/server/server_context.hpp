#pragma once
// State shared by the routes of one HttpServer (internal to server/).
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "detserve/server/http_server.hpp"
#include "detserve/server/service_metrics.hpp"
#include "access_control.hpp"
#include "model_table.hpp"

namespace detserve::server {

struct ServerContext {
    ServerContext(ServerOptions o, MetricsRegistry& r, ServiceMetrics& m)
        : options(std::move(o)), registry(r), metrics(m), access(options, m) {}

    ServerOptions options;
    MetricsRegistry& registry;
    ServiceMetrics& metrics;
    AccessControl access;  // API keys and the rate limit

    ModelTable models;
    std::atomic<bool> ready{false};  // every model of the config is in service
    std::function<void(const std::string&)> reload;  // set before serve(); may be empty
    std::atomic<bool> draining{false};
    std::atomic<int> admitted{0};  // images admitted and not yet answered

    mutable std::mutex load_error_mutex;
    std::string load_error;

    // Counts an answered request in the metrics (by `route`, its pattern) and, with access_log,
    // writes its line on stderr.
    void log_answer(const std::string& remote, const std::string& method, const std::string& path, int status,
                    std::size_t body_bytes, const std::string& route, double seconds) const;
};

// Holds `count` of the max_in_flight budget for the life of a request, or nothing if it did not fit.
class Admission {
public:
    Admission(std::atomic<int>& admitted, int count, int limit);
    ~Admission();
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;
    bool admitted() const { return count_ > 0; }

private:
    std::atomic<int>& admitted_;
    int count_ = 0;
};

}  // namespace detserve::server
