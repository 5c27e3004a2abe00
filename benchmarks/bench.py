#!/usr/bin/env python3
"""Benchmark dnncc against onnxruntime on the model zoo and write a markdown report.

For each zoo model (made by models/export_zoo.py) this script
  1. compiles DIR/<name>/model.onnx with `dnncc ... --target=T -o WORK/lib<name>.so` for each
     target T of --targets (default: host, i.e. this CPU's full instruction set, and the portable
     x86-64 AVX2 baseline), timing the wall clock;
  2. runs `dnncc-run WORK/lib<name>.so --data DIR/<name>/test_data_set_0 --threads T --bench N`,
     which checks the outputs against the reference and prints
     `bench: runs=N median_ms=X min_ms=Y` (a non-zero exit after a successful compile means a
     numeric mismatch);
  3. times onnxruntime (CPU, intra-op threads T, inter-op 1, all graph optimisations) on the same
     input: 3 warm-up runs, then N timed runs, batch 1;
  4. times OpenVINO the same way (f32 forced, T threads, latency hint) when its environment exists
     (.venv-engines, made by `bash benchmarks/engines/setup.sh`; benchmarks/engines/
     openvino_bench.py runs there, one process per round).
The machine's FMA peak and memory bandwidth come from benchmarks/peak.py; each model's GFLOP per
run from dnncc-run's per-kernel profile (one profiled run after the timed ones), so the table
states dnncc's achieved GFLOP/s and its fraction of the FMA peak, and a geomean row per target.
A failure of one model (a compile error, a crash, a missing binary) is recorded in the table and
does not stop the others. Without a dnncc binary only the onnxruntime columns are filled.

Run from the repository root inside the venv made by scripts/setup.sh:

    .venv/bin/python benchmarks/bench.py --zoo models/zoo --dnncc build/bin/dnncc \\
        --runner build/bin/dnncc-run [--only resnet18,bert_tiny] [--runs 20] [--threads 2] \\
        [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peak  # noqa: E402  (benchmarks/peak.py)
import report as report_sections  # noqa: E402  (benchmarks/report.py)

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_LINE = re.compile(r"bench: runs=(\d+) median_ms=([0-9.eE+-]+) min_ms=([0-9.eE+-]+)")
PROFILE_LINE = re.compile(r"^profile: .*; ([0-9.]+) GFLOP per run", re.M)
WARMUP_RUNS = 3


@dataclass
class Result:
    """One table row; None means 'not measured'."""

    model: str
    target: str = "-"
    compile_s: float | None = None
    dnncc_median_ms: float | None = None
    dnncc_min_ms: float | None = None
    ort_median_ms: float | None = None
    ort_min_ms: float | None = None
    ov_median_ms: float | None = None  # OpenVINO
    ov_min_ms: float | None = None
    gflop: float | None = None  # arithmetic per run (dnncc's kernel count: 2 per multiply-add)
    correct: str = "-"  # yes / no / - (not run)
    notes: list[str] = field(default_factory=list)


def first_line(text: str) -> str:
    """The first non-empty line of a tool's output, for the notes column."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return "(no output)"


def find_tool(path: str) -> str | None:
    """An executable path, or None when the tool does not exist (yet)."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return shutil.which(path)


def tool_version(dnncc: str | None) -> str:
    if dnncc is None:
        return "n/a (dnncc not found)"
    try:
        proc = subprocess.run([dnncc, "--version"], capture_output=True, text=True, timeout=30)
        return first_line(proc.stdout or proc.stderr)
    except (OSError, subprocess.SubprocessError) as error:
        return f"n/a ({error})"


def load_inputs(data_dir: Path) -> dict[str, np.ndarray]:
    """The input_<i>.pb tensors of an ONNX backend-test data set, by tensor name."""
    feeds = {}
    for path in sorted(data_dir.glob("input_*.pb"), key=lambda p: int(p.stem.split("_")[1])):
        tensor = onnx.TensorProto()
        tensor.ParseFromString(path.read_bytes())
        feeds[tensor.name] = onnx.numpy_helper.to_array(tensor)
    return feeds


def bench_onnxruntime(model_path: Path, data_dir: Path, threads: int, runs: int) -> tuple[float, float]:
    """Median and minimum latency in ms of onnxruntime on one batch."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    feeds = load_inputs(data_dir)
    for _ in range(WARMUP_RUNS):
        session.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), min(times)


