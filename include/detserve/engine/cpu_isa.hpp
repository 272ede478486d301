#pragma once
// The CPU's vector instruction sets as /proc/cpuinfo reports them: what decides which kernels
// OpenVINO's CPU plugin runs (AVX2, AVX-512, VNNI for INT8, BF16 and AMX), for `detserve info`,
// /v1/models and detserve_engine_info.
#include <string>
#include <string_view>
#include <vector>

namespace detserve::engine {

// The flags of the first "flags" line of `cpuinfo` that matter to the kernels, in kCpuIsaFlags'
// order (sse4_2 avx2 avx512f avx512_vnni avx512_bf16 avx512_fp16 avx_vnni amx_bf16 amx_int8 amx_fp16).
std::vector<std::string> cpu_isa_flags(std::string_view cpuinfo);

// True when the flags allow native bf16 arithmetic (AVX512-BF16 or AMX-BF16).
bool has_bf16(const std::vector<std::string>& flags);

// cpu_isa_flags() of /proc/cpuinfo; empty when it cannot be read.
std::vector<std::string> host_cpu_isa_flags();

// "avx2 avx512f …", or "unknown".
std::string join_isa(const std::vector<std::string>& flags);

}  // namespace detserve::engine
