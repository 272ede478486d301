// Model families by name (as other tools spell them) and by output shapes (the zoo's real shapes).
#include <gtest/gtest.h>

#include "detserve/detect/model_family.hpp"

using namespace detserve::detect;

TEST(DetectModelFamily, SpellingsOfOtherTools) {
    EXPECT_EQ(family_from_model_type("YOLOv8").family, "yolov8");
    EXPECT_EQ(family_from_model_type("yolo_v8").family, "yolov8");
    EXPECT_EQ(family_from_model_type("YOLO11").family, "yolov8");
    EXPECT_EQ(family_from_model_type("YOLOv5").family, "yolov5");
    EXPECT_EQ(family_from_model_type("YOLOX").family, "yolox");
    EXPECT_EQ(family_from_model_type("NanoDet-Plus").family, "nanodet");
    EXPECT_EQ(family_from_model_type("SSD").family, "ssd");
    EXPECT_EQ(family_from_model_type("tf_od_api").family, "tf_od_api");
    const auto yolo = family_from_model_type("YOLO");
    EXPECT_TRUE(yolo.family.empty());
    EXPECT_TRUE(yolo.generic);
    const auto unknown = family_from_model_type("retinanet");
    EXPECT_TRUE(unknown.family.empty());
    EXPECT_FALSE(unknown.generic);
}

TEST(DetectModelFamily, Yolo11At640) {
    const auto f = infer_family({{"output0", {1, 84, 8400}}}, 640, 640, -1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->family, "yolov8");
    EXPECT_EQ(f->classes, 80);
    EXPECT_NE(f->reason.find("8400"), std::string::npos) << f->reason;
}

TEST(DetectModelFamily, NamedLabelsMustAgreeWithTheShape) {
    EXPECT_FALSE(infer_family({{"output0", {1, 84, 8400}}}, 640, 640, 3));  // 3 labels: no yolov8 reading
    EXPECT_TRUE(infer_family({{"output0", {1, 7, 8400}}}, 640, 640, 3));
}

TEST(DetectModelFamily, NmsInsideTheGraph) {
    const auto f = infer_family({{"Result_5801", {1, 300, 6}}}, 320, 320, 80);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->family, "detections");
}

TEST(DetectModelFamily, Yolov5AndYolox) {
    auto f = infer_family({{"output0", {1, 25200, 85}}}, 640, 640, -1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->family, "yolov5");
    EXPECT_EQ(f->classes, 80);
    f = infer_family({{"output", {1, 8400, 85}}}, 640, 640, -1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->family, "yolox");
    // One class: [B, 3·A, 6] is yolov5, not the 6-column NMS rows.
    f = infer_family({{"output0", {1, 25200, 6}}}, 640, 640, 1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->family, "yolov5");
}

TEST(DetectModelFamily, NanodetPlusConcatenatedHead) {
    const auto f = infer_family({{"output", {1, 3598, 112}}}, 416, 416, -1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->family, "nanodet");
    EXPECT_EQ(f->fields["strides"], nlohmann::json::array({8, 16, 32, 64}));
    EXPECT_EQ(f->fields["center_offset"], 0.0);
    EXPECT_EQ(f->fields["labels"], "coco80");  // assumed, and the reason says so
    EXPECT_NE(f->reason.find("assumed"), std::string::npos) << f->reason;
}

TEST(DetectModelFamily, SsdRowsTfOdApiAndFastestDet) {
    auto f = infer_family({{"detection_out", {1, 1, 200, 7}}}, 300, 300, -1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->family, "ssd");
    f = infer_family({{"detection_boxes", {1, 100, 4}},
                      {"detection_classes", {1, 100}},
                      {"detection_scores", {1, 100}},
                      {"num_detections", {1}}},
                     300, 300, -1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->family, "tf_od_api");
    f = infer_family({{"758", {1, 85, 22, 22}}}, 352, 352, -1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->family, "fastestdet");
}

TEST(DetectModelFamily, NothingFits) {
    EXPECT_FALSE(infer_family({{"logits", {1, 1000}}}, 224, 224, -1));
    EXPECT_FALSE(infer_family({{"output0", {1, 84, 8400}}}, 0, 0, -1));  // no input size: no cell count
    EXPECT_FALSE(infer_family({}, 640, 640, -1));
}

TEST(DetectModelFamily, DefaultsAreTheFamiliesOwnPipelines) {
    EXPECT_EQ(family_defaults("yolov8")["reverse_input_channels"], true);
    EXPECT_EQ(family_defaults("yolov8")["scale_values"], 255);
    EXPECT_EQ(family_defaults("yolov5")["iou_threshold"], 0.45);
    EXPECT_EQ(family_defaults("nanodet")["reverse_input_channels"], false);
    EXPECT_EQ(family_defaults("ssd")["resize_type"], "standard");
    EXPECT_EQ(family_defaults("tf_od_api")["labels"], "coco91");
    EXPECT_TRUE(family_defaults("unknown").empty());
}
