#!/usr/bin/env python3
"""The model zoo on a GPU: correctness and latency of dnncc libraries next to onnxruntime and
torch.compile, at several batch sizes, in fp32 and fp16.

A GPU machine lent for a session (see docs/benchmarks.md) has a GPU driver, Python with numpy,
onnx, onnxruntime, torch and torchvision, and nothing of dnncc's build: no LLVM, no Halide. It can
receive at most 64 MiB of files per call, less than the weights of ResNet-50 in fp32. So the work
is split:

  prepare (here, where dnncc is built)
      .venv/bin/python benchmarks/gpu_zoo.py prepare --target nvidia-ampere --out gpu_bundle \\
          --only squeezenet1_1,mobilenet_v2 --batches 1,16 --precisions fp32,fp16
    for each model, batch B and precision: compiles the model (models/zoo/<name>, re-exported
    at batch B by models/export_zoo.py when B > 1) into BUNDLE/<name>/b<B>/<precision>/lib<name>.so
    (--precision=fp16: half arithmetic where the device has it, f32 interface); writes onnxruntime's
    CPU reference outputs (b<B>/output_<i>.npy), the inputs' SHA-256 (the inputs themselves are
    regenerated from the manifest's seed where they run), and the ONNX graph with its large float
    initializers emptied (b<B>/model.onnx: onnxruntime's timing needs the structure, not the
    values). Copies the runner dnncc-exec (libc and the model library only), this script,
    models/export_zoo.py and models/zoo.json into the bundle.

  measure (on the GPU machine, from inside the bundle)
      python3 gpu_zoo.py measure --bundle . --runs 50 --report $OUT/gpu_zoo.md --torch resnet50
    for each library: regenerates the input (checked against its SHA-256), runs the library once
    through dnncc-exec and compares every output with the reference (fp32: |a - b| <= atol + rtol
    * |b| with rtol 1e-3, atol 1e-4 as the zoo tests; fp16: rtol 2e-2 / atol 2e-2 as
    models.opencl_fp16, atol 1 for resnet50, and the same top-1 class for the classifiers), then
    times --runs runs after two warm-ups (wall clock around each synchronous run, the copy of the
    input to the device and of the output back included). Times onnxruntime's CUDA provider (fp32;
    the graph's emptied initializers filled with seeded random values) and, for the models named
    by --torch, torch.compile of the same torch model with the manifest's seeded weights (fp32 with
    TF32 off, and fp16), also with the input copied in and the output copied back, and checks its
    output too. Prints a markdown table and writes it to --report.

The same two steps work for an OpenCL target on this machine (PoCL), which is how the script
itself is tested: prepare --target x86-64-opencl, then measure.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
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
# Float initializers with more elements than this are emptied in the bundle's ONNX graph.
KEEP_ELEMENTS = 4096
CLASSIFIERS_EXCEPT = {"bert_tiny"}


def sha256(arrays) -> str:
    h = hashlib.sha256()
    for x in arrays:
        h.update(x.tobytes())
    return h.hexdigest()


def at_batch(entry: dict, batch: int) -> dict:
    """The manifest entry with every input's first dimension set to `batch`."""
    e = json.loads(json.dumps(entry))
    for spec in e["inputs"]:
        spec["shape"][0] = batch
    return e


def load_zoo_module(directory: str):
    sys.path.insert(0, directory)
    import export_zoo  # noqa: E402 - torch, torchvision, onnx and onnxruntime come with it
    return export_zoo


def export_at_batch(export_zoo, entry: dict, directory: str):
    """models/export_zoo.py's export of `entry` (already at its batch) into `directory`; returns
    (model path, inputs, onnxruntime's outputs)."""
    from pathlib import Path
    export_zoo.export_model(entry, Path(directory))
    import numpy as np
    import onnx
    from onnx import numpy_helper
    data = os.path.join(directory, "test_data_set_0")
    arrays = {}
    for kind in ("input", "output"):
        arrays[kind] = []
        i = 0
        while os.path.exists(os.path.join(data, f"{kind}_{i}.pb")):
            t = onnx.load_tensor(os.path.join(data, f"{kind}_{i}.pb"))
            arrays[kind].append(np.asarray(numpy_helper.to_array(t)))
            i += 1
    return os.path.join(directory, "model.onnx"), arrays["input"], arrays["output"]


