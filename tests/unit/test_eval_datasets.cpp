// Ground truth for `detserve eval`: YOLO label folders, COCO json (both directions), and matching
// a model's labels to the ground truth's classes.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "../support/temp_dir.hpp"
#include "detserve/eval/class_mapping.hpp"
#include "detserve/eval/coco_json.hpp"
#include "detserve/eval/eval_report.hpp"
#include "detserve/eval/yolo_dataset.hpp"

using namespace detserve::eval;
namespace fs = std::filesystem;
using detserve::test::TempDir;

namespace {

// The message of the std::runtime_error `f` throws ("" when it does not throw).
template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

// dataset/images/{a,b,c}.jpg (contents do not matter here), dataset/labels/{a,b}.txt,
// dataset/names.txt with three classes.
struct YoloFolder {
    TempDir dir{"detserve_eval_yolo"};
    fs::path images = dir.path() / "images", labels = dir.path() / "labels";
    YoloFolder() {
        fs::create_directories(images);
        fs::create_directories(labels);
        for (const char* name : {"a.jpg", "b.JPG", "c.png"}) dir.write("images/" + std::string(name), "not decoded here");
        dir.write("labels/a.txt", "0 0.5 0.5 0.2 0.4\n2 0.1 0.1 0.1 0.1\n");
        dir.write("labels/b.txt", "1 0.5 0.5 1 1\n");
        dir.write("names.txt", "person\nbicycle\ncar\n");
    }
};

}  // namespace

TEST(EvalYoloDataset, PhotosInNameOrderWithTheirLabelFiles) {
    YoloFolder f;
    const Dataset d = read_yolo_dataset(f.images, f.labels);
    ASSERT_EQ(d.categories.size(), 3u);
    EXPECT_EQ(d.categories[2].name, "car");
    EXPECT_EQ(d.categories[2].id, 2);
    ASSERT_EQ(d.images.size(), 3u);
    EXPECT_EQ(d.images[0].file_name, "a.jpg");
    EXPECT_EQ(d.images[0].id, 1);
    EXPECT_EQ(d.images[0].label_file, f.labels / "a.txt");
    EXPECT_EQ(d.images[1].file_name, "b.JPG");
    EXPECT_EQ(d.images[2].id, 3);
    EXPECT_TRUE(d.images[2].label_file.empty());  // c.png has none: a photo without objects
    ASSERT_EQ(d.warnings.size(), 1u);
    EXPECT_NE(d.warnings[0].find("c.png"), std::string::npos) << d.warnings[0];
    EXPECT_EQ(d.objects_left_out, 0);

    const auto objects = read_yolo_objects(d.images[0], 200, 100, 3);
    ASSERT_EQ(objects.size(), 2u);
    EXPECT_EQ(objects[0].category, 0);
    EXPECT_NEAR(objects[0].box.x, 80, 1e-4);  // centre 100, width 40
    EXPECT_NEAR(objects[0].box.y, 30, 1e-4);  // centre 50, height 40
    EXPECT_NEAR(objects[0].box.width, 40, 1e-4);
    EXPECT_NEAR(objects[0].area, 40 * 40, 1e-2);  // width x height in pixels
    EXPECT_FALSE(objects[0].crowd);
    EXPECT_TRUE(read_yolo_objects(d.images[2], 200, 100, 3).empty());
}

TEST(EvalYoloDataset, NamesFromTheOptionTheLabelFolderOrItsParent) {
    YoloFolder f;
    f.dir.write("labels/names.txt", "x\ny\nz\nw\n");  // the label folder's own comes first, and is no label file
    Dataset d = read_yolo_dataset(f.images, f.labels);
    EXPECT_EQ(d.categories.size(), 4u);
    EXPECT_EQ(d.categories[0].name, "x");
    EXPECT_EQ(d.objects_left_out, 0);
    // --names wins; names.txt and labelImg's classes.txt among the labels are still no label files.
    f.dir.write("labels/classes.txt", "p\nq\nr\n");
    d = read_yolo_dataset(f.images, f.labels, f.dir.write("classes.list", "p\nq\nr\n"));
    EXPECT_EQ(d.categories[1].name, "q");
    EXPECT_EQ(d.objects_left_out, 0);
    EXPECT_EQ(d.warnings.size(), 1u);  // c.png without labels, nothing about names.txt or classes.txt
    fs::remove(f.labels / "names.txt");
    fs::remove(f.dir.path() / "names.txt");
    const std::string error = error_of([&] { read_yolo_dataset(f.images, f.labels); });
    EXPECT_NE(error.find(f.labels.string()), std::string::npos) << error;
    EXPECT_NE(error.find("--names"), std::string::npos) << error;
}

