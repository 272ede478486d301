// detserve-bench's pure parts: percentiles, answer checks, request bodies, options, reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <unistd.h>

#include "load/answer_check.hpp"
#include "load/bench_options.hpp"
#include "load/bench_report.hpp"
#include "load/image_set.hpp"
#include "load/latency_summary.hpp"
#include "load/recorder.hpp"
#include "load/request_builder.hpp"
#include "load/target_url.hpp"

#include "../support/temp_dir.hpp"

namespace fs = std::filesystem;
using detserve::test::TempDir;
using detserve::test::write_file;
using namespace detserve::bench;

namespace {

std::vector<double> one_to(int n) {
    std::vector<double> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 1.0);
    return v;
}


const std::string kJpegBytes = std::string("\xFF\xD8\xFF\xE0", 4) + "jpeg-body";
const std::string kPngBytes = std::string("\x89PNG\r\n\x1A\n", 8) + "png-body";

}  // namespace

// --- latency summary --------------------------------------------------------------------------

TEST(BenchLatencySummary, NearestRankOnOneToHundred) {
    const auto v = one_to(100);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 0), 1);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 1), 1);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 50), 50);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 90), 90);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 99), 99);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 99.9), 100);  // rank ceil(99.9) = 100
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 100), 100);
}

TEST(BenchLatencySummary, NearestRankExactRanksDoNotRoundUp) {
    const auto v = one_to(1000);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 99.9), 999);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 99), 990);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile(v, 50), 500);
}

TEST(BenchLatencySummary, NearestRankSmallSets) {
    EXPECT_DOUBLE_EQ(nearest_rank_percentile({}, 50), 0);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile({7}, 0), 7);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile({7}, 99.9), 7);
    EXPECT_DOUBLE_EQ(nearest_rank_percentile({1, 2}, 50), 1);  // rank ceil(1.0) = 1
    EXPECT_DOUBLE_EQ(nearest_rank_percentile({1, 2}, 51), 2);
}

TEST(BenchLatencySummary, SummarizesUnsortedSamples) {
    const LatencySummary s = summarize({30, 10, 20, 40}, 2.0);
    EXPECT_EQ(s.count, 4);
    EXPECT_DOUBLE_EQ(s.throughput_rps, 2.0);
    EXPECT_DOUBLE_EQ(s.mean_ms, 25);
    EXPECT_DOUBLE_EQ(s.p50_ms, 20);
    EXPECT_DOUBLE_EQ(s.p90_ms, 40);
    EXPECT_DOUBLE_EQ(s.p99_ms, 40);
    EXPECT_DOUBLE_EQ(s.p999_ms, 40);
    EXPECT_DOUBLE_EQ(s.max_ms, 40);
}

TEST(BenchLatencySummary, EmptyAndZeroWall) {
    const LatencySummary empty = summarize({}, 3.0);
    EXPECT_EQ(empty.count, 0);
    EXPECT_DOUBLE_EQ(empty.throughput_rps, 0);
    EXPECT_DOUBLE_EQ(empty.max_ms, 0);
    EXPECT_DOUBLE_EQ(summarize({5}, 0).throughput_rps, 0);
}

// --- answer check -----------------------------------------------------------------------------

TEST(BenchAnswerCheck, NativeAnswerWithServerStats) {
    const auto v = check_answer(200,
                                R"({"model":"nanodet","image":{"width":768,"height":576},
                                    "detections":[{"label":"dog"}],
                                    "timing_ms":{"decode":9.0,"total":103.2},"batch_size":4})",
                                true);
    EXPECT_TRUE(v.ok()) << v.error_kind;
    ASSERT_TRUE(v.batch_size.has_value());
    EXPECT_EQ(*v.batch_size, 4);
    ASSERT_TRUE(v.server_total_ms.has_value());
    EXPECT_DOUBLE_EQ(*v.server_total_ms, 103.2);
}

