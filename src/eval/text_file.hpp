#pragma once
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace detserve::eval {

// The whole file; std::runtime_error naming it when it cannot be read.
inline std::string read_text_file(const std::filesystem::path& path) {
    if (std::filesystem::is_directory(path)) throw std::runtime_error(path.string() + ": is a folder, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path.string() + ": cannot open file");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error(path.string() + ": read error");
    return text;
}

}  // namespace detserve::eval
