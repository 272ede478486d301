// detserve-bench: posts images to a detserve route, closed or open loop, and reports
// throughput and latency percentiles (see bench/README.md).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <iostream>

#include "load/bench_options.hpp"
#include "load/bench_report.hpp"
#include "load/closed_loop.hpp"
#include "load/open_loop.hpp"
#include "load/progress_line.hpp"

namespace {

using namespace detserve::bench;

constexpr int kExitCompleted = 0;
constexpr int kExitAllFailed = 1;
constexpr int kExitUsage = 2;

std::atomic<bool> g_stop_requested{false};

void on_interrupt(int) {
    g_stop_requested = true;
    std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

std::string utc_now_iso8601() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

LoadSpec make_load_spec(const BenchOptions& options, const std::vector<ImageFile>& images) {
    LoadSpec spec;
    try {
        spec.target = parse_target_url(options.url);
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--url: ") + e.what());
    }
    const auto builder = make_request_builder(options.format, {options.field});
    for (const auto& image : images) spec.payloads.push_back(builder->build(image));
    spec.expect_detections = options.expect_detections;
    spec.timeout_s = options.timeout_s;
    spec.warmup_s = options.warmup_s;
    spec.duration_s = options.duration_s;
    spec.requests = options.requests;
    spec.stop = &g_stop_requested;
    return spec;
}

RunResults run_load(const BenchOptions& options, const LoadSpec& spec) {
    Recorder recorder;
    {
        std::unique_ptr<ProgressLine> progress;
        if (!options.quiet) progress = std::make_unique<ProgressLine>(recorder, options.warmup_s, isatty(STDERR_FILENO));
        if (options.mode == LoadMode::open_loop)
            run_open_loop(spec, options.rate, options.max_connections, recorder);
        else
            run_closed_loop(spec, options.concurrency, recorder);
    }
    RunResults results = recorder.results();
    results.interrupted = g_stop_requested;
    return results;
}

bool write_reports(const BenchOptions& options, const BenchReport& report) {
    try {
        if (!options.json_path.empty()) write_json_report(options.json_path, report);
        if (!options.csv_path.empty()) append_csv_report(options.csv_path, report);
        return true;
    } catch (const std::exception& e) {
        std::cerr << "detserve-bench: " << e.what() << "\n";
        return false;
    }
}

int run(const std::vector<std::string>& args) {
    BenchOptions options;
    std::vector<ImageFile> images;
    LoadSpec spec;
    try {
        options = parse_bench_options(args);
        if (options.help) {
            std::cout << usage_text();
            return kExitCompleted;
        }
        try {
            images = load_images(options.images);
        } catch (const std::runtime_error& e) {
            throw UsageError(std::string("--images: ") + e.what());
        }
        spec = make_load_spec(options, images);
    } catch (const UsageError& e) {
        std::cerr << "detserve-bench: " << e.what() << "\n(detserve-bench --help for usage)\n";
        return kExitUsage;
    }

    const std::string started_at = utc_now_iso8601();
    std::signal(SIGINT, on_interrupt);
    RunResults results = run_load(options, spec);

    std::vector<std::string> image_paths;
    for (const auto& image : images) image_paths.push_back(image.path);
    const BenchReport report = make_report(options, std::move(image_paths), started_at, std::move(results));
    std::cout << format_text_summary(report) << std::flush;

    const bool written = write_reports(options, report);
    if (report.results.ok == 0) {
        std::cerr << "detserve-bench: no good answer among " << report.results.completed << " requests\n";
        return kExitAllFailed;
    }
    return written ? kExitCompleted : kExitAllFailed;
}

}  // namespace

int main(int argc, char** argv) {
    return run(std::vector<std::string>(argv + 1, argv + argc));
}
