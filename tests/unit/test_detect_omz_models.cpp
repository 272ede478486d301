// The Open Model Zoo table: lookups by IR file stem, the specs it makes, and the table held against
// the OMZ IRs in ../shared/models/zoo (skipped where that directory is absent).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>

#include "detserve/detect/model_spec.hpp"
#include "detserve/detect/omz_models.hpp"
#include "detserve/graph/ir_reader.hpp"

#ifndef DETSERVE_SOURCE_DIR
#define DETSERVE_SOURCE_DIR ""
#endif

using namespace detserve;
using namespace detserve::detect;
namespace fs = std::filesystem;

namespace {

fs::path zoo_dir() {
    if (const char* dir = std::getenv("DETSERVE_SHARED_DIR"); dir && *dir) return fs::path(dir) / "models" / "zoo";
    return fs::path(DETSERVE_SOURCE_DIR) / ".." / "shared" / "models" / "zoo";
}

}  // namespace

TEST(DetectOmzModels, LooksUpByExactStem) {
    const auto retail = omz_model("face-detection-retail-0004");
    ASSERT_TRUE(retail);
    EXPECT_EQ(retail->input_width, 300);
    EXPECT_EQ(retail->input_height, 300);
    ASSERT_EQ(retail->labels.size(), 2u);
    EXPECT_EQ(retail->labels[0], "background");
    EXPECT_EQ(retail->labels[1], "face");
    EXPECT_EQ(retail->background_label, 0);

    EXPECT_FALSE(omz_model("face-detection-retail-0004-fp16"));
    EXPECT_FALSE(omz_model("Face-Detection-Retail-0004"));
    EXPECT_FALSE(omz_model(""));
    EXPECT_FALSE(omz_model("yolov8n"));
}

TEST(DetectOmzModels, LabelsAsTheModelCardsNumberThem) {
    const auto adas = omz_model("pedestrian-and-vehicle-detector-adas-0001");
    ASSERT_TRUE(adas);
    EXPECT_EQ(adas->labels.at(1), "vehicle");
    EXPECT_EQ(adas->labels.at(2), "pedestrian");
    EXPECT_EQ(adas->input_width, 672);
    EXPECT_EQ(adas->input_height, 384);

    EXPECT_EQ(omz_model("vehicle-license-plate-detection-barrier-0106")->labels.at(2), "license plate");
    EXPECT_EQ(omz_model("person-vehicle-bike-detection-crossroad-0078")->labels.at(3), "bike");

    // Training Extensions models count from 0 with no background label.
    const auto pvb = omz_model("person-vehicle-bike-detection-2000");
    ASSERT_TRUE(pvb);
    EXPECT_EQ(pvb->background_label, -1);
    EXPECT_EQ(pvb->labels, (std::vector<std::string>{"vehicle", "person", "bike"}));
    EXPECT_EQ(omz_model("face-detection-0200")->labels, (std::vector<std::string>{"face"}));

    const auto product = omz_model("product-detection-0001");
    ASSERT_TRUE(product);
    EXPECT_EQ(product->labels.at(1), "undefined");
    EXPECT_EQ(product->labels.at(2), "sprite");
    EXPECT_EQ(product->labels.back(), "del_monte");

    const auto rcnn = omz_model("faster-rcnn-resnet101-coco-sparse-60-0001");
    ASSERT_TRUE(rcnn);
    EXPECT_EQ(rcnn->labels.size(), 81u);
    EXPECT_EQ(rcnn->labels.at(1), "person");
    EXPECT_EQ(rcnn->labels.at(80), "toothbrush");
}

TEST(DetectOmzModels, EveryEntryIsWellFormedAndOtherOutputFormatsAreAbsent) {
    std::set<std::string> names;
    for (const auto& model : omz_models()) {
        EXPECT_TRUE(names.insert(model.name).second) << "duplicate " << model.name;
        EXPECT_GT(model.input_width, 0) << model.name;
        EXPECT_GT(model.input_height, 0) << model.name;
        ASSERT_FALSE(model.labels.empty()) << model.name;
        if (model.background_label == 0) {
            EXPECT_EQ(model.labels[0], "background") << model.name;
        } else {
            EXPECT_EQ(model.background_label, -1) << model.name;
        }
    }
    EXPECT_EQ(names.size(), 24u);
    // boxes [N,5] + labels [N], raw SSD heads, YOLO regions: not DetectionOutput rows.
    for (const char* other : {"face-detection-0205", "face-detection-0206", "person-detection-0203",
                              "person-detection-0301", "person-vehicle-bike-detection-2003", "person-detection-asl-0001",
                              "person-detection-action-recognition-0005", "yolo-v2-tiny-vehicle-detection-0001",
                              "smartlab-object-detection-0001", "person-detection-retail-0002"})
        EXPECT_FALSE(omz_model(other)) << other;
}

