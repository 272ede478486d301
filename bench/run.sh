#!/usr/bin/env bash
# The full benchmark of detserve on this machine, written up as DIR/REPORT.md with PNG plots:
# engine-only ceiling vs end-to-end throughput, the concurrency sweep (bench/sweep.sh), the engines
# side by side (bench/engines.sh: OpenVINO, OpenCV, onnxruntime), the naive baseline
# (bench/baseline) vs detserve, an open-loop latency-vs-load curve, cold start and memory.
#
#   bench/run.sh [--smoke] [--out DIR]
#
# DIR defaults to bench/results (the committed report). --smoke: a few seconds per piece, one
# configuration, into a temporary directory unless --out is given; checks that every piece runs
# and the report is written (CI). Exits non-zero if any piece fails. Builds nothing: needs
# scripts/build.sh's binaries in $BUILD_DIR (detserve, bench/detserve-bench,
# bench/baseline/detserve-naive, bench/stages/detserve-microbench), the default model and the
# sample photos; onnxruntime in the venv (scripts/install-deps.sh test). Plots need gnuplot (Debian:
# gnuplot-nox). A full run takes about 25 minutes.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$DETSERVE_ROOT"

invocation="bench/run.sh${*:+ $*}"
smoke=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; shift ;;
    --out) out="$2"; shift 2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done

# Durations (s) and load points.
if [ "$smoke" = 1 ]; then
  duration=1; warmup=0.5; long_duration=1
  engine_filter='BM_EngineForward/streams:1/batch:1'; engine_min_time=0.01
  cold_repeats=1; load_concurrency=4; compare_concurrency="1 4"
  saturation_concurrency=4; saturation_configs=()
  load_percents="50 100"
  [ -n "$out" ] || out="$(mktemp -d "${TMPDIR:-/tmp}/detserve-bench-smoke.XXXXXX")"
else
  duration=10; warmup=2; long_duration=20   # long_duration: the 50 % load point (target 3)
  engine_filter='BM_EngineForward/'; engine_min_time=2
  cold_repeats=3; load_concurrency=16; compare_concurrency="1 4 16 64"
  sweep_concurrency="1 2 4 8 16 32 64"
  # bench/sweep.sh covers max_batch 1 and 4; these complete streams {1,2} x batch {1,2,4,8}.
  saturation_concurrency=32
  saturation_configs=(
    "2 streams; max batch 2|--streams 2 --max_batch 2"
    "2 streams; max batch 8|--streams 2 --max_batch 8"
    "1 stream; max batch 2|--streams 1 --max_batch 2"
    "1 stream; max batch 8|--streams 1 --max_batch 8"
  )
  load_percents="10 20 30 40 50 60 70 80 90 100 110"
  [ -n "$out" ] || out="$DETSERVE_ROOT/bench/results"
fi

bench="$BUILD_DIR/bench/detserve-bench"
naive="$BUILD_DIR/bench/baseline/detserve-naive"
microbench="$BUILD_DIR/bench/stages/detserve-microbench"
for bin in "$DETSERVE_BIN" "$bench" "$naive" "$microbench"; do
  [ -x "$bin" ] || die "$bin not built: run scripts/build.sh (with the test packages: Google Benchmark)"
done
model="${DETSERVE_MODEL:-$DETSERVE_DEFAULT_MODEL}"
[ -f "$model" ] || die "$model not found: run scripts/fetch-default-model.sh"
samples="$(bash scripts/fetch-sample-images.sh)"
images=()
for name in dog person giraffe horses kite eagle; do images+=("$samples/$name.jpg"); done  # as sweep.sh
if ! command -v gnuplot >/dev/null; then
  [ "$smoke" = 1 ] || die "gnuplot not found: apt-get install gnuplot-nox"
  warn "gnuplot not found: the smoke run skips the plots (Debian package: gnuplot-nox)"
fi

