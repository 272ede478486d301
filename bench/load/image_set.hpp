#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace detserve::bench {

// One image, read into memory once; requests cycle through the set.
struct ImageFile {
    std::string path;          // as found on disk
    std::string name;          // file name only (multipart filename)
    std::string bytes;
    std::string content_type;  // image/jpeg, image/png, else application/octet-stream
};

// By magic bytes first (JPEG FF D8 FF, PNG's 8-byte signature), then by extension.
std::string sniff_content_type(std::string_view bytes, std::string_view file_name);

// Each spec is a directory (its *.jpg, *.jpeg, *.png, sorted by name, not recursive) or a file
// (taken whatever its extension, so malformed inputs can be posted on purpose).
// Throws std::runtime_error naming the unreadable path, an empty file, or a directory with no
// images.
std::vector<ImageFile> load_images(const std::vector<std::string>& specs);

}  // namespace detserve::bench
