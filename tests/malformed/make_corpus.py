#!/usr/bin/env python3
"""Writes the malformed-model corpus: structure-aware mutations of real models, each of which
dnncc must reject with one clean error line (exit code 1, no output file, no crash, bounded time
and memory; run_corpus.py checks all of it).

    make_corpus.py OUT_DIR --tinynet models/tinynet

The base models are tinynet (the exported CNN in models/tinynet) and small graphs built here that
cover the ops the mutations need (LSTM; Reshape / Gather / Concat / Transpose / MatMul; Resize /
Pad / Slice / Reduce; If with subgraphs; weights in external data). Every mutation is a function
`(model) -> model or None` (None: it does not apply to that base); the generic ones are applied
to every base, the op-specific ones to the bases that hold their op. OUT_DIR receives one
directory per case (`<base>.<mutation>/model.onnx`, plus external data where the case needs it)
and `manifest.json`, a list of {"name", "model", "why"}. Deterministic: same input, same bytes.
No onnxruntime, no torch: fast (a second or two)."""
import argparse
import copy
import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
BIG = 1 << 41  # elements: 8 TiB of floats, past every size limit
OVERFLOW = 1 << 32  # three of these multiply past 2^63


def make(nodes, inputs, outputs, inits=(), name="g", opset=OPSET):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="dnncc-malformed")
    m.ir_version = 8
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ---- base models -------------------------------------------------------------------------------

def lstm_model():
    h, x = 16, 8
    return make([helper.make_node("LSTM", ["x", "W", "R", "B"], ["y", "yh"], name="lstm",
                                  hidden_size=h),
                 helper.make_node("Relu", ["yh"], ["out"], name="relu")],
                [f32("x", [5, 1, x])], [f32("out", [1, 1, h])],
                [const("W", rand([1, 4 * h, x], 1)), const("R", rand([1, 4 * h, h], 2)),
                 const("B", rand([1, 8 * h], 3))], name="lstm")


def tensor_ops_model():
    return make([helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),
                 helper.make_node("Gather", ["r", "idx"], ["g"], name="gather", axis=0),
                 helper.make_node("Concat", ["g", "extra"], ["c"], name="concat", axis=0),
                 helper.make_node("Transpose", ["c"], ["t"], name="transpose", perm=[1, 0]),
                 helper.make_node("MatMul", ["t", "w"], ["mm"], name="matmul"),
                 helper.make_node("Softmax", ["mm"], ["out"], name="softmax", axis=-1)],
                [f32("x", [2, 3, 4])], [f32("out", [4, 5])],
                [const("shape", np.array([6, 4], np.int64)), const("idx", np.array([0, 5], np.int64)),
                 const("extra", rand([3, 4], 4)), const("w", rand([5, 5], 5))], name="tensor_ops")


