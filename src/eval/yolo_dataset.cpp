#include "detserve/eval/yolo_dataset.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>
#include <string>

#include "detserve/detect/label_map.hpp"
#include "detserve/detect/yolo_labels.hpp"
#include "text_file.hpp"

namespace detserve::eval {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNamesFile = "names.txt";
// Class-name files that tools keep among the label files (labelImg writes classes.txt there):
// not labels, unless a photo has their name.
constexpr const char* kNameFileStems[] = {"names", "classes"};
constexpr std::size_t kNamesShown = 5;  // files named in one warning; the rest are counted

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// "a.jpg, b.jpg, c.jpg and 4 more"
std::string some_names(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < kNamesShown; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > kNamesShown) out += " and " + std::to_string(names.size() - kNamesShown) + " more";
    return out;
}

void require_folder(const fs::path& dir, const char* what) {
    if (!fs::exists(dir)) throw std::runtime_error(dir.string() + ": " + what + " folder not found");
    if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + ": not a folder (expected the " + what + " folder)");
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
    std::vector<fs::path> entries;
    for (const auto& entry : fs::directory_iterator(dir)) entries.push_back(entry.path());
    std::sort(entries.begin(), entries.end());
    return entries;
}

// Parses every line (for a 1 x 1 photo) so that a bad file stops the run before any inference.
int count_checked_objects(const fs::path& label_file, int class_count) {
    try {
        return static_cast<int>(detect::parse_yolo_label_lines(read_text_file(label_file), class_count).size());
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(label_file.string() + ": " + e.what());
    }
}

}  // namespace

bool has_photo_extension(const fs::path& file) {
    const std::string extension = lower(file.extension().string());
    return extension == ".jpg" || extension == ".jpeg" || extension == ".png";
}

std::optional<fs::path> find_names_file(const fs::path& labels_dir, const std::optional<fs::path>& names_file) {
    if (names_file) return names_file;
    for (const fs::path& candidate : {labels_dir / kNamesFile, labels_dir.parent_path() / kNamesFile})
        if (fs::is_regular_file(candidate)) return candidate;
    // "labels/" with a trailing slash has an empty filename: its parent is the folder itself.
    if (labels_dir.filename().empty() && fs::is_regular_file(labels_dir.parent_path().parent_path() / kNamesFile))
        return labels_dir.parent_path().parent_path() / kNamesFile;
    return std::nullopt;
}

Dataset read_yolo_dataset(const fs::path& images_dir, const fs::path& labels_dir, const std::optional<fs::path>& names_file) {
    require_folder(images_dir, "photo");
    require_folder(labels_dir, "label");
    const auto names_path = find_names_file(labels_dir, names_file);
    if (!names_path)
        throw std::runtime_error(labels_dir.string() + ": no class names: pass --names FILE, or put " + kNamesFile +
                                 " (one class name per line, line 1 = class id 0) in the label folder or its parent");
    const detect::LabelMap names = detect::LabelMap::from_file(names_path->string());

    Dataset dataset;
    dataset.description = "YOLO labels " + labels_dir.string() + " (" + std::to_string(names.size()) + " classes from " +
                          names_path->string() + ")";
    for (std::size_t i = 0; i < names.size(); ++i) dataset.categories.push_back({static_cast<std::int64_t>(i), names.names()[i]});
    const int class_count = static_cast<int>(names.size());

    // Label files by stem; names.txt and anything that is not a .txt file are not labels.
    std::map<std::string, fs::path> labels;
    std::error_code ignored;
    for (const fs::path& file : sorted_entries(labels_dir)) {
        if (lower(file.extension().string()) != ".txt" || !fs::is_regular_file(file)) continue;
        if (fs::equivalent(file, *names_path, ignored)) continue;
        labels.emplace(file.stem().string(), file);
    }

    std::vector<std::string> not_photos, without_labels;
    for (const fs::path& file : sorted_entries(images_dir)) {
        if (!has_photo_extension(file) || !fs::is_regular_file(file)) {
            // A labels folder that is the photo folder holds the label files too.
            const bool label_here = labels.count(file.stem().string()) && lower(file.extension().string()) == ".txt";
            if (!label_here && !fs::equivalent(file, *names_path, ignored)) not_photos.push_back(file.string());
            continue;
        }
        DatasetImage image;
        image.id = static_cast<std::int64_t>(dataset.images.size()) + 1;
        image.file_name = file.filename().string();
        image.file = file;
        const auto label = labels.find(file.stem().string());
        if (label != labels.end()) {
            count_checked_objects(label->second, class_count);
            image.label_file = label->second;
            labels.erase(label);
        } else {
            without_labels.push_back(file.filename().string());
        }
        dataset.images.push_back(std::move(image));
    }
    if (dataset.images.empty())
        throw std::runtime_error(images_dir.string() + ": no photos in this folder (JPEG or PNG: .jpg, .jpeg, .png)");

    if (!not_photos.empty())
        dataset.warnings.push_back(std::to_string(not_photos.size()) + " file(s) in " + images_dir.string() +
                                   " are not JPEG or PNG photos, left out: " + some_names(not_photos));
    if (!without_labels.empty())
        dataset.warnings.push_back(std::to_string(without_labels.size()) + " photo(s) have no label file in " +
                                   labels_dir.string() + ", counted as photos without objects: " + some_names(without_labels));
    std::erase_if(labels, [&](const auto& entry) {
        return std::find(std::begin(kNameFileStems), std::end(kNameFileStems), entry.first) != std::end(kNameFileStems);
    });
    if (!labels.empty()) {
        std::vector<std::string> orphans;
        for (const auto& [stem, file] : labels) {
            dataset.objects_left_out += count_checked_objects(file, class_count);
            orphans.push_back(file.string());
        }
        dataset.warnings.push_back(std::to_string(orphans.size()) + " label file(s) have no photo of their name (.jpg, .jpeg, .png) in " +
                                   images_dir.string() + ", their " + std::to_string(dataset.objects_left_out) +
                                   " object(s) left out: " + some_names(orphans));
    }
    return dataset;
}

std::vector<TruthObject> yolo_objects(std::string_view text, int width, int height, int class_count) {
    std::vector<TruthObject> objects;
    const auto w = static_cast<double>(width), h = static_cast<double>(height);
    for (const detect::YoloLabel& label : detect::parse_yolo_label_lines(text, class_count)) {
        TruthObject object;
        object.category = label.class_id;
        object.box = {(label.center_x - label.width / 2) * w, (label.center_y - label.height / 2) * h, label.width * w,
                      label.height * h};
        object.area = object.box.width * object.box.height;
        objects.push_back(object);
    }
    return objects;
}

std::vector<TruthObject> read_yolo_objects(const DatasetImage& image, int width, int height, int class_count) {
    if (image.label_file.empty()) return {};
    try {
        return yolo_objects(read_text_file(image.label_file), width, height, class_count);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(image.label_file.string() + ": " + e.what());
    }
}

}  // namespace detserve::eval
