#!/usr/bin/env python3
"""The ONNX backend test suite of the pinned onnx release (requirements.txt) against dnncc.

Every case of the folders node, simple, pytorch-converted and pytorch-operator (a model.onnx and
test_data_set_*/{input,output}_N.pb) is compiled once with `dnncc --target=T -j1` and every data
set is checked with `dnncc-run --data`. Cases of the training domain (ai.onnx.preview.training)
are left out. Outcomes:
  pass         every data set matches
  fail         wrong numbers (dnncc-run exit 2) or a runtime error (exit 1)
  unsupported  dnncc rejected the model with its `error: ...` line (exit 1)
  crash        a dnncc bug: a signal, an exit code other than 0/1, a timeout (hang), an
               `internal error:`, or a rejection without exactly one `error:` line
Everything that does not pass counts as failed in the closing line `N passed, M failed`.

Data: the onnx 1.23.2 wheel no longer ships the node cases' data (1.20.1's did; its backend runner
now builds them in memory from onnx/backend/test/case/node). This script writes them once with
the release's own writer (onnx.backend.test.cmd_tools; deterministic, each case seeds numpy with
0, byte-identical to onnx's checked-in data) into build/conformance-data/onnx/node, rewritten
when the onnx version changes. The other three folders are read from the onnx
package itself. No network is needed.

Tolerances: rtol 1e-3 / atol 1e-7, the TestCase defaults of onnx/backend/test/case/node and
case/model and of onnx/backend/test/loader (load_model_tests). The only overrides the onnx runner
applies are taken over: a case's data.json rtol/atol (loader/__init__.py, load_model_tests; no
case of these four folders has one in onnx 1.23.2) and rtol = max(rtol, 2**-6) for bfloat16
outputs (runner/__init__.py, assert_similar_outputs: "Two bfloat16 ULPs"). dnncc-run takes one
rtol per run, so the bfloat16 rule widens the whole case.

Compiles are cached under --cache (default build/conformance-cache/<target>) by the sha256 of
model.onnx, of the dnncc binary (and the runtime archives next to it), the target and the
--input-shape arguments, so a rerun only runs dnncc-run.

Expected failures: --xfail FILE lists the cases expected not to pass (`name  # reason`). Exit
status 1 when a case not on the list does not pass (a regression) or a case on the list passes
(remove it from the list); 0 otherwise. --update-xfail rewrites FILE from this run (entries of
cases outside --only or --subset are kept). --subset op-types runs one case per distinct set of
op types and input element types (the default CTest run of the emulated targets; the whole suite
is CTest's label `full`). --report-ops FILE writes the operator table (docs/operators.md).
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import onnx
from onnx import TensorProto

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ONNX_DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
FOLDERS = ("node", "simple", "pytorch-converted", "pytorch-operator")
TRAINING_DOMAIN = "ai.onnx.preview.training"
DEFAULT_RTOL, DEFAULT_ATOL = 1e-3, 1e-7  # onnx/backend/test/case/node/__init__.py (expect)
BF16_RTOL = 2.0**-6  # onnx/backend/test/runner/__init__.py (assert_similar_outputs)
# Per-case tolerance overrides: onnx's own runner declares none for these folders beyond the two
# rules above (data.json, bfloat16), so this table is empty. Add a row only with a citation.
TOLERANCE_OVERRIDES: dict[str, tuple[float, float]] = {}
DTYPE_NAMES = {v: k.lower() for k, v in TensorProto.DataType.items()}


# ----------------------------------------------------------------------------------------------
# Test data


def ensure_node_data(data_root: str) -> str:
    """Writes the node cases of the installed onnx into data_root/node once; returns that dir.

    Several runs may start at once on a fresh build tree (CTest runs the targets' suites in
    parallel): an exclusive lock on data_root/.lock makes one of them write the data while the
    others wait for it, and re-check the stamp once they hold the lock.
    """
    import fcntl

    node_dir = os.path.join(data_root, "node")
    stamp = os.path.join(data_root, "STAMP")
    want = f"onnx {onnx.__version__}\n"

    def current() -> bool:
        return os.path.isdir(node_dir) and os.path.exists(stamp) and open(stamp).read() == want

    if current():
        return node_dir
    os.makedirs(data_root, exist_ok=True)
    with open(os.path.join(data_root, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not current():
            write_node_data(data_root, node_dir, stamp, want)
    return node_dir


def write_node_data(data_root: str, node_dir: str, stamp: str, want: str) -> None:
    """Generates the node cases into data_root/tmp, then moves them to node_dir and stamps."""
    import argparse as _argparse

    import onnx.backend.test.case.node as node_cases
    import onnx.backend.test.cmd_tools as cmd_tools

    t0 = time.time()
    tmp = os.path.join(data_root, "tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    # cmd_tools.generate_data writes model.onnx + test_data_set_* exactly as onnx's checked-in
    # data; in 1.23 it only collects the model cases, so hand it the node cases instead.
    cmd_tools.model_test.collect_testcases = node_cases.collect_testcases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import numpy as np

        with np.errstate(all="ignore"):
            cmd_tools.generate_data(_argparse.Namespace(output=tmp))
    if os.path.exists(stamp):
        os.remove(stamp)  # a run stopped from here on leaves no stamp: the next one rewrites
    shutil.rmtree(node_dir, ignore_errors=True)
    os.replace(os.path.join(tmp, "node"), node_dir)
    os.rmdir(tmp)
    with open(stamp, "w") as f:
        f.write(want)
    n = len(os.listdir(node_dir))
    print(f"wrote {n} node cases of onnx {onnx.__version__} to {node_dir} "
          f"in {time.time() - t0:.1f} s", flush=True)


def discover(folder_dirs: dict[str, str], only: re.Pattern | None) -> list[dict]:
    cases, seen = [], {}
    for folder, d in folder_dirs.items():
        for name in sorted(os.listdir(d)):
            cdir = os.path.join(d, name)
            if not os.path.isfile(os.path.join(cdir, "model.onnx")):
                continue
            if name in seen:  # names are unique across the four folders today; stay unique
                name = f"{folder}/{name}"
            if only and not only.search(name):
                continue
            seen[name] = folder
            cases.append({"name": name, "folder": folder, "dir": cdir})
    return cases


def op_type_subset(cases: list[dict]) -> list[dict]:
    """The first case (in discovery order) of every distinct pair (set of op types of the model,
    including its subgraphs; set of graph-input element types): about a third of the suite that
    still runs every operator with every input type it is tested with. What the default CTest run
    uses for the targets that run under emulation (--subset op-types)."""
    seen, out = set(), []
    for c in cases:
        model = onnx.load(os.path.join(c["dir"], "model.onnx"), load_external_data=False)
        ops = frozenset((n.domain, n.op_type) for n in walk_nodes(model.graph))
        types = frozenset(i.type.tensor_type.elem_type for i in model.graph.input)
        if (ops, types) not in seen:
            seen.add((ops, types))
            out.append(c)
    return out


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def walk_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from walk_nodes(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from walk_nodes(g)


def is_default_domain(domain: str) -> bool:
    return domain in ("", "ai.onnx")


def model_info(case: dict) -> dict:
    """Reads what the runner needs from model.onnx: domains, ops, opset, inputs, data sets."""
    path = os.path.join(case["dir"], "model.onnx")
    model = onnx.load(path, load_external_data=False)
    domains = {o.domain for o in model.opset_import}
    nodes = list(walk_nodes(model.graph))
    for f in model.functions:
        nodes += list(f.node)
    domains |= {n.domain for n in nodes}
    opset = next((o.version for o in model.opset_import if is_default_domain(o.domain)), None)
    ops = sorted({n.op_type for n in walk_nodes(model.graph) if is_default_domain(n.domain)})
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    data_sets = sorted((d for d in os.listdir(case["dir"]) if d.startswith("test_data_set_")),
                       key=lambda d: int(d.rsplit("_", 1)[1]))
    return {"model": model, "training": TRAINING_DOMAIN in domains, "opset": opset, "ops": ops,
            "inputs": inputs, "data_sets": data_sets, "sha": sha256_file(path)}


def has_symbolic_dims(vi) -> bool:
    t = vi.type
    if not t.HasField("tensor_type"):
        return False
    if not t.tensor_type.HasField("shape"):
        return True
    return any(not d.HasField("dim_value") for d in t.tensor_type.shape.dim)


def read_tensor(path: str) -> TensorProto | None:
    t = TensorProto()
    try:
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
    except Exception:  # a SequenceProto / OptionalProto / MapProto, not a tensor
        return None
    return t


def input_shape_args(info: dict, ds_dir: str) -> list[str]:
    """--input-shape NAME=AxB for every input with symbolic dims, from the data set's input_N.pb."""
    args = []
    files = {}
    j = 0
    while os.path.exists(os.path.join(ds_dir, f"input_{j}.pb")):
        t = read_tensor(os.path.join(ds_dir, f"input_{j}.pb"))
        if t is not None:
            files[t.name or j] = t
        j += 1
    for idx, vi in enumerate(info["inputs"]):
        if not has_symbolic_dims(vi):
            continue
        t = files.get(vi.name, files.get(idx))
        if t is None:
            continue
        args.append(f"--input-shape={vi.name}=" + "x".join(str(d) for d in t.dims))
    return args


