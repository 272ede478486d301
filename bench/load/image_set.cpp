#include "load/image_set.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace fs = std::filesystem;

namespace detserve::bench {
namespace {

constexpr std::string_view kJpegMagic = "\xFF\xD8\xFF";
constexpr std::string_view kPngMagic = "\x89PNG\r\n\x1A\n";

struct ExtensionType {
    std::string_view extension;
    std::string_view content_type;
};
constexpr std::array<ExtensionType, 3> kImageExtensions{{
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".png", "image/png"},
}};

std::string lower_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

bool has_image_extension(const fs::path& path) {
    const std::string ext = lower_extension(path);
    return std::any_of(kImageExtensions.begin(), kImageExtensions.end(),
                       [&](const ExtensionType& e) { return e.extension == ext; });
}

ImageFile read_image(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read image file '" + path.string() + "'");
    ImageFile image;
    image.path = path.string();
    image.name = path.filename().string();
    image.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error("cannot read image file '" + path.string() + "'");
    if (image.bytes.empty()) throw std::runtime_error("image file '" + path.string() + "' is empty");
    image.content_type = sniff_content_type(image.bytes, image.name);
    return image;
}

}  // namespace

std::string sniff_content_type(std::string_view bytes, std::string_view file_name) {
    if (bytes.starts_with(kJpegMagic)) return "image/jpeg";
    if (bytes.starts_with(kPngMagic)) return "image/png";
    const std::string ext = lower_extension(fs::path(file_name));
    for (const auto& e : kImageExtensions)
        if (e.extension == ext) return std::string(e.content_type);
    return "application/octet-stream";
}

std::vector<ImageFile> load_images(const std::vector<std::string>& specs) {
    std::vector<ImageFile> images;
    for (const auto& spec : specs) {
        const fs::path path(spec);
        std::error_code ec;
        if (!fs::is_directory(path, ec)) {
            images.push_back(read_image(path));
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(path, ec))
            if (entry.is_regular_file() && has_image_extension(entry.path())) files.push_back(entry.path());
        if (ec) throw std::runtime_error("cannot list directory '" + spec + "': " + ec.message());
        if (files.empty()) throw std::runtime_error("no *.jpg, *.jpeg or *.png images in directory '" + spec + "'");
        std::sort(files.begin(), files.end());
        for (const auto& file : files) images.push_back(read_image(file));
    }
    if (images.empty()) throw std::runtime_error("no images given");
    return images;
}

}  // namespace detserve::bench
