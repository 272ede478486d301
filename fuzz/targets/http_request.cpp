// The HTTP request path end to end: the bytes a client sends on one connection, served by
// HttpServer::serve_stream exactly as for an accepted socket (head checks, body limits,
// multipart, keep-alive, routing, access control, the routes and their error answers).
// Input: the first byte picks one of the servers below; the rest is the connection's bytes.
#include <memory>

#include "../../tests/support/fake_engine.hpp"
#include "detserve/detect/label_map.hpp"
#include "detserve/pipeline/pipeline.hpp"
#include "detserve/server/http_server.hpp"
#include "detserve/server/metrics.hpp"
#include "detserve/server/service_metrics.hpp"
#include "fuzz_targets.hpp"
#include "memory_stream.hpp"

namespace detserve::fuzz {
namespace {

// A server with its metrics and, when it has a model, a pipeline on the fake engine of the
// pipeline tests (a YOLOv8-shaped head on 32x32 inputs, no sleep), so that /v1/detect and KServe
// infer decode the image and answer detections instead of 503 "loading".
struct FuzzServer {
    server::MetricsRegistry registry;
    server::ServiceMetrics metrics{registry, 1, "fuzz"};
    std::unique_ptr<pipeline::Pipeline> pipeline;
    std::unique_ptr<server::HttpServer> http;

    FuzzServer(server::ServerOptions options, bool with_model) {
        options.web_root = DETSERVE_SOURCE_DIR "/web";
        http = std::make_unique<server::HttpServer>(options, registry, metrics);
        if (!with_model) return;
        pipeline::PipelineModel model;
        model.preprocess.width = model.preprocess.height = test::FakeEngine::kSize;
        model.spec.model_type = "yolov8";
        model.streams.push_back(std::make_unique<test::FakeEngine>(false, 0));
        pipeline::PipelineOptions pipeline_options;
        pipeline_options.max_batch = 1;
        pipeline_options.max_delay = std::chrono::microseconds(0);
        pipeline_options.max_pixels = 4'000'000;
        pipeline_options.worker_threads = 1;
        pipeline = std::make_unique<pipeline::Pipeline>(std::move(model), pipeline_options);
        server::ServedModel served;
        served.name = "nanodet";
        served.format = "fake";
        served.family = "yolov8";
        served.engine = "fake";
        served.input_shape = {1, 3, test::FakeEngine::kSize, test::FakeEngine::kSize};
        served.labels = detect::LabelMap::coco80();
        http->set_model(*pipeline, served);
    }
};

server::ServerOptions loading_defaults() { return {}; }

server::ServerOptions model_with_cors() {
    server::ServerOptions options;
    options.cors_allowed_origins = "*";
    return options;
}

server::ServerOptions model_with_access_control() {
    server::ServerOptions options;
    options.api_keys = {"fuzz-key-1", "fuzz-key-2"};
    options.rate_limit_per_s = 1000;
    options.rate_limit_burst = 50;
    return options;
}

server::ServerOptions small_limits_compressed() {
    server::ServerOptions options;
    options.max_body_bytes = 4096;
    options.max_header_bytes = 1024;
    options.max_images_per_request = 2;
    options.allow_compressed_bodies = true;
    options.cors_allowed_origins = "https://a.example, https://b.example";
    return options;
}

FuzzServer& server_for(std::uint8_t selector) {
    static FuzzServer loading(loading_defaults(), false);
    static FuzzServer cors(model_with_cors(), true);
    static FuzzServer keys(model_with_access_control(), true);
    static FuzzServer small(small_limits_compressed(), true);
    switch (selector % 4) {
        case 0: return loading;
        case 1: return cors;
        case 2: return keys;
        default: return small;
    }
}

}  // namespace

int fuzz_http_request(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    FuzzServer& server = server_for(data[0]);
    MemoryStream connection({reinterpret_cast<const char*>(data + 1), size - 1});
    server.http->serve_stream(connection);
    return 0;
}

}  // namespace detserve::fuzz
