#include "detserve/detect/label_map.hpp"

#include <array>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace detserve::detect {

namespace {

// COCO 2017 detection categories (instances_*2017.json "name" fields) in category-id order with
// the unannotated ids removed: the 0..79 class order of Ultralytics' coco.yaml, YOLOX and NanoDet.
constexpr std::array<std::string_view, 80> kCoco80 = {
    "person",        "bicycle",      "car",           "motorcycle",    "airplane",
    "bus",           "train",        "truck",         "boat",          "traffic light",
    "fire hydrant",  "stop sign",    "parking meter", "bench",         "bird",
    "cat",           "dog",          "horse",         "sheep",         "cow",
    "elephant",      "bear",         "zebra",         "giraffe",       "backpack",
    "umbrella",      "handbag",      "tie",           "suitcase",      "frisbee",
    "skis",          "snowboard",    "sports ball",   "kite",          "baseball bat",
    "baseball glove", "skateboard",  "surfboard",     "tennis racket", "bottle",
    "wine glass",    "cup",          "fork",          "knife",         "spoon",
    "bowl",          "banana",       "apple",         "sandwich",      "orange",
    "broccoli",      "carrot",       "hot dog",       "pizza",         "donut",
    "cake",          "chair",        "couch",         "potted plant",  "bed",
    "dining table",  "toilet",       "tv",            "laptop",        "mouse",
    "remote",        "keyboard",     "cell phone",    "microwave",     "oven",
    "toaster",       "sink",         "refrigerator",  "book",          "clock",
    "vase",          "scissors",     "teddy bear",    "hair drier",    "toothbrush",
};

// TF Object Detection API ids (research/object_detection/data/mscoco_complete_label_map.pbtxt;
// mscoco_label_map.pbtxt lists the same ids without the unannotated ones). Index = id.
// Ids 12, 26, 29, 30, 45, 66, 68, 69, 71 and 83 are COCO-paper classes with no 2017 annotations.
constexpr std::array<std::string_view, 91> kCoco91 = {
    "background",                                                                   //  0
    "person",        "bicycle",      "car",           "motorcycle",    "airplane",  //  1-5
    "bus",           "train",        "truck",         "boat",          "traffic light",
    "fire hydrant",  "street sign",  "stop sign",     "parking meter", "bench",     // 11-15
    "bird",          "cat",          "dog",           "horse",         "sheep",
    "cow",           "elephant",     "bear",          "zebra",         "giraffe",   // 21-25
    "hat",           "backpack",     "umbrella",      "shoe",          "eye glasses",
    "handbag",       "tie",          "suitcase",      "frisbee",       "skis",      // 31-35
    "snowboard",     "sports ball",  "kite",          "baseball bat",  "baseball glove",
    "skateboard",    "surfboard",    "tennis racket", "bottle",        "plate",     // 41-45
    "wine glass",    "cup",          "fork",          "knife",         "spoon",
    "bowl",          "banana",       "apple",         "sandwich",      "orange",    // 51-55
    "broccoli",      "carrot",       "hot dog",       "pizza",         "donut",
    "cake",          "chair",        "couch",         "potted plant",  "bed",       // 61-65
    "mirror",        "dining table", "window",        "desk",          "toilet",
    "door",          "tv",           "laptop",        "mouse",         "remote",    // 71-75
    "keyboard",      "cell phone",   "microwave",     "oven",          "toaster",
    "sink",          "refrigerator", "blender",       "book",          "clock",     // 81-85
    "vase",          "scissors",     "teddy bear",    "hair drier",    "toothbrush",
};

template <std::size_t N>
std::vector<std::string> to_vector(const std::array<std::string_view, N>& table) {
    return {table.begin(), table.end()};
}

struct BuiltinLabelMap {
    std::string_view name;
    LabelMap (*make)();
};

constexpr std::array<BuiltinLabelMap, 2> kBuiltins = {{
    {"coco80", &LabelMap::coco80},
    {"coco91", &LabelMap::coco91},
}};

std::string_view trim(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(kSpace);
    return text.substr(first, last - first + 1);
}

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

LabelMap::LabelMap(std::vector<std::string> names) : names_(std::move(names)) {}

LabelMap LabelMap::coco80() { return LabelMap(to_vector(kCoco80)); }

LabelMap LabelMap::coco91() { return LabelMap(to_vector(kCoco91)); }

LabelMap LabelMap::from_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::runtime_error("cannot open label file '" + path + "'");

    std::vector<std::string> names;
    std::string line;
    while (std::getline(file, line)) {
        std::string_view text = line;
        if (names.empty() && text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
        names.emplace_back(trim(text));
    }
    if (file.bad()) throw std::runtime_error("error reading label file '" + path + "'");
    while (!names.empty() && names.back().empty()) names.pop_back();
    if (names.empty()) throw std::runtime_error("label file '" + path + "' holds no labels");
    return LabelMap(std::move(names));
}

namespace {

// A cursor over a Python literal: {int: 'str', ...}.
class DictReader {
public:
    explicit DictReader(std::string_view text) : text_(text) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw std::invalid_argument("class names dict: " + what + " at character " + std::to_string(pos_ + 1));
    }
    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }
    bool take(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!take(c)) fail(std::string("expected '") + c + "'");
    }
    int integer() {
        skip_space();
        const std::size_t begin = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
        if (pos_ == begin || pos_ - begin > 6) fail("expected a class id");
        return std::stoi(std::string(text_.substr(begin, pos_ - begin)));
    }
    std::string quoted() {
        skip_space();
        if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected a quoted name");
        const char quote = text_[pos_++];
        std::string out;
        while (pos_ < text_.size() && text_[pos_] != quote) {
            if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
            out += text_[pos_++];
        }
        if (pos_ >= text_.size()) fail("unterminated name");
        ++pos_;
        return out;
    }
    bool at_end() {
        skip_space();
        return pos_ == text_.size();
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

LabelMap LabelMap::from_python_dict(std::string_view text) {
    DictReader reader(text);
    reader.expect('{');
    std::vector<std::string> names;
    std::vector<bool> seen;
    while (!reader.take('}')) {
        const int id = reader.integer();
        reader.expect(':');
        std::string name = reader.quoted();
        const auto index = static_cast<std::size_t>(id);
        if (index >= names.size()) {
            names.resize(index + 1);
            seen.resize(index + 1, false);
        }
        if (seen[index]) reader.fail("class id " + std::to_string(id) + " given twice");
        seen[index] = true;
        names[index] = std::move(name);
        if (!reader.take(',')) {
            reader.expect('}');
            break;
        }
    }
    if (!reader.at_end()) reader.fail("text after the closing '}'");
    if (names.empty()) throw std::invalid_argument("class names dict holds no names");
    return LabelMap(std::move(names));
}

std::optional<LabelMap> LabelMap::builtin(std::string_view name) {
    for (const auto& entry : kBuiltins)
        if (entry.name == name) return entry.make();
    return std::nullopt;
}

std::string LabelMap::name(int id) const {
    if (id >= 0 && static_cast<std::size_t>(id) < names_.size() &&
        !names_[static_cast<std::size_t>(id)].empty())
        return names_[static_cast<std::size_t>(id)];
    return "class_" + std::to_string(id);
}

int LabelMap::id_of(std::string_view name) const {
    if (name.empty()) return -1;
    for (std::size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == name) return static_cast<int>(i);
    return -1;
}

}  // namespace detserve::detect