def tolerances(case: dict, ds_dir: str) -> tuple[float, float]:
    rtol, atol = DEFAULT_RTOL, DEFAULT_ATOL
    dj = os.path.join(case["dir"], "data.json")
    if os.path.exists(dj):  # onnx/backend/test/loader/__init__.py: load_model_tests
        with open(dj) as f:
            data = json.load(f)
        rtol, atol = data.get("rtol", rtol), data.get("atol", atol)
    rtol, atol = TOLERANCE_OVERRIDES.get(case["name"], (rtol, atol))
    j = 0
    while os.path.exists(os.path.join(ds_dir, f"output_{j}.pb")):
        t = read_tensor(os.path.join(ds_dir, f"output_{j}.pb"))
        if t is not None and t.data_type == TensorProto.BFLOAT16:
            rtol = max(rtol, BF16_RTOL)
        j += 1
    return rtol, atol


# ----------------------------------------------------------------------------------------------
# Compile and run


class Runner:
    def __init__(self, a):
        self.a = a
        self.env = dict(os.environ)
        self._snapshot_tools()

    def _snapshot_tools(self):
        """Copies dnncc, dnncc-run and the runtime archives they find next to themselves
        (<bin>/../lib/dnncc) into the cache and runs only the copies, so that a rebuild of build/
        during a run cannot mix two compilers in one run or under one cache key. The compile key
        hashes the copied dnncc, its runtime archives and the target (not dnncc-run)."""
        tmp = tempfile.mkdtemp(prefix="toolchain.", dir=self.a.cache)
        os.makedirs(os.path.join(tmp, "bin"))
        for tool in (self.a.dnncc, self.a.dnncc_run):
            shutil.copy2(tool, os.path.join(tmp, "bin", os.path.basename(tool)))
        libdir = os.path.join(os.path.dirname(os.path.dirname(self.a.dnncc)), "lib", "dnncc")
        if os.path.isdir(libdir):
            shutil.copytree(libdir, os.path.join(tmp, "lib", "dnncc"))
        dnncc = os.path.join(tmp, "bin", os.path.basename(self.a.dnncc))
        dnncc_run = os.path.join(tmp, "bin", os.path.basename(self.a.dnncc_run))
        h = hashlib.sha256(sha256_file(dnncc).encode())
        if os.path.isdir(os.path.join(tmp, "lib", "dnncc")):
            for f in sorted(os.listdir(os.path.join(tmp, "lib", "dnncc"))):
                h.update(f.encode() + sha256_file(os.path.join(tmp, "lib", "dnncc", f)).encode())
        h.update(self.a.target.encode())
        if os.path.isfile(self.a.target):  # a target .json file
            h.update(sha256_file(self.a.target).encode())
        self.toolchain_sha = h.hexdigest()
        snap_id = hashlib.sha256((self.toolchain_sha + sha256_file(dnncc_run)).encode())
        snap = os.path.join(self.a.cache, "toolchain-" + snap_id.hexdigest()[:16])
        if os.path.isdir(snap):
            shutil.rmtree(tmp)
        else:
            try:
                os.replace(tmp, snap)
            except OSError:  # a concurrent run made the same snapshot
                shutil.rmtree(tmp, ignore_errors=True)
        # Compiles live under one directory per compiler; drop earlier compilers' entries.
        self.entries = os.path.join(self.a.cache, "compiles-" + self.toolchain_sha[:16])
        os.makedirs(self.entries, exist_ok=True)
        for old in os.listdir(self.a.cache):
            path = os.path.join(self.a.cache, old)
            if old.startswith(("toolchain-", "compiles-")) and path not in (snap, self.entries):
                shutil.rmtree(path, ignore_errors=True)
        self.dnncc = os.path.join(snap, "bin", os.path.basename(self.a.dnncc))
        self.dnncc_run = os.path.join(snap, "bin", os.path.basename(self.a.dnncc_run))

    def compile(self, case: dict, info: dict, shape_args: list[str]) -> dict:
        key = hashlib.sha256("\n".join([info["sha"], self.toolchain_sha, *shape_args]).encode())
        key = key.hexdigest()[:32]
        entry = os.path.join(self.entries, key[:2], key)
        meta = os.path.join(entry, "compile.json")
        if os.path.exists(meta):
            with open(meta) as f:
                res = json.load(f)
            res["cached"] = True
            # the entry may come from another case with the same model: name this case's file
            model = os.path.join(case["dir"], "model.onnx")
            res["stderr"] = res["stderr"].replace(res["model"], model)
            res["cmd"] = res["cmd"].replace(res["model"], model)
            return res
        os.makedirs(os.path.dirname(entry), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=key + ".", dir=os.path.dirname(entry))
        cmd = [self.dnncc, os.path.join(case["dir"], "model.onnx"), f"--target={self.a.target}",
               "-j1", "-o", os.path.join(tmp, "libcase.so"), *shape_args]
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                               timeout=self.a.compile_timeout, env=self.env)
            rc, stderr = p.returncode, p.stderr
        except subprocess.TimeoutExpired as e:
            rc = "timeout"
            stderr = (e.stderr or b"").decode(errors="replace") if isinstance(
                e.stderr, bytes) else (e.stderr or "")
        res = {"rc": rc, "stderr": stderr[-4000:], "seconds": round(time.time() - t0, 2),
               "cmd": cmd_for_report([self.a.dnncc, *cmd[1:]], tmp, "/tmp"),
               "model": cmd[1]}
        if rc == "timeout":  # a hang is not cached: machines differ in speed
            shutil.rmtree(tmp, ignore_errors=True)
            res["cached"] = False
            return res
        with open(os.path.join(tmp, "compile.json"), "w") as f:
            json.dump(res, f)
        try:
            os.replace(tmp, entry)
        except OSError:  # another worker or run got there first
            shutil.rmtree(tmp, ignore_errors=True)
        res["cached"] = False
        res["lib"] = os.path.join(entry, "libcase.so")
        return res

    def run_case(self, case: dict) -> dict:
        t0 = time.time()
        try:
            info = model_info(case)
        except Exception as e:  # noqa: BLE001 - a model onnx itself cannot read
            return {"outcome": "fail", "reason": f"runner could not read the model: {e}"}
        case["opset"], case["ops"] = info["opset"], info["ops"]
        if info["training"]:
            return {"outcome": "skip"}
        if not info["data_sets"]:
            return {"outcome": "skip"}
        r = {"outcome": "pass", "reason": "", "compile_s": 0.0, "cached": True}
        for ds in info["data_sets"]:
            ds_dir = os.path.join(case["dir"], ds)
            shape_args = input_shape_args(info, ds_dir)
            c = self.compile(case, info, shape_args)
            r["cached"] &= c["cached"]
            r["compile_s"] += 0.0 if c["cached"] else c["seconds"]
            r["compile_cmd"] = c["cmd"]
            bad = classify_compile(c)
            if bad:
                r.update(bad)
                break
            lib = c.get("lib") or os.path.join(self._entry_of(info, shape_args), "libcase.so")
            rtol, atol = tolerances(case, ds_dir)
            cmd = [self.dnncc_run, lib, "--data", ds_dir, "--rtol", repr(rtol),
                   "--atol", repr(atol)]
            r["run_cmd"] = " ".join([self.a.dnncc_run, *cmd[1:]])
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                   timeout=self.a.run_timeout, env=self.env)
            except subprocess.TimeoutExpired:
                r.update(outcome="fail", reason=f"runtime error: {ds}: dnncc-run timed out "
                         f"after {self.a.run_timeout} s")
                break
            if p.returncode == 0:
                continue
            if p.returncode == 2:
                worst = [ln.strip() for ln in p.stdout.splitlines()
                         if "ok" not in ln.split() and not ln.startswith("device:")]
                r.update(outcome="fail", reason="wrong numbers",
                         detail=f"{ds}: " + "; ".join(worst)[:300])
            elif p.returncode == 1:
                line = first_error_line(p.stderr) or "exit 1 without an error line"
                r.update(outcome="fail", reason=f"runtime error: {line[:200]}", detail=ds)
            else:  # the model library (or dnncc-run) crashed
                how = (f"signal {-p.returncode}" if p.returncode < 0 else
                       f"exit {p.returncode}")
                r.update(outcome="crash", reason=f"dnncc-run died: {how}", bug=f"run {how}",
                         detail=f"{ds}: {p.stderr.strip()[-300:]}")
            break
        r["seconds"] = round(time.time() - t0, 2)
        return r

    def _entry_of(self, info, shape_args):
        key = hashlib.sha256("\n".join([info["sha"], self.toolchain_sha, *shape_args]).encode())
        key = key.hexdigest()[:32]
        return os.path.join(self.entries, key[:2], key)


