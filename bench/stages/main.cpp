// detserve-microbench: the stage microbenchmarks. Google Benchmark's flags (--benchmark_filter,
// --benchmark_min_time, --benchmark_format=json, ...); exit status 1 when a benchmark could not
// run (a missing model or photo: its error names the script to run) or none matched the filter.
#include <iostream>

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include "bench_inputs.hpp"
#include "bench_models.hpp"
#include "error_counting_reporter.hpp"

int main(int argc, char** argv) {
    // The service's default (serve --threads 1); process-wide, so the benchmarks that need
    // another count set it and put it back.
    cv::setNumThreads(1);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    detserve::bench::register_engine_comparison();
    benchmark::AddCustomContext("detserve_model", detserve::bench::default_model_path().string());
    benchmark::AddCustomContext("opencv_version", CV_VERSION);
    benchmark::AddCustomContext("opencv_threads", "1");

    // Owned by Google Benchmark (a static): not deleted here.
    benchmark::BenchmarkReporter* display = benchmark::CreateDefaultDisplayReporter();
    detserve::bench::ErrorCountingReporter reporter(*display);
    const std::size_t ran = benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    if (ran == 0) {
        std::cerr << "detserve-microbench: no benchmark matched the filter\n";
        return 1;
    }
    if (reporter.errors() > 0) {
        std::cerr << "detserve-microbench: " << reporter.errors() << " benchmark(s) could not run (see ERROR OCCURRED above)\n";
        return 1;
    }
    return 0;
}
