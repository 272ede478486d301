"""An accuracy reference for the zoo models, independent of detserve: the OpenVINO Python package
runs each model file; preprocessing and decoding are written here from each model's own card or
repository (never from detserve's C++); pycocotools scores the COCO-80 models and a COCOeval
recall at IoU .50 scores the person/vehicle SSDs.

  zoo_reference.py [--model NAME]... [--json-dir DIR]      every model (or the named ones): a JSON of
                                                          metrics per model in DIR, and a table
  zoo_reference.py --list [--model NAME]...              the models, one "name|kind|path|settings"
                                                          line each (for zoo-accuracy-parity.sh)
  zoo_reference.py --self-test                            its pure functions on hand-made inputs
  zoo_reference.py --show DIR/NAME.json                   one line: the metrics of a JSON it wrote
  zoo_reference.py --detserve-recall NAME GT PRED         the recall of detserve's saved predictions
                                                          (eval --save-ground-truth/--save-predictions),
                                                          computed as the reference computes its own

The evaluation settings, the same for every model and passed to `detserve eval` too so that both
sides are measured alike (tests/parity/zoo-accuracy-parity.sh):
  - score threshold 0.001, as Ultralytics val, YOLOv5 val.py and FastestDet's eval use (not a
    serving threshold); NanoDet 0.05, its get_bboxes' score_thr for its COCO evaluation (its
    sigmoid scores are above 0.001 for nearly every one of the 3598×80 candidates);
  - at most 100 detections per image after NMS: COCOeval's maxDets, and what `detserve eval` keeps;
  - greedy NMS per class at the family's own evaluation IoU (Ultralytics val 0.7, NanoDet's
    multiclass_nms 0.6, YOLOv5 val.py 0.6, FastestDet's eval handel_preds 0.45);
  - Ultralytics and YOLOv5: the best class per anchor (predict's multi_label=False, which is how
    their output is documented); `--multi-label` gives val's every-class-above-threshold instead.
    NanoDet's multiclass_nms is every class above the threshold, as published.
The person/vehicle SSDs have their NMS inside (DetectionOutput); their detections are cut at
Open Model Zoo's demo threshold 0.5 (object_detection_demo -t) and matched at IoU .50.

Ground truth: ../shared/images/coco128-train's YOLO labels (names.txt), photos in name order with
ids 1, 2, ... (as `detserve eval --save-ground-truth` numbers them); label files without a photo
are left out, photos without a label file have no objects.
"""
import argparse
import contextlib
import io
import json
import os
import sys
import time

import cv2
import numpy as np
import openvino as ov
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

SKIP = 77
SCORE_THRESHOLD = 0.001   # Ultralytics val's conf; COCO evaluations keep (nearly) every detection
NANODET_SCORE_THRESHOLD = 0.05  # NanoDet get_bboxes' multiclass_nms score_thr, its COCO evaluation's
MAX_DETECTIONS = 100      # per image: COCOeval's maxDets[-1] and `detserve eval`'s cap
SSD_THRESHOLD = 0.5       # Open Model Zoo object_detection_demo's default -t
RECALL_IOU = 0.5
ULTRALYTICS_MAX_NMS = 30000  # ultralytics.utils.ops.non_max_suppression max_nms (and YOLOv5's)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.normpath(os.path.join(HERE, "..", ".."))


# ---------------------------------------------------------------------------------------------
# Geometry and NMS (pure functions).

def iou_matrix(a, b):
    """IoU of every box of a [N, 4] with every box of b [M, 4] (x1, y1, x2, y2; no +1)."""
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def nms_class_wise(boxes, scores, classes, iou_threshold, max_detections):
    """Greedy NMS per class (torchvision.ops.batched_nms: a box is dropped when its IoU with a
    kept higher-scored box of its class exceeds the threshold); indices of the kept, best first,
    at most max_detections (a class never contributes more than that, so each stops there)."""
    keep = []
    for c in np.unique(classes):
        order = np.nonzero(classes == c)[0]
        order = order[np.argsort(-scores[order], kind="stable")]
        kept = 0
        while order.size and kept < max_detections:
            i = order[0]
            keep.append(i)
            kept += 1
            rest = order[1:]
            order = rest[iou_matrix(boxes[i:i + 1], boxes[rest])[0] <= iou_threshold]
    keep = np.array(keep, dtype=np.int64)
    keep = keep[np.argsort(-scores[keep], kind="stable")]
    return keep[:max_detections]


def candidates(class_scores, threshold, multi_label):
    """(anchor index, class, score) of the candidates: the best class per anchor, or every class
    above the threshold."""
    if multi_label:
        anchor, cls = np.nonzero(class_scores > threshold)
        return anchor, cls, class_scores[anchor, cls]
    cls = class_scores.argmax(1)
    score = class_scores[np.arange(len(cls)), cls]
    anchor = np.nonzero(score > threshold)[0]
    return anchor, cls[anchor], score[anchor]


# ---------------------------------------------------------------------------------------------
# Preprocessing, each as the model's own pipeline does it. Each returns (input tensor, a function
# mapping boxes in input pixels back to original-image pixels).

