#!/usr/bin/env bash
# Soak: `detserve serve` under a steady load with a trickle of hostile requests; checks that its
# memory levels off, no good request fails and it is alive at the end.
#
#   scripts/soak.sh MINUTES [options]       e.g. scripts/soak.sh 30 --png docs/images/soak-rss.png
#   scripts/soak.sh --seconds S [options]   (the ctest smoke run: --seconds 20 --saturation-seconds 4)
#
# 1. Starts `detserve serve --host 127.0.0.1 --port 0` on the default model, waits for /readyz.
# 2. Saturation: detserve-bench closed loop, concurrency 8, --saturation-seconds (default 15).
# 3. For the run's length, at once:
#    - detserve-bench open loop at --load percent (default 70) of that rate over darknet's photos
#      (dog person horses giraffe kite eagle), every answer checked (HTTP 200, a detections array,
#      not empty: bench/README.md);
#    - scripts/soak/hostile_requests.py: one hostile request a second (bad JSON, garbage bodies, a
#      JPEG truncated mid-scan, GET /%ff, a 10^12 Content-Length, 100 000-deep JSON, 1e309, slow and
#      aborted uploads, …): each answer must be 4xx, an aborted upload must not hurt the server;
#    - the server's VmRSS, threads and open fds once a second into rss.csv.
# 4. Passes when: RSS after the warm-up (10 % of the run, at least 60 s, at most half of it) grows
#    < 5 % (median of the last 10 % of samples against the median at the end of the warm-up); no
#    good request failed; every hostile request was answered 4xx; the process is alive and
#    /healthz answers 200; then SIGTERM ends it with exit status 0.
# 5. Plots RSS over time (gnuplot) to OUT/soak-rss.png (and --png FILE), prints one summary line.
#
# Options: --out DIR (default: a new temp dir, kept), --png FILE, --binary PATH, --model PATH,
# --samples DIR, --load PCT, --saturation-seconds S, --max-growth PCT (default 5), --bench PATH,
# and --server-arg ARG (repeatable; passed to `detserve serve`).
# Needs: scripts/build.sh's detserve and bench/detserve-bench, the default model, python3, curl,
# gnuplot (Debian: gnuplot-nox). Exit status 0 pass, 1 fail, 2 usage.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SATURATION_CONCURRENCY=8
PHOTOS=(dog person horses giraffe kite eagle)   # scream.jpg: nothing NanoDet detects
HOSTILE_PHOTO=dog
READY_TIMEOUT_S=240
REQUEST_TIMEOUT_S=30
WARMUP_FRACTION=10      # percent of the run
WARMUP_MIN_S=60

usage() { sed -n '2,26s/^# \{0,1\}//p' "$0"; exit "${1:-0}"; }
bad_usage() { printf 'error: %s\n' "$*" >&2; exit 2; }

seconds=""
out=""
png=""
binary="$DETSERVE_BIN"
bench="$BUILD_DIR/bench/detserve-bench"
model="${DETSERVE_MODEL:-$DETSERVE_DEFAULT_MODEL}"
samples="${DETSERVE_SAMPLES_DIR:-}"
load_pct=70
saturation_s=15
max_growth_pct=5
server_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage ;;
    --seconds|--out|--png|--binary|--bench|--model|--samples|--load|--saturation-seconds|--max-growth|--server-arg)
      [ $# -ge 2 ] || bad_usage "$1 needs a value"
      case "$1" in
        --seconds) seconds="$2" ;; --out) out="$2" ;; --png) png="$2" ;; --binary) binary="$2" ;;
        --bench) bench="$2" ;; --model) model="$2" ;; --samples) samples="$2" ;; --load) load_pct="$2" ;;
        --saturation-seconds) saturation_s="$2" ;; --max-growth) max_growth_pct="$2" ;;
        --server-arg) server_args+=("$2") ;;
      esac
      shift 2 ;;
    -*) bad_usage "unknown option '$1' (see --help)" ;;
    *)
      [ -z "$seconds" ] || bad_usage "give MINUTES or --seconds, once"
      [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]] || bad_usage "MINUTES: expected a number, got '$1'"
      seconds=$(awk -v m="$1" 'BEGIN { printf "%d", m * 60 + 0.5 }')
      shift ;;
  esac
