#pragma once
// Where a detector's image input keeps its batch, channels, height and width.
#include <string>

#include "detserve/graph/graph.hpp"

namespace detserve::graph {

struct ImageLayout {
    // Axes of the 4-D input.
    int batch = 0, channels = 1, height = 2, width = 3;
    std::string source;  // what told: "its layout rt_info", "its old_api_map_order", "its shape"

    std::string name() const;  // "NCHW", "NHWC"
    bool operator==(const ImageLayout& other) const {
        return batch == other.batch && channels == other.channels && height == other.height && width == other.width;
    }
};

// The layout of a 4-D image Parameter, from the first of:
//  - the layout its output port's rt_info declares ("[N,H,W,C]", "NCHW");
//  - its old_api_map_order rt_info: Model Optimizer's record of the transpose that takes the NCHW
//    input the legacy API showed to the Parameter's own order ("0, 2, 3, 1": the Parameter is NHWC);
//  - its shape: channels on the axis of size 3, axis 1 before axis 3.
// Throws ModelError naming the Parameter when it is not 4-D or none of them tells.
ImageLayout image_layout(const Node& parameter);

}  // namespace detserve::graph
