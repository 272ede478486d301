#include "detserve/image/jpeg_decoder.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <turbojpeg.h>

#include "detserve/image/image_decoder.hpp"

namespace detserve::image {
namespace {

struct TjDestroy {
    void operator()(void* handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjDestroy>;

// libjpeg-turbo's JWRN_EXTRANEOUS_DATA (jerror.h): "Corrupt JPEG data: %u extraneous bytes before
// marker 0x%02x". Bytes between segments or after the scan that no marker claims: many cameras
// write such padding, and libjpeg skips them without losing a pixel.
bool is_extraneous_bytes_warning(std::string_view message) {
    return message.starts_with("Corrupt JPEG data: ") &&
           message.find(" extraneous bytes before marker 0x") != std::string_view::npos;
}

// TurboJPEG answers -1 for a warning as for an error. Its error code does not tell them apart
// either: a fatal error after a warning still reports TJERR_WARNING. The message does: libjpeg
// keeps the first warning's text unless a fatal error overwrites it.
void check(tjhandle handle, int status, const char* step) {
    if (status == 0) return;
    const std::string message = tjGetErrorStr2(handle);
    if (tjGetErrorCode(handle) == TJERR_WARNING && is_extraneous_bytes_warning(message)) return;
    throw ImageError(ImageErrorCode::undecodable, std::string("jpeg image cannot be decoded (") + step + "): " + message);
}

// OpenCV's icvCvt_CMYK2BGR_8u_C4C3R: libjpeg's CMYK from Adobe files is inverted.
cv::Mat bgr_from_cmyk(const cv::Mat& cmyk) {
    cv::Mat bgr(cmyk.rows, cmyk.cols, CV_8UC3);
    for (int y = 0; y < cmyk.rows; ++y) {
        const auto* in = cmyk.ptr<std::uint8_t>(y);
        auto* out = bgr.ptr<std::uint8_t>(y);
        for (int x = 0; x < cmyk.cols; ++x, in += 4, out += 3) {
            const int k = in[3];
            for (int c = 0; c < 3; ++c) out[2 - c] = static_cast<std::uint8_t>(k - ((255 - in[c]) * k >> 8));
        }
    }
    return bgr;
}

}  // namespace

cv::Mat decode_jpeg(std::span<const std::uint8_t> bytes, int scale_denominator) {
    if (std::find(std::begin(kJpegScaleDenominators), std::end(kJpegScaleDenominators), scale_denominator) ==
        std::end(kJpegScaleDenominators))
        throw std::invalid_argument("JPEG scale 1/" + std::to_string(scale_denominator) +
                                    " is not one of TurboJPEG's 1/1, 1/2, 1/4, 1/8");
    const TjHandle handle(tjInitDecompress());
    if (!handle) throw std::runtime_error(std::string("TurboJPEG cannot start a decompressor: ") + tjGetErrorStr2(nullptr));
    int width = 0, height = 0, subsampling = 0, colorspace = 0;
    check(handle.get(),
          tjDecompressHeader3(handle.get(), bytes.data(), bytes.size(), &width, &height, &subsampling, &colorspace),
          "header");
    const tjscalingfactor scale{1, scale_denominator};
    const int out_width = TJSCALED(width, scale), out_height = TJSCALED(height, scale);

    const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    cv::Mat pixels(out_height, out_width, cmyk ? CV_8UC4 : CV_8UC3);
    check(handle.get(),
          tjDecompress2(handle.get(), bytes.data(), bytes.size(), pixels.data, out_width,
                        static_cast<int>(pixels.step), out_height, cmyk ? TJPF_CMYK : TJPF_BGR, 0),
          "scan");
    if (cmyk) pixels = bgr_from_cmyk(pixels);
    apply_exif_orientation(pixels, exif_orientation(bytes));
    return pixels;
}

}  // namespace detserve::image
