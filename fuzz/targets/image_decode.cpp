// Upload bytes to pixels (src/image/image_decoder.cpp): the JPEG/PNG header and structure checks,
// the pixel budget, then the decode.
#include <span>

#include "detserve/image/image_decoder.hpp"
#include "fuzz_targets.hpp"

namespace detserve::fuzz {

// Smaller than the service's default (40 M) so that one input decodes in milliseconds; the
// budget check itself is the same code.
constexpr std::int64_t kMaxPixels = 4'000'000;

int fuzz_image_decode(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    try {
        image::inspect_image(bytes);
        image::decode_image(bytes, kMaxPixels);
    } catch (const image::ImageError&) {
    }
    return 0;
}

}  // namespace detserve::fuzz
