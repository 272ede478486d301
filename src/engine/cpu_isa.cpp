#include "detserve/engine/cpu_isa.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

namespace detserve::engine {
namespace {

// The x86 flags (Linux's names, arch/x86/include/asm/cpufeatures.h) that select CPU-plugin kernels.
constexpr std::string_view kCpuIsaFlags[] = {"sse4_2",      "avx2",     "avx512f",  "avx512_vnni", "avx512_bf16",
                                             "avx512_fp16", "avx_vnni", "amx_bf16", "amx_int8",    "amx_fp16"};

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

}  // namespace

std::vector<std::string> cpu_isa_flags(std::string_view cpuinfo) {
    std::vector<std::string> present;
    while (!cpuinfo.empty()) {
        const auto end = cpuinfo.find('\n');
        const std::string_view line = cpuinfo.substr(0, end);
        cpuinfo = end == std::string_view::npos ? std::string_view{} : cpuinfo.substr(end + 1);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || trim(line.substr(0, colon)) != "flags") continue;
        std::istringstream words{std::string(line.substr(colon + 1))};
        const std::vector<std::string> flags{std::istream_iterator<std::string>(words), {}};
        for (const auto wanted : kCpuIsaFlags)
            if (std::find(flags.begin(), flags.end(), wanted) != flags.end()) present.emplace_back(wanted);
        break;
    }
    return present;
}

bool has_bf16(const std::vector<std::string>& flags) {
    return std::any_of(flags.begin(), flags.end(), [](const std::string& f) { return f == "avx512_bf16" || f == "amx_bf16"; });
}

std::vector<std::string> host_cpu_isa_flags() {
    std::ifstream in("/proc/cpuinfo");
    if (!in) return {};
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    return cpu_isa_flags(text);
}

std::string join_isa(const std::vector<std::string>& flags) {
    if (flags.empty()) return "unknown";
    std::string out;
    for (const auto& flag : flags) out += (out.empty() ? "" : " ") + flag;
    return out;
}

}  // namespace detserve::engine
