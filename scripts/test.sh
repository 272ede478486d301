#!/usr/bin/env bash
# Installs what is missing, builds, fetches the default model and the sample photos, runs ctest.
#
#   scripts/test.sh [--sanitize LIST] [extra ctest arguments…]     e.g. scripts/test.sh -L unit
#
#   --sanitize address,undefined  the suite built with ASan + UBSan (GCC, -O1 -g) in
#                                 ${BUILD_DIR}-asan, without the labels that cannot run under it
#                                 (SANITIZED_EXCLUDED_LABELS below says why)
#   --sanitize thread             ThreadSanitizer: the service, the unit and the HTTP tests only,
#                                 in ${BUILD_DIR}-tsan
#
# With CI=true: the normal suite, then — if it passed — the suite built with
# DETSERVE_CI_SANITIZE (default address,undefined: ASan + UBSan; none: the normal suite only).
# Either way the last lines printed are ctest's.
#
# Sanitizer reports (every process, also the `detserve serve` children of the HTTP tests) go to
# <build dir>/sanitizer-reports/; ctest's post-test step (tests/sanitizers/check-reports.sh)
# prints them and fails the run when there is any. Suppressions, each with its reason:
# tests/sanitizers/*.supp.
#
# Exit code: ctest's. The tests read (exported here):
#   DETSERVE_MODEL        <repo>/models/nanodet/nanodet.xml (the converted default model)
#   DETSERVE_SAMPLES_DIR  directory with darknet's dog.jpg, person.jpg, giraffe.jpg, …
#   DETSERVE_CACHE_DIR    cache of downloads (npm tarball, TFJS model, samples)
#   DETSERVE_SOURCE_DIR   the repository root
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$DETSERVE_ROOT"

sanitize=""
if [ "${1:-}" = --sanitize ]; then
  [ $# -ge 2 ] || die "--sanitize needs a list: address,undefined or thread"
  sanitize="$2"; shift 2
elif [[ "${1:-}" == --sanitize=* ]]; then
  sanitize="${1#--sanitize=}"; shift
fi

# Labels left out of the ASan + UBSan run:
#   deploy   deploy.dockerfile compares the binary's shared libraries with the Dockerfile's
#            packages (libasan/libubsan are not among them); the manifests and the nginx check
#            test no code of ours that the rest of the suite does not run.
#   browser  headless Chromium driving the web page: tests the page's JavaScript; the server side
#            of it runs in the HTTP tests.
#   bench    timing runs (microbenchmarks, bench/run.sh --smoke): a sanitized build measures the
#            sanitizer; the server under load is covered by the HTTP load tests and scripts/soak.sh.
#   fuzz     the libFuzzer smoke runs are built with clang's -fsanitize=fuzzer,address,undefined in
#            their own build directory (scripts/fuzz.sh), not in this GCC build.
#   accuracy parity.zoo_accuracy: ten `detserve eval` runs of the dev set against a Python
#            reference — an accuracy measure; the decoders and engine inputs it runs are under
#            ASan in the unit and zoo-input integration tests, and eval itself in the parity ones.
SANITIZED_EXCLUDED_LABELS="deploy|browser|bench|fuzz|accuracy"
# ThreadSanitizer builds only these (the service and its threaded tests) and runs these labels.
TSAN_TARGETS=(detserve detserve_unit_tests detserve_http_tests)
TSAN_LABELS="^(unit|http)$"

step "install-deps test"
bash scripts/install-deps.sh test

step "fetch-sample-images"
DETSERVE_SAMPLES_DIR="$(bash scripts/fetch-sample-images.sh)"
DETSERVE_SOURCE_DIR="$DETSERVE_ROOT"
export DETSERVE_SAMPLES_DIR DETSERVE_SOURCE_DIR

# The normal build, the default model converted by it, then ctest (exec'd when last).
run_normal_suite() {
  step "build"
  DETSERVE_BUILD_TESTS=ON bash scripts/build.sh >/dev/null
  step "fetch-default-model"
  DETSERVE_MODEL="$(bash scripts/fetch-default-model.sh)"
  export DETSERVE_MODEL
  step "ctest ($BUILD_DIR; model $DETSERVE_MODEL; samples $DETSERVE_SAMPLES_DIR)"
  ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j2 --timeout 900 "$@"
}

# sanitized_build_dir LIST: ${BUILD_DIR}-asan for address,…; -tsan for thread; -ubsan for undefined.
sanitized_build_dir() {
  case ",$1," in
    *,thread,*)    echo "$BUILD_DIR-tsan" ;;
    *,address,*)   echo "$BUILD_DIR-asan" ;;
    *,undefined,*) echo "$BUILD_DIR-ubsan" ;;
    *) die "--sanitize $1: expected address,undefined or thread (or a part of address,undefined)" ;;
  esac
}

