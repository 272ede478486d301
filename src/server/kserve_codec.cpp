#include "kserve_codec.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "client_json.hpp"
#include "json_text.hpp"

namespace detserve::server::kserve {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& message) { throw ApiError(400, "invalid_request", message); }

std::uint32_t read_u32_le(std::string_view bytes) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    return value;
}

void append_u32_le(std::string& out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::string describe_input(std::size_t index, const std::string& name) {
    return "inputs[" + std::to_string(index) + "]" + (name.empty() ? "" : " ('" + name + "')");
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) text += ',';
        text += std::to_string(shape[i]);
    }
    return text + "]";
}

// The number of elements `shape` holds; dimensions must be non-negative integers whose product
// fits in 64 bits (a zero dimension makes it 0 whatever the others are).
std::vector<std::int64_t> parse_shape(const json& value, const std::string& where, std::int64_t& count) {
    if (!value.is_array()) invalid(where + ": shape must be an array of integers, got " + describe_client_value(value));
    std::vector<std::int64_t> shape;
    bool overflow = false, zero = false;
    count = 1;
    for (const auto& dim : value) {
        if (!dim.is_number_integer() || (dim.is_number_unsigned() && dim.get<std::uint64_t>() > INT64_MAX) ||
            dim.get<std::int64_t>() < 0)
            invalid(where + ": shape must hold non-negative integers below 2^63, got " + describe_client_value(dim));
        shape.push_back(dim.get<std::int64_t>());
        zero = zero || shape.back() == 0;
        overflow = overflow || __builtin_mul_overflow(count, shape.back(), &count);
    }
    if (zero) count = 0;
    else if (overflow) invalid(where + ": shape " + shape_text(shape) + " holds more than 2^63 elements");
    return shape;
}

// The leaves of nested arrays in row-major order; iterative, whatever the depth.
std::vector<const json*> flatten(const json& data) {
    std::vector<const json*> out;
    std::vector<const json*> pending{&data};  // a stack: the next value to visit on top
    while (!pending.empty()) {
        const json* value = pending.back();
        pending.pop_back();
        if (!value->is_array()) {
            out.push_back(value);
            continue;
        }
        for (auto it = value->rbegin(); it != value->rend(); ++it) pending.push_back(&*it);
    }
    return out;
}

std::vector<std::string> elements_from_json(const json& data, const std::string& where) {
    const std::vector<const json*> items = flatten(data);
    std::vector<std::string> elements;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const json& item = *items[i];
        const json* text = &item;
        if (item.is_object() && item.contains("b64")) text = &item["b64"];
        if (!text->is_string())
            invalid(where + ": data[" + std::to_string(i) +
                    "] must be a base64 string (or {\"b64\": \"…\"}) holding JPEG or PNG bytes");
        try {
            elements.push_back(base64_decode(text->get_ref<const std::string&>()));
        } catch (const std::invalid_argument& e) {
            invalid(where + ": data[" + std::to_string(i) + "] is not base64: " + e.what());
        }
    }
    return elements;
}

std::vector<std::string> elements_from_binary(std::string_view chunk, const std::string& where) {
    std::vector<std::string> elements;
    try {
        for (auto view : decode_bytes_elements(chunk)) elements.emplace_back(view);
    } catch (const std::invalid_argument& e) {
        invalid(where + ": binary BYTES data: " + e.what());
    }
    return elements;
}

// A JPEG or PNG signature read as a length prefix would claim over 1 GiB: such bytes are one raw
// image, not length-prefixed elements.
bool starts_like_image(std::string_view bytes) {
    return bytes.substr(0, 3) == "\xFF\xD8\xFF" || bytes.substr(0, 4) == "\x89PNG";
}

