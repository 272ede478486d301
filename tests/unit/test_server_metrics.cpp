#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "detserve/server/metrics.hpp"
#include "detserve/server/process_metrics.hpp"
#include "detserve/server/service_metrics.hpp"

using namespace detserve::server;

namespace {

bool contains_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

CommandResult run(const std::string& command) {
    CommandResult result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return result;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) result.output += buffer;
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

bool promtool_available() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

// `promtool check metrics` parses the exposition and lints it (names, units, _total suffixes).
CommandResult promtool_check(const std::string& exposition) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("detserve_metrics_" + std::to_string(getpid()) + ".prom");
    std::ofstream(path) << exposition;
    auto result = run("promtool check metrics < '" + path.string() + "'");
    std::filesystem::remove(path);
    return result;
}

}  // namespace

TEST(ServerMetrics, RendersCounterGaugeAndHistogramExactly) {
    MetricsRegistry registry;
    registry.counter_family("jobs_total", "Jobs done.", {"kind", "queue"})
        .with({"resize", "fast"})
        .inc(3);
    registry.gauge("temperature_celsius", "Current temperature.").set(-1.5);
    auto& latency = registry.histogram("latency_seconds", "Latency.", {0.25, 1, 2.5});
    latency.observe(0.25);  // le is inclusive: lands in the 0.25 bucket
    latency.observe(0.5);
    latency.observe(3);

    EXPECT_EQ(registry.render(),
              "# HELP jobs_total Jobs done.\n"
              "# TYPE jobs_total counter\n"
              "jobs_total{kind=\"resize\",queue=\"fast\"} 3\n"
              "# HELP temperature_celsius Current temperature.\n"
              "# TYPE temperature_celsius gauge\n"
              "temperature_celsius -1.5\n"
              "# HELP latency_seconds Latency.\n"
              "# TYPE latency_seconds histogram\n"
              "latency_seconds_bucket{le=\"0.25\"} 1\n"
              "latency_seconds_bucket{le=\"1\"} 2\n"
              "latency_seconds_bucket{le=\"2.5\"} 2\n"
              "latency_seconds_bucket{le=\"+Inf\"} 3\n"
              "latency_seconds_sum 3.75\n"
              "latency_seconds_count 3\n");
}

TEST(ServerMetrics, LabeledFamilyWithoutChildrenRendersOnlyItsHeader) {
    MetricsRegistry registry;
    registry.counter_family("errors_total", "Errors.", {"code"});
    EXPECT_EQ(registry.render(), "# HELP errors_total Errors.\n# TYPE errors_total counter\n");
}

TEST(ServerMetrics, ChildrenRenderInCreationOrderWithHistogramLabelsBeforeLe) {
    MetricsRegistry registry;
    auto& family = registry.histogram_family("wait_seconds", "Wait.", {"route"}, {1});
    family.with({"/b"}).observe(2);
    family.with({"/a"}).observe(0.5);
    EXPECT_EQ(registry.render(),
              "# HELP wait_seconds Wait.\n"
              "# TYPE wait_seconds histogram\n"
              "wait_seconds_bucket{route=\"/b\",le=\"1\"} 0\n"
              "wait_seconds_bucket{route=\"/b\",le=\"+Inf\"} 1\n"
              "wait_seconds_sum{route=\"/b\"} 2\n"
              "wait_seconds_count{route=\"/b\"} 1\n"
              "wait_seconds_bucket{route=\"/a\",le=\"1\"} 1\n"
              "wait_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
              "wait_seconds_sum{route=\"/a\"} 0.5\n"
              "wait_seconds_count{route=\"/a\"} 1\n");
}

TEST(ServerMetrics, EscapesHelpTextAndLabelValues) {
    MetricsRegistry registry;
    registry.gauge_family("odd_info", "Back\\slash and\nnewline \"quotes stay\".", {"path"})
        .with({"C:\\dir\n\"x\""})
        .set(1);
    EXPECT_EQ(registry.render(),
              "# HELP odd_info Back\\\\slash and\\nnewline \"quotes stay\".\n"
              "# TYPE odd_info gauge\n"
              "odd_info{path=\"C:\\\\dir\\n\\\"x\\\"\"} 1\n");
}

