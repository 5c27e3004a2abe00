#!/usr/bin/env python3
"""tools.dnncc_zoo: dnncc-zoo run as a user's CI runs it, on a small zoo built from tinynet.

The zoo: `tinynet` (the model and its test data) and `tinynet_configured` (the same with a
dnncc-zoo.toml giving input shapes and tolerances), on x86-64 (native), rk3399 (qemu),
x86-64-opencl (PoCL) and nvidia-ampere (no CUDA driver here: compiled only, unless there is one).
Checks, in order:
  1. every cell is reported in the JSON, JUnit XML (one test case per cell) and markdown outputs,
     with the status this machine allows and compile time, library and arena sizes;
  2. a second run with --cache recompiles nothing, and reports the same statuses;
  3. --shard 1/2 and 2/2 together give exactly the cells of the unsharded run, no cell twice;
  4. injected regressions make it exit 1 and name the cell: a tolerance tightened to 0, a model
     file broken; a growth past --max-size-growth against a doctored baseline;
  5. expect_failure turns the broken model's failures into expected ones (exit 0), and skip
     skips a target.
  zoo_tool_test.py --zoo-tool PATH --work DIR --repo R"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

TARGETS = ["x86-64", "rk3399", "x86-64-opencl", "nvidia-ampere"]


class Failure(Exception):
    pass


def zoo_tool(a, *args, expect=0):
    cmd = [sys.executable, a.zoo_tool, *args]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    sys.stdout.write(p.stdout + p.stderr)
    if p.returncode != expect:
        raise Failure(f"dnncc-zoo exit status {p.returncode}, expected {expect}")
    return p.stdout


def cells_of(path):
    return {(c["model"], c["target"]): c for c in json.load(open(path))["cells"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zoo-tool", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--repo", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    zoo = os.path.join(a.work, "zoo")
    tinynet = os.path.join(a.repo, "models", "tinynet")
    for name in ("tinynet", "tinynet_configured"):
        shutil.copytree(tinynet, os.path.join(zoo, name), ignore=shutil.ignore_patterns("*.npy"))
    configured = os.path.join(zoo, "tinynet_configured", "dnncc-zoo.toml")
    with open(configured, "w") as f:
        f.write('input_shapes = { image = "1x3x32x32" }\nrtol = 1e-3\natol = 1e-5\n')
    out = lambda n: os.path.join(a.work, n)
    cache = out("cache")
    common = [zoo, "--targets", ",".join(TARGETS), "--cache", cache, "--bench-runs", "3"]

    # 1. The first run: every cell, every report.
    zoo_tool(a, *common, "-j", "2", "--json", out("run1.json"), "--junit", out("run1.xml"),
             "--markdown", out("run1.md"))
    run1 = cells_of(out("run1.json"))
    want = {(m, t) for m in ("tinynet", "tinynet_configured") for t in TARGETS}
    if set(run1) != want:
        raise Failure(f"cells {sorted(run1)}, expected {sorted(want)}")
    cuda = os.path.exists("/dev/nvidia0")
    for (m, t), c in run1.items():
        expected = "compiled" if t == "nvidia-ampere" and not cuda else "matched"
        if c["status"] != expected:
            raise Failure(f"{m} x {t}: {c['status']} ({c.get('reason')}), expected {expected}")
        if expected == "compiled" and "CUDA" not in c.get("reason", ""):
            raise Failure(f"{m} x {t}: compiled only without the CUDA reason: {c.get('reason')}")
        for key in ("compile_s", "library_bytes", "arena_bytes"):
            if not c.get(key):
                raise Failure(f"{m} x {t}: no {key}")
        if c["cached"]:
            raise Failure(f"{m} x {t}: cached in the first run")
    if "latency_ms" not in run1[("tinynet", "x86-64")]:
        raise Failure("no latency for the native x86-64 cell")
    if "latency_ms" in run1[("tinynet", "rk3399")]:
        raise Failure("a latency for the emulated rk3399 cell")
    suite = ET.parse(out("run1.xml")).getroot().find("testsuite")
    cases = {(tc.get("classname"), tc.get("name")) for tc in suite.findall("testcase")}
    if cases != {(f"dnncc-zoo.{m}", t) for m, t in want}:
        raise Failure(f"JUnit test cases {sorted(cases)}")
    md = open(out("run1.md")).read()
    if "| tinynet | matched" not in md or "## Regressions\n\nnone" not in md:
        raise Failure("the markdown table lacks the tinynet row or the 'none' regressions")

    # 2. Cached: nothing recompiled, same statuses.
    zoo_tool(a, *common, "--json", out("run2.json"), "--baseline", out("run1.json"))
    run2 = cells_of(out("run2.json"))
    not_cached = [k for k, c in run2.items() if not c.get("cached")]
    if not_cached:
        raise Failure(f"recompiled with --cache: {not_cached}")
    if {k: c["status"] for k, c in run2.items()} != {k: c["status"] for k, c in run1.items()}:
        raise Failure("the cached run's statuses differ from the first run's")

    # 3. Shards.
    seen = []
    for i in (1, 2):
        zoo_tool(a, *common, "--shard", f"{i}/2", "--json", out(f"shard{i}.json"))
        seen += list(cells_of(out(f"shard{i}.json")))
    if sorted(seen) != sorted(want):
        raise Failure(f"shards 1/2 + 2/2 give {sorted(seen)}, expected {sorted(want)}")

    # 4. Injected regressions.
    with open(configured, "w") as f:
        f.write('input_shapes = { image = "1x3x32x32" }\nrtol = 0\natol = 0\n')
    text = zoo_tool(a, *common, "--targets", "x86-64", "--baseline", out("run1.json"), expect=1)
    if "regression: tinynet_configured x x86-64: failed (was matched)" not in text:
        raise Failure("the tightened tolerance is not reported as tinynet_configured x x86-64")
    with open(configured, "w") as f:
        f.write('rtol = 1e-3\natol = 1e-5\n')
    model = os.path.join(zoo, "tinynet", "model.onnx")
    data = open(model, "rb").read()
    with open(model, "wb") as f:
        f.write(data[: len(data) // 2])
    text = zoo_tool(a, *common, "--targets", "x86-64,rk3399", "--baseline", out("run1.json"),
                    expect=1)
    for t in ("x86-64", "rk3399"):
        if f"regression: tinynet x {t}: failed (was matched): compile:" not in text:
            raise Failure(f"the broken model is not reported as a compile failure of tinynet x {t}")
    doctored = json.load(open(out("run1.json")))
    for c in doctored["cells"]:
        c["library_bytes"] = c["library_bytes"] // 2
    with open(out("doctored.json"), "w") as f:
        json.dump(doctored, f)
    text = zoo_tool(a, zoo, "--targets", "x86-64", "--cache", cache, "--baseline",
                    out("doctored.json"), "--max-size-growth", "10", "--bench-runs", "0",
                    expect=1)
    if "regression: tinynet_configured x x86-64: library_bytes" not in text:
        raise Failure("a library twice the baseline's size is not a regression")

    # 5. expect_failure and skip.
    with open(os.path.join(zoo, "tinynet", "dnncc-zoo.toml"), "w") as f:
        f.write('[expect_failure]\n"*" = "the model file is truncated on purpose"\n'
                '[skip]\nrk3399 = "not shipped on this board"\n')
    zoo_tool(a, zoo, "--targets", "x86-64,rk3399", "--cache", cache, "--bench-runs", "0",
             "--json", out("run5.json"), "--baseline", out("run1.json"))
    run5 = cells_of(out("run5.json"))
    if run5[("tinynet", "x86-64")]["status"] != "expected_failure":
        raise Failure(f"tinynet x x86-64: {run5[('tinynet', 'x86-64')]['status']}, expected "
                      f"expected_failure")
    if run5[("tinynet", "rk3399")]["status"] != "skipped":
        raise Failure("tinynet x rk3399 is not skipped")
    print("ok")


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"FAIL: {e}")
        sys.exit(1)
