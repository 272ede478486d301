#include "onnx_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "detserve/graph/graph.hpp"

namespace detserve::engine {
namespace {

// Protobuf wire types (protobuf.dev/programming-guides/encoding).
enum WireType : std::uint8_t {
    kVarint = 0,
    kFixed64 = 1,
    kLengthDelimited = 2,
    kStartGroup = 3,
    kEndGroup = 4,
    kFixed32 = 5,
};

constexpr std::size_t kMaxVarintBytes = 10;  // 64 bits, 7 per byte

// Field numbers from onnx/onnx.proto.
constexpr std::uint32_t kModelGraph = 7;
constexpr std::uint32_t kGraphInitializer = 5;
constexpr std::uint32_t kGraphInput = 11;
constexpr std::uint32_t kGraphSparseInitializer = 15;
constexpr std::uint32_t kTensorName = 8;
constexpr std::uint32_t kSparseTensorValues = 1;
constexpr std::uint32_t kValueInfoName = 1;
constexpr std::uint32_t kValueInfoType = 2;
constexpr std::uint32_t kTypeTensorType = 1;
constexpr std::uint32_t kTensorTypeElemType = 1;
constexpr std::uint32_t kTensorTypeShape = 2;
constexpr std::uint32_t kShapeDim = 1;
constexpr std::uint32_t kDimensionValue = 1;
constexpr std::uint32_t kDimensionParam = 2;

struct Field {
    std::uint32_t number = 0;
    std::uint8_t wire_type = kVarint;
    std::uint64_t varint = 0;             // for kVarint
    std::span<const std::uint8_t> bytes;  // for kLengthDelimited
};

// A cursor over one message's bytes. `message` names it in errors and `origin` is where it starts
// in the file, so that an error says which message and which byte.
class MessageReader {
public:
    MessageReader(std::span<const std::uint8_t> bytes, std::string_view message, std::size_t origin)
        : bytes_(bytes), message_(message), origin_(origin) {}

    // Reads the next field (skipping the payload of fixed32/fixed64); false at the end.
    bool next(Field& field) {
        if (pos_ == bytes_.size()) return false;
        const std::uint64_t key = read_varint("field key");
        field = Field{};
        field.number = static_cast<std::uint32_t>(key >> 3);
        field.wire_type = static_cast<std::uint8_t>(key & 7);
        if (key >> 3 == 0 || key >> 3 > 0x1FFFFFFF) fail("invalid field number " + std::to_string(key >> 3));
        switch (field.wire_type) {
            case kVarint: field.varint = read_varint("varint of field " + std::to_string(field.number)); break;
            case kFixed64: skip(8, field.number); break;
            case kFixed32: skip(4, field.number); break;
            case kLengthDelimited: {
                const std::uint64_t length = read_varint("length of field " + std::to_string(field.number));
                if (length > bytes_.size() - pos_)
                    fail("length " + std::to_string(length) + " of field " + std::to_string(field.number) +
                         " runs past the end (" + std::to_string(bytes_.size() - pos_) + " bytes left)");
                field.bytes = bytes_.subspan(pos_, static_cast<std::size_t>(length));
                pos_ += static_cast<std::size_t>(length);
                break;
            }
            case kStartGroup:
            case kEndGroup:
                fail("field " + std::to_string(field.number) + " has wire type " + std::to_string(field.wire_type) +
                     " (groups are unsupported)");
            default: fail("field " + std::to_string(field.number) + " has unknown wire type " + std::to_string(field.wire_type));
        }
        return true;
    }

    // The message carried by a length-delimited field.
    MessageReader nested(const Field& field, std::string_view message) const {
        expect(field, kLengthDelimited);
        return MessageReader(field.bytes, message, origin_ + static_cast<std::size_t>(field.bytes.data() - bytes_.data()));
    }

    std::string string(const Field& field) const {
        expect(field, kLengthDelimited);
        return std::string(field.bytes.begin(), field.bytes.end());
    }

