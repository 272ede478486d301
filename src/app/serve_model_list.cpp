#include "serve_model_list.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

#include "detserve/detect/nms.hpp"
#include "detserve/engine/engine.hpp"

namespace detserve::app {
namespace {

using Json = nlohmann::ordered_json;

// A value an entry's key cannot take; the caller adds where.
struct BadEntryValue {
    std::string message;
};

std::string checked_string(const Json& value) {
    if (!value.is_string() || value.get<std::string>().empty())
        throw BadEntryValue{"expected a non-empty string, got " + value.dump()};
    return value.get<std::string>();
}

std::string checked_choice(const Json& value, const std::string& key, const std::vector<std::string>& names,
                           const std::function<bool(const std::string&)>& accepts) {
    std::string listed;
    for (const auto& name : names) listed += (listed.empty() ? "" : ", ") + name;
    if (!value.is_string()) throw BadEntryValue{"expected one of " + listed + ", got " + value.dump()};
    if (!accepts(value.get<std::string>()))
        throw BadEntryValue{"unknown " + key + " " + value.dump() + " (" + listed + ")"};
    return value.get<std::string>();
}

int checked_integer(const Json& value, int min, int max) {
    if (!value.is_number_integer() || value.get<std::int64_t>() < min || value.get<std::int64_t>() > max)
        throw BadEntryValue{"expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                            value.dump()};
    return value.get<int>();
}

double checked_fraction(const Json& value) {
    if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= 1))
        throw BadEntryValue{"expected a number in [0, 1], got " + value.dump()};
    return value.get<double>();
}

template <typename Kind>
std::vector<std::string> names_of(std::initializer_list<Kind> kinds) {
    std::vector<std::string> out;
    for (const auto kind : kinds) out.emplace_back(engine::to_string(kind));
    return out;
}

// One row per key an entry may hold: reads it into the entry, and writes it back out.
struct EntryKey {
    std::string name;
    std::function<void(ModelSetting&, const Json&)> read;
    std::function<void(const ModelSetting&, Json&)> write;
};

template <typename T>
void write_optional(const std::optional<T>& value, const std::string& key, Json& out) {
    if (value) out[key] = *value;
}

const std::vector<EntryKey>& entry_keys() {
    static const std::vector<EntryKey> keys{
        {"name",
         [](ModelSetting& m, const Json& v) {
             m.name = checked_string(v);
             if (!is_model_name(m.name))
                 throw BadEntryValue{"expected letters, digits, '.', '_' or '-' (a URL path segment), got " + v.dump()};
         },
         [](const ModelSetting& m, Json& out) { out["name"] = m.name; }},
        {"path", [](ModelSetting& m, const Json& v) { m.path = checked_string(v); },
         [](const ModelSetting& m, Json& out) { out["path"] = m.path; }},
        {"engine",
         [](ModelSetting& m, const Json& v) {
             m.engine = checked_choice(
                 v, "engine",
                 names_of({engine::EngineKind::automatic, engine::EngineKind::openvino, engine::EngineKind::opencv}),
                 [](const std::string& s) { return engine::engine_kind_from_string(s).has_value(); });
         },
         [](const ModelSetting& m, Json& out) { write_optional(m.engine, "engine", out); }},
        {"precision",
         [](ModelSetting& m, const Json& v) {
             m.precision = checked_choice(
                 v, "precision",
                 names_of({engine::Precision::automatic, engine::Precision::f32, engine::Precision::bf16}),
                 [](const std::string& s) { return engine::precision_from_string(s).has_value(); });
         },
         [](const ModelSetting& m, Json& out) { write_optional(m.precision, "precision", out); }},
        {"streams", [](ModelSetting& m, const Json& v) { m.streams = checked_integer(v, 1, 64); },
         [](const ModelSetting& m, Json& out) { write_optional(m.streams, "streams", out); }},
        {"threshold", [](ModelSetting& m, const Json& v) { m.threshold = checked_fraction(v); },
         [](const ModelSetting& m, Json& out) { write_optional(m.threshold, "threshold", out); }},
        {"iou_threshold", [](ModelSetting& m, const Json& v) { m.iou_threshold = checked_fraction(v); },
         [](const ModelSetting& m, Json& out) { write_optional(m.iou_threshold, "iou_threshold", out); }},
        {"max_detections", [](ModelSetting& m, const Json& v) { m.max_detections = checked_integer(v, 1, 10000); },
         [](const ModelSetting& m, Json& out) { write_optional(m.max_detections, "max_detections", out); }},
        {"nms",
         [](ModelSetting& m, const Json& v) {
             m.nms = checked_choice(v, "nms", {"model", "class_wise", "agnostic"}, [](const std::string& s) {
                 return s == "model" || detect::nms_mode_from_string(s).has_value();
             });
         },
         [](const ModelSetting& m, Json& out) { write_optional(m.nms, "nms", out); }},
    };
    return keys;
}

std::string accepted_keys() {
    std::string out;
    for (const auto& key : entry_keys()) out += (out.empty() ? "" : ", ") + key.name;
    return out;
}

std::string at(std::size_t index) { return "[" + std::to_string(index) + "]"; }

ModelSetting parse_entry(const Json& entry, std::size_t index) {
    if (!entry.is_object())
        throw ModelListError(at(index), "expected an object {\"name\": …, \"path\": …}, got " + entry.dump());
    ModelSetting model;
    for (const auto& [key, value] : entry.items()) {
        // A named copy: clang 14 (the fuzz build's) cannot capture a structured binding.
        const std::string& name = key;
        const auto row = std::find_if(entry_keys().begin(), entry_keys().end(),
                                      [&name](const EntryKey& k) { return k.name == name; });
        if (row == entry_keys().end())
            throw ModelListError(at(index) + "." + key, "unknown key (a model takes " + accepted_keys() + ")");
        if (value.is_null() && key != "name" && key != "path") continue;  // null: the top-level setting
        try {
            row->read(model, value);
        } catch (const BadEntryValue& e) {
            throw ModelListError(at(index) + "." + key, e.message);
        }
    }
    if (model.name.empty()) throw ModelListError(at(index) + ".name", "missing: every model needs a name");
    if (model.path.empty()) throw ModelListError(at(index) + ".path", "missing: every model needs a path");
    return model;
}

}  // namespace

