#include "detserve/graph/model_file_kind.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

namespace detserve::graph {
namespace {

// ModelProto field numbers (onnx/onnx.proto).
constexpr std::uint64_t kIrVersionField = 1;
constexpr std::uint64_t kModelVersionField = 5;
constexpr std::uint64_t kGraphField = 7;
constexpr std::uint64_t kOpsetImportField = 8;

enum WireType : std::uint64_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

// How much of the file a message quotes when it is text.
constexpr std::size_t kQuotedChars = 40;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// Skips a UTF-8 byte order mark and whitespace, then any XML declaration, processing
// instructions, comments and DOCTYPE; returns the name of the first element, or nullopt where the
// text does not start like XML.
std::optional<std::string> first_element(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    for (;;) {
        const auto start = text.find_first_not_of(" \t\r\n");
        if (start == std::string_view::npos || text[start] != '<') return std::nullopt;
        text.remove_prefix(start);
        std::string_view close;
        if (text.substr(0, 2) == "<?") close = "?>";
        else if (text.substr(0, 4) == "<!--") close = "-->";
        else if (text.substr(0, 2) == "<!") close = ">";
        if (close.empty()) break;
        const auto end = text.find(close);
        if (end == std::string_view::npos) return std::nullopt;
        text.remove_prefix(end + close.size());
    }
    text.remove_prefix(1);
    const auto end = text.find_first_of(" \t\r\n/>");
    const std::string_view name = text.substr(0, end);
    if (name.empty() || end == std::string_view::npos) return std::nullopt;
    return std::string(name);
}

std::optional<std::uint64_t> read_varint(std::span<const std::uint8_t> bytes, std::size_t& at) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && at < bytes.size(); shift += 7) {
        const std::uint8_t byte = bytes[at++];
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return value;
    }
    return std::nullopt;
}

// Empty when `bytes` is a well-formed ModelProto at its top level, else what is wrong.
std::string modelproto_problem(std::span<const std::uint8_t> bytes) {
    bool has_ir_version = false, has_graph = false, has_opset_import = false;
    std::size_t at = 0;
    while (at < bytes.size()) {
        const std::size_t field_start = at;
        const auto key = read_varint(bytes, at);
        if (!key) return "its protobuf is cut short in a field key at byte " + std::to_string(field_start);
        const std::uint64_t field = *key >> 3, wire = *key & 7;
        const std::string where = "field " + std::to_string(field) + " at byte " + std::to_string(field_start);
        if (field == 0) return "byte " + std::to_string(field_start) + " is no protobuf field key";
        const bool integer_field = field == kIrVersionField || field == kModelVersionField;
        if (integer_field != (wire == varint) && field <= kGraphField)
            return where + " has wire type " + std::to_string(wire) + ", not that of a ModelProto";
        switch (wire) {
            case varint:
                if (!read_varint(bytes, at)) return "its protobuf is cut short in " + where;
                break;
            case fixed64:
            case fixed32: {
                const std::size_t size = wire == fixed64 ? 8 : 4;
                if (bytes.size() - at < size) return "its protobuf is cut short in " + where;
                at += size;
                break;
            }
            case length_delimited: {
                const auto length = read_varint(bytes, at);
                if (!length) return "its protobuf is cut short in " + where;
                if (*length > bytes.size() - at)
                    return "its protobuf is cut short: " + where + " needs " + std::to_string(*length) +
                           " bytes, the file has " + std::to_string(bytes.size() - at) + " left";
                at += static_cast<std::size_t>(*length);
                break;
            }
            default: return where + " has wire type " + std::to_string(wire) + ", which no ModelProto field has";
        }
        has_ir_version |= field == kIrVersionField;
        has_graph |= field == kGraphField;
        has_opset_import |= field == kOpsetImportField;
    }
    if (!has_ir_version) return "it has no ir_version (field 1)";
    if (!has_graph) return "it has no graph (field 7)";
    // Exporters write it after the graph, so a file cut between the two lacks it.
    if (!has_opset_import) return "it has no opset_import (field 8): cut short after its graph?";
    return {};
}

std::string describe_text(std::string_view text) {
    const auto start = text.find_first_not_of(" \t\r\n");
    std::string quoted(text.substr(start == std::string_view::npos ? 0 : start, kQuotedChars));
    const auto newline = quoted.find_first_of("\r\n");
    if (newline != std::string::npos) quoted.resize(newline);
    return "it starts with '" + quoted + "'";
}

bool printable(std::span<const std::uint8_t> bytes) {
    const auto head = bytes.subspan(0, std::min<std::size_t>(bytes.size(), 512));
    return std::all_of(head.begin(), head.end(), [](std::uint8_t c) { return c >= 0x20 || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

ModelFileKind model_file_kind(std::span<const std::uint8_t> content) {
    if (content.empty()) return {ModelFormat::unknown, "the file is empty"};
    const std::string_view text = as_text(content);
    if (const auto element = first_element(text)) {
        if (*element == "net") return {ModelFormat::openvino_ir, {}};
        if (lower(*element) == "html" || lower(text.substr(0, 512)).find("<!doctype html") != std::string::npos)
            return {ModelFormat::unknown, "it is an HTML page"};
        return {ModelFormat::unknown, "it is XML whose root element is <" + *element + ">, not <net>"};
    }
    const std::string problem = modelproto_problem(content);
    if (problem.empty()) return {ModelFormat::onnx, {}};
    // Text that is not XML is not worth a protobuf diagnosis.
    if (printable(content)) return {ModelFormat::unknown, "it is text: " + describe_text(text)};
    return {ModelFormat::unknown, problem};
}

}  // namespace detserve::graph
