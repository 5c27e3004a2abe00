#!/usr/bin/env python3
"""The example apps' pipelines in numpy, with onnxruntime running the model: the reference that
tests/models/vision_examples.py compares each app's output with, and a readable statement of what
the C code in examples/common and the apps computes.

  reference.py classify MODEL LABELS IMAGE      # like classify_image: the top-5 classes
  reference.py layout MODEL LABELS IMAGE        # like detect_layout: the layout boxes
  reference.py faces MODEL IMAGE                # like detect_faces: faces and their landmarks

Prints the same lines as the app (see each app's README). Images are read with Pillow; use PNG
files for an exact comparison (JPEG decoders differ from stb_image's in the last bit).
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def triangle_weights(out_size: int, in_size: int, scale_size: int) -> np.ndarray:
    """[out_size, in_size] weights of examples/common/image.c's resampler along one axis.

    The source (in_size pixels) is scaled to scale_size pixels with the triangle (bilinear)
    filter, widened by the scale factor when shrinking (antialiasing, as Pillow's BILINEAR);
    output pixel i is scaled pixel i (the caller shifts for letterbox / crop offsets).
    """
    ratio = in_size / scale_size
    support = max(ratio, 1.0)
    weights = np.zeros((out_size, in_size), np.float64)
    for i in range(out_size):
        center = (i + 0.5) * ratio
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        j = np.arange(lo, hi)
        w = np.maximum(0.0, 1.0 - np.abs((j + 0.5 - center) / support))
        if w.sum() > 0:
            weights[i, lo:hi] = w / w.sum()
    return weights


def place_resized(rgb: np.ndarray, scaled_w: int, scaled_h: int, off_x: int, off_y: int,
                  width: int, height: int, pad: float, mean, std) -> np.ndarray:
    """The [1, 3, height, width] float32 model input: the image scaled to scaled_w x scaled_h and
    placed at (off_x, off_y) on a width x height canvas of value pad (0-255), cropping what falls
    outside (a letterbox has offsets >= 0, a centre crop offsets <= 0), then (v/255 - mean)/std."""
    h, w, _ = rgb.shape
    canvas = np.full((height, width, 3), pad, np.float64)
    x0, x1 = max(off_x, 0), min(off_x + scaled_w, width)
    y0, y1 = max(off_y, 0), min(off_y + scaled_h, height)
    wx = triangle_weights(scaled_w, w, scaled_w)[x0 - off_x:x1 - off_x]
    wy = triangle_weights(scaled_h, h, scaled_h)[y0 - off_y:y1 - off_y]
    img = rgb.astype(np.float64)
    for c in range(3):
        canvas[y0:y1, x0:x1, c] = wy @ img[:, :, c] @ wx.T
    norm = (canvas / 255.0 - np.array(mean)) / np.array(std)
    return norm.transpose(2, 0, 1)[None].astype(np.float32)


def round_half_up(v: float) -> int:
    """floor(v + 0.5), as the C code rounds (Python's round() rounds halves to even)."""
    return int(np.floor(v + 0.5))


def letterbox(rgb: np.ndarray, width: int, height: int, pad: float, mean, std):
    """Scaled to fit inside width x height keeping the aspect ratio, centred; returns the input
    and (scale, off_x, off_y) that map a model-input point p back to the image: (p - off)/scale."""
    h, w, _ = rgb.shape
    scale = min(width / w, height / h)
    sw, sh = max(1, round_half_up(w * scale)), max(1, round_half_up(h * scale))
    ox, oy = (width - sw) // 2, (height - sh) // 2
    return place_resized(rgb, sw, sh, ox, oy, width, height, pad, mean, std), (scale, ox, oy)


def nms(dets: list, iou_threshold: float) -> list:
    """Greedy non-maximum suppression within each class. dets: (score, class, [x0,y0,x1,y1],
    extra); kept ones by descending score (ties: lower class, then earlier)."""
    order = sorted(range(len(dets)), key=lambda i: (-dets[i][0], dets[i][1], i))
    kept = []
    for i in order:
        s, c, b, _ = dets[i]
        if all(k[1] != c or iou(k[2], b) <= iou_threshold for k in kept):
            kept.append(dets[i])
    return kept


def iou(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def to_image(box, points, scale, ox, oy, shape):
    """A box (clipped to the image) and points from model-input to image pixels: (p - off)/scale."""
    h, w, _ = shape
    clip = lambda v, hi: min(max(v, 0.0), hi)  # noqa: E731
    box = [clip((box[0] - ox) / scale, w), clip((box[1] - oy) / scale, h),
           clip((box[2] - ox) / scale, w), clip((box[3] - oy) / scale, h)]
    return box, [v for px, py in points for v in ((px - ox) / scale, (py - oy) / scale)]


def run(model: str, x: np.ndarray) -> list:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})


def classify(model: str, labels: list, rgb: np.ndarray) -> None:
    h, w, _ = rgb.shape
    scale = 256 / min(w, h)  # short side to 256, centre crop 224 (PaddleClas / torchvision)
    sw, sh = round_half_up(w * scale), round_half_up(h * scale)
    x = place_resized(rgb, sw, sh, -((sw - 224) // 2), -((sh - 224) // 2), 224, 224, 0.0,
                      IMAGENET_MEAN, IMAGENET_STD)
    probs = run(model, x)[0].reshape(-1)  # the model ends in a softmax
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))[:5]
    for rank, i in enumerate(order, 1):
        print(f"class {rank} {i} {labels[i]} {probs[i]:.4f}")


