#include "detserve/detect/omz_models.hpp"

#include <algorithm>

#include "detserve/detect/label_map.hpp"

namespace detserve::detect {

namespace {

constexpr float kOmzDemoThreshold = 0.5f;  // open_model_zoo demos/object_detection_demo: -t default
constexpr int kOmzKeepTopK = 200;          // the cards' N in [1, 1, N, 7]

// Labels numbered from 0 by the model itself (no background label).
OmzModel from_zero(std::string name, int width, int height, std::vector<std::string> labels) {
    return {std::move(name), width, height, std::move(labels), -1};
}

// Label 0 is DetectionOutput's background; the card's classes follow from 1.
OmzModel after_background(std::string name, int width, int height, std::vector<std::string> classes) {
    classes.insert(classes.begin(), "background");
    return {std::move(name), width, height, std::move(classes), 0};
}

std::vector<OmzModel> make_table() {
    // Left out, because their output is not DetectionOutput's [1, 1, N, 7] (read on each card):
    //   boxes [N, 5] (x_min, y_min, x_max, y_max, conf) + labels [N]: face-detection-0205,
    //     face-detection-0206, person-detection-0106, person-detection-0203, person-detection-0301,
    //     person-detection-0302, person-detection-0303, person-vehicle-bike-detection-2003,
    //     person-vehicle-bike-detection-2004, horizontal-text-detection-0001;
    //   boxes [N, 5] alone: person-detection-asl-0001;
    //   raw SSD heads (box logits, confidences, priors) + action maps, no DetectionOutput in the
    //     graph: person-detection-action-recognition-0005/-0006/-teacher-0002,
    //     person-detection-raisinghand-recognition-0001;
    //   YOLO region outputs: yolo-v2-ava-0001 (and -sparse-35/-70), yolo-v2-tiny-ava-0001 (and
    //     -sparse-30/-60), yolo-v2-tiny-vehicle-detection-0001,
    //     person-vehicle-bike-detection-crossroad-yolov3-1020;
    //   YOLOX rows [1, 3549, 15]: smartlab-object-detection-0001..0004.
    // person-detection-retail-0002 does emit [1, 1, 200, 7] but needs a second input (im_info)
    // that detserve does not feed, so it is left out too.
    std::vector<std::string> coco80 = LabelMap::coco80().names();
    return {
        // class_id 1..80 over <omz_dir>/data/dataset_classes/coco_80cl_bkgr.txt; input NHWC.
        after_background("faster-rcnn-resnet101-coco-sparse-60-0001", 1280, 800, coco80),
        after_background("face-detection-adas-0001", 672, 384, {"face"}),
        after_background("face-detection-retail-0004", 300, 300, {"face"}),
        after_background("face-detection-retail-0005", 300, 300, {"face"}),
        from_zero("face-detection-0200", 256, 256, {"face"}),
        from_zero("face-detection-0202", 384, 384, {"face"}),
        from_zero("face-detection-0204", 448, 448, {"face"}),
        after_background("person-detection-retail-0013", 544, 320, {"person"}),
        from_zero("person-detection-0200", 256, 256, {"person"}),
        from_zero("person-detection-0201", 384, 384, {"person"}),
        from_zero("person-detection-0202", 512, 512, {"person"}),
        after_background("pedestrian-detection-adas-0002", 672, 384, {"pedestrian"}),
        after_background("pedestrian-and-vehicle-detector-adas-0001", 672, 384, {"vehicle", "pedestrian"}),
        after_background("vehicle-detection-adas-0002", 672, 384, {"vehicle"}),
        from_zero("vehicle-detection-0200", 256, 256, {"vehicle"}),
        from_zero("vehicle-detection-0201", 384, 384, {"vehicle"}),
        from_zero("vehicle-detection-0202", 512, 512, {"vehicle"}),
        after_background("person-vehicle-bike-detection-crossroad-0078", 1024, 1024, {"person", "vehicle", "bike"}),
        from_zero("person-vehicle-bike-detection-crossroad-1016", 512, 512, {"non-vehicle", "vehicle", "person"}),
        from_zero("person-vehicle-bike-detection-2000", 256, 256, {"vehicle", "person", "bike"}),
        from_zero("person-vehicle-bike-detection-2001", 384, 384, {"vehicle", "person", "bike"}),
        from_zero("person-vehicle-bike-detection-2002", 512, 512, {"vehicle", "person", "bike"}),
        // Input NHWC [1, 300, 300, 3].
        after_background("vehicle-license-plate-detection-barrier-0106", 300, 300, {"vehicle", "license plate"}),
        // "Labels 0 and 1 are related to background_label and undefined correspondingly."
        after_background("product-detection-0001", 512, 512,
                         {"undefined", "sprite", "kool-aid", "extra", "ocelo", "finish", "mtn_dew", "best_foods",
                          "gatorade", "heinz", "ruffles", "pringles", "del_monte"}),
    };
}

}  // namespace

const std::vector<OmzModel>& omz_models() {
    static const std::vector<OmzModel> table = make_table();
    return table;
}

std::optional<OmzModel> omz_model(std::string_view stem) {
    const auto& table = omz_models();
    const auto it = std::find_if(table.begin(), table.end(), [&](const OmzModel& m) { return m.name == stem; });
    if (it == table.end()) return std::nullopt;
    return *it;
}

ModelSpec omz_model_spec(const OmzModel& model) {
    ModelSpec spec;
    spec.model_type = "ssd";
    spec.input_width = model.input_width;
    spec.input_height = model.input_height;
    spec.reverse_input_channels = false;
    spec.mean_values = {0, 0, 0};
    spec.scale_values = {1, 1, 1};
    spec.resize_type = "standard";
    spec.confidence_threshold = kOmzDemoThreshold;
    spec.iou_threshold = 1;  // DetectionOutput ran NMS
    spec.max_detections = kOmzKeepTopK;
    spec.background_label = model.background_label;
    spec.labels_source = "omz:" + model.name;
    spec.labels = LabelMap(model.labels);
    return spec;
}

bool is_omz_public_coco_ssd(std::string_view stem) {
    // models/public/<name>/model.yml of Open Model Zoo: TF OD API SSDs trained on COCO.
    static constexpr std::string_view kNames[] = {
        "ssdlite_mobilenet_v2",     "ssd_mobilenet_v1_coco",    "ssd_mobilenet_v2_coco",
        "ssd_mobilenet_v1_fpn_coco", "ssd_resnet50_v1_fpn_coco", "ssd_inception_v2_coco",
    };
    return std::find(std::begin(kNames), std::end(kNames), stem) != std::end(kNames);
}

}  // namespace detserve::detect
