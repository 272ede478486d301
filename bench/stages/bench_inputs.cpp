#include "bench_inputs.hpp"

#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#ifndef DETSERVE_SOURCE_DIR
#error "DETSERVE_SOURCE_DIR must be defined (bench/stages/CMakeLists.txt sets it)"
#endif

namespace detserve::bench {
namespace {

namespace fs = std::filesystem;

// $DETSERVE_SAMPLES_DIR, Debian's darknet package, then scripts/fetch-sample-images.sh's cache.
std::vector<fs::path> sample_dirs() {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("DETSERVE_SAMPLES_DIR"); env && *env) dirs.emplace_back(env);
    dirs.emplace_back("/usr/share/darknet/data");
    if (const char* cache = std::getenv("DETSERVE_CACHE_DIR"); cache && *cache)
        dirs.push_back(fs::path(cache) / "samples");
    else if (const char* home = std::getenv("HOME"); home && *home)
        dirs.push_back(fs::path(home) / ".cache/detserve/samples");
    return dirs;
}

fs::path find_sample(const std::string& name) {
    std::string searched;
    for (const auto& dir : sample_dirs()) {
        if (fs::is_regular_file(dir / name)) return dir / name;
        searched += (searched.empty() ? "" : ", ") + dir.string();
    }
    throw MissingInput(name + " not found in " + searched +
                       ": run scripts/fetch-sample-images.sh (or set DETSERVE_SAMPLES_DIR)");
}

}  // namespace

fs::path default_model_path() {
    if (const char* env = std::getenv("DETSERVE_MODEL"); env && *env) return env;
    return fs::path(DETSERVE_SOURCE_DIR) / "models/nanodet/nanodet.xml";
}

const app::Model& default_model() {
    static std::unique_ptr<app::Model> model;
    if (!model) {
        const fs::path path = default_model_path();
        if (!fs::is_regular_file(path))
            throw MissingInput(path.string() + " not found: run scripts/fetch-default-model.sh (or set DETSERVE_MODEL)");
        model = std::make_unique<app::Model>(app::load_model(path));
    }
    return *model;
}

const cv::Mat& sample_image(const std::string& name) {
    static std::map<std::string, cv::Mat> decoded;
    auto it = decoded.find(name);
    if (it == decoded.end()) {
        const fs::path path = find_sample(name);
        cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
        if (image.empty()) throw MissingInput(path.string() + " is not a readable image: run scripts/fetch-sample-images.sh");
        it = decoded.emplace(name, std::move(image)).first;
    }
    return it->second;
}

}  // namespace detserve::bench
