#include "detserve/app/metadata_yaml.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

namespace detserve::app {
namespace {

using nlohmann::json;

struct Line {
    int number = 0;  // 1-based, for messages
    int indent = 0;
    std::string text;  // without the indentation and a trailing comment
};

[[noreturn]] void fail(int line, const std::string& why) {
    throw MetadataError("metadata.yaml line " + std::to_string(line) + ": " + why);
}

// The first position in `text`, outside single or double quotes, where `at(text, i)` holds;
// npos if none.
template <typename Predicate>
std::size_t find_unquoted(std::string_view text, Predicate at) {
    char quote = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (at(text, i)) {
            return i;
        }
    }
    return std::string_view::npos;
}

// The text up to a comment: '#' at the start or after a space, outside quotes.
std::string without_comment(std::string_view text) {
    const auto hash = find_unquoted(text, [](std::string_view t, std::size_t i) {
        return t[i] == '#' && (i == 0 || t[i - 1] == ' ');
    });
    if (hash != std::string_view::npos) text = text.substr(0, hash);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\t')) text.remove_suffix(1);
    return std::string(text);
}

std::vector<Line> split_lines(std::string_view text) {
    std::vector<Line> lines;
    int number = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view raw = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        ++number;
        const auto first = raw.find_first_not_of(' ');
        if (first == std::string_view::npos) continue;
        if (raw[first] == '\t') fail(number, "a tab in the indentation");
        std::string content = without_comment(raw.substr(first));
        if (content.empty()) continue;
        if (content == "---" || content == "...") continue;
        lines.push_back({number, static_cast<int>(first), std::move(content)});
    }
    return lines;
}

std::string scalar(std::string_view text, int line) {
    if (text.empty()) return {};
    const char first = text.front();
    if (first == '\'' || first == '"') {
        if (text.size() < 2 || text.back() != first) fail(line, "a quoted value that does not end on its line");
        const std::string_view inner = text.substr(1, text.size() - 2);
        std::string out;
        for (std::size_t i = 0; i < inner.size(); ++i) {
            if (first == '\'' && inner[i] == '\'' && i + 1 < inner.size() && inner[i + 1] == '\'') {
                out += '\'';
                ++i;
            } else if (first == '"' && inner[i] == '\\' && i + 1 < inner.size()) {
                const char e = inner[++i];
                out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
            } else {
                out += inner[i];
            }
        }
        return out;
    }
    if (first == '{' || first == '&' || first == '*' || first == '!' || first == '|' || first == '>')
        fail(line, "'" + std::string(1, first) + "' (flow mappings, anchors, tags and block scalars are not read)");
    return std::string(text);
}

// A value on the key's own line: a scalar, or a flow sequence of scalars ("[640, 640]").
json inline_value(std::string_view text, int line) {
    if (text.empty() || text.front() != '[') return scalar(text, line);
    if (text.back() != ']') fail(line, "a flow sequence that does not end on its line");
    json items = json::array();
    std::string_view inner = text.substr(1, text.size() - 2);
    while (!inner.empty()) {
        const auto comma = inner.find(',');
        std::string_view item = inner.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) items.push_back(scalar(item, line));
        if (comma == std::string_view::npos) break;
        inner.remove_prefix(comma + 1);
    }
    return items;
}

// The position of a mapping's ':' (followed by a space or the end), outside quotes; npos if none.
std::size_t key_colon(const std::string& text) {
    return find_unquoted(text, [](std::string_view t, std::size_t i) {
        return t[i] == ':' && (i + 1 == t.size() || t[i + 1] == ' ');
    });
}

bool is_item(const Line& line) { return line.text == "-" || line.text.rfind("- ", 0) == 0; }

class Parser {
public:
    explicit Parser(std::vector<Line> lines) : lines_(std::move(lines)) {}

    json document() {
        if (lines_.empty()) return json::object();
        json out = block(lines_[0].indent);
        if (pos_ < lines_.size()) fail(lines_[pos_].number, "indentation does not match any block above it");
        return out;
    }

private:
    json block(int indent) {
        return is_item(lines_[pos_]) ? sequence(indent) : mapping(indent);
    }

    // The value after "key:" or "-" with nothing on the line: the block below, if deeper (or a
    // sequence at the key's own indentation, as PyYAML writes lists under a key); else null.
    json nested(int indent, bool allow_same_indent_sequence) {
        if (pos_ >= lines_.size()) return nullptr;
        const Line& next = lines_[pos_];
        if (next.indent > indent) return block(next.indent);
        if (allow_same_indent_sequence && next.indent == indent && is_item(next)) return sequence(indent);
        return nullptr;
    }

