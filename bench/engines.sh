#!/usr/bin/env bash
# Engines side by side, all in one run (issue 11): batch-1 forward images/s of the default model
# and ../shared/models/nanodet_m.onnx on OpenVINO f32, OpenVINO bf16 (CPUs with AVX512-BF16 or AMX)
# and the OpenCV engine (detserve-microbench BM_Engines), against onnxruntime and OpenVINO's own
# Python API with ENABLE_CPU_PINNING on and off (bench/engines.py), each at 1 stream x 2 threads and
# 2 x 1; then `detserve serve` end to end on OpenVINO vs the OpenCV engine (detserve-bench, same
# photos, same concurrency). Every round runs every contender once, so that a slow spell of the
# shared machine hits all of them; the figures are medians over the rounds.
#
#   bench/engines.sh [--smoke] [--rounds N] [--out DIR]
#
# Writes DIR/engines.csv (forward images/s, every round), DIR/engines_e2e.csv (detserve-bench rows)
# and DIR/engines.md (the tables and issue 11's targets, for REPORT.md). --smoke: one short round
# (CI). Needs scripts/build.sh's binaries, the default model, the sample photos, and onnxruntime in
# $DETSERVE_VENV (scripts/install-deps.sh test); without ../shared/models/nanodet_m.onnx only the
# default model is compared.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$DETSERVE_ROOT"

rounds=5; seconds=2; e2e_duration=10; e2e_warmup=2; e2e_concurrency=16
out="$BUILD_DIR/bench-engines"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) rounds=1; seconds=0.3; e2e_duration=1; e2e_warmup=0.5; e2e_concurrency=4; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done

bench="$BUILD_DIR/bench/detserve-bench"
microbench="$BUILD_DIR/bench/stages/detserve-microbench"
python="$DETSERVE_VENV/bin/python"
for bin in "$DETSERVE_BIN" "$bench" "$microbench"; do
  [ -x "$bin" ] || die "$bin not built: run scripts/build.sh (with the test packages: Google Benchmark)"
done
"$python" -c "import onnx, onnxruntime" 2>/dev/null || die "onnxruntime or onnx not in $DETSERVE_VENV: run scripts/install-deps.sh test"
model="${DETSERVE_MODEL:-$DETSERVE_DEFAULT_MODEL}"
[ -f "$model" ] || die "$model not found: run scripts/fetch-default-model.sh"
onnx="${DETSERVE_SHARED_DIR:-$DETSERVE_ROOT/../shared}/models/nanodet_m.onnx"
models=("$model")
if [ -f "$onnx" ]; then models+=("$(cd "$(dirname "$onnx")" && pwd -P)/nanodet_m.onnx"); else warn "$onnx not found: the default model only"; fi
samples="$(bash scripts/fetch-sample-images.sh)"
images=()
for name in dog person giraffe horses kite eagle; do images+=("$samples/$name.jpg"); done  # as sweep.sh

mkdir -p "$out"
out="$(cd "$out" && pwd -P)"
rm -f "$out"/engines*.csv "$out"/engines.md "$out"/engines-*.json "$out"/engines_notes.txt
# shellcheck source=bench/report/measure.sh
source "$DETSERVE_ROOT/bench/report/measure.sh"
trap stop_all_servers EXIT

# The same preprocessed dog.jpg for every contender (raw f32 NCHW).
for m in "${models[@]}"; do
  "$DETSERVE_BIN" detect "$samples/dog.jpg" --model "$m" --dump-input "$out/$(basename "$m").f32" >/dev/null
done

step "forward images/s: $rounds round(s) of ${#models[@]} model(s) x every engine x {1x2, 2x1}, ${seconds} s each"
echo "round,model,engine,streams,threads,images_per_s" >"$out/engines.csv"
bench_models="$(IFS=:; echo "${models[*]}")"
for round in $(seq 1 "$rounds"); do
  info "round $round"
  # detserve's engines, then the anchors on the same files (their order alternates by round).
  detserve_forwards() {
    logged env DETSERVE_BENCH_MODELS="$bench_models" "$microbench" --benchmark_filter='^BM_Engines/' \
      --benchmark_min_time="$seconds" --benchmark_format=json >"$out/engines-$round.json" 2>"$out/microbench.log" \
      || die "detserve-microbench failed: $(tail -5 "$out/microbench.log")"
    jq -r --arg round "$round" '.benchmarks[] | select((.run_type // "iteration") == "iteration")
        | (.name | capture("model:(?<m>[^/]+)/engine:(?<e>[^/]+)/streams:(?<s>[0-9]+)/threads:(?<t>[0-9]+)")) as $c
        | [$round, $c.m, $c.e, $c.s, $c.t, .items_per_second] | @csv' "$out/engines-$round.json" \
      | tr -d '"' >>"$out/engines.csv"
  }
  anchors() {
    for m in "${models[@]}"; do
      no_ort=()
      [[ "$m" == *.onnx ]] || no_ort=(--no-ort)  # onnxruntime reads ONNX only
      logged "$python" bench/engines.py --model "$m" --input "$out/$(basename "$m").f32" --seconds "$seconds" \
        "${no_ort[@]}" >"$out/engines-py.csv" 2>"$out/engines-py.log" \
        || die "bench/engines.py failed: $(tail -5 "$out/engines-py.log")"
      sed "s/^/$round,/" "$out/engines-py.csv" >>"$out/engines.csv"
      cat "$out/engines-py.log" >>"$out/engines_notes.txt"
    done
  }
  if [ $((round % 2)) = 1 ]; then detserve_forwards; anchors; else anchors; detserve_forwards; fi
done
sort -u -o "$out/engines_notes.txt" "$out/engines_notes.txt"

# End to end: one server per contender, all up at once, loaded in turn, round after round.
e2e=(
  "openvino (defaults)|"
  "openvino f32|--precision f32"
  "openvino 1 stream x 2 threads|--streams 1 --threads 2"
  "opencv (defaults)|--engine opencv"
)
declare -A ports=()
for i in "${!e2e[@]}"; do
  pick_port "ports[$i]"
  # shellcheck disable=SC2086  # flags are words
  start_server "e2e$i" "$DETSERVE_BIN" serve --host 127.0.0.1 --port "${ports[$i]}" --model "$model" ${e2e[$i]#*|}
done
step "end to end: ${#e2e[@]} servers, concurrency $e2e_concurrency, ${e2e_duration} s each, $rounds round(s)"
for round in $(seq 1 "$rounds"); do
  for i in "${!e2e[@]}"; do
    info "round $round: ${e2e[$i]%%|*}"
    logged "$bench" --url "http://127.0.0.1:${ports[$i]}/v1/detect" --images "${images[@]}" --concurrency "$e2e_concurrency" \
      --duration "$e2e_duration" --warmup "$e2e_warmup" --expect-detections --quiet --label "${e2e[$i]%%|*}" \
      --csv "$out/engines_e2e.csv" >/dev/null
  done
done
for i in "${!e2e[@]}"; do
  sed -n "s/.*ready in [0-9.]* s: [^(]*([^,]*, [^,]*, \(.*\); CPU.*/${e2e[$i]%%|*}: \1/p" "$out/e2e$i.log" >>"$out/engines_notes.txt"
done
stop_all_servers
rm -f "$out"/*.f32 "$out"/e2e*.log "$out"/microbench.log "$out"/engines-py.*

bash bench/report/engines_report.sh "$out" >"$out/engines.md"
cat "$out/engines.md"
