#!/usr/bin/env bash
# Concurrency sweep of `detserve serve` on the default model: throughput and p50/p99 at each
# concurrency, for batching on/off × streams 1/2, all in one run on this machine.
#
#   bench/sweep.sh [--duration S] [--warmup S] [--concurrency "1 4 16 64"] [--out DIR] [--smoke]
#
# Writes DIR/sweep.csv (one detserve-bench row per point) and DIR/sweep.md (the table), and prints
# the table. --smoke: 1 s points at concurrency 1 and 4 on the default settings only (CI).
# Needs a build (scripts/build.sh), the default model and the sample photos (scripts/test.sh or
# scripts/run.sh fetch them).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$DETSERVE_ROOT"

duration=10
warmup=2
concurrency="1 4 16 64"
out="$BUILD_DIR/bench-sweep"
smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done

bench="$BUILD_DIR/bench/detserve-bench"
[ -x "$DETSERVE_BIN" ] || die "$DETSERVE_BIN not built: run scripts/build.sh"
[ -x "$bench" ] || die "$bench not built: run scripts/build.sh (needs DETSERVE_BUILD_BENCH=ON)"
model="${DETSERVE_MODEL:-$DETSERVE_DEFAULT_MODEL}"
[ -f "$model" ] || die "$model not found: run scripts/fetch-default-model.sh"
samples="$(bash scripts/fetch-sample-images.sh)"
# The photos with objects NanoDet finds (scream.jpg has none), so that every answer is checked.
images=()
for name in dog person giraffe horses kite eagle; do images+=("$samples/$name.jpg"); done

# name (no commas: it goes into the CSV) | extra serve flags
configs=(
  "2 streams; batching on|--streams 2 --max_batch 4"
  "2 streams; batching off|--streams 2 --max_batch 1"
  "1 stream; batching on|--streams 1 --max_batch 4"
  "1 stream; batching off|--streams 1 --max_batch 1"
)
if [ "$smoke" = 1 ]; then
  duration=1; warmup=0.5; concurrency="1 4"
  configs=("defaults|")
fi

mkdir -p "$out"
csv="$out/sweep.csv"
rm -f "$csv"
port=$(( 20000 + RANDOM % 20000 ))
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

for config in "${configs[@]}"; do
  name="${config%%|*}"
  flags="${config#*|}"
  # shellcheck disable=SC2086  # flags are words
  "$DETSERVE_BIN" serve --host 127.0.0.1 --port "$port" --model "$model" $flags >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || die "detserve serve exited: $(cat "$out/server.log")"
    sleep 0.1
  done
  for c in $concurrency; do
    step "$name; concurrency $c (${duration} s)"
    "$bench" --url "http://127.0.0.1:$port/v1/detect" --images "${images[@]}" --concurrency "$c" \
      --duration "$duration" --warmup "$warmup" --expect-detections --label "$name" --csv "$csv" --quiet >/dev/null
  done
  stop_server
done

# The table: one row per configuration and concurrency.
{
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%d)."
  echo "Command: bench/sweep.sh --duration $duration --concurrency \"$concurrency\""
  echo
  echo "| configuration | concurrency | throughput (img/s) | p50 (ms) | p99 (ms) | mean batch | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
           { printf "| %s | %s | %.2f | %.0f | %.0f | %.2f | %s |\n", $col["label"], $col["concurrency"],
               $col["throughput_rps"], $col["p50_ms"], $col["p99_ms"], $col["batch_size_mean"], $col["errors"] }' "$csv"
} | tee "$out/sweep.md"
