#!/usr/bin/env bash
# The default model's COCO accuracy under OpenVINO f32 equals the OpenCV engine's (issue 11: mAP
# within 0.002), both measured by `detserve eval` on ../shared/images/coco128-train.
#
#   tests/parity/eval-engine-parity.sh BINARY
#
# Exit 77 (a skip) where ../shared is absent (DETSERVE_SHARED_DIR points elsewhere) or BINARY was
# built without OpenVINO; the default model missing is a failure.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"

# The issue's bound on every metric compared.
TOLERANCE=0.002
METRICS=(map_50_95 map_50 map_75 ar_100)

binary="${1:?usage: $0 BINARY}"
model="${DETSERVE_MODEL:-$DETSERVE_DEFAULT_MODEL}"
photos="$DETSERVE_DEV_SET"
[ -d "$photos/images" ] || { echo "skip: $photos not found (set DETSERVE_SHARED_DIR)"; exit 77; }
[ -f "$model" ] || die "$model not found: run scripts/fetch-default-model.sh (or set DETSERVE_MODEL)"
if ! probe="$("$binary" info --model "$model" --engine openvino 2>&1 >/dev/null)"; then
  if grep -q "built without OpenVINO" <<<"$probe"; then echo "skip: $binary was built without OpenVINO"; exit 77; fi
  die "detserve info --engine openvino failed: $probe"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for engine in opencv openvino; do
  step "detserve eval --engine $engine --precision f32"
  "$binary" eval --model "$model" --images "$photos/images" --labels "$photos/labels" --names "$photos/names.txt" \
    --engine "$engine" --precision f32 --json "$out/$engine.json" >/dev/null
done

python3 - "$out/opencv.json" "$out/openvino.json" "$TOLERANCE" "${METRICS[@]}" <<'PY'
import json, sys
opencv, openvino = (json.load(open(path)) for path in sys.argv[1:3])
tolerance, metrics = float(sys.argv[3]), sys.argv[4:]
failed = False
for name in metrics:
    a, b = opencv[name], openvino[name]
    ok = abs(a - b) <= tolerance
    failed |= not ok
    print(f"    {name}: opencv {a:.4f}, openvino {b:.4f}, |difference| {abs(a - b):.4f} {'ok' if ok else 'FAIL'} (<= {tolerance})")
sys.exit(1 if failed else 0)
PY