TEST(ServerMetrics, HistogramBucketsAreCumulativeWithSumAndCount) {
    Histogram histogram({1, 2, 4});
    for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 8.0, 100.0}) histogram.observe(v);
    histogram.observe(std::numeric_limits<double>::quiet_NaN());  // counted in +Inf only

    const auto snap = histogram.snapshot();
    EXPECT_EQ(snap.upper_bounds, (std::vector<double>{1, 2, 4}));
    EXPECT_EQ(snap.cumulative_counts, (std::vector<std::uint64_t>{2, 4, 5, 8}));
    EXPECT_EQ(snap.count, 8u);
    EXPECT_TRUE(std::isnan(snap.sum));

    Histogram clean({1, 2, 4});
    for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 8.0, 100.0}) clean.observe(v);
    EXPECT_DOUBLE_EQ(clean.snapshot().sum, 116.0);
}

TEST(ServerMetrics, HistogramBoundsAreValidated) {
    EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
    EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
    EXPECT_THROW(Histogram({1, std::nan("")}), std::invalid_argument);
    // A trailing +Inf is implicit anyway and is dropped.
    Histogram with_inf({1, std::numeric_limits<double>::infinity()});
    EXPECT_EQ(with_inf.upper_bounds(), std::vector<double>{1});
}

TEST(ServerMetrics, BucketHelpers) {
    EXPECT_EQ(exponential_buckets(0.001, 2, 4), (std::vector<double>{0.001, 0.002, 0.004, 0.008}));
    EXPECT_EQ(linear_buckets(1, 1, 3), (std::vector<double>{1, 2, 3}));
    // Rounded to the value meant, so the le label reads "0.3", not "0.30000000000000004".
    EXPECT_EQ(format_metric_value(linear_buckets(0, 0.1, 4)[3]), "0.3");
    EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
    EXPECT_THROW(exponential_buckets(1, 1, 3), std::invalid_argument);
    EXPECT_THROW(linear_buckets(0, 0, 3), std::invalid_argument);
    EXPECT_THROW(linear_buckets(0, 1, 0), std::invalid_argument);
}

TEST(ServerMetrics, FormatsValuesSoPrometheusParsesThem) {
    EXPECT_EQ(format_metric_value(0), "0");
    EXPECT_EQ(format_metric_value(-0.0), "0");
    EXPECT_EQ(format_metric_value(1e6), "1000000");
    EXPECT_EQ(format_metric_value(123456789012.0), "123456789012");
    EXPECT_EQ(format_metric_value(0.005), "0.005");
    EXPECT_EQ(format_metric_value(-2.5), "-2.5");
    EXPECT_EQ(format_metric_value(0.1 + 0.2), "0.30000000000000004");  // round-trips exactly
    EXPECT_EQ(format_metric_value(1e300), "1e+300");
    EXPECT_EQ(format_metric_value(1234567.5), "1234567.5");
    // Fixed notation down to 1e-4, exponent below, like Go's client writes le labels.
    EXPECT_EQ(format_metric_value(0.0001), "0.0001");
    EXPECT_EQ(format_metric_value(0.0007), "0.0007");
    EXPECT_EQ(format_metric_value(0.00001), "1e-05");
    EXPECT_EQ(format_metric_value(-1.5e-7), "-1.5e-07");
    EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(format_metric_value(std::nan("")), "NaN");
}

TEST(ServerMetrics, CounterOnlyGoesUp) {
    Counter counter;
    counter.inc();
    counter.inc(2.5);
    EXPECT_THROW(counter.inc(-1), std::invalid_argument);
    EXPECT_THROW(counter.inc(std::nan("")), std::invalid_argument);
    EXPECT_DOUBLE_EQ(counter.value(), 3.5);
    counter.advance_to(10);
    counter.advance_to(7);  // lower: ignored
    EXPECT_DOUBLE_EQ(counter.value(), 10);
}