def empty_large_initializers(src: str, dst: str) -> int:
    """Writes the ONNX graph at `src` to `dst` with float initializers of more than KEEP_ELEMENTS
    elements emptied (their shapes kept); returns how many were emptied."""
    import onnx
    m = onnx.load(src)
    n = 0
    for t in m.graph.initializer:
        elements = 1
        for d in t.dims:
            elements *= d
        if t.data_type in (1, 10, 11) and elements > KEEP_ELEMENTS:
            t.ClearField("raw_data")
            t.ClearField("float_data")
            t.ClearField("double_data")
            t.ClearField("int32_data")
            t.doc_string = "dnncc-gpu-zoo: emptied"
            n += 1
    onnx.save(m, dst)
    return n


def fill_emptied_initializers(path: str, seed: int):
    """The bundle's ONNX graph with its emptied initializers filled with N(0, 0.05^2) values."""
    import numpy as np
    import onnx
    from onnx import helper
    m = onnx.load(path)
    rng = np.random.default_rng(seed)
    dtypes = {1: np.float32, 10: np.float16, 11: np.float64}
    for t in m.graph.initializer:
        if t.doc_string == "dnncc-gpu-zoo: emptied":
            x = (rng.standard_normal(list(t.dims)) * 0.05).astype(dtypes[t.data_type])
            t.CopyFrom(helper.make_tensor(t.name, t.data_type, list(t.dims), x.tobytes(),
                                          raw=True))
    return m


def prepare(a) -> int:
    import numpy as np
    import onnx
    from onnx import numpy_helper

    os.makedirs(a.out, exist_ok=True)
    shutil.copy2(a.exec, os.path.join(a.out, "dnncc-exec"))
    shutil.copy2(os.path.abspath(__file__), os.path.join(a.out, "gpu_zoo.py"))
    shutil.copy2(os.path.join(REPO, "models", "export_zoo.py"), os.path.join(a.out, "export_zoo.py"))
    shutil.copy2(os.path.join(REPO, "models", "zoo.json"), os.path.join(a.out, "zoo.json"))
    entries = {e["name"]: e for e in json.load(open(os.path.join(REPO, "models", "zoo.json")))["models"]}
    names = a.only.split(",") if a.only else sorted(entries)
    export_zoo = None
    failed = 0
    for name in names:
        for batch in (int(b) for b in a.batches.split(",")):
            bdir = os.path.join(a.out, name, f"b{batch}")
            os.makedirs(bdir, exist_ok=True)
            with tempfile.TemporaryDirectory() as tmp:
                if batch == 1:
                    model = os.path.join(a.zoo, name, "model.onnx")
                    data = os.path.join(a.zoo, name, "test_data_set_0")
                    inputs, outputs = [], []
                    for kind, dst in (("input", inputs), ("output", outputs)):
                        i = 0
                        while os.path.exists(os.path.join(data, f"{kind}_{i}.pb")):
                            t = onnx.load_tensor(os.path.join(data, f"{kind}_{i}.pb"))
                            dst.append(np.asarray(numpy_helper.to_array(t)))
                            i += 1
                else:
                    export_zoo = export_zoo or load_zoo_module(os.path.join(REPO, "models"))
                    model, inputs, outputs = export_at_batch(
                        export_zoo, at_batch(entries[name], batch), tmp)
                for i, y in enumerate(outputs):
                    np.save(os.path.join(bdir, f"output_{i}.npy"), y)
                with open(os.path.join(bdir, "inputs.sha256"), "w") as f:
                    f.write(sha256(inputs) + "\n")
                emptied = empty_large_initializers(model, os.path.join(bdir, "model.onnx"))
                for precision in a.precisions.split(","):
                    pdir = os.path.join(bdir, precision)
                    os.makedirs(pdir, exist_ok=True)
                    t0 = time.time()
                    p = subprocess.run([a.dnncc, model, f"--target={a.target}",
                                        f"--precision={precision}",
                                        "-o", os.path.join(pdir, f"lib{name}.so")],
                                       capture_output=True, text=True)
                    if p.returncode != 0:
                        print(f"{name} b{batch} {precision}: compile failed: "
                              f"{p.stderr.strip()[-300:]}")
                        failed += 1
                        continue
                    with open(os.path.join(pdir, "compile_s.txt"), "w") as f:
                        f.write(f"{time.time() - t0:.1f}\n")
                    size = os.path.getsize(os.path.join(pdir, f"lib{name}.so")) / 2**20
                    print(f"{name} b{batch} {precision}: compiled for {a.target} in "
                          f"{time.time() - t0:.1f} s, {size:.1f} MiB ({emptied} initializers "
                          "emptied in the bundle's ONNX graph)")
    return 1 if failed else 0


