#include "detserve/eval/coco_json.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "text_file.hpp"

namespace detserve::eval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kNamesShown = 5;

// Errors say which file and where in it: "instances.json: annotations[12].bbox: expected ...".
[[noreturn]] void fail(const std::string& source, const std::string& where, const std::string& what) {
    throw std::runtime_error(source + ": " + where + ": " + what);
}

std::string shown(const json& value) {
    std::string text = value.dump();
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

const json& member(const json& object, const char* key, const std::string& source, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end()) fail(source, where, std::string("missing key '") + key + "'");
    return *it;
}

std::int64_t integer(const json& object, const char* key, const std::string& source, const std::string& where) {
    const json& value = member(object, key, source, where);
    if (!value.is_number_integer()) fail(source, where + "." + key, "expected an integer, got " + shown(value));
    return value.get<std::int64_t>();
}

double number(const json& value, const std::string& source, const std::string& where) {
    if (!value.is_number() || !std::isfinite(value.get<double>())) fail(source, where, "expected a number, got " + shown(value));
    return value.get<double>();
}

CocoBox box(const json& object, const std::string& source, const std::string& where) {
    const json& value = member(object, "bbox", source, where);
    const std::string at = where + ".bbox";
    if (!value.is_array() || value.size() != 4) fail(source, at, "expected [x, y, width, height], got " + shown(value));
    CocoBox b{number(value[0], source, at), number(value[1], source, at), number(value[2], source, at),
              number(value[3], source, at)};
    if (b.width < 0 || b.height < 0) fail(source, at, "negative width or height: " + shown(value));
    return b;
}

const json& array_at(const json& root, const char* key, const std::string& source, bool required) {
    static const json empty = json::array();
    const auto it = root.find(key);
    if (it == root.end()) {
        if (required) fail(source, key, "missing (a COCO instances file has images, annotations and categories)");
        return empty;
    }
    if (!it->is_array()) fail(source, key, "expected an array, got " + shown(*it));
    return *it;
}

// "annotations[12]"; "[12]" for the top-level list of a results file.
std::string where(const char* array, std::size_t index) {
    std::string text(array);
    text += '[';
    text += std::to_string(index);
    text += ']';
    return text;
}

}  // namespace

