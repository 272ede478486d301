#pragma once
// COCO's json formats: an instances file (`images`, `annotations`, `categories`; instances_*.json)
// as ground truth, and a results file (a list of {image_id, category_id, bbox, score}) as
// predictions. Boxes are [x, y, width, height] in pixels in both.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detserve/eval/dataset.hpp"

namespace detserve::eval {

// Ground truth from a parsed instances json; `source` names it in errors, which say where in the
// json the problem is ("annotations[12].bbox: ..."; std::runtime_error). Images sorted by id;
// each image's file is images_dir / file_name (not checked here). `iscrowd` defaults to 0 and
// `area` to the box's width x height.
Dataset coco_dataset_from_json(const nlohmann::json& json, const std::string& source,
                               const std::filesystem::path& images_dir = {});

// The same from a file, and with `images_dir` non-empty, only the images whose photo is there
// (the others are left out with a warning, their objects counted in objects_left_out).
Dataset read_coco_dataset(const std::filesystem::path& json_file, const std::filesystem::path& images_dir = {});

// Predictions per image (by index in dataset.images), category as an index into
// dataset.categories. An image_id or category_id the ground truth does not have is an error, as
// in pycocotools' loadRes.
std::vector<std::vector<Prediction>> coco_predictions_from_json(const nlohmann::json& json, const Dataset& dataset,
                                                                const std::string& source);
std::vector<std::vector<Prediction>> read_coco_predictions(const std::filesystem::path& json_file, const Dataset& dataset);

// What was evaluated, in COCO's formats, for pycocotools or any other COCO tool: `images` and
// `results` side by side; object and prediction categories index `categories`. Annotation ids
// start at 1 (pycocotools takes id 0 for "unmatched").
nlohmann::ordered_json coco_instances_json(const std::vector<DatasetImage>& images, const std::vector<ImageResult>& results,
                                           const std::vector<DatasetCategory>& categories);
nlohmann::ordered_json coco_results_json(const std::vector<DatasetImage>& images, const std::vector<ImageResult>& results,
                                         const std::vector<DatasetCategory>& categories);

}  // namespace detserve::eval
