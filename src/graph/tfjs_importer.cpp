#include "detserve/graph/tfjs_importer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "detserve/graph/passes.hpp"
#include "host_tensor.hpp"
#include "tfjs_weights.hpp"

namespace detserve::graph {
namespace {

using nlohmann::json;

// ---- TF attribute decoding --------------------------------------------------------------------
// TFJS stores strings base64-encoded and integers as decimal strings (protobuf JSON mapping).

std::string base64_decode(const std::string& text) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int buffer = 0, bits = 0;
    for (char c : text) {
        if (c == '=') break;
        const auto pos = alphabet.find(c);
        if (pos == std::string::npos) continue;
        buffer = (buffer << 6) | static_cast<int>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    return out;
}

// A whole decimal integer, or nullopt (std::stoll would throw on "x" and accept "12abc").
std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// TFJS writes int64 attributes as decimal strings.
std::int64_t json_int(const json& value) {
    if (!value.is_string()) return value.get<std::int64_t>();
    const auto parsed = parse_integer(value.get_ref<const std::string&>());
    if (!parsed) throw ModelError("integer attribute '" + value.get<std::string>().substr(0, 40) + "' is not a number");
    return *parsed;
}

struct TfNode {
    std::string name;
    std::string op;
    std::vector<std::string> inputs;  // data inputs only ("node" or "node:k")
    json attr;

    bool has_attr(const std::string& key) const { return attr.contains(key); }
    std::string attr_string(const std::string& key, const std::string& fallback = "") const {
        return has_attr(key) && attr[key].contains("s") ? base64_decode(attr[key]["s"]) : fallback;
    }
    std::vector<std::int64_t> attr_ints(const std::string& key) const {
        std::vector<std::int64_t> out;
        if (has_attr(key) && attr[key].contains("list") && attr[key]["list"].contains("i"))
            for (const auto& v : attr[key]["list"]["i"]) out.push_back(json_int(v));
        return out;
    }
    double attr_float(const std::string& key, double fallback) const {
        return has_attr(key) && attr[key].contains("f") ? attr[key]["f"].get<double>() : fallback;
    }
    bool attr_bool(const std::string& key, bool fallback) const {
        return has_attr(key) && attr[key].contains("b") ? attr[key]["b"].get<bool>() : fallback;
    }
};

// A TF tensor during import: either a constant known now, or a port of the graph being built.
struct Value {
    std::optional<HostTensor> constant;
    Source source;
    ElementType type = ElementType::f32;
    Shape shape;