mkdir -p "$out"
out="$(cd "$out" && pwd -P)"
rm -f "$out"/*.csv "$out"/*.dat "$out"/*.png "$out"/*.log "$out"/commands.txt "$out"/engine*.json \
      "$out"/profile.txt "$out"/REPORT.md "$out"/sweep.md
# shellcheck source=bench/report/measure.sh
source "$DETSERVE_ROOT/bench/report/measure.sh"
watch_others "$out/others.csv" &
watcher=$!
trap 'stop_all_servers; kill "$watcher" 2>/dev/null || true' EXIT
# A step of the report: its start goes to steps.csv, to split others.csv by step.
phase() { step "$@"; echo "$(date +%s),$*" >>"$out/steps.csv"; }
echo "epoch_s,step" >"$out/steps.csv"
{
  echo "mode=$([ "$smoke" = 1 ] && echo smoke || echo full)"
  echo "duration=$duration"; echo "warmup=$warmup"; echo "long_duration=$long_duration"
  echo "load_concurrency=$load_concurrency"; echo "compare_concurrency=\"$compare_concurrency\""
  echo "saturation_concurrency=$saturation_concurrency"; echo "load_percents=\"$load_percents\""
  echo "command=\"$invocation\""
  echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "uncommitted=$(git status --porcelain 2>/dev/null | grep -c . || true)"
  echo "started=\"$(date -u '+%Y-%m-%d %H:%M UTC')\""; echo "load_before=\"$(load_average)\""
} >"$out/run.env"
bench_args=(--images "${images[@]}" --warmup "$warmup" --expect-detections --quiet)

# engine_run NAME: the engine-only benchmark into $out/engine-NAME.json (run at the start and at
# the end: the ceiling is the better of the two, so that a slow spell of the VM does not set it).
engine_run() {
  phase "engine-only ceiling ($1): detserve-microbench $engine_filter"
  logged "$microbench" --benchmark_filter="$engine_filter" --benchmark_format=json \
    --benchmark_min_time="$engine_min_time" >"$out/engine-$1.json" 2>"$out/microbench.log" \
    || die "detserve-microbench failed: $(tail -5 "$out/microbench.log")"
  [ "$(engine_csv "$out/engine-$1.json" | wc -l)" -gt 1 ] || die "no BM_EngineForward results in $out/engine-$1.json"
}
engine_run start

phase "cold start to ready ($cold_repeats runs)"
echo "run,ready_s,logged_ready_s" >"$out/coldstart.csv"
for run in $(seq 1 "$cold_repeats"); do
  pick_port port
  t0=$(date +%s.%N)
  start_server detserve "$DETSERVE_BIN" serve --host 127.0.0.1 --port "$port" --model "$model"
  ready=$(calc "$(date +%s.%N) - $t0")
  logged_s=$(sed -n 's/.*ready in \([0-9.]*\) s.*/\1/p' "$out/detserve.log" | awk 'NR == 1')
  stop_server detserve
  printf '%s,%.3f,%s\n' "$run" "$ready" "$logged_s" >>"$out/coldstart.csv"
done

phase "memory and CPU: detserve idle, then concurrency $load_concurrency (${duration} s)"
echo "server,phase,rss_mb" >"$out/memory.csv"
pick_port port
start_server detserve "$DETSERVE_BIN" serve --host 127.0.0.1 --port "$port" --model "$model"
sleep 1
echo "detserve,idle,$(rss_mb "$(server_pid detserve)")" >>"$out/memory.csv"
measure_load detserve "$out/cpu.csv" "$out/memory.csv" \
  "$bench" --url "http://127.0.0.1:$port/v1/detect" --concurrency "$load_concurrency" \
  --duration "$duration" --label "detserve load" --csv "$out/load.csv" "${bench_args[@]}"
stop_server detserve

phase "concurrency sweep: bench/sweep.sh"
if [ "$smoke" = 1 ]; then
  logged bash bench/sweep.sh --smoke --out "$out" >/dev/null
else
  logged bash bench/sweep.sh --duration "$duration" --warmup "$warmup" --concurrency "$sweep_concurrency" \
    --out "$out" >/dev/null
fi
rm -f "$out/server.log"

phase "engines side by side: bench/engines.sh"
engines_args=(--out "$out")
[ "$smoke" = 1 ] && engines_args+=(--smoke)
bash bench/engines.sh "${engines_args[@]}" >/dev/null

