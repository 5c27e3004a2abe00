#!/usr/bin/env python3
"""NNEF 1.0 operation test cases: one or more small graphs for every standard operation.

  generate --out DIR [--only SUBSTRING]
      writes one directory per case under DIR:
        graph.nnef              flat NNEF (`version 1.0;`), inputs as external<T>(shape = ...),
                                weights as variable<T>(shape = ..., label = ...)
        <label>.dat             the variables, written by nnef.write_tensor
        test_data_set_0/        input_<i>.pb / output_<i>.pb ONNX TensorProtos named after the
                                graph's externals and outputs (float32 / int64 / bool for
                                scalar / integer / logical tensors)
        case.json               {op, reference, rtol, atol}
      and DIR/index.json (every case's name and op, the generator version). A second run with the
      same generator version (a hash of this file) leaves DIR alone.

References. Every case is run by up to three evaluators: tract (an independent NNEF runtime),
the nnef_tools PyTorch interpreter, and a numpy transcription of the operation's definition in
the NNEF 1.0 specification (its standard-library fragment where it has one) written here. Where
the numpy version exists it is the arbiter: the reference is tract when tract agrees with it,
else nnef_tools when that agrees, else numpy. Without a numpy version the reference is tract,
else nnef_tools. Every disagreement between two evaluators is printed (and listed in index.json).

NNEF semantics that the numpy code follows and that differ from numpy's own:
  - binary operations broadcast with the shapes aligned from the LEFT: the lower-rank operand
    gets trailing singleton dims (a [1, C] bias against [N, C, H, W]);
  - reductions keep the reduced axes (size 1);
  - padding = [] means automatic ('same') padding: total = max(0, (ceil(n / s) - 1) * s +
    (k - 1) * d + 1 - n), split front = total // 2;
  - argmax_pool / sample indices are positions in the flattened pooling window;
  - gelu is x * sigmoid(1.702 * x) (the fragment), not the erf form.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys

import numpy as np

# Every operation of the NNEF 1.0 standard library, in the specification's order.
STANDARD_OPS = """external constant variable update reshape transpose concat split slice stack
unstack squeeze unsqueeze pad tile gather cast add sub mul div pow min max lt le gt ge eq ne and or
select clamp copy neg rcp exp log sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh abs
sign floor ceil round sqr sqrt rsqr rsqrt log2 not relu sigmoid elu selu gelu silu prelu
leaky_relu softabs softplus softmax conv deconv box debox sample desample max_pool argmax_pool
max_pool_with_index avg_pool rms_pool separable_conv separable_deconv nearest_downsample
nearest_upsample area_downsample multilinear_upsample local_response_normalization
local_mean_normalization local_variance_normalization local_contrast_normalization
l1_normalization l2_normalization batch_normalization sum_reduce min_reduce max_reduce
mean_reduce argmax_reduce argmin_reduce any_reduce all_reduce moments max_roi_pool avg_roi_pool
roi_resample max_roi_align avg_roi_align matmul linear add_n copy_n min_max_linear_quantize
zero_point_linear_quantize linear_quantize logarithmic_quantize""".split()

VERSION = hashlib.sha256(open(__file__, "rb").read()).hexdigest()[:16]

NNEF_TYPES = {np.dtype(np.float32): "scalar", np.dtype(np.int64): "integer",
              np.dtype(np.bool_): "logical"}
NUMPY_TYPES = {"scalar": np.float32, "integer": np.int64, "logical": np.bool_}


class Case:
    """One graph. `body` holds the NNEF statements after the declarations of `inputs` (externals,
    in order) and `variables` (name = label); `outputs` names the graph's results; `numpy` maps
    the dict of inputs and variables to the list of outputs, per the specification."""

    def __init__(self, name, op, inputs, body, outputs, variables=None, numpy=None,
                 rtol=1e-4, atol=1e-5):
        self.name, self.op, self.inputs, self.body = name, op, inputs, body
        self.outputs, self.variables, self.numpy = outputs, variables or {}, numpy
        self.rtol, self.atol = rtol, atol

    def graph(self):
        decls = [f"{n} = external<{NNEF_TYPES[a.dtype]}>(shape = {list(a.shape)});"
                 for n, a in self.inputs.items()]
        decls += [f"{n} = variable<{NNEF_TYPES[a.dtype]}>(shape = {list(a.shape)}, label = '{n}');"
                  for n, a in self.variables.items()]
        lines = decls + [s if s.endswith(";") else s + ";" for s in self.body]
        return ("version 1.0;\n\n"
                f"graph {self.name}_graph( {', '.join(self.inputs)} ) -> "
                f"( {', '.join(self.outputs)} )\n"
                "{\n" + "".join(f"    {line}\n" for line in lines) + "}\n")


# ----------------------------------------------------------------------------------------------
# numpy transcriptions of the specification

def bcast(*xs):
    """NNEF broadcasting: shapes aligned from the left (trailing singleton dims added)."""
    xs = [np.asarray(x) for x in xs]
    rank = max(x.ndim for x in xs)
    return [x.reshape(x.shape + (1,) * (rank - x.ndim)) for x in xs]


def binary(f):
    return lambda x, y: f(*bcast(x, y))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def f32(x):
    return np.asarray(x, np.float32)


def reduce_axes(x, axes, f):
    return f(x, axis=tuple(axes), keepdims=True)


def arg_reduce(x, axes, f):
    """Index of the extreme value within the flattened sub-tensor of `axes` (row-major)."""
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape([x.shape[a] for a in rest] + [-1])
    idx = f(flat, axis=-1)
    shape = [1 if a in axes else x.shape[a] for a in range(x.ndim)]
    return idx.reshape(shape).astype(np.int64)


def auto_padding(shape, size, stride, dilation):
    pads = []
    for n, k, s, d in zip(shape, size, stride, dilation):
        total = max(0, (-(-n // s) - 1) * s + (k - 1) * d + 1 - n)
        pads.append((total // 2, total - total // 2))
    return pads


def pad_array(x, padding, border, value=0.0):
    mode = {"constant": "constant", "ignore": "constant", "reflect": "reflect",
            "replicate": "edge", "reflect-even": "symmetric"}[border]
    kw = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x, padding, mode=mode, **kw)


def windows(x, size, border, padding, stride, dilation, value=0.0):
    """The pooling windows of x (a full-rank window, as box and max_pool take): (patches, valid),
    both of shape output_shape + size; valid is False at padded positions."""
    rank = x.ndim
    stride = stride or [1] * rank
    dilation = dilation or [1] * rank
    padding = padding or auto_padding(x.shape, size, stride, dilation)
    padded = pad_array(x, padding, border, value)
    valid = np.pad(np.ones(x.shape, bool), padding)
    extent = [(k - 1) * d + 1 for k, d in zip(size, dilation)]
    pick = tuple(slice(None, None, s) for s in stride) + tuple(slice(None, None, d)
                                                               for d in dilation)
    view = lambda a: np.lib.stride_tricks.sliding_window_view(a, extent)[pick]
    return view(padded), view(valid)


def window_axes(rank):
    return tuple(range(rank, 2 * rank))


def np_box(x, size, border="constant", padding=None, stride=None, dilation=None,
           normalize=False):
    patches, valid = windows(x, size, border, padding, stride, dilation)
    axes = window_axes(x.ndim)
    total = np.sum(np.where(valid, patches, 0.0) if border == "ignore" else patches, axis=axes)
    if not normalize:
        return f32(total)
    count = np.sum(valid, axis=axes) if border == "ignore" else np.prod(size)
    return f32(total / count)


def np_max_pool(x, size, border="constant", padding=None, stride=None, dilation=None):
    patches, valid = windows(x, size, border, padding, stride, dilation)
    if border == "ignore":
        patches = np.where(valid, patches, -np.inf)
    return f32(np.max(patches, axis=window_axes(x.ndim)))


def np_argmax_pool(x, size, border="constant", padding=None, stride=None, dilation=None):
    patches, valid = windows(x, size, border, padding, stride, dilation)
    if border == "ignore":
        patches = np.where(valid, patches, -np.inf)
    flat = patches.reshape(patches.shape[:x.ndim] + (-1,))
    return np.argmax(flat, axis=-1).astype(np.int64)


def np_sample(x, index, size, border="constant", padding=None, stride=None, dilation=None):
    patches, _ = windows(x, size, border, padding, stride, dilation)
    flat = patches.reshape(patches.shape[:x.ndim] + (-1,))
    return f32(np.take_along_axis(flat, index[..., None], axis=-1)[..., 0])


def np_conv(x, w, bias=0.0, border="constant", padding=None, stride=None, dilation=None,
            groups=1):
    """x [N, C, spatial...], w [O, C / groups, kernel...]; groups = 0 means C (depthwise)."""
    n, c = x.shape[:2]
    o, spatial = w.shape[0], list(w.shape[2:])
    groups = groups or c
    s = len(spatial)
    padding = [(0, 0)] * 2 + (padding or auto_padding(x.shape[2:], spatial, stride or [1] * s,
                                                      dilation or [1] * s))
    patches, _ = windows(x, [1, 1] + spatial, border, padding, [1, 1] + (stride or [1] * s),
                         [1, 1] + (dilation or [1] * s))
    patches = patches.reshape(patches.shape[:2 + s] + tuple(spatial))  # [N, C, out..., k...]
    outs = []
    cg, og = c // groups, o // groups
    letters = "abcdefgh"[:s]
    kl = "pqrstuvw"[:s]
    for g in range(groups):
        xp = patches[:, g * cg:(g + 1) * cg]
        wg = w[g * og:(g + 1) * og]
        outs.append(np.einsum(f"nc{letters}{kl},oc{kl}->no{letters}", xp, wg))
    y = np.concatenate(outs, axis=1)
    b = np.asarray(bias, np.float32)
    return f32(y + b.reshape(b.shape + (1,) * (y.ndim - b.ndim)))


def np_deconv(x, w, bias=0.0, padding=None, stride=None, dilation=None, output_shape=None,
              groups=1):
    """The transpose of conv: x [N, C, spatial...], w [C, O / groups, kernel...] (the filter
    of the conv that deconv transposes); groups = 0 means C. Each input element scatters
    x * w into the uncropped output, which is then cropped by padding (the automatic padding
    of a conv from the output shape when padding = [])."""
    n, c = x.shape[:2]
    groups = groups or c
    k, s = list(w.shape[2:]), x.ndim - 2
    stride, dilation = stride or [1] * s, dilation or [1] * s
    full = [(i - 1) * st + (kk - 1) * dd + 1
            for i, kk, st, dd in zip(x.shape[2:], k, stride, dilation)]
    if output_shape:
        out = list(output_shape[2:])
    elif padding:
        out = [f - p - q for f, (p, q) in zip(full, padding)]
    else:
        out = [i * st for i, st in zip(x.shape[2:], stride)]
    padding = padding or auto_padding(out, k, stride, dilation)
    cig, cog = c // groups, w.shape[1]
    y = np.zeros((n, cog * groups) + tuple(max(f, p + o) for f, (p, _), o
                                           in zip(full, padding, out)))
    for g in range(groups):
        xg, wg = x[:, g * cig:(g + 1) * cig], w[g * cig:(g + 1) * cig]
        for off in np.ndindex(*k):
            at = tuple(slice(o * dd, o * dd + (i - 1) * st + 1, st)
                       for o, dd, i, st in zip(off, dilation, x.shape[2:], stride))
            y[(slice(None), slice(g * cog, (g + 1) * cog)) + at] += np.einsum(
                "nc...,co->no...", xg, wg[(slice(None), slice(None)) + off])
    y = y[(slice(None), slice(None)) + tuple(slice(p, p + o) for (p, _), o in zip(padding, out))]
    b = np.asarray(bias, np.float32)
    return f32(y + b.reshape(b.shape + (1,) * (y.ndim - b.ndim)))


def np_debox(x, size, padding=None, stride=None, dilation=None, output_shape=None,
             normalize=False):
    """debox with size, padding, stride and dilation 1 / 0 in the batch and channel dims (the
    cases' use): a depthwise deconv with a filter of ones (1 / its volume when normalize)."""
    c = x.shape[1]
    w = np.full((c, 1) + tuple(size[2:]), 1.0 / np.prod(size) if normalize else 1.0)
    return np_deconv(x, w, padding=padding and padding[2:], stride=stride and stride[2:],
                     dilation=dilation and dilation[2:], output_shape=output_shape, groups=0)


def np_softmax(x, axes=(1,)):
    e = np.exp(x - reduce_axes(x, axes, np.max))
    return f32(e / reduce_axes(e, axes, np.sum))


def np_slice(x, axes, begin, end, stride=None):
    index = [slice(None)] * x.ndim
    for i, (a, b, e) in enumerate(zip(axes, begin, end)):
        s = stride[i] if stride else 1
        n = x.shape[a]
        b = b + n if b < 0 else b
        e = e + n if e < 0 else (n if e == 0 and s > 0 else e)
        index[a] = slice(b, e, s)
    return x[tuple(index)]


def np_reshape(x, shape, axis_start=0, axis_count=-1):
    if axis_count == -1:
        axis_count = x.ndim - axis_start
    old = x.shape[axis_start:axis_start + axis_count]
    new = [old[i] if d == 0 else d for i, d in enumerate(shape)]
    return x.reshape(list(x.shape[:axis_start]) + new + list(x.shape[axis_start + axis_count:]))


def np_min_max_linear_quantize(x, lo, hi, bits, signed, symmetric):
    r = 2 ** bits - 1 - int(signed and symmetric)
    z = np.clip(x, lo, hi)
    p = (2 ** (bits - 1) - int(symmetric)) if signed else 0
    q = np.round((z - lo) / (hi - lo) * r) - p
    return f32((q + p) / r * (hi - lo) + lo)


def np_zero_point_linear_quantize(x, zero_point, scale, bits, signed, symmetric):
    z = np.asarray(zero_point, np.float32)
    s = np.round(x / scale) + z
    r = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1
    lo = 0.0 if not signed else (-r if symmetric else -r - 1.0)
    return f32((np.clip(s, lo, r) - z) * scale)


def np_logarithmic_quantize(x, hi, bits):
    m = np.ceil(np.log2(hi))
    r = 2.0 ** bits - 1
    q = np.round(np.clip(np.log2(np.abs(x)), m - r, m))
    return f32(np.sign(x) * 2.0 ** q)


def np_bilinear(img, ys, xs, border="replicate"):
    """Samples img [C, H, W] at real coordinates (pixel centers at integers) by bilinear
    interpolation; outside the image: the nearest edge (replicate) or zero (constant)."""
    c, h, w = img.shape
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    wy, wx = ys - y0, xs - x0
    out = np.zeros((c, len(ys), len(xs)))
    for dy, fy in ((0, 1 - wy), (1, wy)):
        for dx, fx in ((0, 1 - wx), (1, wx)):
            yy, xx = y0 + dy, x0 + dx
            inside = ((yy >= 0) & (yy < h))[:, None] & ((xx >= 0) & (xx < w))[None, :]
            v = img[:, np.clip(yy, 0, h - 1)][:, :, np.clip(xx, 0, w - 1)]
            if border == "constant":
                v = np.where(inside, v, 0.0)
            out += v * (fy[:, None] * fx[None, :])
    return out


def upsample_coords(n, f, method):
    i = np.arange(n * f, dtype=np.float64)
    if method == "aligned":
        return i * (n - 1) / (n * f - 1)
    return (i + 0.5) / f - 0.5  # symmetric


def np_multilinear_upsample(x, factor, method="symmetric", border="replicate"):
    n, c, h, w = x.shape
    ys, xs = upsample_coords(h, factor[0], method), upsample_coords(w, factor[1], method)
    return f32(np.stack([np_bilinear(x[b], ys, xs, border) for b in range(n)]))


def roi_pixels(rois, batch_index):
    """ROI rows (x1, y1, x2, y2) in input pixels; the cases use square ROIs (x1 = y1,
    x2 = y2) so that the coordinate order cannot matter."""
    return [(int(b), r) for b, r in zip(batch_index, rois)]


def np_roi_pool(x, rois, batch_index, output_size, f):
    """Each ROI [x1, x2) x [y1, y2) (integer pixel corners) split into output_size equal bins."""
    out = []
    for b, (x1, y1, x2, y2) in roi_pixels(rois, batch_index):
        x1, y1, x2, y2 = (int(round(v)) for v in (x1, y1, x2, y2))
        oh, ow = output_size
        bh, bw = (y2 - y1) / oh, (x2 - x1) / ow
        res = np.zeros((x.shape[1], oh, ow))
        for i in range(oh):
            for j in range(ow):
                ys = slice(y1 + int(np.floor(i * bh)), y1 + int(np.ceil((i + 1) * bh)))
                xs = slice(x1 + int(np.floor(j * bw)), x1 + int(np.ceil((j + 1) * bw)))
                res[:, i, j] = f(x[b][:, ys, xs], axis=(1, 2))
        out.append(res)
    return f32(np.stack(out))


def np_roi_resample(x, rois, batch_index, output_size):
    """Bilinear resampling of each ROI to output_size, 'symmetric' (pixel-center) sampling."""
    out = []
    for b, (x1, y1, x2, y2) in roi_pixels(rois, batch_index):
        oh, ow = output_size
        ys = y1 + (np.arange(oh) + 0.5) * (y2 - y1) / oh - 0.5
        xs = x1 + (np.arange(ow) + 0.5) * (x2 - x1) / ow - 0.5
        out.append(np_bilinear(x[b], ys, xs))
    return f32(np.stack(out))


def np_roi_align(x, rois, batch_index, output_size, rate, pool):
    size = [o * r for o, r in zip(output_size, rate)]
    resized = np_roi_resample(x, rois, batch_index, size)
    return pool(resized, [1, 1] + rate, padding=[(0, 0)] * 4, stride=[1, 1] + rate)


# ----------------------------------------------------------------------------------------------
# The cases

def build_cases():
    rng = np.random.default_rng(20240611)

    def rand(*shape, lo=-2.0, hi=2.0):
        return rng.uniform(lo, hi, shape).astype(np.float32)

    def ints(*shape, lo=0, hi=5):
        return rng.integers(lo, hi, shape).astype(np.int64)

    def bools(*shape):
        return rng.random(shape) < 0.5

    cases = []

    def case(name, op, inputs, body, outputs, numpy=None, **kw):
        cases.append(Case(name, op, inputs, body if isinstance(body, list) else [body], outputs,
                          numpy=numpy, **kw))

    # --- declarations, shape ops -------------------------------------------------------------
    x = rand(2, 3)
    case("external", "external", {"x": x, "i": ints(4), "b": bools(3)},
         ["y = mul(x, x)", "j = copy(i)", "c = copy(b)"], ["y", "j", "c"],
         lambda d: [f32(d["x"] * d["x"]), d["i"], d["b"]])
    cvals = [0.5, -1.0, 2.0, 3.5, 0.25, -0.75]
    case("constant", "constant", {"x": x},
         [f"c = constant<scalar>(shape = [2, 3], value = {cvals})", "y = add(x, c)"], ["y"],
         lambda d: [f32(d["x"] + np.array(cvals, np.float32).reshape(2, 3))])
    case("constant_splat", "constant", {"x": x},
         ["c = constant<scalar>(shape = [2, 3], value = [1.5])", "y = mul(x, c)"], ["y"],
         lambda d: [f32(d["x"] * 1.5)])
    case("variable", "variable", {"x": x}, ["y = mul(x, w)"], ["y"],
         lambda d: [f32(d["x"] * d["w"])], variables={"w": rand(2, 3)})
    case("variable_integer", "variable", {"x": rand(5, 3)}, ["y = gather(x, idx, axis = 0)"],
         ["y"], lambda d: [d["x"][d["idx"]]], variables={"idx": np.array([4, 0, 2], np.int64)})
    case("update", "update", {"x": x}, ["y = update(v, x)"], ["y"], lambda d: [d["x"]],
         variables={"v": rand(2, 3)})

    x4 = rand(2, 3, 4, 5)
    for name, args, shape_args in [
            ("reshape", "shape = [6, 20]", ([6, 20],)),
            ("reshape_zero_minus_one", "shape = [0, -1]", ([0, -1],)),
            ("reshape_axis_start_count", "shape = [12], axis_start = 1, axis_count = 2",
             ([12], 1, 2)),
            ("reshape_axis_start_tail", "shape = [-1, 1, 5], axis_start = 2",
             ([-1, 1, 5], 2))]:
        case(name, "reshape", {"x": x4}, f"y = reshape(x, {args})", ["y"],
             lambda d, sa=shape_args: [np_reshape(d["x"], *sa)])
    case("reshape_integer", "reshape", {"i": ints(2, 6)}, "y = reshape(i, shape = [3, 4])", ["y"],
         lambda d: [d["i"].reshape(3, 4)], rtol=0, atol=0)
    case("transpose", "transpose", {"x": x4}, "y = transpose(x, axes = [0, 2, 3, 1])", ["y"],
         lambda d: [d["x"].transpose(0, 2, 3, 1)])
    case("transpose_prefix", "transpose", {"x": x4}, "y = transpose(x, axes = [1, 0])", ["y"],
         lambda d: [d["x"].transpose(1, 0, 2, 3)])
    case("concat", "concat", {"a": rand(2, 1, 4), "b": rand(2, 3, 4), "c": rand(2, 2, 4)},
         "y = concat([a, b, c], axis = 1)", ["y"],
         lambda d: [np.concatenate([d["a"], d["b"], d["c"]], 1)])
    case("concat_logical", "concat", {"a": bools(2, 3), "b": bools(1, 3)},
         "y = concat([a, b], axis = 0)", ["y"], lambda d: [np.concatenate([d["a"], d["b"]])])
    case("split", "split", {"x": rand(2, 6, 3)},
         "[a, b, c] = split(x, axis = 1, ratios = [1, 2, 3])",
         ["a", "b", "c"], lambda d: np.split(d["x"], [1, 3], axis=1))
    case("split_even", "split", {"x": rand(4, 6)}, "[a, b] = split(x, axis = 0, ratios = [1, 1])",
         ["a", "b"], lambda d: np.split(d["x"], 2, axis=0))
    xs = rand(3, 6, 7)
    for name, args, sa in [
            ("slice", "axes = [1, 2], begin = [1, 2], end = [4, 6]", ([1, 2], [1, 2], [4, 6])),
            ("slice_negative", "axes = [1, 2], begin = [-4, 1], end = [-1, -2]",
             ([1, 2], [-4, 1], [-1, -2])),
            ("slice_zero_end", "axes = [0, 2], begin = [1, 3], end = [0, 0]",
             ([0, 2], [1, 3], [0, 0])),
            ("slice_stride", "axes = [1, 2], begin = [0, 1], end = [6, 7], stride = [2, 3]",
             ([1, 2], [0, 1], [6, 7], [2, 3])),
            ("slice_negative_stride", "axes = [1], begin = [5], end = [0], stride = [-1]",
             ([1], [5], [0], [-1]))]:
        case(name, "slice", {"x": xs}, f"y = slice(x, {args})", ["y"],
             lambda d, sa=sa: [np_slice(d["x"], *sa)])
    case("stack", "stack", {"a": rand(2, 3), "b": rand(2, 3)}, "y = stack([a, b], axis = 1)",
         ["y"], lambda d: [np.stack([d["a"], d["b"]], 1)])
    case("unstack", "unstack", {"x": rand(2, 3, 4)}, "[a, b, c] = unstack(x, axis = 1)",
         ["a", "b", "c"], lambda d: [d["x"][:, i] for i in range(3)])
    case("squeeze", "squeeze", {"x": rand(1, 3, 1, 4)}, "y = squeeze(x, axes = [0, 2])", ["y"],
         lambda d: [d["x"].reshape(3, 4)])
    case("unsqueeze", "unsqueeze", {"x": rand(3, 4)}, "y = unsqueeze(x, axes = [0, 3])", ["y"],
         lambda d: [d["x"].reshape(1, 3, 4, 1)])
    xp = rand(1, 2, 4, 5)
    pads = [(0, 0), (0, 0), (1, 2), (2, 1)]
    for border, extra in [("constant", ""), ("constant", ", value = 1.5"), ("reflect", ""),
                          ("replicate", "")]:
        value = 1.5 if extra else 0.0
        case(f"pad_{border}{'_value' if extra else ''}", "pad", {"x": xp},
             f"y = pad(x, padding = {pads}, border = '{border}'{extra})", ["y"],
             lambda d, b=border, v=value: [f32(pad_array(d["x"], pads, b, v))])
    case("tile", "tile", {"x": rand(2, 3)}, "y = tile(x, repeats = [2, 3])", ["y"],
         lambda d: [np.tile(d["x"], (2, 3))])
    case("gather", "gather", {"x": rand(3, 5, 2), "i": ints(2, 3, hi=5)},
         "y = gather(x, i, axis = 1)", ["y"], lambda d: [np.take(d["x"], d["i"], axis=1)])
    case("gather_default_axis", "gather", {"x": rand(4, 3), "i": ints(5, hi=4)},
         "y = gather(x, i)", ["y"], lambda d: [np.take(d["x"], d["i"], axis=0)])
    xi = np.round(rand(3, 4, lo=-5, hi=5))
    xi[0, :2] = 0.0
    case("cast", "cast", {"x": xi, "i": ints(3, 4, lo=-3, hi=3), "b": bools(3, 4)},
         ["a = cast<integer>(x)", "s = cast<scalar>(i)", "l = cast<logical>(x)",
          "t = cast<scalar>(b)"], ["a", "s", "l", "t"],
         lambda d: [d["x"].astype(np.int64), f32(d["i"]), d["x"] != 0, f32(d["b"])])

    # --- binary ops ---------------------------------------------------------------------------
    arith = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
             "pow": np.power, "min": np.minimum, "max": np.maximum}
    compare = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
               "eq": np.equal, "ne": np.not_equal}

    for op, f in {**arith, **compare}.items():
        lo = 0.5 if op in ("pow", "div") else -2.0  # pow of negatives, division by ~0
        a, b = rand(2, 3, 4, lo=lo), rand(2, 3, 4, lo=lo)
        if op in compare or op in ("min", "max"):
            b = np.where(rng.random(b.shape) < 0.3, a, b)  # equal elements
        g = binary(f)
        case(op, op, {"x": a, "y": b}, f"z = {op}(x, y)", ["z"],
             lambda d, g=g: [g(d["x"], d["y"])])
        case(f"{op}_broadcast", op, {"x": rand(2, 3, 4, 5, lo=lo), "y": rand(1, 3, lo=lo)},
             f"z = {op}(x, y)", ["z"], lambda d, g=g: [g(d["x"], d["y"])])
        case(f"{op}_literal", op, {"x": rand(2, 3, lo=lo)}, f"z = {op}(x, 1.5)", ["z"],
             lambda d, g=g: [g(d["x"], np.float32(1.5))])
    case("sub_literal_left", "sub", {"x": rand(2, 3)}, "z = sub(2.0, x)", ["z"],
         lambda d: [f32(2.0 - d["x"])])
    case("add_variable_bias", "add", {"x": rand(2, 4, 3, 3)}, "z = add(x, bias)", ["z"],
         lambda d: [binary(np.add)(d["x"], d["bias"])], variables={"bias": rand(1, 4)})
    case("div_broadcast_both", "div", {"x": rand(2, 1, 4, lo=0.5), "y": rand(1, 3, lo=0.5)},
         "z = div(x, y)", ["z"], lambda d: [binary(np.divide)(d["x"], d["y"])])
    for op, f in {"and": np.logical_and, "or": np.logical_or}.items():
        case(op, op, {"x": bools(3, 4), "y": bools(3, 4)}, f"z = {op}(x, y)", ["z"],
             lambda d, f=f: [f(d["x"], d["y"])])
        case(f"{op}_broadcast", op, {"x": bools(3, 4), "y": bools(3)}, f"z = {op}(x, y)", ["z"],
             lambda d, f=f: [binary(f)(d["x"], d["y"])])
        case(f"{op}_literal", op, {"x": bools(3, 4)}, f"z = {op}(x, true)", ["z"],
             lambda d, f=f: [f(d["x"], True)])
    case("select", "select", {"c": bools(3, 4), "a": rand(3, 4), "b": rand(3, 4)},
         "y = select(c, a, b)", ["y"], lambda d: [np.where(d["c"], d["a"], d["b"])])
    case("select_broadcast_literal", "select", {"c": bools(3), "a": rand(3, 4)},
         "y = select(c, a, 0.0)", ["y"], lambda d: [f32(np.where(*bcast(d["c"], d["a"], 0.0)))])
    case("select_integer", "select", {"c": bools(2, 3), "a": ints(2, 3), "b": ints(2, 3)},
         "y = select(c, a, b)", ["y"], lambda d: [np.where(d["c"], d["a"], d["b"])],
         rtol=0, atol=0)
    case("select_computed_condition", "select", {"a": rand(3, 4), "b": rand(3, 4)},
         "y = select(a > b, a, b * 2.0)", ["y"],
         lambda d: [f32(np.where(d["a"] > d["b"], d["a"], d["b"] * 2))])
    case("clamp", "clamp", {"x": rand(3, 4)}, "y = clamp(x, -0.5, 0.75)", ["y"],
         lambda d: [f32(np.clip(d["x"], -0.5, 0.75))])
    case("clamp_tensors", "clamp", {"x": rand(2, 3, 4), "a": rand(1, 3, lo=-1, hi=0),
                                    "b": rand(1, 3, lo=0, hi=1)},
         "y = clamp(x, a, b)", ["y"],
         lambda d: [f32(np.maximum(*bcast(np.minimum(*bcast(d["x"], d["b"])), d["a"])))])

    # --- unary ops ----------------------------------------------------------------------------
    unary = {
        "copy": (np.copy, -2, 2), "neg": (np.negative, -2, 2),
        "rcp": (np.reciprocal, 0.5, 3), "exp": (np.exp, -3, 3), "log": (np.log, 0.1, 5),
        "sin": (np.sin, -3, 3), "cos": (np.cos, -3, 3), "tan": (np.tan, -1.2, 1.2),
        "asin": (np.arcsin, -0.99, 0.99), "acos": (np.arccos, -0.99, 0.99),
        "atan": (np.arctan, -4, 4), "sinh": (np.sinh, -3, 3), "cosh": (np.cosh, -3, 3),
        "tanh": (np.tanh, -3, 3), "asinh": (np.arcsinh, -4, 4),
        "acosh": (np.arccosh, 1.05, 5), "atanh": (np.arctanh, -0.95, 0.95),
        "abs": (np.abs, -2, 2), "sign": (np.sign, -2, 2), "floor": (np.floor, -4, 4),
        "ceil": (np.ceil, -4, 4), "round": (np.round, -4, 4), "sqr": (np.square, -2, 2),
        "sqrt": (np.sqrt, 0.01, 5), "rsqr": (lambda v: 1 / np.square(v), 0.5, 3),
        "rsqrt": (lambda v: 1 / np.sqrt(v), 0.1, 5), "log2": (np.log2, 0.1, 9),
        "relu": (lambda v: np.maximum(v, 0), -2, 2), "sigmoid": (sigmoid, -5, 5),
        "elu": (lambda v: np.where(v < 0, np.exp(v) - 1, v), -3, 3),
        "selu": (lambda v: 1.05070102 * np.where(v < 0, 1.67326319 * (np.exp(v) - 1), v), -3, 3),
        "gelu": (lambda v: v * sigmoid(1.702 * v), -4, 4),
        "silu": (lambda v: v * sigmoid(v), -4, 4),
        "softplus": (lambda v: np.log(np.exp(v) + 1), -4, 4),
    }
    for op, (f, lo, hi) in unary.items():
        v = rand(3, 4, 5, lo=lo, hi=hi)
        if op in ("sign", "abs", "relu", "floor", "ceil"):
            v.flat[::7] = 0.0
        case(op, op, {"x": v}, f"y = {op}(x)", ["y"], lambda d, f=f: [f32(f(d["x"]))])
    case("copy_integer", "copy", {"i": ints(3, 4)}, "y = copy(i)", ["y"], lambda d: [d["i"]],
         rtol=0, atol=0)
    case("not", "not", {"x": bools(3, 4)}, "y = not(x)", ["y"], lambda d: [~d["x"]])
    case("elu_alpha", "elu", {"x": rand(3, 4, lo=-3, hi=3)}, "y = elu(x, alpha = 0.5)", ["y"],
         lambda d: [f32(np.where(d["x"] < 0, 0.5 * (np.exp(d["x"]) - 1), d["x"]))])
    case("selu_params", "selu", {"x": rand(3, 4, lo=-3, hi=3)},
         "y = selu(x, alpha = 1.5, lambda = 2.0)", ["y"],
         lambda d: [f32(2.0 * np.where(d["x"] < 0, 1.5 * (np.exp(d["x"]) - 1), d["x"]))])
    case("prelu", "prelu", {"x": rand(2, 3, 4, 4)}, "y = prelu(x, alpha)", ["y"],
         lambda d: [f32(np.where(*bcast(d["x"] < 0, binary(np.multiply)(d["x"], d["alpha"]),
                                        d["x"])))],
         variables={"alpha": rand(1, 3, lo=0, hi=0.5)})
    case("prelu_scalar", "prelu", {"x": rand(3, 4)}, "y = prelu(x, 0.2)", ["y"],
         lambda d: [f32(np.where(d["x"] < 0, 0.2 * d["x"], d["x"]))])
    case("leaky_relu", "leaky_relu", {"x": rand(3, 4)}, "y = leaky_relu(x, alpha = 0.1)", ["y"],
         lambda d: [f32(np.where(d["x"] < 0, 0.1 * d["x"], d["x"]))])
    case("softabs", "softabs", {"x": rand(3, 4)}, "y = softabs(x, epsilon = 0.01)", ["y"],
         lambda d: [f32(np.sqrt(np.square(d["x"]) + 0.01))])
    xsm = rand(2, 3, 4, 5, lo=-4, hi=4)
    case("softmax", "softmax", {"x": xsm}, "y = softmax(x)", ["y"],
         lambda d: [np_softmax(d["x"])])
    case("softmax_last_axis", "softmax", {"x": xsm}, "y = softmax(x, axes = [3])", ["y"],
         lambda d: [np_softmax(d["x"], (3,))])
    case("softmax_axes", "softmax", {"x": xsm}, "y = softmax(x, axes = [2, 3])", ["y"],
         lambda d: [np_softmax(d["x"], (2, 3))])

    # --- sliding windows ----------------------------------------------------------------------
    xc = rand(1, 4, 7, 7)
    wc = rand(6, 4, 3, 3, lo=-0.5, hi=0.5)
    bc = rand(1, 6)
    conv_variants = [
        ("conv", "padding = [(1, 1), (1, 1)]", dict(padding=[(1, 1), (1, 1)])),
        ("conv_no_bias", None, dict(padding=[(0, 0), (0, 0)])),
        ("conv_auto_padding", "padding = []", {}),
        ("conv_asymmetric_padding", "padding = [(0, 2), (1, 0)]",
         dict(padding=[(0, 2), (1, 0)])),
        ("conv_stride2", "padding = [(1, 1), (1, 1)], stride = [2, 2]",
         dict(padding=[(1, 1), (1, 1)], stride=[2, 2])),
        ("conv_stride2_auto", "stride = [2, 2]", dict(stride=[2, 2])),
        ("conv_dilation", "padding = [(2, 2), (2, 2)], dilation = [2, 2]",
         dict(padding=[(2, 2), (2, 2)], dilation=[2, 2])),
        ("conv_border_reflect", "border = 'reflect', padding = [(1, 1), (1, 1)]",
         dict(border="reflect", padding=[(1, 1), (1, 1)])),
        ("conv_border_replicate", "border = 'replicate', padding = [(1, 1), (1, 1)]",
         dict(border="replicate", padding=[(1, 1), (1, 1)])),
    ]
    for name, args, kw in conv_variants:
        if args is None:
            body, f = "y = conv(x, w, padding = [(0, 0), (0, 0)])", \
                lambda d, kw=kw: [np_conv(d["x"], d["w"], **kw)]
            variables = {"w": wc}
        else:
            body, f = f"y = conv(x, w, b, {args})", \
                lambda d, kw=kw: [np_conv(d["x"], d["w"], d["b"], **kw)]
            variables = {"w": wc, "b": bc}
        case(name, "conv", {"x": xc}, body, ["y"], f, variables=variables, atol=1e-4)
    case("conv_groups", "conv", {"x": xc}, "y = conv(x, w, b, groups = 2)", ["y"],
         lambda d: [np_conv(d["x"], d["w"], d["b"], groups=2)],
         variables={"w": rand(6, 2, 3, 3), "b": bc}, atol=1e-4)
    case("conv_depthwise", "conv", {"x": xc}, "y = conv(x, w, b, groups = 0)", ["y"],
         lambda d: [np_conv(d["x"], d["w"], d["b"], groups=0)],
         variables={"w": rand(4, 1, 3, 3), "b": rand(1, 4)}, atol=1e-4)
    case("conv_depthwise_multiplier", "conv", {"x": xc},
         "y = conv(x, w, 0.0, padding = [(1, 1), (1, 1)], stride = [2, 2], groups = 0)", ["y"],
         lambda d: [np_conv(d["x"], d["w"], padding=[(1, 1), (1, 1)], stride=[2, 2], groups=0)],
         variables={"w": rand(8, 1, 3, 3)}, atol=1e-4)
    case("conv_1d", "conv", {"x": rand(2, 3, 10)}, "y = conv(x, w, b, stride = [2])", ["y"],
         lambda d: [np_conv(d["x"], d["w"], d["b"], stride=[2])],
         variables={"w": rand(5, 3, 3), "b": rand(1, 5)}, atol=1e-4)
    case("conv_1x1", "conv", {"x": xc}, "y = conv(x, w, b)", ["y"],
         lambda d: [np_conv(d["x"], d["w"], d["b"])],
         variables={"w": rand(5, 4, 1, 1), "b": rand(1, 5)}, atol=1e-4)

    xd = rand(1, 4, 4, 4)
    wd = rand(4, 3, 3, 3, lo=-0.5, hi=0.5)
    p1 = [(1, 1), (1, 1)]
    for name, args, kw in [
            ("deconv", "padding = [(1, 1), (1, 1)]", dict(padding=p1)),
            ("deconv_auto_padding", "", {}),
            ("deconv_stride2", "padding = [(1, 1), (1, 1)], stride = [2, 2]",
             dict(padding=p1, stride=[2, 2])),
            ("deconv_stride2_auto", "stride = [2, 2]", dict(stride=[2, 2])),
            ("deconv_output_shape",
             "padding = [(1, 1), (1, 1)], stride = [2, 2], output_shape = [1, 3, 8, 8]",
             dict(padding=p1, stride=[2, 2], output_shape=[1, 3, 8, 8])),
            ("deconv_dilation", "padding = [(0, 0), (0, 0)], dilation = [2, 2]",
             dict(padding=[(0, 0), (0, 0)], dilation=[2, 2]))]:
        case(name, "deconv", {"x": xd}, f"y = deconv(x, w, b{', ' if args else ''}{args})",
             ["y"], lambda d, kw=kw: [np_deconv(d["x"], d["w"], d["b"], **kw)],
             variables={"w": wd, "b": rand(1, 3)}, atol=1e-4)
    case("deconv_groups", "deconv", {"x": xd}, "y = deconv(x, w, b, stride = [2, 2], groups = 2)",
         ["y"], lambda d: [np_deconv(d["x"], d["w"], d["b"], stride=[2, 2], groups=2)],
         variables={"w": rand(4, 2, 3, 3), "b": rand(1, 4)}, atol=1e-4)
    case("deconv_depthwise", "deconv", {"x": xd}, "y = deconv(x, w, 0.0, groups = 0)", ["y"],
         lambda d: [np_deconv(d["x"], d["w"], groups=0)], variables={"w": rand(4, 1, 3, 3)},
         atol=1e-4)

    xb = rand(1, 3, 6, 6)
    box_variants = [
        ("box", "size = [1, 1, 3, 3], padding = [(0, 0), (0, 0), (1, 1), (1, 1)]",
         dict(size=[1, 1, 3, 3], padding=[(0, 0), (0, 0), (1, 1), (1, 1)])),
        ("box_normalize_stride", "size = [1, 1, 2, 2], stride = [1, 1, 2, 2], normalize = true",
         dict(size=[1, 1, 2, 2], stride=[1, 1, 2, 2], normalize=True)),
        ("box_ignore", "size = [1, 1, 3, 3], border = 'ignore', "
                       "padding = [(0, 0), (0, 0), (1, 1), (1, 1)], normalize = true",
         dict(size=[1, 1, 3, 3], border="ignore", padding=[(0, 0), (0, 0), (1, 1), (1, 1)],
              normalize=True)),
        ("box_channels", "size = [1, 3, 1, 1], padding = [(0, 0), (1, 1), (0, 0), (0, 0)]",
         dict(size=[1, 3, 1, 1], padding=[(0, 0), (1, 1), (0, 0), (0, 0)])),
    ]
    for name, args, kw in box_variants:
        case(name, "box", {"x": xb}, f"y = box(x, {args})", ["y"],
             lambda d, kw=kw: [np_box(d["x"], **kw)])
    case("debox", "debox", {"x": rand(1, 2, 3, 3)},
         "y = debox(x, size = [1, 1, 2, 2], stride = [1, 1, 2, 2], "
         "padding = [(0, 0), (0, 0), (0, 0), (0, 0)])", ["y"],
         lambda d: [np.repeat(np.repeat(d["x"], 2, 2), 2, 3)])
    case("debox_normalize_overlap", "debox", {"x": rand(1, 2, 3, 3)},
         "y = debox(x, size = [1, 1, 3, 3], stride = [1, 1, 2, 2], "
         "padding = [(0, 0), (0, 0), (1, 1), (1, 1)], normalize = true)", ["y"],
         lambda d: [np_debox(d["x"], [1, 1, 3, 3], padding=[(0, 0), (0, 0), (1, 1), (1, 1)],
                             stride=[1, 1, 2, 2], normalize=True)])

    pool_kw = dict(size=[1, 1, 3, 3], stride=[1, 1, 2, 2])
    pool_variants = [
        ("", "size = [1, 1, 3, 3], stride = [1, 1, 2, 2], "
             "padding = [(0, 0), (0, 0), (0, 0), (0, 0)]",
         dict(pool_kw, padding=[(0, 0)] * 4)),
        ("_ignore", "size = [1, 1, 3, 3], stride = [1, 1, 2, 2], border = 'ignore', "
                    "padding = [(0, 0), (0, 0), (1, 1), (1, 1)]",
         dict(pool_kw, border="ignore", padding=[(0, 0), (0, 0), (1, 1), (1, 1)])),
        ("_constant", "size = [1, 1, 3, 3], stride = [1, 1, 2, 2], border = 'constant', "
                      "padding = [(0, 0), (0, 0), (1, 1), (1, 1)]",
         dict(pool_kw, border="constant", padding=[(0, 0), (0, 0), (1, 1), (1, 1)])),
        ("_ceil", "size = [1, 1, 2, 2], stride = [1, 1, 2, 2], border = 'ignore', "
                  "padding = [(0, 0), (0, 0), (0, 1), (0, 1)]",
         dict(size=[1, 1, 2, 2], stride=[1, 1, 2, 2], border="ignore",
              padding=[(0, 0), (0, 0), (0, 1), (0, 1)])),
        ("_auto", "size = [1, 1, 3, 3], stride = [1, 1, 2, 2], border = 'ignore'",
         dict(pool_kw, border="ignore")),
    ]
    xpool = rand(1, 3, 7, 7)
    rms = lambda x, **kw: f32(np.sqrt(np_box(np.square(x), normalize=True, **kw)))
    for op, f in [("max_pool", np_max_pool), ("avg_pool", lambda x, **kw: np_box(
            x, normalize=True, **kw)), ("rms_pool", rms), ("argmax_pool", np_argmax_pool)]:
        for suffix, args, kw in pool_variants:
            if op == "rms_pool" and suffix in ("_constant", "_ceil"):
                continue
            case(op + suffix, op, {"x": xpool}, f"y = {op}(x, {args})", ["y"],
                 lambda d, f=f, kw=kw: [f(d["x"], **kw)],
                 **({"rtol": 0, "atol": 0} if op == "argmax_pool" else {}))
    case("max_pool_dilation", "max_pool", {"x": xpool},
         "y = max_pool(x, size = [1, 1, 2, 2], dilation = [1, 1, 2, 2], "
         "padding = [(0, 0), (0, 0), (0, 0), (0, 0)])", ["y"],
         lambda d: [np_max_pool(d["x"], [1, 1, 2, 2], dilation=[1, 1, 2, 2],
                                padding=[(0, 0)] * 4)])
    for suffix, args, kw in pool_variants[:2]:
        case("max_pool_with_index" + suffix, "max_pool_with_index", {"x": xpool},
             f"y, i = max_pool_with_index(x, {args})", ["y", "i"],
             lambda d, kw=kw: [np_max_pool(d["x"], **kw), np_argmax_pool(d["x"], **kw)])
    sample_kw = dict(size=[1, 1, 2, 2], stride=[1, 1, 2, 2], padding=[(0, 0)] * 4)
    case("sample", "sample", {"x": rand(1, 2, 6, 6), "i": ints(1, 2, 3, 3, hi=4)},
         "y = sample(x, i, size = [1, 1, 2, 2], stride = [1, 1, 2, 2], "
         "padding = [(0, 0), (0, 0), (0, 0), (0, 0)])", ["y"],
         lambda d: [np_sample(d["x"], d["i"], **sample_kw)])
    case("sample_argmax", "sample", {"x": rand(1, 2, 6, 6)},
         ["i = argmax_pool(x, size = [1, 1, 2, 2], stride = [1, 1, 2, 2], "
          "padding = [(0, 0), (0, 0), (0, 0), (0, 0)])",
          "y = sample(x, i, size = [1, 1, 2, 2], stride = [1, 1, 2, 2], "
          "padding = [(0, 0), (0, 0), (0, 0), (0, 0)])"], ["y"],
         lambda d: [np_max_pool(d["x"], **sample_kw)])

    def np_desample(d):
        x, idx = d["x"], d["i"]
        out = np.zeros((1, 2, 6, 6), np.float32)
        for (n, c, i, j), v in np.ndenumerate(x):
            k = idx[n, c, i, j]
            out[n, c, 2 * i + k // 2, 2 * j + k % 2] += v
        return [out]
    case("desample", "desample", {"x": rand(1, 2, 3, 3), "i": ints(1, 2, 3, 3, hi=4)},
         "y = desample(x, i, size = [1, 1, 2, 2], stride = [1, 1, 2, 2], "
         "padding = [(0, 0), (0, 0), (0, 0), (0, 0)], output_shape = [1, 2, 6, 6])", ["y"],
         np_desample)

    case("separable_conv", "separable_conv", {"x": xc},
         "y = separable_conv(x, plane, point, b, padding = [(1, 1), (1, 1)])", ["y"],
         lambda d: [np_conv(np_conv(d["x"], d["plane"], padding=[(1, 1), (1, 1)], groups=0),
                            d["point"], d["b"])],
         variables={"plane": rand(4, 1, 3, 3), "point": rand(6, 4, 1, 1), "b": rand(1, 6)},
         atol=1e-4)
    case("separable_conv_stride", "separable_conv", {"x": xc},
         "y = separable_conv(x, plane, point, stride = [2, 2])", ["y"],
         lambda d: [np_conv(np_conv(d["x"], d["plane"], stride=[2, 2], groups=0), d["point"])],
         variables={"plane": rand(4, 1, 3, 3), "point": rand(6, 4, 1, 1)}, atol=1e-4)
    case("separable_deconv", "separable_deconv", {"x": rand(1, 6, 4, 4)},
         "y = separable_deconv(x, plane, point, b, stride = [2, 2])", ["y"],
         lambda d: [np_deconv(np_deconv(d["x"], d["point"]), d["plane"], d["b"],
                              stride=[2, 2], groups=0)],
         variables={"plane": rand(4, 1, 3, 3), "point": rand(6, 4, 1, 1), "b": rand(1, 4)},
         atol=1e-4)

    xu = rand(1, 2, 3, 4)
    case("nearest_downsample", "nearest_downsample", {"x": rand(1, 2, 6, 8)},
         "y = nearest_downsample(x, factor = [2, 2])", ["y"], lambda d: [d["x"][:, :, ::2, ::2]])
    case("nearest_upsample", "nearest_upsample", {"x": xu},
         "y = nearest_upsample(x, factor = [2, 3])", ["y"],
         lambda d: [np.repeat(np.repeat(d["x"], 2, 2), 3, 3)])
    case("area_downsample", "area_downsample", {"x": rand(1, 2, 6, 8)},
         "y = area_downsample(x, factor = [2, 2])", ["y"],
         lambda d: [f32(d["x"].reshape(1, 2, 3, 2, 4, 2).mean(axis=(3, 5)))])
    for method, border in [("symmetric", "replicate"), ("symmetric", "constant"),
                           ("asymmetric", "replicate"), ("asymmetric", "constant"),
                           ("aligned", "replicate")]:
        # 'asymmetric' has no numpy version: the sample positions it implies are not settled
        # here (nnef_tools, by the spec's authors, is the reference)
        f = None if method == "asymmetric" else (
            lambda d, m=method, b=border: [np_multilinear_upsample(d["x"], [2, 2], m, b)])
        case(f"multilinear_upsample_{method}_{border}", "multilinear_upsample", {"x": xu},
             f"y = multilinear_upsample(x, factor = [2, 2], method = '{method}', "
             f"border = '{border}')", ["y"], f)

    # --- normalization ------------------------------------------------------------------------
    xn = rand(2, 5, 4, 4)
    lrn = lambda x, size, alpha, beta, bias: f32(
        x / (bias + alpha * np_box(np.square(x), size, normalize=True)) ** beta)
    case("local_response_normalization", "local_response_normalization", {"x": xn},
         "y = local_response_normalization(x, size = [1, 3, 1, 1], alpha = 0.2, beta = 0.75, "
         "bias = 2.0)", ["y"], lambda d: [lrn(d["x"], [1, 3, 1, 1], 0.2, 0.75, 2.0)])
    case("local_response_normalization_defaults", "local_response_normalization", {"x": xn},
         "y = local_response_normalization(x, size = [1, 5, 1, 1])", ["y"],
         lambda d: [lrn(d["x"], [1, 5, 1, 1], 1.0, 0.5, 1.0)])
    lmn = lambda x, size: f32(x - np_box(x, size, normalize=True))
    lvn = lambda x, size, bias, eps: f32(
        x / np.maximum(np.sqrt(np_box(np.square(x), size, normalize=True)) + bias, eps))
    case("local_mean_normalization", "local_mean_normalization", {"x": xn},
         "y = local_mean_normalization(x, size = [1, 1, 3, 3])", ["y"],
         lambda d: [lmn(d["x"], [1, 1, 3, 3])])
    case("local_variance_normalization", "local_variance_normalization", {"x": xn},
         "y = local_variance_normalization(x, size = [1, 1, 3, 3], bias = 0.5, epsilon = 0.1)",
         ["y"], lambda d: [lvn(d["x"], [1, 1, 3, 3], 0.5, 0.1)])
    case("local_contrast_normalization", "local_contrast_normalization", {"x": xn},
         "y = local_contrast_normalization(x, size = [1, 1, 3, 3], bias = 0.5, epsilon = 0.1)",
         ["y"], lambda d: [lvn(lmn(d["x"], [1, 1, 3, 3]), [1, 1, 3, 3], 0.5, 0.1)])
    case("l1_normalization", "l1_normalization", {"x": xn},
         "y = l1_normalization(x, axes = [1], bias = 0.1, epsilon = 0.01)", ["y"],
         lambda d: [f32(d["x"] / np.maximum(reduce_axes(np.abs(d["x"]), [1], np.sum) + 0.1,
                                            0.01))])
    case("l2_normalization", "l2_normalization", {"x": xn},
         "y = l2_normalization(x, axes = [1])", ["y"],
         lambda d: [f32(d["x"] / np.sqrt(reduce_axes(np.square(d["x"]), [1], np.sum)))])
    case("l2_normalization_axes", "l2_normalization", {"x": xn},
         "y = l2_normalization(x, axes = [2, 3], epsilon = 1e-3)", ["y"],
         lambda d: [f32(d["x"] / np.maximum(np.sqrt(reduce_axes(np.square(d["x"]), [2, 3],
                                                                  np.sum)), 1e-3))])
    bn = {"mean": rand(1, 5), "var": rand(1, 5, lo=0.5, hi=2), "offset": rand(1, 5),
          "scale": rand(1, 5, lo=0.5, hi=2)}
    case("batch_normalization", "batch_normalization", {"x": xn},
         "y = batch_normalization(x, mean, var, offset, scale, epsilon = 1e-3)", ["y"],
         lambda d: [f32(binary(np.add)(d["offset"], binary(np.multiply)(
             d["scale"], binary(np.subtract)(d["x"], d["mean"])) / bcast(
             np.sqrt(d["var"] + 1e-3), d["x"])[0]))], variables=bn)
    case("batch_normalization_defaults", "batch_normalization", {"x": xn},
         "y = batch_normalization(x, mean, var, 0.0, 1.0, epsilon = 1e-5)", ["y"],
         lambda d: [f32(binary(np.subtract)(d["x"], d["mean"]) / bcast(
             np.sqrt(d["var"] + 1e-5), d["x"])[0])],
         variables={"mean": bn["mean"], "var": bn["var"]})

    # --- reductions ---------------------------------------------------------------------------
    xr = rand(2, 3, 4, 5)
    for op, f in [("sum_reduce", np.sum), ("min_reduce", np.min), ("max_reduce", np.max),
                  ("mean_reduce", np.mean)]:
        for axes in ([1], [2, 3], [0, 2, 3]):
            case(f"{op}_{'_'.join(map(str, axes))}", op, {"x": xr},
                 f"y = {op}(x, axes = {axes})", ["y"],
                 lambda d, f=f, a=axes: [f32(reduce_axes(d["x"], a, f))])
    case("sum_reduce_normalize", "sum_reduce", {"x": xr},
         "y = sum_reduce(x, axes = [1, 3], normalize = true)", ["y"],
         lambda d: [f32(reduce_axes(d["x"], [1, 3], np.mean))])
    for op, f in [("argmax_reduce", np.argmax), ("argmin_reduce", np.argmin)]:
        for axes in ([1], [3], [2, 3]):
            case(f"{op}_{'_'.join(map(str, axes))}", op, {"x": xr},
                 f"y = {op}(x, axes = {axes})", ["y"],
                 lambda d, f=f, a=axes: [arg_reduce(d["x"], a, f)], rtol=0, atol=0)
    for op, f in [("any_reduce", np.any), ("all_reduce", np.all)]:
        xl = rng.random((3, 4, 5)) < (0.15 if op == "any_reduce" else 0.85)
        for axes in ([1], [1, 2]):
            case(f"{op}_{'_'.join(map(str, axes))}", op, {"x": xl},
                 f"y = {op}(x, axes = {axes})", ["y"],
                 lambda d, f=f, a=axes: [reduce_axes(d["x"], a, f)])
    case("moments", "moments", {"x": xr}, "mean, variance = moments(x, axes = [2, 3])",
         ["mean", "variance"],
         lambda d: [f32(reduce_axes(d["x"], [2, 3], np.mean)),
                    f32(reduce_axes(d["x"], [2, 3], np.var))])
    case("moments_batch", "moments", {"x": xr}, "mean, variance = moments(x, axes = [0, 2, 3])",
         ["mean", "variance"],
         lambda d: [f32(reduce_axes(d["x"], [0, 2, 3], np.mean)),
                    f32(reduce_axes(d["x"], [0, 2, 3], np.var))])

    # --- ROI ops (square ROIs with integer corners: see roi_pixels) ---------------------------
    xroi = rand(2, 3, 8, 8)
    rois = np.array([[0, 0, 4, 4], [2, 2, 8, 8], [1, 1, 7, 7]], np.float32)
    bidx = np.array([0, 1, 0], np.int64)
    roi_in = {"x": xroi, "rois": rois, "b": bidx}
    case("max_roi_pool", "max_roi_pool", roi_in,
         "y = max_roi_pool(x, rois, b, output_size = [2, 2])", ["y"],
         lambda d: [np_roi_pool(d["x"], d["rois"], d["b"], [2, 2], np.max)])
    case("avg_roi_pool", "avg_roi_pool", roi_in,
         "y = avg_roi_pool(x, rois, b, output_size = [2, 2])", ["y"],
         lambda d: [np_roi_pool(d["x"], d["rois"], d["b"], [2, 2], np.mean)])
    case("roi_resample", "roi_resample", roi_in,
         "y = roi_resample(x, rois, b, output_size = [3, 3])", ["y"],
         lambda d: [np_roi_resample(d["x"], d["rois"], d["b"], [3, 3])])
    case("max_roi_align", "max_roi_align", roi_in,
         "y = max_roi_align(x, rois, b, output_size = [2, 2], sampling_rate = [2, 2])", ["y"],
         lambda d: [np_roi_align(d["x"], d["rois"], d["b"], [2, 2], [2, 2], np_max_pool)])
    case("avg_roi_align", "avg_roi_align", roi_in,
         "y = avg_roi_align(x, rois, b, output_size = [2, 2], sampling_rate = [2, 2])", ["y"],
         lambda d: [np_roi_align(d["x"], d["rois"], d["b"], [2, 2], [2, 2],
                                 lambda v, *a, **k: np_box(v, *a, normalize=True, **k))])

    # --- matmul, linear, misc -----------------------------------------------------------------
    for name, a, b, args, f in [
            ("matmul", rand(3, 4), rand(4, 5), "", lambda p, q: p @ q),
            ("matmul_transpose_a", rand(4, 3), rand(4, 5), ", transposeA = true",
             lambda p, q: p.T @ q),
            ("matmul_transpose_b", rand(3, 4), rand(5, 4), ", transposeB = true",
             lambda p, q: p @ q.T),
            ("matmul_transpose_both", rand(4, 3), rand(5, 4),
             ", transposeA = true, transposeB = true", lambda p, q: p.T @ q.T),
            ("matmul_batched", rand(2, 3, 4), rand(2, 4, 5), "", lambda p, q: p @ q),
            ("matmul_batched_transpose_b", rand(2, 3, 4), rand(2, 5, 4), ", transposeB = true",
             lambda p, q: p @ q.transpose(0, 2, 1))]:
        case(name, "matmul", {"a": a, "b": b}, f"c = matmul(a, b{args})", ["c"],
             lambda d, f=f: [f32(f(d["a"], d["b"]))], atol=1e-4)
    case("matmul_weights", "matmul", {"a": rand(3, 4)}, "c = matmul(a, w)", ["c"],
         lambda d: [f32(d["a"] @ d["w"])], variables={"w": rand(4, 6)}, atol=1e-4)
    case("linear", "linear", {"x": rand(2, 4)}, "y = linear(x, w, b)", ["y"],
         lambda d: [f32(d["x"] @ d["w"].T + d["b"])], variables={"w": rand(3, 4), "b": rand(1, 3)},
         atol=1e-4)
    case("linear_no_bias", "linear", {"x": rand(5, 8)}, "y = linear(x, w)", ["y"],
         lambda d: [f32(d["x"] @ d["w"].T)], variables={"w": rand(6, 8)}, atol=1e-4)
    case("add_n", "add_n", {"a": rand(2, 3), "b": rand(2, 3), "c": rand(2, 3)},
         "y = add_n([a, b, c])", ["y"], lambda d: [f32(d["a"] + d["b"] + d["c"])])
    case("copy_n", "copy_n", {"x": rand(2, 3)}, "[a, b] = copy_n(x, times = 2)", ["a", "b"],
         lambda d: [d["x"], d["x"]])

    # --- quantization -------------------------------------------------------------------------
    xq = rand(3, 4, 5, lo=-1.5, hi=1.5)
    for signed, symmetric in [(True, False), (False, False), (True, True)]:
        s, y = str(signed).lower(), str(symmetric).lower()
        case(f"min_max_linear_quantize_{'signed' if signed else 'unsigned'}"
             f"{'_symmetric' if symmetric else ''}", "min_max_linear_quantize", {"x": xq},
             f"y = min_max_linear_quantize(x, min = -1.0, max = 1.25, bits = 8, signed = {s}, "
             f"symmetric = {y})", ["y"],
             lambda d, s=signed, y=symmetric: [np_min_max_linear_quantize(
                 d["x"], -1.0, 1.25, 8, s, y)], atol=1e-5)
    case("min_max_linear_quantize_tensors", "min_max_linear_quantize",
         {"x": xq, "lo": np.array([[-1.0]], np.float32), "hi": np.array([[0.5]], np.float32)},
         "y = min_max_linear_quantize(x, min = lo, max = hi, bits = 4, signed = false, "
         "symmetric = false)", ["y"],
         lambda d: [np_min_max_linear_quantize(d["x"], -1.0, 0.5, 4, False, False)])
    for signed, symmetric, zp in [(False, False, 128), (True, False, 0), (True, True, 0)]:
        s, y = str(signed).lower(), str(symmetric).lower()
        case(f"zero_point_linear_quantize_{'signed' if signed else 'unsigned'}"
             f"{'_symmetric' if symmetric else ''}", "zero_point_linear_quantize", {"x": xq},
             f"y = zero_point_linear_quantize(x, zero_point = {zp}, scale = 0.0125, bits = 8, "
             f"signed = {s}, symmetric = {y})", ["y"],
             lambda d, s=signed, y=symmetric, zp=zp: [np_zero_point_linear_quantize(
                 d["x"], zp, 0.0125, 8, s, y)])
    case("linear_quantize", "linear_quantize", {"x": xq},
         "y = linear_quantize(x, min = -1.0, max = 1.0, bits = 4)", ["y"],
         lambda d: [np_min_max_linear_quantize(d["x"], -1.0, 1.0, 4, False, False)])
    case("logarithmic_quantize", "logarithmic_quantize", {"x": xq * 3},
         "y = logarithmic_quantize(x, max = 3.0, bits = 3)", ["y"],
         lambda d: [np_logarithmic_quantize(d["x"], 3.0, 3)])
    return cases


# ----------------------------------------------------------------------------------------------
# Evaluators and case files

def write_case(case, d):
    import nnef
    from onnx import numpy_helper
    os.makedirs(d)
    with open(os.path.join(d, "graph.nnef"), "w") as f:
        f.write(case.graph())
    for label, array in case.variables.items():
        with open(os.path.join(d, label + ".dat"), "wb") as f:
            nnef.write_tensor(f, array)
    data = os.path.join(d, "test_data_set_0")
    os.makedirs(data)
    for i, (name, array) in enumerate(case.inputs.items()):
        with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())