def describe(runner: str, lib: str, prefix: str):
    out = subprocess.run([runner, lib, prefix, "describe"], capture_output=True, text=True,
                         check=True).stdout
    tensors = {"input": [], "output": []}
    for line in out.splitlines():
        kind, dtype, size, rank, *rest = line.split()
        shape = [int(d) for d in rest[:int(rank)]]
        tensors[kind].append((" ".join(rest[int(rank):]), int(dtype), shape))
    return tensors


def tolerance(name: str, precision: str):
    """(rtol, atol, top-1 required) of a model's outputs at a precision (see the module doc)."""
    if precision == "fp32":
        return 1e-3, 1e-4, False
    return 2e-2, (1.0 if name == "resnet50" else 2e-2), name not in CLASSIFIERS_EXCEPT


def compare(name: str, precision: str, got, ref) -> tuple[bool, float, str]:
    """(within tolerance, max abs error, note) of one output against its reference."""
    import numpy as np
    rtol, atol, top1 = tolerance(name, precision)
    g, r = got.astype(np.float64), ref.astype(np.float64)
    err = np.abs(g - r)
    ok = bool(np.all(err <= atol + rtol * np.abs(r)))
    note = ""
    if top1:
        same = np.array_equal(np.argmax(g.reshape(-1, g.shape[-1]), -1),
                              np.argmax(r.reshape(-1, r.shape[-1]), -1))
        ok &= bool(same)
        note = "top-1 equal" if same else "top-1 DIFFERS"
    return ok, float(err.max()) if err.size else 0.0, note


def run_dnncc(a, name: str, batch: int, precision: str, inputs, refs) -> dict:
    import numpy as np
    d = os.path.join(a.bundle, name, f"b{batch}", precision)
    lib = os.path.join(d, f"lib{name}.so")
    row = {"engine": "dnncc", "compile_s": open(os.path.join(d, "compile_s.txt")).read().strip()}
    runner = os.path.join(a.bundle, "dnncc-exec")
    tensors = describe(runner, lib, name)
    with tempfile.TemporaryDirectory() as work:
        files = []
        for i, (tname, dtype, shape) in enumerate(tensors["input"]):
            x = np.ascontiguousarray(inputs[i].astype(DTYPES[dtype]).reshape(shape))
            files.append(os.path.join(work, f"input_{i}.bin"))
            x.tofile(files[-1])
        t0 = time.time()
        p = subprocess.run([runner, lib, name, "run", "-1", str(a.runs), work, *files],
                           capture_output=True, text=True)
        row["first_s"] = time.time() - t0
        if p.returncode != 0:
            row["error"] = (p.stderr.strip() or p.stdout.strip())[-300:]
            return row
        ms = []
        for line in p.stdout.splitlines():
            words = line.split()
            if words and words[0] == "device":
                row["device"] = " ".join(words[3:])
                row["copies"] = f"{words[1]} in, {words[2]} out"
            elif words and words[0] == "bench_ms":
                ms = [float(w) for w in words[1:]]
        row["ms"] = statistics.median(ms) if ms else None
        row["correct"], row["max_abs_err"], notes = True, 0.0, []
        for i, (tname, dtype, shape) in enumerate(tensors["output"]):
            got = np.fromfile(os.path.join(work, f"output_{i}.bin"), DTYPES[dtype]).reshape(shape)
            ok, err, note = compare(name, precision, got, refs[i].reshape(shape))
            row["correct"] &= ok
            row["max_abs_err"] = max(row["max_abs_err"], err)
            notes += [note] if note else []
        row["note"] = "; ".join(notes)
    return row


