#pragma once
#include <string>
#include <vector>

namespace detserve::app {

// `detserve eval`: a model's COCO box metrics on labelled photos (every photo through the same
// decode -> preprocess -> engine -> decoder -> NMS as `detect` and `serve`), or the metrics of a
// COCO results file. Returns the exit code: 0, 1 (a file could not be used; the metrics of the
// rest are still printed when there are any), 2 (bad command line).
int command_eval(const std::vector<std::string>& args);

}  // namespace detserve::app
