// Ultralytics' metadata.yaml: the YAML subset it is written in, and the spec fields taken from it.
#include <gtest/gtest.h>

#include <string>

#include "detserve/app/metadata_yaml.hpp"

using detserve::app::MetadataError;
using detserve::app::parse_metadata_yaml;
using detserve::app::spec_fields_from_metadata;
using nlohmann::json;

namespace {

// As Ultralytics 8.3 writes it (yaml.safe_dump, sort_keys=False): a list under a key at the key's
// own indentation, class ids as keys, quoted values where YAML needs them.
constexpr const char* kExport = R"(description: Ultralytics YOLO11n model trained on coco.yaml
author: Ultralytics
date: '2025-08-21T23:16:16.848073'
version: 8.3.179
stride: 32
task: detect
batch: 1
imgsz:
- 320
- 416
names:
  0: person
  1: bicycle
  9: traffic light
  10: 'fire: hydrant'   # a comment
args:
  batch: 1
  int8: true
  nms: true
channels: 3
)";

std::string error_of(const std::string& text) {
    try {
        spec_fields_from_metadata(parse_metadata_yaml(text));
    } catch (const MetadataError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(AppMetadataYaml, ReadsTheExportersLayout) {
    const json doc = parse_metadata_yaml(kExport);
    EXPECT_EQ(doc["date"], "2025-08-21T23:16:16.848073");
    EXPECT_EQ(doc["imgsz"], json::array({"320", "416"}));
    EXPECT_EQ(doc["names"]["9"], "traffic light");
    EXPECT_EQ(doc["names"]["10"], "fire: hydrant");
    EXPECT_EQ(doc["args"]["nms"], "true");
    EXPECT_EQ(doc["channels"], "3");
}

TEST(AppMetadataYaml, SpecFieldsTakeLabelsSizeAndNms) {
    const json fields = spec_fields_from_metadata(parse_metadata_yaml(kExport));
    ASSERT_EQ(fields["labels"].size(), 11u);
    EXPECT_EQ(fields["labels"][0], "person");
    EXPECT_EQ(fields["labels"][2], "");  // ids 2..8 are not in the file
    EXPECT_EQ(fields["labels"][10], "fire: hydrant");
    EXPECT_EQ(fields["input_size"], json::array({416, 320}));  // imgsz is [height, width]
    EXPECT_EQ(fields["model_type"], "detections");
}

TEST(AppMetadataYaml, WithoutNmsTheFamilyIsLeftToOthers) {
    const json fields = spec_fields_from_metadata(parse_metadata_yaml("task: detect\nimgsz: 640\nargs:\n  nms: false\n"));
    EXPECT_FALSE(fields.contains("model_type"));
    EXPECT_EQ(fields["input_size"], json::array({640, 640}));
}

TEST(AppMetadataYaml, FlowSequenceAndQuotes) {
    const json doc = parse_metadata_yaml("imgsz: [640, 480]\nname: \"a \\\"b\\\"\"\nother: 'it''s'\n");
    EXPECT_EQ(doc["imgsz"], json::array({"640", "480"}));
    EXPECT_EQ(doc["name"], "a \"b\"");
    EXPECT_EQ(doc["other"], "it's");
}

TEST(AppMetadataYaml, ErrorsNameTheLineOrField) {
    EXPECT_NE(error_of("names: {0: a}\n").find("line 1"), std::string::npos);
    EXPECT_NE(error_of("a: 1\n  b: 2\n").find("line 2"), std::string::npos);
    EXPECT_NE(error_of("a: 'open\n").find("line 1"), std::string::npos);
    EXPECT_NE(error_of("task: segment\n").find("segment"), std::string::npos);
    EXPECT_NE(error_of("names:\n  x: person\n").find("'x'"), std::string::npos);
    EXPECT_NE(error_of("names:\n  -5: person\n").find("out of range"), std::string::npos);
    EXPECT_NE(error_of("imgsz:\n- big\n- 3\n").find("imgsz"), std::string::npos);
    EXPECT_NE(error_of("\tnames: 1\n").find("tab"), std::string::npos);
    EXPECT_NE(error_of("names:\n  0: caf\xe9\n").find("not UTF-8"), std::string::npos);  // Latin-1
    EXPECT_NE(error_of("task:\n- detect\n").find("task 'array'"), std::string::npos);
}

TEST(AppMetadataYaml, EmptyAndCommentOnlyAreEmpty) {
    EXPECT_EQ(parse_metadata_yaml(""), json::object());
    EXPECT_EQ(parse_metadata_yaml("# nothing\n\n---\n"), json::object());
}
