#pragma once
// A constant value known at conversion time (weights, shapes, axes), used to fold constant
// subgraphs and to read op parameters.
#include <cstdint>
#include <cstring>
#include <vector>

#include "detserve/graph/graph.hpp"

namespace detserve::graph {

struct HostTensor {
    ElementType type = ElementType::f32;
    Shape shape;
    std::vector<std::uint8_t> bytes;

    std::size_t count() const { return bytes.size() / element_size(type); }
    std::vector<float> as_f32() const { return to_f32(type, bytes.data(), count()); }
    std::vector<std::int64_t> as_i64() const { return to_i64(type, bytes.data(), count()); }

    static HostTensor from_f32(Shape shape, const std::vector<float>& values) {
        HostTensor t{ElementType::f32, std::move(shape), std::vector<std::uint8_t>(values.size() * 4)};
        if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
        return t;
    }
    static HostTensor from_i64(Shape shape, const std::vector<std::int64_t>& values) {
        HostTensor t{ElementType::i64, std::move(shape), std::vector<std::uint8_t>(values.size() * 8)};
        if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
        return t;
    }
};

// Row-major transpose of a constant: out.shape[i] = in.shape[perm[i]].
HostTensor transpose_host(const HostTensor& in, const std::vector<std::int64_t>& perm);

// Throws ModelError unless `perm` holds each axis of a rank-`rank` tensor exactly once (a
// Transpose's order input, which a model file may get wrong).
void check_permutation(const std::vector<std::int64_t>& perm, std::size_t rank, const std::string& where);

}  // namespace detserve::graph
