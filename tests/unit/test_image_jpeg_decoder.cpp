// JPEG decoding through TurboJPEG: the same pixels as cv::imdecode for whole files, and a refusal
// where cv::imdecode made up pixels for a corrupt or cut scan.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <turbojpeg.h>

#include "detserve/image/image_decoder.hpp"
#include "detserve/image/jpeg_decoder.hpp"

namespace detserve::image {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A photo-like test image: gradients, shapes and noise, so that the scan is long and varied.
cv::Mat test_picture(int width = 320, int height = 240) {
    cv::Mat image(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<std::uint8_t>(x * 255 / width),
                                                  static_cast<std::uint8_t>(y * 255 / height),
                                                  static_cast<std::uint8_t>((x * y) % 256));
    cv::circle(image, {width / 2, height / 2}, height / 3, {20, 200, 40}, -1);
    cv::Mat noise(height, width, CV_8UC3);
    cv::randu(noise, 0, 40);
    return image + noise;
}

Bytes encode(const cv::Mat& image, const std::string& ext = ".jpg") {
    Bytes bytes;
    EXPECT_TRUE(cv::imencode(ext, image, bytes, {cv::IMWRITE_JPEG_QUALITY, 90}));
    return bytes;
}

std::size_t find_marker(const Bytes& jpeg, std::uint8_t marker) {
    for (std::size_t i = 2; i + 1 < jpeg.size(); ++i)
        if (jpeg[i] == 0xff && jpeg[i + 1] == marker) return i;
    ADD_FAILURE() << "no marker " << int(marker);
    return 0;
}

// Where the entropy-coded data of the (only) scan starts: after the SOS segment.
std::size_t scan_start(const Bytes& jpeg) {
    const std::size_t sos = find_marker(jpeg, 0xda);
    return sos + 2 + ((std::size_t{jpeg[sos + 2]} << 8) | jpeg[sos + 3]);
}

cv::Mat opencv_decode(const Bytes& bytes) { return cv::imdecode(bytes, cv::IMREAD_COLOR); }

double max_difference(const cv::Mat& a, const cv::Mat& b) {
    if (a.size() != b.size() || a.type() != b.type()) return 1e9;
    return cv::norm(a, b, cv::NORM_INF);
}

ImageErrorCode error_code_of(const Bytes& bytes) {
    try {
        decode_image(bytes, 0);
    } catch (const ImageError& e) {
        return e.code();
    }
    ADD_FAILURE() << "decoded without an error";
    return ImageErrorCode::empty;
}

std::string error_message_of(const Bytes& bytes) {
    try {
        decode_image(bytes, 0);
    } catch (const ImageError& e) {
        return e.what();
    }
    return {};
}

TEST(ImageJpegDecoder, MatchesOpenCvPixelForPixel) {
    const Bytes jpeg = encode(test_picture());
    const cv::Mat ours = decode_image(jpeg, 0);
    ASSERT_EQ(ours.type(), CV_8UC3);
    EXPECT_EQ(max_difference(ours, opencv_decode(jpeg)), 0);
}

TEST(ImageJpegDecoder, GrayscaleBecomesBgrLikeOpenCv) {
    cv::Mat gray;
    cv::cvtColor(test_picture(), gray, cv::COLOR_BGR2GRAY);
    const Bytes jpeg = encode(gray);
    const cv::Mat ours = decode_image(jpeg, 0);
    EXPECT_EQ(ours.type(), CV_8UC3);
    EXPECT_EQ(max_difference(ours, opencv_decode(jpeg)), 0);
}

// TurboJPEG writes CMYK as an Adobe YCCK JPEG, which OpenCV also reads.
TEST(ImageJpegDecoder, CmykBecomesBgrLikeOpenCv) {
    cv::Mat cmyk(48, 64, CV_8UC4);
    cv::randu(cmyk, 0, 256);
    tjhandle compressor = tjInitCompress();
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    ASSERT_EQ(tjCompress2(compressor, cmyk.data, cmyk.cols, static_cast<int>(cmyk.step), cmyk.rows, TJPF_CMYK, &buffer,
                          &size, TJSAMP_444, 90, 0),
              0)
        << tjGetErrorStr2(compressor);
    const Bytes jpeg(buffer, buffer + size);
    tjFree(buffer);
    tjDestroy(compressor);
    const cv::Mat ours = decode_image(jpeg, 0);
    EXPECT_EQ(ours.type(), CV_8UC3);
    EXPECT_EQ(max_difference(ours, opencv_decode(jpeg)), 0);
}

TEST(ImageJpegDecoder, RefusesAScanThatEndsEarly) {
    const Bytes whole = encode(test_picture());
    const std::size_t start = scan_start(whole);
    // Cut mid-scan, then closed with EOI so that the header checks pass: cv::imdecode answers an
    // image (grey below the cut); TurboJPEG reports libjpeg's "premature end of data segment".
    Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>((start + whole.size()) / 2));
    cut.insert(cut.end(), {0xff, 0xd9});
    EXPECT_FALSE(opencv_decode(cut).empty());
    EXPECT_EQ(error_code_of(cut), ImageErrorCode::undecodable);
    EXPECT_NE(error_message_of(cut).find("premature end of data segment"), std::string::npos) << error_message_of(cut);
    // Cut without EOI: the header check already calls it truncated.
    cut.resize(cut.size() - 2);
    EXPECT_EQ(error_code_of(cut), ImageErrorCode::truncated);
}

