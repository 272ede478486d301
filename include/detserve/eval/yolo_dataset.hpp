#pragma once
// A YOLO-format dataset (darknet, Ultralytics): a folder of photos and a folder of label files,
// `<photo stem>.txt` with one "class_id cx cy w h" line per object (normalised by the photo's
// size), and the class names one per line.
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "detserve/eval/dataset.hpp"

namespace detserve::eval {

// The class names file: `names_file` when given, else names.txt in `labels_dir`, else in its
// parent; nullopt when there is none.
std::optional<std::filesystem::path> find_names_file(const std::filesystem::path& labels_dir,
                                                     const std::optional<std::filesystem::path>& names_file);

// Every JPEG and PNG photo of `images_dir` (by extension, not searched recursively) with its label
// file, in file-name order with ids 1, 2, ...; every label file is read and checked here (a
// malformed line or a class id without a name throws std::runtime_error naming the file and the
// line), but the objects are filled in by read_yolo_objects once the photo's size is known.
// Warnings, not errors: other files in the photo folder, photos without a label file (photos
// without objects, as Ultralytics counts them), label files without a photo (their objects are
// left out; names.txt and classes.txt are class names, not labels). Throws std::runtime_error naming the folder or file for a missing folder, a folder
// without photos, or no class names.
Dataset read_yolo_dataset(const std::filesystem::path& images_dir, const std::filesystem::path& labels_dir,
                          const std::optional<std::filesystem::path>& names_file = std::nullopt);

// The objects of YOLO label text for a width x height photo: boxes in pixels (in double
// precision), area = w x h, never crowd. Throws std::invalid_argument naming the line (see
// detect::parse_yolo_label_lines).
std::vector<TruthObject> yolo_objects(std::string_view text, int width, int height, int class_count);

// yolo_objects of the image's label file (none: no objects); errors name the file.
std::vector<TruthObject> read_yolo_objects(const DatasetImage& image, int width, int height, int class_count);

// True for the extensions the photo decoder reads (.jpg, .jpeg, .png, any case).
bool has_photo_extension(const std::filesystem::path& file);

}  // namespace detserve::eval
