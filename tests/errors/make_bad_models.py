#!/usr/bin/env python3
"""Writes the broken models and data files that tests/errors/CMakeLists.cmake feeds to dnncc and
dnncc-run (one file per user-facing error), into OUT_DIR. Fast (no onnxruntime, no torch).
  make_bad_models.py OUT_DIR --tinynet models/tinynet"""
import argparse
import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from bad_nnef import write_bad_nnef

OPSET = 17


def model(nodes, inputs, outputs, initializers=(), opset=OPSET, extra_opsets=()):
    graph = helper.make_graph(nodes, "bad", inputs, outputs, list(initializers))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="dnncc-tests")
    m.ir_version = 8
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def i64(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.INT64, shape)


def save(out, name, m):
    onnx.save(m, os.path.join(out, name))


def external_model(location):
    """A Relu(x + w) model whose initializer w lives in external data at `location`."""
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "16")):
        e = w.external_data.add()
        e.key, e.value = k, v
    return model([helper.make_node("Add", ["x", "w"], ["s"], name="add"),
                  helper.make_node("Relu", ["s"], ["y"], name="relu")],
                 [f32("x", [4])], [f32("y", [4])], [w])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--tinynet", required=True, help="models/tinynet (model + test data)")
    args = ap.parse_args()
    out = args.out
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)

    # Files that are not ONNX models.
    open(os.path.join(out, "empty.onnx"), "wb").close()
    with open(os.path.join(out, "text.onnx"), "w") as f:
        f.write("this is not an onnx model\n")
    with open(os.path.join(out, "png.onnx"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06")
    data = open(os.path.join(args.tinynet, "model.onnx"), "rb").read()
    with open(os.path.join(out, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])

    # An input whose element count overflows 64 bits.
    save(out, "huge_input.onnx",
         model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
               [f32("x", [2000000000, 2000000000, 2000000000])], [f32("y", None)]))

    # Resource limits: an Expand to a [4096, 4096] float tensor (64 MiB, past
    # --max-tensor-bytes=1000000 in the test), and If nodes nested three deep (past
    # --max-graph-depth=2).
    shape = numpy_helper.from_array(np.array([4096, 4096], np.int64), "shape")
    save(out, "big_intermediate.onnx",
         model([helper.make_node("Expand", ["x", "shape"], ["big"], name="expand"),
                helper.make_node("ReduceSum", ["big"], ["y"], name="sum", keepdims=0)],
               [f32("x", [1, 1])], [f32("y", None)], [shape]))

    def nested(depth):
        value = numpy_helper.from_array(np.ones(2, np.float32), f"v{depth}")
        if depth == 0:
            nodes = [helper.make_node("Constant", [], ["o0"], value=value)]
        else:
            cond = numpy_helper.from_array(np.array(True), f"c{depth}")
            nodes = [helper.make_node("Constant", [], [f"c{depth}"], value=cond),
                     helper.make_node("If", [f"c{depth}"], [f"o{depth}"],
                                      then_branch=nested(depth - 1), else_branch=nested(depth - 1))]
        return helper.make_graph(nodes, f"level{depth}", [], [f32(f"o{depth}", [2])])
    inner = nested(2)
    cond = numpy_helper.from_array(np.array(True), "cond")
    save(out, "nested_if.onnx",
         model([helper.make_node("If", ["cond"], ["v"], name="outer", then_branch=inner,
                                 else_branch=inner),
                helper.make_node("Add", ["x", "v"], ["y"], name="add")],
               [f32("x", [2])], [f32("y", [2])], [cond]))

    # If branches that disagree: in how many outputs they declare, and in an output's type.
    def branch(name, outputs):
        nodes = [helper.make_node("Constant", [], [o.name],
                                  value=helper.make_tensor(o.name, o.type.tensor_type.elem_type,
                                                           [2], [1, 2]))
                 for o in outputs]
        return helper.make_graph(nodes, name, [], outputs)
    run_cond = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
    save(out, "if_output_count.onnx",
         model([helper.make_node("If", ["c"], ["y"], name="if_n",
                                 then_branch=branch("then", [f32("a", [2])]),
                                 else_branch=branch("else", [f32("b", [2]), f32("b2", [2])]))],
               [run_cond], [f32("y", [2])]))
    save(out, "if_output_type.onnx",
         model([helper.make_node("If", ["c"], ["y"], name="if_t",
                                 then_branch=branch("then", [f32("a", [2])]),
                                 else_branch=branch("else", [i64("b", [2])]))],
               [run_cond], [f32("y", [2])]))

    # Unsupported ops: a default-domain op without a converter and an op of another domain.
    save(out, "col2im.onnx",
         model([helper.make_node("Col2Im", ["x", "image", "block"], ["y"], name="c2i")],
               [f32("x", [1, 4, 9]), i64("image", [2]), i64("block", [2])], [f32("y", None)]))
    # Malformed data-dependent ops: NonZero of a scalar, a Compress condition longer than the
    # axis, NonMaxSuppression with center_point_box=2.
    save(out, "nonzero_scalar.onnx",
         model([helper.make_node("NonZero", ["x"], ["y"], name="nz_scalar")],
               [f32("x", [])], [i64("y", None)]))
    cond = helper.make_tensor("cond", TensorProto.BOOL, [4], [True, False, True, True])
    save(out, "compress_long_condition.onnx",
         model([helper.make_node("Compress", ["x", "cond"], ["y"], name="compress_long", axis=1)],
               [f32("x", [2, 3])], [f32("y", None)], [cond]))
    save(out, "nms_center_point_box.onnx",
         model([helper.make_node("NonMaxSuppression", ["boxes", "scores", "max_out"], ["y"],
                                 name="nms_cpb", center_point_box=2)],
               [f32("boxes", [1, 3, 4]), f32("scores", [1, 1, 3]), i64("max_out", [1])],
               [i64("y", None)]))
    # Quantization parameters out of range: a negative QuantizeLinear scale, a zero
    # DequantizeLinear scale.
    scale = numpy_helper.from_array(np.array(-0.5, np.float32), "scale")
    save(out, "quantize_negative_scale.onnx",
         model([helper.make_node("QuantizeLinear", ["x", "scale"], ["y"], name="q_negative")],
               [f32("x", [4])], [helper.make_tensor_value_info("y", TensorProto.UINT8, [4])],
               [scale]))
    zero = numpy_helper.from_array(np.array(0.0, np.float32), "scale")
    save(out, "dequantize_zero_scale.onnx",
         model([helper.make_node("DequantizeLinear", ["x", "scale"], ["y"], name="dq_zero")],
               [helper.make_tensor_value_info("x", TensorProto.UINT8, [4])], [f32("y", [4])],
               [zero]))
    # A data-dependent output (NonZero) read by another node: only graph outputs may be one.
    save(out, "nonzero_consumed.onnx",
         model([helper.make_node("NonZero", ["x"], ["nz_out"], name="nz"),
                helper.make_node("Transpose", ["nz_out"], ["y"], name="tr")],
               [f32("x", [2, 3])], [helper.make_tensor_value_info("y", TensorProto.INT64, None)]))
    save(out, "msdomain.onnx",
         model([helper.make_node("FusedGemm", ["a", "b"], ["y"], name="fused_gemm",
                                 domain="com.microsoft")],
               [f32("a", [2, 3]), f32("b", [3, 4])], [f32("y", [2, 4])],
               extra_opsets=[("com.microsoft", 1)]))
    # Several unsupported ops on independent branches: --check lists each.
    save(out, "multi_unsupported.onnx",
         model([helper.make_node("Col2Im", ["x", "a", "b"], ["y1"], name="c2i_a"),
                helper.make_node("FusedGemm", ["a", "b"], ["y2"], name="fused_b",
                                 domain="com.microsoft"),
                helper.make_node("STFT", ["x", "a"], ["y3"], name="stft_c"),
                helper.make_node("Relu", ["x"], ["y4"], name="relu_ok")],
               [f32("x", [2, 3]), f32("a", [2, 3]), f32("b", [3, 4])],
               [f32("y1", None), f32("y2", [2, 4]),
                f32("y3", None), f32("y4", [2, 3])],
               extra_opsets=[("com.microsoft", 1)]))

    # Invalid attributes.
    w = numpy_helper.from_array(np.zeros((6, 21, 3, 3), np.float32), "w")
    save(out, "conv_group.onnx",
         model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv_g3", group=3,
                                 kernel_shape=[3, 3])],
               [f32("x", [1, 64, 8, 8])], [f32("y", None)], [w]))
    save(out, "maxpool_nokernel.onnx",
         model([helper.make_node("MaxPool", ["x"], ["y"], name="pool_nk")],
               [f32("x", [1, 2, 8, 8])], [f32("y", None)]))
    # An attribute value outside what ONNX defines (Pad modes: constant, reflect, edge, wrap).
    pads = numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")
    save(out, "pad_symmetric.onnx",
         model([helper.make_node("Pad", ["x", "pads"], ["y"], name="pad_s", mode="symmetric")],
               [f32("x", [1, 2, 4, 4])], [f32("y", None)], [pads], opset=19))

    # A shape input known only at run time: with a declared output shape dnncc compiles for it
    # and the library checks the value at run time; without one it is a compile-time error.
    save(out, "reshape_runtime.onnx",
         model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape_rt")],
               [f32("x", [2, 3]), i64("shape", [2])], [f32("y", [3, 2])]))
    save(out, "reshape_undeclared.onnx",
         model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape_rt")],
               [f32("x", [2, 3]), i64("shape", [2])], [f32("y", None)]))
    np.save(os.path.join(out, "x23.npy"), np.arange(6, dtype=np.float32).reshape(2, 3))

    # bfloat16 tensors on an OpenCL target whose device has no cl_khr_fp16.
    bf16 = lambda name, shape: helper.make_tensor_value_info(name, TensorProto.BFLOAT16, shape)
    save(out, "add_bf16.onnx",
         model([helper.make_node("Add", ["a", "b"], ["c"], name="add_bf16")],
               [bf16("a", [4]), bf16("b", [4])], [bf16("c", [4])]))
    # An OpenCL ICD vendor directory with no driver in it: the loader finds no platform.
    os.makedirs(os.path.join(out, "no_opencl_vendors"), exist_ok=True)
    np.save(os.path.join(out, "shape_declared.npy"), np.array([3, -1], np.int64))
    np.save(os.path.join(out, "shape_other.npy"), np.array([1, 6], np.int64))
    # Slice of axis 1 with run-time starts and ends, compiled for the declared [2, 2]: ends 3
    # gives [2, 2] from start 1, ends 2 gives [2, 1] (the run fails).
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    save(out, "slice_runtime.onnx",
         model([helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["y"],
                                 name="slice_rt")],
               [f32("x", [2, 3]), i64("starts", [1]), i64("ends", [1])], [f32("y", [2, 2])],
               [axes]))
    np.save(os.path.join(out, "starts_1.npy"), np.array([1], np.int64))
    np.save(os.path.join(out, "ends_other.npy"), np.array([2], np.int64))

    # Control flow that cannot be unrolled at compile time: a trip count given at run time, and
    # a constant trip count whose unrolled body passes the node limit.
    def pass_through_loop(trip):
        body = helper.make_graph(
            [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
             helper.make_node("Identity", ["y_in"], ["y_out"])], "body",
            [helper.make_tensor_value_info("i", TensorProto.INT64, []),
             helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []), f32("y_in", [2])],
            [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), f32("y_out", [2])])
        return helper.make_node("Loop", [trip, "", "x"], ["y"], name="loop", body=body)
    save(out, "loop_runtime_trip.onnx",
         model([pass_through_loop("m")],
               [helper.make_tensor_value_info("m", TensorProto.INT64, []), f32("x", [2])],
               [f32("y", [2])]))
    trip = numpy_helper.from_array(np.array(1000000, np.int64), "m")
    save(out, "loop_too_long.onnx",
         model([pass_through_loop("m")], [f32("x", [2])], [f32("y", [2])], [trip]))

    # External data outside the model directory.
    ext = os.path.join(out, "ext")
    os.makedirs(ext)
    outside = os.path.join(out, "outside.bin")
    with open(outside, "wb") as f:
        f.write(np.ones(4, np.float32).tobytes())
    save(ext, "dotdot.onnx", external_model("../outside.bin"))
    save(ext, "absolute.onnx", external_model(os.path.abspath(outside)))
    os.symlink(os.path.abspath(outside), os.path.join(ext, "link.bin"))
    save(ext, "symlink.onnx", external_model("link.bin"))

    # An initializer defined twice (names are SSA in ONNX).
    w = numpy_helper.from_array(np.ones(4, np.float32), "w")
    save(out, "duplicate_initializer.onnx",
         model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [f32("x", [4])],
               [f32("y", [4])], initializers=[w, numpy_helper.from_array(np.zeros(4, np.float32),
                                                                         "w")]))

    # A contrib operator without a required input (SkipLayerNormalization needs gamma).
    save(out, "contrib_missing_input.onnx",
         model([helper.make_node("SkipLayerNormalization", ["x", "s"], ["y"], name="sln",
                                 domain="com.microsoft")],
               [f32("x", [1, 2, 4]), f32("s", [1, 2, 4])], [f32("y", [1, 2, 4])],
               extra_opsets=[("com.microsoft", 1)]))

    # A contrib operator without a required attribute (Attention needs num_heads).
    save(out, "contrib_missing_attribute.onnx",
         model([helper.make_node("Attention", ["x", "w", "b"], ["y"], name="att",
                                 domain="com.microsoft")],
               [f32("x", [1, 2, 4]), f32("w", [4, 12]), f32("b", [12])], [f32("y", [1, 2, 4])],
               extra_opsets=[("com.microsoft", 1)]))

    # Opset too new.
    save(out, "opset99.onnx",
         model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [f32("x", [4])],
               [f32("y", [4])], opset=99))

    # A symbolic batch dimension.
    save(out, "symbolic.onnx",
         model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [f32("x", ["N", 3, 2, 2])],
               [f32("y", ["N", 3, 2, 2])]))

    # A malformed target description.
    with open(os.path.join(out, "bad_target.json"), "w") as f:
        f.write('{"name": "broken", "arch": "x86_64", "triple": \n')

    # GPU target files: an unknown GPU API; an OpenCL GPU whose Halide target lacks opencl.
    gpu_target = {"name": "mygpu", "arch": "x86_64", "triple": "x86_64-unknown-linux-gnu",
                  "cpu": "haswell", "halide_target": "x86-64-linux-avx-avx2-f16c-fma-sse41",
                  "vector_bits": 256}
    with open(os.path.join(out, "gpu_api_unknown.json"), "w") as f:
        json.dump(dict(gpu_target, gpu={"api": "vulkan"}), f)
    with open(os.path.join(out, "gpu_feature_missing.json"), "w") as f:
        json.dump(dict(gpu_target, gpu={"api": "opencl"}), f)
    # A wavefront that is not a power of two.
    with open(os.path.join(out, "gpu_simd_width.json"), "w") as f:
        json.dump(dict(gpu_target, halide_target=gpu_target["halide_target"] + "-opencl",
                       gpu={"api": "opencl", "simd_width": 48}), f)

    # dnncc-run inputs: not a library, an empty data dir, a wrong input shape, a tampered output.
    with open(os.path.join(out, "libnotalib.so"), "w") as f:
        f.write("not a shared library\n")
    os.makedirs(os.path.join(out, "data_empty"))
    src = os.path.join(args.tinynet, "test_data_set_0")
    ref_in = onnx.load_tensor(os.path.join(src, "input_0.pb"))
    ref_out = onnx.load_tensor(os.path.join(src, "output_0.pb"))
    d = os.path.join(out, "data_wrong_shape")
    os.makedirs(d)
    bad = numpy_helper.from_array(np.zeros((1, 3, 2, 2), np.float32), ref_in.name)
    onnx.save_tensor(bad, os.path.join(d, "input_0.pb"))
    # --quantize=int8 --calibration: an empty directory, a sample of the wrong shape, a NaN.
    os.makedirs(os.path.join(out, "calib_empty"))
    d = os.path.join(out, "calib_wrong_shape")
    os.makedirs(d)
    np.save(os.path.join(d, "sample.npy"), np.zeros((1, 3, 2, 2), np.float32))
    d = os.path.join(out, "calib_nan")
    os.makedirs(d)
    sample = numpy_helper.to_array(ref_in).copy()
    sample.flat[5] = np.nan
    np.save(os.path.join(d, "sample.npy"), sample)
    d = os.path.join(out, "data_tampered")
    os.makedirs(d)
    shutil.copy(os.path.join(src, "input_0.pb"), d)
    tampered = numpy_helper.to_array(ref_out).copy()
    tampered.flat[0] += 1.0
    onnx.save_tensor(numpy_helper.from_array(tampered, ref_out.name),
                     os.path.join(d, "output_0.pb"))

    write_bad_nnef(out)
    write_bad_zoos(out, args.tinynet)


def write_bad_zoos(out, tinynet):
    """Zoos for dnncc-zoo's errors: empty, a model directory without a model, per-model files
    that are not TOML, name an unknown key or give a wrong type; a baseline that is not one."""
    os.makedirs(os.path.join(out, "zoo_empty"))
    d = os.path.join(out, "zoo_no_model", "mynet")
    os.makedirs(d)
    open(os.path.join(d, "README.txt"), "w").write("the model is missing\n")
    for name, text in (("zoo_bad_toml", "rtol = = 1\n"), ("zoo_unknown_key", "rtoll = 1e-3\n"),
                       ("zoo_wrong_type", 'atol = "small"\n')):
        d = os.path.join(out, name, "tinynet")
        os.makedirs(d)
        shutil.copy(os.path.join(tinynet, "model.onnx"), d)
        open(os.path.join(d, "dnncc-zoo.toml"), "w").write(text)
    d = os.path.join(out, "zoo_ok", "tinynet")
    os.makedirs(d)
    shutil.copy(os.path.join(tinynet, "model.onnx"), d)
    open(os.path.join(out, "baseline_bad.json"), "w").write('{"cells": 3}\n')


if __name__ == "__main__":
    main()