def output_types(d, outputs):
    import nnef
    graph = nnef.load_graph(d)
    return [NUMPY_TYPES[graph.tensors[name].dtype] for name in outputs]


def run_tract(case, d):
    """tract in a child process (it aborts the process on some graphs it rejects)."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "outputs.npz")
        p = subprocess.run([sys.executable, __file__, "tract-run", d, out], capture_output=True,
                           text=True, errors="replace")
        if p.returncode != 0:
            lines = [line for line in p.stderr.splitlines() if line.strip()
                     and not line.startswith((" ", "stack backtrace", "note:", "thread "))]
            raise RuntimeError(lines[-1] if lines else f"tract exit code {p.returncode}")
        with np.load(out) as z:
            return [z[f"output_{i}"] for i in range(len(case.outputs))]


def tract_run(d, out):
    """The tract-run subcommand: runs case directory d on its test_data_set_0 inputs with tract
    and saves the outputs (output_<i>) to the .npz file out."""
    import glob
    import onnx
    import tract
    from onnx import numpy_helper
    files = sorted(glob.glob(os.path.join(d, "test_data_set_0", "input_*.pb")),
                   key=lambda f: int(f.rsplit("_", 1)[1].split(".")[0]))
    inputs = [numpy_helper.to_array(onnx.load_tensor(f)) for f in files]
    try:
        outputs = tract.nnef().load(d).into_runnable().run(inputs)
    except Exception as e:
        sys.exit(error_line(e))
    np.savez(out, **{f"output_{i}": t.to_numpy() for i, t in enumerate(outputs)})


def run_nnef_tools(case, d):
    from nnef_tools.interpreter.pytorch import Interpreter
    outputs = Interpreter(d, device="cpu")(list(case.inputs.values()))
    return [outputs[name] for name in case.outputs]


def error_line(e):
    """The most specific line of an evaluator's error (tract chains its causes)."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    causes = [line for line in lines if line[:1].isdigit() and ": " in line]
    text = causes[-1].split(": ", 1)[1] if causes else (lines[0] if lines else repr(e))
    return f"{type(e).__name__}: {text}"[:200]


