#pragma once
// The process's working directory set to `dir` for a scope, restored at its end. Tests that load
// models from the repository root use it: config/models/<stem>.json is found under the working
// directory, as when detserve runs from the repository.
#include <filesystem>

namespace detserve::test {

class WorkingDirectory {
public:
    explicit WorkingDirectory(const std::filesystem::path& dir) : saved_(std::filesystem::current_path()) {
        std::filesystem::current_path(dir);
    }
    ~WorkingDirectory() { std::filesystem::current_path(saved_); }
    WorkingDirectory(const WorkingDirectory&) = delete;
    WorkingDirectory& operator=(const WorkingDirectory&) = delete;

private:
    std::filesystem::path saved_;
};

}  // namespace detserve::test
