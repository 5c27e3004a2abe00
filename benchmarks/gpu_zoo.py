#!/usr/bin/env python3
"""The model zoo on a GPU: correctness and latency of dnncc libraries next to onnxruntime.

A GPU machine lent for a session (see docs/benchmarks.md) has a GPU driver, Python with numpy and
onnxruntime, and nothing of dnncc's build: no LLVM, no Halide, no protobuf. So the work is split:

  prepare (here, where dnncc is built)
      .venv/bin/python benchmarks/gpu_zoo.py prepare --target nvidia-ampere --out gpu_bundle
    compiles every zoo model for the target into BUNDLE/<name>/lib<name>.so, writes its input and
    reference output (onnxruntime's, from models/zoo/<name>/test_data_set_0) as .npy, copies
    model.onnx, and copies the runner dnncc-exec (build/lib/dnncc/dnncc-exec-x86_64: libc and the
    model library only) and this script into the bundle.

  measure (on the GPU machine, from inside the bundle)
      python3 gpu_zoo.py measure --bundle . --runs 50 --report $OUT/gpu_zoo.md
    for each model: runs the library once through dnncc-exec, compares every output with the
    reference (|a - b| <= atol + rtol * |b|, rtol 1e-3, atol 1e-4 as the zoo tests), records the
    device and the copies the run made, then times --runs runs after two warm-ups (dnncc-exec's
    wall clock around each synchronous run); times onnxruntime on the same input with the best
    provider it has (CUDA, else CPU), 3 warm-ups then --runs runs. Prints a markdown table and
    writes it to --report.

The same two steps work for an OpenCL target on this machine (PoCL), which is how the script
itself is tested: prepare --target x86-64-opencl, then measure.
"""
from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DTYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64", 9: "bool",
          10: "float16", 11: "float64"}


def prepare(a) -> int:
    import numpy as np
    import onnx
    from onnx import numpy_helper

    os.makedirs(a.out, exist_ok=True)
    shutil.copy2(a.exec, os.path.join(a.out, "dnncc-exec"))
    shutil.copy2(os.path.abspath(__file__), os.path.join(a.out, "gpu_zoo.py"))
    names = sorted(os.listdir(a.zoo)) if not a.only else a.only.split(",")
    for name in names:
        src = os.path.join(a.zoo, name)
        dst = os.path.join(a.out, name)
        os.makedirs(dst, exist_ok=True)
        t0 = time.time()
        p = subprocess.run([a.dnncc, os.path.join(src, "model.onnx"), f"--target={a.target}",
                            "-o", os.path.join(dst, f"lib{name}.so")],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"{name}: compile failed: {p.stderr.strip()[-300:]}")
            continue
        with open(os.path.join(dst, "compile_s.txt"), "w") as f:
            f.write(f"{time.time() - t0:.1f}\n")
        shutil.copy2(os.path.join(src, "model.onnx"), os.path.join(dst, "model.onnx"))
        data = os.path.join(src, "test_data_set_0")
        for kind in ("input", "output"):
            i = 0
            while os.path.exists(os.path.join(data, f"{kind}_{i}.pb")):
                t = onnx.TensorProto()
                t.ParseFromString(open(os.path.join(data, f"{kind}_{i}.pb"), "rb").read())
                np.save(os.path.join(dst, f"{kind}_{i}.npy"), numpy_helper.to_array(t))
                i += 1
        print(f"{name}: compiled for {a.target} in {time.time() - t0:.1f} s")
    return 0


def describe(runner: str, lib: str, prefix: str):
    out = subprocess.run([runner, lib, prefix, "describe"], capture_output=True, text=True,
                         check=True).stdout
    tensors = {"input": [], "output": []}
    for line in out.splitlines():
        kind, dtype, size, rank, *rest = line.split()
        shape = [int(d) for d in rest[:int(rank)]]
        tensors[kind].append((" ".join(rest[int(rank):]), int(dtype), shape))
    return tensors


