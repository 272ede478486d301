#include "detserve/app/cli.hpp"

int main(int argc, char** argv) { return detserve::app::run_cli(argc, argv); }