TEST(DetectOmzModels, SpecFeedsBgrPixelsAndDecodesWithTheCardsLabels) {
    const ModelSpec spec = omz_model_spec(*omz_model("pedestrian-and-vehicle-detector-adas-0001"));
    EXPECT_EQ(spec.model_type, "ssd");
    EXPECT_EQ(spec.input_width, 672);
    EXPECT_EQ(spec.input_height, 384);
    EXPECT_FALSE(spec.reverse_input_channels);
    EXPECT_EQ(spec.mean_values, (std::array<float, 3>{0, 0, 0}));
    EXPECT_EQ(spec.scale_values, (std::array<float, 3>{1, 1, 1}));
    EXPECT_EQ(spec.resize_type, "standard");
    EXPECT_FLOAT_EQ(spec.confidence_threshold, 0.5f);
    EXPECT_FLOAT_EQ(spec.iou_threshold, 1.0f);
    EXPECT_EQ(spec.background_label, 0);

    Tensor rows{{1, 1, 3, 7}, {0, 2, 0.9f, 0.1f, 0.1f, 0.2f, 0.5f,  //
                               0, 1, 0.8f, 0.5f, 0.5f, 0.9f, 0.7f,  //
                               -1, 0, 0, 0, 0, 0, 0}};
    const auto dets = decode_detections(spec, {{"detection_out", rows}}, 0, 672, 384, {1, 1, 0, 0, 672, 384},
                                        decode_options(spec));
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_EQ(dets[0].label, "pedestrian");
    EXPECT_EQ(dets[1].label, "vehicle");

    // Round trip through the sidecar form keeps what the table said.
    const ModelSpec back = model_spec_from_json(model_spec_to_json(spec));
    EXPECT_EQ(back.labels.names(), spec.labels.names());
    EXPECT_EQ(back.background_label, 0);
    EXPECT_EQ(model_spec_from_json(model_spec_to_json(omz_model_spec(*omz_model("vehicle-detection-0200"))))
                  .background_label,
              -1);
}

TEST(DetectOmzModels, TableMatchesTheOmzIrsInTheZoo) {
    const fs::path zoo = zoo_dir();
    if (!fs::exists(zoo)) GTEST_SKIP() << zoo.string() << ": ../shared/models/zoo not found (set DETSERVE_SHARED_DIR)";
    int checked = 0;
    for (const auto& folder : fs::directory_iterator(zoo)) {
        if (!folder.is_directory()) continue;
        for (const auto& file : fs::directory_iterator(folder.path())) {
            if (file.path().extension() != ".xml") continue;
            const auto model = omz_model(file.path().stem().string());
            if (!model) continue;
            graph::Graph graph;
            try {
                graph = graph::read_ir(file.path());
            } catch (const std::exception& e) {
                // The legacy IR v3 is refused by design; others are the IR reader's to fix.
                std::cout << "not checked (the IR reader refuses it): " << e.what() << "\n";
                continue;
            }
            for (const auto& node : graph.nodes()) {
                if (node.is("DetectionOutput")) {
                    EXPECT_EQ(node.attrs.get_int_or("background_label_id", 0), model->background_label) << file.path();
                }
                if (node.is("Parameter")) {
                    const auto& shape = node.outputs.at(0).shape;  // NCHW, or NHWC from TensorFlow
                    const bool nchw = shape.at(1) == 3;
                    EXPECT_EQ(shape.at(nchw ? 3 : 2), model->input_width) << file.path();
                    EXPECT_EQ(shape.at(nchw ? 2 : 1), model->input_height) << file.path();
                }
            }
            ++checked;
        }
    }
    // Read today: face-detection-retail-0004 (FP32), pedestrian-and-vehicle-detector-adas-0001,
    // vehicle-license-plate-detection-barrier-0106 (NHWC).
    EXPECT_GE(checked, 3);
}
