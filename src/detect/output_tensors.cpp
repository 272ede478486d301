#include "detserve/detect/output_tensors.hpp"

#include <stdexcept>

namespace detserve::detect {

namespace {

std::string shape_text(const Tensor& tensor) {
    std::string out = "[";
    for (std::size_t i = 0; i < tensor.shape.size(); ++i) {
        if (i) out += ",";
        out += std::to_string(tensor.shape[i]);
    }
    return out + "]";
}

}  // namespace

std::string describe_outputs(const NamedTensors& outputs) {
    if (outputs.empty()) return "no outputs";
    std::string out;
    for (const auto& [name, tensor] : outputs) {
        if (!out.empty()) out += ", ";
        out += "'" + name + "' " + shape_text(tensor);
    }
    return out;
}

const Tensor* find_output(const NamedTensors& outputs,
                          const std::function<bool(const Tensor&)>& matches) {
    for (const auto& [name, tensor] : outputs)
        if (matches(tensor)) return &tensor;
    return nullptr;
}

const float* batch_data(const Tensor& tensor, int batch_index, std::string_view what) {
    if (tensor.shape.empty() || tensor.data.size() != tensor.elements())
        throw std::runtime_error(std::string(what) + " tensor " + shape_text(tensor) + " holds " +
                                 std::to_string(tensor.data.size()) +
                                 " values, not the number its shape says");
    const std::int64_t batch = tensor.dim(0);
    if (batch_index < 0 || batch_index >= batch)
        throw std::runtime_error("batch index " + std::to_string(batch_index) +
                                 " out of range for " + std::string(what) + " tensor " +
                                 shape_text(tensor));
    const std::size_t per_image = tensor.elements() / static_cast<std::size_t>(batch);
    return tensor.data.data() + static_cast<std::size_t>(batch_index) * per_image;
}

const Tensor& find_objectness_rows(const NamedTensors& outputs, int num_classes, std::string_view family) {
    const Tensor* output = find_output(outputs, [&](const Tensor& t) {
        if (t.shape.size() != 3) return false;
        return num_classes > 0 ? t.dim(2) == kBoxAndObjectness + num_classes : t.dim(2) > kBoxAndObjectness;
    });
    if (!output)
        throw std::runtime_error(std::string(family) + ": no output of shape [B,N," +
                                 (num_classes > 0 ? std::to_string(kBoxAndObjectness + num_classes) : "5+C") +
                                 "]; outputs: " + describe_outputs(outputs));
    return *output;
}

}  // namespace detserve::detect