def run_onnxruntime(a, name: str, batch: int, inputs, seed: int) -> dict:
    import onnxruntime as ort
    row = {"engine": "onnxruntime"}
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider")
                 if p in ort.get_available_providers()]
    model = fill_emptied_initializers(os.path.join(a.bundle, name, f"b{batch}", "model.onnx"), seed)
    s = ort.InferenceSession(model.SerializeToString(), providers=providers[:1])
    feed = {t.name: inputs[i] for i, t in enumerate(s.get_inputs())}
    for _ in range(3):
        s.run(None, feed)
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        s.run(None, feed)
        times.append((time.perf_counter() - t0) * 1e3)
    row["ms"] = statistics.median(times)
    row["device"] = s.get_providers()[0]
    row["note"] = "random weights (same graph)"
    return row


def run_torch_compile(a, export_zoo, entry: dict, precision: str, inputs, refs) -> dict:
    import numpy as np
    import torch
    row = {"engine": "torch.compile"}
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dtype = torch.float16 if precision == "fp16" else torch.float32
    model = export_zoo.build_model(entry).to("cuda")
    if precision == "fp16":
        model = model.half()
    compiled = torch.compile(model)
    host = [torch.from_numpy(x) for x in inputs]
    if precision == "fp16":
        host = [x.half() if x.is_floating_point() else x for x in host]
    host = [x.pin_memory() for x in host]

    def once():
        with torch.no_grad():
            y = compiled(*[x.to("cuda", non_blocking=True) for x in host])
            return y.float().cpu()

    t0 = time.time()
    y = once()
    row["compile_s"] = f"{time.time() - t0:.1f}"
    for _ in range(2):
        once()
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        once()
        times.append((time.perf_counter() - t0) * 1e3)
    row["ms"] = statistics.median(times)
    row["device"] = torch.cuda.get_device_name()
    ok, err, note = compare(entry["name"], precision, y.numpy(), refs[0].reshape(y.shape))
    row["correct"], row["max_abs_err"], row["note"] = ok, err, note
    return row


