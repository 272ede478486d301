#include "request_id.hpp"

#include <algorithm>
#include <cstdint>
#include <random>

namespace detserve::server {

std::string request_id(const std::string& from_client) {
    const bool usable = !from_client.empty() && from_client.size() <= 128 &&
                        std::all_of(from_client.begin(), from_client.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
    if (usable) return from_client;
    thread_local std::mt19937_64 random{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t bits = random();
    std::string id(16, '0');
    for (auto& c : id) {
        c = kHex[bits & 0xf];
        bits >>= 4;
    }
    return id;
}

}  // namespace detserve::server