    bool is_const() const { return constant.has_value(); }
    static Value of_const(HostTensor tensor) {
        Value v;
        v.type = tensor.type;
        v.shape = tensor.shape;
        v.constant = std::move(tensor);
        return v;
    }
};

// An axis in [-rank, rank) as one in [0, rank); a model file may hold any number there.
std::int64_t normalize_axis(std::int64_t axis, std::size_t rank) {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < -r || axis >= r)
        throw ModelError("axis " + std::to_string(axis) + " is out of range for a rank-" + std::to_string(rank) + " tensor");
    return axis < 0 ? axis + r : axis;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
    const std::size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (std::size_t i = 0; i < rank; ++i) {
        const std::int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
        const std::int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
        if (da != db && da != 1 && db != 1) throw ModelError("shapes " + shape_to_string(a) + " and " +
                                                             shape_to_string(b) + " do not broadcast");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

// Elementwise binary op on constants with numpy broadcasting, computed in double and stored in
// the left operand's element type.
HostTensor fold_binary(const HostTensor& a, const HostTensor& b, const std::function<double(double, double)>& op) {
    const Shape shape = broadcast_shapes(a.shape, b.shape);
    const auto total = static_cast<std::size_t>(std::max<std::int64_t>(shape_elements(shape), 0));
    const auto va = a.as_f32();
    const auto ia = a.as_i64();
    const auto vb = b.as_f32();
    const auto ib = b.as_i64();
    const bool integral = a.type != ElementType::f32;
    auto index_into = [&](const Shape& s, std::size_t flat) {
        std::size_t index = 0, stride = 1;
        std::size_t rest = flat;
        std::vector<std::int64_t> coords(shape.size());
        for (std::size_t i = shape.size(); i-- > 0;) {
            coords[i] = static_cast<std::int64_t>(rest % static_cast<std::size_t>(shape[i]));
            rest /= static_cast<std::size_t>(shape[i]);
        }
        for (std::size_t i = s.size(); i-- > 0;) {
            const std::int64_t dim = s[i];
            const std::int64_t coord = dim == 1 ? 0 : coords[i + shape.size() - s.size()];
            index += static_cast<std::size_t>(coord) * stride;
            stride *= static_cast<std::size_t>(dim);
        }
        return index;
    };
    if (integral) {
        std::vector<std::int64_t> out(total);
        for (std::size_t i = 0; i < total; ++i)
            out[i] = saturating_i64(op(static_cast<double>(ia[index_into(a.shape, i)]),
                                       static_cast<double>(ib[index_into(b.shape, i)])));
        HostTensor t = HostTensor::from_i64(shape, out);
        if (a.type == ElementType::i32) {
            std::vector<std::int32_t> narrow(out.begin(), out.end());
            t.type = ElementType::i32;
            t.bytes.assign(reinterpret_cast<const std::uint8_t*>(narrow.data()),
                           reinterpret_cast<const std::uint8_t*>(narrow.data() + narrow.size()));
        }
        return t;
    }
    std::vector<float> out(total);
    for (std::size_t i = 0; i < total; ++i)
        out[i] = static_cast<float>(op(va[index_into(a.shape, i)], vb[index_into(b.shape, i)]));
    return HostTensor::from_f32(shape, out);
}

HostTensor convert_host(const HostTensor& in, ElementType to) {
    if (to == ElementType::f32) return HostTensor::from_f32(in.shape, in.as_f32());
    HostTensor out = HostTensor::from_i64(in.shape, in.as_i64());
    if (to == ElementType::i32) {
        const auto values = in.as_i64();
        std::vector<std::int32_t> narrow(values.begin(), values.end());
        out.type = ElementType::i32;
        out.bytes.assign(reinterpret_cast<const std::uint8_t*>(narrow.data()),
                         reinterpret_cast<const std::uint8_t*>(narrow.data() + narrow.size()));
    }
    return out;
}

struct TfTypeName {
    const char* tf;
    ElementType type;
};
constexpr TfTypeName kTfTypes[] = {
    {"DT_FLOAT", ElementType::f32}, {"DT_INT32", ElementType::i32}, {"DT_INT64", ElementType::i64},
    {"DT_BOOL", ElementType::boolean}, {"DT_UINT8", ElementType::u8}, {"DT_INT8", ElementType::i8},
    {"DT_HALF", ElementType::f16},
};

std::optional<ElementType> tf_type(const std::string& name) {
    for (const auto& entry : kTfTypes)
        if (name == entry.tf) return entry.type;
    return std::nullopt;
}

// ---- the importer -----------------------------------------------------------------------------

class Importer;
using Translator = std::vector<Value> (*)(Importer&, const TfNode&);
const std::map<std::string, Translator>& translators();

class Importer {
public:
    Importer(const json& model, const std::vector<std::uint8_t>& weights, std::string source_name)
        : model_(model), source_(std::move(source_name)) {
        const auto& topology = model.at("modelTopology");
        for (const auto& n : topology.at("node")) {
            TfNode node;
            node.name = n.at("name");
            node.op = n.at("op");
            if (n.contains("input"))
                for (const auto& input : n["input"]) {
                    const std::string ref = input;
                    if (!ref.empty() && ref[0] != '^') node.inputs.push_back(ref);
                }
            if (n.contains("attr")) node.attr = n["attr"];
            nodes_.emplace(node.name, std::move(node));
        }
        weights_ = decode_tfjs_weights(model.at("weightsManifest"), weights, source_);
    }

    Graph run() {
        graph_.name = std::filesystem::path(source_).stem().string();
        const auto& signature = model_.contains("signature") ? model_["signature"] : json::object();
        std::vector<std::string> outputs;
        if (signature.contains("outputs"))
            for (const auto& [key, _] : signature["outputs"].items()) outputs.push_back(key);
        if (outputs.empty()) throw ModelError(source_ + ": the model.json has no signature outputs");
        for (const auto& name : outputs) {
            const Value& value = resolve(name);
            if (value.is_const()) throw ModelError(source_ + ": output '" + name + "' is a constant");
            Node result;
            result.name = name;
            result.type = "Result";
            result.inputs.push_back({value.source, Port{value.type, value.shape, {}, {}}});
            graph_.add_node(std::move(result));
        }
        return std::move(graph_);
    }

    // -- used by translators --
    const std::string& source() const { return source_; }

    [[noreturn]] void fail(const TfNode& node, const std::string& message) const {
        throw ModelError(source_ + ": node '" + node.name + "' (" + node.op + "): " + message);
    }

    const Value& input(const TfNode& node, std::size_t index) {
        if (index >= node.inputs.size())
            fail(node, "expects at least " + std::to_string(index + 1) + " inputs, has " +
                           std::to_string(node.inputs.size()));
        return resolve(node.inputs[index]);
    }

    const HostTensor& const_input(const TfNode& node, std::size_t index) {
        const Value& value = input(node, index);
        if (!value.is_const()) fail(node, "input " + std::to_string(index) + " must be a constant");
        return *value.constant;
    }

    Source materialize(const Value& value, const std::string& name) {
        if (!value.is_const()) return value.source;
        Node constant = make_const(name, value.constant->type, value.constant->shape, value.constant->bytes);
        return Source{graph_.add_node(std::move(constant)).id, 0};
    }

    // Adds an opset node; returns its outputs as values.
    std::vector<Value> emit(const std::string& type, const std::string& name, const std::vector<Source>& inputs,
                            const std::vector<std::pair<std::string, std::string>>& attrs,
                            const std::vector<Shape>& output_shapes, ElementType output_type = ElementType::f32,
                            const std::string& version = "opset1") {
        Node node;
        node.name = unique_name(name);
        node.type = type;
        node.version = version;
        for (const auto& [k, v] : attrs) node.attrs.set(k, v);
        for (const auto& source : inputs) node.inputs.push_back({source, graph_.port_of(source)});
        for (const auto& shape : output_shapes) node.outputs.push_back(Port{output_type, shape, {}, {}});
        const auto id = graph_.add_node(std::move(node)).id;
        std::vector<Value> out;
        for (std::size_t i = 0; i < output_shapes.size(); ++i) {
            Value v;
            v.source = Source{id, static_cast<int>(i)};
            v.type = output_type;
            v.shape = output_shapes[i];
            out.push_back(std::move(v));
        }
        return out;
    }

    Value transpose(const Value& value, const std::vector<std::int64_t>& perm, const std::string& name) {
        if (value.is_const()) return Value::of_const(transpose_host(*value.constant, perm));
        check_permutation(perm, value.shape.size(), source_ + ": node '" + name + "'");
        Shape shape(perm.size());
        for (std::size_t i = 0; i < perm.size(); ++i) shape[i] = value.shape[static_cast<std::size_t>(perm[i])];
        const Source order = materialize(Value::of_const(HostTensor::from_i64({static_cast<std::int64_t>(perm.size())}, perm)),
                                         name + "/order");
        return emit("Transpose", name, {value.source, order}, {}, {shape}, value.type)[0];
    }

    Source const_i64(const std::vector<std::int64_t>& values, const std::string& name, bool scalar = false) {
        Shape shape = scalar ? Shape{} : Shape{static_cast<std::int64_t>(values.size())};
        return materialize(Value::of_const(HostTensor::from_i64(shape, values)), name);
    }

    Source const_f32(const std::vector<float>& values, const std::string& name, Shape shape) {
        return materialize(Value::of_const(HostTensor::from_f32(std::move(shape), values)), name);
    }

private:
    std::string unique_name(const std::string& base) {
        if (used_names_.insert(base).second) return base;
        for (int i = 1;; ++i) {
            std::string candidate = base + "_" + std::to_string(i);
            if (used_names_.insert(candidate).second) return candidate;
        }
    }

    // "node" or "node:k" -> the k-th output of the node, translating it on first use.
    const Value& resolve(const std::string& ref) {
        std::string name = ref;
        std::size_t port = 0;
        if (const auto colon = ref.rfind(':'); colon != std::string::npos) {
            name = ref.substr(0, colon);
            const auto parsed = parse_integer(std::string_view(ref).substr(colon + 1));
            if (!parsed || *parsed < 0)
                throw ModelError(source_ + ": input reference '" + ref.substr(0, 80) + "' has a bad output index");
            port = static_cast<std::size_t>(*parsed);
        }
        auto done = values_.find(name);
        if (done == values_.end()) {
            auto it = nodes_.find(name);
            if (it == nodes_.end()) throw ModelError(source_ + ": reference to unknown node '" + ref + "'");
            if (!in_progress_.insert(name).second) throw ModelError(source_ + ": cycle through node '" + name + "'");
            const TfNode& node = it->second;
            const auto& table = translators();
            auto translator = table.find(node.op);
            if (translator == table.end())
                fail(node, "op '" + node.op + "' is not supported by the TFJS importer");
            auto outputs = translator->second(*this, node);
            in_progress_.erase(name);
            done = values_.emplace(name, std::move(outputs)).first;
        }
        if (port >= done->second.size())
            throw ModelError(source_ + ": reference '" + ref + "' names output " + std::to_string(port) +
                             " but node '" + name + "' has " + std::to_string(done->second.size()));
        return done->second[port];
    }

    friend std::vector<Value> translate_const(Importer&, const TfNode&);

    const json& model_;
    std::string source_;
    std::map<std::string, TfNode> nodes_;
    std::map<std::string, HostTensor> weights_;
    std::map<std::string, std::vector<Value>> values_;
    std::set<std::string> in_progress_;
    std::set<std::string> used_names_;
    Graph graph_;
};

// ---- translators: one function per TF op ------------------------------------------------------

std::vector<Value> translate_const(Importer& im, const TfNode& node) {
    auto it = im.weights_.find(node.name);
    if (it == im.weights_.end()) im.fail(node, "constant has no entry in the weights manifest");
    HostTensor tensor = it->second;
    // TFJS stores int64 constants as int32.
    if (node.has_attr("dtype") && node.attr["dtype"].contains("type")) {
        const auto declared = tf_type(node.attr["dtype"]["type"]);
        if (declared && *declared != tensor.type) tensor = convert_host(tensor, *declared);
    }
    return {Value::of_const(std::move(tensor))};
}

std::vector<Value> translate_placeholder(Importer& im, const TfNode& node) {
    Shape shape;
    if (node.has_attr("shape") && node.attr["shape"].contains("shape") && node.attr["shape"]["shape"].contains("dim"))
        for (const auto& dim : node.attr["shape"]["shape"]["dim"])
            shape.push_back(dim.contains("size") ? json_int(dim["size"]) : -1);
    if (shape.empty()) im.fail(node, "input has no static rank");
    // The batch dimension is left dynamic: engines choose it per forward.
    shape[0] = -1;
    std::string type_name = node.has_attr("dtype") ? node.attr["dtype"].value("type", "DT_FLOAT") : "DT_FLOAT";
    const auto type = tf_type(type_name);
    if (!type) im.fail(node, "unsupported input dtype " + type_name);
    auto values = im.emit("Parameter", node.name, {}, {{"shape", shape_to_string(shape).substr(1, shape_to_string(shape).size() - 2)},
                                                   {"element_type", std::string(to_string(*type))}},
                          {shape}, *type);
    return values;
}

std::vector<Value> translate_identity(Importer& im, const TfNode& node) { return {im.input(node, 0)}; }

std::vector<Value> translate_transpose(Importer& im, const TfNode& node) {
    const auto perm = im.const_input(node, 1).as_i64();
    return {im.transpose(im.input(node, 0), perm, node.name)};
}

struct BinaryOp {
    const char* opset;
    double (*fold)(double, double);
};

std::vector<Value> translate_binary(Importer& im, const TfNode& node, const BinaryOp& op) {
    const Value a = im.input(node, 0);
    const Value b = im.input(node, 1);
    if (a.is_const() && b.is_const()) return {Value::of_const(fold_binary(*a.constant, *b.constant, op.fold))};
    const Shape shape = broadcast_shapes(a.shape, b.shape);
    return im.emit(op.opset, node.name, {im.materialize(a, node.name + "/a"), im.materialize(b, node.name + "/b")},
                   {{"auto_broadcast", "numpy"}}, {shape}, a.is_const() ? b.type : a.type);
}

std::vector<Value> translate_add(Importer& im, const TfNode& node) {
    return translate_binary(im, node, {"Add", [](double x, double y) { return x + y; }});
}
std::vector<Value> translate_sub(Importer& im, const TfNode& node) {
    return translate_binary(im, node, {"Subtract", [](double x, double y) { return x - y; }});
}
std::vector<Value> translate_mul(Importer& im, const TfNode& node) {
    return translate_binary(im, node, {"Multiply", [](double x, double y) { return x * y; }});
}

std::vector<Value> translate_unary(Importer& im, const TfNode& node, const char* opset) {
    const Value& x = im.input(node, 0);
    if (x.is_const()) im.fail(node, "folding this op on a constant is not supported");
    return im.emit(opset, node.name, {x.source}, {}, {x.shape}, x.type);
}

std::vector<Value> translate_sigmoid(Importer& im, const TfNode& node) { return translate_unary(im, node, "Sigmoid"); }
std::vector<Value> translate_relu(Importer& im, const TfNode& node) { return translate_unary(im, node, "Relu"); }

// The opset has no LeakyRelu: PRelu with a scalar slope is its exact equivalent.
std::vector<Value> translate_leaky_relu(Importer& im, const TfNode& node) {
    const Value& x = im.input(node, 0);
    const float alpha = static_cast<float>(node.attr_float("alpha", 0.2));
    const Source slope = im.const_f32({alpha}, node.name + "/slope", {1});
    return im.emit("PRelu", node.name, {x.source, slope}, {}, {x.shape}, x.type);
}

std::vector<Value> translate_cast(Importer& im, const TfNode& node) {
    const Value& x = im.input(node, 0);
    const std::string dst = node.has_attr("DstT") ? node.attr["DstT"].value("type", "") : "";
    const auto type = tf_type(dst);
    if (!type) im.fail(node, "unsupported destination type '" + dst + "'");
    if (x.is_const()) return {Value::of_const(convert_host(*x.constant, *type))};
    return im.emit("Convert", node.name, {x.source}, {{"destination_type", std::string(to_string(*type))}}, {x.shape}, *type);
}

// Where(condition) on a constant: the coordinates of the true elements, shape [n, rank].
std::vector<Value> translate_where(Importer& im, const TfNode& node) {
    const HostTensor& condition = im.const_input(node, 0);
    const auto values = condition.as_f32();
    std::vector<std::int64_t> coords;
    const std::size_t rank = condition.shape.size();
    std::int64_t count = 0;
    for (std::size_t flat = 0; flat < values.size(); ++flat) {
        if (values[flat] == 0) continue;
        ++count;
        std::vector<std::int64_t> c(rank);
        std::size_t rest = flat;
        for (std::size_t i = rank; i-- > 0;) {
            c[i] = static_cast<std::int64_t>(rest % static_cast<std::size_t>(condition.shape[i]));
            rest /= static_cast<std::size_t>(condition.shape[i]);
        }
        coords.insert(coords.end(), c.begin(), c.end());
    }
    return {Value::of_const(HostTensor::from_i64({count, static_cast<std::int64_t>(rank)}, coords))};
}

// SparseToDense(indices, output_shape, values, default) on constants.
std::vector<Value> translate_sparse_to_dense(Importer& im, const TfNode& node) {
    const HostTensor& indices = im.const_input(node, 0);
    const auto shape = im.const_input(node, 1).as_i64();
    const HostTensor& values = im.const_input(node, 2);
    const HostTensor& fallback = im.const_input(node, 3);
    // The importer evaluates it at load time (it computes shapes in real models: a few elements);
    // a dense shape past this is a broken file, not a constant worth gigabytes.
    constexpr std::int64_t kMaxDenseElements = std::int64_t{1} << 24;
    std::int64_t product = 1;
    for (const auto d : shape) {
        if (d < 0 || (d > 0 && product > kMaxDenseElements / d))
            im.fail(node, "dense shape is not a constant the importer evaluates (negative, or over " +
                              std::to_string(kMaxDenseElements) + " elements)");
        product *= d;
    }
    const auto total = static_cast<std::size_t>(product);
    const bool integral = values.type != ElementType::f32;
    std::vector<double> dense(total, integral ? static_cast<double>(fallback.as_i64().at(0)) : fallback.as_f32().at(0));
    const auto idx = indices.as_i64();
    const std::size_t rank = shape.size();
    const std::size_t n = rank ? idx.size() / std::max<std::size_t>(rank, 1) : 0;
    const auto vf = values.as_f32();
    for (std::size_t k = 0; k < n; ++k) {
        std::size_t flat = 0;
        for (std::size_t i = 0; i < rank; ++i) {
            const auto coord = idx[k * rank + i];
            if (coord < 0 || coord >= shape[i]) im.fail(node, "index out of range");
            flat = flat * static_cast<std::size_t>(shape[i]) + static_cast<std::size_t>(coord);
        }
        dense[flat] = vf.size() == 1 ? vf[0] : vf.at(k);
    }
    if (!integral) return {Value::of_const(HostTensor::from_f32(shape, std::vector<float>(dense.begin(), dense.end())))};
    HostTensor out = HostTensor::from_i64(shape, std::vector<std::int64_t>(dense.begin(), dense.end()));
    return {Value::of_const(convert_host(out, values.type))};
}

struct Padding {
    std::vector<std::int64_t> begin, end;
};

// Spatial padding of an NHWC/NCHW op from TF's padding attribute.
Padding spatial_padding(Importer& im, const TfNode& node, const Shape& spatial_in, const std::vector<std::int64_t>& kernel,
                        const std::vector<std::int64_t>& strides, const std::vector<std::int64_t>& dilations, bool nhwc) {
    const std::string mode = node.attr_string("padding", "VALID");
    Padding p{{0, 0}, {0, 0}};
    if (mode == "VALID") return p;
    if (mode == "SAME") {
        for (std::size_t i = 0; i < 2; ++i) {
            const std::int64_t in = spatial_in[i];
            const std::int64_t out = (in + strides[i] - 1) / strides[i];
            const std::int64_t effective = (kernel[i] - 1) * dilations[i] + 1;
            const std::int64_t total = std::max<std::int64_t>((out - 1) * strides[i] + effective - in, 0);
            p.begin[i] = total / 2;
            p.end[i] = total - p.begin[i];
        }
        return p;
    }
    if (mode == "EXPLICIT") {
        const auto pads = node.attr_ints("explicit_paddings");
        if (pads.size() != 8) im.fail(node, "explicit_paddings must have 8 values");
        const std::size_t h = nhwc ? 1 : 2;
        p.begin = {pads[2 * h], pads[2 * (h + 1)]};
        p.end = {pads[2 * h + 1], pads[2 * (h + 1) + 1]};
        return p;
    }
    im.fail(node, "unsupported padding '" + mode + "'");
}

std::int64_t conv_out(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t dilation, std::int64_t pads) {
    return (in + pads - ((kernel - 1) * dilation + 1)) / stride + 1;
}

constexpr std::int64_t kNhwcToNchw[] = {0, 3, 1, 2};
constexpr std::int64_t kNchwToNhwc[] = {0, 2, 3, 1};

// Brings an NHWC op input to NCHW (the transposes cancel against the model's own later).
Value to_nchw(Importer& im, const TfNode& node, const Value& x, bool nhwc) {
    if (x.shape.size() != 4) im.fail(node, "expects a 4-D input, got " + shape_to_string(x.shape));
    if (!nhwc) return x;
    return im.transpose(x, {std::begin(kNhwcToNchw), std::end(kNhwcToNchw)}, node.name + "/to_nchw");
}

Value from_nchw(Importer& im, const TfNode& node, const Value& y, bool nhwc) {
    if (!nhwc) return y;
    return im.transpose(y, {std::begin(kNchwToNhwc), std::end(kNchwToNhwc)}, node.name + "/to_nhwc");
}

std::vector<std::int64_t> spatial(const std::vector<std::int64_t>& four, bool nhwc, std::int64_t fallback) {
    if (four.size() != 4) return {fallback, fallback};
    return nhwc ? std::vector<std::int64_t>{four[1], four[2]} : std::vector<std::int64_t>{four[2], four[3]};
}

std::vector<Value> translate_conv2d(Importer& im, const TfNode& node) {
    const bool nhwc = node.attr_string("data_format", "NHWC") == "NHWC";
    const Value x = to_nchw(im, node, im.input(node, 0), nhwc);
    const HostTensor& filter_hwio = im.const_input(node, 1);
    if (filter_hwio.shape.size() != 4) im.fail(node, "filter must be 4-D [kh,kw,in,out]");
    const auto strides = spatial(node.attr_ints("strides"), nhwc, 1);
    const auto dilations = spatial(node.attr_ints("dilations"), nhwc, 1);
    const std::vector<std::int64_t> kernel{filter_hwio.shape[0], filter_hwio.shape[1]};
    const Padding pad = spatial_padding(im, node, {x.shape[2], x.shape[3]}, kernel, strides, dilations, nhwc);
    const std::int64_t in_channels = x.shape[1];
    const std::int64_t filter_in = filter_hwio.shape[2];
    const std::int64_t out_channels = filter_hwio.shape[3];
    if (filter_in <= 0 || in_channels % filter_in != 0)
        im.fail(node, "input channels " + std::to_string(in_channels) + " do not fit filter " + shape_to_string(filter_hwio.shape));
    const std::int64_t groups = in_channels / filter_in;
    // HWIO -> OIHW
    HostTensor weights = transpose_host(filter_hwio, {3, 2, 0, 1});
    const Shape out_shape{x.shape[0], out_channels, conv_out(x.shape[2], kernel[0], strides[0], dilations[0], pad.begin[0] + pad.end[0]),
                          conv_out(x.shape[3], kernel[1], strides[1], dilations[1], pad.begin[1] + pad.end[1])};
    const std::vector<std::pair<std::string, std::string>> attrs{
        {"strides", join_ints(strides)}, {"dilations", join_ints(dilations)}, {"pads_begin", join_ints(pad.begin)},
        {"pads_end", join_ints(pad.end)}, {"auto_pad", "explicit"}};
    std::vector<Value> y;
    if (groups == 1) {
        const Source w = im.materialize(Value::of_const(std::move(weights)), node.name + "/weights");
        y = im.emit("Convolution", node.name, {x.source, w}, attrs, {out_shape});
    } else {
        weights.shape = {groups, out_channels / groups, filter_in, kernel[0], kernel[1]};
        const Source w = im.materialize(Value::of_const(std::move(weights)), node.name + "/weights");
        y = im.emit("GroupConvolution", node.name, {x.source, w}, attrs, {out_shape});
    }
    return {from_nchw(im, node, y[0], nhwc)};
}

std::vector<Value> translate_max_pool(Importer& im, const TfNode& node) {
    const bool nhwc = node.attr_string("data_format", "NHWC") == "NHWC";
    const Value x = to_nchw(im, node, im.input(node, 0), nhwc);
    const auto kernel = spatial(node.attr_ints("ksize"), nhwc, 1);
    const auto strides = spatial(node.attr_ints("strides"), nhwc, 1);
    const Padding pad = spatial_padding(im, node, {x.shape[2], x.shape[3]}, kernel, strides, {1, 1}, nhwc);
    const Shape out_shape{x.shape[0], x.shape[1], conv_out(x.shape[2], kernel[0], strides[0], 1, pad.begin[0] + pad.end[0]),
                          conv_out(x.shape[3], kernel[1], strides[1], 1, pad.begin[1] + pad.end[1])};
    auto y = im.emit("MaxPool", node.name, {x.source},
                     {{"strides", join_ints(strides)}, {"pads_begin", join_ints(pad.begin)}, {"pads_end", join_ints(pad.end)},
                      {"kernel", join_ints(kernel)}, {"rounding_type", "floor"}, {"auto_pad", "explicit"}},
                     {out_shape});
    return {from_nchw(im, node, y[0], nhwc)};
}

std::vector<Value> translate_pad(Importer& im, const TfNode& node) {
    const Value x = im.input(node, 0);
    const auto pads = im.const_input(node, 1).as_i64();
    if (pads.size() != 2 * x.shape.size()) im.fail(node, "paddings must be [rank, 2]");
    float value = 0;
    if (node.op == "PadV2") value = im.const_input(node, 2).as_f32().at(0);
    std::vector<std::int64_t> begin, end;
    Shape shape = x.shape;
    for (std::size_t i = 0; i < x.shape.size(); ++i) {
        begin.push_back(pads[2 * i]);
        end.push_back(pads[2 * i + 1]);
        if (shape[i] >= 0) shape[i] += pads[2 * i] + pads[2 * i + 1];
    }
    const Source b = im.const_i64(begin, node.name + "/pads_begin");
    const Source e = im.const_i64(end, node.name + "/pads_end");
    const Source v = im.const_f32({value}, node.name + "/pad_value", {});
    return im.emit("Pad", node.name, {x.source, b, e, v}, {{"pad_mode", "constant"}}, {shape}, x.type);
}

std::vector<Value> translate_concat(Importer& im, const TfNode& node) {
    const std::size_t n = node.inputs.size() - 1;
    const auto axis_value = im.const_input(node, n).as_i64().at(0);
    std::vector<Source> sources;
    Shape shape;
    for (std::size_t i = 0; i < n; ++i) {
        const Value& v = im.input(node, i);
        if (i == 0) shape = v.shape;
        if (v.shape.size() != shape.size()) im.fail(node, "inputs of different ranks cannot be concatenated");
        const auto axis = static_cast<std::size_t>(normalize_axis(axis_value, v.shape.size()));
        if (i > 0) shape[axis] += v.shape[axis];
        sources.push_back(im.materialize(v, node.name + "/in" + std::to_string(i)));
    }
    const auto axis = normalize_axis(axis_value, shape.size());
    return im.emit("Concat", node.name, sources, {{"axis", std::to_string(axis)}}, {shape});
}

std::vector<Value> translate_resize_bilinear(Importer& im, const TfNode& node) {
    const Value x = to_nchw(im, node, im.input(node, 0), true);
    const auto size = im.const_input(node, 1).as_i64();
    if (size.size() != 2) im.fail(node, "size must have 2 values");
    const bool align_corners = node.attr_bool("align_corners", false);
    const bool half_pixel = node.attr_bool("half_pixel_centers", false);
    const std::string transform = align_corners ? "align_corners" : half_pixel ? "half_pixel" : "asymmetric";
    const Source sizes = im.const_i64(size, node.name + "/sizes");
    const Source axes = im.const_i64({2, 3}, node.name + "/axes");
    auto y = im.emit("Interpolate", node.name, {x.source, sizes, axes},
                     {{"mode", "linear"}, {"shape_calculation_mode", "sizes"}, {"coordinate_transformation_mode", transform},
                      {"nearest_mode", "round_prefer_floor"}, {"antialias", "false"}, {"pads_begin", "0,0,0,0"},
                      {"pads_end", "0,0,0,0"}, {"cube_coeff", "-0.75"}},
                     {{x.shape[0], x.shape[1], size[0], size[1]}}, ElementType::f32, "opset11");
    return {from_nchw(im, node, y[0], true)};
}

std::vector<Value> translate_split_v(Importer& im, const TfNode& node) {
    const Value x = im.input(node, 0);
    auto lengths = im.const_input(node, 1).as_i64();
    const auto axis = normalize_axis(im.const_input(node, 2).as_i64().at(0), x.shape.size());
    std::int64_t known = 0, inferred = -1;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        if (lengths[i] < 0) inferred = static_cast<std::int64_t>(i);
        else known += lengths[i];
    }
    if (inferred >= 0) lengths[static_cast<std::size_t>(inferred)] = x.shape[static_cast<std::size_t>(axis)] - known;
    std::vector<Shape> shapes;
    for (auto length : lengths) {
        Shape s = x.shape;
        s[static_cast<std::size_t>(axis)] = length;
        shapes.push_back(s);
    }
    const Source a = im.const_i64({axis}, node.name + "/axis", true);
    const Source l = im.const_i64(lengths, node.name + "/split_lengths");
    return im.emit("VariadicSplit", node.name, {x.source, a, l}, {}, shapes, x.type);
}

// A Reshape target that pins the batch to the converter's batch of 1 would merge images of a
// batched forward: such a leading 1 becomes "copy the input's batch" (special_zero).
std::vector<Value> translate_reshape(Importer& im, const TfNode& node) {
    const Value x = im.input(node, 0);
    auto target = im.const_input(node, 1).as_i64();
    const bool dynamic_batch = !x.shape.empty() && x.shape[0] < 0;
    bool special_zero = false;
    if (dynamic_batch && !target.empty() && target[0] == 1) {
        target[0] = 0;
        special_zero = true;
    }
    Shape shape(target.size());
    std::int64_t known = 1;
    std::int64_t static_elements = 1;
    for (std::size_t i = 1; i < x.shape.size(); ++i) static_elements *= x.shape[i];
    if (!x.shape.empty() && x.shape[0] >= 0) static_elements *= x.shape[0];
    std::int64_t infer_at = -1;
    for (std::size_t i = 0; i < target.size(); ++i) {
        if (target[i] == 0 && special_zero) {
            shape[i] = x.shape.at(i);
            if (shape[i] >= 0) known *= shape[i];
        } else if (target[i] == -1) {
            infer_at = static_cast<std::int64_t>(i);
        } else {
            shape[i] = target[i];
            known *= target[i];
        }
    }
    if (infer_at >= 0) shape[static_cast<std::size_t>(infer_at)] = static_elements / std::max<std::int64_t>(known, 1);
    const Source t = im.const_i64(target, node.name + "/target");
    return im.emit("Reshape", node.name, {x.source, t}, {{"special_zero", special_zero ? "true" : "false"}}, {shape}, x.type);
}

const std::map<std::string, Translator>& translators() {
    static const std::map<std::string, Translator> table{
        {"Const", translate_const},
        {"Placeholder", translate_placeholder},
        {"Identity", translate_identity},
        {"Transpose", translate_transpose},
        {"Conv2D", translate_conv2d},
        {"MaxPool", translate_max_pool},
        {"Pad", translate_pad},
        {"PadV2", translate_pad},
        {"LeakyRelu", translate_leaky_relu},
        {"Relu", translate_relu},
        {"Sigmoid", translate_sigmoid},
        {"Add", translate_add},
        {"AddV2", translate_add},
        {"Sub", translate_sub},
        {"Mul", translate_mul},
        {"ConcatV2", translate_concat},
        {"ResizeBilinear", translate_resize_bilinear},
        {"SplitV", translate_split_v},
        {"Reshape", translate_reshape},
        {"Cast", translate_cast},
        {"Where", translate_where},
        {"SparseToDense", translate_sparse_to_dense},
    };
    return table;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ModelError(path.string() + ": cannot open file");
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

Graph import_tfjs_graph_model(const nlohmann::json& model, const std::vector<std::uint8_t>& weights,
                              const std::string& source_name) {
    // A layers-model (Keras) has modelTopology and weightsManifest too, but no node list.
    if (!model.is_object() || !model.contains("modelTopology") || !model.contains("weightsManifest") ||
        !model["modelTopology"].is_object() || !model["modelTopology"].contains("node") ||
        !model["modelTopology"]["node"].is_array())
        throw ModelError(source_name + ": not a TFJS graph model (no modelTopology.node/weightsManifest)");
    Graph graph;
    try {
        graph = Importer(model, weights, source_name).run();
    } catch (const json::exception& e) {
        throw ModelError(source_name + ": malformed TFJS graph model: " + e.what());
    }
    optimize(graph);
    return graph;
}

Graph import_tfjs_graph_model(const std::filesystem::path& model_json) {
    std::ifstream in(model_json);
    if (!in) throw ModelError(model_json.string() + ": cannot open file");
    json model;
    try {
        model = json::parse(in);
    } catch (const json::exception& e) {
        throw ModelError(model_json.string() + ": not valid JSON: " + e.what());
    }
    std::vector<std::uint8_t> weights;
    if (model.contains("weightsManifest"))
        for (const auto& group : model["weightsManifest"])
            for (const auto& shard : group.at("paths")) {
                const auto bytes = read_file(model_json.parent_path() / shard.get<std::string>());
                weights.insert(weights.end(), bytes.begin(), bytes.end());
            }
    return import_tfjs_graph_model(model, weights, model_json.string());
}

}  // namespace detserve::graph