TEST(BenchAnswerCheck, ErrorKinds) {
    EXPECT_EQ(check_answer(503, R"({"error":"busy"})", false).error_kind, "http_503");
    EXPECT_EQ(check_answer(404, "", false).error_kind, "http_404");
    EXPECT_EQ(check_answer(200, "not json", false).error_kind, "bad_json");
    EXPECT_EQ(check_answer(200, "[1,2]", false).error_kind, "bad_json");
    EXPECT_EQ(check_answer(200, R"({"model":"x"})", false).error_kind, "bad_shape");
    EXPECT_EQ(check_answer(200, R"({"detections":{}})", false).error_kind, "bad_shape");
    EXPECT_EQ(check_answer(200, R"({"detections":[]})", true).error_kind, "no_detections");
    EXPECT_EQ(check_answer(200, R"({"success":false,"predictions":[]})", false).error_kind, "success_false");
}

TEST(BenchAnswerCheck, EmptyDetectionsAreFineUnlessExpected) {
    EXPECT_TRUE(check_answer(200, R"({"detections":[]})", false).ok());
    EXPECT_TRUE(check_answer(200, R"({"success":true,"predictions":[]})", false).ok());
}

TEST(BenchAnswerCheck, DeepStackAndKServeShapes) {
    const auto deepstack = check_answer(200, R"({"success":true,"predictions":[{"label":"dog"}]})", true);
    EXPECT_TRUE(deepstack.ok()) << deepstack.error_kind;
    EXPECT_FALSE(deepstack.batch_size.has_value());
    EXPECT_FALSE(deepstack.server_total_ms.has_value());
    EXPECT_TRUE(check_answer(200, R"({"model_name":"nanodet","outputs":[{"name":"detections"}]})", true).ok());
}

// --- target URL -------------------------------------------------------------------------------

TEST(BenchTargetUrl, SplitsOriginAndPath) {
    const auto t = parse_target_url("http://127.0.0.1:8080/v1/detect");
    EXPECT_EQ(t.origin, "http://127.0.0.1:8080");
    EXPECT_EQ(t.path, "/v1/detect");
    EXPECT_EQ(parse_target_url("http://localhost").path, "/");
    EXPECT_EQ(parse_target_url("http://localhost:8080?x=1").path, "/?x=1");
    EXPECT_EQ(parse_target_url("http://h/v2/models/nanodet/infer?a=b").path, "/v2/models/nanodet/infer?a=b");
}

TEST(BenchTargetUrl, RejectsBadUrls) {
    EXPECT_THROW(parse_target_url("127.0.0.1:8080/v1/detect"), std::invalid_argument);
    EXPECT_THROW(parse_target_url("ftp://host/x"), std::invalid_argument);
    EXPECT_THROW(parse_target_url("http:///v1/detect"), std::invalid_argument);
    EXPECT_THROW(parse_target_url("http://:8080/v1/detect"), std::invalid_argument);
}

// --- images -----------------------------------------------------------------------------------

TEST(BenchImageSet, SniffsMagicBeforeExtension) {
    EXPECT_EQ(sniff_content_type(kJpegBytes, "photo.png"), "image/jpeg");
    EXPECT_EQ(sniff_content_type(kPngBytes, "photo.jpg"), "image/png");
    EXPECT_EQ(sniff_content_type("garbage", "x.JPEG"), "image/jpeg");
    EXPECT_EQ(sniff_content_type("garbage", "x.png"), "image/png");
    EXPECT_EQ(sniff_content_type("garbage", "x.bin"), "application/octet-stream");
}

TEST(BenchImageSet, DirectoryGivesSortedImagesOnly) {
    TempDir dir;
    dir.write("b.png", kPngBytes);
    dir.write("a.jpg", kJpegBytes);
    dir.write("c.txt", "not an image");
    dir.write("d.JPEG", kJpegBytes);
    const auto images = load_images({dir.path().string()});
    ASSERT_EQ(images.size(), 3u);
    EXPECT_EQ(images[0].name, "a.jpg");
    EXPECT_EQ(images[1].name, "b.png");
    EXPECT_EQ(images[2].name, "d.JPEG");
    EXPECT_EQ(images[0].bytes, kJpegBytes);
    EXPECT_EQ(images[1].content_type, "image/png");
}

