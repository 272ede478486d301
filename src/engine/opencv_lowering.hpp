#pragma once
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>

#include "detserve/engine/engine.hpp"
#include "detserve/graph/graph.hpp"

namespace detserve::engine {

struct LoweredOutput {
    std::string name;   // the model's output (tensor) name
    std::string layer;  // the cv::dnn layer to read it from
    graph::Shape shape;
};

struct LoweredInput {
    std::string name;
    graph::Shape shape;
};

struct LoweredNet {
    std::vector<LoweredInput> inputs;
    std::vector<LoweredOutput> outputs;
};

// Adds one cv::dnn layer per graph node (a convolution's bias Add fused into it).
LoweredNet lower_to_opencv(const graph::Graph& graph, cv::dnn::Net& net);

}  // namespace detserve::engine