def ultralytics_letterbox(image_bgr, size, layout="nchw_f32"):
    """Ultralytics LetterBox(auto=False, center=True) then scale_boxes: ratio = min(new/old),
    cv2.INTER_LINEAR, borders round(d -/+ 0.1) of grey 114, RGB; /255 unless the graph does it."""
    h, w = image_bgr.shape[:2]
    r = min(size / h, size / w)
    new_w, new_h = int(round(w * r)), int(round(h * r))
    dw, dh = (size - new_w) / 2, (size - new_h) / 2
    img = image_bgr if (w, h) == (new_w, new_h) else cv2.resize(image_bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    rgb = img[:, :, ::-1]
    if layout == "nhwc_u8":
        tensor = np.ascontiguousarray(rgb)[None]
    else:
        tensor = np.ascontiguousarray(rgb.transpose(2, 0, 1))[None].astype(np.float32) / 255.0
    # scale_boxes: gain = min(...), pad = round((new - old·gain)/2 - 0.1)
    pad_x, pad_y = round((size - w * r) / 2 - 0.1), round((size - h * r) / 2 - 0.1)

    def back(boxes):
        out = boxes.copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - pad_x) / r
        out[:, [1, 3]] = (out[:, [1, 3]] - pad_y) / r
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, w)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, h)
        return out
    return tensor, back


NANODET_MEAN = np.array([103.53, 116.28, 123.675], dtype=np.float32)  # BGR, nanodet config's normalize
NANODET_STD = np.array([57.375, 57.12, 58.395], dtype=np.float32)
NANODET_RESIZE = "warp"  # --nanodet-resize: "warp" is NanoDet's; "resize" only to measure the difference


def nanodet_warp(image_bgr, size):
    """NanoDet's val pipeline (nanodet/data/transform/warp.py, keep_ratio): the resize matrix
    T(d/2)·S(min ratio)·C(-r/2) — centred, scaled to fit — through cv2.warpPerspective (bilinear,
    black border), then (x - mean) / std in BGR; boxes back through the inverse matrix
    (warp_boxes), clipped to the image."""
    h, w = image_bgr.shape[:2]
    ratio = size / h if w / h < 1.0 else size / w
    C = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]], dtype=np.float64)
    S = np.diag([ratio, ratio, 1.0])
    T = np.array([[1, 0, 0.5 * size], [0, 1, 0.5 * size], [0, 0, 1]], dtype=np.float64)
    M = T @ S @ C
    if NANODET_RESIZE == "resize":  # exploring only: cv2.resize's pixel-centre grid, placed at ⌊pad/2⌋
        new_w, new_h = int(round(w * ratio)), int(round(h * ratio))
        left, top = (size - new_w) // 2, (size - new_h) // 2
        img = cv2.copyMakeBorder(cv2.resize(image_bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR),
                                 top, size - new_h - top, left, size - new_w - left, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        M = np.array([[new_w / w, 0, left], [0, new_h / h, top], [0, 0, 1]], dtype=np.float64)
    else:
        img = cv2.warpPerspective(image_bgr, M, dsize=(size, size))
    x = (img.astype(np.float32) - NANODET_MEAN) / NANODET_STD
    tensor = np.ascontiguousarray(x.transpose(2, 0, 1))[None]
    inverse = np.linalg.inv(M)

    def back(boxes):
        if not len(boxes):
            return boxes
        n = len(boxes)
        xy = np.ones((n * 4, 3))
        xy[:, :2] = boxes[:, [0, 1, 2, 3, 0, 3, 2, 1]].reshape(n * 4, 2)
        xy = xy @ inverse.T
        xy = (xy[:, :2] / xy[:, 2:3]).reshape(n, 8)
        xs, ys = xy[:, [0, 2, 4, 6]], xy[:, [1, 3, 5, 7]]
        out = np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], 1)
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, w)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, h)
        return out
    return tensor, back


def stretch(image_bgr, width, height, scale=1.0, interpolation=cv2.INTER_LINEAR, layout="nchw"):
    """Resize to the input size ignoring the aspect ratio (FastestDet's and Open Model Zoo's
    demos), BGR as read; boxes in input pixels back by the two scale factors."""
    h, w = image_bgr.shape[:2]
    img = cv2.resize(image_bgr, (width, height), interpolation=interpolation).astype(np.float32) * scale
    tensor = img[None] if layout == "nhwc" else img.transpose(2, 0, 1)[None]

    def back(boxes):
        # Clipped to the image, as any detector's output is drawn and scored (FastestDet's boxes
        # near the border reach past it; COCO's ground truth never does).
        out = boxes.copy()
        out[:, [0, 2]] = np.clip(out[:, [0, 2]] * (w / width), 0, w)
        out[:, [1, 3]] = np.clip(out[:, [1, 3]] * (h / height), 0, h)
        return out
    return np.ascontiguousarray(tensor), back


# ---------------------------------------------------------------------------------------------
# Decoders: raw outputs → (boxes x1 y1 x2 y2 in input pixels, scores, class ids), before NMS
# unless the model has its NMS inside.

def decode_yolov8(outputs, cfg):
    """Ultralytics YOLOv8/YOLO11 head: [1, 4 + C, N]: cx, cy, w, h (input pixels), C class
    scores (sigmoid inside the graph); no objectness."""
    p = outputs[0][0].T  # [N, 4 + C]
    anchor, cls, score = candidates(p[:, 4:], cfg["score_threshold"], cfg["multi_label"])
    order = np.argsort(-score, kind="stable")[:ULTRALYTICS_MAX_NMS]
    anchor, cls, score = anchor[order], cls[order], score[order]
    cx, cy, w, h = p[anchor, 0], p[anchor, 1], p[anchor, 2], p[anchor, 3]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1), score, cls, True


