#include "detserve/app/eval_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli_arguments.hpp"
#include "detserve/app/detector.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/eval/class_mapping.hpp"
#include "detserve/eval/coco_json.hpp"
#include "detserve/eval/eval_report.hpp"
#include "detserve/eval/yolo_dataset.hpp"

namespace detserve::app {
namespace {

namespace fs = std::filesystem;
using eval::Dataset;
using eval::DatasetImage;
using eval::ImageResult;

// COCO evaluations keep nearly every detection: a low threshold traces the whole precision/recall
// curve (a serving threshold would cut it short and understate AP).
constexpr double kDefaultScoreThreshold = 0.001;
constexpr std::size_t kWarningsShown = 10;

const std::vector<std::string>& model_options() {
    static const std::vector<std::string> options = [] {
        std::vector<std::string> list{"model", "images", "class-map", "score-threshold", "iou-threshold", "nms", "save-predictions"};
        list.insert(list.end(), kEngineOptions.begin(), kEngineOptions.end());
        return list;
    }();
    return options;
}

void warn(const std::string& message) { std::cerr << "detserve eval: warning: " << message << "\n"; }

std::string format(double value, int decimals) {
    std::ostringstream out;
    out.precision(decimals);
    out << std::fixed << value;
    return out.str();
}

// "photo 37/128  9.8 images/s" rewritten in place, on a terminal only.
class Progress {
public:
    explicit Progress(std::size_t total) : total_(total), shown_(isatty(STDERR_FILENO) != 0) {}
    void update(std::size_t done, double seconds) {
        if (!shown_) return;
        std::fprintf(stderr, "\r  %zu/%zu images  %.1f images/s ", done, total_, seconds > 0 ? static_cast<double>(done) / seconds : 0.0);
        std::fflush(stderr);
    }
    void finish() {
        if (shown_) std::fprintf(stderr, "\r%60s\r", "");
    }

private:
    std::size_t total_;
    bool shown_;
};

eval::CocoBox coco_box(const detect::Box& box) {
    return {box.x_min, box.y_min, static_cast<double>(box.x_max) - box.x_min, static_cast<double>(box.y_max) - box.y_min};
}

// The dataset's objects as evaluation categories (objects of classes not evaluated are dropped).
std::vector<eval::TruthObject> evaluated_objects(const std::vector<eval::TruthObject>& objects, const eval::ClassMapping& mapping) {
    std::vector<eval::TruthObject> out;
    for (eval::TruthObject object : objects) {
        object.category = mapping.of_truth_category.at(static_cast<std::size_t>(object.category));
        if (object.category >= 0) out.push_back(object);
    }
    return out;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

void write_json(const fs::path& path, const nlohmann::ordered_json& json, const char* what) {
    std::ofstream out(path);
    out << json.dump(2) << "\n";
    if (!out) throw std::runtime_error(path.string() + ": cannot write " + what);
}

struct Evaluated {
    std::vector<DatasetImage> images;
    std::vector<ImageResult> results;
    std::optional<double> seconds;  // the photos' run; none for a results file
    int failed = 0;                 // photos that could not be read or decoded
};

// Every photo through the detector; YOLO objects are read once the photo's size is known.
Evaluated run_model(Detector& detector, const Dataset& dataset, bool yolo, const eval::ClassMapping& mapping,
                    const detect::DecodeOptions& options) {
    Evaluated out;
    Progress progress(dataset.images.size());
    std::vector<std::string> size_mismatches;
    const int class_count = static_cast<int>(dataset.categories.size());
    const auto start = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    for (std::size_t i = 0; i < dataset.images.size(); ++i) {
        DatasetImage image = dataset.images[i];
        cv::Mat photo;
        try {
            photo = read_image_file(image.file);
        } catch (const std::exception& e) {
            progress.finish();
            warn(std::string(e.what()) + " (left out of the evaluation)");
            ++out.failed;
            continue;
        }
        if (yolo) {
            image.objects = eval::read_yolo_objects(image, photo.cols, photo.rows, class_count);
        } else if (image.width > 0 && (image.width != photo.cols || image.height != photo.rows)) {
            size_mismatches.push_back(image.file_name + " is " + std::to_string(photo.cols) + "x" + std::to_string(photo.rows) +
                                      ", the json says " + std::to_string(image.width) + "x" + std::to_string(image.height));
        }
        image.width = photo.cols;
        image.height = photo.rows;

        ImageResult result;
        result.truths = evaluated_objects(image.objects, mapping);
        const auto detected = detector.detect({photo}, options);
        for (const detect::Detection& d : detected.at(0).detections) {
            if (d.class_id < 0 || static_cast<std::size_t>(d.class_id) >= mapping.of_model_class.size()) continue;
            const int category = mapping.of_model_class[static_cast<std::size_t>(d.class_id)];
            if (category >= 0) result.predictions.push_back({category, d.score, coco_box(d.box)});
        }
        out.images.push_back(std::move(image));
        out.results.push_back(std::move(result));
        progress.update(i + 1, seconds());
    }
    out.seconds = seconds();
    progress.finish();
    if (!size_mismatches.empty())
        warn(std::to_string(size_mismatches.size()) + " photo(s) decode to another size than the json says (boxes are compared as they are): " +
             size_mismatches.front() + (size_mismatches.size() > 1 ? ", ..." : ""));
    return out;
}

}  // namespace

int command_eval(const std::vector<std::string>& raw) {
    std::vector<std::string> allowed = model_options();
    allowed.insert(allowed.end(), {"labels", "names", "coco", "json", "predictions", "save-ground-truth"});
    const Arguments args = parse_arguments(raw, allowed);
    if (!args.positional.empty())
        throw UsageError("eval takes no positional arguments, got '" + args.positional.front() + "' (photos: --images DIR)");
    if (args.has("labels") == args.has("coco"))
        throw UsageError("eval needs one ground truth: --labels DIR (YOLO label files) or --coco FILE (COCO instances json)");
    if (args.has("names") && !args.has("labels")) throw UsageError("--names goes with --labels (a COCO json names its categories)");
    const bool from_results = args.has("predictions");
    if (from_results) {
        if (!args.has("coco")) throw UsageError("--predictions needs --coco FILE: a COCO results file refers to its image and category ids");
        for (const auto& option : model_options())
            if (args.has(option)) throw UsageError("--" + option + " runs a model; --predictions evaluates a results file instead");
    } else if (!args.has("images")) {
        throw UsageError("eval needs --images DIR, the photos to run the model on");
    }
    const double score_threshold = parse_number(args.get("score-threshold", std::to_string(kDefaultScoreThreshold)), "score-threshold", 0, 1);
    std::optional<double> iou_threshold;
    if (args.has("iou-threshold")) iou_threshold = parse_number(args.get("iou-threshold"), "iou-threshold", 0, 1);
    std::optional<detect::NmsMode> nms;
    if (args.has("nms")) {
        nms = detect::nms_mode_from_string(args.get("nms"));
        if (!nms) throw UsageError("--nms expects class_wise or agnostic, got '" + args.get("nms") + "'");
    }
    std::vector<eval::ClassMapEntry> class_map;
    if (args.has("class-map")) {
        try {
            class_map = eval::parse_class_map(args.get("class-map"));
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }
    const engine::EngineOptions engine = from_results ? engine::EngineOptions{} : engine_options(args);

    // The ground truth first: a bad label file stops the run before the model loads.
    const bool yolo = args.has("labels");
    const fs::path images_dir = args.get("images");
    Dataset dataset;
    if (yolo) {
        std::optional<fs::path> names;
        if (args.has("names")) names = args.get("names");
        dataset = eval::read_yolo_dataset(images_dir, args.get("labels"), names);
    } else {
        dataset = eval::read_coco_dataset(args.get("coco"), from_results ? fs::path() : images_dir);
    }
    for (std::size_t i = 0; i < dataset.warnings.size() && i < kWarningsShown; ++i) warn(dataset.warnings[i]);

    eval::ClassMapping mapping;
    Evaluated evaluated;
    std::ostringstream header;
    if (from_results) {
        mapping = eval::identity_mapping(dataset.categories);
        const auto predictions = eval::read_coco_predictions(args.get("predictions"), dataset);
        for (std::size_t i = 0; i < dataset.images.size(); ++i) {
            evaluated.images.push_back(dataset.images[i]);
            evaluated.results.push_back({dataset.images[i].objects, predictions[i]});
        }
        header << "detserve eval: " << args.get("predictions") << " against " << dataset.description << ", "
               << dataset.images.size() << " images, " << dataset.categories.size() << " categories\n";
    } else {
        Detector detector(load_model(model_argument(args)), engine);
        const Model& model = detector.model();
        try {
            mapping = eval::map_classes(model.spec.labels.names(), dataset.categories, class_map);
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        if (mapping.categories.empty())
            throw std::runtime_error("no label of " + model.path.string() + " matches a class of " + dataset.description +
                                     " by name; map them with --class-map LABEL=CLASS[,CLASS...]");
        if (!mapping.truth_without_label.empty())
            warn("ground-truth classes that no label of the model matches, not evaluated: " + joined(mapping.truth_without_label));
        if (!mapping.labels_without_truth.empty())
            warn("model labels without a ground-truth class, their detections ignored: " + joined(mapping.labels_without_truth));

        detect::DecodeOptions options = detector.default_options();
        const float serving_threshold = options.score_threshold;
        options.score_threshold = static_cast<float>(score_threshold);
        if (iou_threshold) options.iou_threshold = static_cast<float>(*iou_threshold);
        if (nms) options.nms = *nms;
        options.max_detections = eval::kMaxDetections;
        header << "detserve eval: " << model.name << " (" << model.path.string() << ", " << detector.engine().engine_name() << "/"
               << engine::to_string(detector.engine().target()) << ") on " << dataset.images.size() << " images of "
               << images_dir.string() << "\n"
               << "ground truth: " << dataset.description << "; " << mapping.categories.size() << " classes evaluated\n"
               << "detections: score >= " << score_threshold << " (an evaluation threshold, not the model's serving threshold "
               << serving_threshold << "), NMS " << detect::to_string(options.nms) << " IoU " << options.iou_threshold << ", at most " << options.max_detections
               << " per image\n";
        std::cout << header.str() << std::flush;
        evaluated = run_model(detector, dataset, yolo, mapping, options);
        header.str("");
    }
    if (evaluated.images.empty())
        throw std::runtime_error(from_results ? args.get("coco") + ": no images to evaluate"
                                              : images_dir.string() + ": none of the photos could be read");

    const eval::CocoMetrics metrics = eval::evaluate_coco(evaluated.results, static_cast<int>(mapping.categories.size()));
    const int images = static_cast<int>(evaluated.images.size());
    std::optional<double> images_per_s;
    if (evaluated.seconds && *evaluated.seconds > 0) images_per_s = images / *evaluated.seconds;

    std::cout << header.str() << "\n" << eval::metrics_table(metrics, mapping.categories) << "\n";
    if (evaluated.seconds)
        std::cout << images << " images in " << format(*evaluated.seconds, 1) << " s: "
                  << (images_per_s ? format(*images_per_s, 2) : "-")
                  << " images/s (read, decode, preprocess, inference, box decoding, NMS; one at a time)\n";
    if (evaluated.failed) std::cout << evaluated.failed << " photo(s) could not be read and are left out (see above)\n";
    std::cout << std::flush;

    if (args.has("json")) {
        auto json = eval::metrics_json(metrics, mapping.categories, images, images_per_s);
        json["score_threshold"] = from_results ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(score_threshold);
        json["ground_truth"] = dataset.description;
        json["images_left_out"] = evaluated.failed;
        write_json(args.get("json"), json, "the metrics");
    }
    if (args.has("save-predictions"))
        write_json(args.get("save-predictions"), eval::coco_results_json(evaluated.images, evaluated.results, mapping.categories),
                   "the predictions");
    if (args.has("save-ground-truth"))
        write_json(args.get("save-ground-truth"), eval::coco_instances_json(evaluated.images, evaluated.results, mapping.categories),
                   "the ground truth");
    return evaluated.failed ? 1 : 0;
}

}  // namespace detserve::app