def sampling_model():
    return make([helper.make_node("Resize", ["x", "", "scales"], ["r"], name="resize",
                                  mode="linear"),
                 helper.make_node("Pad", ["r", "pads"], ["p"], name="pad"),
                 helper.make_node("Slice", ["p", "starts", "ends", "axes", "steps"], ["s"],
                                  name="slice"),
                 helper.make_node("ReduceMean", ["s"], ["out"], name="reduce", axes=[2, 3],
                                  keepdims=1)],
                [f32("x", [1, 2, 4, 4])], [f32("out", [1, 2, 1, 1])],
                [const("scales", np.array([1, 1, 2, 2], np.float32)),
                 const("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)),
                 const("starts", np.array([1, 1], np.int64)), const("ends", np.array([9, 9], np.int64)),
                 const("axes", np.array([2, 3], np.int64)), const("steps", np.array([1, 1], np.int64))],
                name="sampling")


def branch(name, value):
    """A subgraph without inputs that returns `value` through Identity of a constant."""
    return helper.make_graph(
        [helper.make_node("Constant", [], [f"{name}_c"], value=const(f"{name}_v", value)),
         helper.make_node("Identity", [f"{name}_c"], [f"{name}_o"])],
        name, [], [f32(f"{name}_o", list(np.shape(value)))])


def control_model():
    return make([helper.make_node("If", ["cond"], ["v"], name="if",
                                  then_branch=branch("then", np.ones([4], np.float32)),
                                  else_branch=branch("else", np.zeros([4], np.float32))),
                 helper.make_node("Add", ["x", "v"], ["out"], name="add")],
                [f32("x", [4])], [f32("out", [4])],
                [const("cond", np.array(True))], name="control")


def external_model():
    """Relu(x + w) with w in external data (file weights.bin next to the model)."""
    m = make([helper.make_node("Add", ["x", "w"], ["s"], name="add"),
              helper.make_node("Relu", ["s"], ["out"], name="relu")],
             [f32("x", [4])], [f32("out", [4])], name="external")
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", "16")):
        e = w.external_data.add()
        e.key, e.value = k, v
    m.graph.initializer.append(w)
    return m


# ---- generic mutations (every base) ------------------------------------------------------------

def first_input(m):
    inits = {i.name for i in m.graph.initializer}
    return next(i for i in m.graph.input if i.name not in inits)


def set_dims(vi, dims):
    shape = vi.type.tensor_type.shape
    del shape.dim[:]
    for d in dims:
        shape.dim.add().dim_value = d


def input_dims(dims):
    def mutate(m):
        set_dims(first_input(m), dims)
        return m
    return mutate


def input_elem_type(t):
    def mutate(m):
        first_input(m).type.tensor_type.elem_type = t
        return m
    return mutate


def input_no_type(m):
    first_input(m).ClearField("type")
    return m


def input_sequence_type(m):
    vi = first_input(m)
    vi.type.CopyFrom(helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, [4])))
    return m


def output_not_produced(m):
    m.graph.output[0].name = "nothing_makes_this"
    return m


def no_outputs(m):
    del m.graph.output[:]
    return m


def rename_input(node_index, input_index, name):
    def mutate(m):
        nodes = m.graph.node
        n = nodes[node_index if node_index >= 0 else len(nodes) + node_index]
        if input_index >= len(n.input):
            return None
        n.input[input_index] = name
        return m
    return mutate


def duplicate_output(m):
    """The second node writes the first node's output name too (two definitions of one value)."""
    if len(m.graph.node) < 2:
        return None
    m.graph.node[1].output[0] = m.graph.node[0].output[0]
    return m


def cycle(m):
    """The first node reads the last node's output."""
    m.graph.node[0].input[0] = m.graph.node[-1].output[0]
    return m


def self_loop(m):
    n = m.graph.node[-1]
    n.input[0] = n.output[0]
    return m


def init_named_like_node_output(m):
    if not m.graph.initializer:
        return None
    m.graph.initializer[0].name = m.graph.node[0].output[0]
    return m


def input_named_like_node_output(m):
    first_input(m).name = m.graph.node[-1].output[0]
    return m


def largest_init(m):
    inits = [i for i in m.graph.initializer if i.data_location != TensorProto.EXTERNAL]
    if not inits:
        return None
    return max(inits, key=lambda i: len(i.raw_data) or len(i.float_data) or len(i.int64_data))


def with_init(fn):
    def mutate(m):
        t = largest_init(m)
        if t is None:
            return None
        if not t.raw_data:  # typed fields -> raw_data, so that every mutation sees bytes
            arr = numpy_helper.to_array(t)
            t.CopyFrom(numpy_helper.from_array(arr, t.name))
        return fn(m, t)
    return mutate


def remove_init(m, t):
    m.graph.initializer.remove(t)
    return m


