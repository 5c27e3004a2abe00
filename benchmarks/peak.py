#!/usr/bin/env python3
"""The machine's FMA peak (GFLOP/s) and STREAM-triad memory bandwidth (GB/s) on N threads.

Builds benchmarks/peak.c with the system C compiler for this CPU (-O2 -march=native) and runs it.
The numbers are what dnncc-run's --peak-gflops / --peak-gbps and bench.py's "% of peak" compare
against:

    python3 benchmarks/peak.py [--threads 2]
    # fma_gflops 233.7
    # stream_gbps 32.4
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "peak.c"


def measure(threads: int, cc: str = "cc") -> dict[str, float]:
    """{'fma_gflops': ..., 'stream_gbps': ...}; raises RuntimeError when the probe fails."""
    with tempfile.TemporaryDirectory(prefix="dnncc-peak-") as tmp:
        exe = os.path.join(tmp, "peak")
        build = subprocess.run([cc, "-O2", "-march=native", "-pthread", str(SOURCE), "-o", exe],
                               capture_output=True, text=True)
        if build.returncode != 0:
            raise RuntimeError(f"{cc} cannot build {SOURCE}: {build.stderr.strip()}")
        proc = subprocess.run([exe, str(threads)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip() or f"peak exited with {proc.returncode}")
    values = {}
    for line in proc.stdout.splitlines():
        key, value = line.split()
        values[key] = float(value)
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="threads (default: 2)")
    parser.add_argument("--cc", default="cc", help="C compiler (default: cc)")
    args = parser.parse_args()
    try:
        for key, value in measure(args.threads, args.cc).items():
            print(f"{key} {value:.1f}")
    except RuntimeError as error:
        print(f"error: peak: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
