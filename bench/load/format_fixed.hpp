#pragma once

#include <cstdio>
#include <string>

namespace detserve::bench {

// printf("%.*f"): GCC 12 has no <format>, and iostream state is clumsy for one number.
inline std::string format_fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

}  // namespace detserve::bench