def cmd_for_report(cmd, tmp, placeholder):
    return " ".join(c.replace(tmp, placeholder) for c in cmd)


def first_error_line(stderr: str) -> str:
    for ln in stderr.splitlines():
        if ln.startswith("error:") or ln.startswith("internal error:"):
            return ln.strip()
    return ""


def classify_compile(c: dict) -> dict | None:
    """None when the compile succeeded; else the outcome and reason of the case."""
    rc, stderr = c["rc"], c["stderr"]
    if rc == 0:
        return None
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
    if rc == "timeout":
        return {"outcome": "crash", "reason": "dnncc hung (timeout)", "bug": "hang"}
    if isinstance(rc, int) and rc < 0:
        return {"outcome": "crash", "reason": f"dnncc died with signal {-rc}",
                "bug": f"signal {-rc}", "detail": stderr.strip()[-300:]}
    if rc != 1:
        return {"outcome": "crash", "reason": f"dnncc exit code {rc}", "bug": f"exit {rc}",
                "detail": stderr.strip()[-300:]}
    if "internal error" in stderr:
        line = next(ln for ln in stderr.splitlines() if "internal error" in ln)
        return {"outcome": "crash", "reason": line.strip()[:200], "bug": "internal error",
                "error": line.strip()}
    if len(errors) != 1:
        # docs/usage.md: a failed import prints every problem of the model, one line each
        # (as --check does); the first line is the reason, all lines count for the op summary.
        if errors:
            return {"outcome": "unsupported", "reason": errors[0].strip(),
                    "errors": [e.strip() for e in errors]}
        return {"outcome": "crash", "reason": "dnncc exit 1 without an error line",
                "bug": "no error line", "detail": stderr.strip()[-300:]}
    return {"outcome": "unsupported", "reason": errors[0].strip(), "error": errors[0].strip()}


