#include "tfjs_weights.hpp"

#include <cstring>

namespace detserve::graph {
namespace {

std::size_t product(const Shape& shape) {
    std::size_t n = 1;
    for (auto d : shape) n *= static_cast<std::size_t>(d);
    return n;
}

struct StoredType {
    const char* name;
    std::size_t bytes;
};

// Bytes per element as stored in the shard (quantization.dtype wins over dtype).
constexpr StoredType kStoredTypes[] = {
    {"float32", 4}, {"int32", 4}, {"bool", 1}, {"float16", 2}, {"uint8", 1}, {"uint16", 2},
};

std::size_t stored_size(const std::string& dtype, const std::string& source_name, const std::string& weight) {
    for (const auto& entry : kStoredTypes)
        if (dtype == entry.name) return entry.bytes;
    throw ModelError(source_name + ": weight '" + weight + "' has unsupported dtype '" + dtype + "'");
}

}  // namespace

std::map<std::string, HostTensor> decode_tfjs_weights(const nlohmann::json& manifest,
                                                     const std::vector<std::uint8_t>& weights,
                                                     const std::string& source_name) {
    std::map<std::string, HostTensor> out;
    std::size_t offset = 0;
    for (const auto& group : manifest) {
        for (const auto& spec : group.at("weights")) {
            const std::string name = spec.at("name");
            const std::string dtype = spec.at("dtype");
            Shape shape = spec.at("shape").get<Shape>();
            const std::size_t count = product(shape);
            const bool quantized = spec.contains("quantization");
            const std::string stored = quantized ? spec["quantization"].at("dtype").get<std::string>() : dtype;
            const std::size_t size = count * stored_size(stored, source_name, name);
            if (offset + size > weights.size())
                throw ModelError(source_name + ": weight '" + name + "' needs bytes " + std::to_string(offset) + ".." +
                                 std::to_string(offset + size) + " but the weight files hold only " +
                                 std::to_string(weights.size()));
            const std::uint8_t* bytes = weights.data() + offset;
            offset += size;

            HostTensor tensor;
            tensor.shape = shape;
            if (dtype == "int32" && !quantized) {
                tensor.type = ElementType::i32;
                tensor.bytes.assign(bytes, bytes + size);
            } else if (dtype == "bool" && !quantized) {
                tensor.type = ElementType::boolean;
                tensor.bytes.assign(bytes, bytes + size);
            } else if (dtype == "float32") {
                std::vector<float> values(count);
                if (stored == "float32") {
                    std::memcpy(values.data(), bytes, size);
                } else if (stored == "float16") {
                    values = to_f32(ElementType::f16, bytes, count);
                } else {  // affine uint8/uint16 quantization: value = q * scale + min
                    const float scale = spec["quantization"].at("scale");
                    const float min = spec["quantization"].at("min");
                    for (std::size_t i = 0; i < count; ++i) {
                        std::uint32_t q = bytes[i];
                        if (stored == "uint16") {
                            std::uint16_t q16;
                            std::memcpy(&q16, bytes + 2 * i, 2);
                            q = q16;
                        }
                        values[i] = static_cast<float>(q) * scale + min;
                    }
                }
                tensor = HostTensor::from_f32(shape, values);
            } else {
                throw ModelError(source_name + ": weight '" + name + "' has unsupported dtype '" + dtype +
                                 "' with quantization '" + stored + "'");
            }
            out.emplace(name, std::move(tensor));
        }
    }
    return out;
}

}  // namespace detserve::graph
