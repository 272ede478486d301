#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "detserve/detect/label_map.hpp"

using namespace detserve::detect;

namespace {

std::filesystem::path write_temp(const std::string& name, const std::string& bytes) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("detserve_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" + name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string error_of(const std::string& path) {
    try {
        LabelMap::from_file(path);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(DetectLabelMap, Coco80UsesCoco2017NamesAndOrder) {
    const auto labels = LabelMap::coco80();
    ASSERT_EQ(labels.size(), 80u);
    EXPECT_EQ(labels.name(0), "person");
    EXPECT_EQ(labels.name(3), "motorcycle");
    EXPECT_EQ(labels.name(4), "airplane");
    EXPECT_EQ(labels.name(57), "couch");
    EXPECT_EQ(labels.name(58), "potted plant");
    EXPECT_EQ(labels.name(60), "dining table");
    EXPECT_EQ(labels.name(62), "tv");
    EXPECT_EQ(labels.name(63), "laptop");
    EXPECT_EQ(labels.name(78), "hair drier");
    EXPECT_EQ(labels.name(79), "toothbrush");
    for (const char* darknet : {"motorbike", "aeroplane", "sofa", "pottedplant", "diningtable",
                                "tvmonitor"})
        EXPECT_EQ(labels.id_of(darknet), -1) << darknet;
}

TEST(DetectLabelMap, Coco91UsesTfObjectDetectionIds) {
    const auto labels = LabelMap::coco91();
    ASSERT_EQ(labels.size(), 91u);
    EXPECT_EQ(labels.name(0), "background");
    EXPECT_EQ(labels.name(1), "person");
    EXPECT_EQ(labels.name(12), "street sign");
    EXPECT_EQ(labels.name(13), "stop sign");
    EXPECT_EQ(labels.name(26), "hat");
    EXPECT_EQ(labels.name(29), "shoe");
    EXPECT_EQ(labels.name(30), "eye glasses");
    EXPECT_EQ(labels.name(45), "plate");
    EXPECT_EQ(labels.name(66), "mirror");
    EXPECT_EQ(labels.name(67), "dining table");
    EXPECT_EQ(labels.name(68), "window");
    EXPECT_EQ(labels.name(69), "desk");
    EXPECT_EQ(labels.name(71), "door");
    EXPECT_EQ(labels.name(72), "tv");
    EXPECT_EQ(labels.name(83), "blender");
    EXPECT_EQ(labels.name(90), "toothbrush");
}

TEST(DetectLabelMap, Coco91WithoutUnannotatedIdsIsCoco80) {
    // The 2017 release annotates 80 of the paper's 90 ids; dropping background and the other 10
    // must give the contiguous 80-class order exactly.
    const std::vector<int> unannotated = {0, 12, 26, 29, 30, 45, 66, 68, 69, 71, 83};
    std::vector<std::string> remaining;
    const auto coco91 = LabelMap::coco91();
    for (int id = 0; id < static_cast<int>(coco91.size()); ++id)
        if (std::find(unannotated.begin(), unannotated.end(), id) == unannotated.end())
            remaining.push_back(coco91.name(id));
    EXPECT_EQ(remaining, LabelMap::coco80().names());
}

TEST(DetectLabelMap, NameFallsBackForUnknownIds) {
    const LabelMap labels({"cat", "", "dog"});
    EXPECT_EQ(labels.name(0), "cat");
    EXPECT_EQ(labels.name(1), "class_1");  // gap
    EXPECT_EQ(labels.name(3), "class_3");
    EXPECT_EQ(labels.name(-1), "class_-1");
    EXPECT_EQ(LabelMap().name(0), "class_0");
}

TEST(DetectLabelMap, IdOf) {
    const auto labels = LabelMap::coco80();
    EXPECT_EQ(labels.id_of("person"), 0);
    EXPECT_EQ(labels.id_of("tv"), 62);
    EXPECT_EQ(labels.id_of("unicorn"), -1);
    EXPECT_EQ(labels.id_of(""), -1);
    EXPECT_EQ(LabelMap({"a", "", "b"}).id_of(""), -1);
}

TEST(DetectLabelMap, BuiltinByName) {
    ASSERT_TRUE(LabelMap::builtin("coco80").has_value());
    EXPECT_EQ(LabelMap::builtin("coco80")->size(), 80u);
    ASSERT_TRUE(LabelMap::builtin("coco91").has_value());
    EXPECT_EQ(LabelMap::builtin("coco91")->name(12), "street sign");
    EXPECT_FALSE(LabelMap::builtin("voc").has_value());
    EXPECT_FALSE(LabelMap::builtin("").has_value());
}

TEST(DetectLabelMap, FromFileHandlesCrlfAndTrailingBlankLines) {
    const auto path = write_temp("crlf.txt", "person\r\nbicycle\r\ntraffic light\r\n\r\n\r\n");
    const auto labels = LabelMap::from_file(path.string());
    std::filesystem::remove(path);
    ASSERT_EQ(labels.size(), 3u);
    EXPECT_EQ(labels.name(0), "person");
    EXPECT_EQ(labels.name(1), "bicycle");
    EXPECT_EQ(labels.name(2), "traffic light");  // inner space kept
}

TEST(DetectLabelMap, FromFileKeepsInteriorBlankLineAsGapAndStripsBom) {
    const auto path = write_temp("gaps.txt", "\xEF\xBB\xBF" "background\n  cat \n\ndog");
    const auto labels = LabelMap::from_file(path.string());
    std::filesystem::remove(path);
    ASSERT_EQ(labels.size(), 4u);
    EXPECT_EQ(labels.name(0), "background");
    EXPECT_EQ(labels.name(1), "cat");
    EXPECT_EQ(labels.name(2), "class_2");
    EXPECT_EQ(labels.name(3), "dog");
}

TEST(DetectLabelMap, MissingFileErrorNamesThePath) {
    const std::string path = "/nonexistent/detserve/labels_missing.txt";
    EXPECT_THROW(LabelMap::from_file(path), std::runtime_error);
    EXPECT_NE(error_of(path).find(path), std::string::npos) << error_of(path);
}

TEST(DetectLabelMap, EmptyFileErrorNamesThePath) {
    const auto path = write_temp("empty.txt", "\r\n\n  \n");
    const std::string message = error_of(path.string());
    std::filesystem::remove(path);
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}

TEST(DetectLabelMap, FromPythonDictAsUltralyticsWritesIt) {
    const auto labels = LabelMap::from_python_dict("{0: 'person', 1: 'bicycle', 9: 'traffic light', 2: \"it's\"}");
    ASSERT_EQ(labels.size(), 10u);
    EXPECT_EQ(labels.name(0), "person");
    EXPECT_EQ(labels.name(2), "it's");
    EXPECT_EQ(labels.name(5), "class_5");  // a gap
    EXPECT_EQ(labels.name(9), "traffic light");
    EXPECT_EQ(LabelMap::from_python_dict(" {0:'a\\'b',}\n").name(0), "a'b");  // escape, trailing comma
}

TEST(DetectLabelMap, FromPythonDictErrorsSayWhere) {
    for (const char* text : {"", "[0, 1]", "{0: person}", "{0: 'a', 0: 'b'}", "{0: 'a'", "{0 'a'}", "{0: 'a'} x", "{}",
                             "{-1: 'a'}", "{0: 'a' 1: 'b'}"}) {
        try {
            LabelMap::from_python_dict(text);
            ADD_FAILURE() << "no error for: " << text;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("class names dict"), std::string::npos) << e.what();
        }
    }
}