TEST(EvalYoloDataset, LabelWithoutPhotoAndNonPhotosAreWarningsNamingTheFiles) {
    YoloFolder f;
    f.dir.write("labels/ghost.txt", "0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.1 0.1\n");
    f.dir.write("images/notes.txt", "a shopping list");
    f.dir.write("images/scan.bmp", "BM");
    const Dataset d = read_yolo_dataset(f.images, f.labels);
    EXPECT_EQ(d.images.size(), 3u);
    EXPECT_EQ(d.objects_left_out, 2);
    std::string all;
    for (const auto& w : d.warnings) all += w + "\n";
    EXPECT_NE(all.find((f.labels / "ghost.txt").string()), std::string::npos) << all;
    EXPECT_NE(all.find((f.images / "notes.txt").string()), std::string::npos) << all;
    EXPECT_NE(all.find((f.images / "scan.bmp").string()), std::string::npos) << all;
}

TEST(EvalYoloDataset, ClassIdOutOfRangeNamesTheFileAndLine) {
    YoloFolder f;
    f.dir.write("labels/b.txt", "1 0.5 0.5 1 1\n3 0.5 0.5 0.2 0.2\n");  // 3 classes: ids 0-2
    const std::string error = error_of([&] { read_yolo_dataset(f.images, f.labels); });
    EXPECT_NE(error.find((f.labels / "b.txt").string()), std::string::npos) << error;
    EXPECT_NE(error.find("line 2"), std::string::npos) << error;
    EXPECT_NE(error.find("out of range"), std::string::npos) << error;
}

TEST(EvalYoloDataset, MalformedLabelOrphanIncludedNamesTheFile) {
    YoloFolder f;
    f.dir.write("labels/ghost.txt", "0 0.5 0.5 0.1\n");
    const std::string error = error_of([&] { read_yolo_dataset(f.images, f.labels); });
    EXPECT_NE(error.find((f.labels / "ghost.txt").string()), std::string::npos) << error;
    EXPECT_NE(error.find("line 1"), std::string::npos) << error;
}

TEST(EvalYoloDataset, MissingOrEmptyFoldersNameTheFolder) {
    YoloFolder f;
    std::string error = error_of([&] { read_yolo_dataset(f.images, f.dir.path() / "no-labels"); });
    EXPECT_NE(error.find((f.dir.path() / "no-labels").string()), std::string::npos) << error;
    EXPECT_NE(error.find("not found"), std::string::npos) << error;
    error = error_of([&] { read_yolo_dataset(f.dir.path() / "no-images", f.labels); });
    EXPECT_NE(error.find("not found"), std::string::npos) << error;
    fs::create_directories(f.dir.path() / "empty");
    error = error_of([&] { read_yolo_dataset(f.dir.path() / "empty", f.labels); });
    EXPECT_NE(error.find((f.dir.path() / "empty").string()), std::string::npos) << error;
    EXPECT_NE(error.find("no photos"), std::string::npos) << error;
}

