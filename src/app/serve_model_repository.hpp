#pragma once
// `model_repository` (internal to app/): models in the layout OpenVINO Model Server and Triton
// use, <repository>/<name>/<version>/model.xml (beside model.bin) or model.onnx, where <version>
// is a number. Each name is served from its highest version.
#include <filesystem>
#include <string>
#include <vector>

namespace detserve::app {

struct RepositoryModel {
    std::string name;     // the directory's name
    std::string version;  // the highest numeric version directory holding a model, as spelled
    std::filesystem::path path;  // its model.xml, else its model.onnx
};

// Every model of the repository, by name. Throws std::runtime_error naming the directory when the
// repository is not a directory, a name is not URL-safe, or a name has no version with a model.
std::vector<RepositoryModel> scan_model_repository(const std::filesystem::path& repository);

// The highest version of one model directory (as above; for a reload, which picks up a new version).
RepositoryModel latest_version(const std::filesystem::path& model_directory);

}  // namespace detserve::app