def bench_openvino(python: str, model_path: Path, inputs: Path, threads: int,
                   runs: int) -> tuple[float, float, str]:
    """Median and minimum latency in ms of OpenVINO on one batch, and its version (one process:
    benchmarks/engines/openvino_bench.py in the engines' environment)."""
    script = Path(__file__).resolve().parent / "engines" / "openvino_bench.py"
    out = subprocess.run([python, str(script), str(model_path), str(inputs), "--threads",
                          str(threads), "--runs", str(runs), "--warmups", str(WARMUP_RUNS)],
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(first_line(out.stderr.strip().splitlines()[-1] if out.stderr.strip()
                                      else f"exit {out.returncode}"))
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["median_ms"], result["min_ms"], result["version"]


def library_path(work: Path, result: Result) -> Path:
    """Where the library of a model for a target goes (its API prefix is <model>_<target>)."""
    return work / f"lib{result.model}_{result.target.replace('-', '_')}.so"


def compile_dnncc(result: Result, model_path: Path, args: argparse.Namespace, dnncc: str,
                  work: Path) -> bool:
    """Compile with dnncc, timing it; False (and a note) when it fails."""
    library = library_path(work, result)
    library.unlink(missing_ok=True)
    command = [dnncc, str(model_path), f"--target={result.target}", "-o", str(library)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=args.compile_timeout)
    except subprocess.TimeoutExpired:
        result.notes.append(f"compile timed out after {args.compile_timeout} s")
        return False
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not library.exists():
        result.notes.append(f"compile failed: {first_line(proc.stderr + proc.stdout)}")
        return False
    result.compile_s = elapsed
    return True


def run_dnncc(result: Result, data_dir: Path, args: argparse.Namespace, runner: str | None,
              work: Path) -> None:
    """One round of dnncc-run on the compiled library: the outputs checked, --runs timed runs;
    the round's median replaces the result's when it is lower (errors go to notes)."""
    library = library_path(work, result)
    if runner is None:
        result.notes.append(f"runner {args.runner} not found")
        return
    command = [runner, str(library), "--data", str(data_dir), "--threads", str(args.threads),
               "--bench", str(args.runs), "--profile", "--profile-runs", "1"]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=args.run_timeout)
    except subprocess.TimeoutExpired:
        result.notes.append(f"dnncc-run timed out after {args.run_timeout} s")
        return
    match = BENCH_LINE.search(proc.stdout) or BENCH_LINE.search(proc.stderr)
    if match and (result.dnncc_median_ms is None or float(match.group(2)) < result.dnncc_median_ms):
        result.dnncc_median_ms, result.dnncc_min_ms = float(match.group(2)), float(match.group(3))
    profile = PROFILE_LINE.search(proc.stdout)
    if profile:
        result.gflop = float(profile.group(1))
    if proc.returncode == 0:
        result.correct = "yes"
        if not match:
            result.notes.append("no bench line in dnncc-run output")
    elif proc.returncode < 0:
        result.correct = "no"
        result.notes.append(f"dnncc-run crashed (signal {-proc.returncode})")
    else:
        result.correct = "no"
        result.notes.append(f"mismatch: {first_line(proc.stderr + proc.stdout)}")


def model_names(zoo: Path) -> list[str]:
    """Zoo models in manifest order (then any other exported directories, sorted)."""
    manifest = REPO_ROOT / "models" / "zoo.json"
    ordered = [e["name"] for e in json.loads(manifest.read_text())["models"]] if manifest.exists() else []
    present = {p.parent.name for p in zoo.glob("*/model.onnx")}
    return [n for n in ordered if n in present] + sorted(present - set(ordered))


def fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def geomean(values: list[float]) -> float | None:
    return statistics.geometric_mean(values) if values else None


def profile_text(runner: str, library: Path, data_dir: Path, args: argparse.Namespace) -> str:
    """dnncc-run's per-kernel profile of `library` against the measured peaks: the summary, the
    20 longest kernel calls and the time per op pattern."""
    command = [runner, str(library), "--data", str(data_dir), "--threads", str(args.threads),
               "--profile", "--profile-runs", str(args.runs)]
    for flag, key in (("--peak-gflops", "fma_gflops"), ("--peak-gbps", "stream_gbps")):
        if key in args.peak:
            command += [flag, str(args.peak[key])]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=args.run_timeout)
    if proc.returncode != 0:
        return f"(dnncc-run --profile failed: {first_line(proc.stderr + proc.stdout)})"
    lines = proc.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("profile: ")), len(lines))
    by_ops = next((i for i, line in enumerate(lines) if line == "by ops:"), len(lines))
    rows = lines[start + 2:by_ops]
    kept = lines[start:start + 2] + rows[:20]
    if len(rows) > 20:
        kept.append(f"  ... {len(rows) - 20} shorter kernel calls")
    return "\n".join(kept + lines[by_ops:])


def render(results: list[Result], args: argparse.Namespace, dnncc_version: str) -> str:
    peak = args.peak.get("fma_gflops")
    lines = [
        "# dnncc benchmarks",
        "",
        f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- CPU: {report_sections.cpu_model()} ({os.cpu_count()} logical cores); load average before the run "
        f"{args.load_before:.2f} (other work on the machine skews the numbers)",
        f"- threads: {args.threads}; batch 1; {args.rounds} rounds of {args.runs} timed runs per "
        f"engine, interleaved (onnxruntime after {WARMUP_RUNS} warm-ups); the median and min of "
        f"each engine's best round (a shared machine has slow phases)",
        f"- dnncc: {dnncc_version}; targets {', '.join(args.targets)} (`host` uses every "
        f"instruction-set extension of this CPU, as onnxruntime does; `x86-64` is the portable AVX2 "
        f"baseline)",
        f"- onnxruntime: {ort.__version__} (CPUExecutionProvider, ORT_ENABLE_ALL, inter-op 1)",
        (f"- OpenVINO: {args.ov_version} (CPU plugin reading the ONNX model, "
         "INFERENCE_PRECISION_HINT=f32, PERFORMANCE_HINT=LATENCY, same threads)"
         if args.ov_version else "- OpenVINO: not measured (`bash benchmarks/engines/setup.sh` "
         "makes its environment)"),
        f"- machine peaks on {args.threads} threads (`benchmarks/peak.py`): FMA "
        f"{fmt(peak, 1)} GFLOP/s, STREAM triad {fmt(args.peak.get('stream_gbps'), 1)} GB/s"
        + (f" ({args.peak['error']})" if "error" in args.peak else ""),
        "- GFLOP: arithmetic per run as dnncc's per-kernel profile counts it (2 per multiply-add of "
        "conv/matmul/gemm, 1 per pooling window tap, 1 per result element of other ops); GFLOP/s and % of peak from dnncc's "
        "median",
        f"- generated by `benchmarks/bench.py`; ratio = dnncc median / onnxruntime median, "
        f"ratio OV = dnncc median / OpenVINO median (below 1 means dnncc is faster)",
        "",
        "| model | target | dnncc compile s | GFLOP | dnncc median ms | dnncc min ms "
        "| dnncc GFLOP/s | % of peak | onnxruntime median ms | onnxruntime min ms | ratio "
        "| OpenVINO median ms | ratio OV | correct | notes |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|---|",
    ]
    ratios: dict[str, list[float]] = {}
    ov_ratios: dict[str, list[float]] = {}
    for r in results:
        ratio = (r.dnncc_median_ms / r.ort_median_ms
                 if r.dnncc_median_ms is not None and r.ort_median_ms else None)
        if ratio is not None:
            ratios.setdefault(r.target, []).append(ratio)
        ov_ratio = (r.dnncc_median_ms / r.ov_median_ms
                    if r.dnncc_median_ms is not None and r.ov_median_ms else None)
        if ov_ratio is not None:
            ov_ratios.setdefault(r.target, []).append(ov_ratio)
        rate = (r.gflop / (r.dnncc_median_ms / 1e3)
                if r.gflop is not None and r.dnncc_median_ms else None)
        share = 100 * rate / peak if rate is not None and peak else None
        notes = "; ".join(r.notes).replace("|", "\\|")
        lines.append(f"| {r.model} | {r.target} | {fmt(r.compile_s, 1)} | {fmt(r.gflop, 3)} "
                     f"| {fmt(r.dnncc_median_ms, 2)} | {fmt(r.dnncc_min_ms, 2)} | {fmt(rate, 1)} "
                     f"| {fmt(share, 0)} | {fmt(r.ort_median_ms, 2)} | {fmt(r.ort_min_ms, 2)} "
                     f"| {fmt(ratio, 2)} | {fmt(r.ov_median_ms, 2)} | {fmt(ov_ratio, 2)} "
                     f"| {r.correct} | {notes} |")
    for target, values in ratios.items():
        ov_values = ov_ratios.get(target, [])
        lines.append(f"| **geomean** ({len(values)} models) | {target} | | | | | | | | "
                     f"| **{fmt(geomean(values), 2)}** | "
                     f"| {f'**{fmt(geomean(ov_values), 2)}**' if ov_values else '-'} | | |")
    if args.profile:
        name, target, text = args.profile
        lines += ["", f"## Where the time goes: {name} ({target})", "",
                  f"`dnncc-run --profile` of the library above (median of {args.runs} profiled runs; "
                  "columns in docs/usage.md, *Profiling*):", "", "```", text, "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--zoo", type=Path, default=REPO_ROOT / "models" / "zoo", help="exported zoo directory")
    parser.add_argument("--dnncc", default=str(REPO_ROOT / "build" / "bin" / "dnncc"), help="dnncc compiler")
    parser.add_argument("--runner", default=str(REPO_ROOT / "build" / "bin" / "dnncc-run"), help="dnncc-run")
    parser.add_argument("--only", help="comma-separated model names (default: all in the zoo)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per model (default: 20)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both runtimes (default: 2)")
    parser.add_argument("--targets", default="host,x86-64",
                        help="comma-separated dnncc targets, one row each (default: host,x86-64)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md", help="markdown report")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of timed runs per engine; each keeps its best round's median "
                        "(default: 3)")
    parser.add_argument("--profile-model", default="mobilenet_v2",
                        help="model whose per-kernel profile (first target) goes into the report "
                        "(default: mobilenet_v2; '' for none)")
    parser.add_argument("--openvino-python", default=str(REPO_ROOT / ".venv-engines" / "bin" / "python"),
                        help="python of the engines' environment with OpenVINO (default: "
                        ".venv-engines/bin/python; OpenVINO is skipped when it is missing)")
    parser.add_argument("--work", type=Path, help="where compiled libraries go (default: a temporary directory)")
    parser.add_argument("--compile-timeout", type=int, default=1800, help="seconds per compile (default: 1800)")
    parser.add_argument("--run-timeout", type=int, default=900, help="seconds per dnncc-run (default: 900)")
    args = parser.parse_args()
    args.targets = args.targets.split(",")

    names = model_names(args.zoo)
    if not names:
        parser.error(f"no models in {args.zoo}; run models/export_zoo.py first")
    if args.only:
        wanted = args.only.split(",")
        missing = sorted(set(wanted) - set(names))
        if missing:
            parser.error(f"not in {args.zoo}: {', '.join(missing)}")
        names = [n for n in names if n in wanted]

    args.load_before = os.getloadavg()[0]
    try:
        args.peak = peak.measure(args.threads)
    except RuntimeError as error:
        args.peak = {"error": f"peak probe failed: {error}"}
    args.ov_version = None
    ov_python = args.openvino_python if Path(args.openvino_python).exists() else None
    if ov_python is None:
        print(f"bench: {args.openvino_python} not found; not measuring OpenVINO "
              "(bash benchmarks/engines/setup.sh)", file=sys.stderr)
    dnncc, runner = find_tool(args.dnncc), find_tool(args.runner)
    dnncc_version = tool_version(dnncc)
    if dnncc is None:
        print(f"bench: {args.dnncc} not found; measuring onnxruntime only", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="dnncc-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = []
        args.profile = None
        for name in names:
            model_path = args.zoo / name / "model.onnx"
            data_dir = args.zoo / name / "test_data_set_0"
            rows = [Result(name, target) for target in args.targets]
            compiled = [dnncc is not None and compile_dnncc(r, model_path, args, dnncc, work)
                        for r in rows]
            if dnncc is None:
                for r in rows:
                    r.notes.append("dnncc not found")
            # Rounds of onnxruntime then each dnncc library, each time --runs timed runs; every
            # engine keeps its best round's median, so that a slow phase of a shared machine
            # (other tenants) that hits one engine's turn does not decide the ratio.
            ort_best, ort_note = (None, None), None
            ov_best, ov_note = (None, None), None
            npy_dir = work / f"{name}-inputs"
            npy_dir.mkdir(exist_ok=True)
            for input_name, value in load_inputs(data_dir).items():
                np.save(npy_dir / f"{input_name}.npy", value)
            for _ in range(args.rounds):
                if ov_python and ov_note is None:
                    try:
                        median, minimum, args.ov_version = bench_openvino(
                            ov_python, model_path, npy_dir, args.threads, args.runs)
                        if ov_best[0] is None or median < ov_best[0]:
                            ov_best = (median, minimum)
                    except Exception as error:  # noqa: BLE001 (a model OpenVINO cannot run)
                        ov_note = f"OpenVINO failed: {first_line(str(error))}"
                try:
                    times = bench_onnxruntime(model_path, data_dir, args.threads, args.runs)
                    if ort_best[0] is None or times[0] < ort_best[0]:
                        ort_best = times
                except Exception as error:  # keep going: one broken model must not stop the table
                    ort_note = f"onnxruntime failed: {first_line(str(error))}"
                    break
                for r, ok in zip(rows, compiled):
                    if ok and r.correct != "no":
                        run_dnncc(r, data_dir, args, runner, work)
            for r in rows:
                r.ort_median_ms, r.ort_min_ms = ort_best
                r.ov_median_ms, r.ov_min_ms = ov_best
                if ort_note:
                    r.notes.insert(0, ort_note)
                if ov_note:
                    r.notes.append(ov_note)
                if name == args.profile_model and r.target == args.targets[0] and r.correct == "yes":
                    args.profile = (name, r.target,
                                    profile_text(runner, library_path(work, r), data_dir, args))
                results.append(r)
            for result in rows:
                print(f"bench: {name:20s} {result.target:8s} compile {fmt(result.compile_s, 1)} s, dnncc "
                      f"{fmt(result.dnncc_median_ms, 2)} ms, onnxruntime "
                      f"{fmt(result.ort_median_ms, 2)} ms, OpenVINO "
                      f"{fmt(result.ov_median_ms, 2)} ms, correct {result.correct}"
                      f"{'; ' + '; '.join(result.notes) if result.notes else ''}")

    report = render(results, args, dnncc_version)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Sections of the report that other scripts own (report.OWNED_SECTIONS: batch_sizes.py,
    # int8_bench.py, arm_mix.py, gpu_zoo.py's runs on lent GPUs) are kept.
    if args.out.exists():
        old = args.out.read_text()
        owned = report_sections.owned_start(old)
        if owned >= 0:
            report = report.rstrip("\n") + "\n" + old[owned:]
    args.out.write_text(report)
    print(f"bench: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
