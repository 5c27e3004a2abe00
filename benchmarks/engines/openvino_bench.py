#!/usr/bin/env python3
"""Times one round of OpenVINO on a model for benchmarks/bench.py; runs in .venv-engines.

    openvino_bench.py MODEL.onnx INPUT_DIR --threads T --runs N --warmups W

INPUT_DIR holds one NAME.npy per model input. OpenVINO's CPU plugin reads the ONNX model itself;
it computes in f32 (INFERENCE_PRECISION_HINT=f32: on CPUs with AVX512-BF16 or AMX it would
otherwise pick bf16), on T threads, with the latency hint (one stream). Prints one JSON line:
{"version", "median_ms", "min_ms"}.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import openvino as ov


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("inputs", type=Path)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--warmups", type=int, default=3)
    args = parser.parse_args()
    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(args.model)), "CPU", {
        "INFERENCE_PRECISION_HINT": "f32",
        "INFERENCE_NUM_THREADS": str(args.threads),
        "PERFORMANCE_HINT": "LATENCY",
    })
    feeds = {p.stem: np.load(p) for p in args.inputs.glob("*.npy")}
    request = compiled.create_infer_request()
    for _ in range(args.warmups):
        request.infer(feeds)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        request.infer(feeds)
        times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"version": ov.get_version(), "median_ms": statistics.median(times),
                      "min_ms": min(times)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
