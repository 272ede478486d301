// EXIF orientation, read as OpenCV's ExifReader reads it (IFD0 of the APP1 "Exif" segment) and
// applied as its ApplyExifOrientation does, so that TurboJPEG's pixels match cv::imdecode's.
#include <opencv2/core.hpp>

#include "detserve/image/jpeg_decoder.hpp"

namespace detserve::image {
namespace {

constexpr std::uint16_t kOrientationTag = 0x0112;  // TIFF 6.0 / EXIF 2.3, type SHORT
constexpr std::uint16_t kTiffShort = 3;

// A TIFF structure in either byte order, every read bounds-checked (0 past the end).
struct TiffReader {
    std::span<const std::uint8_t> bytes;
    bool little_endian = true;

    std::uint32_t read(std::size_t offset, int size) const {
        if (offset + static_cast<std::size_t>(size) > bytes.size()) return 0;
        std::uint32_t value = 0;
        for (int i = 0; i < size; ++i) {
            const std::size_t at = offset + static_cast<std::size_t>(little_endian ? size - 1 - i : i);
            value = (value << 8) | bytes[at];
        }
        return value;
    }
};

int orientation_in_tiff(std::span<const std::uint8_t> tiff) {
    if (tiff.size() < 8) return 1;
    TiffReader reader{tiff, tiff[0] == 'I'};
    if (!((tiff[0] == 'I' && tiff[1] == 'I') || (tiff[0] == 'M' && tiff[1] == 'M')) || reader.read(2, 2) != 42)
        return 1;
    const std::size_t ifd = reader.read(4, 4);
    const std::uint32_t entries = reader.read(ifd, 2);
    for (std::uint32_t i = 0; i < entries; ++i) {
        const std::size_t entry = ifd + 2 + 12 * std::size_t{i};
        if (entry + 12 > tiff.size()) return 1;
        if (reader.read(entry, 2) != kOrientationTag) continue;
        if (reader.read(entry + 2, 2) != kTiffShort) return 1;
        const auto value = static_cast<int>(reader.read(entry + 8, 2));
        return value >= 1 && value <= 8 ? value : 1;
    }
    return 1;
}

}  // namespace

int exif_orientation(std::span<const std::uint8_t> jpeg) {
    std::size_t pos = 2;  // after SOI
    while (pos + 4 <= jpeg.size() && jpeg[pos] == 0xff) {
        const std::uint8_t marker = jpeg[pos + 1];
        if (marker == 0xda || marker == 0xd9) break;  // the scan starts: no more metadata
        const std::size_t length = (std::size_t{jpeg[pos + 2]} << 8) | jpeg[pos + 3];
        if (length < 2 || pos + 2 + length > jpeg.size()) break;
        const auto segment = jpeg.subspan(pos + 4, length - 2);
        static constexpr std::uint8_t kExifHeader[] = {'E', 'x', 'i', 'f', 0, 0};
        if (marker == 0xe1 && segment.size() > sizeof kExifHeader &&
            std::equal(std::begin(kExifHeader), std::end(kExifHeader), segment.begin()))
            return orientation_in_tiff(segment.subspan(sizeof kExifHeader));
        pos += 2 + length;
    }
    return 1;
}

void apply_exif_orientation(cv::Mat& image, int orientation) {
    switch (orientation) {
        case 2: cv::flip(image, image, 1); break;   // mirrored left-right
        case 3: cv::flip(image, image, -1); break;  // rotated 180°
        case 4: cv::flip(image, image, 0); break;   // mirrored top-bottom
        case 5: cv::transpose(image, image); break;
        case 6:                                     // rotated 90° clockwise to be upright
            cv::transpose(image, image);
            cv::flip(image, image, 1);
            break;
        case 7:
            cv::transpose(image, image);
            cv::flip(image, image, -1);
            break;
        case 8:  // rotated 90° counter-clockwise to be upright
            cv::transpose(image, image);
            cv::flip(image, image, 0);
            break;
        default: break;
    }
}

}  // namespace detserve::image