def decode_yolov5(outputs, cfg):
    """YOLOv5 Detect head (export): [1, N, 5 + C]: cx, cy, w, h, objectness, class scores, all
    after the sigmoid; non_max_suppression: objectness > conf, then score = obj × cls."""
    p = outputs[0][0]
    p = p[p[:, 4] > cfg["score_threshold"]]
    anchor, cls, score = candidates(p[:, 5:] * p[:, 4:5], cfg["score_threshold"], cfg["multi_label"])
    order = np.argsort(-score, kind="stable")[:ULTRALYTICS_MAX_NMS]
    anchor, cls, score = anchor[order], cls[order], score[order]
    cx, cy, w, h = p[anchor, 0], p[anchor, 1], p[anchor, 2], p[anchor, 3]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1), score, cls, True


def decode_ultralytics_nms(outputs, cfg):
    """Ultralytics export nms=True: [1, 300, 6]: x1, y1, x2, y2 (input pixels), score, class;
    NMS done inside the graph; rows after the last detection are zero."""
    p = outputs[0][0]
    p = p[p[:, 4] > cfg["score_threshold"]]
    return p[:, :4].copy(), p[:, 4].copy(), p[:, 5].astype(np.int64), False


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def gfl_boxes(reg, size, strides, reg_max, center_offset):
    """GFL distribution → boxes: centre priors ((col + offset)·s, (row + offset)·s) per stride
    (rows of ⌈size/s⌉² cells, row-major), each side = Σ softmax(bins)·k × s; distance2bbox with
    max_shape = the input (clipped)."""
    priors = []
    for s in strides:
        n = int(np.ceil(size / s))
        ys, xs = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        priors.append(np.stack([(xs.ravel() + center_offset) * s, (ys.ravel() + center_offset) * s,
                                np.full(n * n, s)], 1))
    priors = np.concatenate(priors).astype(np.float32)
    assert len(priors) == len(reg), f"{len(priors)} centre priors for {len(reg)} rows"
    dist = (softmax(reg.reshape(len(reg), 4, reg_max + 1)) * np.arange(reg_max + 1)).sum(-1) * priors[:, 2:3]
    x1 = (priors[:, 0] - dist[:, 0]).clip(0, size)
    y1 = (priors[:, 1] - dist[:, 1]).clip(0, size)
    x2 = (priors[:, 0] + dist[:, 2]).clip(0, size)
    y2 = (priors[:, 1] + dist[:, 3]).clip(0, size)
    return np.stack([x1, y1, x2, y2], 1)


def decode_nanodet_plus(outputs, cfg):
    """NanoDet-Plus _forward_onnx: one [1, ΣN_s, C + 4·(reg_max+1)], class scores after the
    sigmoid, then the raw distributions; get_bboxes: centre priors at col·stride (offset 0),
    strides 8/16/32/64, reg_max 7; multiclass_nms: every class above the threshold."""
    p = outputs[0][0]
    c = cfg["classes"]
    boxes = gfl_boxes(p[:, c:], cfg["size"], cfg["strides"], cfg["reg_max"], 0.0)
    anchor, cls, score = candidates(p[:, :c], cfg["score_threshold"], True)
    return boxes[anchor], score, cls, True


def decode_nanodet_legacy(outputs, cfg):
    """NanoDet (v0.x GFL head, nanodet-m) ONNX export: per stride a class score output [1, N_s, C]
    (sigmoid inside) and a distribution output [1, N_s, 4·(reg_max+1)]; get_single_level_center_point
    puts the centres at (col + 0.5)·stride; multiclass_nms: every class above the threshold."""
    c = cfg["classes"]
    scores = np.concatenate([o[0] for o in outputs if o.shape[-1] == c])
    reg = np.concatenate([o[0] for o in outputs if o.shape[-1] != c])
    boxes = gfl_boxes(reg, cfg["size"], cfg["strides"], cfg["reg_max"], 0.5)
    anchor, cls, score = candidates(scores, cfg["score_threshold"], True)
    return boxes[anchor], score, cls, True


def decode_fastestdet(outputs, cfg):
    """FastestDet (example/onnx-runtime/runtime.py of the 352 IoU-aware weights): [1, 85, H, W];
    channel 0 objectness (sigmoid inside the graph), 1–4 raw box, 5–84 class scores (softmax
    inside the graph). Score = obj^0.6 × max class^0.4 (later versions of the repository, for
    other weights, multiply them plainly); centre ((col + tanh(x)) / W, (row + tanh(y)) / H),
    size (sigmoid(w), sigmoid(h)), all relative to the input."""
    fm = outputs[0][0].transpose(1, 2, 0)  # H, W, 85
    H, W = fm.shape[:2]
    p = fm.reshape(H * W, -1)
    rows, cols = np.divmod(np.arange(H * W), W)
    cls = p[:, 5:].argmax(1)
    score = p[:, 0] ** 0.6 * p[np.arange(len(p)), 5 + cls] ** 0.4
    keep = score > cfg["score_threshold"]
    p, rows, cols, cls, score = p[keep], rows[keep], cols[keep], cls[keep], score[keep]
    bcx = (cols + np.tanh(p[:, 1])) / W
    bcy = (rows + np.tanh(p[:, 2])) / H
    bw, bh = 1 / (1 + np.exp(-p[:, 3])), 1 / (1 + np.exp(-p[:, 4]))
    size_w, size_h = cfg["input_wh"]
    boxes = np.stack([(bcx - bw / 2) * size_w, (bcy - bh / 2) * size_h, (bcx + bw / 2) * size_w, (bcy + bh / 2) * size_h], 1)
    return boxes, score, cls, True


