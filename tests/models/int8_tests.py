#!/usr/bin/env python3
"""Tests of 8-bit integer models (registered by tests/models/CMakeLists.cmake):
  quantized WORK  small CNN and matmul models quantized by onnxruntime's quantize_static (QDQ
                  with uint8 and with int8 activations, and the QOperator format: QLinearConv,
                  QLinearMatMul), per-channel int8 weights: each compiles for --target with its
                  convs and matrix products as integer ops (i32 accumulators, 8-bit operands) and
                  matches onnxruntime's own int8 run within one quantization step of the output
  ptq WORK        dnncc --quantize=int8 (post-training quantization) of the same float models
                  against onnxruntime's quantize_static with the same calibration samples: output
                  SNR against f32 at least onnxruntime's (within 1 dB)
  zoo WORK --models A,B   dnncc --quantize=int8 of zoo models calibrated on their test input:
                  SNR against the f32 reference at least 25 dB, same top-1 class
  contrib WORK    onnxruntime's quantized operators (com.microsoft: QLinearAdd, QGemm, ...), one
                  node each, against its CPU kernels (8-bit outputs within one step)
  asm WORK        --emit=asm of a QDQ conv model for --target: the conv kernels use the target's
                  integer multiply-accumulate instructions (--expect, a regular expression:
                  vpdpbusd for AVX-512 VNNI, vpmaddwd for AVX2, NEON's widening smlal / smull or
                  16-bit mul on ARM, sdot with int8 activations (--activations s8) on ARM's
                  dot-product targets) and the 8-bit weights take one byte each in the library
Options as model_tests.py (--dnncc, --dnncc-run, --target). Exit 0 = pass."""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_tests import Failure, compile_model, dispatch, fresh, run  # noqa: E402


def ort_saturates_u8s8():
    """Whether onnxruntime's uint8 x int8 kernels on this CPU lose exactness: on x86 CPUs without
    VNNI (AVX2, AVX-512 without VNNI) they add pairs of products in 16 bits with saturation
    (vpmaddubsw), so with full-range int8 weights some of its outputs are not the exact integer
    results that dnncc (and the ONNX spec) compute. onnxruntime's remedy is 7-bit weights
    (quantize_static's reduce_range), which the tests then use so that its outputs stay an exact
    reference; on CPUs with VNNI (and on ARM) the weights keep their full range."""
    import platform
    if platform.machine() not in ("x86_64", "AMD64"):
        return False
    flags = open("/proc/cpuinfo").read()
    return "avx512_vnni" not in flags and "avx_vnni" not in flags


def float_models(rng):
    """(name, float ModelProto, input shape) of the models quantized below."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    def init(name, shape, scale=0.3):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * scale, name)

    # A CNN with the layers of a mobile network: a padded 3x3 conv, a 1x1 conv, a residual add, a
    # strided depthwise conv with odd spatial extents, global pooling and a classifier.
    c = 32
    inits = [init("w1", (c, 8, 3, 3)), init("b1", (c,)), init("w2", (c, c, 1, 1)),
             init("b2", (c,)), init("w3", (c, 1, 3, 3)), init("b3", (c,)), init("wf", (10, c)),
             init("bf", (10,))]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["a"], pads=[1] * 4, name="conv1"),
             helper.make_node("Relu", ["a"], ["ar"], name="relu1"),
             helper.make_node("Conv", ["ar", "w2", "b2"], ["p"], name="pointwise"),
             helper.make_node("Add", ["ar", "p"], ["s"], name="residual"),
             helper.make_node("Conv", ["s", "w3", "b3"], ["d"], pads=[1] * 4, group=c,
                              strides=[2, 2], name="depthwise"),
             helper.make_node("Relu", ["d"], ["dr"], name="relu2"),
             helper.make_node("GlobalAveragePool", ["dr"], ["g"], name="pool"),
             helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], transB=1, name="classifier")]
    cnn = helper.make_graph(nodes, "cnn",
                            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 13, 11])],
                            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    # Two matmuls with constant weights over a [1, 6, 64] sequence (a transformer's MLP).
    inits = [init("m1", (64, 96), 0.1), init("mb1", (96,)), init("m2", (96, 40), 0.1)]
    nodes = [helper.make_node("MatMul", ["x", "m1"], ["h"], name="fc1"),
             helper.make_node("Add", ["h", "mb1"], ["hb"], name="fc1_bias"),
             helper.make_node("Relu", ["hb"], ["hr"], name="act"),
             helper.make_node("MatMul", ["hr", "m2"], ["y"], name="fc2")]
    mlp = helper.make_graph(nodes, "mlp",
                            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6, 64])],
                            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return [("cnn", helper.make_model(cnn, opset_imports=[helper.make_opsetid("", 17)],
                                      ir_version=8), [1, 8, 13, 11]),
            ("mlp", helper.make_model(mlp, opset_imports=[helper.make_opsetid("", 17)],
                                      ir_version=8), [1, 6, 64])]


def quantize(src, dst, shape, fmt, activations, rng):
    """onnxruntime's static quantization of `src` with 8 random calibration samples."""
    import numpy as np
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    class Samples(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{"x": rng.standard_normal(shape).astype(np.float32)}
                            for _ in range(8)])

        def get_next(self):
            return next(self.it, None)

    quantize_static(src, dst, Samples(),
                    quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
                    per_channel=True, weight_type=QuantType.QInt8,
                    activation_type=QuantType.QUInt8 if activations == "u8" else QuantType.QInt8,
                    reduce_range=ort_saturates_u8s8())


