#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace detserve::bench {

enum class LoadMode {
    closed_loop,  // --concurrency N: N connections, each sends its next request when its answer arrives
    open_loop,    // --rate R: sends at fixed times t0 + k/R, however slow the answers are
};

const char* load_mode_name(LoadMode mode);  // "closed_loop" / "open_loop"

struct BenchOptions {
    std::string url;
    std::vector<std::string> images;  // directories and/or files
    LoadMode mode = LoadMode::closed_loop;
    int concurrency = 1;
    double rate = 0;                      // requests per second, open loop
    double duration_s = 10;               // measured phase, unless `requests` is set
    std::optional<std::int64_t> requests;
    double warmup_s = 1;
    std::string format = "raw";
    std::string field = "image";
    bool expect_detections = false;
    std::string json_path;
    std::string csv_path;
    std::string label;
    double timeout_s = 30;
    int max_connections = 256;  // open loop: most sender threads (each with its own connection)
    bool quiet = false;
    bool help = false;
};

// A bad command line; the message names the flag. main() prints it and exits with status 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// args excludes argv[0]. Accepts "--flag value" and "--flag=value"; --images takes every
// following argument up to the next one starting with "--". Throws UsageError.
BenchOptions parse_bench_options(const std::vector<std::string>& args);

std::string usage_text();

}  // namespace detserve::bench
