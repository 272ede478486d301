#!/usr/bin/env bash
# How to serve a model: NMS mode × NMS IoU, each measured by `detserve eval` on the dev set — mAP,
# and the score threshold with the best F1 at IoU .50 (what confidence_threshold should be).
#
#   bench/operating-points.sh [--model PATH] [--iou "0.45 0.5 0.6 0.7"] [--precision f32] [--out DIR]
#
# Writes DIR/operating-points-<model stem>.md (the table) and prints it; for the default model
# (no --model) it also goes into docs/models.md. The model's ModelSpec
# keeps everything else (preprocessing, labels). Needs a build and ../shared/images/coco128-train.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$DETSERVE_ROOT"

model="$DETSERVE_DEFAULT_MODEL"
default_model=1
ious="0.45 0.5 0.6 0.7"
precision=f32
out="$DETSERVE_ROOT/bench/results"
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; default_model=0; shift 2 ;;
    --iou) ious="$2"; shift 2 ;;
    --precision) precision="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done

require_binary_and_dev_set
[ -f "$model" ] || die "$model not found"
mkdir -p "$out"
runs="$(mktemp -d)"
trap 'rm -rf "$runs"' EXIT

for nms in class_wise agnostic; do
  for iou in $ious; do
    step "detserve eval --nms $nms --iou-threshold $iou"
    "$DETSERVE_BIN" eval --model "$model" --images "$DETSERVE_DEV_SET/images" --labels "$DETSERVE_DEV_SET/labels" --precision "$precision" \
      --nms "$nms" --iou-threshold "$iou" --json "$runs/$nms-$iou.json" >/dev/null
  done
done

stem="$(basename "${model%.*}")"
python3 - "$out/operating-points-$stem.md" "${model#"$DETSERVE_ROOT"/}" "$precision" "$runs"/*.json <<'PY'
import json, pathlib, sys
target, model, precision, paths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
lines = [f"`{model}` ({precision}) on coco128-train, by `bench/operating-points.sh`:", "",
         "| NMS | IoU | mAP@[.50:.95] | mAP@.50 | best F1@.50 | at score ≥ | precision | recall |",
         "|---|---|---|---|---|---|---|---|"]
rows = []
for p in paths:
    nms, iou = pathlib.Path(p).stem.rsplit("-", 1)
    r = json.load(open(p))
    op = r["best_f1_50"] or {}
    rows.append((nms, float(iou), r["map_50_95"], r["map_50"], op.get("f1", 0), op.get("min_score", 0),
                 op.get("precision", 0), op.get("recall", 0)))
for nms, iou, m, m50, f1, score, prec, rec in sorted(rows):
    lines.append(f"| {nms} | {iou:g} | {m:.4f} | {m50:.4f} | {f1:.4f} | {score:.3f} | {prec:.3f} | {rec:.3f} |")
text = "\n".join(lines) + "\n"
pathlib.Path(target).write_text(text)
print(text)
PY
[ "$default_model" = 0 ] || python3 bench/write-doc-block.py operating-points "$out/operating-points-$stem.md" docs/models.md
