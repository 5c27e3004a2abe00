#!/usr/bin/env python3
"""Feeds every model of the malformed corpus (make_corpus.py) to dnncc and checks the contract of
docs/security.md for each: exit code 1 (not a signal, not 0), stderr holding only `error: ` lines
that name the model file (one per problem: dnncc reports every problem of a model at once), no
file left in the output directory, at most --time-limit seconds and --memory-limit bytes of peak
resident memory.

    run_corpus.py CORPUS_DIR --dnncc build/bin/dnncc [--target x86-64] [-j 2] [--case NAME]...

Exit status 0 when every case keeps the contract; otherwise each broken case is printed with
what went wrong and dnncc's stderr."""
import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "errors"))
from stderr_lines import program_lines  # noqa: E402


def run_case(args, corpus, case, work):
    """Runs dnncc on one case; returns (case, problems, stderr, seconds, peak RSS bytes)."""
    model = os.path.join(corpus, case["model"])
    out = os.path.join(work, case["name"], "out")
    os.makedirs(out)
    cmd = [args.dnncc, model, f"--target={args.target}", "-o", os.path.join(out, "libm.so")]

    def limits():
        # A safety net far above the limit checked below, so that a runaway allocation fails
        # inside dnncc (where it must become a clean error) instead of taking the machine down.
        # Not under AddressSanitizer (the asan preset sets ASAN_OPTIONS), which reserves
        # terabytes of address space for its shadow memory at start-up: there the peak RSS check
        # below is the bound.
        if "ASAN_OPTIONS" not in os.environ:
            cap = 4 * args.memory_limit
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    err_path = os.path.join(work, case["name"], "stderr")
    with open(err_path, "wb") as err:
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=limits,
                             env=dict(os.environ, DNNCC_CACHE_DIR=args.cache))
        killer = threading.Timer(3 * args.time_limit, p.kill)
        killer.start()
        _, status, usage = os.wait4(p.pid, 0)  # wait4: this child's own peak memory
        killer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
    peak = usage.ru_maxrss * 1024
    stderr = open(err_path, "rb").read().decode(errors="replace")
    problems = []
    if p.returncode < 0:
        killed = signal.Signals(-p.returncode).name
        problems.append(f"killed by {killed} " + ("(timeout)" if seconds >= 3 * args.time_limit
                                                   else "(a crash)"))
    elif p.returncode != 1:
        problems.append(f"exit code {p.returncode}, expected 1")
    lines = program_lines(stderr)
    if not lines:
        problems.append("no error message")
    for line in lines:
        if not line.startswith("error: "):
            problems.append(f"a stderr line does not start with 'error: ': {line[:120]!r}")
            break
        if model not in line:
            problems.append(f"an error line does not name the model file: {line[:120]!r}")
            break
    left = sorted(os.listdir(out))
    if left:
        problems.append(f"files left in the output directory: {left}")
    if seconds > args.time_limit:
        problems.append(f"took {seconds:.1f} s (limit {args.time_limit:.0f} s)")
    if peak > args.memory_limit:
        problems.append(f"peak resident memory {peak >> 20} MiB (limit "
                        f"{args.memory_limit >> 20} MiB)")
    return case, problems, stderr, seconds, peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--dnncc", required=True)
    ap.add_argument("--target", default="x86-64")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--case", action="append", default=[], help="run only these cases")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per case")
    ap.add_argument("--memory-limit", type=int, default=2 << 30, help="peak RSS bytes per case")
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "dnncc-corpus-cache"))
    args = ap.parse_args()
    corpus = os.path.abspath(args.corpus)
    cases = json.load(open(os.path.join(corpus, "manifest.json")))
    if args.case:
        cases = [c for c in cases if c["name"] in args.case]
        if not cases:
            sys.exit(f"no case named {args.case}")
    args.dnncc = os.path.abspath(args.dnncc)

    work = tempfile.mkdtemp(prefix="dnncc-corpus-")
    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda c: run_case(args, corpus, c, work), cases))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    broken = [r for r in results if r[1]]
    slowest = max(results, key=lambda r: r[3])
    biggest = max(results, key=lambda r: r[4])
    for case, problems, stderr, _, _ in broken:
        print(f"FAIL {case['name']} ({case['why']}): {'; '.join(problems)}")
        for line in stderr.splitlines()[:5]:
            print(f"    | {line[:300]}")
    print(f"{len(results) - len(broken)} of {len(results)} malformed models rejected cleanly "
          f"(slowest: {slowest[0]['name']}, {slowest[3]:.1f} s; largest: {biggest[0]['name']}, "
          f"{biggest[4] >> 20} MiB)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
