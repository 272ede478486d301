#include "host_tensor.hpp"

#include <stdexcept>

namespace detserve::graph {

HostTensor transpose_host(const HostTensor& in, const std::vector<std::int64_t>& perm) {
    const std::size_t rank = in.shape.size();
    if (perm.size() != rank) throw ModelError("transpose permutation rank differs from the tensor's");
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