def decode_detection_output(outputs, cfg):
    """Open Model Zoo SSD, DetectionOutput [1, 1, 200, 7]: image_id, label, conf, x_min, y_min,
    x_max, y_max (normalised to the input); image_id -1 ends the list; NMS done inside."""
    p = outputs[0].reshape(-1, 7)
    end = np.nonzero(p[:, 0] < 0)[0]
    if len(end):
        p = p[:end[0]]
    p = p[p[:, 2] > cfg["score_threshold"]]
    size_w, size_h = cfg["input_wh"]
    boxes = p[:, 3:7] * np.array([size_w, size_h, size_w, size_h], dtype=np.float32)
    return boxes, p[:, 2].copy(), p[:, 1].astype(np.int64), False


# ---------------------------------------------------------------------------------------------
# The models. `labels`: the model's class id → name ("coco80": COCO-80 in names.txt order;
# for the SSDs, their own labels). `class_map`: model label → ground-truth classes, for the SSDs.

ZOO = "models/zoo"
MODELS = {
    "yolo11n-int8-640": dict(
        kind="map", path=f"{ZOO}/yolo11n-int8-640/yolo11n.xml", labels="coco80", iou=0.7, multi_label=False,
        prep=lambda img: ultralytics_letterbox(img, 640), decode=decode_yolov8,
        published="YOLO11n 640: mAP 0.395 on COCO val2017 (Ultralytics docs; FP32 — INT8 a little lower)"),
    "yolo11n-int8-320-nms": dict(
        kind="map", path=f"{ZOO}/yolo11n-int8-320-nms/yolo11n.xml", labels="coco80", iou=None, multi_label=False,
        prep=lambda img: ultralytics_letterbox(img, 320), decode=decode_ultralytics_nms,
        published="YOLO11n at 320 (no published figure; below the 640 figure, and its NMS inside keeps "
                  "only what the export's thresholds keep)"),
    "yolov8n-int8-u8-nhwc": dict(
        kind="map", path=f"{ZOO}/yolov8n-int8-u8-nhwc/yolov8n_with_preprocess.xml", labels="coco80", iou=0.7,
        multi_label=False, prep=lambda img: ultralytics_letterbox(img, 640, layout="nhwc_u8"), decode=decode_yolov8,
        published="YOLOv8n 640: mAP 0.373 on COCO val2017 (Ultralytics docs; FP32)"),
    "nanodet-plus-m-416-fp16": dict(
        kind="map", path=f"{ZOO}/nanodet-plus-m-416-fp16/nanodet-plus-m_416_fp16.xml", labels="coco80", iou=0.6,
        multi_label=True, size=416, strides=[8, 16, 32, 64], reg_max=7, classes=80, score_threshold=NANODET_SCORE_THRESHOLD,
        prep=lambda img: nanodet_warp(img, 416), decode=decode_nanodet_plus,
        published="NanoDet-Plus-m 416: mAP 0.304 on COCO val2017 (NanoDet README)"),
    "fastestdet": dict(
        kind="map", path=f"{ZOO}/fastestdet-onnx/FastestDet.onnx", labels="coco80", iou=0.45, multi_label=False,
        input_wh=(352, 352), prep=lambda img: stretch(img, 352, 352, 1 / 255.0), decode=decode_fastestdet,
        published="FastestDet: AP@.50 0.250 at 352x352 (its weights' name coco_ap05_0.250), "
                  "mAP@[.50:.95] 0.140 / AP@.50 0.278 at 512x512 (README); the 0.25 is an AP@.50"),
    # Models detserve already decodes right (config/models/*.json): they check the harness.
    "yolov5n-416-fp16": dict(
        kind="map", path="models/yolov5n_openvino_fp16/yolov5n.xml", labels="coco80", iou=0.6, multi_label=False,
        prep=lambda img: ultralytics_letterbox(img, 416), decode=decode_yolov5,
        published="YOLOv5n 640: mAP 0.280 on COCO val2017 (YOLOv5 README); lower at 416"),
    "nanodet-m-416-onnx": dict(
        kind="map", path="models/nanodet_m.onnx", labels="coco80", iou=0.6, multi_label=True,
        size=416, strides=[8, 16, 32], reg_max=7, classes=80, score_threshold=NANODET_SCORE_THRESHOLD,
        prep=lambda img: nanodet_warp(img, 416), decode=decode_nanodet_legacy,
        published="NanoDet-m 416: mAP 0.235 on COCO val2017 (NanoDet README)"),
    # Person/vehicle detectors (Open Model Zoo): recall of the mapped classes at IoU .50.
    "pedestrian-and-vehicle-detector-adas-0001-fp16": dict(
        kind="recall", path=f"{ZOO}/pedestrian-and-vehicle-detector-adas-0001-fp16/pedestrian-and-vehicle-detector-adas-0001.xml",
        labels={1: "vehicle", 2: "pedestrian"}, class_map={"vehicle": ["car", "bus", "truck"], "pedestrian": ["person"]},
        input_wh=(672, 384), prep=lambda img: stretch(img, 672, 384), decode=decode_detection_output,
        published="OMZ card: AP 0.90 on its own ADAS validation set (no COCO figure)"),
    "pedestrian-detection-adas-0002-fp16-irv10": dict(
        kind="recall", path=f"{ZOO}/pedestrian-detection-adas-0002-fp16-irv10/pedestrian-detection-adas-0002.xml",
        labels={1: "pedestrian"}, class_map={"pedestrian": ["person"]},
        input_wh=(672, 384), prep=lambda img: stretch(img, 672, 384), decode=decode_detection_output,
        published="OMZ card: AP 0.88 on its own ADAS validation set (no COCO figure)"),
    "vehicle-license-plate-detection-barrier-0106-fp32": dict(
        kind="recall", path=f"{ZOO}/vehicle-license-plate-detection-barrier-0106-fp32/vehicle-license-plate-detection-barrier-0106.xml",
        labels={1: "vehicle", 2: "license plate"}, class_map={"vehicle": ["car", "bus", "truck"]},
        input_wh=(300, 300), prep=lambda img: stretch(img, 300, 300, layout="nhwc"), decode=decode_detection_output,
        published="OMZ card: vehicle AP 0.987 on barrier camera photos (no COCO figure)"),
}


