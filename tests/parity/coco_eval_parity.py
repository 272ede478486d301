"""`detserve eval` against pycocotools, the reference COCO evaluator: the same ground truth and
predictions through both, every metric within 0.001.

  coco_eval_parity.py --detserve BIN --case hand_made   crowd regions, empty images, duplicates,
                                                       area-range edges, classes without ground
                                                       truth, > 100 detections, random scenes
  coco_eval_parity.py --detserve BIN --case dev_set     the default model's real detections on
                                                       ../shared/images/coco128-train (exit 77,
                                                       a skip, when ../shared is absent)

Run by ctest through run-coco-eval-parity.sh, which picks the venv's Python (pycocotools is a
test-only dependency; scripts/install-deps.sh test installs it).
"""
import argparse
import contextlib
import io
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

TOLERANCE = 0.001
SKIP = 77
# COCOeval.stats index of each of our top-level keys.
STATS = {"map_50_95": 0, "map_50": 1, "map_75": 2, "map_small": 3, "map_medium": 4, "map_large": 5, "ar_100": 8}


def reference_metrics(gt_path, results_path):
    """pycocotools' numbers in our key names; None where it reports -1."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(results_path)
        e = COCOeval(gt, dt, "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    out = {key: (None if e.stats[i] == -1 else float(e.stats[i])) for key, i in STATS.items()}
    names = {c["id"]: c["name"] for c in gt.dataset["categories"]}
    precision = e.eval["precision"]  # [T, R, K, A, M]
    ap50, ap = {}, {}
    for k, cat_id in enumerate(e.params.catIds):
        p50 = precision[0, :, k, 0, -1]
        pall = precision[:, :, k, 0, -1]
        ap50[names[cat_id]] = float(p50[p50 > -1].mean()) if (p50 > -1).any() else None
        ap[names[cat_id]] = float(pall[pall > -1].mean()) if (pall > -1).any() else None
    out["per_class_ap50"] = ap50
    out["per_class_ap"] = ap
    return out


def ours(result):
    out = {key: result[key] for key in STATS}
    out["per_class_ap50"] = result["per_class_ap50"]
    out["per_class_ap"] = {name: c["ap"] for name, c in result["per_class"].items()}
    return out


def compare(name, mine, reference):
    """Failures as text; prints the largest difference."""
    failures, worst = [], 0.0

    def check(what, a, b):
        nonlocal worst
        if a is None or b is None:
            if a is not b:
                failures.append(f"{name}: {what}: detserve {a}, pycocotools {b}")
            return
        worst = max(worst, abs(a - b))
        if abs(a - b) > TOLERANCE:
            failures.append(f"{name}: {what}: detserve {a:.6f}, pycocotools {b:.6f}")

    for key in STATS:
        check(key, mine[key], reference[key])
    for table in ("per_class_ap50", "per_class_ap"):
        if set(mine[table]) != set(reference[table]):
            failures.append(f"{name}: {table}: classes differ: {sorted(mine[table])} vs {sorted(reference[table])}")
            continue
        for label in reference[table]:
            check(f"{table}[{label}]", mine[table][label], reference[table][label])
    shown = ", ".join(f"{k} {reference[k]:.4f}" if reference[k] is not None else f"{k} -" for k in STATS)
    print(f"[{name}] {shown}; largest difference {worst:.2e}", flush=True)
    return failures


def run_detserve(binary, args):
    run = subprocess.run([binary, "eval", *args], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"detserve eval {' '.join(args)} exited {run.returncode}:\n{run.stderr}{run.stdout}")
    return run


# ---------------------------------------------------------------------------------------------
# Hand-made cases: (ground truth, results) in COCO's formats.

def dataset(images, categories, annotations):
    for i, a in enumerate(annotations, start=1):
        a.setdefault("id", i)
        a.setdefault("iscrowd", 0)
        a.setdefault("area", a["bbox"][2] * a["bbox"][3])
    return {"info": {"description": "a hand-made case"},
            "images": [{"id": i, "file_name": f"{i}.jpg", "width": 640, "height": 480} for i in images],
            "categories": [{"id": c, "name": n} for c, n in categories], "annotations": annotations}


def det(image, category, score, bbox):
    return {"image_id": image, "category_id": category, "score": score, "bbox": bbox}


def crowd_case():
    gt = dataset([1, 2], [(1, "person"), (2, "car")], [
        {"image_id": 1, "category_id": 1, "bbox": [300, 300, 100, 100]},
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 200, 200], "iscrowd": 1, "area": 30000},
        {"image_id": 1, "category_id": 1, "bbox": [20, 20, 60, 120]},  # a person inside the crowd
        {"image_id": 2, "category_id": 2, "bbox": [50, 50, 300, 200], "iscrowd": 1},
        {"image_id": 2, "category_id": 2, "bbox": [400, 300, 80, 60]},
    ])
    results = [det(1, 1, 0.95, [10, 10, 50, 50]), det(1, 1, 0.9, [60, 60, 50, 50]), det(1, 1, 0.85, [22, 18, 60, 118]),
               det(1, 1, 0.5, [300, 300, 100, 100]), det(1, 1, 0.4, [150, 150, 100, 100]),
               det(2, 2, 0.8, [100, 100, 40, 40]), det(2, 2, 0.7, [405, 300, 80, 60]), det(2, 2, 0.6, [0, 0, 640, 480])]
    return gt, results


def empty_images_case():
    gt = dataset([1, 2, 3, 4], [(1, "dog")], [
        {"image_id": 2, "category_id": 1, "bbox": [10, 10, 200, 150]},
        {"image_id": 4, "category_id": 1, "bbox": [100, 50, 120, 90]},  # never detected
    ])
    results = [det(1, 1, 0.9, [10, 10, 200, 150]), det(2, 1, 0.8, [12, 8, 200, 150]), det(3, 1, 0.3, [0, 0, 5, 5])]
    return gt, results


def duplicates_case():
    gt = dataset([1, 2, 3], [(1, "cat"), (2, "bird")], [
        {"image_id": 1, "category_id": 1, "bbox": [100, 100, 100, 100]},
        {"image_id": 1, "category_id": 1, "bbox": [150, 100, 100, 100]},  # overlapping the first
        {"image_id": 2, "category_id": 1, "bbox": [0, 0, 50, 50]},
        {"image_id": 3, "category_id": 2, "bbox": [10, 10, 30, 30]},
    ])
    results = []
    for i, dx in enumerate([0, 2, 5, 10, 20, 30]):
        results.append(det(1, 1, 0.9 - 0.1 * i, [100 + dx, 100, 100, 100]))
    results += [det(1, 1, 0.5, [150, 100, 100, 100]), det(1, 1, 0.5, [151, 100, 100, 100]),  # equal scores
                det(2, 1, 0.5, [0, 0, 50, 50]), det(2, 1, 0.5, [1, 1, 50, 50]),  # ties across images too
                det(3, 2, 0.7, [10, 10, 30, 30]), det(3, 2, 0.7, [10, 10, 30, 30]), det(3, 2, 0.7, [11, 10, 30, 30])]
    return gt, results


def area_ranges_case():
    # Objects exactly at 32² and 96² (in two ranges at once), segment areas below the box area,
    # detections whose size is outside the range of the object they match.
    gt = dataset([1, 2], [(1, "ball"), (2, "kite")], [
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 32, 32]},
        {"image_id": 1, "category_id": 1, "bbox": [100, 0, 96, 96]},
        {"image_id": 1, "category_id": 1, "bbox": [300, 0, 40, 40], "area": 1000},  # box medium, area small
        {"image_id": 1, "category_id": 1, "bbox": [400, 200, 30, 30]},
        {"image_id": 2, "category_id": 2, "bbox": [0, 0, 200, 200], "area": 9000},  # box large, area medium
        {"image_id": 2, "category_id": 2, "bbox": [300, 300, 10, 10]},
    ])
    results = [det(1, 1, 0.9, [0, 0, 32, 32]), det(1, 1, 0.85, [100, 0, 96, 96]), det(1, 1, 0.8, [300, 0, 40, 40]),
               det(1, 1, 0.75, [398, 198, 34, 34]), det(1, 1, 0.95, [500, 300, 60, 60]), det(1, 1, 0.2, [500, 10, 20, 20]),
               det(2, 2, 0.6, [0, 0, 200, 200]), det(2, 2, 0.65, [300, 300, 12, 12]), det(2, 2, 0.7, [250, 0, 100, 100])]
    return gt, results


def class_without_ground_truth_case():
    gt = dataset([1, 2], [(1, "person"), (2, "zebra"), (3, "toaster")], [
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 100, 200]},
        {"image_id": 2, "category_id": 1, "bbox": [300, 100, 80, 160]},
    ])
    results = [det(1, 1, 0.9, [10, 10, 100, 200]), det(2, 1, 0.4, [300, 100, 80, 150]),
               det(1, 2, 0.99, [10, 10, 100, 200]), det(2, 2, 0.5, [0, 0, 10, 10])]  # zebra: no ground truth
    return gt, results


def many_detections_case():
    gt = dataset([1], [(1, "car"), (2, "truck")], [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100]},
                                                  {"image_id": 1, "category_id": 2, "bbox": [200, 200, 100, 100]}])
    results = [det(1, 1, 0.9 - i * 0.001, [300 + i, 300, 20, 20]) for i in range(100)]
    results.append(det(1, 1, 0.05, [0, 0, 100, 100]))  # the 101st of its class: cut
    results += [det(1, 2, 0.9 - i * 0.001, [0, 300 + i, 20, 20]) for i in range(99)]
    results.append(det(1, 2, 0.01, [200, 200, 100, 100]))  # the 100th: kept
    return gt, results


def random_case(seed):
    """Scenes of jittered boxes: many images, classes, crowds, sizes across all three ranges."""
    rng = random.Random(seed)
    categories = [(c, f"class{c}") for c in (1, 2, 3, 5, 8)]
    annotations, results = [], []
    images = list(range(1, 41))
    for image in images:
        for _ in range(rng.randint(0, 8)):
            category = rng.choice(categories)[0]
            w, h = rng.choice([rng.uniform(4, 30), rng.uniform(30, 100), rng.uniform(100, 400)]), rng.uniform(5, 300)
            x, y = rng.uniform(0, 640 - w), rng.uniform(0, 480 - min(h, 479))
            crowd = rng.random() < 0.05
            area = w * h * (rng.uniform(0.5, 1.0) if rng.random() < 0.5 else 1.0)
            annotations.append({"image_id": image, "category_id": category, "bbox": [x, y, w, h], "area": area,
                                "iscrowd": int(crowd)})
            for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):  # misses, hits, duplicates
                j = rng.uniform(0, 0.4)
                results.append(det(image, category if rng.random() < 0.9 else rng.choice(categories)[0],
                                   round(rng.random(), 2),  # rounded: equal scores happen
                                   [x + rng.uniform(-j, j) * w, y + rng.uniform(-j, j) * h,
                                    w * rng.uniform(1 - j, 1 + j), h * rng.uniform(1 - j, 1 + j)]))
        for _ in range(rng.randint(0, 4)):  # false positives anywhere
            results.append(det(image, rng.choice(categories)[0], round(rng.random(), 2),
                               [rng.uniform(0, 600), rng.uniform(0, 440), rng.uniform(2, 200), rng.uniform(2, 200)]))
    return dataset(images, categories, annotations), results


def hand_made(binary, work):
    cases = {"crowd": crowd_case(), "empty_images": empty_images_case(), "duplicates": duplicates_case(),
             "area_ranges": area_ranges_case(), "class_without_ground_truth": class_without_ground_truth_case(),
             "more_than_100_detections": many_detections_case()}
    for seed in range(1, 6):
        cases[f"random_{seed}"] = random_case(seed)
    failures = []
    for name, (gt, results) in cases.items():
        gt_path, results_path, out_path = (os.path.join(work, f"{name}.{kind}.json") for kind in ("gt", "results", "eval"))
        with open(gt_path, "w") as f:
            json.dump(gt, f)
        with open(results_path, "w") as f:
            json.dump(results, f)
        run_detserve(binary, ["--coco", gt_path, "--predictions", results_path, "--json", out_path])
        with open(out_path) as f:
            mine = ours(json.load(f))
        failures += compare(name, mine, reference_metrics(gt_path, results_path))
    return failures


# ---------------------------------------------------------------------------------------------
# The dev set: the default model's real detections.

def jpeg_or_png_size(path):
    """(width, height) from the JPEG SOF or PNG IHDR, read independently of detserve."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise ValueError(f"{path}: no SOF marker")


