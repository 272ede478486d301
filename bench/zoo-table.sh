#!/usr/bin/env bash
# The zoo table: every detector file of ../shared/models/zoo as a user has it — whether it loads
# with no flags, the family and where its labels came from (`detserve info`), its accuracy on the
# dev set (`detserve eval`, OpenVINO f32) and how fast eval ran it here — written into
# docs/models.md between the zoo-table markers.
#
#   bench/zoo-table.sh [--out DIR] [--no-docs]
#
# COCO-80 models: mAP@[.50:.95] and mAP@.50 over the 80 classes. Person/vehicle models: mAP over
# the ground-truth classes their labels map to (--class-map, as in the row). Files detserve refuses
# get the message it gives. Needs a build (scripts/build.sh) and ../shared.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$DETSERVE_ROOT"

parse_table_options "$@"
require_binary_and_dev_set
zoo="$DETSERVE_SHARED_DIR/models/zoo"
[ -d "$zoo" ] || die "$zoo not found"
mkdir -p "$out"
runs="$(mktemp -d)"
trap 'rm -rf "$runs"' EXIT

# folder | model file in it | --class-map for models that are not COCO-80 (empty: COCO-80)
rows=(
  "yolo11n-int8-640|yolo11n.xml|"
  "yolo11n-int8-320-nms|yolo11n.xml|"
  "yolov8n-int8-u8-nhwc|yolov8n_with_preprocess.xml|"
  "nanodet-plus-m-416-fp16|nanodet-plus-m_416_fp16.xml|"
  "fastestdet-onnx|FastestDet.onnx|"
  "pedestrian-and-vehicle-detector-adas-0001-fp16|pedestrian-and-vehicle-detector-adas-0001.xml|vehicle=car,bus,truck;pedestrian=person"
  "pedestrian-detection-adas-0002-fp16-irv10|pedestrian-detection-adas-0002.xml|pedestrian=person"
  "vehicle-license-plate-detection-barrier-0106-fp32|vehicle-license-plate-detection-barrier-0106.xml|vehicle=car,bus,truck"
  "face-detection-retail-0004-fp32|face-detection-retail-0004.xml|-"
  "face-detection-retail-0004-int8|face-detection-retail-0004.xml|-"
  "ssdlite-mobilenet-v2-xml-only|ssdlite_mobilenet_v2.xml|-"
  "face-detection-retail-0004-irv3-legacy|face-detection-retail-0004.xml|-"
  "not-a-model-html-as-onnx|face_detection_yunet_2023mar.onnx|-"
)

i=0
for row in "${rows[@]}"; do
  IFS='|' read -r folder file class_map <<<"$row"
  path="$zoo/$folder/$file"
  [ -f "$path" ] || { info "skip $folder: $path not found"; continue; }
  i=$((i + 1))
  step "$folder"
  info_status=0
  "$DETSERVE_BIN" info --model "$path" --engine openvino >"$runs/$i.info" 2>&1 || info_status=$?
  eval_status=skipped
  if [ "$class_map" != - ] && [ "$info_status" = 0 ]; then
    args=(eval --model "$path" --images "$DETSERVE_DEV_SET/images" --labels "$DETSERVE_DEV_SET/labels"
          --engine openvino --precision f32 --json "$runs/$i.json")
    [ -z "$class_map" ] || args+=(--class-map "$class_map")
    eval_status=0
    "$DETSERVE_BIN" "${args[@]}" >"$runs/$i.eval" 2>&1 || eval_status=$?
  fi
  python3 - "$runs" "$i" "$folder" "$file" "$info_status" "$eval_status" "$class_map" <<'PY'
import json, pathlib, re, sys
runs, i, folder, file, info_status, eval_status, class_map = sys.argv[1:]
text = (pathlib.Path(runs) / f"{i}.info").read_text()
row = dict(folder=folder, file=file, loads=info_status == "0", class_map=class_map)
family = re.search(r"^family: (\S+)", text, re.M)
row["family"] = family.group(1) if family else None
size = re.search(r"^input size: (.*)$", text, re.M)
row["input"] = size.group(1) if size else None
labels = re.search(r"^  labels: (.*)$", text, re.M)
row["labels_from"] = labels.group(1) if labels else None
source = re.search(r"^model spec \(from (.*)\):$", text, re.M)
row["spec_from"] = source.group(1) if source else None
weights = re.search(r"^weights: (.*)$", text, re.M)
if weights:
    row["refused"] = "described by `info`; " + weights.group(1)
elif info_status != "0":
    lines = [l for l in text.splitlines() if l.strip()]
    row["refused"] = lines[-1] if lines else "exit " + info_status
if eval_status == "0":
    row["eval"] = json.load(open(pathlib.Path(runs) / f"{i}.json"))
json.dump(row, open(pathlib.Path(runs) / f"{i}.row.json", "w"))
PY
done
[ "$i" -gt 0 ] || die "no zoo model found"

python3 - "$out" "$DETSERVE_SHARED_DIR" "$runs"/*.row.json <<'PY'
import json, pathlib, re, sys
out, shared, paths = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
rows = [json.load(open(p)) for p in sorted(paths, key=lambda p: int(pathlib.Path(p).name.split(".")[0]))]
(out / "zoo.json").write_text(json.dumps(rows, indent=2) + "\n")

def short(text):
    text = text.replace(shared + "/models/zoo/", "").replace(shared, "../shared")
    text = re.sub(r"^detserve info: ", "", text)
    return text.replace("|", "\\|")

lines = ["| file | loads with no flags? | family | input | labels from | accuracy (OpenVINO f32) | images/s |",
         "|---|---|---|---|---|---|---|"]
for r in rows:
    name = f"`{r['folder']}`"
    if not r["loads"]:
        lines.append(f"| {name} | refused: {short(r.get('refused', ''))} | | | | | |")
        continue
    spec_from = r.get("spec_from") or ""
    loads = "yes" if "config/models" not in spec_from else f"with `{spec_from}` (shipped)"
    ev = r.get("eval")
    if ev:
        what = "mAP" if not r["class_map"] else f"mAP over {r['class_map'].replace(';', '; ')}"
        acc = f"{what} {ev['map_50_95']:.3f} (@.50 {ev['map_50']:.3f})"
        speed = f"{ev['images_per_s']:.1f}"
    else:
        acc = "no COCO class to score it on" if r["class_map"] == "-" else "–"
        speed = "–"
    lines.append(f"| {name} | {loads} | `{r['family']}` | {short(r['input'] or '')} | {short(r['labels_from'] or '')} | "
                 f"{acc} | {speed} |")
lines += ["",
          "Generated by `bench/zoo-table.sh` (`detserve info`, then `detserve eval --engine openvino --precision f32` "
          "on `../shared/images/coco128-train`, with `--class-map` where the row says; images/s is eval's, one "
          "image at a time, on this machine)."]
table = "\n".join(lines) + "\n"
(out / "zoo.md").write_text(table)
print(table)
PY
[ "$docs" = 0 ] || python3 bench/write-doc-block.py zoo-table "$out/zoo.md" docs/models.md