Dataset coco_dataset_from_json(const json& root, const std::string& source, const fs::path& images_dir) {
    if (!root.is_object()) fail(source, "top level", "expected a COCO instances object {images, annotations, categories}");
    Dataset dataset;
    dataset.description = "COCO json " + source;

    std::map<std::int64_t, int> category_index;
    const json& categories = array_at(root, "categories", source, true);
    for (std::size_t i = 0; i < categories.size(); ++i) {
        const std::string at = where("categories", i);
        if (!categories[i].is_object()) fail(source, at, "expected an object, got " + shown(categories[i]));
        const std::int64_t id = integer(categories[i], "id", source, at);
        const json& name = member(categories[i], "name", source, at);
        if (!name.is_string()) fail(source, at + ".name", "expected a string, got " + shown(name));
        if (!category_index.emplace(id, static_cast<int>(dataset.categories.size())).second)
            fail(source, at + ".id", "category id " + std::to_string(id) + " appears twice");
        dataset.categories.push_back({id, name.get<std::string>()});
    }

    const json& images = array_at(root, "images", source, true);
    for (std::size_t i = 0; i < images.size(); ++i) {
        const std::string at = where("images", i);
        if (!images[i].is_object()) fail(source, at, "expected an object, got " + shown(images[i]));
        DatasetImage image;
        image.id = integer(images[i], "id", source, at);
        const json& file_name = member(images[i], "file_name", source, at);
        if (!file_name.is_string()) fail(source, at + ".file_name", "expected a string, got " + shown(file_name));
        image.file_name = file_name.get<std::string>();
        image.file = images_dir / image.file_name;
        if (images[i].contains("width")) image.width = static_cast<int>(integer(images[i], "width", source, at));
        if (images[i].contains("height")) image.height = static_cast<int>(integer(images[i], "height", source, at));
        dataset.images.push_back(std::move(image));
    }
    std::stable_sort(dataset.images.begin(), dataset.images.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    std::map<std::int64_t, std::size_t> image_index;
    for (std::size_t i = 0; i < dataset.images.size(); ++i)
        if (!image_index.emplace(dataset.images[i].id, i).second)
            fail(source, "images", "image id " + std::to_string(dataset.images[i].id) + " appears twice");

    const json& annotations = array_at(root, "annotations", source, false);
    for (std::size_t i = 0; i < annotations.size(); ++i) {
        const std::string at = where("annotations", i);
        const json& a = annotations[i];
        if (!a.is_object()) fail(source, at, "expected an object, got " + shown(a));
        const std::int64_t image_id = integer(a, "image_id", source, at);
        const auto image = image_index.find(image_id);
        if (image == image_index.end()) fail(source, at + ".image_id", std::to_string(image_id) + " is not the id of an image in 'images'");
        const std::int64_t category_id = integer(a, "category_id", source, at);
        const auto category = category_index.find(category_id);
        if (category == category_index.end())
            fail(source, at + ".category_id", std::to_string(category_id) + " is not the id of a category in 'categories'");
        TruthObject object;
        object.category = category->second;
        object.box = box(a, source, at);
        object.area = a.contains("area") ? number(a["area"], source, at + ".area") : object.box.width * object.box.height;
        if (a.contains("iscrowd")) {
            const json& crowd = a["iscrowd"];
            if (crowd.is_boolean()) object.crowd = crowd.get<bool>();
            else if (crowd.is_number_integer() && (crowd == 0 || crowd == 1)) object.crowd = crowd == 1;
            else fail(source, at + ".iscrowd", "expected 0 or 1, got " + shown(crowd));
        }
        dataset.images[image->second].objects.push_back(object);
    }
    return dataset;
}

Dataset read_coco_dataset(const fs::path& json_file, const fs::path& images_dir) {
    json root;
    try {
        root = json::parse(read_text_file(json_file));
    } catch (const json::parse_error& e) {
        throw std::runtime_error(json_file.string() + ": not valid JSON: " + e.what());
    }
    Dataset dataset = coco_dataset_from_json(root, json_file.string(), images_dir);
    if (images_dir.empty()) return dataset;
    if (!fs::is_directory(images_dir)) throw std::runtime_error(images_dir.string() + ": photo folder not found");
    std::vector<std::string> missing;
    std::erase_if(dataset.images, [&](const DatasetImage& image) {
        if (fs::is_regular_file(image.file)) return false;
        missing.push_back(image.file_name);
        dataset.objects_left_out += static_cast<int>(image.objects.size());
        return true;
    });
    if (dataset.images.empty())
        throw std::runtime_error(images_dir.string() + ": none of the " + std::to_string(missing.size()) + " photos " +
                                 json_file.string() + " lists is in this folder (e.g. " +
                                 (missing.empty() ? std::string("-") : missing.front()) + ")");
    if (!missing.empty()) {
        std::string names;
        for (std::size_t i = 0; i < missing.size() && i < kNamesShown; ++i) names += (i ? ", " : "") + missing[i];
        if (missing.size() > kNamesShown) names += " and " + std::to_string(missing.size() - kNamesShown) + " more";
        dataset.warnings.push_back(std::to_string(missing.size()) + " photo(s) listed in " + json_file.string() +
                                   " are not in " + images_dir.string() + ", their " + std::to_string(dataset.objects_left_out) +
                                   " object(s) left out: " + names);
    }
    return dataset;
}

std::vector<std::vector<Prediction>> coco_predictions_from_json(const json& root, const Dataset& dataset,
                                                                const std::string& source) {
    if (!root.is_array()) fail(source, "top level", "expected a COCO results list [{image_id, category_id, bbox, score}, ...]");
    std::map<std::int64_t, std::size_t> image_index;
    for (std::size_t i = 0; i < dataset.images.size(); ++i) image_index.emplace(dataset.images[i].id, i);
    std::map<std::int64_t, int> category_index;
    for (std::size_t k = 0; k < dataset.categories.size(); ++k) category_index.emplace(dataset.categories[k].id, static_cast<int>(k));

    std::vector<std::vector<Prediction>> predictions(dataset.images.size());
    for (std::size_t i = 0; i < root.size(); ++i) {
        const std::string at = where("", i);
        const json& r = root[i];
        if (!r.is_object()) fail(source, at, "expected an object, got " + shown(r));
        const std::int64_t image_id = integer(r, "image_id", source, at);
        const auto image = image_index.find(image_id);
        if (image == image_index.end()) fail(source, at + ".image_id", std::to_string(image_id) + " is not an image of the ground truth");
        const std::int64_t category_id = integer(r, "category_id", source, at);
        const auto category = category_index.find(category_id);
        if (category == category_index.end())
            fail(source, at + ".category_id", std::to_string(category_id) + " is not a category of the ground truth");
        Prediction p;
        p.category = category->second;
        p.box = box(r, source, at);
        p.score = number(member(r, "score", source, at), source, at + ".score");
        predictions[image->second].push_back(p);
    }
    return predictions;
}

std::vector<std::vector<Prediction>> read_coco_predictions(const fs::path& json_file, const Dataset& dataset) {
    json root;
    try {
        root = json::parse(read_text_file(json_file));
    } catch (const json::parse_error& e) {
        throw std::runtime_error(json_file.string() + ": not valid JSON: " + e.what());
    }
    return coco_predictions_from_json(root, dataset, json_file.string());
}

nlohmann::ordered_json coco_instances_json(const std::vector<DatasetImage>& images, const std::vector<ImageResult>& results,
                                           const std::vector<DatasetCategory>& categories) {
    if (images.size() != results.size()) throw std::invalid_argument("coco_instances_json: images and results differ in size");
    // pycocotools' loadRes copies `info`: it must be there.
    nlohmann::ordered_json out{{"info", {{"description", "the ground truth as detserve eval evaluated it"}}},
                               {"images", nlohmann::ordered_json::array()},
                               {"annotations", nlohmann::ordered_json::array()},
                               {"categories", nlohmann::ordered_json::array()}};
    std::int64_t annotation_id = 1;
    for (std::size_t i = 0; i < images.size(); ++i) {
        out["images"].push_back({{"id", images[i].id}, {"file_name", images[i].file_name},
                                 {"width", images[i].width}, {"height", images[i].height}});
        for (const TruthObject& o : results[i].truths)
            out["annotations"].push_back({{"id", annotation_id++},
                                          {"image_id", images[i].id},
                                          {"category_id", categories.at(static_cast<std::size_t>(o.category)).id},
                                          {"bbox", {o.box.x, o.box.y, o.box.width, o.box.height}},
                                          {"area", o.area},
                                          {"iscrowd", o.crowd ? 1 : 0}});
    }
    for (const DatasetCategory& c : categories) out["categories"].push_back({{"id", c.id}, {"name", c.name}});
    return out;
}

nlohmann::ordered_json coco_results_json(const std::vector<DatasetImage>& images, const std::vector<ImageResult>& results,
                                         const std::vector<DatasetCategory>& categories) {
    if (images.size() != results.size()) throw std::invalid_argument("coco_results_json: images and results differ in size");
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < images.size(); ++i)
        for (const Prediction& p : results[i].predictions)
            out.push_back({{"image_id", images[i].id},
                           {"category_id", categories.at(static_cast<std::size_t>(p.category)).id},
                           {"bbox", {p.box.x, p.box.y, p.box.width, p.box.height}},
                           {"score", p.score}});
    return out;
}

}  // namespace detserve::eval
