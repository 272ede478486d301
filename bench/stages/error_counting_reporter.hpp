#pragma once
// Passes every report on to Google Benchmark's own display reporter (the one --benchmark_format
// picks) and counts the runs that ended in SkipWithError, so that main() can exit non-zero when
// an input is missing: a smoke run in CI must fail, not print "ERROR OCCURRED" and pass.
#include <cstddef>
#include <vector>

#include <benchmark/benchmark.h>

namespace detserve::bench {

class ErrorCountingReporter : public benchmark::BenchmarkReporter {
public:
    explicit ErrorCountingReporter(benchmark::BenchmarkReporter& display) : display_(display) {}

    bool ReportContext(const Context& context) override { return display_.ReportContext(context); }
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const auto& run : runs) errors_ += run.error_occurred ? 1 : 0;
        display_.ReportRuns(runs);
    }
    void Finalize() override { display_.Finalize(); }

    std::size_t errors() const { return errors_; }

private:
    benchmark::BenchmarkReporter& display_;
    std::size_t errors_ = 0;
};

}  // namespace detserve::bench
