#!/usr/bin/env python3
"""NNEF import tests (dnncc DIR, DIR holding graph.nnef and .dat tensors):
  ops WORK             generate the cases of tests/nnef/nnef_cases.py into WORK/cases (kept while
                       the generator is unchanged), compile each with dnncc CASE --target T and run
                       dnncc-run on its test_data_set_0 with the case's rtol/atol (two at a time).
                       Each case passes or fails with its error line; WORK/results.json records the
                       run. Fails when a case of an op not listed in tests/nnef/unsupported.txt
                       fails, or when every case of a listed op passes (the list only shrinks).
                       Prints the standard ops whose cases all pass, of all standard ops.
  zoo WORK [--models a,b]
                       each zoo model (models/zoo/NAME/model.onnx) converted to NNEF by nnef_tools
                       (cached in WORK/converted/NAME-HASH, HASH from the ONNX file), compiled and
                       run against the ONNX model's test_data_set_0 (rtol 1e-3, atol 1e-4). Models
                       the converter rejects are skipped with its reason. --archive: compile
                       each converted model packed as a .tgz instead of its directory.
  quantized WORK       tests/nnef/quantized_model.py's quantized model (graph.quant, quantized tensor
                       files) compiled and run against its numpy reference: every output within one
                       quantization step, at most 1% of them a step off (rounding ties: NNEF rounds
                       halves away from zero, the int8 kernels' quantize_linear to even), and its
                       convs on the int8 path (i32 accumulators in --emit=ir)
  coverage-doc FILE --work WORK
                       writes the section '## NNEF operations' of FILE (docs/operators.md: added
                       at the end when missing, the rest left as it is) from WORK/results.json:
                       every standard op, supported or not (with unsupported.txt's reason), cases.
Common options: --dnncc, --dnncc-run, --target, --repo. Exit 0 = pass. Run with the repository's
venv python (.venv/bin/python): the generator needs nnef, nnef_tools, tract, torch and onnx."""
import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import nnef_cases  # noqa: E402
import quantized_model  # noqa: E402
from model_tests import Failure, dispatch  # noqa: E402

ZOO_RTOL, ZOO_ATOL = "1e-3", "1e-4"
SECTION = "## NNEF operations"


def execute(cmd):
    """Runs cmd; returns (exit status, stdout + stderr)."""
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    return p.returncode, p.stdout + p.stderr


