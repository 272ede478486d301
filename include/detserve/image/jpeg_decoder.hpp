#pragma once
// JPEG through libjpeg-turbo's TurboJPEG API, which reports libjpeg's warnings that cv::imdecode
// swallows: a scan that ends early ("premature end of data segment"), a bad Huffman code, or any
// other warning refuses the image; only "N extraneous bytes before marker" is accepted, because
// camera files often carry padding before a marker. The result matches cv::imdecode(IMREAD_COLOR):
// 8-bit BGR (grayscale and CMYK converted), EXIF orientation applied.
#include <cstdint>
#include <span>

#include <opencv2/core.hpp>

namespace detserve::image {

// TurboJPEG's DCT scaling factors that a caller may ask for: 1/1, 1/2, 1/4, 1/8.
inline constexpr int kJpegScaleDenominators[] = {1, 2, 4, 8};

// Decodes the whole JPEG at 1/`scale_denominator` of its size (each side rounded up); throws
// ImageError undecodable naming libjpeg's message, std::invalid_argument for another denominator.
// It does not check the pixel budget: decode_image does, from the header, before calling it.
cv::Mat decode_jpeg(std::span<const std::uint8_t> bytes, int scale_denominator = 1);

// The EXIF orientation (1-8, TIFF tag 0x0112) of a JPEG's APP1 "Exif" segment; 1 when there is
// none or it cannot be read.
int exif_orientation(std::span<const std::uint8_t> jpeg);

// Turns pixels stored with `orientation` upright, as OpenCV's ApplyExifOrientation does.
void apply_exif_orientation(cv::Mat& image, int orientation);

}  // namespace detserve::image