TEST(BenchImageSet, FilesAndErrorsNameThePath) {
    TempDir dir;
    dir.write("x.jpg", kJpegBytes);
    dir.write("empty.jpg", "");
    const auto images = load_images({(dir.path() / "x.jpg").string(), (dir.path() / "x.jpg").string()});
    EXPECT_EQ(images.size(), 2u);

    const std::string missing = (dir.path() / "missing.jpg").string();
    try {
        load_images({missing});
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
    EXPECT_THROW(load_images({(dir.path() / "empty.jpg").string()}), std::runtime_error);

    TempDir no_images;
    no_images.write("readme.txt", "x");
    EXPECT_THROW(load_images({no_images.path().string()}), std::runtime_error);
}

// --- request builders -------------------------------------------------------------------------

TEST(BenchRequestBuilder, RawPostsTheBytes) {
    const ImageFile image{"/x/dog.png", "dog.png", kPngBytes, "image/png"};
    const auto payload = make_request_builder("raw", {})->build(image);
    EXPECT_EQ(payload.body, kPngBytes);
    EXPECT_EQ(payload.content_type, "image/png");
}

TEST(BenchRequestBuilder, MultipartHasOneFileField) {
    const ImageFile image{"/x/dog.jpg", "dog.jpg", kJpegBytes, "image/jpeg"};
    const auto payload = make_request_builder("multipart", {"upload"})->build(image);
    const std::string prefix = "multipart/form-data; boundary=";
    ASSERT_EQ(payload.content_type.rfind(prefix, 0), 0u) << payload.content_type;
    const std::string boundary = payload.content_type.substr(prefix.size());
    const std::string expected = "--" + boundary +
                                 "\r\n"
                                 "Content-Disposition: form-data; name=\"upload\"; filename=\"dog.jpg\"\r\n"
                                 "Content-Type: image/jpeg\r\n\r\n" +
                                 kJpegBytes + "\r\n--" + boundary + "--\r\n";
    EXPECT_EQ(payload.body, expected);
}

TEST(BenchRequestBuilder, BoundaryAvoidsTheData) {
    const std::string first = multipart_boundary_for("");
    const std::string data = "xx" + first + "yy";
    const std::string second = multipart_boundary_for(data);
    EXPECT_NE(second, first);
    EXPECT_EQ(data.find(second), std::string::npos);
}

TEST(BenchRequestBuilder, UnknownFormatIsNamed) {
    try {
        make_request_builder("kserve", {});
        FAIL() << "expected an error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("kserve"), std::string::npos);
    }
}

// --- options ----------------------------------------------------------------------------------

TEST(BenchOptionsParse, DefaultsAndValues) {
    const auto o = parse_bench_options({"--url", "http://h:1/v1/detect", "--images", "a.jpg", "b.jpg", "dir"});
    EXPECT_EQ(o.mode, LoadMode::closed_loop);
    EXPECT_EQ(o.concurrency, 1);
    EXPECT_DOUBLE_EQ(o.duration_s, 10);
    EXPECT_FALSE(o.requests.has_value());
    EXPECT_EQ(o.format, "raw");
    EXPECT_EQ(o.field, "image");
    EXPECT_EQ(o.images, (std::vector<std::string>{"a.jpg", "b.jpg", "dir"}));

    const auto p = parse_bench_options({"--images=x.jpg", "--url=http://h/", "--rate", "12.5", "--requests", "100",
                                        "--warmup", "0", "--format", "multipart", "--field", "file",
                                        "--expect-detections", "--label", "sweep", "--quiet"});
    EXPECT_EQ(p.mode, LoadMode::open_loop);
    EXPECT_DOUBLE_EQ(p.rate, 12.5);
    EXPECT_EQ(p.requests.value_or(0), 100);
    EXPECT_DOUBLE_EQ(p.warmup_s, 0);
    EXPECT_EQ(p.format, "multipart");
    EXPECT_EQ(p.field, "file");
    EXPECT_TRUE(p.expect_detections);
    EXPECT_TRUE(p.quiet);
    EXPECT_EQ(p.label, "sweep");
}

TEST(BenchOptionsParse, ErrorsNameTheFlag) {
    const auto error_of = [](std::vector<std::string> args) -> std::string {
        try {
            parse_bench_options(args);
        } catch (const UsageError& e) {
            return e.what();
        }
        return "";
    };
    const std::vector<std::string> base{"--url", "http://h/", "--images", "x.jpg"};
    const auto with = [&](std::vector<std::string> extra) {
        auto args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    };
    EXPECT_NE(error_of(with({"--rate", "0"})).find("--rate"), std::string::npos);
    EXPECT_NE(error_of(with({"--concurrency", "abc"})).find("--concurrency"), std::string::npos);
    EXPECT_NE(error_of(with({"--requests", "1.5"})).find("--requests"), std::string::npos);
    EXPECT_NE(error_of(with({"--duration", "inf"})).find("--duration"), std::string::npos);
    EXPECT_NE(error_of(with({"--rate", "5", "--concurrency", "2"})).find("exclude"), std::string::npos);
    EXPECT_NE(error_of(with({"--duration", "5", "--requests", "2"})).find("exclude"), std::string::npos);
    EXPECT_NE(error_of(with({"--format", "kserve"})).find("--format"), std::string::npos);
    EXPECT_NE(error_of(with({"--bogus"})).find("--bogus"), std::string::npos);
    EXPECT_NE(error_of(with({"--timeout"})).find("--timeout"), std::string::npos);
    EXPECT_NE(error_of({"--images", "x.jpg"}).find("--url"), std::string::npos);
    EXPECT_NE(error_of({"--url", "http://h/"}).find("--images"), std::string::npos);
    EXPECT_TRUE(parse_bench_options({"--help"}).help);
}

// --- recorder ---------------------------------------------------------------------------------

TEST(BenchRecorder, WarmupIsLeftOutAndWallRunsToLastAnswer) {
    Recorder recorder;
    const auto start = Clock::now();
    recorder.set_measure_start(start);
    const auto outcome = [&](std::string kind, double latency, double at_s, bool warmup,
                             std::optional<int> batch = std::nullopt) {
        RequestOutcome o;
        o.verdict.error_kind = std::move(kind);
        o.verdict.batch_size = batch;
        o.latency_ms = latency;
        o.completed_at = start + std::chrono::milliseconds(static_cast<int>(at_s * 1000));
        o.warmup = warmup;
        return o;
    };
    recorder.record(outcome("", 999, -0.5, true));
    recorder.record(outcome("timeout", 0, -0.1, true));
    recorder.record(outcome("", 10, 0.5, false, 2));
    recorder.record(outcome("", 30, 2.0, false, 2));
    recorder.record(outcome("", 20, 1.0, false, 1));
    recorder.record(outcome("http_503", 1, 1.5, false));

    const RunResults r = recorder.results();
    EXPECT_EQ(r.warmup_completed, 2);
    EXPECT_EQ(r.warmup_errors, 1);
    EXPECT_EQ(r.completed, 4);
    EXPECT_EQ(r.ok, 3);
    EXPECT_EQ(r.errors, 1);
    EXPECT_EQ(r.errors_by_kind.at("http_503"), 1);
    EXPECT_EQ(r.latencies_ms, (std::vector<double>{10, 30, 20}));
    EXPECT_NEAR(r.wall_seconds, 2.0, 1e-9);
    EXPECT_EQ(r.batch_sizes.at(2), 2);
    EXPECT_EQ(r.batch_sizes.at(1), 1);
    EXPECT_DOUBLE_EQ(recorder.progress().p50_ms, 20);
}

// --- reports ----------------------------------------------------------------------------------

namespace {

BenchReport sample_report() {
    BenchOptions options;
    options.url = "http://127.0.0.1:8080/v1/detect";
    options.images = {"samples"};
    options.concurrency = 4;
    options.label = "c4, warm";
    RunResults results;
    results.latencies_ms = {10, 20, 30, 40};
    results.completed = 5;
    results.ok = 4;
    results.errors = 1;
    results.errors_by_kind = {{"timeout", 1}};
    results.batch_sizes = {{1, 1}, {3, 3}};
    results.wall_seconds = 2;
    return make_report(options, {"samples/a.jpg", "samples/b.jpg"}, "2024-01-01T00:00:00Z", results);
}

std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (char c : line) {
        if (c == '"') quoted = !quoted;
        else if (c == ',' && !quoted) fields.emplace_back();
        else if (c != '\n') fields.back() += c;
    }
    return fields;
}

}  // namespace