def error_line(output, rc):
    """The line of a dnncc / dnncc-run output that says what went wrong."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    mismatches = [line for line in lines if "mismatch" in line or "MISMATCH" in line]
    if mismatches:
        return "; ".join(mismatches)[:300]
    errors = [line for line in lines if re.match(r"(dnncc[\w-]*: )?(error|fatal)", line, re.I)]
    if errors:
        return errors[0][:300]
    return (lines[-1] if lines else f"exit code {rc}")[:300]


def compile_and_run(a, model_dir, lib, data, rtol, atol):
    """dnncc model_dir -o lib, then dnncc-run lib --data data; returns (status, error line),
    status 'pass', 'compile' (dnncc failed) or 'run' (dnncc-run failed or mismatched)."""
    rc, out = execute([a.dnncc, model_dir, f"--target={a.target}", "-o", lib])
    if rc != 0 or not os.path.isfile(lib):
        return "compile", error_line(out, rc)
    rc, out = execute([a.dnncc_run, lib, "--data", data, "--rtol", str(rtol), "--atol",
                       str(atol)])
    if rc != 0:
        return "run", error_line(out, rc)
    return "pass", ""


def read_unsupported(path):
    """{op: reason} from unsupported.txt (lines 'op  # reason'; '#' lines are comments)."""
    listed = {}
    for line in open(path):
        op, _, reason = line.partition("#")
        if op.strip():
            listed[op.strip()] = reason.strip()
    unknown = sorted(set(listed) - set(nnef_cases.STANDARD_OPS))
    if unknown:
        raise Failure(f"{path} lists ops that are not NNEF standard ops: {unknown}")
    return listed


def ops(a):
    work = os.path.abspath(a.work)
    cases_dir = os.path.join(work, "cases")
    os.makedirs(work, exist_ok=True)
    index = nnef_cases.generate(cases_dir, quiet=True)
    unsupported = read_unsupported(a.unsupported)
    libs = os.path.join(work, "libs")
    os.makedirs(libs, exist_ok=True)

    def one(c):
        d = os.path.join(cases_dir, c["name"])
        spec = json.load(open(os.path.join(d, "case.json")))
        status, error = compile_and_run(a, d, os.path.join(libs, f"lib{c['name']}.so"),
                                        os.path.join(d, "test_data_set_0"), spec["rtol"],
                                        spec["atol"])
        line = f"{'PASS' if status == 'pass' else 'FAIL'} {c['name']} ({c['op']})"
        print(line + (f": {status}: {error}" if error else ""), flush=True)
        return {"name": c["name"], "op": c["op"], "status": status, "error": error}

    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        results = list(pool.map(one, index["cases"]))

    by_op = {op: [] for op in nnef_cases.STANDARD_OPS}
    for r in results:
        by_op[r["op"]].append(r)
    passing = [op for op, rs in by_op.items() if rs and all(r["status"] == "pass" for r in rs)]
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump({"date": datetime.datetime.now(datetime.timezone.utc).strftime(
                       "%Y-%m-%d %H:%M UTC"),
                   "target": a.target, "generator": index["version"], "cases": results}, f,
                  indent=1)

    problems = []
    for op, rs in by_op.items():
        failed = [r for r in rs if r["status"] != "pass"]
        if failed and op not in unsupported:
            problems += [f"{r['name']} ({op}) fails: {r['status']}: {r['error']}" for r in failed]
        if not failed and op in unsupported:
            problems.append(f"{op} passes all its {len(rs)} cases: remove it from "
                            f"{a.unsupported}")
    total = len(nnef_cases.STANDARD_OPS)
    n_pass = sum(r["status"] == "pass" for r in results)
    print(f"\n{n_pass} of {len(results)} cases pass; {len(passing)} of {total} standard ops pass "
          f"all their cases ({100.0 * len(passing) / total:.1f}%); {len(unsupported)} ops listed "
          "as unsupported")
    if problems:
        raise Failure("\n  " + "\n  ".join(problems))


def file_hash(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def convert(model, out):
    """nnef_tools' ONNX -> NNEF conversion into the directory out; returns None or the
    converter's reason for failing."""
    if os.path.isfile(os.path.join(out, "graph.nnef")):
        return None
    rc, text = execute([sys.executable, "-m", "nnef_tools.convert", "--input-format", "onnx",
                        "--output-format", "nnef", "--input-model", model, "--output-model",
                        out, "--keep-io-names"])
    if rc == 0 and os.path.isfile(os.path.join(out, "graph.nnef")):
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reasons = [line for line in lines if re.search(
        r"error|unsupported|not supported|not implemented|dynamic shape", line, re.I)]
    reason = (reasons or lines or [f"exit code {rc}"])[-1]
    return reason if len(reason) <= 160 else reason[:160] + "..."


def zoo(a):
    zoo_dir = os.path.join(a.repo, "models", "zoo")
    names = a.models.split(",") if a.models else sorted(
        n for n in os.listdir(zoo_dir) if os.path.isfile(os.path.join(zoo_dir, n, "model.onnx")))
    if not names:
        raise Failure(f"no model in {zoo_dir}: run `.venv/bin/python models/export_zoo.py --out "
                      "models/zoo`")
    work = os.path.abspath(a.work)
    failed = []
    for name in names:
        model = os.path.join(zoo_dir, name, "model.onnx")
        if not os.path.isfile(model):
            raise Failure(f"{model} is missing")
        converted = os.path.join(work, "converted", f"{name}-{file_hash(model)}")
        reason = convert(model, converted)
        if reason:
            print(f"SKIP {name}: nnef_tools cannot convert it: {reason}", flush=True)
            continue
        if a.archive:
            packed = os.path.join(work, f"{name}.nnef.tgz")
            with tarfile.open(packed, "w:gz") as tar:
                tar.add(converted, arcname=f"{name}.nnef")
            converted = packed
        status, error = compile_and_run(a, converted, os.path.join(work, f"lib{name}.so"),
                                        os.path.join(zoo_dir, name, "test_data_set_0"),
                                        ZOO_RTOL, ZOO_ATOL)
        print(f"{'PASS' if status == 'pass' else 'FAIL'} {name}" +
              (f": {status}: {error}" if error else ""), flush=True)
        if status != "pass":
            failed.append(name)
    if failed:
        raise Failure(f"{len(failed)} of {len(names)} models fail: {', '.join(failed)}")