TEST(ServerMetrics, GaugeSetsIncrementsAndDecrements) {
    Gauge gauge;
    gauge.set(5);
    gauge.inc();
    gauge.dec(2.5);
    EXPECT_DOUBLE_EQ(gauge.value(), 3.5);
}

TEST(ServerMetrics, WithChecksArityAndReturnsTheSameChild) {
    MetricsRegistry registry;
    auto& family = registry.counter_family("hits_total", "Hits.", {"route", "code"});
    Counter& first = family.with({"/a", "200"});
    for (int i = 0; i < 100; ++i) family.with({"/a", std::to_string(i)});  // grow the family
    EXPECT_EQ(&family.with({"/a", "200"}), &first);
    EXPECT_THROW(family.with({"/a"}), std::invalid_argument);
    EXPECT_THROW(family.with({"/a", "200", "x"}), std::invalid_argument);
}

TEST(ServerMetrics, ConcurrentUpdatesSumExactly) {
    MetricsRegistry registry;
    auto& counters = registry.counter_family("ops_total", "Ops.", {"worker_group"});
    auto& gauge = registry.gauge("level", "Level.");
    auto& histogram = registry.histogram("size_bytes", "Size.", {10, 100});
    constexpr int kThreads = 4, kIterations = 50000;

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kIterations; ++i) {
                counters.with({"shared"}).inc();
                counters.with({"group" + std::to_string(t % 2)}).inc(2);
                gauge.inc();
                gauge.dec(0.5);
                histogram.observe(i % 3 == 0 ? 5 : 50);
            }
        });
    }
    std::thread scraper([&] {
        for (int i = 0; i < 20; ++i) registry.render();  // renders while others write
    });
    for (auto& thread : threads) thread.join();
    scraper.join();

    EXPECT_EQ(counters.with({"shared"}).value(), kThreads * kIterations);
    EXPECT_EQ(counters.with({"group0"}).value(), 2.0 * 2 * kIterations);
    EXPECT_EQ(counters.with({"group1"}).value(), 2.0 * 2 * kIterations);
    EXPECT_EQ(gauge.value(), 0.5 * kThreads * kIterations);
    const auto snap = histogram.snapshot();
    const std::uint64_t small_per_thread = (kIterations + 2) / 3;
    EXPECT_EQ(snap.count, std::uint64_t{kThreads} * kIterations);
    EXPECT_EQ(snap.cumulative_counts[0], kThreads * small_per_thread);
    EXPECT_EQ(snap.cumulative_counts[1], snap.count);
    EXPECT_EQ(snap.sum,
              kThreads * (5.0 * small_per_thread + 50.0 * (kIterations - small_per_thread)));
}

TEST(ServerMetrics, SameRegistrationReturnsTheFamilyAndConflictsThrow) {
    MetricsRegistry registry;
    auto& family = registry.counter_family("jobs_total", "Jobs.", {"kind"});
    EXPECT_EQ(&registry.counter_family("jobs_total", "Jobs.", {"kind"}), &family);
    EXPECT_THROW(registry.gauge_family("jobs_total", "Jobs.", {"kind"}), std::invalid_argument);
    EXPECT_THROW(registry.counter_family("jobs_total", "Jobs.", {"type"}), std::invalid_argument);
    EXPECT_THROW(registry.counter_family("jobs_total", "Jobs.", {}), std::invalid_argument);
    EXPECT_THROW(registry.counter_family("jobs_total", "Other help.", {"kind"}),
                 std::invalid_argument);

    registry.histogram("wait_seconds", "Wait.", {1, 2});
    EXPECT_NO_THROW(registry.histogram("wait_seconds", "Wait.", {1, 2}));
    EXPECT_THROW(registry.histogram("wait_seconds", "Wait.", {1, 3}), std::invalid_argument);
    EXPECT_THROW(registry.counter("wait_seconds", "Wait."), std::invalid_argument);
}