# ----------------------------------------------------------------------------------------------
# Reasons, the xfail list and the operator report


UNSUPPORTED_OP = re.compile(r"unsupported op '([^']+)'")


def short_reason(r: dict) -> str:
    if r["outcome"] == "unsupported":
        m = UNSUPPORTED_OP.search(r["reason"])
        if m:
            return f"unsupported op {m.group(1)}"
        # drop "error: FILE: " to keep the node and the message
        msg = re.sub(r"^error: [^:]*model\.onnx: ", "", r["reason"])
        msg = re.sub(r"node '[^']*' ", "", msg)  # a node's name or #index is noise here
        return "rejected: " + msg[:140]
    if r["reason"] == "wrong numbers" and r.get("detail"):
        bad = re.findall(r"output '([^']*)'.*?mismatches (\d+/\d+)", r["detail"])
        return "wrong numbers: " + ", ".join(f"output '{o}' {m} mismatch" for o, m in bad[:3])
    return r["reason"][:160]


def check_parity(a, ran: list, n_pass: int) -> int:
    """Compares this run's pass count with another target's, whose passes are the cases of this
    run missing from its expected-failure list (--parity FILE). Returns 1 when this target trails
    by more than --max-gap percentage points (issue: ARM within 2 pp of x86-64)."""
    other = read_xfail(a.parity)
    n_other = sum(1 for c in ran if c["name"] not in other)
    gap = 100.0 * (n_other - n_pass) / max(1, len(ran))
    verdict = "ok" if gap <= a.max_gap else "FAIL"
    print(f"parity: {n_pass} passed here, {n_other} by {os.path.relpath(a.parity)}: "
          f"{gap:+.2f} pp behind (at most {a.max_gap} allowed): {verdict}")
    return 0 if gap <= a.max_gap else 1


