// detserve-naive: the server people write first, as the baseline of bench/run.sh.
//
//   detserve-naive [--host H] [--port P] [--model PATH] [--threads N] [--cv-threads N]
//
// cpp-httplib's thread pool; each HTTP thread decodes its image, then runs ONE shared Detector
// (preprocess, forward, postprocess) under a mutex. No batching, no streams. Same model and engine
// choice (engine: auto) as `detserve serve`'s defaults, compiled for latency as `detserve detect`
// does, and the same cv::setNumThreads (the OpenCV engine's threads). Answers POST /v1/detect
// (raw image body) with detserve's JSON shape, so detserve-bench checks both the same way.
//
// Defaults are cpp-httplib's: --threads CPPHTTPLIB_THREAD_POOL_COUNT (max(8, cores - 1): 8 here),
// keep-alive 5 requests per connection. The one setting changed is TCP_NODELAY, as detserve does:
// without it every kept-alive answer waits ~40 ms for the client's delayed ACK (bench/README.md),
// which would compare socket options rather than designs.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "detserve/app/detector.hpp"
#include "detserve/detect/detection_json.hpp"
#include "detserve/image/image_decoder.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace detserve;

// detserve's default max_pixels (config/default.json).
constexpr std::int64_t kMaxPixels = 40'000'000;

struct Options {
    std::string host = "127.0.0.1";
    int port = 8081;
    std::string model = "models/nanodet/nanodet.xml";
    int threads = static_cast<int>(CPPHTTPLIB_THREAD_POOL_COUNT);
    int cv_threads = 1;  // detserve's default `threads`
};

const char* kUsage =
    "usage: detserve-naive [--host H] [--port P] [--model PATH] [--threads N] [--cv-threads N]\n"
    "  --threads     HTTP worker threads (default: cpp-httplib's pool, CPPHTTPLIB_THREAD_POOL_COUNT)\n"
    "  --cv-threads  cv::setNumThreads (default 1, as detserve serve)\n";

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
        const std::string value = argv[++i];
        if (flag == "--host")
            o.host = value;
        else if (flag == "--port")
            o.port = std::stoi(value);
        else if (flag == "--model")
            o.model = value;
        else if (flag == "--threads")
            o.threads = std::stoi(value);
        else if (flag == "--cv-threads")
            o.cv_threads = std::stoi(value);
        else
            throw std::invalid_argument("unknown option " + flag);
    }
    if (o.threads < 1 || o.cv_threads < 1) throw std::invalid_argument("thread counts must be >= 1");
    return o;
}

double round3(double ms) { return std::round(ms * 1000.0) / 1000.0; }

double ms_between(Clock::time_point from, Clock::time_point to) {
    return round3(std::chrono::duration<double, std::milli>(to - from).count());
}

// detserve's statuses for image errors (src/server/api_error.cpp).
int status_for(image::ImageErrorCode code) {
    switch (code) {
        case image::ImageErrorCode::too_large: return 413;
        case image::ImageErrorCode::unsupported_format: return 415;
        default: return 400;
    }
}

void answer_error(httplib::Response& response, int status, const std::string& code, const std::string& message) {
    nlohmann::ordered_json body;
    body["error"] = {{"code", code}, {"message", message}};
    response.status = status;
    response.set_content(body.dump(), "application/json");
}

class NaiveService {
public:
    explicit NaiveService(const std::string& model_path)
        : detector_(app::load_model(model_path), engine::EngineOptions{}), options_(detector_.default_options()) {
        detector_.detect({cv::Mat(480, 640, CV_8UC3, cv::Scalar(114, 114, 114))}, options_);  // warm-up
    }

    void detect(const httplib::Request& request, httplib::Response& response) {
        const auto start = Clock::now();
        if (request.body.empty()) return answer_error(response, 400, "empty_body", "no image in the request body");
        cv::Mat image;
        try {
            image = image::decode_image(
                std::span(reinterpret_cast<const std::uint8_t*>(request.body.data()), request.body.size()), kMaxPixels);
        } catch (const image::ImageError& e) {
            return answer_error(response, status_for(e.code()), std::string(image::to_string(e.code())), e.what());
        }
        const auto decoded = Clock::now();
        app::ImageDetections result;
        Clock::time_point locked;
        {
            std::lock_guard lock(model_mutex_);  // the naive part: one model, one request at a time
            locked = Clock::now();
            result = detector_.detect({image}, options_).front();
        }
        nlohmann::ordered_json body;
        body["model"] = detector_.model().name;
        body["image"] = {{"width", result.width}, {"height", result.height}};
        body["detections"] = detect::detections_to_json(result.detections);
        body["timing_ms"] = {{"decode", ms_between(start, decoded)},
                             {"preprocess", round3(result.timing_ms["preprocess"])},
                             {"queue", ms_between(decoded, locked)},
                             {"inference", round3(result.timing_ms["inference"])},
                             {"postprocess", round3(result.timing_ms["postprocess"])},
                             {"total", ms_between(start, Clock::now())}};
        body["batch_size"] = 1;
        response.set_content(body.dump(), "application/json");
    }

private:
    app::Detector detector_;
    detect::DecodeOptions options_;
    std::mutex model_mutex_;
};

}  // namespace

int main(int argc, char** argv) {
    Options options;
    try {
        options = parse_options(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "detserve-naive: " << e.what() << "\n" << kUsage;
        return 2;
    }
    const auto started = Clock::now();
    cv::setNumThreads(options.cv_threads);
    try {
        NaiveService service(options.model);
        httplib::Server http;
        const auto threads = static_cast<std::size_t>(options.threads);
        http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
        http.set_tcp_nodelay(true);
        http.Post("/v1/detect", [&service](const httplib::Request& q, httplib::Response& r) { service.detect(q, r); });
        http.Get("/readyz", [](const httplib::Request&, httplib::Response& r) {
            r.set_content(R"({"status":"ready"})", "application/json");
        });
        if (!http.bind_to_port(options.host, options.port)) {
            std::cerr << "detserve-naive: cannot listen on " << options.host << ":" << options.port << "\n";
            return 1;
        }
        std::cerr << "detserve-naive: ready in " << std::chrono::duration<double>(Clock::now() - started).count()
                  << " s on http://" << options.host << ":" << options.port << " (" << options.threads
                  << " HTTP threads, cv threads " << options.cv_threads << ")" << std::endl;
        http.listen_after_bind();
    } catch (const std::exception& e) {
        std::cerr << "detserve-naive: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
