#pragma once
// The COCO box evaluation: what pycocotools' COCOeval(iouType="bbox") computes with its default
// parameters, as a pure function. Per category and image, detections (highest score first, at most
// 100) are matched greedily to ground truth at each IoU threshold .50:.05:.95; precision is
// interpolated at 101 recall points; area ranges are COCO's (small < 32², medium 32²–96²,
// large > 96², by the ground truth's `area`). Crowd regions (iscrowd) and objects outside the area
// range being evaluated are "ignored": a detection matched to one counts neither way, and a crowd
// region's IoU is intersection / detection area, so it can absorb any number of detections.
#include <array>
#include <optional>
#include <vector>

namespace detserve::eval {

// [x, y, width, height] in pixels, as COCO json stores boxes.
struct CocoBox {
    double x = 0, y = 0, width = 0, height = 0;
};

struct TruthObject {
    int category = 0;     // index into the evaluation's categories
    CocoBox box;
    double area = 0;      // COCO json: the annotation's `area` (its segment's); YOLO labels: width x height
    bool crowd = false;   // COCO's iscrowd
};

struct Prediction {
    int category = 0;  // index into the evaluation's categories
    double score = 0;
    CocoBox box;
};

// One image's ground truth and detections.
struct ImageResult {
    std::vector<TruthObject> truths;
    std::vector<Prediction> predictions;
};

// COCOeval's parameters (Params.setDetParams), named once.
inline constexpr int kIouThresholdCount = 10;      // .50:.05:.95
inline constexpr int kRecallThresholdCount = 101;  // 0:.01:1
inline constexpr int kMaxDetections = 100;         // per image and category (maxDets[-1])
inline constexpr double kSmallArea = 32.0 * 32.0;
inline constexpr double kLargeArea = 96.0 * 96.0;

// IoU thresholds and recall points exactly as numpy.linspace computes them in COCOeval (a
// threshold equal to an IoU still matches; the values decide such ties).
const std::array<double, kIouThresholdCount>& iou_thresholds();
const std::array<double, kRecallThresholdCount>& recall_thresholds();

// pycocotools' bbIou: intersection over union, or over the detection's area for a crowd region.
double coco_iou(const CocoBox& detection, const CocoBox& truth, bool crowd);

// A metric is nullopt where COCOeval reports -1: no non-ignored ground truth to measure against
// (a category without objects, an area range no object falls in).
struct CategoryMetrics {
    std::optional<double> ap;      // AP@[.50:.95], all areas
    std::optional<double> ap_50;
    std::optional<double> ap_75;
    std::optional<double> ar_100;  // recall averaged over the IoU thresholds
    int truths = 0;                // objects that count (not crowd)
};

// Where to serve a model: the score cut that gives the best F1 at IoU .50, over every category's
// detections pooled (each object counts once, whatever its class), matched as COCOeval matches
// them. Keeping the detections with score >= min_score gives this precision and recall.
struct OperatingPoint {
    double min_score = 0;
    double precision = 0, recall = 0, f1 = 0;
};

struct CocoMetrics {
    std::optional<double> map_50_95, map_50, map_75;
    std::optional<double> map_small, map_medium, map_large;
    std::optional<double> ar_100;
    std::optional<OperatingPoint> best_f1_50;  // none without ground truth or detections
    std::vector<CategoryMetrics> per_category;  // by category index
};

// `images` must be in ascending image id, the order COCOeval visits them: it decides between
// equal scores in different images. Category indices must be in [0, category_count); throws
// std::invalid_argument otherwise. (One deliberate difference: COCOeval takes a ground truth whose
// annotation id is 0 for unmatched; here every object is an object.)
CocoMetrics evaluate_coco(const std::vector<ImageResult>& images, int category_count);

}  // namespace detserve::eval