TEST(ImageJpegDecoder, RefusesAScanWithAMarkerInTheMiddle) {
    // Bytes flipped into an RST marker out of sequence mid-scan.
    Bytes corrupt = encode(test_picture());
    const std::size_t middle = (scan_start(corrupt) + corrupt.size()) / 2;
    corrupt[middle] = 0xff;
    corrupt[middle + 1] = 0xd3;
    EXPECT_FALSE(opencv_decode(corrupt).empty());
    EXPECT_EQ(error_code_of(corrupt), ImageErrorCode::undecodable);
}

TEST(ImageJpegDecoder, AcceptsExtraneousBytesBeforeAMarker) {
    const Bytes whole = encode(test_picture());
    const cv::Mat expected = opencv_decode(whole);
    // Padding after the scan, before EOI, as some cameras write it.
    Bytes before_eoi = whole;
    before_eoi.insert(before_eoi.end() - 2, {0x00, 0x12, 0x34, 0x56});
    EXPECT_EQ(max_difference(decode_image(before_eoi, 0), expected), 0);
    // Junk between two header segments, before the DHT marker.
    Bytes before_dht = whole;
    const auto dht = static_cast<std::ptrdiff_t>(find_marker(whole, 0xc4));
    before_dht.insert(before_dht.begin() + dht, {0x12, 0x34});
    EXPECT_EQ(max_difference(decode_image(before_dht, 0), expected), 0);
}

TEST(ImageJpegDecoder, RefusesBytesThatAreNoJpeg) {
    Bytes bytes = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xd9};
    EXPECT_THROW(decode_jpeg(bytes), ImageError);
}

TEST(ImageJpegDecoder, ScalesByTheDctFactors) {
    const Bytes jpeg = encode(test_picture(321, 243));
    for (const int n : kJpegScaleDenominators) {
        const cv::Mat scaled = decode_jpeg(jpeg, n);
        EXPECT_EQ(scaled.cols, (321 + n - 1) / n) << n;
        EXPECT_EQ(scaled.rows, (243 + n - 1) / n) << n;
    }
    // cv::IMREAD_REDUCED_COLOR_2 is libjpeg's scale 1/2 too.
    EXPECT_EQ(max_difference(decode_jpeg(jpeg, 2), cv::imdecode(jpeg, cv::IMREAD_REDUCED_COLOR_2)), 0);
    EXPECT_THROW(decode_jpeg(jpeg, 3), std::invalid_argument);
}

// An APP1 "Exif" segment holding only IFD0 with the orientation tag, in either byte order.
Bytes with_orientation(const Bytes& jpeg, int orientation, bool little_endian) {
    const auto u16 = [&](Bytes& out, unsigned v) {
        if (little_endian) out.insert(out.end(), {std::uint8_t(v), std::uint8_t(v >> 8)});
        else out.insert(out.end(), {std::uint8_t(v >> 8), std::uint8_t(v)});
    };
    const auto u32 = [&](Bytes& out, unsigned v) {
        if (little_endian) { u16(out, v & 0xffff); u16(out, v >> 16); }
        else { u16(out, v >> 16); u16(out, v & 0xffff); }
    };
    Bytes tiff = little_endian ? Bytes{'I', 'I'} : Bytes{'M', 'M'};
    u16(tiff, 42);
    u32(tiff, 8);
    u16(tiff, 1);                     // one entry
    u16(tiff, 0x0112);                // orientation
    u16(tiff, 3);                     // SHORT
    u32(tiff, 1);                     // one value
    u16(tiff, unsigned(orientation));
    u16(tiff, 0);
    u32(tiff, 0);                     // no next IFD
    Bytes segment = {0xff, 0xe1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
    segment.insert(segment.end(), tiff.begin(), tiff.end());
    segment[2] = std::uint8_t((segment.size() - 2) >> 8);
    segment[3] = std::uint8_t(segment.size() - 2);
    Bytes out(jpeg.begin(), jpeg.begin() + 2);
    out.insert(out.end(), segment.begin(), segment.end());
    out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
    return out;
}

TEST(ImageJpegDecoder, AppliesExifOrientationLikeOpenCv) {
    const Bytes jpeg = encode(test_picture(96, 64));
    for (int orientation = 1; orientation <= 8; ++orientation) {
        for (const bool little_endian : {true, false}) {
            const Bytes rotated = with_orientation(jpeg, orientation, little_endian);
            EXPECT_EQ(exif_orientation(rotated), orientation);
            const cv::Mat ours = decode_image(rotated, 0);
            EXPECT_EQ(ours.cols, orientation >= 5 ? 64 : 96) << orientation;
            EXPECT_EQ(max_difference(ours, opencv_decode(rotated)), 0) << orientation << (little_endian ? " II" : " MM");
        }
    }
    EXPECT_EQ(exif_orientation(jpeg), 1);
    EXPECT_EQ(exif_orientation(with_orientation(jpeg, 9, true)), 1);  // out of range
}

TEST(ImageJpegDecoder, PngStillGoesThroughOpenCv) {
    const cv::Mat picture = test_picture(64, 48);
    const cv::Mat decoded = decode_image(encode(picture, ".png"), 0);
    EXPECT_EQ(max_difference(decoded, picture), 0);
}

}  // namespace
}  // namespace detserve::image
