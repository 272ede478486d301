#pragma once
#include <string>
#include <vector>

namespace detserve::app {

// `detserve serve [--config FILE] [--key value]…`: returns the exit code (0 after a clean
// SIGTERM/SIGINT shutdown).
int command_serve(const std::vector<std::string>& args);

}  // namespace detserve::app