def layout(model: str, labels: list, rgb: np.ndarray) -> None:
    width, height = 608, 800
    x, (scale, ox, oy) = letterbox(rgb, width, height, 255.0, IMAGENET_MEAN, IMAGENET_STD)
    outs = run(model, x)
    levels = len(outs) // 2
    dets = []
    for level, stride in zip(range(levels), (8, 16, 32, 64)):
        scores, dist = outs[level][0], outs[level + levels][0]
        cols = (width + stride - 1) // stride
        bins = dist.shape[-1] // 4
        d = dist.reshape(-1, 4, bins).astype(np.float64)
        d = np.exp(d - d.max(-1, keepdims=True))
        d = (d / d.sum(-1, keepdims=True) * np.arange(bins)).sum(-1) * stride
        for a, c in zip(*np.nonzero(scores > 0.5)):
            cx, cy = (a % cols + 0.5) * stride, (a // cols + 0.5) * stride
            box = [cx - d[a, 0], cy - d[a, 1], cx + d[a, 2], cy + d[a, 3]]
            dets.append((float(scores[a, c]), int(c), box, None))
    for s, c, b, _ in nms(dets, 0.5):
        box, _ = to_image(b, [], scale, ox, oy, rgb.shape)
        print(f"box {labels[c]} {s:.4f} " + " ".join(f"{v:.1f}" for v in box))


def blazeface_anchors() -> np.ndarray:
    """[896, 2] anchor centres in input pixels of MediaPipe's short-range face detector: strides
    8, 16, 16, 16 (layers of one stride share a grid), one anchor per layer and cell."""
    anchors = []
    for stride, per_cell in ((8, 2), (16, 6)):
        n = 128 // stride
        for y in range(n):
            for x in range(n):
                anchors += [((x + 0.5) * stride, (y + 0.5) * stride)] * per_cell
    return np.array(anchors)


def faces(model: str, rgb: np.ndarray) -> None:
    x, (scale, ox, oy) = letterbox(rgb, 128, 128, 0.0, (0.5,) * 3, (0.5,) * 3)
    regressors, classificators = run(model, x)
    raw = np.clip(classificators[0, :, 0].astype(np.float64), -100, 100)
    scores = 1 / (1 + np.exp(-raw))
    anchors = blazeface_anchors()
    dets = []
    for a in np.nonzero(scores > 0.5)[0]:
        r = regressors[0, a].astype(np.float64)
        cx, cy = r[0] + anchors[a, 0], r[1] + anchors[a, 1]
        box = [cx - r[2] / 2, cy - r[3] / 2, cx + r[2] / 2, cy + r[3] / 2]
        points = [(r[4 + 2 * k] + anchors[a, 0], r[5 + 2 * k] + anchors[a, 1]) for k in range(6)]
        dets.append((float(np.float32(scores[a])), 0, box, points))
    for s, _, b, points in nms(dets, 0.3):
        box, points = to_image(b, points, scale, ox, oy, rgb.shape)
        print(f"face {s:.4f} " + " ".join(f"{v:.1f}" for v in box + points))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("app", choices=["classify", "layout", "faces"])
    parser.add_argument("files", nargs="+", help="MODEL [LABELS] IMAGE")
    args = parser.parse_args()
    need = 2 if args.app == "faces" else 3
    if len(args.files) != need:
        parser.error(f"{args.app} takes {need} files")
    rgb = np.asarray(Image.open(args.files[-1]).convert("RGB"))
    if args.app == "faces":
        faces(args.files[0], rgb)
    else:
        labels = Path(args.files[1]).read_text().split("\n")
        (classify if args.app == "classify" else layout)(args.files[0], labels, rgb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