def check_ground_truth_export(gt_path, images_dir, labels_dir):
    """Our COCO export of the YOLO labels against the label files themselves."""
    failures = []
    with open(gt_path) as f:
        gt = json.load(f)
    photos = sorted(p for p in os.listdir(images_dir) if p.lower().endswith((".jpg", ".jpeg", ".png")))
    if [i["file_name"] for i in gt["images"]] != photos:
        return [f"{gt_path}: the images are not the photos of {images_dir} in name order"]
    by_image = {}
    for a in gt["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    for image in gt["images"]:
        width, height = jpeg_or_png_size(os.path.join(images_dir, image["file_name"]))
        if (image["width"], image["height"]) != (width, height):
            failures.append(f"{image['file_name']}: exported as {image['width']}x{image['height']}, the file says {width}x{height}")
        label = os.path.join(labels_dir, os.path.splitext(image["file_name"])[0] + ".txt")
        lines = [l.split() for l in open(label).read().splitlines() if l.strip()] if os.path.exists(label) else []
        exported = by_image.get(image["id"], [])
        if len(lines) != len(exported):
            failures.append(f"{label}: {len(lines)} objects, {len(exported)} exported")
            continue
        for fields, a in zip(lines, exported):
            c, cx, cy, w, h = int(fields[0]), *(float(v) for v in fields[1:])
            expected = [(cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height]
            if a["category_id"] != c or any(abs(p - q) > 1e-6 for p, q in zip(a["bbox"], expected)) \
                    or abs(a["area"] - expected[2] * expected[3]) > 1e-6 or a["iscrowd"] != 0:
                failures.append(f"{label}: {fields} exported as {a}")
    return failures


def dev_set(binary, work, source_dir):
    shared = os.environ.get("DETSERVE_SHARED_DIR") or os.path.join(source_dir, "..", "shared")
    dev = os.path.join(shared, "images", "coco128-train")
    if not os.path.isdir(dev):
        print(f"skipped: {os.path.normpath(dev)} not found (set DETSERVE_SHARED_DIR to point elsewhere)")
        sys.exit(SKIP)
    model = os.environ.get("DETSERVE_MODEL") or os.path.join(source_dir, "models", "nanodet", "nanodet.xml")
    if not os.path.exists(model):
        raise SystemExit(f"{model} not found: run scripts/fetch-default-model.sh (or set DETSERVE_MODEL)")
    images, labels = os.path.join(dev, "images"), os.path.join(dev, "labels")
    gt_path, results_path = os.path.join(work, "dev.gt.json"), os.path.join(work, "dev.results.json")
    run_path, reread_path = os.path.join(work, "dev.eval.json"), os.path.join(work, "dev.reread.json")

    run = run_detserve(binary, ["--model", model, "--images", images, "--labels", labels, "--json", run_path,
                                "--save-predictions", results_path, "--save-ground-truth", gt_path])
    print(run.stdout, end="", flush=True)
    failures = check_ground_truth_export(gt_path, images, labels)
    with open(run_path) as f:
        mine = ours(json.load(f))
    reference = reference_metrics(gt_path, results_path)
    failures += compare("dev set: model run", mine, reference)
    # The same files through the COCO json readers.
    run_detserve(binary, ["--coco", gt_path, "--predictions", results_path, "--json", reread_path])
    with open(reread_path) as f:
        failures += compare("dev set: the saved files re-read", ours(json.load(f)), reference)
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detserve", required=True)
    parser.add_argument("--case", choices=["hand_made", "dev_set"], required=True)
    parser.add_argument("--source-dir", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="detserve_coco_parity_") as work:
        failures = hand_made(args.detserve, work) if args.case == "hand_made" else dev_set(args.detserve, work, args.source_dir)
    for failure in failures:
        print("FAIL", failure)
    print(f"{len(failures)} difference(s) beyond {TOLERANCE}" if failures else f"every metric within {TOLERANCE} of pycocotools")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
