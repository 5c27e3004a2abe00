#!/usr/bin/env python3
"""ConvNeXt-Tiny and ResNet-50 at batch 1, 4 and 16 on the CPU: compile time and latency of dnncc
(one library per batch size), onnxruntime, PyTorch eager and torch.compile on the same threads,
the comparison of the TVM-vs-PyTorch study users cite. Writes the "## Batch sizes" section of
docs/benchmarks.md (benchmarks/bench.py keeps it).

    .venv/bin/python benchmarks/batch_sizes.py [--models convnext_tiny,resnet50] \\
        [--batches 1,4,16] [--threads 2] [--runs 10] [--out docs/benchmarks.md]

Each model is re-exported at each batch size by models/export_zoo.py (the manifest's seeded
weights; the torch model timed is the one exported, so every engine computes the same function).
Compile time: dnncc's wall clock for the library (kernels compiled on every core); onnxruntime's
session creation (its graph optimisations); torch.compile's first call (Dynamo, Inductor's code
generation and C++ build, in a fresh cache directory); eager has none. Latency: the median of
--runs runs after warm-ups, batch at a time. The table states the largest difference of dnncc's
outputs from onnxruntime's and of torch.compile's from eager's.
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SECTION = "## Batch sizes"
BENCH_LINE = re.compile(r"bench: runs=(\d+) median_ms=([\d.]+)")
ERR_LINE = re.compile(r"max abs err ([0-9.eE+-]+)")
sys.path.insert(0, str(HERE))
import gpu_zoo  # noqa: E402 - at_batch, load_zoo_module, export_at_batch
import report  # noqa: E402 - write_section


def timed(fn, runs: int, warmups: int = 2) -> float:
    """Median wall-clock ms of `runs` calls of fn after `warmups`."""
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def dnncc_row(a, model: str, data: str, work: Path, name: str) -> dict:
    lib = work / f"lib{name}.so"
    start = time.perf_counter()
    subprocess.run([a.dnncc, model, "-o", str(lib)], check=True, capture_output=True, text=True)
    compile_s = time.perf_counter() - start
    p = subprocess.run([a.dnncc_run, str(lib), "--data", data, "--threads", str(a.threads),
                        "--bench", str(a.runs), "--rtol", "1e-3", "--atol", "1e-4"],
                       capture_output=True, text=True)
    out = p.stdout + p.stderr
    if p.returncode not in (0, 2):  # 2: an output outside the zoo tests' tolerance (reported)
        raise RuntimeError(f"dnncc-run failed ({p.returncode}): {out}")
    err = ERR_LINE.search(out)
    return {"compile_s": compile_s, "ms": float(BENCH_LINE.search(out).group(2)),
            "err": float(err.group(1)) if err else None}


def onnxruntime_row(a, model: str, feeds: dict) -> dict:
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = a.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    start = time.perf_counter()
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    compile_s = time.perf_counter() - start
    return {"compile_s": compile_s, "ms": timed(lambda: session.run(None, feeds), a.runs)}


def torch_rows(a, export_zoo, entry: dict, inputs) -> tuple[dict, dict]:
    import torch
    torch.set_num_threads(a.threads)
    torch._dynamo.reset()
    model = export_zoo.build_model(entry)
    xs = [torch.from_numpy(x.copy()) for x in inputs]
    with torch.inference_mode():
        eager = {"ms": timed(lambda: model(*xs), a.runs)}
        reference = model(*xs)
        compiled = torch.compile(model)
        start = time.perf_counter()
        got = compiled(*xs)
        compile_s = time.perf_counter() - start
        compiled_row = {"compile_s": compile_s, "ms": timed(lambda: compiled(*xs), a.runs)}
        compiled_row["err"] = float((got - reference).abs().max())
    return eager, compiled_row


def render(rows: list[dict], a) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"{SECTION}: dnncc, onnxruntime, PyTorch eager and torch.compile (CPU)", "",
        f"`benchmarks/batch_sizes.py` on {when} UTC, same machine as above, {a.threads} threads, "
        f"median of {a.runs} runs, one "
        "round (the machine's slow phases show in single rounds: compare within a row group). "
        "Compile: dnncc's wall clock for the library; onnxruntime's session creation; "
        "torch.compile's first call (Dynamo and Inductor, empty cache). Max abs err: dnncc's "
        "outputs against onnxruntime's, torch.compile's against eager's (ResNet-50's seeded "
        "logits reach several hundred).", "",
        "| model | batch | engine | compile s | latency ms | ms per image | vs dnncc | max abs err |",
        "|---|--:|---|--:|--:|--:|--:|--:|"]
    for r in rows:
        base = r["engines"]["dnncc"]["ms"]
        for engine, e in r["engines"].items():
            compile_s = f"{e['compile_s']:.1f}" if "compile_s" in e else ""
            err = f"{e['err']:.2g}" if e.get("err") is not None else ""
            lines.append(f"| {r['model']} | {r['batch']} | {engine} | {compile_s} | "
                         f"{e['ms']:.2f} | {e['ms'] / r['batch']:.2f} | {e['ms'] / base:.2f} | "
                         f"{err} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="convnext_tiny,resnet50")
    ap.add_argument("--batches", default="1,4,16")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--dnncc", default=str(REPO / "build/bin/dnncc"))
    ap.add_argument("--dnncc-run", default=str(REPO / "build/bin/dnncc-run"))
    ap.add_argument("--zoo-manifest", default=str(REPO / "models/zoo.json"))
    ap.add_argument("--out", type=Path, default=REPO / "docs/benchmarks.md")
    a = ap.parse_args()
    import json
    manifest = {e["name"]: e for e in json.loads(Path(a.zoo_manifest).read_text())["models"]}
    export_zoo = gpu_zoo.load_zoo_module(str(REPO / "models"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="dnncc-batch-") as tmp:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(tmp, "inductor")
        for name in a.models.split(","):
            for batch in (int(b) for b in a.batches.split(",")):
                entry = gpu_zoo.at_batch(manifest[name], batch)
                work = Path(tmp) / f"{name}-b{batch}"
                model, inputs, _ = gpu_zoo.export_at_batch(export_zoo, entry, str(work))
                feeds = {spec["name"]: x for spec, x in zip(entry["inputs"], inputs)}
                engines = {"dnncc": dnncc_row(a, model, str(work / "test_data_set_0"), work, name)}
                engines["onnxruntime"] = onnxruntime_row(a, model, feeds)
                engines["PyTorch eager"], engines["torch.compile"] = torch_rows(a, export_zoo,
                                                                                entry, inputs)
                rows.append({"model": name, "batch": batch, "engines": engines})
                print(f"batch_sizes: {name} b{batch}: " + ", ".join(
                    f"{k} {v['ms']:.2f} ms" for k, v in engines.items()), flush=True)
    report.write_section(a.out, SECTION, render(rows, a))
    print(f"batch_sizes: wrote the '{SECTION}' section of {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