TEST(EvalCocoJson, InstancesWithCrowdAreaAndSortedImages) {
    const auto json = nlohmann::json::parse(R"({
      "images": [{"id": 7, "file_name": "b.jpg", "width": 640, "height": 480},
                 {"id": 3, "file_name": "a.jpg", "width": 320, "height": 240}],
      "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
      "annotations": [
        {"id": 1, "image_id": 7, "category_id": 18, "bbox": [10, 20, 30, 40], "area": 900.5, "iscrowd": 0},
        {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 100, 100], "area": 5000, "iscrowd": 1},
        {"id": 3, "image_id": 3, "category_id": 1, "bbox": [1, 2, 3, 4]}]})");
    const Dataset d = coco_dataset_from_json(json, "instances.json", "photos");
    ASSERT_EQ(d.images.size(), 2u);
    EXPECT_EQ(d.images[0].id, 3);  // ascending id
    EXPECT_EQ(d.images[0].file, fs::path("photos") / "a.jpg");
    EXPECT_EQ(d.images[1].width, 640);
    ASSERT_EQ(d.images[1].objects.size(), 2u);
    EXPECT_EQ(d.images[1].objects[0].category, 1);  // index of category id 18
    EXPECT_EQ(d.images[1].objects[0].area, 900.5);  // the json's area, not the box's
    EXPECT_TRUE(d.images[1].objects[1].crowd);
    EXPECT_EQ(d.images[0].objects[0].area, 12.0);  // no area: width x height
    EXPECT_EQ(d.images[0].objects[0].box.height, 4.0);
}

TEST(EvalCocoJson, ErrorsSayWhereInTheFile) {
    auto error = [](const char* text) {
        return error_of([&] { coco_dataset_from_json(nlohmann::json::parse(text), "gt.json"); });
    };
    const std::string images = R"("images": [{"id": 1, "file_name": "a.jpg"}], "categories": [{"id": 1, "name": "cat"}])";
    EXPECT_NE(error(("{" + images + R"(, "annotations": [{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3]}]})").c_str())
                  .find("gt.json: annotations[0].bbox"),
              std::string::npos);
    EXPECT_NE(error(("{" + images + R"(, "annotations": [{"image_id": 9, "category_id": 1, "bbox": [1, 2, 3, 4]}]})").c_str())
                  .find("annotations[0].image_id: 9"),
              std::string::npos);
    EXPECT_NE(error(("{" + images + R"(, "annotations": [{"image_id": 1, "category_id": 5, "bbox": [1, 2, 3, 4]}]})").c_str())
                  .find("annotations[0].category_id: 5"),
              std::string::npos);
    EXPECT_NE(error(R"({"images": []})").find("categories"), std::string::npos);
    EXPECT_NE(error("[]").find("gt.json"), std::string::npos);
}

TEST(EvalCocoJson, ResultsRoundTripAndUnknownIdsAreErrors) {
    Dataset d;
    d.categories = {{1, "person"}, {18, "dog"}};
    d.images.resize(2);
    d.images[0].id = 3;
    d.images[0].file_name = "a.jpg";
    d.images[1].id = 7;
    d.images[1].file_name = "b.jpg";
    std::vector<ImageResult> results(2);
    results[1].truths = {{1, {10, 20, 30, 40}, 1200, true}};
    results[1].predictions = {{1, 0.75, {10.5, 20, 30, 40}}, {0, 0.25, {1, 2, 3, 4}}};

    const auto json = nlohmann::json::parse(coco_results_json(d.images, results, d.categories).dump());
    ASSERT_EQ(json.size(), 2u);
    EXPECT_EQ(json[0]["image_id"], 7);
    EXPECT_EQ(json[0]["category_id"], 18);
    EXPECT_EQ(json[0]["bbox"][0], 10.5);
    const auto back = coco_predictions_from_json(json, d, "results.json");
    ASSERT_EQ(back[1].size(), 2u);
    EXPECT_EQ(back[1][0].category, 1);
    EXPECT_EQ(back[1][0].score, 0.75);
    EXPECT_TRUE(back[0].empty());

    const auto instances = nlohmann::json::parse(coco_instances_json(d.images, results, d.categories).dump());
    const Dataset again = coco_dataset_from_json(instances, "instances.json");
    ASSERT_EQ(again.images.size(), 2u);
    ASSERT_EQ(again.images[1].objects.size(), 1u);
    EXPECT_TRUE(again.images[1].objects[0].crowd);
    EXPECT_EQ(again.images[1].objects[0].area, 1200);
    EXPECT_EQ(instances["annotations"][0]["id"], 1);  // pycocotools reads id 0 as "no match"

    const std::string error = error_of([&] {
        coco_predictions_from_json(nlohmann::json::parse(R"([{"image_id": 5, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])"), d,
                                   "results.json");
    });
    EXPECT_NE(error.find("results.json: [0].image_id: 5"), std::string::npos) << error;
}

