#pragma once
// Which of a model's labels is evaluated against which ground-truth classes. By name: a label and
// a class match when their names are equal ignoring case and with ' ', '_' and '-' alike
// ("traffic light" = "traffic_light"); `--class-map vehicle=car,bus,truck` makes one label stand
// for several classes (a detection of "vehicle" may match a car, a bus or a truck).
#include <string>
#include <string_view>
#include <vector>

#include "detserve/eval/dataset.hpp"

namespace detserve::eval {

struct ClassMapEntry {
    std::string label;                      // the model's
    std::vector<std::string> truth_classes;  // the ground truth's
};

// "vehicle=car,bus,truck;person=pedestrian". Throws std::invalid_argument naming the entry.
std::vector<ClassMapEntry> parse_class_map(std::string_view text);

struct ClassMapping {
    // The evaluation's categories, in the model's label order, named by the label; id: the ground
    // truth's category id when the label stands for one class, else a new id above them all.
    std::vector<DatasetCategory> categories;
    std::vector<int> of_truth_category;  // per ground-truth category: evaluation category, -1 = not evaluated
    std::vector<int> of_model_class;     // per model class id: evaluation category, -1 = its detections are dropped
    std::vector<std::string> labels_without_truth;   // model labels no ground-truth class matches
    std::vector<std::string> truth_without_label;    // ground-truth classes no model label matches
};

// Explicit entries first, then every other label by name. Throws std::invalid_argument (naming
// the --class-map entry) for a label the model does not have, a class the ground truth does not
// have, or a class mapped twice.
ClassMapping map_classes(const std::vector<std::string>& model_labels, const std::vector<DatasetCategory>& truth,
                         const std::vector<ClassMapEntry>& class_map = {});

// Every ground-truth category evaluated as itself (for predictions that already use its ids).
ClassMapping identity_mapping(const std::vector<DatasetCategory>& truth);

// "traffic light", "Traffic_Light" -> "traffic light"
std::string normalized_class_name(std::string_view name);

}  // namespace detserve::eval