bool is_model_name(std::string_view name) {
    if (name.empty() || name.front() == '.' || name.size() > 128) return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-';
    });
}

void check_unique_names(const std::vector<ModelSetting>& models) {
    for (std::size_t i = 0; i < models.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (models[i].name == models[j].name)
                throw ModelListError(at(i) + ".name", "duplicate name '" + models[i].name + "' (models" + at(j) +
                                                          " has it; names must be unique)");
}

std::vector<ModelSetting> parse_model_list(const Json& list) {
    if (list.is_null()) return {};
    if (!list.is_array())
        throw ModelListError("", "expected an array of {\"name\": …, \"path\": …} objects, got " + list.dump());
    std::vector<ModelSetting> models;
    for (std::size_t i = 0; i < list.size(); ++i) models.push_back(parse_entry(list[i], i));
    check_unique_names(models);
    return models;
}

std::vector<ModelSetting> parse_model_list_text(std::string_view text) {
    if (text == "null") return {};
    if (!text.empty() && (text.front() == '[' || text.front() == '{')) {
        const Json parsed = Json::parse(text, nullptr, false);
        if (parsed.is_discarded()) throw ModelListError("", "not valid JSON: '" + std::string(text) + "'");
        return parse_model_list(parsed);
    }
    Json list = Json::array();
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = std::min(text.find(',', start), text.size());
        const auto item = text.substr(start, comma - start);
        const auto eq = item.find('=');
        if (eq == std::string_view::npos)
            throw ModelListError(at(list.size()), "expected NAME=PATH, got '" + std::string(item) + "'");
        list.push_back({{"name", std::string(item.substr(0, eq))}, {"path", std::string(item.substr(eq + 1))}});
        start = comma + 1;
    }
    return parse_model_list(list);
}

Json model_list_json(const std::vector<ModelSetting>& models) {
    Json out = Json::array();
    for (const auto& model : models) {
        Json entry = Json::object();
        for (const auto& key : entry_keys()) key.write(model, entry);
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace detserve::app
