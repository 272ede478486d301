#pragma once
// Class names by model class id. Ids may have gaps: an empty name means "no class at this id"
// (COCO-91 ids of the classes that were never annotated are named, but a file may leave gaps).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace detserve::detect {

class LabelMap {
public:
    LabelMap() = default;
    explicit LabelMap(std::vector<std::string> names);

    // The 80 COCO 2017 detection classes in the contiguous order YOLO/NanoDet/YOLOX models use.
    static LabelMap coco80();
    // TF Object Detection API ids 0..90: 0 is "background", 1..90 the COCO paper's category ids
    // (including the 10 ids the 2017 release left without annotations).
    static LabelMap coco91();
    // One label per line; CRLF and surrounding spaces are stripped, trailing blank lines dropped,
    // an interior blank line leaves its id without a class. Throws std::runtime_error naming the
    // file when it cannot be read or holds no label.
    static LabelMap from_file(const std::string& path);
    // The Python dict literal Ultralytics stores as a model's class names (an OpenVINO export's
    // rt_info framework/names): {0: 'person', 1: 'bicycle', ...}. Ids may come in any order and
    // leave gaps. Throws std::invalid_argument saying where the text stops making sense.
    static LabelMap from_python_dict(std::string_view text);
    // "coco80" or "coco91"; nullopt for any other name.
    static std::optional<LabelMap> builtin(std::string_view name);

    // The name for `id`, or "class_<id>" when id is out of range or has no class.
    std::string name(int id) const;
    std::size_t size() const { return names_.size(); }
    // The first id named `name`, or -1.
    int id_of(std::string_view name) const;
    const std::vector<std::string>& names() const { return names_; }

private:
    std::vector<std::string> names_;
};

}  // namespace detserve::detect
