#!/usr/bin/env python3
"""Zero-size tensors end to end (ONNX allows an extent of 0): one model whose nodes make, read and
return empty tensors, compiled for --target and run by dnncc-run against onnxruntime's outputs.

  zero_size.py --dnncc D --dnncc-run R --target T WORK

Covered: an empty static Slice concatenated back (the concat drops it), a zero-size model input
and output, ReduceSum and MatMul over an empty axis (zeros from empty operands), Split with an
empty part, Tile with a repeat of 0, an empty Range, and a Slice with run-time starts whose
declared result is empty. Exit 0 when every output matches, 1 otherwise."""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper


def model():
    ints = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    node = helper.make_node
    nodes = [
        node("Slice", ["x", "five", "ten", "one"], ["empty"]),  # x[:, 5:10]: [2, 0]
        node("Concat", ["x", "empty"], ["cat"], axis=1),
        node("Relu", ["cat"], ["concat"]),
        node("Relu", ["e"], ["empty_input"]),  # [2, 0, 4] in, [2, 0, 4] out
        node("ReduceSum", ["e", "one"], ["sums"], keepdims=1),  # [2, 1, 4] zeros
        node("Add", ["sums", "x1"], ["reduce_empty"]),
        node("MatMul", ["empty", "k"], ["matmul_empty"]),  # [2, 0] x [0, 5]: [2, 5] zeros
        node("Split", ["x", "split"], ["whole", "none"], axis=1),  # parts of 3 and 0
        node("Concat", ["none", "whole"], ["split_concat"], axis=1),
        node("Tile", ["x", "tile"], ["tiled"]),  # repeats [0, 1]: [0, 3]
        node("Range", ["three", "three_", "one_scalar"], ["range"]),  # [0]
        node("Slice", ["x", "start", "ten", "one"], ["runtime_slice"]),  # declared [2, 0]
    ]
    inits = [ints("five", [5]), ints("ten", [10]), ints("one", [1]), ints("split", [3, 0]),
             ints("tile", [0, 1]), ints("three", 3), ints("three_", 3), ints("one_scalar", 1),
             numpy_helper.from_array(np.zeros((0, 5), np.float32), "k")]
    f32 = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    inputs = [vi("x", f32, [2, 3]), vi("e", f32, [2, 0, 4]), vi("x1", f32, [2, 1, 4]),
              vi("start", TensorProto.INT64, [1])]
    outputs = [vi("concat", f32, [2, 3]), vi("empty_input", f32, [2, 0, 4]),
               vi("reduce_empty", f32, [2, 1, 4]), vi("matmul_empty", f32, [2, 5]),
               vi("split_concat", f32, [2, 3]), vi("tiled", f32, [0, 3]),
               vi("range", TensorProto.INT64, [0]), vi("runtime_slice", f32, [2, 0])]
    graph = helper.make_graph(nodes, "zero_size", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dnncc", required=True)
    p.add_argument("--dnncc-run", required=True)
    p.add_argument("--target", default="x86-64")
    p.add_argument("work")
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    data = os.path.join(a.work, "test_data_set_0")
    os.makedirs(data)
    path = os.path.join(a.work, "model.onnx")
    m = model()
    onnx.save(m, path)
    rng = np.random.default_rng(3)
    feeds = {"x": rng.standard_normal((2, 3), np.float32),
             "e": np.zeros((2, 0, 4), np.float32),
             "x1": rng.standard_normal((2, 1, 4), np.float32),
             "start": np.array([3], np.int64)}
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, feeds)
    for i, (name, v) in enumerate(feeds.items()):
        with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, name).SerializeToString())
    for i, (o, v) in enumerate(zip(m.graph.output, expected)):
        with open(os.path.join(data, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, o.name).SerializeToString())
    lib = os.path.join(a.work, "libzero_size.so")
    for cmd in ([a.dnncc, path, f"--target={a.target}", "-o", lib],
                [a.dnncc_run, lib, "--data", data, "--atol", "0", "--rtol", "0"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        sys.stdout.write(r.stdout + r.stderr)
        if r.returncode != 0:
            print(f"FAIL: {' '.join(cmd)} exited {r.returncode}")
            return 1
    matched = r.stdout.count(" ok\n")
    if matched != len(m.graph.output):
        print(f"FAIL: {matched} of {len(m.graph.output)} outputs matched")
        return 1
    print(f"zero-size: {matched} outputs match onnxruntime on {a.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