def quantized(a):
    work = os.path.abspath(a.work)
    model = os.path.join(work, "qnet")
    step = quantized_model.write(model)
    lib = os.path.join(work, "libqnet.so")
    data = os.path.join(model, "test_data_set_0")
    status, error = compile_and_run(a, model, lib, data, 0, step * 1.0001)
    if status != "pass":
        raise Failure(f"{status}: {error}")
    rc, out = execute([a.dnncc_run, lib, "--data", data, "--rtol", "0", "--atol", "1e-5"])
    m = re.search(r"mismatches (\d+)/(\d+)", out)
    if not m:
        raise Failure(f"no mismatch count in dnncc-run's output: {out[-300:]}")
    off, total = int(m.group(1)), int(m.group(2))
    print(f"{off} of {total} outputs one quantization step ({step}) off the reference")
    if off > total // 100:
        raise Failure(f"{off} of {total} outputs are a step off: more than rounding ties explain")
    rc, ir = execute([a.dnncc, model, f"--target={a.target}", "--emit=ir", "-o", "-"])
    integer_convs = len(re.findall(r"= conv\(.*: i32\[", ir))
    if rc != 0 or integer_convs != 2:
        raise Failure(f"expected both convs on the int8 path, found {integer_convs} with i32 "
                      "results")


def coverage_doc(a):
    results_path = os.path.join(a.work, "results.json")
    if not os.path.isfile(results_path):
        raise Failure(f"{results_path} is missing: run the ops command first")
    results = json.load(open(results_path))
    unsupported = read_unsupported(a.unsupported)
    by_op = {op: [] for op in nnef_cases.STANDARD_OPS}
    for r in results["cases"]:
        by_op[r["op"]].append(r)
    passing = [op for op, rs in by_op.items() if rs and all(r["status"] == "pass" for r in rs)]
    total = len(nnef_cases.STANDARD_OPS)
    lines = [SECTION, "",
             "<!-- Generated by tests/nnef/nnef_tests.py coverage-doc; do not edit. -->",
             f"Generated by `tests/nnef/nnef_tests.py --target {results['target']} ops` from the "
             f"run of {results['date']}: {len(passing)} of {total} NNEF 1.0 standard operations "
             f"({100.0 * len(passing) / total:.1f}%) pass all their cases. The cases are "
             "tests/nnef/nnef_cases.py's; an op is *unsupported* when one of its cases fails, "
             "with the reason given in tests/nnef/unsupported.txt.", "",
             "| op | status | cases passing / cases |", "|---|---|---|"]
    for op, rs in by_op.items():
        n = sum(r["status"] == "pass" for r in rs)
        if op in passing:
            status = "supported"
        else:
            reason = unsupported.get(op) or next(
                (f"{r['status']}: {r['error']}" for r in rs if r["status"] != "pass"), "no case")
            status = "unsupported: " + reason.replace("|", "\\|")
        lines.append(f"| {op} | {status} | {n} / {len(rs)} |")
    section = "\n".join(lines) + "\n"
    text = open(a.file).read() if os.path.exists(a.file) else ""
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + ("\n\n" if text.strip() else "") + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end:] if end >= 0 else "")
    with open(a.file, "w") as f:
        f.write(text)
    print(f"wrote the section '{SECTION}' of {a.file}")


def main():
    repo = os.path.abspath(os.path.join(HERE, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dnncc", default=os.path.join(repo, "build", "bin", "dnncc"))
    ap.add_argument("--dnncc-run", default=os.path.join(repo, "build", "bin", "dnncc-run"))
    ap.add_argument("--target", default="x86-64")
    ap.add_argument("--repo", default=repo)
    ap.add_argument("--unsupported", default=os.path.join(HERE, "unsupported.txt"),
                    help="the ops expected to fail (lines 'op  # reason')")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ops")
    p.add_argument("work")
    p.add_argument("--jobs", type=int, default=2, help="cases compiled and run at once")
    p = sub.add_parser("zoo")
    p.add_argument("work")
    p.add_argument("--models", help="comma-separated zoo model names (default: all)")
    p.add_argument("--archive", action="store_true", help="compile the models as .tgz archives")
    sub.add_parser("quantized").add_argument("work")
    p = sub.add_parser("coverage-doc")
    p.add_argument("file")
    p.add_argument("--work", required=True, help="the WORK directory of an ops run")
    a = ap.parse_args()
    a.repo = os.path.abspath(a.repo)
    return dispatch({"ops": ops, "zoo": zoo, "quantized": quantized,
                     "coverage-doc": coverage_doc}, a)


if __name__ == "__main__":
    sys.exit(main())