def truncate_raw(m, t):
    t.raw_data = t.raw_data[: len(t.raw_data) // 2]
    return m


def extend_raw(m, t):
    t.raw_data = t.raw_data + b"\0" * 64
    return m


def init_dims(dims):
    def fn(m, t):
        del t.dims[:]
        t.dims.extend(dims)
        return m
    return fn


def init_zero_dim(m, t):
    t.dims[0] = 0
    return m


def init_dtype(dtype):
    def fn(m, t):
        t.data_type = dtype
        return m
    return fn


def init_typed_count(m, t):
    """float_data holding one value fewer than the dims say."""
    if t.data_type != TensorProto.FLOAT:
        return None
    values = np.frombuffer(t.raw_data, np.float32)
    t.ClearField("raw_data")
    t.float_data.extend(values[:-1].tolist())
    return m


def init_raw_and_typed(m, t):
    """Both raw_data and float_data set (ONNX: exactly one of them)."""
    if t.data_type != TensorProto.FLOAT:
        return None
    t.float_data.extend(np.frombuffer(t.raw_data, np.float32).tolist())
    return m


def node_op(op, domain=None):
    def mutate(m):
        m.graph.node[0].op_type = op
        if domain is not None:
            m.graph.node[0].domain = domain
        return m
    return mutate


def node_no_inputs(m):
    del m.graph.node[0].input[:]
    return m


def node_extra_inputs(m):
    m.graph.node[-1].input.extend([m.graph.node[-1].input[0]] * 6)
    return m


def node_extra_outputs(m):
    m.graph.node[-1].output.extend([f"surplus_{i}" for i in range(6)])
    return m


def node_empty_output(m):
    """The first node's output has no name (absent), yet its reader needs it."""
    produced = m.graph.node[0].output[0]
    readers = [n for n in m.graph.node[1:] if produced in n.input]
    if not readers or any(o.name == produced for o in m.graph.output):
        return None  # an unread output may be omitted: that model is valid
    m.graph.node[0].output[0] = ""
    for n in readers:
        for i, name in enumerate(n.input):
            if name == produced:
                n.input[i] = ""
    return m


def attr_retyped(m):
    """The first attribute found gets another type (INT <-> FLOAT, INTS -> STRING)."""
    for n in m.graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.INT:
                new = helper.make_attribute(a.name, float(a.i) + 0.5)
            elif a.type == onnx.AttributeProto.INTS:
                new = helper.make_attribute(a.name, b"1,2")
            elif a.type == onnx.AttributeProto.FLOAT:
                new = helper.make_attribute(a.name, [1, 2, 3])
            elif a.type == onnx.AttributeProto.STRING:
                new = helper.make_attribute(a.name, 7)
            else:
                continue
            a.CopyFrom(new)
            return m
    return None


def attr_without_value(m):
    """An attribute whose type is set and whose value field is empty."""
    for n in m.graph.node:
        for a in n.attribute:
            if a.type in (onnx.AttributeProto.INTS, onnx.AttributeProto.FLOATS):
                continue  # an empty list can be a valid value
            a.ClearField({onnx.AttributeProto.INT: "i", onnx.AttributeProto.FLOAT: "f",
                          onnx.AttributeProto.STRING: "s", onnx.AttributeProto.TENSOR: "t",
                          onnx.AttributeProto.GRAPH: "g"}.get(a.type, "i"))
            a.type = onnx.AttributeProto.UNDEFINED
            return m
    return None


def opset(version):
    def mutate(m):
        m.opset_import[0].version = version
        return m
    return mutate


def no_default_opset(m):
    m.opset_import[0].domain = "ai.onnx.ml"
    return m


def ir_version(v):
    def mutate(m):
        m.ir_version = v
        return m
    return mutate


def duplicate_input(m):
    m.graph.input.append(copy.deepcopy(first_input(m)))
    return m


def duplicate_node_name_and_output(m):
    """A copy of the last node appended: its output is defined twice."""
    m.graph.node.append(copy.deepcopy(m.graph.node[-1]))
    return m


GENERIC = {
    "input_negative_dim": input_dims([-5, 3]),
    "input_huge_dims": input_dims([BIG, 4]),
    "input_dims_overflow_64_bits": input_dims([OVERFLOW, OVERFLOW, OVERFLOW]),
    "input_no_type": input_no_type,
    "input_elem_type_undefined": input_elem_type(TensorProto.UNDEFINED),
    "input_elem_type_unknown": input_elem_type(99),
    "input_elem_type_string": input_elem_type(TensorProto.STRING),
    "input_sequence_type": input_sequence_type,
    "input_twice": duplicate_input,
    "output_not_produced": output_not_produced,
    "no_outputs": no_outputs,
    "dangling_first_input": rename_input(0, 0, "ghost_value"),
    "dangling_last_input": rename_input(-1, 0, "ghost_value"),
    "dangling_second_operand": rename_input(0, 1, "ghost_weights"),
    "value_defined_twice": duplicate_output,
    "node_repeated": duplicate_node_name_and_output,
    "cycle": cycle,
    "self_loop": self_loop,
    "initializer_named_like_node_output": init_named_like_node_output,
    "input_named_like_node_output": input_named_like_node_output,
    "missing_initializer": with_init(remove_init),
    "initializer_raw_data_truncated": with_init(truncate_raw),
    "initializer_raw_data_too_long": with_init(extend_raw),
    "initializer_2tb_declared_in_small_file": with_init(init_dims([1 << 29, 1 << 10])),
    "initializer_dims_overflow_64_bits": with_init(init_dims([OVERFLOW, OVERFLOW, OVERFLOW])),
    "initializer_negative_dim": with_init(init_dims([-4, 4])),
    "initializer_zero_dim_with_data": with_init(init_zero_dim),
    "initializer_dtype_undefined": with_init(init_dtype(TensorProto.UNDEFINED)),
    "initializer_dtype_unknown": with_init(init_dtype(99)),
    "initializer_dtype_string": with_init(init_dtype(TensorProto.STRING)),
    "initializer_typed_data_count": with_init(init_typed_count),
    "initializer_raw_and_typed_data": with_init(init_raw_and_typed),
    "unknown_op": node_op("NoSuchOperator"),
    "empty_op_type": node_op(""),
    "op_in_unimported_domain": node_op("Relu", "com.example.unknown"),
    "node_without_inputs": node_no_inputs,
    "node_with_surplus_inputs": node_extra_inputs,
    "node_with_surplus_outputs": node_extra_outputs,
    "node_output_without_name": node_empty_output,
    "attribute_of_wrong_type": attr_retyped,
    "attribute_without_value": attr_without_value,
    "opset_0": opset(0),
    "opset_10000": opset(10000),
    "opset_negative": opset(-3),
    "no_default_opset": no_default_opset,
    "ir_version_0": ir_version(0),
}


# ---- op-specific mutations ---------------------------------------------------------------------

def on_node(op, fn):
    """Applies fn(node, model) to the first node of type `op`."""
    def mutate(m):
        for n in m.graph.node:
            if n.op_type == op:
                return m if fn(n, m) is not False else None
        return None
    return mutate


def set_attr(op, name, value):
    def fn(n, m):
        for a in list(n.attribute):
            if a.name == name:
                n.attribute.remove(a)
        n.attribute.append(helper.make_attribute(name, value))
    return on_node(op, fn)


def set_init(name, array):
    def mutate(m):
        for t in m.graph.initializer:
            if t.name == name:
                t.CopyFrom(numpy_helper.from_array(np.asarray(array), name))
                return m
        return None
    return mutate


def replace_init_dtype(name, dtype):
    def mutate(m):
        for t in m.graph.initializer:
            if t.name == name:
                arr = numpy_helper.to_array(t).astype(dtype)
                t.CopyFrom(numpy_helper.from_array(arr, name))
                return m
        return None
    return mutate


def conv_weight(fn):
    """Replaces the first Conv's weight initializer w by fn(w)."""
    def mutate(m):
        conv = next(n for n in m.graph.node if n.op_type == "Conv")
        for t in m.graph.initializer:
            if t.name == conv.input[1]:
                t.CopyFrom(numpy_helper.from_array(fn(numpy_helper.to_array(t)), t.name))
                return m
        return None
    return mutate


def varint(v):
    out = bytearray()
    while True:
        byte, v = v & 0x7F, v >> 7
        out.append(byte | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def nested_if(depth):
    """If nodes nested `depth` deep, each then-branch holding the next If. Protobuf libraries
    refuse to build messages this deep, so the nesting is encoded by hand (GraphProto.node = 1,
    .name = 2, .output = 12; NodeProto.input = 1, .output = 2, .op_type = 4, .attribute = 5;
    AttributeProto.name = 1, .g = 6, .type = 20; ModelProto.graph = 7)."""
    def attr(name, graph_bytes):
        return field(1, name.encode()) + field(6, graph_bytes) + varint(20 << 3) + varint(5)

    def if_node(d, then_bytes, out):
        else_bytes = branch(f"else{d}", np.zeros([4], np.float32)).SerializeToString()
        return (field(1, f"c{d}".encode()) + field(2, out.encode()) + field(4, b"If")
                + field(5, attr("then_branch", then_bytes)) + field(5, attr("else_branch", else_bytes)))

    def level(depth):
        graph = branch("leaf", np.ones([4], np.float32)).SerializeToString()
        for d in range(1, depth + 1):  # inside out, without recursion
            cond = helper.make_node("Constant", [], [f"c{d}"], value=const(f"cv{d}", np.array(True)))
            graph = (field(1, cond.SerializeToString()) + field(1, if_node(d, graph, f"o{d}"))
                     + field(2, f"level{d}".encode())
                     + field(12, f32(f"o{d}", [4]).SerializeToString()))
        return graph

    def mutate(m):
        g = m.graph
        i = next(k for k, n in enumerate(g.node) if n.op_type == "If")
        if_bytes = if_node(depth + 1, level(depth), g.node[i].output[0]).replace(
            field(1, f"c{depth + 1}".encode()), field(1, g.node[i].input[0].encode()), 1)
        rest = copy.deepcopy(g)
        del rest.node[: i + 1]
        before = b"".join(field(1, n.SerializeToString()) for n in g.node[:i])
        model = copy.deepcopy(m)
        model.ClearField("graph")
        return (model.SerializeToString() + field(7, before + field(1, if_bytes)
                                                  + rest.SerializeToString()))
    return mutate


def if_branch_output_count(m):
    n = next(n for n in m.graph.node if n.op_type == "If")
    g = next(a for a in n.attribute if a.name == "else_branch").g
    g.output.append(copy.deepcopy(g.output[0]))
    return m


def if_branch_elem_type(m):
    n = next(n for n in m.graph.node if n.op_type == "If")
    g = next(a for a in n.attribute if a.name == "else_branch").g
    g.node[0].attribute[0].t.CopyFrom(const("else_v", np.zeros([4], np.int32)))
    g.output[0].type.tensor_type.elem_type = TensorProto.INT32
    return m


def if_branch_reads_unknown(m):
    n = next(n for n in m.graph.node if n.op_type == "If")
    g = next(a for a in n.attribute if a.name == "then_branch").g
    g.node[1].input[0] = "not_in_any_scope"
    return m


def if_without_branch(m):
    n = next(n for n in m.graph.node if n.op_type == "If")
    for a in list(n.attribute):
        if a.name == "else_branch":
            n.attribute.remove(a)
    return m


def external(key, value, extra=None):
    """Sets one external_data entry of the external base model's weight (value None: removes it);
    returns (model, extra files of the case)."""
    def mutate(m):
        for t in m.graph.initializer:
            if t.data_location == TensorProto.EXTERNAL:
                entries = {e.key: e for e in t.external_data}
                if value is None:
                    t.external_data.remove(entries[key])
                elif key in entries:
                    entries[key].value = value
                else:
                    e = t.external_data.add()
                    e.key, e.value = key, value
                return m, extra or {}
        return None
    return mutate


def external_not_marked(m):
    """external_data entries but data_location DEFAULT and no data."""
    for t in m.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            t.data_location = TensorProto.DEFAULT
            return m
    return None


SPECIFIC = {
    # Conv (tinynet)
    "conv_strides_zero": set_attr("Conv", "strides", [0, 0]),
    "conv_strides_negative": set_attr("Conv", "strides", [-1, 1]),
    "conv_strides_wrong_length": set_attr("Conv", "strides", [1, 1, 1]),
    "conv_dilations_zero": set_attr("Conv", "dilations", [0, 1]),
    "conv_pads_negative_past_input": set_attr("Conv", "pads", [-40, -40, -40, -40]),
    "conv_pads_wrong_length": set_attr("Conv", "pads", [1, 1]),
    "conv_group_zero": set_attr("Conv", "group", 0),
    "conv_group_not_dividing": set_attr("Conv", "group", 5),
    "conv_group_negative": set_attr("Conv", "group", -2),
    "conv_kernel_shape_disagrees": set_attr("Conv", "kernel_shape", [5, 5]),
    "conv_auto_pad_unknown": set_attr("Conv", "auto_pad", "SIDEWAYS"),
    "conv_weight_int64": conv_weight(lambda w: w.astype(np.int64)),
    "conv_weight_rank_2": conv_weight(lambda w: w.reshape(w.shape[0], -1)),
    "conv_huge_dilation": set_attr("Conv", "dilations", [1 << 40, 1 << 40]),
    "conv_huge_pads": set_attr("Conv", "pads", [1 << 40] * 4),
    "maxpool_kernel_zero": set_attr("MaxPool", "kernel_shape", [0, 0]),
    "maxpool_kernel_past_input": set_attr("MaxPool", "kernel_shape", [64, 64]),
    "maxpool_strides_zero": set_attr("MaxPool", "strides", [0, 0]),
    "batchnorm_epsilon_negative_and_nan": set_attr("BatchNormalization", "epsilon", float("nan")),
    "gemm_transB_not_boolean_dims": set_attr("Gemm", "transB", 0),
    "flatten_axis_out_of_range": set_attr("Flatten", "axis", 9),
    "softmax_axis_out_of_range": set_attr("Softmax", "axis", 7),
    # LSTM
    "lstm_hidden_size_disagrees": set_attr("LSTM", "hidden_size", 9),
    "lstm_hidden_size_zero": set_attr("LSTM", "hidden_size", 0),
    "lstm_hidden_size_huge": set_attr("LSTM", "hidden_size", 1 << 40),
    "lstm_direction_unknown": set_attr("LSTM", "direction", "sideways"),
    "lstm_activation_unknown": set_attr("LSTM", "activations", ["Sigmoid", "Tanh", "Wobble"]),
    "lstm_weights_wrong_shape": set_init("W", rand([1, 10, 8], 6)),
    "lstm_bias_wrong_shape": set_init("B", rand([1, 7], 7)),
    # Reshape / Gather / Concat / Transpose / MatMul / Softmax
    "reshape_two_inferred_dims": set_init("shape", np.array([-1, -1], np.int64)),
    "reshape_count_disagrees": set_init("shape", np.array([5, 5], np.int64)),
    "reshape_negative_dim": set_init("shape", np.array([-6, 4], np.int64)),
    "reshape_huge_shape": set_init("shape", np.array([1 << 40, 1 << 40], np.int64)),
    "reshape_shape_float": replace_init_dtype("shape", np.float32),
    "gather_index_out_of_range": set_init("idx", np.array([0, 100], np.int64)),
    "gather_index_below_range": set_init("idx", np.array([-7], np.int64)),
    "gather_axis_out_of_range": set_attr("Gather", "axis", 4),
    "gather_indices_float": replace_init_dtype("idx", np.float32),
    "concat_axis_out_of_range": set_attr("Concat", "axis", 3),
    "concat_shapes_disagree": set_init("extra", rand([3, 7], 8)),
    "transpose_perm_repeated": set_attr("Transpose", "perm", [0, 0]),
    "transpose_perm_wrong_length": set_attr("Transpose", "perm", [2, 1, 0]),
    "transpose_perm_out_of_range": set_attr("Transpose", "perm", [1, 5]),
    "matmul_inner_dims_disagree": set_init("w", rand([3, 5], 9)),
    # Resize / Pad / Slice / ReduceMean
    "resize_mode_unknown": set_attr("Resize", "mode", "bicubic-ish"),
    "resize_scales_negative": set_init("scales", np.array([1, 1, -2, 2], np.float32)),
    "resize_scales_zero": set_init("scales", np.array([1, 1, 0, 2], np.float32)),
    "resize_scales_nan": set_init("scales", np.array([1, 1, np.nan, 2], np.float32)),
    "resize_scales_huge": set_init("scales", np.array([1, 1, 1e9, 1e9], np.float32)),
    "resize_scales_wrong_length": set_init("scales", np.array([2, 2], np.float32)),
    "pad_negative_past_input": set_init("pads", np.array([0, 0, -9, -9, 0, 0, -9, -9], np.int64)),
    "pad_huge": set_init("pads", np.array([0, 0, 1 << 40, 0, 0, 0, 1 << 40, 0], np.int64)),
    "pad_wrong_length": set_init("pads", np.array([1, 1, 1], np.int64)),
    "pad_mode_unknown": set_attr("Pad", "mode", "mirror-ish"),
    "slice_step_zero": set_init("steps", np.array([0, 1], np.int64)),
    "slice_axes_repeated": set_init("axes", np.array([2, 2], np.int64)),
    "slice_axes_out_of_range": set_init("axes", np.array([2, 9], np.int64)),
    "slice_starts_length_disagrees": set_init("starts", np.array([1, 1, 1], np.int64)),
    "reduce_axes_out_of_range": set_attr("ReduceMean", "axes", [2, 11]),
    # If (control)
    "if_nested_300_deep": nested_if(300),
    "if_nested_2000_deep": nested_if(2000),
    "if_branch_output_count_disagrees": if_branch_output_count,
    "if_branch_elem_type_disagrees": if_branch_elem_type,
    "if_branch_reads_unknown_value": if_branch_reads_unknown,
    "if_without_else_branch": if_without_branch,
    "if_condition_float": replace_init_dtype("cond", np.float32),
    # external data (external)
    "external_absolute_path": external("location", "/etc/passwd"),
    "external_parent_path": external("location", "../../../../etc/passwd"),
    "external_symlink": external("location", "link.bin", {"link.bin": ("symlink", "/etc/passwd")}),
    "external_offset_past_end": external("offset", "4096"),
    "external_length_past_end": external("length", "4096"),
    "external_length_disagrees": external("length", "8"),
    "external_offset_negative": external("offset", "-16"),
    "external_offset_not_a_number": external("offset", "sixteen"),
    "external_offset_huge": external("offset", str(1 << 62)),
    "external_no_location": external("location", None),
    "external_file_missing": external("location", "missing.bin"),
    "external_location_is_directory": external("location", "sub", {"sub": ("dir", None)}),
    "external_location_is_device": external("location", "/dev/zero"),
    "external_location_empty": external("location", ""),
    "external_not_marked_external": external_not_marked,
}

# Which bases each op-specific mutation is tried on: those whose graph holds the op (on_node and
# set_init return None elsewhere).
BASES = {
    "tinynet": None,  # loaded from --tinynet
    "lstm": lstm_model,
    "tensor_ops": tensor_ops_model,
    "sampling": sampling_model,
    "control": control_model,
    "external": external_model,
}

TRUNCATE_AT = (0.1, 0.5, 0.97)


def write_case(out, name, m, why, manifest, raw=None, extra=None):
    """Writes OUT/name/model.onnx (m, or the bytes `raw`), weights.bin (the external base's data)
    and `extra` files: {name: ("symlink", target) or ("dir", None)}."""
    d = os.path.join(out, name)
    os.makedirs(d)
    path = os.path.join(d, "model.onnx")
    with open(path, "wb") as f:
        f.write(raw if raw is not None else m.SerializeToString())
    with open(os.path.join(d, "weights.bin"), "wb") as f:
        f.write(np.arange(4, dtype=np.float32).tobytes())
    for fname, (kind, target) in (extra or {}).items():
        if kind == "symlink":
            os.symlink(target, os.path.join(d, fname))
        elif kind == "dir":
            os.makedirs(os.path.join(d, fname))
    manifest.append({"name": name, "model": os.path.relpath(path, out), "why": why})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--tinynet", required=True, help="models/tinynet")
    args = ap.parse_args()
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)

    bases = {}
    for name, build in BASES.items():
        bases[name] = (onnx.load(os.path.join(args.tinynet, "model.onnx")) if build is None
                       else build())

    manifest = []
    for base_name, base in bases.items():
        data = base.SerializeToString()
        for frac in TRUNCATE_AT:
            write_case(args.out, f"{base_name}.truncated_at_{int(frac * 100)}pct", None,
                       f"the file cut at {frac:.0%} of its bytes", manifest,
                       raw=data[: int(len(data) * frac)])
        for table in (GENERIC, SPECIFIC):
            for mut_name, mutate in table.items():
                m = copy.deepcopy(base)
                try:
                    mutated = mutate(m)
                except (StopIteration, IndexError, KeyError):
                    mutated = None
                if mutated is None:
                    continue
                mutated, extra = mutated if isinstance(mutated, tuple) else (mutated, None)
                raw = mutated if isinstance(mutated, bytes) else None  # encoded by hand
                write_case(args.out, f"{base_name}.{mut_name}", None if raw else mutated,
                           (mutate.__doc__ or mut_name.replace("_", " ")).strip().split("\n")[0],
                           manifest, raw=raw, extra=extra)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(manifest)} malformed models in {args.out}")


if __name__ == "__main__":
    main()