    std::uint64_t varint(const Field& field) const {
        expect(field, kVarint);
        return field.varint;
    }

private:
    std::uint64_t read_varint(const std::string& what) {
        const std::size_t start = pos_;
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < kMaxVarintBytes; ++i) {
            if (pos_ == bytes_.size()) fail_at(start, "truncated varint (" + what + ")");
            const std::uint8_t byte = bytes_[pos_++];
            value |= static_cast<std::uint64_t>(byte & 0x7F) << (7 * i);
            if ((byte & 0x80) == 0) return value;
        }
        fail_at(start, "varint longer than 10 bytes (" + what + ")");
    }

    void skip(std::size_t n, std::uint32_t number) {
        if (n > bytes_.size() - pos_)
            fail("fixed" + std::to_string(n * 8) + " field " + std::to_string(number) + " runs past the end");
        pos_ += n;
    }

    void expect(const Field& field, WireType wire_type) const {
        if (field.wire_type != wire_type)
            fail("field " + std::to_string(field.number) + " has wire type " + std::to_string(field.wire_type) +
                 ", expected " + std::to_string(wire_type));
    }

    [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }
    [[noreturn]] void fail_at(std::size_t pos, const std::string& what) const {
        throw std::runtime_error("malformed ONNX: " + what + " in " + std::string(message_) + " at byte " +
                                 std::to_string(origin_ + pos));
    }

    std::span<const std::uint8_t> bytes_;
    std::string_view message_;
    std::size_t origin_;
    std::size_t pos_ = 0;
};

void read_dimension(MessageReader reader, OnnxInput& input) {
    std::int64_t value = -1;
    std::string param;
    for (Field field; reader.next(field);) {
        // A oneof: the last of dim_value / dim_param wins, as in protobuf.
        if (field.number == kDimensionValue) {
            value = std::max<std::int64_t>(static_cast<std::int64_t>(reader.varint(field)), -1);
            param.clear();
        } else if (field.number == kDimensionParam) {
            param = reader.string(field);
            value = -1;
        }
    }
    input.dims.push_back(value);
    input.dim_params.push_back(std::move(param));
}

void read_tensor_type(MessageReader reader, OnnxInput& input) {
    for (Field field; reader.next(field);) {
        if (field.number == kTensorTypeElemType) {
            input.elem_type = static_cast<int>(static_cast<std::int64_t>(reader.varint(field)));
        } else if (field.number == kTensorTypeShape) {
            input.has_shape = true;
            input.dims.clear();
            input.dim_params.clear();
            MessageReader shape = reader.nested(field, "TensorShapeProto");
            for (Field dim; shape.next(dim);)
                if (dim.number == kShapeDim) read_dimension(shape.nested(dim, "TensorShapeProto.Dimension"), input);
        }
    }
}

OnnxInput read_value_info(MessageReader reader) {
    OnnxInput input;
    for (Field field; reader.next(field);) {
        if (field.number == kValueInfoName) {
            input.name = reader.string(field);
        } else if (field.number == kValueInfoType) {
            MessageReader type = reader.nested(field, "TypeProto");
            for (Field t; type.next(t);)
                if (t.number == kTypeTensorType) read_tensor_type(type.nested(t, "TypeProto.Tensor"), input);
        }
    }
    return input;
}

std::string read_tensor_name(MessageReader reader) {
    std::string name;
    for (Field field; reader.next(field);)
        if (field.number == kTensorName) name = reader.string(field);
    return name;
}

std::string read_sparse_tensor_name(MessageReader reader) {
    std::string name;
    for (Field field; reader.next(field);)
        if (field.number == kSparseTensorValues) name = read_tensor_name(reader.nested(field, "SparseTensorProto.values"));
    return name;
}

void read_graph(MessageReader reader, std::vector<OnnxInput>& inputs, std::unordered_set<std::string>& initializers) {
    for (Field field; reader.next(field);) {
        if (field.number == kGraphInput)
            inputs.push_back(read_value_info(reader.nested(field, "GraphProto.input")));
        else if (field.number == kGraphInitializer)
            initializers.insert(read_tensor_name(reader.nested(field, "GraphProto.initializer")));
        else if (field.number == kGraphSparseInitializer)
            initializers.insert(read_sparse_tensor_name(reader.nested(field, "GraphProto.sparse_initializer")));
    }
}

struct ElemTypeName {
    int elem_type;
    std::string_view name;
};
// TensorProto.DataType values.
constexpr ElemTypeName kElemTypeNames[] = {
    {1, "f32"},  {2, "u8"},   {3, "i8"},   {4, "u16"},  {5, "i16"},  {6, "i32"},   {7, "i64"},   {8, "string"},
    {9, "bool"}, {10, "f16"}, {11, "f64"}, {12, "u32"}, {13, "u64"}, {14, "c64"}, {15, "c128"}, {16, "bf16"},
};

std::string to_text(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

}  // namespace

std::vector<OnnxInput> read_onnx_inputs(std::span<const std::uint8_t> model_bytes) {
    std::vector<OnnxInput> inputs;
    std::unordered_set<std::string> initializers;
    MessageReader model(model_bytes, "ModelProto", 0);
    for (Field field; model.next(field);)
        if (field.number == kModelGraph) read_graph(model.nested(field, "GraphProto"), inputs, initializers);
    std::erase_if(inputs, [&](const OnnxInput& input) { return initializers.count(input.name) > 0; });
    return inputs;
}

std::vector<OnnxInput> read_onnx_inputs(const std::filesystem::path& onnx_path) {
    std::ifstream in(onnx_path, std::ios::binary);
    if (!in) throw std::runtime_error(onnx_path.string() + ": cannot open");
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) throw std::runtime_error(onnx_path.string() + ": read error");
    try {
        return read_onnx_inputs(std::span<const std::uint8_t>(bytes));
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(onnx_path.string() + ": " + e.what());
    }
}

