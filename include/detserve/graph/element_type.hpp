#pragma once
// Element types as OpenVINO IR spells them ("f32", "f16", ...).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace detserve::graph {

enum class ElementType { f32, f16, bf16, i64, i32, i16, i8, u64, u32, u16, u8, boolean };

std::string_view to_string(ElementType type);
// Accepts the IR names ("f32", "i64", "boolean", ...); nullopt for anything else.
std::optional<ElementType> element_type_from_string(std::string_view name);
std::size_t element_size(ElementType type);

// Half-precision conversions (IEEE 754 binary16 and bfloat16), exact for every finite value.
float f16_to_f32(std::uint16_t bits);
std::uint16_t f32_to_f16(float value);
float bf16_to_f32(std::uint16_t bits);

// A floating value as an integer the way a folded Convert treats it: truncated toward zero,
// saturated at the int64 range, NaN as 0 (a plain cast of an out-of-range value is undefined).
std::int64_t saturating_i64(double value);

// Widens a constant's raw little-endian bytes of any numeric element type to float / int64. A u64
// above the int64 range saturates (exporters write u64 max for "to the end").
std::vector<float> to_f32(ElementType type, const std::uint8_t* bytes, std::size_t count);
std::vector<std::int64_t> to_i64(ElementType type, const std::uint8_t* bytes, std::size_t count);

}  // namespace detserve::graph
