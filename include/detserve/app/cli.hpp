#pragma once

namespace detserve::app {

// The `detserve` command line; returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace detserve::app