def class_map_argument(cfg):
    """The model's class map as `detserve eval --class-map` takes it."""
    return ";".join(f"{label}={','.join(classes)}" for label, classes in cfg["class_map"].items())


def settings(cfg):
    """What `detserve eval` must be given to be measured as the reference measures."""
    if cfg["kind"] == "recall":
        return {"score_threshold": SSD_THRESHOLD, "iou_threshold": None, "class_map": class_map_argument(cfg)}
    return {"score_threshold": cfg.get("score_threshold", SCORE_THRESHOLD), "iou_threshold": cfg["iou"], "class_map": None}


# ---------------------------------------------------------------------------------------------
# Ground truth and scoring.

def read_ground_truth(dev):
    """COCO instances (as a dict) from the dev set's YOLO labels; ids: photos 1.. in name order,
    categories 1..80 in names.txt order."""
    images_dir, labels_dir = os.path.join(dev, "images"), os.path.join(dev, "labels")
    names = [l.strip() for l in open(os.path.join(dev, "names.txt")) if l.strip()]
    photos = sorted(p for p in os.listdir(images_dir) if p.lower().endswith((".jpg", ".jpeg", ".png")))
    images, annotations = [], []
    for image_id, photo in enumerate(photos, start=1):
        img = cv2.imread(os.path.join(images_dir, photo), cv2.IMREAD_COLOR)
        h, w = img.shape[:2]
        images.append({"id": image_id, "file_name": photo, "width": w, "height": h})
        label = os.path.join(labels_dir, os.path.splitext(photo)[0] + ".txt")
        if not os.path.exists(label):
            continue
        for line in open(label).read().splitlines():
            if not line.strip():
                continue
            c, cx, cy, bw, bh = line.split()
            c, cx, cy, bw, bh = int(c), float(cx) * w, float(cy) * h, float(bw) * w, float(bh) * h
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": c + 1,
                                "bbox": [cx - bw / 2, cy - bh / 2, bw, bh], "area": bw * bh, "iscrowd": 0})
    categories = [{"id": i + 1, "name": n} for i, n in enumerate(names)]
    return {"info": {"description": "coco128-train YOLO labels"}, "images": images, "annotations": annotations,
            "categories": categories}, names


def merged_ground_truth(gt, names, class_map):
    """The ground truth with each mapped label's classes merged into one category (a `vehicle`
    may be a car, a bus or a truck), other classes left out; categories 1.. in class_map order."""
    labels = list(class_map)
    by_name = {n: labels.index(label) + 1 for label, classes in class_map.items() for n in classes}
    annotations = [dict(a, category_id=by_name[names[a["category_id"] - 1]])
                   for a in gt["annotations"] if names[a["category_id"] - 1] in by_name]
    return {"info": gt["info"], "images": gt["images"], "annotations": annotations,
            "categories": [{"id": i + 1, "name": label} for i, label in enumerate(labels)]}


def coco_eval(gt, results, iou_thresholds=None):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        dt = coco.loadRes(results) if results else COCO()
        e = COCOeval(coco, dt, "bbox")
        if iou_thresholds is not None:
            e.params.iouThrs = np.array(iou_thresholds)
        e.evaluate()
        e.accumulate()
        if iou_thresholds is None:
            e.summarize()
    return e


def map_metrics(gt, results):
    e = coco_eval(gt, results)
    return {"map_50_95": float(e.stats[0]), "map_50": float(e.stats[1]), "map_75": float(e.stats[2]),
            "ar_100": float(e.stats[8])}