def read_xfail(path: str) -> dict[str, str]:
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for ln in f:
            body, _, reason = ln.partition("#")
            name = body.strip()
            if name:
                out[name] = reason.strip()
    return out


def write_xfail(path: str, a, results: dict, cases: list, previous: dict[str, str]):
    ran = {c["name"] for c in cases}
    entries = {n: r for n, r in previous.items() if n not in ran}
    for c in cases:
        r = results[c["name"]]
        if r["outcome"] not in ("pass", "skip"):
            entries[c["name"]] = short_reason(r)
    # An --only run updates some entries of the list and keeps the subset it was made from.
    subset = a.subset
    if subset == "all" and a.only and os.path.exists(path):
        with open(path) as old:
            subset = next((ln.split(":", 1)[1].strip() for ln in old
                           if ln.startswith("# subset:")), "all")
    with open(path, "w") as f:
        f.write(f"# Expected failures of the ONNX backend test suite (onnx {onnx.__version__}) on "
                f"target {a.target}.\n# Generated by `tests/conformance/run_suite.py --target "
                f"{a.target} --update-xfail`; one case a line: NAME  # reason.\n# A case that "
                "starts passing must be removed (the suite fails until it is).\n")
        if subset != "all":  # read by write_ops_report: only these cases ran
            f.write(f"# subset: {subset}\n")
        for n in sorted(entries):
            f.write(f"{n}  # {entries[n]}\n")


def compress(nums) -> str:
    nums = sorted(set(nums))
    parts, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else f"{nums[i]}–{nums[j]}")
        i = j + 1
    return ", ".join(parts)


