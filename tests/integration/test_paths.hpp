#pragma once
// Where the integration tests find the default model and the sample photos. Both come from our
// own setup scripts, so a missing file is a test failure that says which script to run, not a skip.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#ifndef DETSERVE_SOURCE_DIR
#error "DETSERVE_SOURCE_DIR must be defined (tests/CMakeLists.txt sets it)"
#endif

namespace detserve::test {

namespace fs = std::filesystem;

inline constexpr const char* kFetchModelHint = "run scripts/fetch-default-model.sh";
inline constexpr const char* kFetchSamplesHint = "run scripts/fetch-sample-images.sh";

// $DETSERVE_MODEL (scripts/test.sh exports it), else the converted default in the source tree.
inline fs::path default_model_path() {
    if (const char* env = std::getenv("DETSERVE_MODEL"); env && *env) return env;
    return fs::path(DETSERVE_SOURCE_DIR) / "models/nanodet/nanodet.xml";
}

// Searched in order: $DETSERVE_SAMPLES_DIR, Debian's darknet package, the fetch script's cache
// (${DETSERVE_CACHE_DIR:-$HOME/.cache/detserve}/samples).
inline std::vector<fs::path> sample_dirs() {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("DETSERVE_SAMPLES_DIR"); env && *env) dirs.emplace_back(env);
    dirs.emplace_back("/usr/share/darknet/data");
    if (const char* cache = std::getenv("DETSERVE_CACHE_DIR"); cache && *cache)
        dirs.push_back(fs::path(cache) / "samples");
    else if (const char* home = std::getenv("HOME"); home && *home)
        dirs.push_back(fs::path(home) / ".cache/detserve/samples");
    return dirs;
}

// The first sample directory holding `name`, or an empty path.
inline fs::path sample_photo(std::string_view name) {
    for (const auto& dir : sample_dirs())
        if (fs::is_regular_file(dir / name)) return dir / name;
    return {};
}

inline std::string missing_model_message(const fs::path& model) {
    return model.string() + " not found: " + kFetchModelHint + " (or set DETSERVE_MODEL)";
}

inline std::string missing_photo_message(std::string_view name) {
    std::string searched;
    for (const auto& dir : sample_dirs()) searched += (searched.empty() ? "" : ", ") + dir.string();
    return std::string(name) + " not found in " + searched + ": " + kFetchSamplesHint +
           " (or set DETSERVE_SAMPLES_DIR)";
}

inline std::vector<std::uint8_t> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace detserve::test
