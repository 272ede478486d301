#pragma once
// The settings of `detserve serve`, and where they come from. Lowest precedence first:
//   compiled-in defaults (mirrored in config/default.json)
//   <- the config file (--config FILE, else $DETSERVE_CONFIG)
//   <- DETSERVE_<KEY> environment variables
//   <- --key flags.
// One table of settings in serve_config.cpp drives all of them, to_json(), the --help text and
// the table in docs/configuration.md.
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace detserve::app {

// A token bucket per API key (per client address without keys): `burst` requests at once, then
// `per_s` a second.
struct RateLimitSetting {
    double per_s = 1;
    int burst = 1;
    bool operator==(const RateLimitSetting&) const = default;
};

// One entry of the `models` list: a model served under `name`. Unset optionals take the
// top-level setting of the same key (streams: the top-level `streams` split between the models).
struct ModelSetting {
    ModelSetting() = default;
    ModelSetting(std::string name, std::string path) : name(std::move(name)), path(std::move(path)) {}

    std::string name;  // URL-safe: letters, digits, '.', '_', '-'; unique in the list
    std::string path;  // .xml or .onnx, relative to the working directory
    std::optional<std::string> engine, precision, nms;
    std::optional<int> streams;
    std::optional<double> threshold, iou_threshold;
    std::optional<int> max_detections;
    bool operator==(const ModelSetting&) const = default;
};

struct ServeConfig {
    // HTTP
    std::string host = "0.0.0.0";
    int port = 8080;                 // 0 = an ephemeral port (tests use it)
    int max_connections = 1024;            // open connections; worker threads grow with them
    int max_connections_per_client = 256;  // per client address
    int listen_backlog = 1024;             // the kernel's accept queue (cpp-httplib compiles in 5)
    int request_head_timeout_ms = 10000;   // request line + headers, from the first byte -> 408
    int max_header_bytes = 64 * 1024;      // request line + headers -> 431
    int keep_alive_max_count = 100;  // requests per keep-alive connection (cpp-httplib's default is 5)
    int keep_alive_timeout_s = 5;
    // Model and engine
    std::string model = "models/nanodet/nanodet.xml";  // the one-model form: used when `models` and
                                                       // `model_repository` are both empty
    std::vector<ModelSetting> models;  // several models, each with its own pipeline
    std::string model_repository;      // <dir>/<name>/<version>/model.{xml,onnx}; "" = none
    std::string engine = "auto";    // auto: OpenVINO when built with it, else OpenCV
    std::string target = "cpu";     // a name engine::target_from_string accepts (the OpenCV engine's)
    std::string precision = "auto"; // OpenVINO's inference precision: auto, f32, bf16
    int streams = 2;                // engine streams, each runs one forward at a time
    int threads = 1;                // threads per stream (OpenCV: process-wide)
    // Batching
    int max_batch = 4;
    int max_delay_us = 100000;  // a batch closes this long after its first request
    // Decoding; unset = the model's ModelSpec default
    std::optional<double> threshold;
    std::optional<double> iou_threshold;
    std::optional<int> max_detections;
    std::string nms = "model";  // model (its ModelSpec's), class_wise or agnostic
    // Limits
    int max_in_flight = 256;                         // admitted images not yet answered; beyond -> 503 + Retry-After
    int request_timeout_ms = 60000;                  // per-request deadline -> 504
    std::int64_t max_body_bytes = 32 * 1024 * 1024;  // -> 413, counted as bytes arrive (inflated)
    bool allow_compressed_bodies = false;            // Content-Encoding on a request -> 415 unless set
    std::int64_t max_pixels = 40'000'000;            // width*height from the image header -> 413 before decoding
    int max_images_per_request = 16;                 // multipart image fields per request
    int shutdown_timeout_ms = 10000;                 // SIGTERM: bounded wait for in-flight requests
    bool access_log = false;                         // one line per request on stderr
    // Web page and browsers
    std::string web_root = "web";      // GET / serves web_root/index.html
    std::string cors_allowed_origins;  // "" = no CORS headers; "*" or "https://a.example, https://b.example"
    std::string cors_allowed_methods = "GET, POST, OPTIONS";
    std::string cors_allowed_headers = "Content-Type, X-Request-Id, Authorization, Inference-Header-Content-Length";
    // Access control; no keys: every route is open
    std::string api_keys;       // comma-separated
    std::string api_keys_file;  // one key per line, # comments; read at start-up
    bool metrics_public = false;
    std::optional<RateLimitSetting> rate_limit;  // unset: no rate limit
};

// A bad setting: the message names its source and key, e.g.
//   "my.json: $.max_batch: expected an integer in [1, 64], got \"x\""
//   "--port: expected an integer in [0, 65535], got '70000'"
//   "DETSERVE_TARGET: unknown target 'gpu' (cpu, opencl, opencl_fp16)"
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown by load_serve_config() when the arguments hold --help or -h (whatever else they hold):
// the caller prints serve_usage() to stdout and exits 0.
class HelpRequested : public std::exception {
public:
    const char* what() const noexcept override { return "help requested (print serve_usage())"; }
};

// `args` are the arguments after `serve`: --key value, --key=value, --max-batch or --max_batch,
// --config FILE. `getenv` is injectable for tests. Throws ConfigError or HelpRequested.
ServeConfig load_serve_config(const std::vector<std::string>& args,
                              const std::function<const char*(const char*)>& getenv = [](const char* name) {
                                  return std::getenv(name);
                              });

// Every key in table order; null for an unset optional. config/default.json is
// to_json(ServeConfig{}).dump(2) plus a newline.
nlohmann::ordered_json to_json(const ServeConfig& config);

// The text of `detserve serve --help`.
std::string serve_usage();

// The Markdown table of every setting (key, type, default, flag, env, meaning) that
// docs/configuration.md holds verbatim; a unit test keeps the two equal.
std::string serve_settings_markdown();

}  // namespace detserve::app
