// Where a detector's Parameter keeps its channels: the port's layout rt_info, else Model
// Optimizer's old_api_map_order, else the axis of size 3.
#include "detserve/graph/image_layout.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace detserve::graph;

namespace {

Node parameter(Shape shape, std::string layout = {}, std::string old_api_map_order = {}) {
    Node node;
    node.name = "images";
    node.type = "Parameter";
    node.outputs.push_back(Port{ElementType::f32, std::move(shape), "images", std::move(layout)});
    if (!old_api_map_order.empty()) node.rt_info.child_or_add("old_api_map_order").value = old_api_map_order;
    return node;
}

std::string error_of(const Node& node) {
    try {
        image_layout(node);
    } catch (const ModelError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(GraphImageLayout, TheDeclaredLayoutComesFirst) {
    const auto nhwc = image_layout(parameter({1, 640, 640, 3}, "[N,H,W,C]"));
    EXPECT_EQ(nhwc.name(), "NHWC");
    EXPECT_EQ(nhwc.channels, 3);
    EXPECT_EQ(nhwc.height, 1);
    EXPECT_EQ(nhwc.width, 2);
    EXPECT_NE(nhwc.source.find("layout rt_info"), std::string::npos) << nhwc.source;
    // A 3x3 image is ambiguous by shape; the declared layout settles it.
    EXPECT_EQ(image_layout(parameter({1, 3, 3, 3}, "NHWC")).name(), "NHWC");
    EXPECT_EQ(image_layout(parameter({1, 3, 300, 300}, "[N,C,H,W]")).name(), "NCHW");
}

// vehicle-license-plate-detection-barrier-0106: Parameter [1,300,300,3], old_api_map_order
// "0, 2, 3, 1": the legacy API's NCHW transposed by that order gives the Parameter's NHWC.
TEST(GraphImageLayout, OldApiMapOrderTellsWhereTheLegacyNchwAxesWent) {
    const auto layout = image_layout(parameter({1, 300, 300, 3}, {}, "0, 2, 3, 1"));
    EXPECT_EQ(layout.name(), "NHWC");
    EXPECT_NE(layout.source.find("old_api_map_order"), std::string::npos) << layout.source;
    EXPECT_EQ(image_layout(parameter({1, 3, 300, 300}, {}, "0,1,2,3")).name(), "NCHW");
    EXPECT_NE(error_of(parameter({1, 300, 300, 3}, {}, "0, 2, 2, 1")).find("not a permutation"), std::string::npos);
}

TEST(GraphImageLayout, ElseTheAxisOfSizeThree) {
    EXPECT_EQ(image_layout(parameter({1, 3, 416, 416})).name(), "NCHW");
    EXPECT_EQ(image_layout(parameter({-1, 3, -1, -1})).name(), "NCHW");
    EXPECT_EQ(image_layout(parameter({1, 384, 672, 3})).name(), "NHWC");
    EXPECT_EQ(image_layout(parameter({1, 3, 3, 3})).name(), "NCHW");
    EXPECT_EQ(image_layout(parameter({1, 640, 640, 3}, "[...]")).name(), "NHWC") << "an undefined layout says nothing";
}

TEST(GraphImageLayout, RefusesWhatIsNoImageBatchNamingTheInput) {
    const auto flat = error_of(parameter({1, 4}));
    EXPECT_NE(flat.find("input 'images' has shape [1,4]"), std::string::npos) << flat;
    const auto grey = error_of(parameter({1, 1, 64, 64}));
    EXPECT_NE(grey.find("input 'images'"), std::string::npos) << grey;
    EXPECT_NE(grey.find("3 colour channels"), std::string::npos) << grey;
}
