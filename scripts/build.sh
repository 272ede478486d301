#!/usr/bin/env bash
# Configures and builds detserve (Release, Ninja) and prints the path of the `detserve` binary.
#
#   scripts/build.sh [extra cmake -D options…]
#
# Environment: BUILD_DIR (default <repo>/build); DETSERVE_BUILD_TESTS / DETSERVE_BUILD_BENCH
# (ON|OFF; default ON when GoogleTest+GoogleMock / Google Benchmark are installed, else OFF,
# so that the `run` profile of install-deps.sh is enough to build the service); DETSERVE_OPENVINO
# (ON|OFF, default ON: build the OpenVINO engine with the wheel install-deps.sh put in
# $DETSERVE_CACHE_DIR/venv, passed to CMake as OpenVINO_DIR; without the wheel, or OFF, the build has
# the OpenCV engine only).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v cmake >/dev/null 2>&1 || die "cmake not found: run scripts/install-deps.sh first"
command -v ninja >/dev/null 2>&1 || die "ninja not found: run scripts/install-deps.sh first"

if [ -z "${DETSERVE_BUILD_TESTS:-}" ]; then
  if [ -z "$(missing_pkgs libgtest-dev libgmock-dev)" ]; then DETSERVE_BUILD_TESTS=ON; else DETSERVE_BUILD_TESTS=OFF; fi
fi
if [ -z "${DETSERVE_BUILD_BENCH:-}" ]; then
  if [ -z "$(missing_pkgs libbenchmark-dev)" ]; then DETSERVE_BUILD_BENCH=ON; else DETSERVE_BUILD_BENCH=OFF; fi
fi

generator=(-G Ninja)
if [ -f "$BUILD_DIR/CMakeCache.txt" ]; then
  # An existing build directory keeps its generator (cmake refuses to switch it).
  generator=()
fi

openvino_cmake_options

info "configure: $BUILD_DIR (Release, tests $DETSERVE_BUILD_TESTS, bench $DETSERVE_BUILD_BENCH, OpenVINO $OPENVINO_SHOWN)"
cmake -S "$DETSERVE_ROOT" -B "$BUILD_DIR" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DDETSERVE_BUILD_TESTS="$DETSERVE_BUILD_TESTS" \
  -DDETSERVE_BUILD_BENCH="$DETSERVE_BUILD_BENCH" \
  "${OPENVINO_CMAKE_ARGS[@]}" \
  $(cmake_launcher_args) "$@" >&2

info "build: $(nproc) jobs"
cmake --build "$BUILD_DIR" -j"$(nproc)" >&2

[ -x "$DETSERVE_BIN" ] || die "build finished but $DETSERVE_BIN does not exist"
echo "$DETSERVE_BIN"
