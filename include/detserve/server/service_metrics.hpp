#pragma once
// detserve's own metrics, registered once on a MetricsRegistry:
//
//   detserve_http_requests_total{route,code}              counter
//   detserve_http_request_duration_seconds{route}         histogram, 1 ms … 65 s
//   detserve_stage_duration_seconds{model,stage}          histogram, 0.1 ms … 52 s
//   detserve_batch_size{model}                            histogram, buckets 1, 2, …, max_batch
//   detserve_inference_count_total{model}                 counter, images inferred
//   detserve_inference_exec_count_total{model}            counter, engine forwards
//   detserve_queue_depth{model}                           gauge
//   detserve_requests_in_flight                           gauge (max_in_flight is the service's)
//   detserve_http_connections_open, detserve_http_worker_threads   gauges
//   detserve_http_received_bytes_total                    counter
//   detserve_rejected_requests_total{reason}              counter
//   detserve_model_info{model,format,engine,target,family,precision,input}   gauge, 1
//   detserve_engine_info{model,engine,version,device,precision,streams,threads,cpu_isa}   gauge, 1
//   detserve_model_reloads_total{model,outcome}           counter, outcome "success" or "failure"
//   detserve_ready                                        gauge, 0 or 1
//   detserve_build_info{version}                          gauge, 1
//
// The two inference counters mirror Triton's nv_inference_count and nv_inference_exec_count.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "detserve/pipeline/request.hpp"
#include "detserve/server/metrics.hpp"

namespace detserve::server {

// The six stage durations in milliseconds, as the pipeline reports them per image.
using StageTimesMs = pipeline::StageTimings;

// What detserve_model_info's labels say about a loaded model.
struct ModelInfo {
    std::string model;      // "nanodet"
    std::string format;     // "openvino_ir", "onnx"
    std::string engine;     // "opencv_dnn"
    std::string target;     // "cpu", "opencl", "opencl_fp16"
    std::string family;     // the decoder: "nanodet", "yolov8", …
    std::string precision;  // "fp32", "fp16"
    std::string input;      // "1x3x416x416"
};

// What detserve_engine_info's labels say about what runs the model (as the engine reports it).
struct EngineInfo {
    std::string model;      // the served model's name
    std::string engine;     // "openvino", "opencv"
    std::string version;    // the runtime's version
    std::string device;     // "CPU"; OpenCV: "cpu", "opencl", "opencl_fp16"
    std::string precision;  // read back from the compiled model: "f32", "bf16", "f16"
    int streams = 1;        // engine streams (OpenVINO's NUM_STREAMS)
    int threads = 0;        // OpenVINO's INFERENCE_NUM_THREADS; OpenCV's thread count
    std::string cpu_isa;    // "avx2", "avx2 avx512f avx512_vnni …"
};

class ServiceMetrics {
public:
    // max_batch sizes detserve_batch_size's buckets (at least 1..8); version goes in build_info.
    ServiceMetrics(MetricsRegistry& registry, int max_batch, const std::string& version);

    // `route` is the route pattern ("/v2/models/{name}/infer"), never the raw path.
    void record_request(std::string_view route, int status, double seconds);
    void record_stages(const std::string& model, const StageTimesMs& times);
    // One engine forward of `model` carrying batch_size images.
    void record_batch(const std::string& model, int batch_size);
    // A reload of `model` ended.
    void record_reload(const std::string& model, bool succeeded);
    // "overloaded", "timeout", "too_large", "bad_request", …
    void record_rejection(std::string_view reason);

    void set_queue_depth(const std::string& model, std::size_t waiting);
    void set_in_flight(std::size_t requests);
    // At scrape time, from the HTTP server's own counts.
    void set_connections(std::size_t open, std::size_t worker_threads, std::uint64_t received_bytes);
    // One detserve_model_info child per model, set to 1; a model's earlier child (before a reload)
    // is dropped.
    void set_model_info(const ModelInfo& info);
    // One detserve_engine_info child per model, set to 1; as set_model_info.
    void set_engine_info(const EngineInfo& info);
    void set_ready(bool ready);

private:
    CounterFamily& requests_;
    HistogramFamily& request_duration_;
    HistogramFamily& stages_;
    HistogramFamily& batch_size_;
    CounterFamily& inference_count_;
    CounterFamily& inference_exec_count_;
    GaugeFamily& queue_depth_;
    CounterFamily& reloads_;
    Gauge& in_flight_;
    Gauge& connections_open_;
    Gauge& http_threads_;
    Counter& received_bytes_;
    CounterFamily& rejected_;
    GaugeFamily& model_info_;
    GaugeFamily& engine_info_;
    std::mutex info_mutex_;
    std::map<std::string, std::vector<std::string>> model_info_labels_, engine_info_labels_;  // by model
    Gauge& ready_;
};

}  // namespace detserve::server
