#include "host_tensor.hpp"

#include <stdexcept>

namespace detserve::graph {

void check_permutation(const std::vector<std::int64_t>& perm, std::size_t rank, const std::string& where) {
    std::vector<bool> seen(rank, false);
    bool valid = perm.size() == rank;
    for (std::size_t i = 0; valid && i < perm.size(); ++i) {
        valid = perm[i] >= 0 && static_cast<std::size_t>(perm[i]) < rank && !seen[static_cast<std::size_t>(perm[i])];
        if (valid) seen[static_cast<std::size_t>(perm[i])] = true;
    }
    if (valid) return;
    std::string text;
    for (const auto axis : perm) text += (text.empty() ? "" : ",") + std::to_string(axis);
    throw ModelError(where + ": transpose order [" + text + "] is not a permutation of the axes of a rank-" +
                     std::to_string(rank) + " tensor");
}

HostTensor transpose_host(const HostTensor& in, const std::vector<std::int64_t>& perm) {
    const std::size_t rank = in.shape.size();
    check_permutation(perm, rank, "constant transpose");
    HostTensor out{in.type, Shape(rank), std::vector<std::uint8_t>(in.bytes.size())};
    for (std::size_t i = 0; i < rank; ++i) out.shape[i] = in.shape[static_cast<std::size_t>(perm[i])];
    std::vector<std::int64_t> in_strides(rank, 1);
    for (std::size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * in.shape[i];
    const std::size_t element = element_size(in.type);
    const std::size_t total = in.count();
    std::vector<std::int64_t> index(rank, 0);
    for (std::size_t flat = 0; flat < total; ++flat) {
        std::int64_t source = 0;
        for (std::size_t i = 0; i < rank; ++i) source += index[i] * in_strides[static_cast<std::size_t>(perm[i])];
        std::memcpy(out.bytes.data() + flat * element, in.bytes.data() + static_cast<std::size_t>(source) * element, element);
        for (std::size_t i = rank; i-- > 0;) {
            if (++index[i] < out.shape[i]) break;
            index[i] = 0;
        }
    }
    return out;
}

}  // namespace detserve::graph
