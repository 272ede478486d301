#!/usr/bin/env bash
# The default model's preprocessing, decided by measurement: each candidate (colour order,
# mean/std, stretch vs letterbox vs top-left fit, border value) as a sidecar beside a link to the
# converted IR, measured by `detserve eval` on the dev set.
#
#   bench/preprocessing-sweep.sh [--precision f32] [--out DIR]
#
# Writes DIR/preprocessing-sweep.md, prints it and puts it in docs/models.md. A sidecar replaces
# the IR's rt_info spec whole, so each candidate names everything but the preprocessing as
# config/models/nanodet.json ships it (NMS), the rest being ModelSpec defaults that eval does not
# use (it keeps every score down to 0.001).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$DETSERVE_ROOT"

precision=f32
out="$DETSERVE_ROOT/bench/results"
while [ $# -gt 0 ]; do
  case "$1" in
    --precision) precision="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done

require_binary_and_dev_set
model="$DETSERVE_DEFAULT_MODEL"
[ -f "$model" ] || die "$model not found: run scripts/fetch-default-model.sh"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ln -s "$model" "$work/nanodet.xml"
ln -s "${model%.xml}.bin" "$work/nanodet.bin"

shipped_nms="$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(json.dumps({k: s[k] for k in ("iou_threshold", "nms")})[1:-1])' config/models/nanodet.json)"
nanodet_norm='"mean_values": [103.53, 116.28, 123.675], "scale_values": [57.375, 57.12, 58.395]'
nanodet_norm_rgb='"mean_values": [123.675, 116.28, 103.53], "scale_values": [58.395, 57.12, 57.375]'
# name | sidecar keys
candidates=(
  "RGB, /255, stretch (the human library's)|\"reverse_input_channels\": true, \"mean_values\": 0, \"scale_values\": 255, \"resize_type\": \"standard\""
  "BGR, /255, stretch|\"reverse_input_channels\": false, \"mean_values\": 0, \"scale_values\": 255, \"resize_type\": \"standard\""
  "RGB, NanoDet mean/std, stretch|\"reverse_input_channels\": true, $nanodet_norm_rgb, \"resize_type\": \"standard\""
  "BGR, NanoDet mean/std, stretch|\"reverse_input_channels\": false, $nanodet_norm, \"resize_type\": \"standard\""
  "RGB, NanoDet mean/std, letterbox 0|\"reverse_input_channels\": true, $nanodet_norm_rgb, \"resize_type\": \"fit_to_window_letterbox\", \"pad_value\": 0"
  "BGR, NanoDet mean/std, letterbox 0|\"reverse_input_channels\": false, $nanodet_norm, \"resize_type\": \"fit_to_window_letterbox\", \"pad_value\": 0"
  "BGR, NanoDet mean/std, letterbox 114|\"reverse_input_channels\": false, $nanodet_norm, \"resize_type\": \"fit_to_window_letterbox\", \"pad_value\": 114"
  "BGR, NanoDet mean/std, top-left fit 0|\"reverse_input_channels\": false, $nanodet_norm, \"resize_type\": \"fit_to_window\", \"pad_value\": 0"
)

i=0
for candidate in "${candidates[@]}"; do
  IFS='|' read -r name keys <<<"$candidate"
  i=$((i + 1))
  printf '{"model_type": "nanodet", %s, %s}\n' "$shipped_nms" "$keys" >"$work/nanodet.json"
  step "$name"
  "$DETSERVE_BIN" eval --model "$work/nanodet.xml" --images "$DETSERVE_DEV_SET/images" --labels "$DETSERVE_DEV_SET/labels" \
    --engine openvino --precision "$precision" --json "$work/$i.json" >/dev/null
  printf '%s\n' "$name" >"$work/$i.name"
done

python3 - "$out/preprocessing-sweep.md" "$precision" "$work" "$i" <<'PY'
import json, pathlib, sys
target, precision, work, count = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), int(sys.argv[4])
lines = [f"The default model (OpenVINO {precision}) on coco128-train, by `bench/preprocessing-sweep.sh`:", "",
         "| preprocessing | mAP@[.50:.95] | mAP@.50 | AR@100 |", "|---|---|---|---|"]
for i in range(1, count + 1):
    r = json.loads((work / f"{i}.json").read_text())
    name = (work / f"{i}.name").read_text().strip()
    lines.append(f"| {name} | {r['map_50_95']:.4f} | {r['map_50']:.4f} | {r['ar_100']:.4f} |")
text = "\n".join(lines) + "\n"
pathlib.Path(target).write_text(text)
print(text)
PY
python3 bench/write-doc-block.py preprocessing-sweep "$out/preprocessing-sweep.md" docs/models.md
