#include "detserve/eval/class_mapping.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

namespace detserve::eval {
namespace {

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const auto end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

[[noreturn]] void fail(const std::string& entry, const std::string& what) {
    throw std::invalid_argument("--class-map '" + entry + "': " + what);
}

}  // namespace

std::string normalized_class_name(std::string_view name) {
    std::string out;
    for (const char c : trim(name)) out += (c == '_' || c == '-') ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<ClassMapEntry> parse_class_map(std::string_view text) {
    std::vector<ClassMapEntry> entries;
    for (const std::string_view raw : split(text, ';')) {
        const std::string entry(trim(raw));
        if (entry.empty()) continue;
        const auto eq = entry.find('=');
        if (eq == std::string::npos) fail(entry, "expected LABEL=CLASS[,CLASS...]");
        ClassMapEntry parsed{std::string(trim(std::string_view(entry).substr(0, eq))), {}};
        if (parsed.label.empty()) fail(entry, "no model label before '='");
        for (const std::string_view name : split(std::string_view(entry).substr(eq + 1), ','))
            if (!trim(name).empty()) parsed.truth_classes.emplace_back(trim(name));
        if (parsed.truth_classes.empty()) fail(entry, "no ground-truth class after '='");
        entries.push_back(std::move(parsed));
    }
    if (entries.empty()) throw std::invalid_argument("--class-map: empty (expected LABEL=CLASS[,CLASS...][;LABEL=...])");
    return entries;
}

ClassMapping map_classes(const std::vector<std::string>& model_labels, const std::vector<DatasetCategory>& truth,
                         const std::vector<ClassMapEntry>& class_map) {
    std::map<std::string, int> truth_by_name;  // the first category of each normalised name
    for (std::size_t k = 0; k < truth.size(); ++k) truth_by_name.emplace(normalized_class_name(truth[k].name), static_cast<int>(k));
    std::int64_t next_id = 0;
    for (const auto& c : truth) next_id = std::max(next_id, c.id + 1);

    ClassMapping mapping;
    mapping.of_truth_category.assign(truth.size(), -1);
    mapping.of_model_class.assign(model_labels.size(), -1);
    std::map<std::string, int> category_of_label;  // normalised label -> evaluation category

    auto add_category = [&](const std::string& label, const std::vector<int>& classes) {
        const int category = static_cast<int>(mapping.categories.size());
        const std::int64_t id = classes.size() == 1 ? truth[static_cast<std::size_t>(classes[0])].id : next_id++;
        mapping.categories.push_back({id, label});
        for (const int k : classes) mapping.of_truth_category[static_cast<std::size_t>(k)] = category;
        category_of_label[normalized_class_name(label)] = category;
    };

    for (const ClassMapEntry& entry : class_map) {
        const std::string text = entry.label + "=" + [&] {
            std::string joined;
            for (const auto& name : entry.truth_classes) joined += (joined.empty() ? "" : ",") + name;
            return joined;
        }();
        const auto has_label = std::find_if(model_labels.begin(), model_labels.end(), [&](const std::string& l) {
            return normalized_class_name(l) == normalized_class_name(entry.label);
        });
        if (has_label == model_labels.end()) fail(text, "the model has no label '" + entry.label + "'");
        if (category_of_label.count(normalized_class_name(entry.label))) fail(text, "label '" + entry.label + "' is mapped twice");
        std::vector<int> classes;
        for (const std::string& name : entry.truth_classes) {
            const auto found = truth_by_name.find(normalized_class_name(name));
            if (found == truth_by_name.end()) fail(text, "the ground truth has no class '" + name + "'");
            if (mapping.of_truth_category[static_cast<std::size_t>(found->second)] >= 0 ||
                std::find(classes.begin(), classes.end(), found->second) != classes.end())
                fail(text, "ground-truth class '" + name + "' is mapped twice");
            classes.push_back(found->second);
        }
        add_category(*has_label, classes);
    }

    for (std::size_t id = 0; id < model_labels.size(); ++id) {
        const std::string& label = model_labels[id];
        if (label.empty()) continue;  // a gap in the label map
        const std::string key = normalized_class_name(label);
        if (!category_of_label.count(key)) {
            const auto found = truth_by_name.find(key);
            if (found != truth_by_name.end() && mapping.of_truth_category[static_cast<std::size_t>(found->second)] < 0)
                add_category(label, {found->second});
        }
        const auto category = category_of_label.find(key);
        if (category != category_of_label.end()) mapping.of_model_class[id] = category->second;
        else if (std::find(mapping.labels_without_truth.begin(), mapping.labels_without_truth.end(), label) ==
                 mapping.labels_without_truth.end())
            mapping.labels_without_truth.push_back(label);
    }
    for (std::size_t k = 0; k < truth.size(); ++k)
        if (mapping.of_truth_category[k] < 0) mapping.truth_without_label.push_back(truth[k].name);
    return mapping;
}

ClassMapping identity_mapping(const std::vector<DatasetCategory>& truth) {
    ClassMapping mapping;
    mapping.categories = truth;
    for (std::size_t k = 0; k < truth.size(); ++k) mapping.of_truth_category.push_back(static_cast<int>(k));
    return mapping;
}

}  // namespace detserve::eval
