#include "detserve/graph/element_type.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace detserve::graph {
namespace {

struct ElementTypeInfo {
    ElementType type;
    std::string_view name;
    std::size_t size;
};

constexpr std::array<ElementTypeInfo, 12> kElementTypes{{
    {ElementType::f32, "f32", 4},
    {ElementType::f16, "f16", 2},
    {ElementType::bf16, "bf16", 2},
    {ElementType::i64, "i64", 8},
    {ElementType::i32, "i32", 4},
    {ElementType::i16, "i16", 2},
    {ElementType::i8, "i8", 1},
    {ElementType::u64, "u64", 8},
    {ElementType::u32, "u32", 4},
    {ElementType::u16, "u16", 2},
    {ElementType::u8, "u8", 1},
    {ElementType::boolean, "boolean", 1},
}};

const ElementTypeInfo& info(ElementType type) {
    for (const auto& entry : kElementTypes)
        if (entry.type == type) return entry;
    throw std::logic_error("unknown element type");
}

template <typename T>
T load(const std::uint8_t* bytes, std::size_t index) {
    T value;
    std::memcpy(&value, bytes + index * sizeof(T), sizeof(T));
    return value;
}

// A float read as an integer (a shape or axis constant stored as f32) saturates.
template <typename Out>
Out as(float value) {
    if constexpr (std::is_floating_point_v<Out>) {
        return value;
    } else {
        return saturating_i64(value);
    }
}

template <typename Out>
Out as_unsigned(std::uint64_t value) {
    if constexpr (std::is_floating_point_v<Out>) {
        return static_cast<Out>(value);
    } else {
        constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        return static_cast<Out>(value > limit ? limit : value);
    }
}

template <typename Out>
std::vector<Out> widen(ElementType type, const std::uint8_t* bytes, std::size_t count) {
    std::vector<Out> out(count);
    for (std::size_t i = 0; i < count; ++i) {
        switch (type) {
            case ElementType::f32: out[i] = as<Out>(load<float>(bytes, i)); break;
            case ElementType::f16: out[i] = as<Out>(f16_to_f32(load<std::uint16_t>(bytes, i))); break;
            case ElementType::bf16: out[i] = as<Out>(bf16_to_f32(load<std::uint16_t>(bytes, i))); break;
            case ElementType::i64: out[i] = static_cast<Out>(load<std::int64_t>(bytes, i)); break;
            case ElementType::i32: out[i] = static_cast<Out>(load<std::int32_t>(bytes, i)); break;
            case ElementType::i16: out[i] = static_cast<Out>(load<std::int16_t>(bytes, i)); break;
            case ElementType::i8: out[i] = static_cast<Out>(load<std::int8_t>(bytes, i)); break;
            case ElementType::u64: out[i] = as_unsigned<Out>(load<std::uint64_t>(bytes, i)); break;
            case ElementType::u32: out[i] = static_cast<Out>(load<std::uint32_t>(bytes, i)); break;
            case ElementType::u16: out[i] = static_cast<Out>(load<std::uint16_t>(bytes, i)); break;
            case ElementType::u8:
            case ElementType::boolean: out[i] = static_cast<Out>(bytes[i]); break;
        }
    }
    return out;
}

}  // namespace

std::int64_t saturating_i64(double value) {
    if (std::isnan(value)) return 0;
    // 2^63 exactly; every double below it converts.
    constexpr double limit = 9223372036854775808.0;
    if (value >= limit) return std::numeric_limits<std::int64_t>::max();
    if (value <= -limit) return std::numeric_limits<std::int64_t>::lowest();
    return static_cast<std::int64_t>(value);
}

std::string_view to_string(ElementType type) { return info(type).name; }

std::optional<ElementType> element_type_from_string(std::string_view name) {
    for (const auto& entry : kElementTypes)
        if (entry.name == name) return entry.type;
    if (name == "FP32") return ElementType::f32;  // IR v10 precision spelling
    if (name == "FP16") return ElementType::f16;
    if (name == "I64") return ElementType::i64;
    if (name == "I32") return ElementType::i32;
    return std::nullopt;
}

std::size_t element_size(ElementType type) { return info(type).size; }

float f16_to_f32(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1fu;
    std::uint32_t mantissa = h & 0x3ffu;
    std::uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);  // inf / nan
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {  // subnormal: normalise
        exponent = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            --exponent;
        }
        mantissa &= 0x3ffu;
        bits = sign | (exponent << 23) | (mantissa << 13);
    }
    return std::bit_cast<float>(bits);
}

std::uint16_t f32_to_f16(float value) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
    const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
    const std::uint32_t abs = bits & 0x7fffffffu;
    if (abs >= 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0));
    if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // overflow -> inf
    if (abs < 0x33000001u) return sign;                                         // underflow -> 0
    std::uint32_t exponent = abs >> 23;
    std::uint32_t mantissa = abs & 0x7fffffu;
    if (exponent < 113) {  // subnormal half
        mantissa |= 0x800000u;
        const std::uint32_t shift = 126 - exponent;
        std::uint32_t half = mantissa >> shift;
        const std::uint32_t rest = mantissa & ((1u << shift) - 1);
        const std::uint32_t halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
        return static_cast<std::uint16_t>(sign | half);
    }
    std::uint32_t half = ((exponent - 112) << 10) | (mantissa >> 13);
    const std::uint32_t rest = mantissa & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // round to nearest even
    return static_cast<std::uint16_t>(sign | half);
}

float bf16_to_f32(std::uint16_t bits) { return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16); }

std::vector<float> to_f32(ElementType type, const std::uint8_t* bytes, std::size_t count) {
    return widen<float>(type, bytes, count);
}

std::vector<std::int64_t> to_i64(ElementType type, const std::uint8_t* bytes, std::size_t count) {
    return widen<std::int64_t>(type, bytes, count);
}

}  // namespace detserve::graph
