#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into tests/fuzz/corpus/<target>/ (committed; rerun after
changing this script). Small valid inputs that reach deep into each reader:

    .venv/bin/python tests/fuzz/make_seeds.py [--out tests/fuzz/corpus]

onnx_import (and compile, which reads the same directory): tinynet and the small base models of tests/malformed/make_corpus.py (LSTM,
Reshape/Gather/Concat/Transpose/MatMul, Resize/Pad/Slice, If; external data left out).
ir_parser: tests/ir/*.ir are its seeds too (named in CMakeLists.cmake, not copied).
tensor_io: .npy (several dtypes, Fortran order, version 2) and .pb files, each after the byte that
selects the reader. nnef_import: graph.nnef texts (flat, fragments, quantization after a NUL).
nnef_tensor_file: .dat files after the two bytes that pick the declared type and rank."""
import argparse
import io
import os
import shutil
import struct
import sys

import numpy as np
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "malformed"))
import make_corpus  # noqa: E402


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def npy_bytes(array, version=None, fortran=False):
    buf = io.BytesIO()
    if fortran:
        array = np.asfortranarray(array)
    if version:
        np.lib.format.write_array(buf, array, version=version)
    else:
        np.save(buf, array)
    return buf.getvalue()


NNEF_GRAPHS = {
    "conv.nnef": """version 1.0;
graph net( x ) -> ( y )
{
    x = external<scalar>(shape = [1, 2, 6, 6]);
    w = constant<scalar>(shape = [3, 2, 3, 3], value = [0.5]);
    b = constant<scalar>(shape = [1, 3], value = [0.1, 0.2, 0.3]);
    c = conv(x, w, b, padding = [(1, 1), (1, 1)], border = 'constant');
    r = relu(c);
    p = max_pool(r, size = [1, 1, 2, 2], stride = [1, 1, 2, 2]);
    y = softmax(reshape(p, shape = [1, -1]), axes = [1]);
}
""",
    "tensor_ops.nnef": """version 1.0;
graph net( a, b ) -> ( y, z )
{
    a = external<scalar>(shape = [2, 3, 4]);
    b = external<scalar>(shape = [2, 3, 4]);
    s = add(a, mul(b, 2.0));
    [u, v] = split(s, axis = 2, ratios = [1, 1]);
    t = transpose(u, axes = [1, 0, 2]);
    y = concat([t, transpose(v, axes = [1, 0, 2])], axis = 2);
    m = matmul(reshape(a, shape = [6, 4]), reshape(b, shape = [6, 4]), transposeB = true);
    z = select(gt(m, 0.0), m, clamp(m, -1.0, 1.0));
}
""",
    "fragments.nnef": """version 1.0;
extension KHR_enable_fragment_definitions, KHR_enable_operator_expressions;
fragment scaled( x: tensor<scalar>, k: scalar = 2.0 ) -> ( y: tensor<scalar> )
{
    y = x * k + 1.0;
}
graph net( x ) -> ( y )
{
    x = external<scalar>(shape = [4, 4]);
    y = scaled(sigmoid(x), k = 3.0);
}
""",
    "quantized.nnef": """version 1.0;
graph net( x ) -> ( y )
{
    x = external<scalar>(shape = [1, 4]);
    q = copy(x);
    y = relu(q);
}
\0"q": zero_point_linear_quantize(zero_point = 128, scale = 0.05, bits = 8, signed = false, symmetric = false);
""",
}


def dat(items, bits, item_type, shape):
    """An NNEF tensor file: 128-byte header (NNEF 1.0 section 5.2) and the items."""
    data = items.tobytes()
    header = bytes([0x4E, 0xEF, 1, 0]) + struct.pack("<II", len(data), len(shape))
    header += struct.pack("<8I", *(list(shape) + [0] * (8 - len(shape))))
    return header + struct.pack("<II", bits, item_type) + bytes(76) + data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    args = ap.parse_args()
    for target in ("onnx_import", "tensor_io", "nnef_import", "nnef_tensor_file"):
        shutil.rmtree(os.path.join(args.out, target), ignore_errors=True)

    tinynet = os.path.join(REPO, "models", "tinynet")
    models = {"tinynet.onnx": open(os.path.join(tinynet, "model.onnx"), "rb").read()}
    for name, build in make_corpus.BASES.items():
        if build is not None and name != "external":
            models[f"{name}.onnx"] = build().SerializeToString()
    for name, data in models.items():  # also the compile target's seeds (CMakeLists.cmake)
        write(os.path.join(args.out, "onnx_import", name), data)

    tio = os.path.join(args.out, "tensor_io")
    pb = open(os.path.join(tinynet, "test_data_set_0", "input_0.pb"), "rb").read()
    write(os.path.join(tio, "tinynet_input.pb"), b"\x01" + pb)
    rng = np.random.default_rng(7)
    typed = {"f32": rng.standard_normal((2, 3)).astype(np.float32),
             "i64": np.arange(6, dtype=np.int64).reshape(3, 2),
             "bool": np.array([True, False, True]),
             "f16": np.ones((2, 2), np.float16),
             "u8_scalar": np.array(7, np.uint8)}
    for name, array in typed.items():
        write(os.path.join(tio, f"{name}.npy"), b"\x00" + npy_bytes(array))
        write(os.path.join(tio, f"{name}.pb"), b"\x01" +
              numpy_helper.from_array(array, name).SerializeToString())
    write(os.path.join(tio, "fortran.npy"), b"\x00" + npy_bytes(typed["f32"], fortran=True))
    write(os.path.join(tio, "v2.npy"), b"\x00" + npy_bytes(typed["i64"], version=(2, 0)))

    for name, text in NNEF_GRAPHS.items():
        write(os.path.join(args.out, "nnef_import", name), text.encode())

    ntf = os.path.join(args.out, "nnef_tensor_file")
    write(os.path.join(ntf, "f32.dat"),
          bytes([0, 2]) + dat(np.arange(6, dtype=np.float32), 32, 0, [2, 3]))
    write(os.path.join(ntf, "f16.dat"),
          bytes([0, 1]) + dat(np.ones(4, np.float16), 16, 0, [4]))
    write(os.path.join(ntf, "q8.dat"),
          bytes([0, 2]) + dat(np.arange(-3, 3, dtype=np.int8), 8, 3, [3, 2]))
    write(os.path.join(ntf, "i64.dat"),
          bytes([1, 1]) + dat(np.arange(5, dtype=np.int64), 64, 4, [5]))
    write(os.path.join(ntf, "logical.dat"),
          bytes([2, 1]) + dat(np.packbits([1, 0, 1, 1, 0, 0, 0, 1, 1]), 1, 5, [9]))
    print(f"seed corpora written to {args.out}")


if __name__ == "__main__":
    main()
