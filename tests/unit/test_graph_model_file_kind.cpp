// A model file is told by its bytes: an IR is XML rooted at <net>, an ONNX file a well-formed
// ModelProto. What is neither says what it is instead.
#include "detserve/graph/model_file_kind.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace detserve::graph;

namespace {

ModelFileKind kind_of(const std::string& text) {
    const std::vector<std::uint8_t> bytes(text.begin(), text.end());
    return model_file_kind(bytes);
}

// ModelProto{ir_version: 8, producer_name: "pytorch", graph: {name: "g"}, opset_import: {version: 11}}.
std::string small_onnx() {
    std::string bytes;
    bytes += std::string("\x08\x08", 2);                // 1: ir_version = 8 (varint)
    bytes += std::string("\x12\x07", 2) + "pytorch";    // 2: producer_name
    bytes += std::string("\x3a\x03\x12\x01g", 5);       // 7: graph { 2: name = "g" }
    bytes += std::string("\x42\x02\x10\x0b", 4);        // 8: opset_import { 2: version = 11 }
    return bytes;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(GraphModelFileKind, AnIrIsXmlRootedAtNet) {
    EXPECT_EQ(kind_of(R"(<?xml version="1.0"?><net name="m" version="11"><layers/></net>)").format, ModelFormat::openvino_ir);
    // face-detection-retail-0004 starts with a newline; comments and a BOM may come first too.
    EXPECT_EQ(kind_of("\n<?xml version=\"1.0\" ?>\n<!-- converted -->\n<net version=\"10\">").format, ModelFormat::openvino_ir);
    EXPECT_EQ(kind_of("\xEF\xBB\xBF<net>").format, ModelFormat::openvino_ir);
    const auto other_xml = kind_of(R"(<?xml version="1.0"?><svg width="1"/>)");
    EXPECT_EQ(other_xml.format, ModelFormat::unknown);
    EXPECT_TRUE(contains(other_xml.what, "root element is <svg>")) << other_xml.what;
}

TEST(GraphModelFileKind, AnOnnxFileIsAWellFormedModelProto) {
    EXPECT_EQ(kind_of(small_onnx()).format, ModelFormat::onnx);
    EXPECT_EQ(kind_of(std::string("\x08\x07\x3a\x00\x42\x00", 6)).format, ModelFormat::onnx) << "an empty graph is still a graph";
}

// not-a-model-html-as-onnx: GitHub's page for a model, saved under the model's name.
TEST(GraphModelFileKind, AnHtmlPageSaysSo) {
    const auto page = kind_of("\n\n\n<!DOCTYPE html>\n<html lang=\"en\">\n<head><title>x</title>");
    EXPECT_EQ(page.format, ModelFormat::unknown);
    EXPECT_EQ(page.what, "it is an HTML page");
    EXPECT_EQ(kind_of("<html><body>404</body></html>").what, "it is an HTML page");
}

TEST(GraphModelFileKind, EmptyTextAndBinaryFiles) {
    EXPECT_EQ(model_file_kind({}).what, "the file is empty");
    const auto text = kind_of("version https://git-lfs.github.com/spec/v1\noid sha256:abc\n");
    EXPECT_EQ(text.format, ModelFormat::unknown);
    EXPECT_TRUE(contains(text.what, "it is text: it starts with 'version https://git-lfs")) << text.what;
    // 0x0f: field 1 with wire type 7, which protobuf does not have.
    const auto binary = kind_of(std::string("\x0f\xff\x00\x01", 4));
    EXPECT_EQ(binary.format, ModelFormat::unknown);
    EXPECT_TRUE(contains(binary.what, "wire type 7")) << binary.what;
}

TEST(GraphModelFileKind, ATruncatedOnnxFileIsCutShort) {
    const std::string whole = small_onnx();
    for (std::size_t size : {whole.size() - 1, whole.size() - 4, std::size_t{12}}) {
        const auto cut = kind_of(whole.substr(0, size));
        EXPECT_EQ(cut.format, ModelFormat::unknown) << size;
        EXPECT_TRUE(contains(cut.what, "cut short")) << size << ": " << cut.what;
    }
}

TEST(GraphModelFileKind, AProtobufThatIsNoModelProto) {
    // ir_version as a string: field 1 must be a varint.
    const auto wrong_type = kind_of(std::string("\x0a\x01x\x3a\x00", 5));
    EXPECT_EQ(wrong_type.format, ModelFormat::unknown);
    EXPECT_TRUE(contains(wrong_type.what, "field 1")) << wrong_type.what;
    EXPECT_TRUE(contains(kind_of(std::string("\x08\x07", 2)).what, "no graph")) << "ir_version alone";
}
