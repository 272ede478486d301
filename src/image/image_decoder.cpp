#include "detserve/image/image_decoder.hpp"

#include <array>

#include <opencv2/imgcodecs.hpp>

#include "detserve/image/jpeg_decoder.hpp"

namespace detserve::image {
namespace {

constexpr std::array<std::uint8_t, 8> kPngSignature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

[[noreturn]] void truncated(const char* format, const std::string& what) {
    throw ImageError(ImageErrorCode::truncated, std::string(format) + " image is truncated: " + what);
}

// Walks the PNG chunks: IHDR first, IEND last, every chunk inside the buffer.
ImageHeader inspect_png(std::span<const std::uint8_t> bytes) {
    std::size_t pos = kPngSignature.size();
    ImageHeader header{"png", 0, 0};
    bool first = true;
    while (true) {
        if (pos + 8 > bytes.size()) truncated("PNG", "no IEND chunk");
        const std::uint32_t length = be32(&bytes[pos]);
        const std::string type(reinterpret_cast<const char*>(&bytes[pos + 4]), 4);
        if (pos + 12 + std::size_t{length} > bytes.size()) truncated("PNG", "chunk '" + type + "' runs past the end");
        if (first) {
            if (type != "IHDR" || length < 8)
                throw ImageError(ImageErrorCode::undecodable, "PNG image does not start with an IHDR chunk");
            header.width = static_cast<int>(be32(&bytes[pos + 8]));
            header.height = static_cast<int>(be32(&bytes[pos + 12]));
            first = false;
        }
        if (type == "IEND") return header;
        pos += 12 + length;
    }
}

bool is_sof(std::uint8_t marker) {
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
}

// Walks the JPEG markers up to the first scan for the SOF, then requires an EOI at the end.
ImageHeader inspect_jpeg(std::span<const std::uint8_t> bytes) {
    ImageHeader header{"jpeg", 0, 0};
    std::size_t pos = 2;
    while (true) {
        // Bytes no segment claims before a marker: libjpeg skips them with a warning ("extraneous
        // bytes before marker") and so does this walk; camera files carry such padding.
        while (pos < bytes.size() && bytes[pos] != 0xff) ++pos;
        while (pos < bytes.size() && bytes[pos] == 0xff) ++pos;  // fill bytes
        if (pos >= bytes.size()) truncated("JPEG", "it ends inside the headers");
        const std::uint8_t marker = bytes[pos++];
        if (marker == 0xd9) truncated("JPEG", "it ends before any image data");
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;  // no length
        if (pos + 2 > bytes.size()) truncated("JPEG", "it ends inside a marker");
        const std::size_t length = be16(&bytes[pos]);
        if (length < 2 || pos + length > bytes.size()) truncated("JPEG", "a marker segment runs past the end");
        if (is_sof(marker)) {
            if (length < 7) throw ImageError(ImageErrorCode::undecodable, "JPEG frame header is too short");
            header.height = be16(&bytes[pos + 3]);
            header.width = be16(&bytes[pos + 5]);
        }
        pos += length;
        if (marker == 0xda) break;  // start of scan: entropy-coded data follows
    }
    if (header.width == 0 || header.height == 0)
        throw ImageError(ImageErrorCode::undecodable, "JPEG image has no frame header with its size");
    // The stream must close with EOI; some writers pad with zeros after it.
    std::size_t end = bytes.size();
    while (end > pos && bytes[end - 1] == 0x00) --end;
    if (end < 2 || bytes[end - 2] != 0xff || bytes[end - 1] != 0xd9) truncated("JPEG", "no end-of-image marker");
    return header;
}

}  // namespace

std::string_view to_string(ImageErrorCode code) {
    switch (code) {
        case ImageErrorCode::empty: return "empty_image";
        case ImageErrorCode::unsupported_format: return "unsupported_format";
        case ImageErrorCode::truncated: return "truncated_image";
        case ImageErrorCode::too_large: return "image_too_large";
        case ImageErrorCode::undecodable: return "undecodable_image";
    }
    return "image_error";
}

ImageHeader inspect_image(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) throw ImageError(ImageErrorCode::empty, "the image is empty (0 bytes)");
    if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return inspect_jpeg(bytes);
    if (bytes.size() >= kPngSignature.size() && std::equal(kPngSignature.begin(), kPngSignature.end(), bytes.begin()))
        return inspect_png(bytes);
    throw ImageError(ImageErrorCode::unsupported_format, "not a JPEG or PNG image");
}

cv::Mat decode_image(std::span<const std::uint8_t> bytes, std::int64_t max_pixels) {
    const ImageHeader header = inspect_image(bytes);
    if (header.width <= 0 || header.height <= 0)
        throw ImageError(ImageErrorCode::undecodable, header.format + " image declares a zero size");
    const std::int64_t pixels = std::int64_t{header.width} * header.height;
    if (max_pixels > 0 && pixels > max_pixels)
        throw ImageError(ImageErrorCode::too_large, header.format + " image is " + std::to_string(header.width) + "x" +
                                                        std::to_string(header.height) + " = " + std::to_string(pixels) +
                                                        " pixels, more than the limit of " + std::to_string(max_pixels));
    if (header.format == "jpeg") return decode_jpeg(bytes);
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U, const_cast<std::uint8_t*>(bytes.data()));
    cv::Mat decoded;
    try {
        decoded = cv::imdecode(buffer, cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        throw ImageError(ImageErrorCode::undecodable, header.format + " image cannot be decoded: " + e.what());
    }
    if (decoded.empty()) throw ImageError(ImageErrorCode::undecodable, header.format + " image cannot be decoded");
    return decoded;
}

}  // namespace detserve::image