def recall_metrics(gt, results, threshold):
    """Per category: objects found by a detection scoring ≥ threshold at IoU ≥ .50 (COCOeval's
    matching at the one IoU threshold, area all, up to 100 detections), objects, recall."""
    results = [r for r in results if r["score"] >= threshold]
    out = {}
    if not results:
        for c in gt["categories"]:
            n = sum(1 for a in gt["annotations"] if a["category_id"] == c["id"])
            out[c["name"]] = {"found": 0, "objects": n, "recall": 0.0 if n else None}
        return out
    e = coco_eval(gt, results, [RECALL_IOU])
    for c in gt["categories"]:
        found = objects = 0
        for ev in e.evalImgs:
            if ev is None or ev["category_id"] != c["id"] or ev["aRng"] != e.params.areaRng[0] or ev["maxDet"] != e.params.maxDets[-1]:
                continue
            truth = ~np.array(ev["gtIgnore"], dtype=bool)
            objects += int(truth.sum())
            if len(ev["gtMatches"]):
                found += int(((ev["gtMatches"][0] > 0) & truth).sum())
        out[c["name"]] = {"found": found, "objects": objects, "recall": found / objects if objects else None}
    return out


# ---------------------------------------------------------------------------------------------
# Running a model.

def load_image(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"{path}: cv2 could not decode it")
    return img


