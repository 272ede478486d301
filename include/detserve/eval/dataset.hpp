#pragma once
// Ground truth for `detserve eval`: photos with their objects, read from a YOLO label folder
// (yolo_dataset.hpp) or a COCO instances json (coco_json.hpp).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "detserve/eval/coco_evaluator.hpp"

namespace detserve::eval {

struct DatasetCategory {
    std::int64_t id = 0;  // COCO's category_id; a YOLO class id
    std::string name;
};

struct DatasetImage {
    std::int64_t id = 0;               // COCO's image id; YOLO: 1, 2, ... in file-name order
    std::string file_name;             // as the ground truth names it (COCO's file_name), relative to the photo folder
    std::filesystem::path file;        // the photo: <photo folder>/<file_name>
    int width = 0, height = 0;         // COCO: from the json; YOLO: 0 until the photo is decoded
    std::filesystem::path label_file;  // YOLO: its labels (empty: none, a photo without objects)
    std::vector<TruthObject> objects;  // category: index into Dataset::categories
};

struct Dataset {
    std::string description;  // where the ground truth came from, for the report
    std::vector<DatasetCategory> categories;
    std::vector<DatasetImage> images;   // ascending id
    std::vector<std::string> warnings;  // what was left out, naming the files
    int objects_left_out = 0;           // objects of label files or annotations without a photo
};

}  // namespace detserve::eval