InferInput parse_input(const json& value, std::size_t index, std::string_view binary, std::size_t& offset,
                       bool only_input) {
    std::string where = describe_input(index, "");
    if (!value.is_object()) invalid(where + ": must be an object ($request_input)");
    InferInput input;
    if (!value.contains("name") || !value["name"].is_string()) invalid(where + ": name must be a string");
    input.name = value["name"].get<std::string>();
    where = describe_input(index, input.name);
    if (!value.contains("datatype") || !value["datatype"].is_string()) invalid(where + ": datatype must be a string");
    input.datatype = value["datatype"].get<std::string>();
    if (input.datatype != "BYTES")
        invalid(where + ": datatype '" + input.datatype + "' is not accepted; send JPEG or PNG bytes as BYTES");
    if (!value.contains("shape")) invalid(where + ": shape is missing");
    std::int64_t count = 0;
    input.shape = parse_shape(value["shape"], where, count);

    const json parameters = value.value("parameters", json::object());
    if (!parameters.is_object()) invalid(where + ": parameters must be an object");
    const bool has_size = parameters.contains("binary_data_size");
    if (has_size && value.contains("data")) invalid(where + ": has both data and parameters.binary_data_size");

    if (value.contains("data")) {
        input.elements = elements_from_json(value["data"], where);
    } else if (has_size) {
        const json& size = parameters["binary_data_size"];
        if (!size.is_number_integer() || size.get<std::int64_t>() < 0)
            invalid(where + ": parameters.binary_data_size must be a non-negative integer");
        const auto bytes = size.get<std::uint64_t>();
        const std::size_t left = binary.size() - offset;
        if (bytes > left)
            invalid(where + ": binary_data_size " + std::to_string(bytes) + " runs past the end of the body (" +
                    std::to_string(left) + " bytes of binary data left" +
                    (binary.empty() ? std::string("; is the Inference-Header-Content-Length header missing?") : "") +
                    ")");
        input.elements = elements_from_binary(binary.substr(offset, bytes), where);
        offset += bytes;
    } else if (only_input && offset < binary.size()) {
        const auto chunk = binary.substr(offset);
        offset = binary.size();
        if (count == 1 && starts_like_image(chunk))
            input.elements.emplace_back(chunk);
        else
            input.elements = elements_from_binary(chunk, where);
    } else {
        invalid(where + ": has neither data nor parameters.binary_data_size");
    }
    if (static_cast<std::int64_t>(input.elements.size()) != count)
        invalid(where + ": shape " + shape_text(input.shape) + " holds " + std::to_string(count) +
                " elements, the data has " + std::to_string(input.elements.size()));
    return input;
}

RequestedOutput parse_requested_output(const json& value, std::size_t index) {
    const std::string where = "outputs[" + std::to_string(index) + "]";
    if (!value.is_object() || !value.contains("name") || !value["name"].is_string())
        invalid(where + ": must be an object with a name ($request_output)");
    RequestedOutput output{value["name"].get<std::string>(), std::nullopt};
    const json parameters = value.value("parameters", json::object());
    if (!parameters.is_object()) invalid(where + ": parameters must be an object");
    if (parameters.contains("binary_data")) {
        if (!parameters["binary_data"].is_boolean()) invalid(where + ": parameters.binary_data must be a boolean");
        output.binary = parameters["binary_data"].get<bool>();
    }
    return output;
}

// The float's shortest decimal form as a double, so that JSON shows 95.52 rather than
// 95.5199966430664 and still parses back to the same FP32 value.
double shortest(float value) {
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
    if (ec != std::errc()) return value;
    *end = '\0';
    return std::strtod(text, nullptr);
}

json json_data(const OutputTensor& tensor) {
    json data = json::array();
    if (const auto* floats = std::get_if<std::vector<float>>(&tensor.data))
        for (float v : *floats) data.push_back(shortest(v));
    else if (const auto* ints = std::get_if<std::vector<std::int32_t>>(&tensor.data))
        for (auto v : *ints) data.push_back(v);
    else
        for (const auto& v : std::get<std::vector<std::string>>(tensor.data)) data.push_back(v);
    return data;
}