def agree(a, b, case):
    if a.shape != b.shape:
        return False
    if a.dtype == np.float32:
        return np.allclose(a, b, rtol=case.rtol, atol=case.atol, equal_nan=True)
    return np.array_equal(a, b)


def differ(a, b):
    if a.shape != b.shape:
        return f"shape {list(a.shape)} vs {list(b.shape)}"
    err = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return f"max abs difference {err.max():.3g} at {np.unravel_index(err.argmax(), err.shape)}"


def evaluate(case, d):
    """Runs the evaluators; returns (reference name, outputs, notes)."""
    types = output_types(d, case.outputs)
    results, notes = {}, []
    for name, f in [("tract", run_tract), ("nnef_tools", run_nnef_tools),
                    ("numpy", (lambda c, _: c.numpy({**c.inputs, **c.variables}))
                     if case.numpy else None)]:
        if f is None:
            continue
        try:
            outs = f(case, d)
            results[name] = [np.asarray(o).astype(t) for o, t in zip(outs, types)]
        except Exception as e:  # an evaluator that lacks the op or rejects the graph
            notes.append(f"{name} failed: {error_line(e)}")
    if not results:
        raise RuntimeError(f"{case.name}: no evaluator ran it: {'; '.join(notes)}")

    def agrees(x, y):
        return all(agree(p, q, case) for p, q in zip(results[x], results[y]))

    if "numpy" in results:
        ref = next(r for r in ("tract", "nnef_tools", "numpy")
                   if r in results and agrees(r, "numpy"))
    else:
        ref = "tract" if "tract" in results else "nnef_tools"
    for other in results:
        if other != ref and not agrees(other, ref):
            where = "; ".join(f"{n}: {differ(p, q)}" for n, p, q in
                              zip(case.outputs, results[other], results[ref])
                              if not agree(p, q, case))
            notes.append(f"{other} disagrees with {ref}: {where}")
    return ref, results[ref], notes