std::string onnx_elem_type_name(int elem_type) {
    for (const auto& entry : kElemTypeNames)
        if (entry.elem_type == elem_type) return std::string(entry.name);
    return "type " + std::to_string(elem_type);
}

std::string describe(const OnnxInput& input) {
    std::string text = input.name + " " + onnx_elem_type_name(input.elem_type) + " ";
    if (!input.has_shape) return text + "[?]";
    text += "[";
    for (std::size_t i = 0; i < input.dims.size(); ++i) {
        if (i > 0) text += ",";
        if (input.dims[i] >= 0) text += std::to_string(input.dims[i]);
        else text += input.dim_params[i].empty() ? "?" : input.dim_params[i];
    }
    return text + "]";
}

BatchProbeVerdict judge_batch_probe(const NamedTensors& batch_of_two, const NamedTensors& batch_of_one,
                                    double relative_tolerance) {
    if (batch_of_two.size() != batch_of_one.size() || batch_of_one.empty())
        return {false, "the batch of 2 and the single image gave " + std::to_string(batch_of_two.size()) + " and " +
                           std::to_string(batch_of_one.size()) + " outputs"};
    for (std::size_t i = 0; i < batch_of_one.size(); ++i) {
        const auto& [name, one] = batch_of_one[i];
        const Tensor& two = batch_of_two[i].second;
        const std::string output = "output '" + name + "'";
        if (one.shape.empty() || one.shape[0] != 1)
            return {false, output + " has shape " + graph::shape_to_string(one.shape) + " for one image: no batch dimension"};
        if (two.shape.empty() || two.shape[0] != 2)
            return {false, output + " has shape " + graph::shape_to_string(two.shape) + " for a batch of 2, " +
                               graph::shape_to_string(one.shape) + " for one image"};
        if (!std::equal(one.shape.begin() + 1, one.shape.end(), two.shape.begin() + 1, two.shape.end()) ||
            two.data.size() != 2 * one.data.size())
            return {false, output + " has shape " + graph::shape_to_string(two.shape) + " for a batch of 2 but " +
                               graph::shape_to_string(one.shape) + " for one image"};
        float max_abs = 0;
        for (float v : one.data) max_abs = std::max(max_abs, std::fabs(v));
        const double allowed = relative_tolerance * max_abs;
        for (std::size_t k = 0; k < one.data.size(); ++k) {
            const double diff = std::fabs(static_cast<double>(two.data[k]) - one.data[k]);
            if (!(diff <= allowed))  // also catches NaN
                return {false, "item 0 of " + output + " differs from the single-image forward by " + to_text(diff) +
                                   " at element " + std::to_string(k) + " (max |value| " + to_text(max_abs) +
                                   "): the batch mixes images"};
        }
    }
    return {true, {}};
}

}  // namespace detserve::engine