done
[ -n "$seconds" ] || usage 2
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || bad_usage "--seconds: expected a positive integer, got '$seconds'"
for n in "$load_pct" "$saturation_s" "$max_growth_pct"; do
  [[ "$n" =~ ^[0-9]+(\.[0-9]+)?$ ]] || bad_usage "expected a number, got '$n'"
done
case "$model" in /*) ;; *) model="$DETSERVE_ROOT/$model" ;; esac
[ -x "$binary" ] || die "$binary not found: run scripts/build.sh (or pass --binary)"
[ -x "$bench" ] || die "$bench not found: build bench/ (scripts/build.sh with Google Benchmark installed), or pass --bench"
[ -f "$model" ] || die "model $model not found: run scripts/fetch-default-model.sh"
command -v python3 >/dev/null || die "python3 not found"
command -v curl >/dev/null || die "curl not found"
[ -n "$samples" ] || samples="$(bash "$DETSERVE_ROOT/scripts/fetch-sample-images.sh")"
images=()
for name in "${PHOTOS[@]}"; do
  [ -f "$samples/$name.jpg" ] || die "sample photo $samples/$name.jpg not found (scripts/fetch-sample-images.sh)"
  images+=("$samples/$name.jpg")
done
[ -n "$out" ] || out="$(mktemp -d "${TMPDIR:-/tmp}/detserve-soak.XXXXXX")"
mkdir -p "$out"
out="$(cd "$out" && pwd -P)"
rm -f "$out"/{rss.csv,hostile.csv,saturation.json,load.json,server.log,soak-rss.png,summary.txt}

# Warm-up: 10 % of the run, at least 60 s, but never more than half of it.
warmup_s=$(awk -v s="$seconds" -v f="$WARMUP_FRACTION" -v m="$WARMUP_MIN_S" \
  'BEGIN { w = s * f / 100; if (w < m) w = m; if (w > s / 2) w = s / 2; printf "%d", w }')

# --- processes and clean-up -----------------------------------------------------------------------
server_pid=""
helper_pids=()
cleanup() {
  local status=$?
  for p in ${helper_pids[@]+"${helper_pids[@]}"}; do kill "$p" 2>/dev/null || true; done
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null || true; }
# bench_results FILE: "ok errors throughput_rps p99_ms error_kinds" of a detserve-bench --json file.
bench_results() {
  python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
kinds = " ".join(f"{k}:{v}" for k, v in r.get("errors_by_kind", {}).items()) or "none"
p99 = (r.get("latency_ms") or {}).get("p99")
print(r["ok"], r["errors"], round(r["throughput_rps"], 2), "?" if p99 is None else p99, kinds)
EOF
}

# --- 1. the server ----------------------------------------------------------------------------------
step "start ${binary#"$DETSERVE_ROOT"/} serve (model ${model#"$DETSERVE_ROOT"/}) ${server_args[*]}"
# From the repository root, so that web_root's default (web/) resolves.
(cd "$DETSERVE_ROOT" && exec "$binary" serve --host 127.0.0.1 --port 0 --model "$model" ${server_args[@]+"${server_args[@]}"}) \
  >"$out/server.log" 2>&1 &
server_pid=$!
deadline=$(( $(date +%s) + READY_TIMEOUT_S ))
port=""
until [ -n "$port" ] && [ "$(http_code "http://127.0.0.1:$port/readyz")" = 200 ]; do
  kill -0 "$server_pid" 2>/dev/null || die "detserve exited at start: $(tail -5 "$out/server.log")"
  [ "$(date +%s)" -lt "$deadline" ] || die "detserve not ready within ${READY_TIMEOUT_S} s: $out/server.log"
  [ -n "$port" ] || port="$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$out/server.log" | head -1)"
  sleep 0.2
done
url="http://127.0.0.1:$port/v1/detect"
info "pid $server_pid, $url; output in $out"

# --- 2. saturation ----------------------------------------------------------------------------------
step "saturation: closed loop, concurrency $SATURATION_CONCURRENCY, ${saturation_s} s"
"$bench" --url "$url" --images "${images[@]}" --concurrency "$SATURATION_CONCURRENCY" --duration "$saturation_s" \
  --warmup 1 --expect-detections --timeout "$REQUEST_TIMEOUT_S" --quiet --label saturation \
  --json "$out/saturation.json" >"$out/saturation.txt" \
  || die "the saturation run failed: $(cat "$out/saturation.txt")"
read -r _ _ saturation _ _ < <(bench_results "$out/saturation.json")
rate=$(awk -v s="$saturation" -v p="$load_pct" 'BEGIN { printf "%.2f", s * p / 100 }')
awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || die "saturation $saturation req/s: nothing to soak with"
info "saturation $saturation req/s → open loop at $rate req/s ($load_pct %)"

# --- 3. the soak ----------------------------------------------------------------------------------
step "soak: ${seconds} s at $rate req/s + hostile requests (warm-up ${warmup_s} s)"
t0_us=${EPOCHREALTIME/./}
( echo "elapsed_s,rss_kb,threads,fds"
  while status=$(cat "/proc/$server_pid/status" 2>/dev/null) && [ -n "$status" ]; do
    fds=$(find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    ms=$(( (${EPOCHREALTIME/./} - t0_us) / 1000 ))
    awk -v t="$(printf '%d.%03d' $(( ms / 1000 )) $(( ms % 1000 )))" -v fds="$fds" \
      '/^VmRSS/ { kb = $2 } /^Threads/ { th = $2 } END { print t "," kb "," th "," fds }' <<<"$status"
    sleep 1
  done ) >"$out/rss.csv" &
helper_pids+=($!)
python3 "$DETSERVE_ROOT/scripts/soak/hostile_requests.py" --port "$port" --photo "$samples/$HOSTILE_PHOTO.jpg" \
  --duration "$seconds" --csv "$out/hostile.csv" &
hostile_pid=$!
helper_pids+=("$hostile_pid")
bench_status=0
"$bench" --url "$url" --images "${images[@]}" --rate "$rate" --duration "$seconds" --warmup 0 \
  --expect-detections --timeout "$REQUEST_TIMEOUT_S" --label soak --json "$out/load.json" >"$out/load.txt" \
  || bench_status=$?
hostile_status=0
wait "$hostile_pid" || hostile_status=$?

# --- 4. checks --------------------------------------------------------------------------------------
failures=()
alive=yes
kill -0 "$server_pid" 2>/dev/null || { alive=no; failures+=("detserve is not running: $(tail -3 "$out/server.log")"); }
healthz=$(http_code "http://127.0.0.1:$port/healthz")
[ "$healthz" = 200 ] || failures+=("GET /healthz answered '${healthz}' instead of 200")
sleep 1.5   # one more RSS sample after the load
kill "${helper_pids[0]}" 2>/dev/null || true

if [ -f "$out/load.json" ]; then
  read -r ok errors throughput p99 error_kinds < <(bench_results "$out/load.json")
else
  ok=0; errors="?"; error_kinds="no report"; throughput=0; p99="?"
fi
[ "$bench_status" = 0 ] && [ "$errors" = 0 ] && [ "$ok" -gt 0 ] \
  || failures+=("load: $ok good answers, $errors failed ($error_kinds), detserve-bench exit $bench_status")

hostile_total=$(awk -F, 'NR > 1' "$out/hostile.csv" | wc -l)
hostile_bad=$(awk -F, 'NR > 1 && $5 != 1' "$out/hostile.csv" | wc -l)
hostile_kinds=$(awk -F, 'NR > 1 && $5 != 1 { n[$2 "=" ($4 == "" ? "no-answer" : $4)]++ } END { for (k in n) printf "%s%s:%d", (c++ ? " " : ""), k, n[k] }' "$out/hostile.csv")
[ "$hostile_status" = 0 ] && [ "$hostile_bad" = 0 ] && [ "$hostile_total" -gt 0 ] \
  || failures+=("hostile: $hostile_bad of $hostile_total not answered as expected ($hostile_kinds)")

# RSS: the median of the samples in the last 10 s of the warm-up, against the median of the last
# 10 % of the run (both in kB); the peak after the warm-up for the record.
read -r rss_base rss_end rss_peak samples_n < <(awk -F, -v w="$warmup_s" -v s="$seconds" '
  function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                                     return n ? a[int((n + 1) / 2)] : 0 }
  NR == 1 { next }
  { n++ }
  $1 > w - 10 && $1 <= w { base[++nb] = $2 }
  $1 >= s - s / 10 && $1 <= s { last[++nl] = $2 }
  $1 > w && $2 > peak { peak = $2 }
  END { printf "%d %d %d %d\n", median(base, nb), median(last, nl), peak, n }' "$out/rss.csv")
growth=$(awk -v b="$rss_base" -v e="$rss_end" 'BEGIN { if (b > 0) printf "%+.2f", (e - b) * 100 / b; else print "nan" }')
awk -v g="$growth" -v m="$max_growth_pct" 'BEGIN { exit !(g != "nan" && g < m) }' \
  || failures+=("RSS grew ${growth} % after the warm-up (limit ${max_growth_pct} %): $rss_base → $rss_end kB")

# SIGTERM: a graceful drain and exit 0 (a sanitized build also checks for leaks here).
exit_status="not running"
if [ "$alive" = yes ]; then
  kill -TERM "$server_pid"
  exit_status=0
  wait "$server_pid" || exit_status=$?
  server_pid=""
  [ "$exit_status" = 0 ] || failures+=("SIGTERM: detserve exited with status $exit_status: $(tail -3 "$out/server.log")")
fi

# --- 5. plot and summary -------------------------------------------------------------------------
if command -v gnuplot >/dev/null; then
  gnuplot -e "csv='$out/rss.csv'; png='$out/soak-rss.png'; warmup=$warmup_s; base_mb=$rss_base/1024.0; limit=$max_growth_pct; label='$rate req/s ($load_pct % of $saturation), $(( seconds / 60 )) min $(( seconds % 60 )) s'" \
    "$DETSERVE_ROOT/scripts/soak/plot-rss.gp" || failures+=("gnuplot failed")
  [ -z "$png" ] || { mkdir -p "$(dirname "$png")"; cp "$out/soak-rss.png" "$png"; }
else
  warn "gnuplot not found: no plot (Debian package: gnuplot-nox)"
fi

verdict=PASS
[ "${#failures[@]}" -eq 0 ] || verdict=FAIL
for f in ${failures[@]+"${failures[@]}"}; do printf '    FAIL %s\n' "$f" >&2; done
summary=$(printf 'soak %s: %d s at %s req/s (%s %% of %s), %s answers (%s req/s, p99 %s ms), %s failed; hostile %d, %d not 4xx; RSS %.1f → %.1f MB after %d s warm-up (%s %%), peak %.1f MB, %d samples; healthz %s, exit %s; %s' \
  "$verdict" "$seconds" "$rate" "$load_pct" "$saturation" "$ok" "$throughput" "$p99" "$errors" \
  "$hostile_total" "$hostile_bad" "$(awk -v k="$rss_base" 'BEGIN { print k / 1024 }')" \
  "$(awk -v k="$rss_end" 'BEGIN { print k / 1024 }')" "$warmup_s" "$growth" \
  "$(awk -v k="$rss_peak" 'BEGIN { print k / 1024 }')" "$samples_n" "$healthz" "$exit_status" "$out")
echo "$summary" | tee "$out/summary.txt"
[ "$verdict" = PASS ]