TEST(EvalClassMapping, ByNameIgnoringCaseAndSeparators) {
    const std::vector<DatasetCategory> truth{{1, "person"}, {10, "traffic light"}, {3, "car"}, {90, "toothbrush"}};
    const auto m = map_classes({"Person", "traffic_light", "car", "unicorn"}, truth);
    ASSERT_EQ(m.categories.size(), 3u);
    EXPECT_EQ(m.categories[0].name, "Person");  // named by the model's label
    EXPECT_EQ(m.categories[1].id, 10);          // with the ground truth's id
    EXPECT_EQ(m.of_model_class, (std::vector<int>{0, 1, 2, -1}));
    EXPECT_EQ(m.of_truth_category, (std::vector<int>{0, 1, 2, -1}));
    EXPECT_EQ(m.labels_without_truth, std::vector<std::string>{"unicorn"});
    EXPECT_EQ(m.truth_without_label, std::vector<std::string>{"toothbrush"});
}

TEST(EvalClassMapping, ClassMapMergesClassesUnderOneLabel) {
    const std::vector<DatasetCategory> truth{{0, "person"}, {2, "car"}, {5, "bus"}, {7, "truck"}};
    const auto m = map_classes({"vehicle", "person"}, truth, parse_class_map(" vehicle = car, bus,truck ;"));
    ASSERT_EQ(m.categories.size(), 2u);
    EXPECT_EQ(m.categories[0].name, "vehicle");
    EXPECT_EQ(m.categories[0].id, 8);  // several classes: a new id above the ground truth's
    EXPECT_EQ(m.of_truth_category, (std::vector<int>{1, 0, 0, 0}));
    EXPECT_EQ(m.of_model_class, (std::vector<int>{0, 1}));
    EXPECT_TRUE(m.truth_without_label.empty());

    EXPECT_THROW(map_classes({"vehicle"}, truth, parse_class_map("vehicle=car,boat")), std::invalid_argument);
    EXPECT_THROW(map_classes({"vehicle"}, truth, parse_class_map("auto=car")), std::invalid_argument);
    EXPECT_THROW(map_classes({"vehicle", "person"}, truth, parse_class_map("vehicle=car;person=car")), std::invalid_argument);
    EXPECT_THROW(parse_class_map("vehicle"), std::invalid_argument);
    EXPECT_THROW(parse_class_map("vehicle="), std::invalid_argument);
    EXPECT_THROW(parse_class_map(";"), std::invalid_argument);
}

TEST(EvalReport, JsonHasTheDocumentedKeysAndNullForUndefined) {
    CocoMetrics m;
    m.map_50_95 = 0.25;
    m.map_50 = 0.5;
    m.per_category = {{0.25, 0.5, 0.2, 0.4, 3}, {}};
    const auto json = metrics_json(m, {{1, "person"}, {2, "bicycle"}}, 12, 3.5);
    for (const char* key : {"map_50_95", "map_50", "map_75", "map_small", "map_medium", "map_large", "ar_100", "per_class_ap50",
                            "images", "images_per_s"})
        EXPECT_TRUE(json.contains(key)) << key;
    EXPECT_EQ(json["map_50_95"], 0.25);
    EXPECT_TRUE(json["map_75"].is_null());
    EXPECT_EQ(json["per_class_ap50"]["person"], 0.5);
    EXPECT_TRUE(json["per_class_ap50"]["bicycle"].is_null());
    EXPECT_EQ(json["images"], 12);
    const std::string table = metrics_table(m, {{1, "person"}, {2, "bicycle"}});
    EXPECT_NE(table.find("mAP@[.50:.95]  0.250"), std::string::npos) << table;
    EXPECT_NE(table.find("person"), std::string::npos) << table;
}
