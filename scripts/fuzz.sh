#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ (clang, AddressSanitizer + UndefinedBehaviorSanitizer).
#
#   scripts/fuzz.sh TARGET SECONDS    fuzz one target for SECONDS, e.g. scripts/fuzz.sh ir_reader 600
#   scripts/fuzz.sh all SECONDS       each target in turn, SECONDS each
#   scripts/fuzz.sh --build           configure and build the fuzz executables only
#   scripts/fuzz.sh --list            the target names
#
# The first run configures FUZZ_BUILD_DIR with clang++ and builds it (our modules compiled with
# -fsanitize=fuzzer-no-link,address,undefined; Debian's libraries are not instrumented, so
# coverage guides only our code). Each target runs on a working copy of fuzz/corpus/TARGET plus
# fuzz/regressions/TARGET in FUZZ_WORK_DIR/TARGET/corpus (it keeps growing across runs), under
# `nice`, with -rss_limit_mb, -timeout and -max_total_time. Prints the executions and the
# coverage (cov/ft) at the end.
#
# Exit 0: no finding. Exit 1: a finding; the crash/leak/timeout file's path is printed (move it
# to fuzz/regressions/TARGET/ once fixed). Exit 2: usage or build error.
#
# Environment (optional):
#   FUZZ_BUILD_DIR   default <repo>/build-fuzz
#   FUZZ_WORK_DIR    default FUZZ_BUILD_DIR/work
#   FUZZ_RSS_MB      default 2048       FUZZ_TIMEOUT_S  default 10 (one input)
#   FUZZ_NICE        default 15 (the fuzzer's niceness)   FUZZ_BUILD_JOBS default 2
#   FUZZ_SKIP_BUILD  1: run the executables as they are (another build is running in FUZZ_BUILD_DIR)
#   FUZZ_SEED        libFuzzer's -seed (default: a new random seed each run)
#   FUZZ_RUNS        stop after this many inputs (-runs); SECONDS stays the upper bound
#   FUZZ_FRESH       1: start from the seeds alone (drop what earlier runs added to the corpus)
#
# With FUZZ_SEED, FUZZ_RUNS and FUZZ_FRESH set, a run tries the same inputs every
# time: that is how ctest runs the smoke, so CI fails only when a change makes the outcome change,
# never because a random run happened to find an old bug. Hunting is a long random run by hand.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FUZZ_BUILD_DIR="${FUZZ_BUILD_DIR:-$DETSERVE_ROOT/build-fuzz}"
FUZZ_WORK_DIR="${FUZZ_WORK_DIR:-$FUZZ_BUILD_DIR/work}"
FUZZ_RSS_MB="${FUZZ_RSS_MB:-2048}"
FUZZ_TIMEOUT_S="${FUZZ_TIMEOUT_S:-10}"
FUZZ_NICE="${FUZZ_NICE:-15}"
FUZZ_BUILD_JOBS="${FUZZ_BUILD_JOBS:-2}"

# The names, from fuzz/targets/fuzz_targets.hpp's table (one source of truth).
mapfile -t targets < <(grep -o '{"[a-z_]*", fuzz_' "$DETSERVE_ROOT/fuzz/targets/fuzz_targets.hpp" | cut -d'"' -f2)
[ "${#targets[@]}" -gt 0 ] || { echo "error: no targets found in fuzz/targets/fuzz_targets.hpp" >&2; exit 2; }

usage() { sed -n '2,24s/^# \{0,1\}//p' "$0"; }

build() {
  command -v clang++ >/dev/null 2>&1 \
    || { echo "error: clang++ not found; run scripts/install-deps.sh test (clang, libclang-rt-14-dev)" >&2; exit 2; }
  if [ ! -f "$FUZZ_BUILD_DIR/build.ninja" ]; then
    step "configure $FUZZ_BUILD_DIR (clang, libFuzzer + ASan + UBSan)"
    local launcher=()
    command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S "$DETSERVE_ROOT" -B "$FUZZ_BUILD_DIR" -G Ninja "${launcher[@]}" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
      -DDETSERVE_FUZZ=ON -DDETSERVE_BUILD_TESTS=OFF -DDETSERVE_BUILD_BENCH=OFF >/dev/null \
      || { echo "error: configuring $FUZZ_BUILD_DIR failed" >&2; exit 2; }
  fi
  step "build $*"
  # RelWithDebInfo has -g, which makes ccache key on the build directory by default; the CI copy
  # in <build>/fuzz then reuses the objects of build-fuzz.
  CCACHE_NOHASHDIR=1 ninja -C "$FUZZ_BUILD_DIR" -j "$FUZZ_BUILD_JOBS" "$@" >"$FUZZ_BUILD_DIR/fuzz-build.log" 2>&1 \
    || { tail -40 "$FUZZ_BUILD_DIR/fuzz-build.log" >&2; echo "error: build failed (log: $FUZZ_BUILD_DIR/fuzz-build.log)" >&2; exit 2; }
}

