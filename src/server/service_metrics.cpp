#include "detserve/server/service_metrics.hpp"

#include <algorithm>

namespace detserve::server {

namespace {

// 1 ms doubling to 65.5 s: a request that takes longer than a minute has already failed somewhere.
std::vector<double> request_buckets() { return exponential_buckets(0.001, 2, 17); }
// 0.1 ms doubling to 52 s: postprocessing takes well under a millisecond.
std::vector<double> stage_buckets() { return exponential_buckets(0.0001, 2, 20); }
constexpr int kMinBatchBuckets = 8;
constexpr double kMsPerSecond = 1000;

}  // namespace

ServiceMetrics::ServiceMetrics(MetricsRegistry& registry, int max_batch, const std::string& version)
    : requests_(registry.counter_family("detserve_http_requests_total",
                                        "HTTP requests by route pattern and status code.",
                                        {"route", "code"})),
      request_duration_(registry.histogram_family(
          "detserve_http_request_duration_seconds",
          "HTTP request duration in seconds, from request read to response written, by route.",
          {"route"}, request_buckets())),
      stages_(registry.histogram_family(
          "detserve_stage_duration_seconds",
          "Time per image spent in each pipeline stage, in seconds; total spans all of them.",
          {"model", "stage"}, stage_buckets())),
      batch_size_(registry.histogram_family("detserve_batch_size", "Images per engine forward.", {"model"},
                                            linear_buckets(1, 1, std::max(max_batch, kMinBatchBuckets)))),
      inference_count_(registry.counter_family("detserve_inference_count_total",
                                               "Images inferred (a batch of n counts n).", {"model"})),
      inference_exec_count_(registry.counter_family("detserve_inference_exec_count_total",
                                                    "Engine forwards (a batch of n counts 1).", {"model"})),
      queue_depth_(registry.gauge_family("detserve_queue_depth", "Requests waiting for an engine stream.",
                                         {"model"})),
      reloads_(registry.counter_family("detserve_model_reloads_total",
                                       "Model reloads by outcome (success, failure); a failure keeps the old model.",
                                       {"model", "outcome"})),
      in_flight_(registry.gauge("detserve_requests_in_flight",
                                "Requests admitted and not yet answered.")),
      connections_open_(registry.gauge("detserve_http_connections_open", "Open HTTP connections.")),
      http_threads_(registry.gauge("detserve_http_worker_threads",
                                   "HTTP worker threads (they grow with the open connections).")),
      received_bytes_(registry.counter("detserve_http_received_bytes_total",
                                       "Bytes read from HTTP connections (heads and bodies as sent).")),
      rejected_(registry.counter_family("detserve_rejected_requests_total",
                                        "Requests refused before inference, by reason.",
                                        {"reason"})),
      model_info_(registry.gauge_family(
          "detserve_model_info", "The loaded model; always 1.",
          {"model", "format", "engine", "target", "family", "precision", "input"})),
      engine_info_(registry.gauge_family(
          "detserve_engine_info", "What runs the model, as the engine reports it after compiling; always 1.",
          {"model", "engine", "version", "device", "precision", "streams", "threads", "cpu_isa"})),
      ready_(registry.gauge("detserve_ready", "1 when the service accepts inference requests.")) {
    registry.gauge_family("detserve_build_info", "detserve's version; always 1.", {"version"})
        .with({version})
        .set(1);
}

void ServiceMetrics::record_request(std::string_view route, int status, double seconds) {
    requests_.with({std::string(route), std::to_string(status)}).inc();
    request_duration_.with({std::string(route)}).observe(seconds);
}

void ServiceMetrics::record_stages(const std::string& model, const StageTimesMs& times) {
    stages_.with({model, "decode"}).observe(times.decode / kMsPerSecond);
    stages_.with({model, "preprocess"}).observe(times.preprocess / kMsPerSecond);
    stages_.with({model, "queue"}).observe(times.queue / kMsPerSecond);
    stages_.with({model, "inference"}).observe(times.inference / kMsPerSecond);
    stages_.with({model, "postprocess"}).observe(times.postprocess / kMsPerSecond);
    stages_.with({model, "total"}).observe(times.total / kMsPerSecond);
}

void ServiceMetrics::record_batch(const std::string& model, int batch_size) {
    batch_size_.with({model}).observe(batch_size);
    inference_count_.with({model}).inc(std::max(batch_size, 0));
    inference_exec_count_.with({model}).inc();
}

void ServiceMetrics::record_reload(const std::string& model, bool succeeded) {
    reloads_.with({model, succeeded ? "success" : "failure"}).inc();
}

void ServiceMetrics::record_rejection(std::string_view reason) {
    rejected_.with({std::string(reason)}).inc();
}

void ServiceMetrics::set_queue_depth(const std::string& model, std::size_t waiting) {
    queue_depth_.with({model}).set(static_cast<double>(waiting));
}

void ServiceMetrics::set_in_flight(std::size_t requests) {
    in_flight_.set(static_cast<double>(requests));
}

void ServiceMetrics::set_connections(std::size_t open, std::size_t worker_threads, std::uint64_t received_bytes) {
    connections_open_.set(static_cast<double>(open));
    http_threads_.set(static_cast<double>(worker_threads));
    received_bytes_.advance_to(static_cast<double>(received_bytes));
}

namespace {

// Sets the info child of `labels` (labels[0] is the model) to 1, dropping the model's earlier one.
void replace_info(GaugeFamily& family, std::map<std::string, std::vector<std::string>>& current,
                  std::vector<std::string> labels) {
    auto& previous = current[labels.front()];
    if (!previous.empty() && previous != labels) family.remove(previous);
    family.with(labels).set(1);
    previous = std::move(labels);
}

}  // namespace

void ServiceMetrics::set_model_info(const ModelInfo& info) {
    std::lock_guard lock(info_mutex_);
    replace_info(model_info_, model_info_labels_,
                 {info.model, info.format, info.engine, info.target, info.family, info.precision, info.input});
}

void ServiceMetrics::set_engine_info(const EngineInfo& info) {
    std::lock_guard lock(info_mutex_);
    replace_info(engine_info_, engine_info_labels_,
                 {info.model, info.engine, info.version, info.device, info.precision, std::to_string(info.streams),
                  std::to_string(info.threads), info.cpu_isa});
}

void ServiceMetrics::set_ready(bool ready) { ready_.set(ready ? 1 : 0); }

}  // namespace detserve::server