// Little-endian, row-major, no padding; BYTES elements length-prefixed.
std::string binary_data(const OutputTensor& tensor) {
    std::string out;
    if (const auto* floats = std::get_if<std::vector<float>>(&tensor.data)) {
        for (float v : *floats) {
            std::uint32_t bits = 0;
            std::memcpy(&bits, &v, sizeof bits);
            append_u32_le(out, bits);
        }
    } else if (const auto* ints = std::get_if<std::vector<std::int32_t>>(&tensor.data)) {
        for (auto v : *ints) append_u32_le(out, static_cast<std::uint32_t>(v));
    } else {
        out = encode_bytes_elements(std::get<std::vector<std::string>>(tensor.data));
    }
    return out;
}

const OutputTensor* find_output(const std::vector<OutputTensor>& outputs, const std::string& name) {
    for (const auto& output : outputs)
        if (output.name == name) return &output;
    return nullptr;
}

}  // namespace

BodyParts split_body(std::string_view body, const std::optional<std::string>& header_length) {
    if (!header_length) return {body, {}};
    std::string_view text = *header_length;
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    std::uint64_t length = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        invalid(std::string(kHeaderLengthHeader) + ": expected the JSON header's size in bytes, got '" +
                *header_length + "'");
    if (length > body.size())
        invalid(std::string(kHeaderLengthHeader) + " (" + std::to_string(length) + ") is larger than the body (" +
                std::to_string(body.size()) + " bytes)");
    return {body.substr(0, length), body.substr(length)};
}

std::vector<std::string_view> decode_bytes_elements(std::string_view data) {
    std::vector<std::string_view> elements;
    std::size_t offset = 0;
    while (offset < data.size()) {
        const std::size_t left = data.size() - offset;
        const std::string which = "element " + std::to_string(elements.size());
        if (left < 4)
            throw std::invalid_argument(which + ": its 4-byte length prefix is cut short (" + std::to_string(left) +
                                        " bytes left)");
        const std::uint32_t length = read_u32_le(data.substr(offset, 4));
        if (length > left - 4)
            throw std::invalid_argument(which + ": length " + std::to_string(length) + " runs past the end (" +
                                        std::to_string(left - 4) + " bytes left)");
        elements.push_back(data.substr(offset + 4, length));
        offset += 4 + length;
    }
    return elements;
}

std::string encode_bytes_elements(const std::vector<std::string>& elements) {
    std::string out;
    for (const auto& element : elements) {
        append_u32_le(out, static_cast<std::uint32_t>(element.size()));
        out += element;
    }
    return out;
}

std::string base64_decode(std::string_view text) {
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t end = text.size();
    while (end > 0 && text.size() - end < 2 && text[end - 1] == '=') --end;
    if (end % 4 == 1) throw std::invalid_argument("its length (" + std::to_string(end) + " digits) is not possible");
    if (end != text.size() && text.size() % 4 != 0) throw std::invalid_argument("wrong padding");
    std::string out;
    out.reserve(end / 4 * 3 + 2);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < end; ++i) {
        const auto digit = alphabet.find(text[i]);
        if (digit == std::string_view::npos)
            throw std::invalid_argument("character " + std::to_string(i) + " is not a base64 digit");
        buffer = (buffer << 6) | static_cast<std::uint32_t>(digit);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    return out;
}