def measure(a) -> int:
    import numpy as np
    entries = {e["name"]: e for e in json.load(open(os.path.join(a.bundle, "zoo.json")))["models"]}
    export_zoo = load_zoo_module(a.bundle)
    torch_models = set(a.torch.split(",")) if a.torch else set()
    rows = []
    for name in sorted(n for n in os.listdir(a.bundle) if n in entries):
        for bname in sorted(os.listdir(os.path.join(a.bundle, name)), key=lambda b: int(b[1:])):
            batch = int(bname[1:])
            bdir = os.path.join(a.bundle, name, bname)
            entry = at_batch(entries[name], batch)
            inputs = export_zoo.make_inputs(entry)
            refs = []
            while os.path.exists(os.path.join(bdir, f"output_{len(refs)}.npy")):
                refs.append(np.load(os.path.join(bdir, f"output_{len(refs)}.npy")))
            base = {"model": name, "batch": batch}
            if sha256(inputs) != open(os.path.join(bdir, "inputs.sha256")).read().strip():
                rows.append({**base, "engine": "dnncc", "precision": "",
                             "error": "the regenerated input differs from the prepared one"})
                continue
            precisions = sorted(p for p in os.listdir(bdir)
                                if os.path.isfile(os.path.join(bdir, p, f"lib{name}.so")))
            for precision in precisions:
                rows.append({**base, "precision": precision,
                             **run_dnncc(a, name, batch, precision, inputs, refs)})
                print(rows[-1], flush=True)
            for engine, fn in (("onnxruntime", lambda: run_onnxruntime(a, name, batch, inputs,
                                                                       entry["seed"])),):
                try:
                    rows.append({**base, "precision": "fp32", **fn()})
                except Exception as e:  # noqa: BLE001 - reported in the table
                    rows.append({**base, "precision": "fp32", "engine": engine,
                                 "error": f"{type(e).__name__}: {e}"[:200]})
                print(rows[-1], flush=True)
            if name in torch_models:
                for precision in a.torch_precisions.split(","):
                    try:
                        rows.append({**base, "precision": precision,
                                     **run_torch_compile(a, export_zoo, entry, precision, inputs,
                                                         refs)})
                    except Exception as e:  # noqa: BLE001 - reported in the table
                        rows.append({**base, "precision": precision, "engine": "torch.compile",
                                     "error": f"{type(e).__name__}: {e}"[:200]})
                    print(rows[-1], flush=True)
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else ("" if v is None else str(v))
    lines = [f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
             f"{a.runs} timed runs, median wall clock per run, input copied in and output copied "
             "back included for every engine",
             "",
             "| model | batch | precision | engine | device | ms | vs dnncc | max abs err | "
             "correct | compile s | notes |",
             "|---|--:|---|---|---|--:|--:|--:|:-:|--:|---|"]
    dnncc_ms = {(r["model"], r["batch"], r["precision"]): r.get("ms") for r in rows
                if r["engine"] == "dnncc"}
    for r in rows:
        base = dnncc_ms.get((r["model"], r["batch"], r["precision"]))
        ratio = (r["ms"] / base) if r.get("ms") and base and r["engine"] != "dnncc" else None
        correct = {True: "yes", False: "NO"}.get(r.get("correct"), "")
        lines.append(f"| {r['model']} | {r['batch']} | {r['precision']} | {r['engine']} | "
                     f"{r.get('device', '')} | {fmt(r.get('ms'))} | {fmt(ratio)} | "
                     f"{fmt(r.get('max_abs_err'))} | {correct} | {r.get('compile_s', '')} | "
                     f"{r.get('error', r.get('note', ''))} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.report:
        with open(a.report, "w") as f:
            f.write(text)
    ok = all(r.get("correct") for r in rows if r["engine"] == "dnncc")
    return 0 if ok else 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--target", default="nvidia-ampere")
    p.add_argument("--out", required=True)
    p.add_argument("--zoo", default=os.path.join(REPO, "models", "zoo"))
    p.add_argument("--only", help="comma-separated zoo names (default: all)")
    p.add_argument("--batches", default="1", help="comma-separated batch sizes, e.g. 1,16")
    p.add_argument("--precisions", default="fp32", help="fp32, fp16 or fp32,fp16")
    p.add_argument("--dnncc", default=os.path.join(REPO, "build", "bin", "dnncc"))
    p.add_argument("--exec", default=os.path.join(REPO, "build", "lib", "dnncc",
                                                  "dnncc-exec-x86_64"))
    p = sub.add_parser("measure")
    p.add_argument("--bundle", default=HERE)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--torch", help="comma-separated zoo names to time with torch.compile")
    p.add_argument("--torch-precisions", default="fp32,fp16", help="torch.compile's precisions")
    p.add_argument("--report")
    a = ap.parse_args()
    return prepare(a) if a.cmd == "prepare" else measure(a)


if __name__ == "__main__":
    sys.exit(main())