def run_model(name, cfg, shared, dev, gt, options):
    path = os.path.join(shared, cfg["path"])
    cfg = dict(cfg, score_threshold=settings(cfg)["score_threshold"])
    if options.multi_label is not None and cfg["kind"] == "map" and cfg["decode"] in (decode_yolov8, decode_yolov5):
        cfg["multi_label"] = options.multi_label
    if options.iou is not None and cfg.get("iou") is not None:
        cfg["iou"] = options.iou
    core = ov.Core()
    compiled = core.compile_model(core.read_model(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    results, start = [], time.time()
    for image in gt["images"]:
        img = load_image(os.path.join(dev, "images", image["file_name"]))
        tensor, back = cfg["prep"](img)
        request.infer({0: tensor})
        outputs = [request.get_output_tensor(i).data.copy() for i in range(len(compiled.outputs))]
        boxes, scores, classes, needs_nms = cfg["decode"](outputs, cfg)
        if needs_nms and len(scores):
            keep = nms_class_wise(boxes, scores, classes, cfg["iou"], MAX_DETECTIONS)
        else:
            keep = np.argsort(-scores, kind="stable")[:MAX_DETECTIONS]
        boxes = back(boxes[keep]) if len(keep) else np.zeros((0, 4))
        for (x1, y1, x2, y2), score, cls in zip(boxes, scores[keep], classes[keep]):
            results.append({"image_id": image["id"], "category_id": int(cls), "score": float(score),
                            "bbox": [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]})
    return results, time.time() - start


def evaluate(name, cfg, shared, dev, options):
    gt, names = read_ground_truth(dev)
    results, seconds = run_model(name, cfg, shared, dev, gt, options)
    out = {"model": name, "file": cfg["path"], "kind": cfg["kind"], "images": len(gt["images"]),
           "seconds": round(seconds, 1), "published": cfg["published"], "settings": settings(cfg)}
    if cfg["kind"] == "map":
        for r in results:
            r["category_id"] += 1  # model class k = names.txt line k+1 = category k+1
        out["settings"]["nms"] = "class_wise" if cfg["iou"] is not None else "inside the graph"
        out["settings"]["multi_label"] = cfg["multi_label"]
        out["settings"]["max_detections"] = MAX_DETECTIONS
        out.update(map_metrics(gt, results))
    else:
        merged = merged_ground_truth(gt, names, cfg["class_map"])
        ids = {label: i + 1 for i, label in enumerate(cfg["class_map"])}
        mapped = [dict(r, category_id=ids[cfg["labels"][r["category_id"]]])
                  for r in results if cfg["labels"].get(r["category_id"]) in ids]
        out["recall"] = recall_metrics(merged, mapped, SSD_THRESHOLD)
    return out


def detserve_recall(name, gt_path, predictions_path):
    """Recall of detserve's saved predictions, by name through its saved ground truth's
    categories, against our own merged ground truth — the same function as the reference's."""
    cfg = MODELS[name]
    gt, names = read_ground_truth(os.environ["DETSERVE_DEV_SET"])
    merged = merged_ground_truth(gt, names, cfg["class_map"])
    ids = {label: i + 1 for i, label in enumerate(cfg["class_map"])}
    back = {n.lower(): label for label, classes in cfg["class_map"].items() for n in [label, *classes]}
    saved = json.load(open(gt_path))
    category_name = {c["id"]: c["name"].lower() for c in saved["categories"]}
    saved_images = {i["id"]: i["file_name"] for i in saved["images"]}
    our_images = {i["file_name"]: i["id"] for i in gt["images"]}
    predictions = json.load(open(predictions_path))
    mapped = []
    for p in predictions:
        label = back.get(category_name.get(p["category_id"], ""))
        if label is None:
            continue
        mapped.append(dict(p, image_id=our_images[saved_images[p["image_id"]]], category_id=ids[label]))
    return recall_metrics(merged, mapped, SSD_THRESHOLD)


def one_line(row):
    """A reference JSON's headline: mAP, or the recall of each class."""
    if row["kind"] == "map":
        return f"mAP@[.50:.95] {row['map_50_95']:.4f}, mAP@.50 {row['map_50']:.4f}"
    return ", ".join(f"{k} recall@.50 {v['recall']:.4f} ({v['found']}/{v['objects']})"
                     for k, v in row["recall"].items() if v["recall"] is not None)


def table(rows):
    lines = ["| model | mAP@[.50:.95] | mAP@.50 | recall@.50 (found/objects) | s |", "|---|---|---|---|---|"]
    for r in rows:
        if r["kind"] == "map":
            lines.append(f"| {r['model']} | {r['map_50_95']:.4f} | {r['map_50']:.4f} | - | {r['seconds']} |")
        else:
            rec = ", ".join(f"{k} {v['recall']:.4f} ({v['found']}/{v['objects']})" if v["recall"] is not None else f"{k} -"
                            for k, v in r["recall"].items())
            lines.append(f"| {r['model']} | - | - | {rec} | {r['seconds']} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Self-test of the pure functions above on hand-made inputs (run before any model by the parity
# script): a bug in the reference must not pass as a detserve bug, nor hide one.

def self_test():
    failures = []

    def check(what, ok):
        if not ok:
            failures.append(what)

    # NMS: per class, > threshold suppresses, = threshold keeps, other classes untouched, cap.
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10.5], [5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30]], dtype=np.float64)
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    classes = np.array([0, 0, 0, 1, 0])
    check("nms keeps [0, 2, 3, 4] at IoU 0.5", nms_class_wise(boxes, scores, classes, 0.5, 100).tolist() == [0, 2, 3, 4])
    check("nms keeps [0, 3, 4] at IoU 0.3", nms_class_wise(boxes, scores, classes, 0.3, 100).tolist() == [0, 3, 4])
    check("nms caps at 2", nms_class_wise(boxes, scores, classes, 0.5, 2).tolist() == [0, 2])
    check("IoU of halves is 1/3", abs(iou_matrix(boxes[:1], boxes[2:3])[0, 0] - 1 / 3) < 1e-12)

    # Letterboxes: a box drawn in the input maps back onto the same pixels of the photo.
    photo = np.zeros((480, 640, 3), np.uint8)
    photo[100:200, 300:500] = 255
    for prep, size in ((lambda img: ultralytics_letterbox(img, 640), 640), (lambda img: ultralytics_letterbox(img, 320), 320),
                       (lambda img: nanodet_warp(img, 416), 416)):
        tensor, back = prep(photo)
        plane = tensor[0, 0] if tensor.shape[1] == 3 else tensor[0, :, :, 0]
        lit = np.argwhere(plane > plane.min() + 0.5 * (plane.max() - plane.min()))
        (y1, x1), (y2, x2) = lit.min(0), lit.max(0) + 1
        got = back(np.array([[x1, y1, x2, y2]], dtype=np.float64))[0]
        check(f"letterbox {size}: the white box maps back to [300, 100, 500, 200], got {got.round(1).tolist()}",
              np.abs(got - [300, 100, 500, 200]).max() <= 640 / size + 0.5)
    rgb, _ = ultralytics_letterbox(np.dstack([np.full((8, 8), v, np.uint8) for v in (10, 20, 30)]), 8)  # B, G, R
    check("Ultralytics input is RGB /255", np.allclose(rgb[0, :, 0, 0], [30 / 255, 20 / 255, 10 / 255]))
    grey, _ = ultralytics_letterbox(np.zeros((4, 8, 3), np.uint8), 8, layout="nhwc_u8")
    check("Ultralytics pads 114, centred", grey.dtype == np.uint8 and grey[0, 0, 0, 0] == 114 and grey[0, 3, 0, 0] == 0
          and grey[0, 6, 0, 0] == 114)

    # GFL: a distribution all on bin k puts each side k·stride from the centre prior.
    for offset, plus in ((0.0, True), (0.5, False)):
        reg = np.full((4 + 1, 4 * 8), -50.0, np.float32)  # size 16, strides 8 and 16: 4 + 1 cells
        reg[:, [2, 8 + 1, 16 + 3, 24 + 0]] = 50.0  # left 2, top 1, right 3, bottom 0 bins
        b = gfl_boxes(reg, 16, [8, 16], 7, offset)
        cx, cy = (1 + offset) * 8, (0 + offset) * 8  # cell 1 of stride 8: col 1, row 0
        want = np.clip([cx - 16, cy - 8, cx + 24, cy], 0, 16)
        check(f"gfl box (plus={plus}) {b[1].tolist()} == {want.tolist()}", np.allclose(b[1], want, atol=1e-4))

    # FastestDet: one cell, tanh offsets, sigmoid sizes, obj^0.6 × class^0.4.
    fm = np.zeros((1, 85, 2, 2), np.float32)
    fm[0, 0, 1, 0] = 0.8  # row 1, col 0 of a 2×2 grid: centre ((0 + 0.5) / 2, (1 + 0) / 2)
    fm[0, 1, 1, 0], fm[0, 2, 1, 0] = np.arctanh(0.5), 0.0
    fm[0, 3, 1, 0], fm[0, 4, 1, 0] = 0.0, np.log(0.25 / 0.75)
    fm[0, 5 + 7, 1, 0] = 0.5
    b, sc, cl, _ = decode_fastestdet([fm], {"score_threshold": 0.001, "input_wh": (100, 100)})
    check(f"fastestdet one box, got {b.tolist()} {sc.tolist()} {cl.tolist()}", len(b) == 1 and cl[0] == 7
          and abs(sc[0] - 0.8 ** 0.6 * 0.5 ** 0.4) < 1e-6 and np.allclose(b[0], [25 - 25, 50 - 12.5, 25 + 25, 50 + 12.5], atol=1e-3))

    # YOLOv8 head: channel-major cx, cy, w, h, scores; best class.
    p = np.zeros((1, 4 + 3, 2), np.float32)
    p[0, :4, 1] = [50, 40, 20, 10]
    p[0, 4 + 2, 1], p[0, 4 + 1, 1] = 0.9, 0.3
    b, sc, cl, _ = decode_yolov8([p], {"score_threshold": 0.001, "multi_label": False})
    check("yolov8 decode", len(b) == 1 and cl[0] == 2 and np.allclose(b[0], [40, 35, 60, 45]))

    # DetectionOutput: rows after image_id -1 ignored, boxes normalised to the input.
    d = np.zeros((1, 1, 4, 7), np.float32)
    d[0, 0, 0] = [0, 2, 0.9, 0.1, 0.2, 0.3, 0.4]
    d[0, 0, 1] = [-1, 0, 0, 0, 0, 0, 0]
    d[0, 0, 2] = [0, 1, 0.8, 0, 0, 1, 1]
    b, sc, cl, _ = decode_detection_output([d], {"score_threshold": 0.5, "input_wh": (200, 100)})
    check("detection output", len(b) == 1 and cl[0] == 2 and np.allclose(b[0], [20, 20, 60, 40]))

    # Recall: a merged class, one of two objects found at IoU >= .5, a low score ignored.
    gt = {"info": {}, "images": [{"id": 1, "width": 100, "height": 100}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0},
                          {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 10], "area": 100, "iscrowd": 0}],
          "categories": [{"id": 1, "name": "vehicle"}]}
    r = recall_metrics(gt, [{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [1, 0, 10, 10]},
                            {"image_id": 1, "category_id": 1, "score": 0.4, "bbox": [50, 50, 10, 10]}], 0.5)
    check(f"recall 1/2, got {r}", r["vehicle"]["found"] == 1 and r["vehicle"]["objects"] == 2)
    for f in failures:
        print("self-test FAIL", f)
    print(f"self-test: {len(failures)} failure(s)" if failures else "self-test: ok")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", choices=sorted(MODELS), help="only these (repeatable)")
    parser.add_argument("--json-dir", help="write <model>.json here")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--detserve-recall", nargs=3, metavar=("NAME", "GT", "PRED"))
    parser.add_argument("--show", metavar="JSON", help="print the headline of a reference JSON this wrote")
    parser.add_argument("--self-test", action="store_true", help="check the pure functions on hand-made inputs")
    parser.add_argument("--multi-label", dest="multi_label", action="store_const", const=True, default=None,
                        help="Ultralytics/YOLOv5: every class above the threshold (val's), not the best one")
    parser.add_argument("--iou", type=float, help="override the NMS IoU (for exploring)")
    parser.add_argument("--nanodet-resize", choices=["warp", "resize"], default="warp",
                        help="NanoDet: its warpPerspective (default), or cv2.resize + border (for exploring)")
    options = parser.parse_args()
    global NANODET_RESIZE
    NANODET_RESIZE = options.nanodet_resize
    shared = os.environ.get("DETSERVE_SHARED_DIR") or os.path.join(SOURCE_DIR, "..", "shared")
    dev = os.path.join(shared, "images", "coco128-train")
    os.environ.setdefault("DETSERVE_DEV_SET", dev)
    if options.list:
        for name in options.model or list(MODELS):
            cfg, s = MODELS[name], settings(MODELS[name])
            print("|".join([name, cfg["kind"], os.path.join(shared, cfg["path"]), str(s["score_threshold"]),
                            "" if s["iou_threshold"] is None else str(s["iou_threshold"]), s["class_map"] or ""]))
        return 0
    if options.self_test:
        return self_test()
    if options.show:
        print(one_line(json.load(open(options.show))))
        return 0
    if options.detserve_recall:
        print(json.dumps(detserve_recall(*options.detserve_recall)))
        return 0
    if not os.path.isdir(os.path.join(dev, "images")):
        print(f"skipped: {os.path.normpath(dev)} not found (set DETSERVE_SHARED_DIR to point elsewhere)")
        return SKIP
    rows = []
    for name in options.model or list(MODELS):
        cfg = MODELS[name]
        if not os.path.exists(os.path.join(shared, cfg["path"])):
            print(f"skip {name}: {cfg['path']} not found in {shared}", flush=True)
            continue
        row = evaluate(name, cfg, shared, dev, options)
        rows.append(row)
        if options.json_dir:
            os.makedirs(options.json_dir, exist_ok=True)
            with open(os.path.join(options.json_dir, f"{name}.json"), "w") as f:
                json.dump(row, f, indent=1)
        print(json.dumps({k: v for k, v in row.items() if k != "published"}), flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