TEST(BenchReport, BatchAndErrorFormatting) {
    EXPECT_DOUBLE_EQ(mean_batch_size({{1, 1}, {3, 3}}), 2.5);
    EXPECT_DOUBLE_EQ(mean_batch_size({}), 0);
    EXPECT_EQ(format_batch_histogram({{1, 120}, {2, 40}}), "1:120 2:40");
    EXPECT_EQ(format_error_kinds({{"http_503", 4}, {"timeout", 1}}), "http_503:4 timeout:1");
    EXPECT_EQ(format_error_kinds({}), "");
}

TEST(BenchReport, CsvEscapeQuotesOnlyWhenNeeded) {
    EXPECT_EQ(csv_escape("plain"), "plain");
    EXPECT_EQ(csv_escape("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(BenchReport, CsvRowMatchesHeader) {
    const BenchReport report = sample_report();
    const auto header = split_csv_line(csv_header());
    const auto row = split_csv_line(csv_row(report));
    ASSERT_EQ(header.size(), row.size());
    const auto column = [&](const std::string& name) {
        const auto it = std::find(header.begin(), header.end(), name);
        EXPECT_NE(it, header.end()) << name;
        return row[static_cast<std::size_t>(it - header.begin())];
    };
    EXPECT_EQ(column("label"), "c4, warm");
    EXPECT_EQ(column("mode"), "closed_loop");
    EXPECT_EQ(column("concurrency"), "4");
    EXPECT_EQ(column("rate"), "");
    EXPECT_EQ(column("ok"), "4");
    EXPECT_EQ(column("throughput_rps"), "2.000");
    EXPECT_EQ(column("p50_ms"), "20.000");
    EXPECT_EQ(column("batch_size_mean"), "2.500");
    EXPECT_EQ(column("error_kinds"), "timeout:1");
}

TEST(BenchReport, CsvAppendWritesHeaderOnce) {
    TempDir dir;
    const std::string path = (dir.path() / "sweep.csv").string();
    append_csv_report(path, sample_report());
    append_csv_report(path, sample_report());
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0] + "\n", csv_header());
    EXPECT_EQ(lines[1], lines[2]);
}

TEST(BenchReport, JsonHasSettingsAndResults) {
    const auto j = report_to_json(sample_report());
    EXPECT_EQ(j["settings"]["url"], "http://127.0.0.1:8080/v1/detect");
    EXPECT_EQ(j["settings"]["mode"], "closed_loop");
    EXPECT_EQ(j["settings"]["concurrency"], 4);
    EXPECT_TRUE(j["settings"]["rate"].is_null());
    EXPECT_EQ(j["settings"]["images"].size(), 2u);
    EXPECT_EQ(j["results"]["ok"], 4);
    EXPECT_DOUBLE_EQ(j["results"]["throughput_rps"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(j["results"]["latency_ms"]["p99"].get<double>(), 40);
    EXPECT_EQ(j["results"]["errors_by_kind"]["timeout"], 1);
    EXPECT_DOUBLE_EQ(j["results"]["batch_size"]["mean"].get<double>(), 2.5);
    EXPECT_EQ(j["results"]["batch_size"]["histogram"]["3"], 3);
    EXPECT_TRUE(j["results"]["server_total_ms"].is_null());
}
