#!/usr/bin/env bash
# The plots of bench/run.sh's report: DIR's CSVs → gnuplot data blocks → DIR/*.png (plots.gp).
#
#   bench/report/plot.sh DIR
set -euo pipefail
dir="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

# One block per configuration of a detserve-bench CSV, titled by its label, rows "x y...":
# blocks CSV X_COLUMN COLUMN... (sustained_rps = ok / duration_s, as in REPORT.md)
blocks() {
  local csv="$1" xcol="$2"; shift 2
  awk -F, -v xcol="$xcol" -v cols="$*" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; n = split(cols, want, " "); next }
    { label = $col["label"]
      if (!(label in seen)) { seen[label] = ++count; order[count] = label }
      line = $col[xcol]
      for (j = 1; j <= n; j++) line = line " " (want[j] == "sustained_rps" ? $col["ok"] / $col["duration_s"] : $col[want[j]])
      rows[label] = rows[label] line "\n" }
    END { for (k = 1; k <= count; k++) printf "%s\"%s\"\n%s\n\n", (k > 1 ? "\n" : ""), order[k], rows[order[k]] }' "$csv"
}

blocks "$dir/sweep.csv" concurrency sustained_rps p50_ms p99_ms >"$dir/sweep.dat"
awk -F, 'NR == 1 || index($0, ",naive,")' "$dir/compare.csv" >"$dir/naive.csv"
blocks "$dir/naive.csv" concurrency sustained_rps p50_ms p99_ms >"$dir/naive.dat"
rm -f "$dir/naive.csv"
blocks "$dir/openloop.csv" rate throughput_rps p50_ms p99_ms >"$dir/openloop.dat"
# The open-loop points as one block (one label per point above).
grep -v '^"' "$dir/openloop.dat" | grep -v '^$' | sort -g >"$dir/openloop_all.dat"

configs=$(grep -c '^"' "$dir/sweep.dat")
ceiling=$(awk -F, 'NR > 1 && $3 > best { best = $3 } END { printf "%.3f", best }' "$dir/engine.csv")
saturation=$(sed -n 's/^saturation=//p' "$dir/run.env")
single=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                  $col["label"] == "detserve" && $col["concurrency"] == 1 { print $col["p50_ms"]; exit }' "$dir/compare.csv")
gnuplot -e "dir='$dir'; configs=$configs; ceiling=$ceiling; saturation=$saturation; single=${single:-0}" \
  "$here/plots.gp"
rm -f "$dir/openloop_all.dat"