TEST(ServerMetrics, InvalidNamesThrow) {
    MetricsRegistry registry;
    for (const char* bad : {"", "1st_total", "has-dash", "has space", "ünïcode", "a.b"})
        EXPECT_THROW(registry.counter(bad, "x"), std::invalid_argument) << bad;
    EXPECT_NO_THROW(registry.counter("_under:colon_total", "x"));
    EXPECT_NO_THROW(registry.counter("a1_total", "x"));

    for (const char* bad : {"", "__reserved", "9lives", "co:lon", "da-sh"})
        EXPECT_THROW(registry.counter_family("labels_total", "x", {bad}), std::invalid_argument)
            << bad;
    EXPECT_THROW(registry.counter_family("labels_total", "x", {"a", "a"}), std::invalid_argument);
    EXPECT_THROW(registry.histogram_family("h_seconds", "x", {"le"}, {1}), std::invalid_argument);
    EXPECT_NO_THROW(registry.counter_family("labels_total", "x", {"_ok", "le"}));
}

TEST(ServerMetrics, CollectorsRunAtEveryRender) {
    MetricsRegistry registry;
    auto& depth = registry.gauge("queue_depth", "Depth.");
    int calls = 0;
    registry.add_collector([&] { depth.set(++calls * 10); });
    EXPECT_EQ(calls, 0);
    EXPECT_TRUE(contains_line(registry.render(), "queue_depth 10"));
    EXPECT_TRUE(contains_line(registry.render(), "queue_depth 20"));
    EXPECT_EQ(calls, 2);

    // A collector may register metrics itself (no lock is held while it runs).
    registry.add_collector([&] { registry.gauge("late_registered", "Late.").set(1); });
    EXPECT_TRUE(contains_line(registry.render(), "late_registered 1"));
}

TEST(ServerProcessMetrics, ReadsPlausibleValuesFromProc) {
    const auto stats = read_process_stats();
    ASSERT_TRUE(stats.has_value());
    EXPECT_GT(stats->resident_memory_bytes, 1 << 20);
    EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
    EXPECT_GE(stats->cpu_seconds_total, 0);
    const double now = static_cast<double>(std::time(nullptr));
    EXPECT_LE(stats->start_time_seconds, now + 1);
    EXPECT_GT(stats->start_time_seconds, now - 24 * 3600);  // this test process started today
    EXPECT_GE(stats->open_fds, 3);  // stdin, stdout, stderr
}

TEST(ServerProcessMetrics, RegistersTheStandardNames) {
    MetricsRegistry registry;
    register_process_metrics(registry);
    const std::string text = registry.render();
    for (const char* type_line : {"# TYPE process_resident_memory_bytes gauge",
                                  "# TYPE process_virtual_memory_bytes gauge",
                                  "# TYPE process_cpu_seconds_total counter",
                                  "# TYPE process_start_time_seconds gauge",
                                  "# TYPE process_open_fds gauge"})
        EXPECT_TRUE(contains_line(text, type_line)) << type_line;
    EXPECT_EQ(text.find("process_resident_memory_bytes 0\n"), std::string::npos)
        << "the collector did not fill the values:\n" << text;
}

