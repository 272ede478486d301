#include "serve_model_repository.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

#include "serve_model_list.hpp"

namespace detserve::app {
namespace fs = std::filesystem;
namespace {

// The file names OVMS and Triton look for in a version directory, in our order of preference.
constexpr const char* kModelFiles[] = {"model.xml", "model.onnx"};

bool is_version(const std::string& name) {
    return !name.empty() && name.size() <= 18 &&
           std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::optional<fs::path> model_file(const fs::path& version_directory) {
    for (const char* file : kModelFiles) {
        std::error_code error;
        if (fs::is_regular_file(version_directory / file, error)) return version_directory / file;
    }
    return std::nullopt;
}

}  // namespace

RepositoryModel latest_version(const fs::path& model_directory) {
    const std::string name = model_directory.filename().string();
    std::optional<RepositoryModel> best;
    long long best_number = -1;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(model_directory, error)) {
        const std::string version = entry.path().filename().string();
        if (!entry.is_directory() || !is_version(version)) continue;  // Triton's config.pbtxt, labels…
        const long long number = std::stoll(version);
        if (number <= best_number) continue;
        if (const auto file = model_file(entry.path())) {
            best = RepositoryModel{name, version, *file};
            best_number = number;
        }
    }
    if (error) throw std::runtime_error(model_directory.string() + ": cannot read the directory: " + error.message());
    if (!best)
        throw std::runtime_error(model_directory.string() +
                                 ": no version directory (a number) holding model.xml or model.onnx");
    return *best;
}

std::vector<RepositoryModel> scan_model_repository(const fs::path& repository) {
    std::error_code error;
    if (!fs::is_directory(repository, error))
        throw std::runtime_error(repository.string() + ": not a directory");
    std::vector<fs::path> directories;
    for (const auto& entry : fs::directory_iterator(repository, error)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_directory() || name.front() == '.') continue;
        if (!is_model_name(name))
            throw std::runtime_error(entry.path().string() +
                                     ": a model's directory name must be letters, digits, '.', '_' or '-'");
        directories.push_back(entry.path());
    }
    if (error) throw std::runtime_error(repository.string() + ": cannot read the directory: " + error.message());
    std::sort(directories.begin(), directories.end());  // a stable order: the first is the default model
    std::vector<RepositoryModel> models;
    for (const auto& directory : directories) models.push_back(latest_version(directory));
    if (models.empty()) throw std::runtime_error(repository.string() + ": holds no model directory");
    return models;
}

}  // namespace detserve::app
