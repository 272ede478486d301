#include "detserve/detect/tf_od_api_decoder.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "detserve/detect/box.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/detect/output_tensors.hpp"

namespace detserve::detect {

namespace {

using Output = std::pair<std::string, Tensor>;

bool name_contains(const std::string& name, std::string_view part) {
    std::string lower(name.size(), ' ');
    std::transform(name.begin(), name.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.find(part) != std::string::npos;
}

[[noreturn]] void fail(const std::string& why, const NamedTensors& outputs) {
    throw std::runtime_error("tf_od_api: " + why + "; outputs: " + describe_outputs(outputs));
}

const Output* find_boxes(const NamedTensors& outputs) {
    const Output* any = nullptr;
    const Output* not_raw = nullptr;
    for (const auto& output : outputs) {
        const Tensor& t = output.second;
        if (t.shape.size() != 3 || t.dim(2) != 4) continue;
        const bool raw = name_contains(output.first, "raw");  // raw_detection_boxes: before NMS
        if (!raw && name_contains(output.first, "detection_boxes")) return &output;
        if (!raw && !not_raw) not_raw = &output;
        if (!any) any = &output;
    }
    return not_raw ? not_raw : any;
}

struct PerDetection {
    const Tensor* classes = nullptr;
    const Tensor* scores = nullptr;
};

bool all_whole(const float* values, std::size_t count) {
    return std::all_of(values, values + count, [](float v) { return std::isfinite(v) && v == std::round(v); });
}

// Classes vs scores by content, over the image's valid rows (see the header).
PerDetection by_content(const Tensor& a, const Tensor& b, int batch_index, std::size_t valid,
                        const NamedTensors& outputs) {
    const float* va = batch_data(a, batch_index, "tf_od_api classes/scores");
    const float* vb = batch_data(b, batch_index, "tf_od_api classes/scores");
    const bool a_whole = all_whole(va, valid);
    const bool b_whole = all_whole(vb, valid);
    if (a_whole && !b_whole) return {&a, &b};
    if (b_whole && !a_whole) return {&b, &a};
    if (!a_whole) fail("neither [B,N] output holds whole class ids, cannot tell classes from scores", outputs);
    const double sum_a = std::accumulate(va, va + valid, 0.0);
    const double sum_b = std::accumulate(vb, vb + valid, 0.0);
    return sum_a >= sum_b ? PerDetection{&a, &b} : PerDetection{&b, &a};
}

}  // namespace

std::vector<Detection> decode_tf_od_api(const NamedTensors& outputs, int batch_index, int input_width,
                                        int input_height, [[maybe_unused]] int num_classes,
                                        const InputTransform& transform, const DecodeOptions& options) {
    const Output* boxes = find_boxes(outputs);
    if (!boxes) fail("no detection_boxes output of shape [B,N,4]", outputs);
    const std::int64_t batch = boxes->second.dim(0);
    const std::int64_t rows = boxes->second.dim(1);

    const Tensor* count = nullptr;
    std::vector<const Output*> named_class, named_score, unnamed;
    for (const auto& output : outputs) {
        const Tensor& t = output.second;
        if (t.shape.size() == 1 && t.dim(0) == batch && !count) count = &t;
        if (t.shape.size() != 2 || t.dim(0) != batch || t.dim(1) != rows) continue;
        if (name_contains(output.first, "anchor")) continue;
        if (name_contains(output.first, "class")) named_class.push_back(&output);
        else if (name_contains(output.first, "score")) named_score.push_back(&output);
        else unnamed.push_back(&output);
    }
    if (!count) fail("no num_detections output of shape [" + std::to_string(batch) + "]", outputs);

    const float* boxes_data = batch_data(boxes->second, batch_index, "tf_od_api detection_boxes");
    const float num_detections = batch_data(*count, batch_index, "tf_od_api num_detections")[0];
    const auto valid = static_cast<std::size_t>(
        std::clamp<double>(std::isfinite(num_detections) ? num_detections : 0.0, 0.0, static_cast<double>(rows)));
    if (valid == 0) return {};

    PerDetection per;
    if (named_class.size() == 1 && named_score.size() == 1) {
        per = {&named_class[0]->second, &named_score[0]->second};
    } else {
        std::vector<const Output*> pair = unnamed;
        pair.insert(pair.end(), named_class.begin(), named_class.end());
        pair.insert(pair.end(), named_score.begin(), named_score.end());
        if (pair.size() != 2)
            fail("expected two [B,N] outputs (detection_classes, detection_scores) beside [B,N,4] boxes, found " +
                     std::to_string(pair.size()),
                 outputs);
        per = by_content(pair[0]->second, pair[1]->second, batch_index, valid, outputs);
    }
    const float* classes = batch_data(*per.classes, batch_index, "tf_od_api detection_classes");
    const float* scores = batch_data(*per.scores, batch_index, "tf_od_api detection_scores");

    const auto width = static_cast<float>(input_width);
    const auto height = static_cast<float>(input_height);
    std::vector<Detection> candidates;
    for (std::size_t i = 0; i < valid; ++i) {
        if (!(scores[i] > options.score_threshold) || !std::isfinite(classes[i])) continue;
        const float* b = boxes_data + i * 4;  // ymin, xmin, ymax, xmax
        const Box model_box{b[1] * width, b[0] * height, b[3] * width, b[2] * height};
        candidates.push_back({static_cast<int>(std::lround(classes[i])), {}, scores[i],
                              to_original_image(model_box, transform)});
    }
    return non_max_suppression(std::move(candidates), options.iou_threshold, options.max_detections, options.nms);
}

}  // namespace detserve::detect
