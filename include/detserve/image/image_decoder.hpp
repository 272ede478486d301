#pragma once
// Turns uploaded bytes into a BGR image, refusing what is not a whole JPEG or PNG before any
// pixel is decoded: the header's width x height is checked against a pixel budget first
// (decompression bombs), and a JPEG without its end marker or a PNG without IEND is truncated.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>

namespace detserve::image {

enum class ImageErrorCode { empty, unsupported_format, truncated, too_large, undecodable };
std::string_view to_string(ImageErrorCode code);  // "empty_image", "unsupported_format", ...

class ImageError : public std::runtime_error {
public:
    ImageError(ImageErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ImageErrorCode code() const { return code_; }

private:
    ImageErrorCode code_;
};

struct ImageHeader {
    std::string format;  // "jpeg" or "png"
    int width = 0;
    int height = 0;
};

// Parses the JPEG SOF / PNG IHDR and checks the stream's structure; throws ImageError.
ImageHeader inspect_image(std::span<const std::uint8_t> bytes);

// inspect_image, the pixel budget, then 8-bit BGR: JPEG through decode_jpeg (jpeg_decoder.hpp),
// which refuses corrupt scans; PNG through cv::imdecode.
cv::Mat decode_image(std::span<const std::uint8_t> bytes, std::int64_t max_pixels);

}  // namespace detserve::image