def measure_one(a, name: str) -> dict:
    import numpy as np

    d = os.path.join(a.bundle, name)
    lib = os.path.join(d, f"lib{name}.so")
    row = {"model": name, "compile_s": open(os.path.join(d, "compile_s.txt")).read().strip()}
    runner = os.path.join(a.bundle, "dnncc-exec")
    tensors = describe(runner, lib, name)
    inputs = [np.load(os.path.join(d, f"input_{i}.npy")) for i in range(len(tensors["input"]))]
    with tempfile.TemporaryDirectory() as work:
        files = []
        for i, (tname, dtype, shape) in enumerate(tensors["input"]):
            x = np.ascontiguousarray(inputs[i].astype(DTYPES[dtype]).reshape(shape))
            files.append(os.path.join(work, f"input_{i}.bin"))
            x.tofile(files[-1])
        p = subprocess.run([runner, lib, name, "run", "-1", str(a.runs), work, *files],
                           capture_output=True, text=True)
        if p.returncode != 0:
            row["error"] = p.stderr.strip()[-300:]
            return row
        ms = []
        for line in p.stdout.splitlines():
            words = line.split()
            if words and words[0] == "device":
                row["device"] = " ".join(words[3:])
                row["copies"] = f"{words[1]} in, {words[2]} out"
            elif words and words[0] == "bench_ms":
                ms = [float(w) for w in words[1:]]
        row["dnncc_ms"] = statistics.median(ms) if ms else None
        worst = 0.0
        ok = True
        for i, (tname, dtype, shape) in enumerate(tensors["output"]):
            got = np.fromfile(os.path.join(work, f"output_{i}.bin"), DTYPES[dtype]).reshape(shape)
            ref = np.load(os.path.join(d, f"output_{i}.npy")).reshape(shape)
            err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
            ok &= bool(np.all(err <= a.atol + a.rtol * np.abs(ref.astype(np.float64))))
            worst = max(worst, float(err.max()) if err.size else 0.0)
        row["max_abs_err"] = worst
        row["correct"] = "yes" if ok else "NO"
    try:
        import onnxruntime as ort
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider")
                     if p in ort.get_available_providers()]
        s = ort.InferenceSession(os.path.join(d, "model.onnx"), providers=providers[:1])
        feed = {t.name: inputs[i] for i, t in enumerate(s.get_inputs())}
        for _ in range(3):
            s.run(None, feed)
        times = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            s.run(None, feed)
            times.append((time.perf_counter() - t0) * 1e3)
        row["ort_ms"] = statistics.median(times)
        row["ort_provider"] = s.get_providers()[0]
    except Exception as e:  # noqa: BLE001 - a missing onnxruntime leaves its columns empty
        row["ort_error"] = f"{type(e).__name__}: {e}"[:200]
    return row


def measure(a) -> int:
    names = sorted(n for n in os.listdir(a.bundle)
                   if os.path.isfile(os.path.join(a.bundle, n, f"lib{n}.so")))
    rows = [measure_one(a, n) for n in names]
    fmt = lambda v: f"{v:.2f}" if isinstance(v, float) else ("" if v is None else str(v))
    lines = [f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
             f"{a.runs} timed runs, median; tolerance rtol {a.rtol} / atol {a.atol}",
             "",
             "| model | device | copies per run | dnncc ms | onnxruntime ms | provider | ratio | "
             "max abs err | correct | notes |",
             "|---|---|---|--:|--:|---|--:|--:|:-:|---|"]
    for r in rows:
        ratio = (r["dnncc_ms"] / r["ort_ms"]) if r.get("dnncc_ms") and r.get("ort_ms") else None
        lines.append(f"| {r['model']} | {r.get('device', '')} | {r.get('copies', '')} | "
                     f"{fmt(r.get('dnncc_ms'))} | {fmt(r.get('ort_ms'))} | "
                     f"{r.get('ort_provider', '')} | {fmt(ratio)} | "
                     f"{fmt(r.get('max_abs_err'))} | {r.get('correct', 'NO')} | "
                     f"{r.get('error', r.get('ort_error', ''))} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.report:
        with open(a.report, "w") as f:
            f.write(text)
    return 0 if all(r.get("correct") == "yes" for r in rows) else 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--target", default="nvidia-ampere")
    p.add_argument("--out", required=True)
    p.add_argument("--zoo", default=os.path.join(REPO, "models", "zoo"))
    p.add_argument("--only", help="comma-separated zoo names")
    p.add_argument("--dnncc", default=os.path.join(REPO, "build", "bin", "dnncc"))
    p.add_argument("--exec", default=os.path.join(REPO, "build", "lib", "dnncc",
                                                  "dnncc-exec-x86_64"))
    p = sub.add_parser("measure")
    p.add_argument("--bundle", default=HERE)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--rtol", type=float, default=1e-3)
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--report")
    a = ap.parse_args()
    return prepare(a) if a.cmd == "prepare" else measure(a)


if __name__ == "__main__":
    sys.exit(main())