def generate(out, only=None, quiet=False):
    """Writes every case (or those whose name contains `only`) under `out`; returns index.json's
    content. Does nothing when `out` already holds this generator version's full set."""
    os.environ["RUST_BACKTRACE"] = "0"
    index_path = os.path.join(out, "index.json")
    if not only and os.path.exists(index_path):
        index = json.load(open(index_path))
        if index.get("version") == VERSION:
            return index
    from onnx import numpy_helper
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cases = [c for c in build_cases() if not only or only in c.name]
    index = {"version": VERSION, "cases": [], "disagreements": []}
    for case in cases:
        d = os.path.join(out, case.name)
        write_case(case, d)
        ref, outputs, notes = evaluate(case, d)
        data = os.path.join(d, "test_data_set_0")
        for i, (name, array) in enumerate(zip(case.outputs, outputs)):
            with open(os.path.join(data, f"output_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(array, name).SerializeToString())
        rtol, atol = (case.rtol, case.atol) if outputs[0].dtype == np.float32 else (0, 0)
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump({"op": case.op, "reference": ref, "rtol": rtol, "atol": atol}, f)
        index["cases"].append({"name": case.name, "op": case.op, "reference": ref})
        for note in notes:
            if "disagrees" in note:
                index["disagreements"].append(f"{case.name}: {note}")
            if not quiet:
                print(f"{case.name}: {note}")
    missing = sorted(set(STANDARD_OPS) - {c.op for c in cases})
    if missing and not only:
        raise RuntimeError(f"no case for {missing}")
    if not only:
        with open(index_path, "w") as f:
            json.dump(index, f, indent=1)
    return index


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("generate")
    p.add_argument("--out", required=True)
    p.add_argument("--only", help="only the cases whose name contains this")
    p = sub.add_parser("tract-run", help="(internal) run one case with tract")
    p.add_argument("dir")
    p.add_argument("out")
    a = ap.parse_args()
    if a.cmd == "tract-run":
        return tract_run(a.dir, a.out)
    index = generate(a.out, a.only)
    refs = {}
    for c in index["cases"]:
        refs[c["reference"]] = refs.get(c["reference"], 0) + 1
    print(f"{len(index['cases'])} cases of {len({c['op'] for c in index['cases']})} ops in "
          f"{a.out}; references: {refs}; {len(index['disagreements'])} disagreements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
