#include "detserve/eval/coco_evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

// Follows pycocotools/cocoeval.py (COCOeval.evaluateImg, accumulate, summarize) step by step, so
// that the same inputs give the same numbers, ties included.
namespace detserve::eval {
namespace {

struct AreaRange {
    double min, max;  // an object is in range when min <= area <= max
};
// Params.areaRng: all, small, medium, large (1e5² stands for "no limit").
constexpr std::array<AreaRange, 4> kAreaRanges{{{0, 1e10}, {0, kSmallArea}, {kSmallArea, kLargeArea}, {kLargeArea, 1e10}}};
enum Area { all = 0, small = 1, medium = 2, large = 3 };

constexpr int kIou50 = 0, kIou75 = 5;  // indices of .50 and .75 in iou_thresholds()

// numpy.linspace(start, stop, num): start + k * ((stop - start) / (num - 1)), the last one exactly stop.
template <std::size_t N>
std::array<double, N> linspace(double start, double stop) {
    std::array<double, N> values{};
    const double step = (stop - start) / static_cast<double>(N - 1);
    for (std::size_t k = 0; k < N; ++k) values[k] = static_cast<double>(k) * step + start;
    values[N - 1] = stop;
    return values;
}

// One detection of one (image, category) as evaluateImg leaves it for one area range: bit t of
// `matched` / `ignored` for IoU threshold t.
struct ScoredMatch {
    double score;
    std::uint16_t matched, ignored;
};

// Everything accumulate() needs of one (category, area range): the detections of every image in
// image order, and the ground truth that counts.
struct Accumulator {
    std::vector<ScoredMatch> detections;
    int counted_truths = 0;  // npig: ground truth not ignored
    bool any_image = false;  // an image had ground truth or detections of the category
};

bool outside(double area, const AreaRange& range) { return area < range.min || area > range.max; }

// evaluateImg for one image, category and area range. `detections` are sorted by score and cut at
// kMaxDetections; ious[d * truths.size() + g] is computed in the truths' input order.
void evaluate_image(const std::vector<const TruthObject*>& truths, const std::vector<const Prediction*>& detections,
                    const std::vector<double>& ious, const AreaRange& range, Accumulator& out) {
    const std::size_t truth_count = truths.size();
    std::vector<char> truth_ignored(truth_count);
    for (std::size_t g = 0; g < truth_count; ++g)
        truth_ignored[g] = truths[g]->crowd || outside(truths[g]->area, range);
    // Counted ground truth first, ignored last (a stable sort, as numpy's mergesort).
    std::vector<std::size_t> order(truth_count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_partition(order.begin(), order.end(), [&](std::size_t g) { return !truth_ignored[g]; });
    out.counted_truths += static_cast<int>(std::count(truth_ignored.begin(), truth_ignored.end(), 0));
    out.any_image = true;

    std::vector<std::uint16_t> truth_matched(truth_count, 0);
    std::vector<ScoredMatch> matches(detections.size());
    for (std::size_t d = 0; d < detections.size(); ++d) matches[d] = {detections[d]->score, 0, 0};
    if (truth_count > 0) {
        const auto& thresholds = iou_thresholds();
        for (int t = 0; t < kIouThresholdCount; ++t) {
            const auto bit = static_cast<std::uint16_t>(1u << t);
            for (std::size_t d = 0; d < detections.size(); ++d) {
                double best = std::min(thresholds[static_cast<std::size_t>(t)], 1 - 1e-10);
                int match = -1;
                for (const std::size_t g : order) {
                    // A crowd region may take any number of detections; an object only one.
                    if ((truth_matched[g] & bit) && !truths[g]->crowd) continue;
                    // Matched to a counted object already: the ignored ones that follow cannot win.
                    if (match >= 0 && !truth_ignored[static_cast<std::size_t>(match)] && truth_ignored[g]) break;
                    const double overlap = ious[d * truth_count + g];
                    if (overlap < best) continue;
                    best = overlap;
                    match = static_cast<int>(g);
                }
                if (match < 0) continue;
                const auto m = static_cast<std::size_t>(match);
                if (truth_ignored[m]) matches[d].ignored |= bit;
                matches[d].matched |= bit;
                truth_matched[m] |= bit;
            }
        }
    }
    // An unmatched detection outside the area range is ignored too.
    constexpr auto kAllThresholds = static_cast<std::uint16_t>((1u << kIouThresholdCount) - 1);
    for (std::size_t d = 0; d < detections.size(); ++d) {
        const CocoBox& box = detections[d]->box;
        if (outside(box.width * box.height, range)) matches[d].ignored |= static_cast<std::uint16_t>(~matches[d].matched & kAllThresholds);
    }
    out.detections.insert(out.detections.end(), matches.begin(), matches.end());
}

// accumulate() for one (category, area range): per IoU threshold, the 101-point interpolated
// precision averaged (AP) and the final recall. Empty when COCOeval leaves -1 there.
struct ThresholdCurve {
    std::array<double, kIouThresholdCount> ap{}, recall{};
};

std::optional<ThresholdCurve> accumulate(Accumulator& acc) {
    if (!acc.any_image || acc.counted_truths == 0) return std::nullopt;
    std::stable_sort(acc.detections.begin(), acc.detections.end(),
                     [](const ScoredMatch& a, const ScoredMatch& b) { return a.score > b.score; });
    const auto& recall_points = recall_thresholds();
    const double counted = static_cast<double>(acc.counted_truths);
    const std::size_t n = acc.detections.size();
    std::vector<double> recall(n), precision(n);
    ThresholdCurve curve;
    for (int t = 0; t < kIouThresholdCount; ++t) {
        const auto bit = static_cast<std::uint16_t>(1u << t);
        double tp = 0, fp = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const ScoredMatch& m = acc.detections[i];
            if (!(m.ignored & bit)) (m.matched & bit ? tp : fp) += 1;
            recall[i] = tp / counted;
            precision[i] = tp / (fp + tp + std::numeric_limits<double>::epsilon());  // np.spacing(1)
        }
        curve.recall[static_cast<std::size_t>(t)] = n ? recall.back() : 0;
        // The precision envelope: at each point the best precision at this recall or beyond.
        for (std::size_t i = n; i-- > 1;) precision[i - 1] = std::max(precision[i - 1], precision[i]);
        double sum = 0;
        for (const double point : recall_points) {
            const auto at = static_cast<std::size_t>(std::lower_bound(recall.begin(), recall.end(), point) - recall.begin());
            sum += at < n ? precision[at] : 0.0;
        }
        curve.ap[static_cast<std::size_t>(t)] = sum / kRecallThresholdCount;
    }
    return curve;
}

double mean(const std::array<double, kIouThresholdCount>& values) {
    return std::accumulate(values.begin(), values.end(), 0.0) / kIouThresholdCount;
}

// summarize(): the mean over the categories that have a value.
std::optional<double> mean_of_present(const std::vector<std::optional<double>>& values) {
    double sum = 0;
    int count = 0;
    for (const auto& v : values)
        if (v) {
            sum += *v;
            ++count;
        }
    if (count == 0) return std::nullopt;
    return sum / count;
}

// The score cut with the best F1 at IoU .50 over the categories' "all areas" accumulators; a cut
// falls only between different scores (equal scores stay together, as a threshold keeps them).
std::optional<OperatingPoint> best_f1_at_50(const std::vector<std::array<Accumulator, kAreaRanges.size()>>& accumulators) {
    constexpr auto bit = static_cast<std::uint16_t>(1u << kIou50);
    std::vector<ScoredMatch> pooled;
    int counted = 0;
    for (const auto& by_area : accumulators) {
        const Accumulator& acc = by_area[Area::all];
        counted += acc.counted_truths;
        for (const ScoredMatch& m : acc.detections)
            if (!(m.ignored & bit)) pooled.push_back(m);
    }
    if (counted == 0 || pooled.empty()) return std::nullopt;
    std::sort(pooled.begin(), pooled.end(), [](const ScoredMatch& a, const ScoredMatch& b) { return a.score > b.score; });
    std::optional<OperatingPoint> best;
    double tp = 0;
    for (std::size_t i = 0; i < pooled.size(); ++i) {
        if (pooled[i].matched & bit) tp += 1;
        if (i + 1 < pooled.size() && pooled[i + 1].score == pooled[i].score) continue;
        const double precision = tp / static_cast<double>(i + 1), recall = tp / counted;
        const double f1 = tp > 0 ? 2 * precision * recall / (precision + recall) : 0;
        if (!best || f1 > best->f1) best = OperatingPoint{pooled[i].score, precision, recall, f1};
    }
    return best;
}

}  // namespace

const std::array<double, kIouThresholdCount>& iou_thresholds() {
    static const auto values = linspace<kIouThresholdCount>(0.5, 0.95);
    return values;
}

const std::array<double, kRecallThresholdCount>& recall_thresholds() {
    static const auto values = linspace<kRecallThresholdCount>(0.0, 1.0);
    return values;
}

double coco_iou(const CocoBox& d, const CocoBox& g, bool crowd) {
    // The operations of maskApi.c's bbIou, in its order.
    const double truth_area = g.width * g.height, detection_area = d.width * d.height;
    const double w = std::fmin(d.width + d.x, g.width + g.x) - std::fmax(d.x, g.x);
    if (w <= 0) return 0;
    const double h = std::fmin(d.height + d.y, g.height + g.y) - std::fmax(d.y, g.y);
    if (h <= 0) return 0;
    const double intersection = w * h;
    const double denominator = crowd ? detection_area : detection_area + truth_area - intersection;
    return intersection / denominator;
}

CocoMetrics evaluate_coco(const std::vector<ImageResult>& images, int category_count) {
    if (category_count < 0) throw std::invalid_argument("evaluate_coco: negative category count");
    const auto categories = static_cast<std::size_t>(category_count);
    auto check = [&](int category, const char* what, std::size_t image) {
        if (category < 0 || category >= category_count)
            throw std::invalid_argument(std::string("evaluate_coco: image ") + std::to_string(image) + ": " + what +
                                        " category " + std::to_string(category) + " outside [0, " +
                                        std::to_string(category_count) + ")");
    };

    // Per category, per area range.
    std::vector<std::array<Accumulator, kAreaRanges.size()>> accumulators(categories);
    std::vector<int> counted_all(categories, 0);
    std::vector<std::vector<const TruthObject*>> truths(categories);
    std::vector<std::vector<const Prediction*>> detections(categories);
    std::vector<double> ious;
    for (std::size_t i = 0; i < images.size(); ++i) {
        for (auto& list : truths) list.clear();
        for (auto& list : detections) list.clear();
        for (const TruthObject& truth : images[i].truths) {
            check(truth.category, "ground truth", i);
            truths[static_cast<std::size_t>(truth.category)].push_back(&truth);
            if (!truth.crowd) ++counted_all[static_cast<std::size_t>(truth.category)];
        }
        for (const Prediction& prediction : images[i].predictions) {
            check(prediction.category, "prediction", i);
            detections[static_cast<std::size_t>(prediction.category)].push_back(&prediction);
        }
        for (std::size_t k = 0; k < categories; ++k) {
            if (truths[k].empty() && detections[k].empty()) continue;
            auto& dets = detections[k];
            std::stable_sort(dets.begin(), dets.end(), [](const Prediction* a, const Prediction* b) { return a->score > b->score; });
            if (dets.size() > static_cast<std::size_t>(kMaxDetections)) dets.resize(kMaxDetections);
            ious.assign(dets.size() * truths[k].size(), 0.0);
            for (std::size_t d = 0; d < dets.size(); ++d)
                for (std::size_t g = 0; g < truths[k].size(); ++g)
                    ious[d * truths[k].size() + g] = coco_iou(dets[d]->box, truths[k][g]->box, truths[k][g]->crowd);
            for (std::size_t a = 0; a < kAreaRanges.size(); ++a) evaluate_image(truths[k], dets, ious, kAreaRanges[a], accumulators[k][a]);
        }
    }

    CocoMetrics metrics;
    metrics.per_category.resize(categories);
    std::vector<std::optional<double>> ap(categories), ap50(categories), ap75(categories), ar(categories);
    std::array<std::vector<std::optional<double>>, kAreaRanges.size()> ap_by_area;
    for (auto& list : ap_by_area) list.resize(categories);
    for (std::size_t k = 0; k < categories; ++k) {
        for (std::size_t a = 0; a < kAreaRanges.size(); ++a) {
            const auto curve = accumulate(accumulators[k][a]);
            if (!curve) continue;
            ap_by_area[a][k] = mean(curve->ap);
            if (a != Area::all) continue;
            ap50[k] = curve->ap[kIou50];
            ap75[k] = curve->ap[kIou75];
            ar[k] = mean(curve->recall);
        }
        ap[k] = ap_by_area[Area::all][k];
        metrics.per_category[k] = {ap[k], ap50[k], ap75[k], ar[k], counted_all[k]};
    }
    metrics.map_50_95 = mean_of_present(ap);
    metrics.map_50 = mean_of_present(ap50);
    metrics.map_75 = mean_of_present(ap75);
    metrics.map_small = mean_of_present(ap_by_area[Area::small]);
    metrics.map_medium = mean_of_present(ap_by_area[Area::medium]);
    metrics.map_large = mean_of_present(ap_by_area[Area::large]);
    metrics.ar_100 = mean_of_present(ar);
    metrics.best_f1_50 = best_f1_at_50(accumulators);
    return metrics;
}

}  // namespace detserve::eval
