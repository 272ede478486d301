#pragma once
// Splitting one fuzz input into the pieces a target needs.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace detserve::fuzz {

// The first 4 bytes (little-endian) give the length of the first piece, clamped to what follows;
// the second piece is the rest. Fewer than 4 bytes: both pieces empty.
struct TwoPieces {
    std::string_view first, second;
};

inline TwoPieces split_length_prefixed(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return {};
    const std::uint32_t length = std::uint32_t(data[0]) | std::uint32_t(data[1]) << 8 |
                                 std::uint32_t(data[2]) << 16 | std::uint32_t(data[3]) << 24;
    const char* text = reinterpret_cast<const char*>(data + 4);
    const std::size_t first = length < size - 4 ? length : size - 4;
    return {{text, first}, {text + first, size - 4 - first}};
}

// Everything up to the first '\n' (without it), and the rest after it; no '\n': all of it is
// the first piece.
inline TwoPieces split_first_line(std::string_view text) {
    const auto newline = text.find('\n');
    if (newline == std::string_view::npos) return {text, {}};
    return {text.substr(0, newline), text.substr(newline + 1)};
}

// The pieces between NUL bytes: the text before the first NUL, then each word after one (empty
// words kept). Always at least one piece.
inline std::vector<std::string_view> split_at_nul(std::string_view text) {
    std::vector<std::string_view> pieces;
    for (;;) {
        const auto nul = text.find('\0');
        pieces.push_back(text.substr(0, nul));
        if (nul == std::string_view::npos) return pieces;
        text.remove_prefix(nul + 1);
    }
}

}  // namespace detserve::fuzz
