#!/usr/bin/env bash
# Writes the engines section of REPORT.md (to stdout) from what bench/engines.sh leaves in DIR:
# engines.csv, engines_e2e.csv, engines_notes.txt. Medians over the rounds, with min–max.
#
#   bench/report/engines_report.sh DIR > DIR/engines.md
set -euo pipefail
dir="$1"

# Targets of issue 11.
target_vs_opencv=3
target_vs_ort=1.0
target_e2e=2.5

# stdin: KEY,VALUE lines; stdout: KEY,median,min,max,count per KEY.
medians() {
  sort -t, -k1,1 -k2,2g | awk -F, '
    function flush() { if (n) printf "%s,%.2f,%.2f,%.2f,%d\n", key, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), v[1], v[n], n; n = 0 }
    $1 != key { flush(); key = $1 } { v[++n] = $2 } END { flush() }'
}
forward="$(awk -F, 'NR > 1 { print $2 "|" $3 "|" $4 "x" $5 "," $6 }' "$dir/engines.csv" | medians)"
# Each contender's better layout (1x2 or 2x1), by median.
best="$(awk -F'[|,]' '{ k = $1 "|" $2; if (!(k in b) || $4 > b[k]) { b[k] = $4; l[k] = $3 } }
                      END { for (k in b) print k "," b[k] "," l[k] }' <<<"$forward" | sort)"
e2e="$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
               { print $col["label"] "," $col["ok"] / $col["duration_s"] }' "$dir/engines_e2e.csv" | medians)"
e2e_col() {  # e2e_col LABEL COLUMN: median of that detserve-bench column over the rounds
  awk -F, -v label="$1" -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["label"] == label { print "x," $col[want] }' "$dir/engines_e2e.csv" | medians | cut -d, -f2
}

get() { awk -F, -v k="$1" -v f="$2" '$1 == k { print $f; exit }'; }
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v x="$1" -v t="$2" 'BEGIN { print (x != "n/a" && x >= t) ? "PASS" : "MISS" }'; }
default_model="$(awk -F, 'NR == 2 { print $2 }' "$dir/engines.csv")"
onnx=nanodet_m.onnx
rounds="$(awk -F, 'NR > 1 { print $1 }' "$dir/engines.csv" | sort -u | wc -l)"

ov_default=$(get "$default_model|openvino_f32" 2 <<<"$best")
cv_default=$(get "$default_model|opencv" 2 <<<"$best")
ov_onnx=$(get "$onnx|openvino_f32" 2 <<<"$best")
ort_onnx=$(get "$onnx|onnxruntime" 2 <<<"$best")
e2e_ov=$(get "openvino (defaults)" 2 <<<"$e2e")
e2e_cv=$(get "opencv (defaults)" 2 <<<"$e2e")
r1=$(ratio "$ov_default" "$cv_default"); r2=$(ratio "$ov_onnx" "$ort_onnx"); r3=$(ratio "$e2e_ov" "$e2e_cv")

# paired MODEL ENGINE_A ENGINE_B: the median over the rounds of A / B within the round, each at its
# better layout in that round (contenders of one round ran within a minute of each other).
paired() {
  awk -F, -v m="$1" -v a="$2" -v b="$3" 'NR > 1 && $2 == m && ($3 == a || $3 == b) {
      k = $1 "," $3; if ($6 > best[k]) best[k] = $6; rounds[$1] = 1 }
    END { for (r in rounds) if (best[r "," a] > 0 && best[r "," b] > 0) print "x," best[r "," a] / best[r "," b] }' \
    "$dir/engines.csv" | medians | cut -d, -f2-4
}
paired_e2e() {  # the same for two detserve-bench labels: the i-th run of each is round i
  awk -F, -v a="$1" -v b="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { v = $col["ok"] / $col["duration_s"] } $col["label"] == a { x[++na] = v } $col["label"] == b { y[++nb] = v }
    END { for (i = 1; i <= na && i <= nb; i++) if (y[i] > 0) print "x," x[i] / y[i] }' "$dir/engines_e2e.csv" | medians | cut -d, -f2-4
}
within_round() { IFS=, read -r med lo hi <<<"$1"; [ -n "$med" ] && echo "; within a round: $med× (min $lo, max $hi)"; true; }
p1=$(within_round "$(paired "$default_model" openvino_f32 opencv)")
p2=$(within_round "$(paired "$onnx" openvino_f32 onnxruntime)")
p3=$(within_round "$(paired_e2e "openvino (defaults)" "opencv (defaults)")")