# The *SAN_OPTIONS for a run whose reports go to $1 (one file per process: <tool>.<exe>.<pid>).
export_sanitizer_options() {
  local reports="$1" supp="$DETSERVE_ROOT/tests/sanitizers"
  local common="halt_on_error=1:print_summary=1:log_exe_name=1"
  export ASAN_OPTIONS="$common:log_path=$reports/asan:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="$common:log_path=$reports/ubsan:print_stacktrace=1:suppressions=$supp/ubsan.supp"
  export TSAN_OPTIONS="$common:log_path=$reports/tsan:second_deadlock_stack=1:suppressions=$supp/tsan.supp:print_suppressions=0"
  # The OpenVINO wheel's oneTBB dlopens its libtbbbind (CPU topology) with RTLD_DEEPBIND, which the
  # sanitizer runtimes refuse ("incompatible with sanitizer runtime"): every process that starts
  # the OpenVINO engine died with that one line. oneTBB's documented switch for sanitized processes
  # loads it without RTLD_DEEPBIND; nothing else changes (no check is turned off).
  export TBB_ENABLE_SANITIZERS=1
}

# The sanitized build (its own directory, GCC 12), then ctest (exec'd: the last thing printed).
run_sanitized_suite() {
  local list="$1"; shift
  local dir bench=ON targets=() selection=()
  dir="$(sanitized_build_dir "$list")"
  if [[ ",$list," == *,thread,* ]]; then
    [ "$list" = thread ] || die "--sanitize $list: ThreadSanitizer cannot be combined with other sanitizers"
    bench=OFF
    targets=(--target "${TSAN_TARGETS[@]}")
    selection=(-L "$TSAN_LABELS")
  else
    selection=(-LE "^($SANITIZED_EXCLUDED_LABELS)$")
  fi
  command -v g++-12 >/dev/null 2>&1 || die "g++-12 not found (scripts/install-deps.sh installs build-essential)"

  # The OpenVINO engine as in the normal build (scripts/build.sh): the wheel's libraries are not
  # instrumented, our engine code around them is.
  openvino_cmake_options
  step "build (-fsanitize=$list; OpenVINO $OPENVINO_SHOWN) in $dir"
  local generator=(-G Ninja)
  [ -f "$dir/CMakeCache.txt" ] && generator=()
  # Debug: assertions on (NDEBUG unset); the sanitizer option makes it -O1 -g.
  cmake -S "$DETSERVE_ROOT" -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++-12 \
    -DDETSERVE_SANITIZE="$list" -DDETSERVE_BUILD_TESTS=ON -DDETSERVE_BUILD_BENCH="$bench" \
    "${OPENVINO_CMAKE_ARGS[@]}" $(cmake_launcher_args) >&2
  cmake --build "$dir" -j"$(nproc)" "${targets[@]}" >&2

  # The model converted by a normal build when there is one (converting it here would rewrite
  # models/ each time this newer binary is built); else by this build's converter.
  DETSERVE_MODEL="$DETSERVE_DEFAULT_MODEL"
  if [ ! -f "$DETSERVE_MODEL" ]; then
    step "fetch-default-model (converted by the sanitized build)"
    DETSERVE_MODEL="$(BUILD_DIR="$dir" bash scripts/fetch-default-model.sh)"
  fi
  export DETSERVE_MODEL

  export_sanitizer_options "$dir/sanitizer-reports"
  step "ctest -fsanitize=$list ($dir; ${selection[*]}; reports in $dir/sanitizer-reports)"
  exec ctest --test-dir "$dir" --output-on-failure --no-tests=error -j2 --timeout 1800 "${selection[@]}" "$@"
}

if [ -n "$sanitize" ]; then
  run_sanitized_suite "$sanitize" "$@"
fi
ci_sanitize="${DETSERVE_CI_SANITIZE:-address,undefined}"
if [ "${CI:-}" = true ] && [ "$ci_sanitize" != none ]; then
  run_normal_suite "$@"   # set -e: a failing normal suite ends the run with its own summary
  run_sanitized_suite "$ci_sanitize" "$@"
fi
run_normal_suite "$@"
