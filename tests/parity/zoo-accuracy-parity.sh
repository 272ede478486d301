#!/usr/bin/env bash
# The zoo models' accuracy against an independent reference: for each model of
# tests/parity/zoo_reference.py (the COCO-80 zoo models, the person/vehicle SSDs, and two models
# detserve is known to decode right, which check the harness itself), `detserve eval` on
# ../shared/images/coco128-train (f32, the reference's thresholds and NMS) against the reference
# (OpenVINO Python running the file, preprocessing and decoding written from the model's own
# repository or card, pycocotools scoring):
#   COCO-80 models        |mAP@[.50:.95] detserve - reference| <= 0.01
#   person/vehicle SSDs   recall at IoU .50 of each mapped class (pedestrian = person,
#                         vehicle = car, bus, truck) within 0.01, detections >= 0.5
# A floor would let a wrong decoder through; this does not. One model at a time (2 cores).
#
#   tests/parity/zoo-accuracy-parity.sh BINARY
#   DETSERVE_ZOO_MODELS="yolov5n-416-fp16 nanodet-m-416-onnx" tests/parity/zoo-accuracy-parity.sh BINARY
#                                         (only those; names as zoo_reference.py --list prints them)
#
# Exit 77 (a skip, saying why) where ../shared is absent (DETSERVE_SHARED_DIR points elsewhere)
# or the venv lacks openvino/pycocotools/cv2 (scripts/install-deps.sh test installs them). A model
# file missing from ../shared is a skip of its row only. A model detserve cannot load fails,
# naming it: the issue asks every zoo model to load.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"

TOLERANCE=0.01
binary="$(realpath "${1:?usage: $0 BINARY}")"
reference="$DETSERVE_ROOT/tests/parity/zoo_reference.py"
python="$DETSERVE_VENV/bin/python"
photos="$DETSERVE_DEV_SET"
[ -d "$photos/images" ] || { echo "skip: $photos not found (set DETSERVE_SHARED_DIR)"; exit 77; }
[ -x "$python" ] || { echo "skip: $DETSERVE_VENV has no Python: run scripts/install-deps.sh test"; exit 77; }
if ! missing="$("$python" -c 'import openvino, pycocotools, cv2' 2>&1)"; then
  echo "skip: the reference's packages are not all in $DETSERVE_VENV (${missing##*$'\n'}): run scripts/install-deps.sh test"
  exit 77
fi
# The ../shared models' sidecars (yolov5n, nanodet_m) are config/models/<stem>.json under the
# working directory.
cd "$DETSERVE_ROOT"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export DETSERVE_SHARED_DIR
"$python" "$reference" --self-test || die "the reference's own self-test failed: fix tests/parity/zoo_reference.py first"
only=()
for m in ${DETSERVE_ZOO_MODELS:-}; do only+=(--model "$m"); done
failed=0
failures=()
summary=()
while IFS='|' read -r name kind path threshold iou class_map; do
  [ -f "$path" ] || { echo "    skip $name: $path not found"; continue; }
  echo "==> $name"
  "$python" "$reference" --model "$name" --json-dir "$out" >"$out/$name.reference.log" 2>&1 \
    || { cat "$out/$name.reference.log"; die "the reference failed on $name"; }
  args=(eval --model "$path" --images "$photos/images" --labels "$photos/labels" --precision f32
        --score-threshold "$threshold" --json "$out/$name.detserve.json"
        --save-predictions "$out/$name.predictions.json" --save-ground-truth "$out/$name.gt.json")
  [ -z "$iou" ] || args+=(--iou-threshold "$iou" --nms class_wise)
  [ -z "$class_map" ] || args+=(--class-map "$class_map")
  if ! "$binary" "${args[@]}" >"$out/$name.detserve.log" 2>&1; then
    reason="$(grep -m1 -i 'error' "$out/$name.detserve.log" || tail -n1 "$out/$name.detserve.log")"
    shown="$("$python" "$reference" --show "$out/$name.json")"
    echo "    $name: reference $shown; detserve eval failed: $reason FAIL"
    summary+=("$name: reference $shown; detserve eval failed FAIL")
    failures+=("$name: reference $shown; detserve eval failed: $reason")
    failed=1
    continue
  fi
  line="$("$python" - "$kind" "$name" "$out" "$TOLERANCE" "$reference" <<'PY'
import json, subprocess, sys
kind, name, out, tolerance, reference = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
ref = json.load(open(f"{out}/{name}.json"))
ours = json.load(open(f"{out}/{name}.detserve.json"))
if kind == "map":
    d = ours["map_50_95"] - ref["map_50_95"]
    ok = abs(d) <= tolerance
    print(f"{'ok' if ok else 'FAIL'}|mAP@[.50:.95] detserve {ours['map_50_95']:.4f}, reference {ref['map_50_95']:.4f} "
          f"(difference {d:+.4f}); mAP@.50 detserve {ours['map_50']:.4f}, reference {ref['map_50']:.4f}")
else:
    mine = json.loads(subprocess.run([sys.executable, reference, "--detserve-recall", name, f"{out}/{name}.gt.json",
                                      f"{out}/{name}.predictions.json"], check=True, capture_output=True, text=True).stdout)
    ok, parts = True, []
    for label, r in ref["recall"].items():
        a, b = mine[label]["recall"], r["recall"]
        same = (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= tolerance)
        ok &= same
        shown = lambda x, v: "-" if v is None else f"{v:.4f} ({x['found']}/{x['objects']})"
        parts.append(f"{label} recall@.50 detserve {shown(mine[label], a)}, reference {shown(r, b)}")
    print(f"{'ok' if ok else 'FAIL'}|" + "; ".join(parts))
PY
)"
  verdict="${line%%|*}"
  echo "    $name: ${line#*|} $verdict"
  summary+=("$name: ${line#*|} $verdict")
  if [ "$verdict" != ok ]; then
    failures+=("$name: ${line#*|}")
    failed=1
  fi
done < <("$python" "$reference" --list "${only[@]}")

echo
for s in "${summary[@]}"; do echo "    $s"; done
for f in "${failures[@]}"; do echo "FAIL $f"; done
[ "$failed" = 0 ] && echo "every model within $TOLERANCE of the reference"
exit "$failed"