def case_dtypes(case: dict) -> dict[str, set[str]]:
    """Element types of each default-domain op's inputs and outputs (after shape inference)."""
    model = onnx.load(os.path.join(case["dir"], "model.onnx"), load_external_data=False)
    try:
        model = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - fall back to the declared types
        pass
    types = {}
    g = model.graph
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
            types[vi.name] = vi.type.tensor_type.elem_type
    for t in g.initializer:
        types[t.name] = t.data_type
    out = collections.defaultdict(set)
    for n in walk_nodes(g):
        if not is_default_domain(n.domain):
            continue
        for v in list(n.input) + list(n.output):
            if v in types:
                out[n.op_type].add(DTYPE_NAMES.get(types[v], str(types[v])))
    return out


def op_version(op: str, opset: int | None) -> int | None:
    if opset is None:
        return None
    try:
        return onnx.defs.get_schema(op, opset, "").since_version
    except Exception:  # noqa: BLE001
        return None


def write_ops_report(path: str, a, cases: list, results: dict, started: str):
    rows = collections.defaultdict(lambda: {"total": 0, "pass": 0, "opsets": set(),
                                            "versions": set(), "dtypes": set(),
                                            "unsupported": collections.Counter(),
                                            "cases": []})
    # The other targets' columns come from their expected-failure lists, which CI enforces.
    # A list made from a subset run (header line "# subset: op-types") counts only that subset.
    others, ran_by = {}, {}
    all_names = {c["name"] for c in cases if results[c["name"]]["outcome"] != "skip"}
    for f in sorted(glob.glob(os.path.join(REPO, "tests", "conformance", "xfail-*.txt"))):
        t = os.path.basename(f)[len("xfail-"):-len(".txt")]
        if t != a.target:
            others[t] = read_xfail(f)
            subset = "op-types" if "# subset: op-types" in open(f).read() else "all"
            ran_by[t] = all_names & ({c["name"] for c in op_type_subset(cases)}
                                     if subset == "op-types" else all_names)
    for c in cases:
        r = results[c["name"]]
        if r["outcome"] == "skip" or "ops" not in c:
            continue
        dt = case_dtypes(c) if r["outcome"] == "pass" else {}
        for op in c["ops"]:
            row = rows[op]
            row["total"] += 1
            row["cases"].append(c["name"])
            if r["outcome"] == "pass":
                row["pass"] += 1
                if c["opset"] is not None:
                    row["opsets"].add(c["opset"])
                    v = op_version(op, c["opset"])
                    if v is not None:
                        row["versions"].add(v)
                row["dtypes"] |= dt.get(op, set())
            else:  # why: from the cases that fail on this op or contain nothing else
                lines = r.get("errors", [r.get("reason", "")])
                mine = [e for e in lines if f"({op}, opset" in e]
                if mine or c["ops"] == [op]:
                    why = short_reason(dict(r, reason=(mine or lines)[0]))
                    row["unsupported"][re.sub(r", opset \d+\)", ")", why)] += 1
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    n_pass = sum(1 for c in cases if results[c["name"]]["outcome"] == "pass")
    n_all = sum(1 for c in cases if results[c["name"]]["outcome"] != "skip")
    with open(path, "w") as f:
        f.write("# ONNX operators in the conformance suite\n\n")
        try:
            commit = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                    capture_output=True, text=True).stdout.strip()
        except OSError:
            commit = ""
        f.write("<!-- Generated by tests/conformance/run_suite.py --report-ops; do not edit. -->\n"
                f"Generated by `tests/conformance/run_suite.py --target {a.target} --report-ops` "
                f"from the run of {started} (target `{a.target}`, onnx {onnx.__version__} backend "
                f"test data: {', '.join(a.folders)}; dnncc of commit {commit or '?'}; "
                f"{n_pass} of {n_all} cases passed).\n\n")
        f.write("One row per operator of the default ONNX domain that occurs in a case of the "
                "suite "
                "(in any node of the model, subgraphs included). *Cases* counts the cases whose "
                "model contains the op, and how many of them pass on the target; a case passes "
                "only when all its ops do. *Opsets* are the opset imports of the passing cases "
                "and *op versions* the operator versions (schema `since_version`) they select: "
                "together the opset range dnncc is known to support for the op. *Dtypes* are the "
                "element types of the op's inputs and outputs in the passing cases. A blank "
                "means no passing case. *Most common failures* are taken from the failing cases "
                "whose error names the op or whose model has no other op. See "
                "tests/conformance/xfail-"
                f"{a.target}.txt for why each other case fails.")
        if others:
            f.write(" The columns *passing on T* count the cases of the op that T's run covers "
                    "and tests/conformance/xfail-T.txt, the expected-failure list checked for "
                    "target T, does not list, as *passing / run*: " + ", ".join(
                        f"{t}: {len(ran_by[t] - set(xf))} of {len(ran_by[t])}"
                        for t, xf in others.items()) + " cases in all (a run of a subset, such "
                    "as --subset op-types, covers only its cases).")
        f.write("\n\n| op | passing / cases | "
                + "".join(f"passing on {t} | " for t in others)
                + "opsets (passing) | op versions (passing) | dtypes (passing) | "
                "most common failures (cases) |\n|---|---|"
                + "---|" * len(others) + "---|---|---|---|\n")
        for op in sorted(rows, key=str.lower):
            row = rows[op]
            why = "; ".join(f"{k} ({v})" for k, v in row["unsupported"].most_common(2))
            other_cols = "".join(
                f"{sum(1 for n in row['cases'] if n in ran_by[t] and n not in xf)} / "
                f"{sum(1 for n in row['cases'] if n in ran_by[t])} | " for t, xf in others.items())
            f.write(f"| {op} | {row['pass']} / {row['total']} | {other_cols}"
                    f"{compress(row['opsets'])} | "
                    f"{compress(row['versions'])} | {', '.join(sorted(row['dtypes']))} | "
                    f"{why.replace('|', '/')} |\n")
    print(f"wrote {path} ({len(rows)} operators)")


