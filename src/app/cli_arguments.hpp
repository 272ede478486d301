#pragma once
// What the `detserve` subcommands share: --key value / --key=value parsing, numbers checked
// against their range, the engine options, and reading a photo file.
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "detserve/engine/engine.hpp"

namespace detserve::app {

// A bad command line: run_cli prints it with a pointer to `detserve help` and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// --key value / --key=value options and positional arguments, checked against what a command takes.
struct Arguments {
    std::map<std::string, std::string> options;
    std::vector<std::string> positional;

    std::string get(const std::string& key, const std::string& fallback = "") const {
        auto it = options.find(key);
        return it == options.end() ? fallback : it->second;
    }
    bool has(const std::string& key) const { return options.count(key) != 0; }
};

Arguments parse_arguments(const std::vector<std::string>& args, const std::vector<std::string>& allowed);

// Relative to the working directory, as `serve`'s default.
inline constexpr const char* kDefaultModel = "models/nanodet/nanodet.xml";

// --model, else the default model; std::runtime_error saying how to get it when the default is missing.
std::string model_argument(const Arguments& args);

// `text` as a number in [min, max]; UsageError naming --option otherwise (NaN included).
double parse_number(const std::string& text, const std::string& option, double min, double max);

// The engine flags every command that runs a model takes (kEngineOptions), and what they say:
// --engine (else DETSERVE_ENGINE, else auto), --precision (else DETSERVE_PRECISION, else auto),
// --target, --threads (per forward). Compiled for latency (serve compiles for throughput).
inline const std::vector<std::string> kEngineOptions{"engine", "precision", "target", "threads"};
engine::EngineOptions engine_options(const Arguments& args);

// The pixel budget of a photo read from a file (larger than the service's, which guards uploads).
inline constexpr std::int64_t kCliMaxPixels = 100'000'000;

// A JPEG or PNG file decoded to BGR as the service decodes uploads; std::runtime_error naming the
// file when it cannot be read or decoded.
cv::Mat read_image_file(const std::filesystem::path& path, std::int64_t max_pixels = kCliMaxPixels);

}  // namespace detserve::app
