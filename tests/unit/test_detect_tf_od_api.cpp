// The tf_od_api family: detection_boxes / detection_classes / detection_scores / num_detections as
// the TF Object Detection API exporters write them, found by name when the names say which is which
// and by content when they do not.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "detserve/detect/tf_od_api_decoder.hpp"

using namespace detserve;
using namespace detserve::detect;

namespace {

constexpr int kRows = 4;

Tensor tensor(std::vector<std::int64_t> shape, std::vector<float> values) {
    Tensor t{std::move(shape), std::move(values)};
    t.data.resize(t.elements(), 0.0f);
    return t;
}

// One image: two detections (dog 18 at 0.9, person 1 at 0.6), a third row beyond num_detections.
Tensor boxes() {
    return tensor({1, kRows, 4}, {0.1f, 0.2f, 0.5f, 0.6f,    // ymin, xmin, ymax, xmax
                                  0.0f, 0.0f, 0.25f, 0.25f,  //
                                  0.3f, 0.3f, 0.4f, 0.4f});  // past num_detections
}
Tensor classes() { return tensor({1, kRows}, {18, 1, 3}); }
Tensor scores() { return tensor({1, kRows}, {0.9f, 0.6f, 0.8f}); }
Tensor count() { return tensor({1}, {2}); }

InputTransform identity() { return {1, 1, 0, 0, 300, 300}; }
DecodeOptions no_second_nms() { return {0.5f, 1.0f, 100}; }

void expect_dog_and_person(const std::vector<Detection>& dets) {
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_EQ(dets[0].class_id, 18);  // COCO-91 id as is
    EXPECT_FLOAT_EQ(dets[0].score, 0.9f);
    EXPECT_NEAR(dets[0].box.x_min, 60, 1e-3);   // xmin 0.2 · 300
    EXPECT_NEAR(dets[0].box.y_min, 30, 1e-3);   // ymin 0.1 · 300
    EXPECT_NEAR(dets[0].box.x_max, 180, 1e-3);  // xmax 0.6 · 300
    EXPECT_NEAR(dets[0].box.y_max, 150, 1e-3);  // ymax 0.5 · 300
    EXPECT_EQ(dets[1].class_id, 1);
    EXPECT_FLOAT_EQ(dets[1].score, 0.6f);
}

}  // namespace

TEST(DetectTfOdApi, ByNameInAnyOrderAndOnlyNumDetectionsRows) {
    const NamedTensors outputs = {{"detection_scores:0", scores()},
                                  {"num_detections:0", count()},
                                  {"detection_classes:0", classes()},
                                  {"detection_boxes:0", boxes()}};
    expect_dog_and_person(decode_tf_od_api(outputs, 0, 300, 300, 91, identity(), no_second_nms()));
}

TEST(DetectTfOdApi, ByContentWhenNamesSayNothing) {
    expect_dog_and_person(decode_tf_od_api({{"a", boxes()}, {"b", classes()}, {"c", scores()}, {"d", count()}}, 0, 300,
                                           300, 91, identity(), no_second_nms()));
    expect_dog_and_person(decode_tf_od_api({{"d", count()}, {"c", scores()}, {"b", classes()}, {"a", boxes()}}, 0, 300,
                                           300, 91, identity(), no_second_nms()));
}

TEST(DetectTfOdApi, WholeNumberScoresAreToldApartByTheirSum) {
    // A one-class model scoring exactly 1 and 0: both tensors hold whole numbers; ids >= 1 >= scores.
    const Tensor one_class = tensor({1, kRows}, {1, 1});
    const Tensor hard_scores = tensor({1, kRows}, {1, 0});
    for (bool swapped : {false, true}) {
        NamedTensors outputs = {{"x", boxes()}, {"y", one_class}, {"z", hard_scores}, {"n", count()}};
        if (swapped) std::swap(outputs[1], outputs[2]);
        const auto dets = decode_tf_od_api(outputs, 0, 300, 300, 2, identity(), no_second_nms());
        ASSERT_EQ(dets.size(), 1u) << "swapped " << swapped;
        EXPECT_EQ(dets[0].class_id, 1);
        EXPECT_FLOAT_EQ(dets[0].score, 1.0f);
    }
}

TEST(DetectTfOdApi, ExtraExporterOutputsAreNotMistakenForTheFour) {
    // TF2 exports add raw_detection_boxes [B, M, 4] and detection_anchor_indices [B, N] (whole
    // numbers > 1, like class ids).
    const NamedTensors outputs = {{"raw_detection_boxes", tensor({1, 10, 4}, std::vector<float>(40, 0.5f))},
                                  {"detection_anchor_indices", tensor({1, kRows}, {1200, 37, 5})},
                                  {"output_1", scores()},
                                  {"output_2", classes()},
                                  {"output_3", count()},
                                  {"output_4", boxes()}};
    expect_dog_and_person(decode_tf_od_api(outputs, 0, 300, 300, 91, identity(), no_second_nms()));
}

TEST(DetectTfOdApi, BatchIndexUsesThatImagesCountAndRows) {
    const Tensor b = tensor({2, 2, 4}, {0, 0, 0.1f, 0.1f, 0, 0, 0.2f, 0.2f, 0.5f, 0.5f, 1, 1, 0, 0, 0, 0});
    const Tensor c = tensor({2, 2}, {5, 6, 7, 8});
    const Tensor s = tensor({2, 2}, {0.9f, 0.8f, 0.7f, 0.95f});
    const Tensor n = tensor({2}, {2, 1});
    const NamedTensors outputs = {{"detection_boxes", b}, {"detection_classes", c}, {"detection_scores", s},
                                  {"num_detections", n}};
    const auto dets = decode_tf_od_api(outputs, 1, 300, 300, 91, identity(), no_second_nms());
    ASSERT_EQ(dets.size(), 1u);  // row 2 of image 1 (0.95) is past its num_detections
    EXPECT_EQ(dets[0].class_id, 7);
    EXPECT_NEAR(dets[0].box.x_min, 150, 1e-3);
    EXPECT_NEAR(dets[0].box.y_max, 300, 1e-3);
    EXPECT_EQ(decode_tf_od_api(outputs, 0, 300, 300, 91, identity(), no_second_nms()).size(), 2u);
}

TEST(DetectTfOdApi, MissingOutputErrorListsOutputs) {
    try {
        decode_tf_od_api({{"detection_boxes", boxes()}, {"detection_scores", scores()}}, 0, 300, 300, 91, identity(),
                         no_second_nms());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("tf_od_api"), std::string::npos) << message;
        EXPECT_NE(message.find("num_detections"), std::string::npos) << message;
        EXPECT_NE(message.find("'detection_scores' [1,4]"), std::string::npos) << message;
    }
}