# ----------------------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", required=True)
    p.add_argument("--dnncc", default=os.path.join(REPO, "build", "bin", "dnncc"))
    p.add_argument("--dnncc-run", default=os.path.join(REPO, "build", "bin", "dnncc-run"))
    p.add_argument("--jobs", type=int, default=2, help="cases in parallel (default 2)")
    p.add_argument("--cache", help="compile cache (default build/conformance-cache/<target>)")
    p.add_argument("--data", help="where the node cases of the installed onnx are written, "
                   "once per onnx version (default build/conformance-data/onnx)")
    p.add_argument("--only", help="run only cases whose name matches this regex")
    p.add_argument("--folders", default=",".join(FOLDERS))
    p.add_argument("--subset", choices=("all", "op-types"), default="all",
                   help="all cases (default), or op-types: one case per distinct set of op types "
                   "and input element types (about a third of the suite)")
    p.add_argument("--xfail", help="expected-failure list (tests/conformance/xfail-<target>.txt)")
    p.add_argument("--parity", metavar="FILE",
                   help="another target's expected-failure list: fail when this target passes "
                   "more than --max-gap percentage points fewer cases, counted over the cases "
                   "this run ran (not with --only)")
    p.add_argument("--max-gap", type=float, default=2.0, help="see --parity (default 2)")
    p.add_argument("--update-xfail", action="store_true",
                   help="rewrite the --xfail list (default tests/conformance/xfail-<target>.txt) "
                   "from this run")
    p.add_argument("--report-ops", metavar="FILE", help="write the operator table to FILE")
    p.add_argument("--json", metavar="FILE", help="write every case's result to FILE")
    p.add_argument("--compile-timeout", type=float, default=600)
    p.add_argument("--run-timeout", type=float, default=300)
    a = p.parse_args()
    a.folders = [f for f in a.folders.split(",") if f]
    a.dnncc, a.dnncc_run = os.path.abspath(a.dnncc), os.path.abspath(a.dnncc_run)
    for tool in (a.dnncc, a.dnncc_run):
        if not os.access(tool, os.X_OK):
            print(f"error: {tool}: not found (build it with scripts/build.sh)", file=sys.stderr)
            return 1
    a.cache = os.path.abspath(a.cache or os.path.join(REPO, "build", "conformance-cache",
                                                      a.target.replace("/", "_")))
    a.data = os.path.abspath(a.data or os.path.join(REPO, "build", "conformance-data", "onnx"))
    if a.update_xfail and not a.xfail:
        a.xfail = os.path.join(REPO, "tests", "conformance", f"xfail-{a.target}.txt")
    os.makedirs(a.cache, exist_ok=True)
    started = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    t0 = time.time()

    folder_dirs = {}
    for folder in a.folders:
        if folder == "node":
            folder_dirs[folder] = ensure_node_data(a.data)
        else:
            folder_dirs[folder] = os.path.join(ONNX_DATA, folder)
    only = re.compile(a.only) if a.only else None
    cases = discover(folder_dirs, only)
    n_all = len(cases)
    if a.subset == "op-types":
        cases = op_type_subset(cases)
    print(f"onnx {onnx.__version__} backend tests: {len(cases)} cases "
          f"({', '.join(a.folders)}{'' if a.subset == 'all' else f'; subset {a.subset} of {n_all}'})"
          f" for target {a.target}, {a.jobs} jobs", flush=True)

    runner = Runner(a)
    results: dict[str, dict] = {}
    lock = threading.Lock()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futures = {ex.submit(runner.run_case, c): c for c in cases}
        for fut in concurrent.futures.as_completed(futures):
            c = futures[fut]
            try:
                r = fut.result()
            except Exception as e:  # noqa: BLE001 - a runner bug must not hide other cases
                r = {"outcome": "fail", "reason": f"runner error: {type(e).__name__}: {e}"}
            with lock:
                results[c["name"]] = r
            if r["outcome"] not in ("pass", "skip"):
                extra = f" [{r['detail']}]" if r.get("detail") else ""
                print(f"{r['outcome'].upper():11s} {c['name']}: {r['reason']}{extra}", flush=True)

    wall = time.time() - t0
    ran = [c for c in cases if results[c["name"]]["outcome"] != "skip"]
    by_outcome = collections.Counter(results[c["name"]]["outcome"] for c in cases)
    n_pass = by_outcome["pass"]
    n_fail = len(ran) - n_pass

    # Summary: by outcome, by folder, unsupported ops, bugs.
    print()
    print(f"summary ({a.target}, onnx {onnx.__version__}, {wall:.0f} s, "
          f"{sum(1 for c in ran if not results[c['name']].get('cached', True))} compiles, "
          f"{by_outcome['skip']} training-domain cases skipped):")
    for o in ("pass", "fail", "unsupported", "crash"):
        print(f"  {o:12s} {by_outcome[o]}")
    print("  by folder:   " + "; ".join(
        f"{f}: " + ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(
            results[c["name"]]["outcome"] for c in ran if c["folder"] == f).items()))
        for f in a.folders if any(c["folder"] == f for c in ran)))
    unsup = collections.Counter()  # cases per unsupported op, from every error line of a case
    for c in ran:
        r = results[c["name"]]
        if r["outcome"] == "unsupported":
            unsup.update({m for e in r.get("errors", [r["reason"]])
                          for m in UNSUPPORTED_OP.findall(e)})
    if unsup:
        print("  unsupported ops by cases: " + ", ".join(f"{k} {v}" for k, v in unsup.most_common(
            20)) + (f" (+{len(unsup) - 20} more ops)" if len(unsup) > 20 else ""))
    other = collections.Counter(
        short_reason(results[c["name"]])
        for c in ran if results[c["name"]]["outcome"] == "unsupported"
        and not UNSUPPORTED_OP.search(results[c["name"]]["reason"]))
    if other:
        print("  other rejections by cases: " + "; ".join(
            f"{k} ({v})" for k, v in other.most_common(10)))
    multi = sum(1 for c in ran if len(results[c["name"]].get("errors", [])) > 1)
    if multi:
        print(f"  {multi} rejected cases printed several error lines (one per problem, as "
              "docs/usage.md documents for a failed import)")
    bugs = [c for c in ran if results[c["name"]].get("bug")]
    if bugs:
        print(f"  dnncc bugs ({len(bugs)}): a crash, a hang, an internal error or a rejection "
              "without its error line; to reproduce:")
        for c in bugs:
            r = results[c["name"]]
            cmd = r.get("compile_cmd", "")
            if r["bug"].startswith("run "):
                cmd += " && " + r.get("run_cmd", "")
            print(f"    {c['name']}: {r['bug']}: {cmd}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"target": a.target, "onnx": onnx.__version__, "started": started,
                       "wall_s": round(wall, 1),
                       "cases": {c["name"]: dict(results[c["name"]], folder=c["folder"],
                                                 opset=c.get("opset"), ops=c.get("ops"))
                                 for c in cases}}, f, indent=1)

    if a.report_ops:
        write_ops_report(a.report_ops, a, cases, results, started)

    status = 0
    if a.update_xfail:
        previous = read_xfail(a.xfail)
        write_xfail(a.xfail, a, results, cases, previous)
        print(f"wrote {a.xfail}")
    elif a.xfail:
        xfail = read_xfail(a.xfail)
        if not os.path.exists(a.xfail):
            print(f"error: {a.xfail}: no such expected-failure list", file=sys.stderr)
            status = 1
        regressions = [c["name"] for c in ran
                       if results[c["name"]]["outcome"] != "pass" and c["name"] not in xfail]
        fixed = [c["name"] for c in ran
                 if results[c["name"]]["outcome"] == "pass" and c["name"] in xfail]
        for n in regressions:
            print(f"REGRESSION  {n}: {results[n]['reason']} (not in {a.xfail})")
        for n in fixed:
            print(f"NOW PASSES  {n}: remove it from {a.xfail}")
        if regressions or fixed:
            status = 1
            print(f"xfail: {len(regressions)} unexpected failures, {len(fixed)} unexpected passes"
                  f" (update the list with --update-xfail after checking)")
        else:
            print(f"xfail: all {n_fail} failures expected by {os.path.relpath(a.xfail)}")
    if a.parity and not only:
        status = max(status, check_parity(a, ran, n_pass))
    print(f"{n_pass} passed, {n_fail} failed")
    return status


if __name__ == "__main__":
    sys.exit(main())