def output_step(model):
    """The scale of the DequantizeLinear that produces the model's output: one quantization step."""
    import onnx
    from onnx import numpy_helper
    inits = {t.name: t for t in model.graph.initializer}
    out = model.graph.output[0].name
    for n in model.graph.node:
        if n.output[0] == out and n.op_type == "DequantizeLinear":
            return float(numpy_helper.to_array(inits[n.input[1]]).max())
    raise Failure(f"the output of {model.graph.name} is not produced by a DequantizeLinear")


def quantized(a):
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper
    work = fresh(a.work)
    rng = np.random.default_rng(11)
    for name, model, shape in float_models(rng):
        src = os.path.join(work, f"{name}_f32.onnx")
        onnx.save(model, src)
        for fmt, activations in (("qdq", "u8"), ("qdq", "s8"), ("qoperator", "u8")):
            case = f"{name}_{fmt}_{activations}"
            d = fresh(os.path.join(work, case))
            path = os.path.join(d, "model.onnx")
            quantize(src, path, shape, fmt, activations, rng)
            q = onnx.load(path)
            x = rng.standard_normal(shape).astype(np.float32)
            y = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
            data = fresh(os.path.join(d, "test_data_set_0"))
            open(os.path.join(data, "input_0.pb"), "wb").write(
                numpy_helper.from_array(x, "x").SerializeToString())
            open(os.path.join(data, "output_0.pb"), "wb").write(
                numpy_helper.from_array(y, "y").SerializeToString())
            ir = run([a.dnncc, path, f"--target={a.target}", "--emit=ir", "-o", "-"])
            products = re.findall(r"= (conv|matmul|gemm)\(.*: (\w+)\[", ir)
            floats = [p for p in products if p[1] != "i32"]
            if not products or floats:
                raise Failure(f"{case}: convs and matrix products not all integer: {products}")
            lib = os.path.join(d, f"lib{case}.so")
            compile_model(a, path, lib)
            step = output_step(q)
            run([a.dnncc_run, lib, "--data", data, "--rtol", "0", "--atol", f"{step * 1.001:.9g}"])
            print(f"{case}: {len(products)} integer products, output within one step ({step:.4g})")