TEST(ServerServiceMetrics, RecordsRequestsStagesAndBatches) {
    MetricsRegistry registry;
    ServiceMetrics metrics(registry, 4, "0.1.0");  // max_batch 4 still gets buckets 1..8
    metrics.record_request("/v1/detect", 200, 0.003);
    metrics.record_request("/v1/detect", 200, 0.5);
    metrics.record_request("/v1/detect", 413, 0.0001);
    StageTimesMs times;
    times.decode = 2;
    times.inference = 40;
    times.total = 50;
    metrics.record_stages("nanodet", times);
    metrics.record_batch("nanodet", 4);
    metrics.record_batch("nanodet", 4);
    metrics.record_batch("nanodet", 1);
    metrics.record_batch("yolov5n", 2);
    metrics.record_reload("yolov5n", true);
    metrics.record_rejection("overloaded");
    metrics.set_queue_depth("nanodet", 7);
    metrics.set_in_flight(3);
    metrics.set_ready(true);
    metrics.set_model_info({"nanodet", "openvino_ir", "opencv_dnn", "cpu", "nanodet", "fp32",
                            "1x3x416x416"});

    const std::string text = registry.render();
    for (const char* line : {
             "detserve_http_requests_total{route=\"/v1/detect\",code=\"200\"} 2",
             "detserve_http_requests_total{route=\"/v1/detect\",code=\"413\"} 1",
             "detserve_http_request_duration_seconds_bucket{route=\"/v1/detect\",le=\"0.001\"} 1",
             "detserve_http_request_duration_seconds_bucket{route=\"/v1/detect\",le=\"0.004\"} 2",
             "detserve_http_request_duration_seconds_bucket{route=\"/v1/detect\",le=\"65.536\"} 3",
             "detserve_http_request_duration_seconds_count{route=\"/v1/detect\"} 3",
             "detserve_stage_duration_seconds_bucket{model=\"nanodet\",stage=\"decode\",le=\"0.0016\"} 0",
             "detserve_stage_duration_seconds_bucket{model=\"nanodet\",stage=\"decode\",le=\"0.0032\"} 1",
             "detserve_stage_duration_seconds_sum{model=\"nanodet\",stage=\"inference\"} 0.04",
             "detserve_stage_duration_seconds_count{model=\"nanodet\",stage=\"postprocess\"} 1",
             "detserve_batch_size_bucket{model=\"nanodet\",le=\"1\"} 1",
             "detserve_batch_size_bucket{model=\"nanodet\",le=\"3\"} 1",
             "detserve_batch_size_bucket{model=\"nanodet\",le=\"4\"} 3",
             "detserve_batch_size_bucket{model=\"nanodet\",le=\"8\"} 3",
             "detserve_batch_size_sum{model=\"nanodet\"} 9",
             "detserve_batch_size_sum{model=\"yolov5n\"} 2",
             "detserve_inference_count_total{model=\"nanodet\"} 9",
             "detserve_inference_exec_count_total{model=\"nanodet\"} 3",
             "detserve_model_reloads_total{model=\"yolov5n\",outcome=\"success\"} 1",
             "detserve_rejected_requests_total{reason=\"overloaded\"} 1",
             "detserve_queue_depth{model=\"nanodet\"} 7",
             "detserve_requests_in_flight 3",
             "detserve_ready 1",
             "detserve_model_info{model=\"nanodet\",format=\"openvino_ir\",engine=\"opencv_dnn\","
             "target=\"cpu\",family=\"nanodet\",precision=\"fp32\",input=\"1x3x416x416\"} 1",
             "detserve_build_info{version=\"0.1.0\"} 1",
         })
        EXPECT_TRUE(contains_line(text, line)) << "missing: " << line << "\nin:\n" << text;
    // A model's stage children are created together, in pipeline order.
    EXPECT_LT(text.find("stage=\"decode\""), text.find("stage=\"preprocess\""));
    EXPECT_LT(text.find("stage=\"postprocess\""), text.find("stage=\"total\""));
}

TEST(ServerServiceMetrics, BatchBucketsFollowMaxBatch) {
    MetricsRegistry registry;
    ServiceMetrics metrics(registry, 16, "0.1.0");
    metrics.record_batch("nanodet", 17);
    const std::string text = registry.render();
    EXPECT_TRUE(contains_line(text, "detserve_batch_size_bucket{model=\"nanodet\",le=\"16\"} 0"));
    EXPECT_EQ(text.find("detserve_batch_size_bucket{model=\"nanodet\",le=\"17\"}"), std::string::npos);
}