InferRequest parse_infer_request(std::string_view json_text, std::string_view binary) {
    const json doc = parse_client_json(json_text, "invalid_request");
    if (!doc.is_object()) invalid("the body must be a JSON object ($inference_request)");

    InferRequest request;
    if (doc.contains("id")) {
        if (!doc["id"].is_string()) invalid("id must be a string");
        request.id = doc["id"].get<std::string>();
    }
    if (doc.contains("parameters")) {
        if (!doc["parameters"].is_object()) invalid("parameters must be an object");
        request.parameters = doc["parameters"];
        if (request.parameters.contains("binary_data_output")) {
            if (!request.parameters["binary_data_output"].is_boolean())
                invalid("parameters.binary_data_output must be a boolean");
            request.binary_data_output = request.parameters["binary_data_output"].get<bool>();
        }
    }
    if (!doc.contains("inputs") || !doc["inputs"].is_array() || doc["inputs"].empty())
        invalid("inputs must be a non-empty array");
    std::size_t offset = 0;
    const auto& inputs = doc["inputs"];
    for (std::size_t i = 0; i < inputs.size(); ++i)
        request.inputs.push_back(parse_input(inputs[i], i, binary, offset, inputs.size() == 1));
    if (offset != binary.size())
        invalid(std::to_string(binary.size() - offset) +
                " bytes of binary data follow the last input's binary_data_size");

    if (doc.contains("outputs")) {
        if (!doc["outputs"].is_array()) invalid("outputs must be an array");
        for (std::size_t i = 0; i < doc["outputs"].size(); ++i)
            request.outputs.push_back(parse_requested_output(doc["outputs"][i], i));
    }
    return request;
}

void check_requested_outputs(const std::vector<RequestedOutput>& requested, const std::vector<OutputTensor>& available) {
    for (const auto& output : requested) {
        if (find_output(available, output.name)) continue;
        std::string names;
        for (const auto& a : available) names += (names.empty() ? "" : ", ") + a.name;
        invalid("unknown output '" + output.name + "' (outputs: " + names + ")");
    }
}

EncodedResponse encode_infer_response(const std::string& model_name, const std::string& id,
                                      const nlohmann::ordered_json& parameters, const std::vector<OutputTensor>& outputs,
                                      const InferRequest& request) {
    check_requested_outputs(request.outputs, outputs);
    std::vector<std::pair<const OutputTensor*, bool>> selected;  // tensor, as binary
    if (request.outputs.empty())
        for (const auto& output : outputs) selected.emplace_back(&output, request.binary_data_output);
    else
        for (const auto& wanted : request.outputs)
            selected.emplace_back(find_output(outputs, wanted.name), wanted.binary.value_or(request.binary_data_output));

    nlohmann::ordered_json body;
    body["model_name"] = model_name;
    body["id"] = id;
    if (!parameters.empty()) body["parameters"] = parameters;
    body["outputs"] = nlohmann::ordered_json::array();
    std::string tail;
    bool any_binary = false;
    for (const auto& [tensor, binary] : selected) {
        nlohmann::ordered_json out{{"name", tensor->name}, {"datatype", tensor->datatype}, {"shape", tensor->shape}};
        if (binary) {
            const std::string bytes = binary_data(*tensor);
            out["parameters"] = {{"binary_data_size", bytes.size()}};
            tail += bytes;
            any_binary = true;
        } else {
            out["data"] = json_data(*tensor);
        }
        body["outputs"].push_back(std::move(out));
    }
    EncodedResponse encoded{server::json_text(body), std::nullopt};
    if (any_binary) {
        encoded.header_length = encoded.body.size();
        encoded.body += tail;
    }
    return encoded;
}

std::vector<OutputTensor> detection_outputs(const std::vector<detect::Detection>& detections) {
    const auto n = static_cast<std::int64_t>(detections.size());
    std::vector<float> boxes, scores;
    std::vector<std::int32_t> class_ids;
    std::vector<std::string> labels;
    for (const auto& d : detections) {
        boxes.insert(boxes.end(), {d.box.x_min, d.box.y_min, d.box.x_max, d.box.y_max});
        scores.push_back(d.score);
        class_ids.push_back(d.class_id);
        labels.push_back(d.label);
    }
    return {{"boxes", "FP32", {n, 4}, std::move(boxes)},
            {"scores", "FP32", {n}, std::move(scores)},
            {"class_ids", "INT32", {n}, std::move(class_ids)},
            {"labels", "BYTES", {n}, std::move(labels)}};
}

}  // namespace detserve::server::kserve