# The last "#N ... cov: C ft: F corp: K/..." line of a libFuzzer log, as "N executions, cov C ft F, corpus K".
summary() {
  local line
  line="$(grep -E '^#[0-9]+' "$1" | tail -1)" || true
  [ -n "$line" ] || { echo "no libFuzzer status line"; return; }
  local seeds
  seeds="$(grep -E '^#[0-9]+[[:space:]]+INITED' "$1" | awk '{ for (i = 2; i < NF; i++) { if ($i == "cov:") c = $(i+1); if ($i == "ft:") f = $(i+1) }; print "cov " c " ft " f }' | head -1)" || true
  [ -n "$seeds" ] && printf '(seeds: %s) ' "$seeds"
  awk '{ sub(/^#/, "", $1); n = $1; cov = ft = corp = "?";
         for (i = 2; i < NF; i++) { if ($i == "cov:") cov = $(i+1); if ($i == "ft:") ft = $(i+1); if ($i == "corp:") corp = $(i+1) }
         printf "%s executions, cov %s ft %s, corpus %s\n", n, cov, ft, corp }' <<<"$line"
}

run_one() {
  local name="$1" seconds="$2"
  local bin="$FUZZ_BUILD_DIR/fuzz/fuzz_$name" dir="$FUZZ_WORK_DIR/$name"
  [ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$dir/corpus"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local from
  for from in "$DETSERVE_ROOT/fuzz/corpus/$name" "$DETSERVE_ROOT/fuzz/regressions/$name"; do
    [ -d "$from" ] && find "$from" -maxdepth 1 -type f -exec cp -n -t "$dir/corpus" {} +
  done
  rm -f "$dir/artifacts"/*
  step "fuzz $name for ${seconds}s${FUZZ_RUNS:+ or $FUZZ_RUNS inputs}${FUZZ_SEED:+, seed $FUZZ_SEED} (corpus $dir/corpus, $(find "$dir/corpus" -type f | wc -l) files)"
  local rc=0 start=$SECONDS
  local repeat=()
  [ -n "${FUZZ_SEED:-}" ] && repeat+=(-seed="$FUZZ_SEED")
  [ -n "${FUZZ_RUNS:-}" ] && repeat+=(-runs="$FUZZ_RUNS")
  ( cd "$dir" && UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
      nice -n "$FUZZ_NICE" "$bin" "${repeat[@]}" -max_total_time="$seconds" -rss_limit_mb="$FUZZ_RSS_MB" \
      -timeout="$FUZZ_TIMEOUT_S" -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" ) \
    >"$dir/fuzz.log" 2>&1 || rc=$?
  local took=$((SECONDS - start))
  local found
  found="$(find "$dir/artifacts" -type f | head -1)"
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    grep -E 'ERROR: |SUMMARY: |runtime error|==[0-9]+==' "$dir/fuzz.log" | head -20 >&2 || true
    echo "fuzz $name: FINDING after ${took}s (exit $rc); $(summary "$dir/fuzz.log")" >&2
    echo "  input: ${found:-(none written; see the log)}" >&2
    echo "  log:   $dir/fuzz.log" >&2
    [ -n "$found" ] && echo "  reproduce: $bin $found" >&2
    return 1
  fi
  echo "fuzz $name: no finding in ${took}s; $(summary "$dir/fuzz.log")"
  if [ -n "${FUZZ_RUNS:-}" ] && ! grep -qE "^Done $FUZZ_RUNS runs" "$dir/fuzz.log"; then
    echo "  note: stopped by the ${seconds}s limit before $FUZZ_RUNS inputs (a slow machine): not the full reproducible run"
  fi
}

case "${1:-}" in
  -h|--help|"") usage; [ -n "${1:-}" ]; exit $? ;;
  --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
  --build) build "${targets[@]/#/fuzz_}"; exit 0 ;;
esac
[ $# -eq 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
if [ "$1" = all ]; then
  chosen=("${targets[@]}")
else
  printf '%s\n' "${targets[@]}" | grep -qxF -- "$1" \
    || { echo "error: unknown target '$1' (targets: ${targets[*]})" >&2; exit 2; }
  chosen=("$1")
fi
[ "${FUZZ_SKIP_BUILD:-0}" = 1 ] || build "${chosen[@]/#/fuzz_}"
failed=0
for name in "${chosen[@]}"; do
  run_one "$name" "$2" || failed=1
done
exit "$failed"
