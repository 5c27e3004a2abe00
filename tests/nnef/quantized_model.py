"""A small quantized NNEF model (graph.quant plus quantized tensor files) and its reference
outputs, computed with numpy from the formulas of NNEF 1.0.5 (section 4.10,
zero_point_linear_quantize; tensor files with quantized item types, section 5.2).

The model: xq = copy(x) quantized to u8 (zero point 128); conv with int8 weights (signed,
symmetric) and an int32 bias of scale sx * sw1; relu quantized to u8; a 1x1 conv with int8
weights, its result quantized to u8 (zero point 128). dnncc runs the convs on its int8 path
(qdq-to-integer)."""
import os
import struct

import numpy as np
import onnx
from onnx import numpy_helper

SX, SW1, SR1, SW2, SY, ZX, ZY = 0.02, 0.01, 0.05, 0.008, 0.1, 128, 128

GRAPH = """version 1.0;

graph qnet( x ) -> ( out )
{
    x = external<scalar>(shape = [1, 3, 16, 16]);
    w1 = variable<scalar>(shape = [8, 3, 3, 3], label = 'w1');
    b1 = variable<scalar>(shape = [1, 8], label = 'b1');
    w2 = variable<scalar>(shape = [4, 8, 1, 1], label = 'w2');
    xq = copy(x);
    c1 = conv(xq, w1, b1, padding = [(1, 1), (1, 1)]);
    r1 = relu(c1);
    y = conv(r1, w2, 0.0);
    out = copy(y);
}
"""

QUANT = f"""\
"xq": zero_point_linear_quantize(zero_point = {ZX}, scale = {SX}, bits = 8, signed = false, symmetric = false);
"w1": zero_point_linear_quantize(zero_point = 0, scale = {SW1}, bits = 8, signed = true, symmetric = true);
"b1": zero_point_linear_quantize(zero_point = 0, scale = {SX * SW1}, bits = 32, signed = true, symmetric = false);
"r1": zero_point_linear_quantize(zero_point = 0, scale = {SR1}, bits = 8, signed = false, symmetric = false);
"w2": zero_point_linear_quantize(zero_point = 0, scale = {SW2}, bits = 8, signed = true, symmetric = true);
"y": zero_point_linear_quantize(zero_point = {ZY}, scale = {SY}, bits = 8, signed = false, symmetric = false);
"""


def quantized_tensor_file(q, bits):
    """An NNEF tensor file of signed quantized items (item type 3)."""
    data = q.astype({8: np.int8, 32: np.int32}[bits]).tobytes()
    shape = list(q.shape)
    header = bytes([0x4E, 0xEF, 1, 0]) + struct.pack("<II", len(data), len(shape))
    header += struct.pack("<8I", *(shape + [0] * (8 - len(shape))))
    return header + struct.pack("<II", bits, 3) + bytes(76) + data


def fake_quantize(x, zero_point, scale, lo, hi):
    """zero_point_linear_quantize: NNEF's round (halves away from zero), clamp, dequantize."""
    s = x / np.float32(scale)
    q = np.clip(np.sign(s) * np.floor(np.abs(s) + 0.5) + zero_point, lo, hi)
    return ((q - zero_point) * np.float32(scale)).astype(np.float32)


def conv2d(x, w, pad):
    """NCHW convolution, stride 1, in float64."""
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    out = np.zeros((n, o, h - kh + 1, wd - kw + 1))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nchw,oc->nohw", x[:, :, i:i + out.shape[2], j:j + out.shape[3]],
                             w[:, :, i, j])
    return out


def write(out_dir, seed=0):
    """Writes the model into out_dir and its test data into out_dir/test_data_set_0; returns
    the size of one output step (the tolerance a rounding tie may cost)."""
    rng = np.random.RandomState(seed)
    w1 = rng.randint(-127, 128, (8, 3, 3, 3))
    b1 = rng.randint(-2000, 2000, (1, 8))
    w2 = rng.randint(-127, 128, (4, 8, 1, 1))
    os.makedirs(out_dir, exist_ok=True)
    for name, blob in (("w1", quantized_tensor_file(w1, 8)), ("b1", quantized_tensor_file(b1, 32)),
                       ("w2", quantized_tensor_file(w2, 8))):
        with open(os.path.join(out_dir, name + ".dat"), "wb") as f:
            f.write(blob)
    with open(os.path.join(out_dir, "graph.nnef"), "w") as f:
        f.write(GRAPH)
    with open(os.path.join(out_dir, "graph.quant"), "w") as f:
        f.write(QUANT)
    x = rng.uniform(-2.5, 2.5, (1, 3, 16, 16)).astype(np.float32)
    xq = fake_quantize(x, ZX, SX, 0, 255)
    c1 = conv2d(xq, w1 * SW1, 1) + (b1 * SX * SW1).reshape(1, 8, 1, 1)
    r1 = fake_quantize(np.maximum(c1, 0).astype(np.float32), 0, SR1, 0, 255)
    y = fake_quantize(conv2d(r1, w2 * SW2, 0).astype(np.float32), ZY, SY, 0, 255)
    data = os.path.join(out_dir, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save_tensor(numpy_helper.from_array(x, "x"), os.path.join(data, "input_0.pb"))
    onnx.save_tensor(numpy_helper.from_array(y, "out"), os.path.join(data, "output_0.pb"))
    return SY
