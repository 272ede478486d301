#include "detserve/eval/eval_report.hpp"

#include <algorithm>
#include <cstdio>

namespace detserve::eval {
namespace {

nlohmann::ordered_json value(const std::optional<double>& metric) {
    return metric ? nlohmann::ordered_json(*metric) : nlohmann::ordered_json(nullptr);
}

std::string fixed(const std::optional<double>& metric) {
    if (!metric) return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", *metric);
    return text;
}

std::string padded(std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
}

}  // namespace

nlohmann::ordered_json metrics_json(const CocoMetrics& metrics, const std::vector<DatasetCategory>& categories, int images,
                                    std::optional<double> images_per_s) {
    nlohmann::ordered_json out{{"map_50_95", value(metrics.map_50_95)}, {"map_50", value(metrics.map_50)},
                               {"map_75", value(metrics.map_75)},       {"map_small", value(metrics.map_small)},
                               {"map_medium", value(metrics.map_medium)}, {"map_large", value(metrics.map_large)},
                               {"ar_100", value(metrics.ar_100)}};
    if (const auto& point = metrics.best_f1_50)
        out["best_f1_50"] = {{"min_score", point->min_score}, {"precision", point->precision}, {"recall", point->recall}, {"f1", point->f1}};
    else
        out["best_f1_50"] = nullptr;
    nlohmann::ordered_json ap50 = nlohmann::ordered_json::object(), per_class = nlohmann::ordered_json::object();
    for (std::size_t k = 0; k < categories.size() && k < metrics.per_category.size(); ++k) {
        const CategoryMetrics& c = metrics.per_category[k];
        ap50[categories[k].name] = value(c.ap_50);
        per_class[categories[k].name] = {{"ap", value(c.ap)}, {"ap_50", value(c.ap_50)}, {"ap_75", value(c.ap_75)},
                                         {"ar_100", value(c.ar_100)}, {"objects", c.truths}};
    }
    out["per_class_ap50"] = std::move(ap50);
    out["per_class"] = std::move(per_class);
    out["images"] = images;
    out["images_per_s"] = value(images_per_s);
    return out;
}

std::string metrics_table(const CocoMetrics& metrics, const std::vector<DatasetCategory>& categories) {
    std::string out;
    const std::pair<const char*, const std::optional<double>*> rows[] = {
        {"mAP@[.50:.95]", &metrics.map_50_95}, {"mAP@.50", &metrics.map_50},     {"mAP@.75", &metrics.map_75},
        {"AP small", &metrics.map_small},     {"AP medium", &metrics.map_medium}, {"AP large", &metrics.map_large},
        {"AR@100", &metrics.ar_100}};
    for (const auto& [name, metric] : rows) out += "  " + padded(name, 15) + fixed(*metric) + "\n";
    if (const auto& point = metrics.best_f1_50)
        out += "  " + padded("best F1@.50", 15) + fixed(point->f1) + "  at score >= " + fixed(point->min_score) +
               " (precision " + fixed(point->precision) + ", recall " + fixed(point->recall) + ")\n";

    std::size_t width = 5;
    for (const auto& c : categories) width = std::max(width, c.name.size());
    out += "\n  " + padded("class", width + 2) + "AP@.50  AP@[.50:.95]  objects\n";
    for (std::size_t k = 0; k < categories.size() && k < metrics.per_category.size(); ++k) {
        const CategoryMetrics& c = metrics.per_category[k];
        out += "  " + padded(categories[k].name, width + 2) + padded(fixed(c.ap_50), 8) + padded(fixed(c.ap), 14) +
               std::to_string(c.truths) + "\n";
    }
    return out;
}

}  // namespace detserve::eval