TEST(ServerServiceMetrics, FullExpositionPassesPromtoolCheckMetrics) {
    if (!promtool_available())
        GTEST_SKIP() << "promtool not on PATH: install Debian's `prometheus` package "
                        "(scripts/install-deps.sh test does)";
    MetricsRegistry registry;
    ServiceMetrics metrics(registry, 8, "0.1.0");
    register_process_metrics(registry);
    for (const char* route : {"/v1/detect", "/v1/vision/detection", "/v2/models/{name}/infer"}) {
        metrics.record_request(route, 200, 0.08);
        metrics.record_request(route, 400, 0.002);
    }
    metrics.record_stages("nanodet", {3.1, 4.2, 0.7, 89.4, 0.6, 98.0});
    for (int batch : {1, 3, 8}) metrics.record_batch("nanodet", batch);
    metrics.record_reload("nanodet", false);
    for (const char* reason : {"overloaded", "timeout", "too_large", "bad_request"})
        metrics.record_rejection(reason);
    metrics.set_queue_depth("nanodet", 2);
    metrics.set_in_flight(5);
    metrics.set_ready(true);
    metrics.set_model_info({"nanodet", "openvino_ir", "opencv_dnn", "opencl_fp16", "nanodet",
                            "fp16", "1x3x416x416"});

    const std::string text = registry.render();
    const auto result = promtool_check(text);
    EXPECT_EQ(result.exit_code, 0) << result.output << "\nfor:\n" << text;
    EXPECT_EQ(result.output, "") << "for:\n" << text;
}

TEST(ServerMetrics, EscapedExpositionParsesWithPromtool) {
    if (!promtool_available())
        GTEST_SKIP() << "promtool not on PATH: install Debian's `prometheus` package "
                        "(scripts/install-deps.sh test does)";
    MetricsRegistry registry;
    registry.gauge_family("odd_labels_info", "Help with \\ and\nnewline.", {"value"})
        .with({"quote \" backslash \\ newline \n end"})
        .set(1);
    registry.gauge("special_values", "NaN and infinities.").set(std::nan(""));
    registry.histogram("tiny_seconds", "Small bounds.", exponential_buckets(1e-7, 10, 3))
        .observe(1e-6);
    const auto result = promtool_check(registry.render());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(result.output, "");
}

namespace detserve::server {
namespace {

TEST(ServerServiceMetrics, AReloadedModelsInfoReplacesItsEarlierOne) {
    MetricsRegistry registry;
    ServiceMetrics metrics(registry, 4, "0.1.0");
    metrics.set_model_info({"people", "openvino_ir", "openvino", "cpu", "nanodet", "f32", "1x3x416x416"});
    metrics.set_model_info({"cars", "onnx", "openvino", "cpu", "yolov8", "f32", "1x3x640x640"});
    metrics.set_engine_info({"people", "openvino", "2026.4", "CPU", "f32", 1, 1, "avx2"});
    // The repository's next version of "people" takes another input size and runs in bf16.
    metrics.set_model_info({"people", "openvino_ir", "openvino", "cpu", "nanodet", "bf16", "1x3x320x320"});
    metrics.set_engine_info({"people", "openvino", "2026.4", "CPU", "bf16", 1, 1, "avx2"});
    const std::string text = registry.render();
    EXPECT_EQ(text.find("input=\"1x3x416x416\""), std::string::npos) << text;
    EXPECT_NE(text.find("detserve_model_info{model=\"people\",format=\"openvino_ir\",engine=\"openvino\",target=\"cpu\","
                        "family=\"nanodet\",precision=\"bf16\",input=\"1x3x320x320\"} 1"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("detserve_model_info{model=\"cars\""), std::string::npos) << "other models keep theirs";
    EXPECT_EQ(text.find("precision=\"f32\",streams"), std::string::npos) << text;
}

}  // namespace
}  // namespace detserve::server
