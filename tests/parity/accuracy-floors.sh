#!/usr/bin/env bash
# Accuracy regression floors: each model detserve ships or documents, measured by `detserve eval`
# on ../shared/images/coco128-train, must score mAP@[.50:.95] at least its floor — just under what
# bench/accuracy.sh measured, so that a preprocessing, decoder or NMS regression fails CI. The
# default model's figure must also still be the one docs/models.md's generated table shows.
#
#   tests/parity/accuracy-floors.sh BINARY
#
# Exit 77 (a skip) where ../shared is absent (DETSERVE_SHARED_DIR points elsewhere). A model of
# ../shared missing is a skip of its row only; the default model missing is a failure.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"

# How far a measured figure may sit from the docs' table (printed to three decimals; another
# engine or CPU moves the fourth).
DOCS_TOLERANCE=0.002
# model file | mAP@[.50:.95] floor (measured on 2026-12-07, OpenVINO f32: 0.3408, 0.3034, 0.3123)
rows=(
  "${DETSERVE_MODEL:-$DETSERVE_DEFAULT_MODEL}|0.335"
  "../shared/models/nanodet_m.onnx|0.295"
  "../shared/models/yolov5n_openvino_fp16/yolov5n.xml|0.305"
)

binary="$(realpath "${1:?usage: $0 BINARY}")"
# The ../shared models' sidecars are config/models/<stem>.json under the working directory.
cd "$DETSERVE_ROOT"
photos="$DETSERVE_DEV_SET"
[ -d "$photos/images" ] || { echo "skip: $photos not found (set DETSERVE_SHARED_DIR)"; exit 77; }
[ -f "${rows[0]%%|*}" ] || die "${rows[0]%%|*} not found: run scripts/fetch-default-model.sh (or set DETSERVE_MODEL)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
failed=0
i=0
for row in "${rows[@]}"; do
  IFS='|' read -r file floor <<<"$row"
  path="${file/#..\/shared/$DETSERVE_SHARED_DIR}"
  [ -f "$path" ] || { echo "    skip $file: not found"; continue; }
  i=$((i + 1))
  "$binary" eval --model "$path" --images "$photos/images" --labels "$photos/labels" --precision f32 \
    --json "$out/$i.json" >/dev/null 2>"$out/$i.err" || { cat "$out/$i.err"; die "detserve eval $file failed"; }
  measured="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["map_50_95"])' "$out/$i.json")"
  if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$measured" "$floor"; then
    printf '    %s: mAP@[.50:.95] %.4f >= %s ok\n' "$file" "$measured" "$floor"
  else
    printf '    %s: mAP@[.50:.95] %.4f < floor %s FAIL\n' "$file" "$measured" "$floor"
    failed=1
  fi
  if [ "$i" = 1 ]; then
    documented="$(python3 - "$DETSERVE_ROOT/docs/models.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
row = re.search(r"^\| default NanoDet [^|]*\| `models/nanodet/nanodet.xml` \| f32 \| ([0-9.]+) \|", text, re.M)
print(row.group(1) if row else "none")
PY
)"
    if [ "$documented" = none ]; then
      echo "    docs/models.md: no f32 row of the default model in the accuracy table FAIL"; failed=1
    elif python3 -c 'import sys; a, b, t = map(float, sys.argv[1:]); sys.exit(0 if abs(a - b) <= t else 1)' \
         "$measured" "$documented" "$DOCS_TOLERANCE"; then
      echo "    docs/models.md shows $documented for the default model ok"
    else
      echo "    docs/models.md shows $documented for the default model, measured $measured FAIL (run bench/accuracy.sh)"
      failed=1
    fi
  fi
done
exit "$failed"