def contrib(a):
    """onnxruntime's quantized operators (domain com.microsoft), one node each, against its CPU
    kernels: within one quantization step for 8-bit outputs, rtol 1e-4 for float outputs."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    work = fresh(a.work)
    rng = np.random.default_rng(31)

    def const(name, value):
        return numpy_helper.from_array(np.asarray(value), name)

    def u8(shape):
        return rng.integers(0, 256, shape).astype(np.uint8)

    def s8(shape):  # 7-bit where onnxruntime's u8 x s8 kernels saturate (ort_saturates_u8s8)
        bound = 64 if ort_saturates_u8s8() else 128
        return rng.integers(1 - bound, bound, shape).astype(np.int8)

    qx = [const("xs", np.float32(0.05)), const("xz", np.uint8(120))]
    qb = [const("bs", np.float32(0.04)), const("bz", np.uint8(100))]
    qy = [const("ys", np.float32(0.08)), const("yz", np.uint8(128))]
    w = s8((24, 16))
    cases = [
        ("qlinear_add", "QLinearAdd", ["x", "xs", "xz", "b", "bs", "bz", "ys", "yz"], {},
         {"x": u8((2, 3, 4, 5)), "b": u8((4, 5))}, qx + qb + qy),
        ("qlinear_mul", "QLinearMul", ["x", "xs", "xz", "b", "bs", "bz", "ys", "yz"], {},
         {"x": u8((2, 3, 4, 5)), "b": u8((2, 3, 4, 5))}, qx + qb + qy),
        ("qlinear_sigmoid", "QLinearSigmoid", ["x", "xs", "xz", "ys", "yz"], {},
         {"x": u8((3, 7))}, qx + [const("ys", np.float32(1 / 256)), const("yz", np.uint8(0))]),
        ("qlinear_leaky_relu", "QLinearLeakyRelu", ["x", "xs", "xz", "ys", "yz"], {"alpha": 0.2},
         {"x": u8((3, 7))}, qx + qy),
        ("qlinear_global_average_pool", "QLinearGlobalAveragePool", ["x", "xs", "xz", "ys", "yz"],
         {"channels_last": 0}, {"x": u8((1, 8, 5, 6))}, qx + qy),
        ("qlinear_global_average_pool_nhwc", "QLinearGlobalAveragePool",
         ["x", "xs", "xz", "ys", "yz"], {"channels_last": 1}, {"x": u8((1, 5, 6, 8))}, qx + qy),
        ("qlinear_average_pool", "QLinearAveragePool", ["x", "xs", "xz", "ys", "yz"],
         {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
         {"x": u8((1, 4, 9, 9))}, qx + qy),
        ("qlinear_softmax", "QLinearSoftmax", ["x", "xs", "xz", "ys", "yz"],
         {"axis": -1, "opset": 13}, {"x": u8((4, 10))},
         qx + [const("ys", np.float32(1 / 256)), const("yz", np.uint8(0))]),
        ("qlinear_concat", "QLinearConcat", ["ys", "yz", "x", "xs", "xz", "b", "bs", "bz"],
         {"axis": 1}, {"x": u8((2, 3, 4)), "b": u8((2, 5, 4))}, qx + qb + qy),
        ("qgemm", "QGemm", ["x", "xs", "xz", "w", "ws", "wz", "c", "ys", "yz"], {"transB": 1},
         {"x": u8((5, 16))},
         qx + qy + [const("w", w), const("ws", np.full(24, 0.01, np.float32)),
                    const("wz", np.zeros(24, np.int8)),
                    const("c", rng.integers(-300, 300, 24).astype(np.int32))]),
        ("qgemm_float_output", "QGemm", ["x", "xs", "xz", "w", "ws", "wz"], {"transB": 1},
         {"x": u8((5, 16))},
         qx + [const("w", w), const("ws", np.float32(0.01)), const("wz", np.int8(0))]),
        ("matmul_integer_to_float", "MatMulIntegerToFloat",
         ["x", "w", "xs", "ws", "xz", "", "bias"], {}, {"x": u8((2, 5, 16))},
         qx + [const("w", w.T.copy()), const("ws", np.full(24, 0.02, np.float32)),
               const("bias", rng.standard_normal(24).astype(np.float32))]),
        ("dynamic_quantize_matmul", "DynamicQuantizeMatMul", ["xf", "w", "ws", "", "bias"], {},
         {"xf": rng.standard_normal((3, 16)).astype(np.float32)},
         [const("w", w.T.copy()), const("ws", np.float32(0.02)),
          const("bias", rng.standard_normal(24).astype(np.float32))]),
    ]
    for name, op, inputs, attrs, feeds, inits in cases:
        d = fresh(os.path.join(work, name))
        node = helper.make_node(op, inputs, ["y"], name=name, domain="com.microsoft", **attrs)
        graph = helper.make_graph(
            [node], name,
            [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype),
                                           list(v.shape)) for k, v in feeds.items()],
            [helper.make_tensor_value_info(
                "y", TensorProto.FLOAT if name in ("qgemm_float_output", "matmul_integer_to_float",
                                                   "dynamic_quantize_matmul") else TensorProto.UINT8,
                None)], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                        helper.make_opsetid("com.microsoft", 1)],
                                  ir_version=8)
        path = os.path.join(d, "model.onnx")
        onnx.save(model, path)
        y = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
        data = fresh(os.path.join(d, "test_data_set_0"))
        for i, (k, v) in enumerate(feeds.items()):
            open(os.path.join(data, f"input_{i}.pb"), "wb").write(
                numpy_helper.from_array(v, k).SerializeToString())
        lib = os.path.join(d, f"lib{name}.so")
        compile_model(a, path, lib)
        if y.dtype in (np.uint8, np.int8):
            # Within one quantization step: the codes compared here (dnncc-run compares integer
            # outputs exactly, so the data has no reference output).
            out = fresh(os.path.join(d, "out"))
            run([a.dnncc_run, lib, "--data", data, "--output-dir", out])
            got = np.load(os.path.join(out, "y.npy")).astype(np.int32)
            step = np.abs(got - y.astype(np.int32)).max()
            print(f"{name}: {op} codes within {step} step(s) of onnxruntime")
            if step > 1:
                raise Failure(f"{name}: {op} differs from onnxruntime by {step} steps")
        else:
            open(os.path.join(data, "output_0.pb"), "wb").write(
                numpy_helper.from_array(y, "y").SerializeToString())
            run([a.dnncc_run, lib, "--data", data, "--rtol", "1e-4", "--atol", "1e-5"])


def snr_db(ref, got):
    import numpy as np
    ref = ref.astype(np.float64)
    noise = ((got.astype(np.float64) - ref) ** 2).sum()
    return float("inf") if noise == 0 else 10 * np.log10((ref ** 2).sum() / noise)


def ptq(a):
    """dnncc --quantize=int8 of the float models against onnxruntime's quantize_static (QDQ,
    min-max, uint8 activations, per-channel int8 weights) with the same calibration samples: on
    inputs outside the calibration set, dnncc's output SNR against the f32 model's must be at
    least onnxruntime's minus 1 dB (the two round differently at a few ties). The CNN's samples
    are one batched .npy file, the MLP's ONNX test-data directories; the percentile method
    compiles too and gives a usable model (SNR above 20 dB)."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper
    work = fresh(a.work)
    rng = np.random.default_rng(23)
    for name, model, shape in float_models(rng):
        d = fresh(os.path.join(work, name))
        src = os.path.join(d, "model.onnx")
        onnx.save(model, src)
        calib = fresh(os.path.join(d, "calibration"))
        samples = [rng.standard_normal(shape).astype(np.float32) for _ in range(16)]
        if name == "cnn":
            np.save(os.path.join(calib, "batch.npy"), np.concatenate(samples))
        else:
            for i, x in enumerate(samples):
                t = fresh(os.path.join(calib, f"test_data_set_{i}"))
                open(os.path.join(t, "input_0.pb"), "wb").write(
                    numpy_helper.from_array(x, "x").SerializeToString())
        it = iter(samples)

        class Samples:
            def get_next(self):
                x = next(it, None)
                return None if x is None else {"x": x}

        from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
        ort_q = os.path.join(d, "ort_int8.onnx")
        quantize_static(src, ort_q, Samples(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        f32 = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
        int8 = ort.InferenceSession(ort_q, providers=["CPUExecutionProvider"])
        for method in ("minmax", "percentile"):
            lib = os.path.join(d, f"lib{name}_{method}.so")
            compile_model(a, src, lib, "--quantize=int8", "--calibration", calib,
                          f"--calibration-method={method}")
            ir = run([a.dnncc, src, f"--target={a.target}", "--quantize=int8", "--calibration",
                      calib, f"--calibration-method={method}", "--emit=ir", "-o", "-"])
            products = re.findall(r"= (conv|matmul|gemm)\(.*: (\w+)\[", ir)
            if not products or any(p[1] != "i32" for p in products):
                raise Failure(f"{name} {method}: not every conv and matmul is integer: {products}")
            ours, theirs = [], []
            for i in range(4):
                x = rng.standard_normal(shape).astype(np.float32)
                xf = os.path.join(d, f"x{i}.npy")
                np.save(xf, x)
                out = fresh(os.path.join(d, f"out_{method}_{i}"))
                run([a.dnncc_run, lib, "--input", f"x={xf}", "--output-dir", out])
                ref = f32.run(None, {"x": x})[0]
                ours.append((ref, np.load(os.path.join(out, "y.npy"))))
                theirs.append((ref, int8.run(None, {"x": x})[0]))
            snr = snr_db(np.concatenate([r.ravel() for r, _ in ours]),
                         np.concatenate([g.ravel() for _, g in ours]))
            ort_snr = snr_db(np.concatenate([r.ravel() for r, _ in theirs]),
                             np.concatenate([g.ravel() for _, g in theirs]))
            print(f"{name} {method}: SNR against f32 {snr:.2f} dB (dnncc int8), "
                  f"{ort_snr:.2f} dB (onnxruntime quantize_static, min-max)")
            if method == "minmax" and snr < ort_snr - 1.0:
                raise Failure(f"{name}: dnncc's int8 SNR {snr:.2f} dB is more than 1 dB below "
                              f"onnxruntime's {ort_snr:.2f} dB")
            if snr < 20:
                raise Failure(f"{name} {method}: SNR {snr:.2f} dB")


def zoo(a):
    """dnncc --quantize=int8 of zoo models (--models), calibrated on their own test input: each
    compiles for --target and runs (under qemu on ARM) with every conv and matmul quantized; the
    output's SNR against the f32 reference output is at least 25 dB (33-45 dB measured on x86-64
    for the CNNs) and the top-1 class is the same."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    work = fresh(a.work)
    for name in a.models.split(","):
        d = os.path.join(a.repo, "models", "zoo", name)
        model = os.path.join(d, "model.onnx")
        if not os.path.exists(model):
            raise Failure(f"{model} is missing: run models/export_zoo.py --out models/zoo")
        lib = os.path.join(work, f"lib{name}.so")
        compile_model(a, model, lib, "--quantize=int8", "--calibration", d)
        out = fresh(os.path.join(work, name))
        data = os.path.join(d, "test_data_set_0")
        run([a.dnncc_run, lib, "--data", data, "--rtol", "1e9", "--atol", "1e9", "--output-dir",
             out])
        ref = numpy_helper.to_array(onnx.load_tensor(os.path.join(data, "output_0.pb")))
        got = np.load(os.path.join(out, "output.npy"))
        snr = snr_db(ref.ravel(), got.ravel())
        same = bool((ref.argmax(-1) == got.argmax(-1)).all())
        print(f"{name}: int8 SNR {snr:.1f} dB against f32, top-1 {'same' if same else 'differs'}")
        if snr < 25 or not same:
            raise Failure(f"{name}: int8 SNR {snr:.1f} dB (at least 25 expected), top-1 same: "
                          f"{same}")


def asm(a):
    import numpy as np
    import onnx
    work = fresh(a.work)
    rng = np.random.default_rng(5)
    name, model, shape = float_models(rng)[0]
    src = os.path.join(work, "cnn_f32.onnx")
    onnx.save(model, src)
    path = os.path.join(work, "cnn_qdq.onnx")
    quantize(src, path, shape, "qdq", a.activations, rng)
    out = os.path.join(work, "cnn.s")
    compile_model(a, path, out, "--emit=asm")
    text = open(out).read()
    # The kernels of the integer convs (named dnncc_conv_i32_...) and their instructions.
    kernels = re.split(r"^(dnncc_conv_i32_\w+_[0-9a-f]{8}):", text, flags=re.M)
    dense = [(kernels[i], kernels[i + 1]) for i in range(1, len(kernels) - 1, 2)
             if "g1_" in kernels[i]]
    if not dense:
        raise Failure("no integer conv kernel (dnncc_conv_i32_*g1_*) in the assembly")
    instruction = re.compile(rf"\b(?:{a.expect})\b")
    for symbol, body in dense:
        uses = len(instruction.findall(body))
        if uses == 0:
            raise Failure(f"{symbol} has no {a.expect}")
        print(f"{symbol}: {uses} x {a.expect}")
    lib = os.path.join(work, "libcnn.so")
    compile_model(a, path, lib)
    header = open(os.path.join(work, "libcnn.h")).read()
    weights = re.search(r"_WEIGHTS_SIZE (\d+)", header)
    count = sum(int(np.prod(list(t.dims))) for t in onnx.load(path).graph.initializer
                if t.data_type in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8))
    if not weights:
        raise Failure("the header states no weight size")
    size = int(weights[1])
    print(f"8-bit initializers: {count} elements; the library's weights: {size} bytes")
    # Every 8-bit weight takes one byte; the rest (i32 biases, f32 scales) is small.
    if size >= 2 * count:
        raise Failure(f"{size} bytes of weights for {count} 8-bit weights: not stored as bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnncc", required=True)
    ap.add_argument("--dnncc-run")
    ap.add_argument("--target", default="x86-64")
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("quantized").add_argument("work")
    sub.add_parser("ptq").add_argument("work")
    sub.add_parser("contrib").add_argument("work")
    p = sub.add_parser("zoo")
    p.add_argument("work")
    p.add_argument("--models", required=True, help="zoo model names, comma-separated")
    p = sub.add_parser("asm")
    p.add_argument("work")
    p.add_argument("--expect", required=True,
                   help="a regular expression of the instructions every dense int8 conv kernel "
                   "uses (e.g. vpdpbusd)")
    p.add_argument("--activations", choices=["u8", "s8"], default="u8",
                   help="the activations' type in the QDQ model (ARM sdot takes s8 x s8)")
    a = ap.parse_args()
    a.repo = os.path.abspath(a.repo)
    return dispatch({"quantized": quantized, "ptq": ptq, "contrib": contrib, "zoo": zoo,
                     "asm": asm}, a)


if __name__ == "__main__":
    sys.exit(main())