for config in ${saturation_configs[@]+"${saturation_configs[@]}"}; do
  name="${config%%|*}"
  phase "saturation: $name; concurrency $saturation_concurrency"
  pick_port port
  # shellcheck disable=SC2086  # flags are words
  start_server detserve "$DETSERVE_BIN" serve --host 127.0.0.1 --port "$port" --model "$model" ${config#*|}
  logged "$bench" --url "http://127.0.0.1:$port/v1/detect" --concurrency "$saturation_concurrency" \
    --duration "$duration" --label "$name" --csv "$out/saturation.csv" "${bench_args[@]}" >/dev/null
  stop_server detserve
done

phase "naive baseline vs detserve (defaults), concurrency $compare_concurrency, interleaved"
pick_port naive_port
pick_port port
# shellcheck disable=SC2154  # naive_port: assigned by pick_port
start_server naive "$naive" --port "$naive_port" --model "$model"
start_server detserve "$DETSERVE_BIN" serve --host 127.0.0.1 --port "$port" --model "$model"
sleep 1
echo "naive,idle,$(rss_mb "$(server_pid naive)")" >>"$out/memory.csv"
for c in $compare_concurrency; do
  for who in naive detserve; do
    url="http://127.0.0.1:$port/v1/detect"
    [ "$who" = naive ] && url="http://127.0.0.1:$naive_port/v1/detect"
    info "$who, concurrency $c"
    args=("$bench" --url "$url" --concurrency "$c" --duration "$duration" --label "$who" \
          --csv "$out/compare.csv" "${bench_args[@]}")
    if [ "$who" = naive ] && [ "$c" = "$load_concurrency" ]; then
      measure_load naive /dev/null "$out/memory.csv" "${args[@]}"
    else
      logged "${args[@]}" >/dev/null
    fi
  done
done
stop_server naive

# Saturation X: the best throughput of detserve's defaults in the sweep.
saturation=$(sweep_saturation "$out/sweep.csv")
echo "saturation=$saturation" >>"$out/run.env"
phase "open loop: detserve (defaults) at $load_percents % of $saturation img/s"
for pct in $load_percents; do
  rate=$(calc "$saturation * $pct / 100")
  d=$duration
  [ "$pct" = 50 ] && d=$long_duration
  info "rate $rate req/s ($pct %), ${d} s"
  logged "$bench" --url "http://127.0.0.1:$port/v1/detect" --rate "$rate" --duration "$d" \
    --label "$pct%" --csv "$out/openloop.csv" "${bench_args[@]}" >/dev/null
done

if [ "$smoke" = 0 ]; then
  if command -v perf >/dev/null; then
    phase "profile: perf record on detserve at concurrency $load_concurrency"
    profile_server detserve "$out/profile.txt" \
      "$bench" --url "http://127.0.0.1:$port/v1/detect" --concurrency "$load_concurrency" \
      --duration "$duration" --label profile "${bench_args[@]}"
  else
    warn "perf not found (Debian: linux-perf): no profile in the report"
  fi
fi
stop_server detserve
engine_run end
engine_merge "$out/engine-start.json" "$out/engine-end.json" >"$out/engine.csv"
echo "$(date +%s),end" >>"$out/steps.csv"
kill "$watcher" 2>/dev/null || true
echo "load_after=\"$(load_average)\"" >>"$out/run.env"

step "report: $out/REPORT.md"
if command -v gnuplot >/dev/null; then
  bash bench/report/plot.sh "$out"
fi
bash bench/report/write_report.sh "$out" >"$out/REPORT.md"
# Issue 4's three targets and issue 11's three (its onnxruntime one needs ../shared's nanodet_m.onnx).
targets=5
grep -q ',nanodet_m.onnx,' "$out/engines.csv" && targets=6
[ "$(grep -cE '\*\*(PASS|MISS)\*\*' "$out/REPORT.md")" = "$targets" ] || die "$out/REPORT.md lacks a target's verdict"
! grep -q '\*\*n/a' "$out/REPORT.md" || die "$out/REPORT.md: a target could not be measured (n/a)"
rm -f "$out"/*.dat "$out"/*.log  # the logs only matter when a piece fails, and then the run stops there
printf '%s\n' "$out/REPORT.md"