    json sequence(int indent) {
        json items = json::array();
        while (pos_ < lines_.size() && lines_[pos_].indent == indent && is_item(lines_[pos_])) {
            const Line& line = lines_[pos_++];
            std::string rest = line.text.size() > 2 ? line.text.substr(2) : "";
            const auto start = rest.find_first_not_of(' ');
            rest = start == std::string::npos ? "" : rest.substr(start);
            if (rest.empty()) items.push_back(nested(indent, false));
            else if (key_colon(rest) != std::string::npos) fail(line.number, "a mapping inside a sequence item");
            else items.push_back(inline_value(rest, line.number));
        }
        return items;
    }

    json mapping(int indent) {
        json object = json::object();
        while (pos_ < lines_.size() && lines_[pos_].indent == indent && !is_item(lines_[pos_])) {
            const Line& line = lines_[pos_++];
            const auto colon = key_colon(line.text);
            if (colon == std::string::npos) fail(line.number, "expected 'key: value'");
            const std::string key = scalar(line.text.substr(0, colon), line.number);
            std::string rest = line.text.substr(colon + 1);
            const auto start = rest.find_first_not_of(' ');
            rest = start == std::string::npos ? "" : rest.substr(start);
            object[key] = rest.empty() ? nested(indent, true) : inline_value(rest, line.number);
        }
        if (pos_ < lines_.size() && lines_[pos_].indent > indent)
            fail(lines_[pos_].number, "indented deeper than the mapping it follows, after a value");
        return object;
    }

    std::vector<Line> lines_;
    std::size_t pos_ = 0;
};

std::optional<long long> integer(const json& value) {
    if (!value.is_string()) return std::nullopt;
    const std::string& text = value.get_ref<const std::string&>();
    long long n = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return n;
}

// The most classes a names mapping may declare: ids are indices into a label vector.
constexpr long long kMaxClassId = 100000;

json labels_from_names(const json& names) {
    std::vector<std::string> labels;
    auto put = [&](long long id, const json& name) {
        if (id < 0 || id > kMaxClassId) throw MetadataError("metadata.yaml names: class id " + std::to_string(id) + " out of range");
        if (!name.is_string()) throw MetadataError("metadata.yaml names: class " + std::to_string(id) + " has no name");
        if (labels.size() <= static_cast<std::size_t>(id)) labels.resize(static_cast<std::size_t>(id) + 1);
        labels[static_cast<std::size_t>(id)] = name.get<std::string>();
    };
    if (names.is_array()) {
        for (std::size_t i = 0; i < names.size(); ++i) put(static_cast<long long>(i), names[i]);
    } else if (names.is_object()) {
        for (const auto& [key, name] : names.items()) {
            const auto id = integer(json(key));
            if (!id) throw MetadataError("metadata.yaml names: key '" + key + "' is not a class id");
            put(*id, name);
        }
    } else {
        throw MetadataError("metadata.yaml names: expected a mapping of class id to name");
    }
    if (labels.empty()) throw MetadataError("metadata.yaml names: no class");
    return labels;
}

}  // namespace

json parse_metadata_yaml(std::string_view text) {
    // YAML is UTF-8 (or UTF-16/32 with a byte order mark, which no exporter writes); nlohmann's
    // serializer is the check, and what is read goes into JSON anyway.
    try {
        (void)json(std::string(text)).dump();
    } catch (const json::type_error&) {
        throw MetadataError("metadata.yaml: not UTF-8 text");
    }
    return Parser(split_lines(text)).document();
}

json spec_fields_from_metadata(const json& metadata) {
    json fields = json::object();
    if (!metadata.is_object()) throw MetadataError("metadata.yaml: expected a mapping at the top");
    if (const auto task = metadata.find("task"); task != metadata.end() && *task != "detect")
        throw MetadataError("metadata.yaml: task '" + (task->is_string() ? task->get<std::string>() : std::string(task->type_name())) +
                            "' is not detect (detserve serves detection heads)");
    if (const auto names = metadata.find("names"); names != metadata.end()) fields["labels"] = labels_from_names(*names);
    if (const auto imgsz = metadata.find("imgsz"); imgsz != metadata.end()) {
        std::optional<long long> h, w;
        if (imgsz->is_array() && imgsz->size() == 2) h = integer((*imgsz)[0]), w = integer((*imgsz)[1]);
        else h = w = integer(*imgsz);
        if (!h || !w || *h <= 0 || *w <= 0 || *h > kMaxClassId || *w > kMaxClassId)
            throw MetadataError("metadata.yaml imgsz: expected [height, width] in pixels");
        fields["input_size"] = {*w, *h};
    }
    if (const auto args = metadata.find("args"); args != metadata.end() && args->is_object())
        if (const auto nms = args->find("nms"); nms != args->end() && *nms == "true") fields["model_type"] = "detections";
    return fields;
}

}  // namespace detserve::app