cat <<EOF
## Engines side by side (issue 11)

\`bench/engines.sh\`: $rounds round(s), each running every contender once (the order of detserve's
engines and the anchors alternating by round); figures are medians over the rounds (min–max). A
target's ratio is that of the medians; beside it, the median of the ratios within each round (less
exposed to the machine's drift from one round to the next). Forwards: batch 1, dog.jpg
preprocessed once by \`detserve detect --dump-input\`, images/s over all streams. detserve's
engines: \`detserve-microbench\` \`BM_Engines\`, compiled as \`detserve serve\` does (throughput
hint, NUM_STREAMS = streams, INFERENCE_NUM_THREADS = streams × threads, max batch 4), streams in
lock-step rounds. Anchors (\`bench/engines.py\`, free-running threads): onnxruntime (one session per
stream, intra-op threads = threads; the file as is, and with its weights declared constant — the
latter is the one compared) and OpenVINO's Python API with ENABLE_CPU_PINNING on and off (f32,
static batch 1, same properties). End to end: \`detserve serve\` under \`detserve-bench\`,
concurrency $(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "concurrency") c = i } NR == 2 { print $c }' "$dir/engines_e2e.csv"), darknet's six photos.

| target | measured | goal | result |
|---|---|---|---|
| OpenVINO f32 / OpenCV engine forward, default model, each at its better layout | **${r1}×** ($ov_default / $cv_default img/s$p1) | ≥ ${target_vs_opencv}× | **$(verdict "$r1" "$target_vs_opencv")** |
$(if [ -n "$ort_onnx" ]; then
  echo "| OpenVINO f32 / onnxruntime forward, $onnx, 2 threads in all, each at its better layout | **${r2}×** ($ov_onnx / $ort_onnx img/s$p2) | ≥ ${target_vs_ort}× | **$(verdict "$r2" "$target_vs_ort")** |"
else
  echo "| OpenVINO f32 / onnxruntime forward, $onnx | not measured: ../shared/models/$onnx is not on this machine | ≥ ${target_vs_ort}× | – |"
fi)
| \`serve\` end to end, OpenVINO (defaults) / OpenCV engine (defaults) | **${r3}×** ($e2e_ov / $e2e_cv img/s$p3) | ≥ ${target_e2e}× | **$(verdict "$r3" "$target_e2e")** |

Not a target, for the defaults: on this CPU \`precision: auto\` runs bf16. OpenVINO bf16 / OpenCV
engine forward on the default model: **$(ratio "$(get "$default_model|openvino_bf16" 2 <<<"$best")" "$cv_default")×**$(
  p=$(within_round "$(paired "$default_model" openvino_bf16 opencv)"); echo "${p:+ (${p#; })}"); \`serve --precision f32\` / the
OpenCV engine end to end: **$(ratio "$(get "openvino f32" 2 <<<"$e2e")" "$e2e_cv")×**.

### Forward images/s

| model | engine | 1 stream × 2 threads | 2 streams × 1 thread | better |
|---|---|---:|---:|---:|
EOF
awk -F'[|,]' '{ k = $1 "|" $2; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
                cell[k, $3] = sprintf("%s (%s–%s)", $4, $5, $6); if ($4 > b[k]) b[k] = $4 }
  END { for (i = 1; i <= n; i++) { k = order[i]; split(k, p, "|")
          printf "| %s | %s | %s | %s | %s |\n", p[1], p[2], cell[k, "1x2"], cell[k, "2x1"], b[k] } }' <<<"$forward"

cat <<EOF

### End to end (\`detserve serve\`)

| server | throughput (img/s) | p50 (ms) | p99 (ms) | mean batch |
|---|---:|---:|---:|---:|
EOF
while IFS=, read -r label median lo hi _; do
  printf '| %s | %s (%s–%s) | %.0f | %.0f | %.2f |\n' "$label" "$median" "$lo" "$hi" \
    "$(e2e_col "$label" p50_ms)" "$(e2e_col "$label" p99_ms)" "$(e2e_col "$label" batch_size_mean)"
done <<<"$e2e"

echo
echo "What the engines reported (OpenVINO's default ENABLE_CPU_PINNING, the servers' engine lines):"
echo
sed 's/^/    /' "$dir/engines_notes.txt"
