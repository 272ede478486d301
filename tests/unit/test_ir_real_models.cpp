// Checks the reader and writer against an IR that OpenVINO itself wrote (see
// ../shared/models/MANIFEST.md). Skips where the shared models are not present.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "detserve/graph/graph_summary.hpp"
#include "detserve/graph/ir_reader.hpp"
#include "detserve/graph/ir_writer.hpp"

#ifndef DETSERVE_SOURCE_DIR
#define DETSERVE_SOURCE_DIR ""
#endif

namespace fs = std::filesystem;
using namespace detserve::graph;

namespace {

fs::path shared_dir() {
    if (const char* dir = std::getenv("DETSERVE_SHARED_DIR"); dir && *dir) return dir;
    return fs::path(DETSERVE_SOURCE_DIR) / ".." / "shared";
}

fs::path yolov5n_xml() { return shared_dir() / "models" / "yolov5n_openvino_fp16" / "yolov5n.xml"; }

// Counted independently of our reader, over the <layer> elements of yolov5n.xml:
//   grep -o '<layer [^>]*type="[A-Za-z0-9_]*"' yolov5n.xml | grep -o ' type="[A-Za-z0-9_]*"' | sort | uniq -c
// and cross-checked with
//   python3 -c "import xml.etree.ElementTree as E,collections;
//     print(collections.Counter(l.get('type') for l in E.parse('yolov5n.xml').getroot().iter('layer')))"
// (A plain grep for type="..." over-counts: it also matches element_type/destination_type.)
const std::map<std::string, int> kYolov5nOpCounts{
    {"Add", 70},       {"Concat", 19},   {"Const", 158},     {"Convert", 135},   {"Convolution", 60}, {"Interpolate", 2},
    {"MaxPool", 3},    {"Multiply", 9},  {"Parameter", 1},   {"Power", 3},       {"Reshape", 6},      {"Result", 1},
    {"ShapeOf", 2},    {"Sigmoid", 3},   {"Slice", 2},       {"Swish", 57},      {"Transpose", 3},    {"VariadicSplit", 3},
};

const Graph& yolov5n() {
    static const Graph graph = read_ir(yolov5n_xml());
    return graph;
}

class IrRealModel : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(yolov5n_xml()))
            GTEST_SKIP() << yolov5n_xml().string()
                         << ": ../shared/models not found (only CI and developer machines have it; set DETSERVE_SHARED_DIR to point elsewhere)";
    }
};

}  // namespace

TEST_F(IrRealModel, Yolov5nInputAndOutput) {
    const Graph& graph = yolov5n();
    const auto parameters = graph.parameters();
    ASSERT_EQ(parameters.size(), 1u);
    EXPECT_EQ(parameters[0]->name, "images");
    ASSERT_EQ(parameters[0]->outputs.size(), 1u);
    EXPECT_EQ(parameters[0]->outputs[0].type, ElementType::f32);
    EXPECT_EQ(parameters[0]->outputs[0].shape, (Shape{1, 3, 416, 416}));

    const auto results = graph.results();
    ASSERT_EQ(results.size(), 1u);
    ASSERT_EQ(results[0]->inputs.size(), 1u);
    EXPECT_EQ(results[0]->inputs[0].port.type, ElementType::f32);
    EXPECT_EQ(results[0]->inputs[0].port.shape, (Shape{1, 10647, 85}));
    // The tensor name lives on the producer's output port, not on the Result.
    EXPECT_EQ(graph.port_of(results[0]->inputs[0].source).names, "output0");
}

TEST_F(IrRealModel, Yolov5nOpCounts) {
    EXPECT_EQ(op_counts(yolov5n()), kYolov5nOpCounts);
    EXPECT_EQ(yolov5n().nodes().size(), 537u);
}

TEST_F(IrRealModel, Yolov5nRtInfo) {
    const RtInfo& rt_info = yolov5n().rt_info;
    EXPECT_EQ(rt_info.get("Runtime_version"), "2024.4.0-16579-c3152d32c9c-releases/2024/4");
    EXPECT_EQ(rt_info.get("framework/stride"), "32");
    const auto names = rt_info.get("framework/names");
    ASSERT_TRUE(names);
    EXPECT_EQ(names->rfind("{0: 'person', 1: 'bicycle'", 0), 0u) << *names;
    EXPECT_EQ(rt_info.child("model_info"), nullptr);  // this converter run wrote no model_info
}

TEST_F(IrRealModel, Yolov5nFirstConvolutionWeightsDecode) {
    const Graph& graph = yolov5n();
    // FP16-compressed weights: Const (f16) -> Convert (f32) -> Convolution input 1.
    const Node* convolution = nullptr;
    for (auto id : graph.topological_order()) {
        if (graph.at(id).is("Convolution")) {
            convolution = &graph.at(id);
            break;
        }
    }
    ASSERT_NE(convolution, nullptr);
    ASSERT_EQ(convolution->inputs.size(), 2u);
    const Node& convert = graph.at(convolution->inputs[1].source.node);
    ASSERT_TRUE(convert.is("Convert"));
    const Node& weight = graph.at(convert.inputs[0].source.node);
    ASSERT_TRUE(weight.is("Const"));
    EXPECT_EQ(weight.name, "model.0.conv.weight_compressed");
    EXPECT_EQ(weight.outputs[0].type, ElementType::f16);
    EXPECT_EQ(weight.outputs[0].shape, (Shape{16, 3, 6, 6}));
    EXPECT_EQ(weight.attrs.get_int("offset"), 0);
    ASSERT_TRUE(weight.data);
    ASSERT_EQ(weight.data->size(), 16u * 3 * 6 * 6 * 2);

    const std::vector<float> values = const_as_f32(weight);
    bool any_nonzero = false;
    for (float value : values) {
        EXPECT_TRUE(std::isfinite(value));
        any_nonzero = any_nonzero || value != 0.0f;
    }
    EXPECT_TRUE(any_nonzero);
    // Decoded independently (stdlib struct; numpy is not installed on the dev machine):
    //   python3 -c "import struct;d=open('yolov5n.bin','rb').read();
    //               print(struct.unpack_from('<4e',d,0), struct.unpack_from('<e',d,1727*2))"
    //   -> (-0.023162841796875, -0.68212890625, -0.33935546875, -0.148681640625) (0.10198974609375,)
    // All are exact in f16, so exact float comparison is right.
    EXPECT_EQ(values[0], -0.023162841796875f);
    EXPECT_EQ(values[1], -0.68212890625f);
    EXPECT_EQ(values[2], -0.33935546875f);
    EXPECT_EQ(values[3], -0.148681640625f);
    EXPECT_EQ(values[1727], 0.10198974609375f);
}

TEST_F(IrRealModel, Yolov5nWriteAndReadBack) {
    const IrFiles first = serialize_ir(yolov5n());
    const Graph back = read_ir_from_memory(first.xml, first.bin, "yolov5n-rewritten.xml");
    EXPECT_EQ(op_counts(back), kYolov5nOpCounts);
    EXPECT_EQ(back.rt_info, yolov5n().rt_info);
    for (const Node& node : yolov5n().nodes()) {
        if (!node.is("Const")) continue;
        ASSERT_NE(back.find(node.id), nullptr) << node.name;
        EXPECT_EQ(*back.at(node.id).data, *node.data) << node.name;
    }
    const IrFiles second = serialize_ir(back);
    EXPECT_TRUE(second.xml == first.xml);  // not EXPECT_EQ: a failure would print 300 kB
    EXPECT_TRUE(second.bin == first.bin);
}

TEST_F(IrRealModel, Yolov5nDescription) {
    const std::string text = describe_graph(yolov5n());
    EXPECT_NE(text.find("inputs: images f32 [1,3,416,416]\n"), std::string::npos) << text;
    EXPECT_NE(text.find("outputs: output0 f32 [1,10647,85]\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Convolution×60"), std::string::npos) << text;
}
