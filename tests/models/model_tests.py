#!/usr/bin/env python3
"""End-to-end model tests (registered by tests/models/CMakeLists.cmake, one CTest test per call):
  compile-run  MODEL_DIR LIB [--rtol R --atol A]   (with --target T before the command)
               dnncc MODEL_DIR/model.onnx -o LIB, then dnncc-run LIB --data MODEL_DIR/test_data_set_0
  classify     WORK  examples/classify against tinynet's reference output
  two-models   WORK  tests/models/two_models.c with tinynet as net_a and net_b in one process,
                     linked once with the two shared libraries and once with two --emit=obj objects
  emit KIND    WORK  --emit=obj|lib|asm|llvm|ir produce a file of the right kind
  exports      WORK  a model library exports only <prefix>_* symbols
  compile-only MODEL_DIR LIB  compile for --target and check the library's ELF machine
  nonfinite    WORK  Pads with -inf, +inf and NaN values fused with an Add: the kernels keep IEEE
                     semantics for those constants (Halide's fast-math flags would fold them away)
  neon         WORK  --emit=asm for an ARM target: every conv and matmul kernel uses NEON fmla
  exact        WORK  ops whose results are exactly defined, on data that spans their types'
                     ranges, bit for bit equal to numpy (--atol 0 --rtol 0): Mod with fmod=0 and
                     1 (f16, f32, f64; quotients up to the types' limits), Cast f64 -> f16 (ties, subnormals,
                     overflow, NaN, inf), DequantizeLinear of every float8e4m3fn byte to f16
  contrib      WORK  onnxruntime's contrib operators (com.microsoft) against its CPU kernels
  host-fp16    WORK  float16 arithmetic for --target=host (--emit=asm) has no AVX512-FP16
                     instruction unless the CPU has AVX512-FP16; a target claiming it has some
  dynamic      WORK  TopK with k a graph input and no declared output shape: data-dependent
                     outputs whose run shape and values match numpy for several k
  gpu-code     MODEL_DIR LIB --api opencl|cuda [--sm NN]   compile-only for a GPU target, then
               inspect: OpenCL C kernels or PTX for sm_NN embedded (assembled by ptxas when the
               CUDA toolkit is installed), no undefined halide_/dnncc_ symbol; with --precision
               fp16, half arithmetic in the OpenCL C (compiled by clang-14 where installed) or
               PTX and no integer f16 <-> f32 bit conversion; with --cl-device TRIPLE:CPU, the
               OpenCL C compiled by clang-14 to that GPU's machine code (AMD gfx900, gfx1030); with
               --staged, some kernel stages tiles in local (shared) memory behind a barrier (the
               tiled conv / matmul GPU schedules, GpuTiledSchedule.cpp)
  copies       WORK  an x86-64-opencl library run on PoCL under a counting shim of the OpenCL
               library (tests/models/cl_count_shim.c): each extra run adds exactly one
               clEnqueueWriteBuffer per input and one clEnqueueReadBuffer per output, and
               dnncc-run reports the same counts; create makes one device allocation for the
               arena, one for the weights and one per input and output (the tensors in them are
               sub-buffers)
compile-run --device API checks dnncc-run's device line: the API named and one copy per input
and output.
Common options: --dnncc, --dnncc-run, --cc, --repo. Exit 0 = pass."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

ZOO_HINT = ("run `.venv/bin/python models/export_zoo.py --out models/zoo` (or scripts/test.sh) to "
            "generate the model zoo")


class Failure(Exception):
    pass


def run(cmd, **kw):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    if p.returncode != 0:
        how = f"signal {-p.returncode}" if p.returncode < 0 else f"exit code {p.returncode}"
        raise Failure(f"{os.path.basename(cmd[0])} failed ({how})")
    return p.stdout


def fresh(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def compile_model(a, model, out, *extra):
    run([a.dnncc, model, f"--target={a.target}", "-o", out, *extra])
    if not os.path.isfile(out) or os.path.getsize(out) == 0:
        raise Failure(f"dnncc wrote no {out}")


ELF_MACHINES = {"x86_64": 62, "aarch64": 183, "arm": 40}


def check_machine(a, lib):
    """The library is an ELF shared object for --machine (when given)."""
    if not a.machine:
        return
    head = open(lib, "rb").read(20)
    machine = int.from_bytes(head[18:20], "little")
    if head[:4] != b"\x7fELF" or int.from_bytes(head[16:18], "little") != 3:
        raise Failure(f"{lib} is not an ELF shared object")
    if machine != ELF_MACHINES[a.machine]:
        raise Failure(f"{lib} has ELF machine {machine}, expected {a.machine}")


def compile_only(a):
    model = os.path.join(a.model_dir, "model.onnx")
    if not os.path.exists(model):
        raise Failure(f"{model} is missing: {ZOO_HINT}")
    os.makedirs(os.path.dirname(os.path.abspath(a.lib)), exist_ok=True)
    precision = getattr(a, "precision", None)
    compile_model(a, model, a.lib, *([f"--precision={precision}"] if precision else []))
    check_machine(a, a.lib)


def neon(a):
    """Each conv and matmul kernel of tinynet and bert_tiny, compiled for an ARM target, has
    vector fused multiply-adds (fmla on .4s vector registers)."""
    work = fresh(a.work)
    models = {"tinynet": os.path.join(tinynet(a), "model.onnx"),
              "bert_tiny": os.path.join(a.repo, "models", "zoo", "bert_tiny", "model.onnx")}
    for name, model in models.items():
        if not os.path.exists(model):
            raise Failure(f"{model} is missing: {ZOO_HINT}")
        out = os.path.join(work, f"{name}.s")
        compile_model(a, model, out, "--emit=asm")
        # A kernel's code: its function and the ones it outlines (parallel loop bodies), all
        # named <kernel symbol, ending in an 8-digit hash><suffix>.
        code, current = {}, None
        for line in open(out):
            label = re.match(r"^([A-Za-z_$][\w.$]*):", line)  # not local .L labels
            if label:
                k = re.match(r"(dnncc_(?:conv|matmul|gemm)_\w*?_[0-9a-f]{8})", label.group(1))
                current = k.group(1) if k else None
            elif current:
                code[current] = code.get(current, "") + line
        kernels = len(code)
        for kernel, text in code.items():
            if not re.search(r"\bfmla\s+v\d+\.4s", text):
                raise Failure(f"{name}: kernel {kernel} has no NEON fmla")
        if kernels == 0:
            raise Failure(f"{name}: no conv or matmul kernel in {out}")
        print(f"{name}: {kernels} conv/matmul kernel functions use fmla")


def model_io_counts(model):
    """(inputs that are not initializers, outputs) of an ONNX model."""
    import onnx
    m = onnx.load(model, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    return sum(1 for i in m.graph.input if i.name not in inits), len(m.graph.output)


DEVICE_LINE = re.compile(r"^device: (.*); the run copied (\d+) tensor\(s\) to the device and "
                         r"(\d+) back$", re.M)


def check_device(a, model, stdout):
    """dnncc-run's device line names the API, and the run copied once per input and output."""
    m = DEVICE_LINE.search(stdout)
    if not m:
        raise Failure(f"dnncc-run printed no device line for a {a.device} library")
    if not m.group(1).startswith(a.device + ":"):
        raise Failure(f"the library ran on '{m.group(1)}', not {a.device}")
    n_in, n_out = model_io_counts(model)
    got = (int(m.group(2)), int(m.group(3)))
    if got != (n_in, n_out):
        raise Failure(f"the run copied {got[0]} tensors to the device and {got[1]} back; the model "
                      f"has {n_in} inputs and {n_out} outputs")
    print(f"device {m.group(1)}: {got[0]} copies in, {got[1]} out")


def compile_run(a):
    model = os.path.join(a.model_dir, "model.onnx")
    data = os.path.join(a.model_dir, "test_data_set_0")
    for path in (model, os.path.join(data, "input_0.pb"), os.path.join(data, "output_0.pb")):
        if not os.path.exists(path):
            raise Failure(f"{path} is missing: {ZOO_HINT}"
                          if os.sep + "zoo" + os.sep in path else f"{path} is missing")
    os.makedirs(os.path.dirname(os.path.abspath(a.lib)), exist_ok=True)
    compile_model(a, model, a.lib, *([f"--precision={a.precision}"] if a.precision else []))
    check_machine(a, a.lib)
    keep = a.top1 or a.precision
    outdir = fresh(os.path.splitext(os.path.abspath(a.lib))[0] + ".outputs") if keep else None
    # dnncc-run runs a library for another CPU under qemu-user, with the same flags and output.
    out = run([a.dnncc_run, a.lib, "--data", data, "--rtol", a.rtol, "--atol", a.atol,
               *(["--output-dir", outdir] if outdir else [])])
    if a.device:
        check_device(a, model, out)
    if outdir:
        check_outputs(model, data, outdir, a.top1)


# ONNX ops that always run as (part of) a kernel: each such node must be named by a kernel call.
PROFILED_OPS = {"Conv", "Gemm", "MatMul", "Relu", "Clip", "Add", "MaxPool", "AveragePool",
                "GlobalAveragePool", "Softmax"}


def profile(a):
    """dnncc-run --profile and --profile-json on the target: one row per kernel call, rows naming
    the model's ONNX nodes (every compute node covered), times that add up, a valid trace; on an
    OpenCL target the times come from the device's clock (marker events, counted by the shim)."""
    import json
    import onnx
    model = os.path.join(a.model_dir, "model.onnx")
    data = os.path.join(a.model_dir, "test_data_set_0")
    work = fresh(a.work)
    lib = os.path.join(work, "libmodel.so")
    trace = os.path.join(work, "trace.json")
    compile_model(a, model, lib)
    runs = 3
    opencl = a.target.endswith("-opencl")
    env = None
    if opencl:  # count the marker events of the device clock
        log = os.path.join(work, "count.txt")
        env = dict(os.environ, LD_PRELOAD=cl_count_shim(a, work), DNNCC_CL_COUNT_FILE=log)
    out = run([a.dnncc_run, lib, "--data", data, "--rtol", "1e-3", "--atol", "1e-4", "--profile",
               "--profile-json", trace, "--profile-runs", str(runs), "--peak-gflops", "100"],
              env=env)
    summary = re.search(r"^profile: (\d+) kernel calls, median of (\d+) profiled runs: run "
                        r"([\d.]+) ms, kernels ([\d.]+) ms", out, re.M)
    if not summary:
        raise Failure("dnncc-run --profile printed no summary line")
    calls, profiled = int(summary[1]), int(summary[2])
    if calls == 0 or profiled != runs:
        raise Failure(f"{calls} kernel calls over {profiled} runs (expected {runs})")
    if "% of 100.0)" not in out:
        raise Failure("the summary does not compare the rate with --peak-gflops")
    if opencl:
        # The device's clock: one marker event before the kernels and one after each kernel call,
        # in every profiled run and the warm-up.
        markers = int(open(log).read().split()[4])
        if markers != (calls + 1) * (runs + 1):
            raise Failure(f"{markers} OpenCL marker events; expected {(calls + 1) * (runs + 1)} "
                          f"({calls} kernel calls, {runs} profiled runs and one warm-up)")
    rows = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+([\d.]+)%\s+(\S+ \(\d+%\)|\S+)\s+(\S+)\s+"
                      r"(\S+)  (\S+)  \[(.*)\]$", out, re.M)
    if sorted(int(r[0]) for r in rows) != list(range(calls)):
        raise Failure(f"the table has {len(rows)} rows, not one per kernel call 0..{calls - 1}")
    onnx_model = onnx.load(model)
    names = {n.name for n in onnx_model.graph.node}
    covered = set()
    for r in rows:
        nodes = [x for x in r[7].split(", ") if x]
        if not nodes or not set(nodes) <= names:
            raise Failure(f"kernel call {r[0]} ({r[5]}) names nodes {nodes} not all in the model")
        covered.update(nodes)
    missing = [n.name for n in onnx_model.graph.node
               if n.op_type in PROFILED_OPS and n.name not in covered]
    if missing:
        raise Failure(f"no kernel call covers the nodes {missing}")
    events = json.load(open(trace))["traceEvents"]
    kernels = [e for e in events if e.get("cat") == "kernel"]
    if len(kernels) != calls * runs or any(e["ph"] != "X" or e["dur"] < 0 for e in kernels):
        raise Failure(f"the trace has {len(kernels)} kernel events, expected {calls}x{runs}")
    symbols = {r[5] for r in rows}
    if {e["args"]["kernel"] for e in kernels} != symbols:
        raise Failure("the trace's kernels are not the table's")
    for run_index in range(runs):
        one = kernels[run_index * calls:(run_index + 1) * calls]
        if any(b["ts"] < a_["ts"] + a_["dur"] - 1e-3 for a_, b in zip(one, one[1:])):
            raise Failure(f"kernel calls of run {run_index} overlap in the trace")


def save_ort_case(d, name, nodes, inits, x, outputs=("y",)):
    """Writes the opset-17 model of `nodes` (input "x" = array `x`, the given outputs) to
    d/model.onnx and its test data set, with onnxruntime's (CPU) outputs as the reference.
    Returns the model's path and the data set's directory."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    data = fresh(os.path.join(d, "test_data_set_0"))
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = os.path.join(d, "model.onnx")
    onnx.save(model, path)
    ys = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    open(os.path.join(data, "input_0.pb"), "wb").write(
        numpy_helper.from_array(x, "x").SerializeToString())
    for i, (o, y) in enumerate(zip(outputs, ys)):
        open(os.path.join(data, f"output_{i}.pb"), "wb").write(
            numpy_helper.from_array(y, o).SerializeToString())
    return path, data


def conv_chains(a):
    """1x1 conv + activation + depthwise conv (an inverted residual block's expansion), which
    fuse-elementwise puts into one kernel on CPU targets (the conv_chain schedule): odd channel
    counts, strides 1 and 2, kernels 3 and 5, maps narrower than a register tile, batch 2, each
    activation form (none, Clip, HardSwish, x * Sigmoid(x)). Each model matches onnxruntime on
    --target, and its profile shows the two convs in one kernel call."""
    import numpy as np
    from onnx import helper, numpy_helper
    work = fresh(a.work)
    rng = np.random.default_rng(7)
    # (name, batch, in channels, expanded channels, H, W, depthwise kernel, stride, activation)
    cases = [("relu6_s1", 1, 3, 20, 9, 9, 3, 1, "clip"),
             ("hardswish_s2", 1, 8, 48, 14, 14, 3, 2, "hardswish"),
             ("plain_k5_batch2", 2, 16, 32, 7, 7, 5, 1, None),
             ("narrow", 1, 4, 16, 20, 3, 3, 1, "clip"),
             ("silu_s2_odd", 1, 6, 40, 11, 13, 3, 2, "silu")]
    for name, n, ic, c, h, w, k, stride, act in cases:
        d = fresh(os.path.join(work, name))
        inits = [numpy_helper.from_array(rng.standard_normal((c, ic, 1, 1)).astype(np.float32)
                                         * 0.5, "w1"),
                 numpy_helper.from_array(rng.standard_normal(c).astype(np.float32), "b1"),
                 numpy_helper.from_array(rng.standard_normal((c, 1, k, k)).astype(np.float32)
                                         * 0.5, "w2"),
                 numpy_helper.from_array(rng.standard_normal(c).astype(np.float32), "b2")]
        nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["e"], name="expand")]
        if act == "clip":
            inits += [numpy_helper.from_array(np.array(0, np.float32), "lo"),
                      numpy_helper.from_array(np.array(6, np.float32), "hi")]
            nodes.append(helper.make_node("Clip", ["e", "lo", "hi"], ["ea"], name="act"))
        elif act == "hardswish":
            nodes.append(helper.make_node("HardSwish", ["e"], ["ea"], name="act"))
        elif act == "silu":
            nodes += [helper.make_node("Sigmoid", ["e"], ["es"], name="sigmoid"),
                      helper.make_node("Mul", ["e", "es"], ["ea"], name="act")]
        pad = k // 2
        nodes.append(helper.make_node("Conv", ["ea" if act else "e", "w2", "b2"], ["y"],
                                      name="depthwise", group=c, strides=[stride, stride],
                                      pads=[pad] * 4, kernel_shape=[k, k]))
        x = rng.standard_normal((n, ic, h, w)).astype(np.float32)
        path, data = save_ort_case(d, name, nodes, inits, x)
        lib = os.path.join(work, f"lib{name}.so")
        compile_model(a, path, lib)
        out = run([a.dnncc_run, lib, "--data", data, "--rtol", "1e-3", "--atol", "1e-4",
                   "--profile", "--profile-runs", "1"])
        # One kernel for both convs; the only other is the identity that converts the NHWC
        # result to the row-major model output (choose-layouts).
        kernels = re.findall(r"^\s+\d+\s+[\d.]+\s+[\d.]+%.*?dnncc_\S+\s+(\S+)\s+\[(.*)\]$", out,
                             re.M)
        fused = [k for k in kernels if k[1].startswith("expand, ") and k[1].endswith("depthwise")]
        others = [k for k in kernels if k not in fused]
        if len(fused) != 1 or any(k[0] != "identity" for k in others):
            raise Failure(f"{name}: the 1x1 and the depthwise conv are not one kernel call:\n{out}")


def profile_ort_case(a, work, name, nodes, inits, x, outputs):
    """Saves the model of `nodes` with onnxruntime's outputs for input `x` (save_ort_case) in
    work/name, compiles it for --target and runs it against them with --profile (one run);
    returns dnncc-run's output."""
    path, data = save_ort_case(fresh(os.path.join(work, name)), name, nodes, inits, x, outputs)
    lib = os.path.join(work, f"lib{name}.so")
    compile_model(a, path, lib)
    return run([a.dnncc_run, lib, "--data", data, "--rtol", "1e-3", "--atol", "1e-4",
                "--profile", "--profile-runs", "1"])


def add_conv(rng, nodes, inits, x, ic, oc, k, out, act):
    """Appends a "same"-padded k x k Conv of `x` (ic -> oc channels, seeded weights and bias) to
    `nodes` / `inits`, followed by `act` ("relu", "silu" as x * sigmoid(x), or None); its
    result is called `out`."""
    import numpy as np
    from onnx import helper, numpy_helper
    w = f"w_{out}"
    inits += [numpy_helper.from_array(
                  (rng.standard_normal((oc, ic, k, k)) * 0.3).astype(np.float32), w),
              numpy_helper.from_array(rng.standard_normal(oc).astype(np.float32), w + "b")]
    nodes.append(helper.make_node("Conv", [x, w, w + "b"], [out + "c" if act else out],
                                  name=f"conv_{out}", pads=[k // 2] * 4, kernel_shape=[k, k]))
    if act == "relu":
        nodes.append(helper.make_node("Relu", [out + "c"], [out], name=f"relu_{out}"))
    elif act == "silu":
        nodes += [helper.make_node("Sigmoid", [out + "c"], [out + "s"], name=f"sig_{out}"),
                  helper.make_node("Mul", [out + "c", out + "s"], [out], name=f"silu_{out}")]


def layouts(a):
    """The layouts of a detector's building blocks (choose-layouts) and softmax over an axis that
    is not innermost (the axis_reductions schedule): a conv whose result is a model output and
    one that feeds a reshape (a detection head), each still written NHWC by the conv's kernel and
    converted by an identity kernel; a CSP block (channel halves as slices, a bottleneck with a
    residual add of a slice, concat); nearest upsampling (Resize, imported as gathers) into a
    concat; softmax over the bins of [1, 4, 16, A] box distributions and log_softmax over the
    channels of a map; 1x1 and strided 3x3 convs reading a channel-shuffled model input (a
    row-major map that the conv kernels repack NHWC). Each model matches onnxruntime on
    --target, and every conv kernel in its profile is an NHWC one (the generic schedule that a
    row-major conv result gets ran such convs 15-20x slower)."""
    import numpy as np
    from onnx import helper, numpy_helper
    work = fresh(a.work)
    rng = np.random.default_rng(12)

    def conv(nodes, inits, x, ic, oc, k, out, silu=True):
        add_conv(rng, nodes, inits, x, ic, oc, k, out, "silu" if silu else None)

    def ints(inits, name, values):
        inits.append(numpy_helper.from_array(np.array(values, np.int64), name))

    def head(nodes, inits):
        conv(nodes, inits, "x", 8, 16, 3, "f")
        conv(nodes, inits, "f", 16, 20, 1, "boxes", silu=False)
        ints(inits, "flat", [1, 20, -1])
        nodes.append(helper.make_node("Reshape", ["boxes", "flat"], ["y"], name="flatten"))
        return ("y", "f")

    def csp(nodes, inits):
        conv(nodes, inits, "x", 8, 16, 1, "cv1")
        ints(inits, "s0", [0])
        ints(inits, "s8", [8])
        ints(inits, "s16", [16])
        ints(inits, "ax", [1])
        nodes += [helper.make_node("Slice", ["cv1", "s0", "s8", "ax"], ["h0"], name="half0"),
                  helper.make_node("Slice", ["cv1", "s8", "s16", "ax"], ["h1"], name="half1")]
        conv(nodes, inits, "h1", 8, 8, 3, "b0")
        conv(nodes, inits, "b0", 8, 8, 3, "b1")
        nodes += [helper.make_node("Add", ["h1", "b1"], ["res"], name="residual"),
                  helper.make_node("Concat", ["h0", "h1", "res"], ["cat"], axis=1,
                                   name="concat")]
        conv(nodes, inits, "cat", 24, 12, 1, "y")
        return ("y",)

    def upsample(nodes, inits):
        # The lateral input: a map twice as large (x upsampled).
        inits.append(numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"))
        nodes.append(helper.make_node("Resize", ["x", "", "scales"], ["x2"], mode="nearest",
                                      name="lateral_in"))
        conv(nodes, inits, "x", 8, 12, 3, "deep")
        nodes.append(helper.make_node("Resize", ["deep", "", "scales"], ["up"], mode="nearest",
                                      name="up"))
        conv(nodes, inits, "x2", 8, 8, 1, "lateral")
        nodes.append(helper.make_node("Concat", ["up", "lateral"], ["cat"], axis=1,
                                      name="concat"))
        conv(nodes, inits, "cat", 20, 6, 3, "y")
        return ("y",)

    def bins(nodes, inits):
        conv(nodes, inits, "x", 8, 64, 1, "dist", silu=False)
        ints(inits, "grouped", [1, 4, 16, -1])
        nodes += [helper.make_node("Reshape", ["dist", "grouped"], ["g"], name="group"),
                  helper.make_node("Softmax", ["g"], ["y"], axis=2, name="softmax")]
        return ("y",)

    def channels(nodes, inits):
        conv(nodes, inits, "x", 8, 24, 3, "logits", silu=False)
        nodes.append(helper.make_node("LogSoftmax", ["logits"], ["y"], axis=1,
                                      name="log_softmax"))
        return ("y",)

    def shuffled(nodes, inits):
        # Convs reading a row-major map through views (a channel shuffle), repacked NHWC by
        # their kernels: a 1x1 conv and a strided 3x3 one, each with 24 output channels (one
        # register tile of three vectors on AVX2).
        ints(inits, "split", [1, 2, 8, 9, 11])
        ints(inits, "whole", [1, 16, 9, 11])
        nodes += [helper.make_node("Reshape", ["x", "split"], ["s"], name="shuffle_split"),
                  helper.make_node("Transpose", ["s"], ["t"], perm=[0, 2, 1, 3, 4],
                                   name="shuffle"),
                  helper.make_node("Reshape", ["t", "whole"], ["sh"], name="shuffle_join")]
        conv(nodes, inits, "sh", 16, 24, 1, "y")
        inits += [numpy_helper.from_array(
                      (rng.standard_normal((24, 16, 3, 3)) * 0.3).astype(np.float32), "w_z"),
                  numpy_helper.from_array(rng.standard_normal(24).astype(np.float32), "b_z")]
        nodes.append(helper.make_node("Conv", ["sh", "w_z", "b_z"], ["z"], name="conv_z",
                                      pads=[1, 1, 1, 1], strides=[2, 2]))
        return ("y", "z")

    # (name, input shape, build(nodes, inits) -> outputs)
    cases = [("head", (1, 8, 10, 12), head), ("csp", (1, 8, 9, 11), csp),
             ("shuffled", (1, 16, 9, 11), shuffled),
             ("upsample", (1, 8, 6, 7), upsample), ("bins", (1, 8, 10, 13), bins),
             ("channels", (2, 8, 5, 9), channels)]
    for name, shape, build in cases:
        nodes, inits = [], []
        outputs = build(nodes, inits)
        out = profile_ort_case(a, work, name, nodes, inits,
                               rng.standard_normal(shape).astype(np.float32), outputs)
        kernels = re.findall(r"^\s+\d+\s.*\s(dnncc_\S+)\s+(\S+)\s+\[", out, re.M)
        rowmajor = [k for k, ops in kernels if ops.startswith("conv") and "_nhwc_" not in k]
        if not kernels or rowmajor:
            raise Failure(f"{name}: conv kernels without an NHWC output {rowmajor}:\n{out}")
        print(f"{name}: {len(kernels)} kernels, every conv kernel NHWC")


def concats(a):
    """Concats whose operands are convs and matrix products (concat-in-place: each operand's
    kernel writes its part of the concat's result, through the result's strides): a SqueezeNet
    fire module with odd channel counts (NHWC, channel slots at offsets that are no multiple of a
    vector), three operands at batch 2, the height axis, row-major rows of matrix products; a
    model input as an operand, which gets a copy kernel of its own (identity) into its slot; a
    ShuffleNetV2 unit (channel split, branch, concat, reshape -> transpose -> reshape), whose
    branch writes the shuffled tensor directly (no concat or transpose kernel); and one whose
    operand is also a model output (row-major, the other conv NHWC), copied into its slot.
    Each model matches onnxruntime on --target; its profile shows which kernels remain for the
    concat node."""
    import numpy as np
    from onnx import helper, numpy_helper
    work = fresh(a.work)
    rng = np.random.default_rng(11)

    def conv(nodes, inits, x, ic, oc, k, out, relu=True):
        add_conv(rng, nodes, inits, x, ic, oc, k, out, "relu" if relu else None)

    def matmul(nodes, inits, x, k, n, out):
        inits.append(numpy_helper.from_array(
            (rng.standard_normal((k, n)) * 0.3).astype(np.float32), f"w_{out}"))
        nodes.append(helper.make_node("MatMul", [x, f"w_{out}"], [out], name=f"matmul_{out}"))

    # (name, input shape, build(nodes, inits) -> outputs, concat kernels expected)
    def fire(nodes, inits):
        conv(nodes, inits, "x", 8, 3, 1, "s")
        conv(nodes, inits, "s", 3, 5, 1, "e1")
        conv(nodes, inits, "s", 3, 7, 3, "e3")
        nodes.append(helper.make_node("Concat", ["e1", "e3"], ["cat"], axis=1, name="concat"))
        conv(nodes, inits, "cat", 12, 4, 3, "y", relu=False)
        return ("y",)

    def three_way(nodes, inits):
        for i, oc in enumerate((3, 6, 5)):
            conv(nodes, inits, "x", 4, oc, 1 + 2 * (i % 2), f"b{i}")
        nodes.append(helper.make_node("Concat", ["b0", "b1", "b2"], ["cat"], axis=1,
                                      name="concat"))
        conv(nodes, inits, "cat", 14, 6, 1, "y", relu=False)
        return ("y",)

    def height(nodes, inits):
        conv(nodes, inits, "x", 4, 6, 3, "top")
        conv(nodes, inits, "x", 4, 6, 1, "bottom")
        nodes.append(helper.make_node("Concat", ["top", "bottom"], ["cat"], axis=2,
                                      name="concat"))
        conv(nodes, inits, "cat", 6, 5, 3, "y", relu=False)
        return ("y",)

    def rows(nodes, inits):
        for i in range(3):
            matmul(nodes, inits, "x", 16, 8, f"r{i}")
        nodes.append(helper.make_node("Concat", ["r0", "r1", "r2"], ["cat"], axis=0,
                                      name="concat"))
        matmul(nodes, inits, "cat", 8, 4, "y")
        return ("y",)

    def input_copied(nodes, inits):
        matmul(nodes, inits, "x", 16, 16, "m")
        nodes.append(helper.make_node("Concat", ["m", "x"], ["cat"], axis=0, name="concat"))
        matmul(nodes, inits, "cat", 16, 4, "y")
        return ("y",)

    def channel_shuffle(nodes, inits):
        # ShuffleNetV2's unit: a channel split (a view), a branch, concat, channel shuffle.
        inits += [numpy_helper.from_array(np.array(v, np.int64), n)
                  for n, v in (("s0", [0]), ("s4", [4]), ("s8", [8]), ("ax", [1]),
                               ("grouped", [1, 2, 4, 6, 5]), ("flat", [1, 8, 6, 5]))]
        nodes += [helper.make_node("Slice", ["x", "s0", "s4", "ax"], ["x1"], name="split0"),
                  helper.make_node("Slice", ["x", "s4", "s8", "ax"], ["x2"], name="split1")]
        conv(nodes, inits, "x2", 4, 4, 3, "branch")
        nodes += [helper.make_node("Concat", ["x1", "branch"], ["cat"], axis=1, name="concat"),
                  helper.make_node("Reshape", ["cat", "grouped"], ["g"], name="group"),
                  helper.make_node("Transpose", ["g"], ["t"], perm=[0, 2, 1, 3, 4],
                                   name="shuffle"),
                  helper.make_node("Reshape", ["t", "flat"], ["shuffled"], name="ungroup")]
        conv(nodes, inits, "shuffled", 8, 3, 1, "y", relu=False)
        return ("y",)

    def operand_is_output(nodes, inits):
        conv(nodes, inits, "x", 4, 3, 1, "a")
        conv(nodes, inits, "x", 4, 5, 3, "b")
        nodes.append(helper.make_node("Concat", ["a", "b"], ["cat"], axis=1, name="concat"))
        conv(nodes, inits, "cat", 8, 4, 1, "y", relu=False)
        return ("y", "a")

    # (name, input shape, build(nodes, inits) -> outputs, the kernels named after the concat)
    cases = [("fire_nhwc", (1, 8, 9, 11), fire, []),
             ("three_way_batch2", (2, 4, 7, 6), three_way, []),
             ("height_axis", (1, 4, 5, 9), height, []),
             ("matmul_rows", (5, 16), rows, []),
             ("input_copied", (5, 16), input_copied, ["identity"]),
             ("channel_shuffle", (1, 8, 6, 5), channel_shuffle, ["identity"]),
             ("operand_is_output", (1, 4, 6, 6), operand_is_output, ["identity"])]
    for name, shape, build, expected in cases:
        nodes, inits = [], []
        outputs = build(nodes, inits)
        out = profile_ort_case(a, work, name, nodes, inits,
                               rng.standard_normal(shape).astype(np.float32), outputs)
        found = re.findall(r"^\s+\d+\s.*\s(\S+)\s+\[(?:concat|shuffle)\]$", out, re.M)
        if found != expected:
            raise Failure(f"{name}: kernel calls for the concat and shuffle nodes {found}, "
                          f"expected {expected}:\n{out}")


def check_outputs(model, data, outdir, top1):
    """Prints each output's largest absolute error, next to its largest reference magnitude; with
    `top1`, the first output's argmax over its last axis (the class of each batch row) must equal
    the reference output_0.pb's."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    names = [o.name for o in onnx.load(model, load_external_data=False).graph.output]
    for i, name in enumerate(names):
        ref = numpy_helper.to_array(onnx.load_tensor(os.path.join(data, f"output_{i}.pb")))
        path = os.path.join(outdir, f"{name}.npy")
        if not os.path.exists(path):
            raise Failure(f"dnncc-run wrote no {path}")
        got = np.load(path)
        if got.shape != ref.shape:
            raise Failure(f"output '{name}' has shape {got.shape}, the reference {ref.shape}")
        if not np.issubdtype(ref.dtype, np.floating):
            continue
        err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
        print(f"output '{name}': max abs error {err.max():.3g}, max |reference| "
              f"{np.abs(ref).max():.3g}, rms error {np.sqrt((err ** 2).mean()):.3g}")
        if top1 and i == 0:
            want = np.argmax(ref.reshape(-1, ref.shape[-1]), axis=-1)
            have = np.argmax(got.reshape(-1, got.shape[-1]), axis=-1)
            if not np.array_equal(want, have):
                raise Failure(f"top-1 class {have.tolist()} differs from the reference's "
                              f"{want.tolist()}")
            print(f"top-1 class {want.tolist()} equals the reference")


def embedded_ptx(lib):
    """The PTX modules a CUDA model library embeds (NUL-terminated texts)."""
    data = open(lib, "rb").read()
    out, start = [], data.find(b"//\n// Generated by LLVM NVPTX")
    while start >= 0:
        end = data.find(b"\0", start)
        out.append(data[start:end].decode())
        start = data.find(b"//\n// Generated by LLVM NVPTX", end)
    return out


def embedded_opencl(lib):
    """The OpenCL C sources a model library embeds (NUL-terminated texts)."""
    data = open(lib, "rb").read()
    out, start = [], data.find(b"/*OpenCL C")
    while start >= 0:
        end = data.find(b"\0", start)
        out.append(data[start:end].decode(errors="replace"))
        start = data.find(b"/*OpenCL C", end)
    return out


# The integer f16 <-> f32 conversions of src/codegen/halide/LowPrecision.cpp leave two constants
# in the device code: (127 - 15) << 23, the exponent rebias of widenToF32, and the bits of 65520.0f,
# the overflow bound of toHalfBits. Kernels that compute in half use the device's conversions.
HALF_BIT_CONVERSIONS = ("939524096", "1199566848")
# OpenCL C: a `half` result of half arithmetic (Halide prints one operation per line).
OPENCL_HALF_ARITH = re.compile(r"\bhalf _\d+ = (?:_\d+ [-+*] _\d+;|(?:max|min|fma)\(_\d+, )")
# PTX: f16 arithmetic instructions (sm_53 and newer).
PTX_HALF_ARITH = re.compile(r"\b(?:add|sub|mul|fma|max|min)(?:\.rn)?(?:\.ftz)?\.f16(?:x2)?\s")


def check_half_compute(a, sources, arith, what):
    """--precision=fp16 on a device with binary16 arithmetic: some kernel computes in half, the
    conversions are the device's own (cvt / OpenCL C casts), none is the integer bit conversion."""
    text = "\n".join(sources)
    found = arith.findall(text)
    if not found:
        raise Failure(f"{a.lib}: no half arithmetic in the {what}")
    bits = [c for c in HALF_BIT_CONVERSIONS if re.search(rf"\b{c}\b", text)]
    if bits:
        raise Failure(f"{a.lib}: the {what} converts f16 with integer bit operations "
                      f"(constants {', '.join(bits)})")
    print(f"{len(found)} half-precision operations in the {what}, no integer f16 conversion")


def compile_opencl_c(a, sources, fp16):
    """Compiles each OpenCL C source with clang (OpenCL C 1.2 for SPIR, cl_khr_fp16 where the
    device has it) when clang-14 is installed: the code a device driver would have to build."""
    clang = shutil.which("clang-14")
    if not clang:
        print("no clang-14 on this machine: the OpenCL C was not compiled")
        return
    work = fresh(a.lib + ".cl")
    for i, src in enumerate(sources):
        path = os.path.join(work, f"module{i}.cl")
        open(path, "w").write(src)
        ext = ["-Xclang", "-cl-ext=+cl_khr_fp16,+cl_khr_fp64"] if fp16 else []
        run([clang, "-x", "cl", "-cl-std=CL1.2", "-target", "spir64", "-Xclang",
             "-finclude-default-header", *ext, "-fsyntax-only", path])
    print(f"clang-14 compiled all {len(sources)} OpenCL C modules")


def compile_opencl_for_device(a, sources):
    """Compiles each OpenCL C source to the machine code of a GPU (`--cl-device TRIPLE:CPU`,
    e.g. amdgcn-amd-amdhsa:gfx900) with clang-14, as the device's OpenCL driver (ROCm's is
    clang-based) would: OpenCL C 2.0, the device's own extensions (half, double). -nogpulib: the
    ROCm device library (math functions) is not installed here; calls into it stay undefined in
    the object, as they are before ROCm links it."""
    clang = shutil.which("clang-14")
    if not clang:
        print("no clang-14 on this machine: the OpenCL C was not compiled for the device")
        return
    triple, cpu = a.cl_device.split(":")
    work = fresh(a.lib + f".{cpu}")
    for i, src in enumerate(sources):
        path = os.path.join(work, f"module{i}.cl")
        open(path, "w").write(src)
        run([clang, "-x", "cl", "-cl-std=CL2.0", "-target", triple, f"-mcpu={cpu}", "-nogpulib",
             "-Xclang", "-finclude-default-header", "-O2", "-c", "-o", path + ".o", path])
    print(f"clang-14 compiled all {len(sources)} OpenCL C modules for {triple} {cpu}")


def gpu_code(a):
    compile_only(a)
    data = open(a.lib, "rb").read()
    if a.api == "opencl":
        kernels = data.count(b"__kernel void")
        if kernels == 0:
            raise Failure(f"{a.lib} embeds no OpenCL C kernel")
        print(f"{kernels} OpenCL kernels embedded")
        if a.precision == "fp16":
            # A device with cl_khr_fp16 (gpu.fp16) holds f16 tensors as `half` and computes in it.
            if b"#pragma OPENCL EXTENSION cl_khr_fp16 : enable" not in data or b"half" not in data:
                raise Failure(f"{a.lib}: the fp16 OpenCL C does not use cl_khr_fp16's half")
            print("the OpenCL C holds f16 tensors as half (cl_khr_fp16)")
            sources = embedded_opencl(a.lib)
            check_half_compute(a, sources, OPENCL_HALF_ARITH, "OpenCL C")
            compile_opencl_c(a, sources, True)
        if a.cl_device:
            compile_opencl_for_device(a, embedded_opencl(a.lib))
        staged = data.count(b"barrier(")
    else:
        modules = embedded_ptx(a.lib)
        if not modules:
            raise Failure(f"{a.lib} embeds no PTX")
        for ptx in modules:
            if f".target sm_{a.sm}" not in ptx:
                raise Failure(f"a PTX module of {a.lib} is not for sm_{a.sm}")
        print(f"{len(modules)} PTX modules for sm_{a.sm}")
        if a.precision == "fp16":
            check_half_compute(a, modules, PTX_HALF_ARITH, "PTX")
            if not any("cvt.rn.f16.f32" in ptx for ptx in modules):
                raise Failure(f"{a.lib}: no native f32 -> f16 conversion (cvt.rn.f16.f32) in the PTX")
        staged = sum(1 for ptx in modules if "bar.sync" in ptx and ".shared" in ptx)
        ptxas = shutil.which("ptxas") or (
            "/usr/local/cuda/bin/ptxas" if os.access("/usr/local/cuda/bin/ptxas", os.X_OK) else None)
        if ptxas:
            # CUDA 13 assembles sm_75 and newer; PTX for an older .target assembles for a newer one.
            arch = f"sm_{max(int(a.sm), 75)}"
            work = fresh(a.lib + ".ptx")
            for i, ptx in enumerate(modules):
                path = os.path.join(work, f"module{i}.ptx")
                open(path, "w").write(ptx)
                run([ptxas, f"-arch={arch}", path, "-o", path + ".cubin"])
            print(f"ptxas assembled all {len(modules)} modules for {arch}")
        else:
            print("no ptxas (CUDA toolkit) on this machine: the PTX was not assembled")
    if a.staged:
        if staged == 0:
            raise Failure(f"{a.lib}: no kernel stages data in local memory (tiled GPU schedules "
                          "of conv / matmul not used)")
        print(f"{staged} kernels (or barriers) stage tiles in local memory")
    undefined = run(["nm", "-D", "--undefined-only", a.lib])
    ours = [ln.split()[-1] for ln in undefined.splitlines()
            if re.search(r"\b(halide_|dnncc_)", ln)]
    if ours:
        raise Failure(f"{a.lib} leaves runtime symbols undefined: {', '.join(ours[:5])}")


def cl_count_shim(a, work):
    """Builds tests/models/cl_count_shim.c (an LD_PRELOAD shim of the OpenCL library that counts
    transfers, allocations, sub-buffers and markers) in `work`; returns its path."""
    shim = os.path.join(work, "libcl_count_shim.so")
    run([a.cc, "-shared", "-fPIC", "-O1", "-o", shim,
         os.path.join(os.path.dirname(os.path.abspath(__file__)), "cl_count_shim.c"), "-ldl"])
    return shim


def copies(a):
    """Counts the OpenCL transfers of whole runs with an LD_PRELOAD shim of the OpenCL library:
    the difference between 1 + 2 + 1 and 1 + 2 + 4 runs (dnncc-run --bench N runs 1 + 2 + N
    times) is exactly 3 writes per input and 3 reads per output, whatever create uploaded."""
    work = fresh(a.work)
    shim = cl_count_shim(a, work)
    model_dir = tinynet(a)
    model = os.path.join(model_dir, "model.onnx")
    lib = os.path.join(work, "libtinynet.so")
    compile_model(a, model, lib)
    counts = []
    for bench in (1, 4):
        log = os.path.join(work, f"count{bench}.txt")
        env = dict(os.environ, LD_PRELOAD=shim, DNNCC_CL_COUNT_FILE=log)
        out = run([a.dnncc_run, lib, "--data", os.path.join(model_dir, "test_data_set_0"),
                   "--bench", str(bench)], env=env)
        a.device = "OpenCL"
        check_device(a, model, out)
        writes, reads, buffers, subs, _ = (int(x) for x in open(log).read().split())
        print(f"--bench {bench}: {writes} clEnqueueWriteBuffer, {reads} clEnqueueReadBuffer, "
              f"{buffers} clCreateBuffer, {subs} clCreateSubBuffer")
        counts.append((writes, reads, buffers, subs))
    n_in, n_out = model_io_counts(model)
    d = (counts[1][0] - counts[0][0], counts[1][1] - counts[0][1])
    if d != (3 * n_in, 3 * n_out):
        raise Failure(f"3 more runs made {d[0]} more writes and {d[1]} more reads; expected "
                      f"{3 * n_in} and {3 * n_out} ({n_in} inputs, {n_out} outputs)")
    # Device memory: create allocates the arena, the weights and each input and output once; every
    # intermediate tensor and weight is a sub-buffer of the first two. Runs allocate only the
    # kernels' scratch stages (Halide 14's OpenCL runtime has no allocation cache), the same number
    # each run: what --bench 1 (4 runs) allocated beyond create.
    per_run = (counts[1][2] - counts[0][2]) / 3
    at_create = counts[0][2] - 4 * per_run
    if at_create != 2 + n_in + n_out or counts[1][3] != counts[0][3] or counts[0][3] == 0:
        raise Failure(f"create made {at_create} device allocations and {counts[0][3]} "
                      f"sub-buffers ({counts[1][3]} with more runs); expected {2 + n_in + n_out} "
                      "(arena, weights, inputs, outputs) and the same sub-buffers, at least one")
    print(f"create: {at_create:.0f} device allocations, {counts[0][3]} sub-buffers; "
          f"runs: {per_run:.0f} allocations each (kernels' scratch stages)")


def nonfinite(a):
    """Pad(x, value=c) + b for c in -inf, +inf, NaN, each pad fused with the add into one kernel:
    the padded positions must be c + b, as IEEE arithmetic gives."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    work = fresh(a.work)
    values = {"yneg": -np.inf, "ypos": np.inf, "ynan": np.nan}
    x = np.arange(32, dtype=np.float32).reshape(2, 4, 4)
    b = np.linspace(-2.0, 2.0, 2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6)
    nodes = [helper.make_node("Constant", [], ["pads"],
                              value=numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 2], np.int64)))]
    outputs = []
    expected = []
    for name, c in values.items():
        nodes.append(helper.make_node("Constant", [], [name + "_c"],
                                      value=numpy_helper.from_array(np.array(c, np.float32))))
        nodes.append(helper.make_node("Pad", ["x", "pads", name + "_c"], [name + "_p"]))
        nodes.append(helper.make_node("Add", [name + "_p", "b"], [name]))
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [2, 4, 6]))
        padded = np.pad(x, [(0, 0), (0, 0), (0, 2)], constant_values=np.float32(c))
        expected.append(numpy_helper.from_array(padded + b, name))
    graph = helper.make_graph(
        nodes, "nonfinite",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 4]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 4, 6])], outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    data = fresh(os.path.join(work, "test_data_set_0"))
    onnx.save(model, os.path.join(work, "model.onnx"))
    for i, t in enumerate([numpy_helper.from_array(x, "x"), numpy_helper.from_array(b, "b")]):
        open(os.path.join(data, f"input_{i}.pb"), "wb").write(t.SerializeToString())
    for i, t in enumerate(expected):
        open(os.path.join(data, f"output_{i}.pb"), "wb").write(t.SerializeToString())
    lib = os.path.join(work, "libnonfinite.so")
    compile_model(a, os.path.join(work, "model.onnx"), lib)
    run([a.dnncc_run, lib, "--data", data])


def exact(a):
    """One model per op of ops whose results are exactly defined; each runs on --target with
    --atol 0 --rtol 0 against numpy (NaN matches NaN). On GPU targets this catches device code
    that computes something else than the CPU (C library calls the device lacks, 64-bit masks)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    work = fresh(a.work)
    rng = np.random.default_rng(2024)
    n = 2048
    elem = {np.float16: TensorProto.FLOAT16, np.float32: TensorProto.FLOAT,
            np.float64: TensorProto.DOUBLE, np.uint8: TensorProto.FLOAT8E4M3FN}

    def wide(dt, count):
        """Finite non-zero values of dt with exponents over (almost) its whole range."""
        fi = np.finfo(dt)
        e = rng.integers(int(np.log2(fi.tiny)) - fi.nmant, int(np.log2(fi.max)), count)
        v = rng.uniform(1, 2, count) * np.exp2(e.astype(np.float64)) * rng.choice([-1, 1], count)
        v = v.astype(dt)
        return np.where(np.isfinite(v) & (v != 0), v, dt(1.5))

    def case(name, node, inputs, expected, opset):
        d = fresh(os.path.join(work, name))
        data = fresh(os.path.join(d, "test_data_set_0"))
        vis = [helper.make_tensor_value_info(k, elem[v.dtype.type], list(v.shape))
               for k, v in inputs.items()]
        out = helper.make_tensor_value_info("z", elem[expected.dtype.type], list(expected.shape))
        model = helper.make_model(helper.make_graph([node], name, vis, [out]),
                                  opset_imports=[helper.make_opsetid("", opset)])
        onnx.save(model, os.path.join(d, "model.onnx"))
        for i, (k, v) in enumerate(inputs.items()):
            t = numpy_helper.from_array(v, k)
            if v.dtype == np.uint8:  # the bytes of float8e4m3fn values
                t = helper.make_tensor(k, TensorProto.FLOAT8E4M3FN, v.shape, v.tobytes(), raw=True)
            open(os.path.join(data, f"input_{i}.pb"), "wb").write(t.SerializeToString())
        t = numpy_helper.from_array(expected, "z")
        open(os.path.join(data, "output_0.pb"), "wb").write(t.SerializeToString())
        lib = os.path.join(work, f"lib{name}.so")
        compile_model(a, os.path.join(d, "model.onnx"), lib)
        run([a.dnncc_run, lib, "--data", data, "--atol", "0", "--rtol", "0"])

    for dt in (np.float16, np.float32, np.float64):
        x, y = wide(dt, n), wide(dt, n)
        # C fmod and Python's floored % (numpy computes f16 through f32: exact as well).
        case(f"fmod_{np.dtype(dt).name}", helper.make_node("Mod", ["x", "y"], ["z"], fmod=1),
             {"x": x, "y": y}, np.fmod(x, y), 13)
        case(f"mod_{np.dtype(dt).name}", helper.make_node("Mod", ["x", "y"], ["z"], fmod=0),
             {"x": x, "y": y}, np.mod(x, y), 13)

    # f64 -> f16: random values over f16's range and beyond, exact ties between f16 neighbours,
    # the overflow threshold, signed zeros, NaN and infinities.
    h = np.arange(0, 0x7c00, 7, dtype=np.uint16).view(np.float16).astype(np.float64)
    ties = (h[:-1] + h[1:]) / 2
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 65504.0, 65519.99, 65520.0, 2.0**-25,
                        2.0**-25 * 1.0000001, 2.0**-24, 1e300, -1e-300], np.float64)
    v = rng.uniform(-1, 1, n) * np.exp2(rng.integers(-30, 18, n).astype(np.float64))
    v = np.concatenate([v, ties, -ties, special])
    case("cast_f64_f16", helper.make_node("Cast", ["x"], ["z"], to=TensorProto.FLOAT16),
         {"x": v}, v.astype(np.float16), 13)

    # Every float8e4m3fn byte (bias 7, no infinities, S.1111.111 is NaN) times an f16 scale.
    b = np.arange(256, dtype=np.uint8)
    e, m = (b >> 3) & 15, (b & 7).astype(np.float64)
    val = np.where(e == 0, m / 8 * 2.0**-6, (1 + m / 8) * np.exp2(e.astype(np.float64) - 7))
    val = np.where((b & 0x7f) == 0x7f, np.nan, np.where(b >> 7 == 1, -val, val))
    scale = np.float16(0.0123)
    case("dequantize_e4m3fn_f16", helper.make_node("DequantizeLinear", ["x", "s"], ["z"]),
         {"x": b, "s": np.array(scale)}, (val * np.float64(scale)).astype(np.float16), 21)


def contrib(a):
    """onnxruntime's contrib operators (com.microsoft, and SimplifiedLayerNormalization of the
    default domain): each in a small model on random data, compiled for --target and compared
    with onnxruntime's CPU kernels (rtol 1e-4, atol 1e-5). BiasAdd has no CPU kernel in
    onnxruntime: its reference is numpy's X + bias + skip."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    work = fresh(a.work)
    rng = np.random.default_rng(11)

    def case(name, node, inputs, outputs, numpy_reference=None):
        d = fresh(os.path.join(work, name))
        data = fresh(os.path.join(d, "test_data_set_0"))
        vis = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype),
                                             list(v.shape))
               for k, v in inputs.items()]
        outs = [helper.make_empty_tensor_value_info(o) for o in outputs]
        model = helper.make_model(helper.make_graph([node], name, vis, outs),
                                  opset_imports=[helper.make_opsetid("", 17),
                                                 helper.make_opsetid("com.microsoft", 1)])
        model.ir_version = 8
        path = os.path.join(d, "model.onnx")
        onnx.save(model, path)
        if numpy_reference is None:
            s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            expected = s.run(outputs, inputs)
        else:
            expected = numpy_reference
        for i, (k, v) in enumerate(inputs.items()):
            open(os.path.join(data, f"input_{i}.pb"), "wb").write(
                numpy_helper.from_array(v, k).SerializeToString())
        for i, (o, v) in enumerate(zip(outputs, expected)):
            open(os.path.join(data, f"output_{i}.pb"), "wb").write(
                numpy_helper.from_array(np.asarray(v), o).SerializeToString())
        lib = os.path.join(work, f"lib{name}.so")
        compile_model(a, path, lib)
        run([a.dnncc_run, lib, "--data", data, "--rtol", "1e-4", "--atol", "1e-5"])

    f = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    ms = "com.microsoft"
    x, b8 = f(2, 3, 8), f(8)
    case("gelu", helper.make_node("Gelu", ["x"], ["y"], domain=ms), {"x": x}, ["y"])
    case("bias_gelu", helper.make_node("BiasGelu", ["x", "b"], ["y"], domain=ms),
         {"x": x, "b": b8}, ["y"])
    case("fast_gelu", helper.make_node("FastGelu", ["x", "b"], ["y"], domain=ms),
         {"x": x, "b": b8}, ["y"])
    case("quick_gelu", helper.make_node("QuickGelu", ["x"], ["y"], domain=ms, alpha=1.5),
         {"x": x}, ["y"])
    skip = f(2, 3, 8)
    case("bias_add", helper.make_node("BiasAdd", ["x", "b", "s"], ["y"], domain=ms),
         {"x": x, "b": b8, "s": skip}, ["y"], numpy_reference=[x + b8 + skip])
    gamma, beta = f(8), f(8)
    case("skip_layer_norm",
         helper.make_node("SkipLayerNormalization", ["x", "s", "g", "be", "b"],
                          ["y", "", "", "sum"], domain=ms, epsilon=1e-5),
         {"x": x, "s": skip, "g": gamma, "be": beta, "b": b8}, ["y", "sum"])
    case("skip_layer_norm_default_epsilon",
         helper.make_node("SkipLayerNormalization", ["x", "s", "g"], ["y"], domain=ms),
         {"x": x, "s": skip, "g": gamma}, ["y"])
    # RotaryEmbedding: [B, S, N * H] with position_ids [B, S]; the first position only (offset)
    # with interleaved pairs and num_heads inferred from the caches; [B, N, S, H] rotating half of
    # each head (rotary_embedding_dim).
    positions = rng.integers(0, 12, (2, 5)).astype(np.int64)
    case("rotary_embedding",
         helper.make_node("RotaryEmbedding", ["x", "p", "c", "s"], ["y"], domain=ms, num_heads=2),
         {"x": f(2, 5, 16), "p": positions, "c": f(12, 4), "s": f(12, 4)}, ["y"])
    case("rotary_embedding_offset_interleaved",
         helper.make_node("RotaryEmbedding", ["x", "p", "c", "s"], ["y"], domain=ms,
                          interleaved=1),
         {"x": f(2, 5, 16), "p": np.array([3], np.int64), "c": f(12, 4), "s": f(12, 4)}, ["y"])
    case("rotary_embedding_partial",
         helper.make_node("RotaryEmbedding", ["x", "p", "c", "s"], ["y"], domain=ms, num_heads=2,
                          rotary_embedding_dim=4),
         {"x": f(2, 2, 5, 8), "p": positions, "c": f(12, 2), "s": f(12, 2)}, ["y"])
    case("skip_simplified_layer_norm",
         helper.make_node("SkipSimplifiedLayerNormalization", ["x", "s", "g", "b"],
                          ["y", "", "", "sum"], domain=ms, epsilon=1e-5),
         {"x": x, "s": skip, "g": gamma, "b": b8}, ["y", "sum"])
    case("simplified_layer_norm",
         helper.make_node("SimplifiedLayerNormalization", ["x", "g"], ["y", "inv"], axis=-1,
                          epsilon=1e-5),
         {"x": x, "g": gamma}, ["y", "inv"])
    case("fused_matmul",
         helper.make_node("FusedMatMul", ["p", "q"], ["y"], domain=ms, transA=1, transB=1,
                          alpha=0.5),
         {"p": f(2, 4, 3), "q": f(5, 4)}, ["y"])
    img, wc, bc = f(1, 3, 7, 7), f(4, 3, 3, 3), f(4)
    for act, params in (("Relu", []), ("LeakyRelu", [0.2]), ("Clip", [-0.5, 0.5]),
                        ("HardSigmoid", [0.3, 0.4]), ("Sigmoid", []), ("Tanh", [])):
        extra = {"activation_params": params} if params else {}
        case(f"fused_conv_{act.lower()}",
             helper.make_node("FusedConv", ["x", "w", "b", "z"], ["y"], domain=ms,
                              activation=act, pads=[1, 1, 1, 1], **extra),
             {"x": img, "w": wc, "b": bc, "z": f(1, 4, 7, 7)}, ["y"])
    case("fused_conv_strided",
         helper.make_node("FusedConv", ["x", "w"], ["y"], domain=ms, activation="Relu",
                          strides=[2, 2]),
         {"x": img, "w": wc}, ["y"])
    # Attention (fused QKV projection) with each mask form, past / present, attention_bias and
    # unidirectional; MultiHeadAttention; EmbedLayerNormalization (mask_index counts ones).
    B, S, D, heads = 2, 4, 8, 2
    xa, wqkv, bqkv = f(B, S, D), f(D, 3 * D), f(3 * D)
    i32 = lambda v: np.array(v, np.int32)
    masks = {"none": None, "lengths": i32([3, 4]), "end_start": i32([4, 3, 1, 0]),
             "raw": i32([[1, 1, 0, 1], [1, 1, 1, 0]]),
             "raw3d": rng.integers(0, 2, (B, S, S)).astype(np.int32)}
    for mname, m in masks.items():
        ins = {"x": xa, "w": wqkv, "b": bqkv}
        names = ["x", "w", "b"]
        if m is not None:
            ins["m"] = m
            names.append("m")
        case(f"attention_mask_{mname}",
             helper.make_node("Attention", names, ["y"], domain=ms, num_heads=heads), ins, ["y"])
    case("attention_unidirectional_past_present",
         helper.make_node("Attention", ["x", "w", "b", "m", "past"], ["y", "present"],
                          domain=ms, num_heads=heads, unidirectional=1, scale=0.3),
         {"x": xa, "w": wqkv, "b": bqkv, "m": i32([[1] * 7, [1] * 6 + [0]]),
          "past": f(2, B, heads, 3, D // heads)}, ["y", "present"])
    case("attention_bias_unidirectional",
         helper.make_node("Attention", ["x", "w", "b", "", "", "ab"], ["y"], domain=ms,
                          num_heads=heads, unidirectional=1, mask_filter_value=-1000.0),
         {"x": xa, "w": wqkv, "b": bqkv, "ab": f(1, heads, S, S)}, ["y"])
    # (onnxruntime 1.31's CPU Attention crashes without a bias: each case gives one.)
    case("attention_qkv_hidden_sizes",
         helper.make_node("Attention", ["x", "w", "b"], ["y"], domain=ms, num_heads=heads,
                          qkv_hidden_sizes=[8, 8, 4]),
         {"x": xa, "w": f(D, 20), "b": f(20)}, ["y"])
    L = 5
    case("multi_head_attention",
         helper.make_node("MultiHeadAttention", ["q", "k", "v", "b", "m"], ["y"], domain=ms,
                          num_heads=heads),
         {"q": xa, "k": f(B, L, D), "v": f(B, L, D), "b": bqkv,
          "m": i32([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])}, ["y"])
    case("multi_head_attention_past_causal",
         helper.make_node("MultiHeadAttention", ["q", "k", "v", "", "", "ab", "pk", "pv"],
                          ["y", "present_k", "present_v"], domain=ms, num_heads=heads,
                          unidirectional=1),
         {"q": xa, "k": f(B, S, D), "v": f(B, S, D), "ab": f(B, heads, S, S + 2),
          "pk": f(B, heads, 2, D // heads), "pv": f(B, heads, 2, D // heads)},
         ["y", "present_k", "present_v"])
    V, P, H = 30, 16, 8
    ids = rng.integers(0, V, (B, S)).astype(np.int32)
    emb = {"ids": ids, "seg": rng.integers(0, 2, (B, S)).astype(np.int32), "we": f(V, H),
           "pe": f(P, H), "se": f(2, H), "g": f(H), "be": f(H), "m": i32([[1, 1, 1, 0], [1, 0, 1, 1]])}
    case("embed_layer_norm",
         helper.make_node("EmbedLayerNormalization", ["ids", "seg", "we", "pe", "se", "g", "be", "m"],
                          ["y", "mask_index", "sum"], domain=ms, epsilon=1e-5),
         emb, ["y", "mask_index", "sum"])
    case("embed_layer_norm_positions_no_segment",
         helper.make_node("EmbedLayerNormalization",
                          ["ids", "", "we", "pe", "", "g", "be", "", "pos"], ["y", "mask_index"],
                          domain=ms),
         {"ids": ids, "we": emb["we"], "pe": emb["pe"], "g": emb["g"], "be": emb["be"],
          "pos": rng.integers(0, P, (B, S)).astype(np.int32)}, ["y", "mask_index"])


def dynamic(a):
    """TopK whose k is a graph input and whose outputs declare no shape: data-dependent outputs
    (docs/usage.md). Each k runs on --target and must give [3, k] outputs equal to numpy's
    stable top-k; k beyond the axis gives the whole axis."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    work = fresh(a.work)
    x = np.random.default_rng(7).permutation(30).astype(np.float32).reshape(3, 10)
    node = helper.make_node("TopK", ["x", "k"], ["values", "indices"], axis=1)
    graph = helper.make_graph(
        [node], "dynamic_top_k",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 10]),
         helper.make_tensor_value_info("k", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("values", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("indices", TensorProto.INT64, None)])
    model = os.path.join(work, "model.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), model)
    lib = os.path.join(work, "libtopk.so")
    compile_model(a, model, lib)
    for k in (1, 4, 10, 12):
        data = fresh(os.path.join(work, f"k{k}"))
        order = np.argsort(-x, axis=1, kind="stable")[:, :min(k, 10)]
        tensors = [numpy_helper.from_array(x, "x"), numpy_helper.from_array(np.array([k]), "k"),
                   numpy_helper.from_array(np.take_along_axis(x, order, 1), "values"),
                   numpy_helper.from_array(order.astype(np.int64), "indices")]
        for i, name in enumerate(["input_0", "input_1", "output_0", "output_1"]):
            open(os.path.join(data, f"{name}.pb"), "wb").write(tensors[i].SerializeToString())
        out = run([a.dnncc_run, lib, "--data", data, "--atol", "0", "--rtol", "0"])
        if out.count(" ok") != 2:
            raise Failure(f"k={k}: expected two matching outputs:\n{out}")


def tinynet(a):
    return os.path.join(a.repo, "models", "tinynet")


def classify(a):
    import numpy as np
    import onnx
    from onnx import numpy_helper

    work = fresh(a.work)
    lib = os.path.join(work, "libtinynet.so")
    compile_model(a, os.path.join(tinynet(a), "model.onnx"), lib)
    if not os.path.isfile(os.path.join(work, "libtinynet.h")):
        raise Failure("dnncc wrote no libtinynet.h next to the library")
    exe = os.path.join(work, "classify")
    run([a.cc, "-std=c11", os.path.join(a.repo, "examples", "classify", "classify.c"),
         f"-I{work}", f"-L{work}", "-ltinynet", f"-Wl,-rpath,{work}", "-o", exe])
    raw = os.path.join(work, "input.f32")
    x = np.load(os.path.join(tinynet(a), "input.npy"))
    ref_in = numpy_helper.to_array(
        onnx.load_tensor(os.path.join(tinynet(a), "test_data_set_0", "input_0.pb")))
    if not np.array_equal(x, ref_in):
        raise Failure("models/tinynet/input.npy differs from test_data_set_0/input_0.pb")
    x.astype("<f4").tofile(raw)
    out = run([exe, raw])
    m = re.search(r"top-1: class (\d+)", out)
    if not m:
        raise Failure("classify printed no 'top-1: class N' line")
    ref = numpy_helper.to_array(
        onnx.load_tensor(os.path.join(tinynet(a), "test_data_set_0", "output_0.pb")))
    want = int(np.argmax(ref.reshape(-1)))
    if int(m.group(1)) != want:
        raise Failure(f"classify says class {m.group(1)}, the reference output's argmax is {want}")
    print(f"top-1 class {want} matches the reference")


def two_models(a):
    work = fresh(a.work)
    model = os.path.join(tinynet(a), "model.onnx")
    for name in ("net_a", "net_b"):
        compile_model(a, model, os.path.join(work, f"lib{name}.so"), "--name", name)
    exe = os.path.join(work, "two_models")
    # --cflags: the build's sanitizer flags (asan/tsan presets), whose runtime the libraries need.
    run([a.cc, "-std=c11", "-Wall", "-Werror", *a.cflags.split(),
         os.path.join(a.repo, "tests", "models", "two_models.c"),
         f"-I{work}", f"-L{work}", "-lnet_a", "-lnet_b", f"-Wl,-rpath,{work}", "-o", exe])
    run([exe])
    # The same program linked statically from two --emit=obj objects: only <prefix>_* is global
    # in each, so the two copies of the runtimes do not clash.
    objs = []
    for name in ("net_a", "net_b"):
        objs.append(os.path.join(work, f"{name}.o"))
        compile_model(a, model, objs[-1], "--name", name, "--emit=obj")
    exe = os.path.join(work, "two_models_static")
    run([a.cc, "-std=c11", "-Wall", "-Werror", *a.cflags.split(),
         os.path.join(a.repo, "tests", "models", "two_models.c"),
         f"-I{work}", *objs, "-lm", "-lpthread", "-ldl", "-o", exe])
    run([exe])


def robustness(a):
    """tests/models/robustness.c against tinynet as net_a and net_b: bad arguments, non-finite
    inputs, --runs runs with stable memory, four threads. --valgrind runs a shorter version (100
    runs, 20 cycles, 10 runs per thread: valgrind makes each run ~1000x slower) under memcheck
    with one kernel thread (zero leaks, zero errors); the 10,000-run leak check is the asan
    preset's (LeakSanitizer). --cflags compiles the program with the build's sanitizer flags
    (the asan and tsan presets), whose runtime archives the libraries then carry too."""
    work = fresh(a.work)
    model = os.path.join(tinynet(a), "model.onnx")
    for name in ("net_a", "net_b"):
        compile_model(a, model, os.path.join(work, f"lib{name}.so"), "--name", name)
    exe = os.path.join(work, "robustness")
    run([a.cc, "-std=c11", "-Wall", "-Werror", *a.cflags.split(),
         os.path.join(a.repo, "tests", "models", "robustness.c"), f"-I{work}", f"-L{work}",
         "-lnet_a", "-lnet_b", f"-Wl,-rpath,{work}", "-lm", "-lpthread", "-o", exe])
    cmd, env = [exe, str(a.runs)], None
    if a.valgrind:
        cmd = ["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
               "--show-leak-kinds=definite,indirect", "--error-exitcode=3", exe, "100", "20", "10"]
        env = dict(os.environ, HL_NUM_THREADS="1")  # idle pool workers spin under valgrind
    run(cmd, env=env)  # valgrind exits 3 on any memory error or definite/indirect leak


def guard_pages(a):
    """Runs libraries under tests/models/guard_pages.c (LD_PRELOAD), which gives the runtime's
    arena and every input and output buffer an inaccessible page right after its end, then right
    before its start: a kernel that reads or writes outside them faults. tinynet, squeezenet1_1
    (convs writing their channels of an in-place concat, pads) and lstm_kws (views of slices,
    100 small kernels per run), three runs each on two threads, matching the reference."""
    work = fresh(a.work)
    shim = os.path.join(work, "libguard_pages.so")
    run([a.cc, "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", shim,
         os.path.join(os.path.dirname(os.path.abspath(__file__)), "guard_pages.c"), "-ldl",
         "-lpthread"])
    models = [tinynet(a)] + [os.path.join(a.repo, "models", "zoo", name)
                             for name in ("squeezenet1_1", "lstm_kws")]
    for model_dir in models:
        name = os.path.basename(model_dir.rstrip("/"))
        lib = os.path.join(work, f"lib{name}.so")
        compile_model(a, os.path.join(model_dir, "model.onnx"), lib)
        for mode in ("after", "before"):
            report = os.path.join(work, f"{name}.{mode}.txt")
            env = dict(os.environ, LD_PRELOAD=shim, DNNCC_GUARD=mode, DNNCC_GUARD_REPORT=report)
            run([a.dnncc_run, lib, "--data", os.path.join(model_dir, "test_data_set_0"),
                 "--rtol", "1e-3", "--atol", "1e-4", "--threads", "2", "--bench", "3"], env=env)
            blocks = int(open(report).read())
            # At least the arena and one input and one output buffer.
            if blocks < 3:
                raise Failure(f"{name}: only {blocks} blocks had guard pages: the runtime's "
                              "allocations did not go through the guard allocator")
            print(f"{name}: guard pages {mode} {blocks} blocks, no fault")


def emit(a):
    work = fresh(a.work)
    kind = a.kind
    out = os.path.join(work, "libtinynet.a" if kind == "lib" else f"tinynet.{kind}")
    compile_model(a, os.path.join(tinynet(a), "model.onnx"), out, f"--emit={kind}")
    data = open(out, "rb").read()
    if kind == "lib":
        # A static archive plus its header; classify links it statically and runs.
        if data[:8] != b"!<arch>\n":
            raise Failure(f"{out} is not an ar archive")
        exe = os.path.join(work, "classify")
        run([a.cc, "-std=c11", os.path.join(a.repo, "examples", "classify", "classify.c"),
             f"-I{work}", out, "-lm", "-lpthread", "-ldl", "-o", exe])
        if not re.search(r"top-1: class \d+", run([exe])):
            raise Failure("classify linked with the archive printed no top-1 line")
        return
    if kind == "obj":
        # ELF magic, 64-bit, e_type (offset 16, little endian) == ET_REL (1).
        if data[:4] != b"\x7fELF" or data[4] != 2 or int.from_bytes(data[16:18], "little") != 1:
            raise Failure(f"{out} is not an ELF64 relocatable object")
        return
    text = data.decode("utf-8")
    if kind == "asm":
        if not re.search(r"^dnncc_conv_\w+:", text, re.M):
            raise Failure(f"{out} has no conv kernel symbol (dnncc_conv_*:)")
        if not re.search(r"\bvfmadd\w*\s+%ymm", text):
            raise Failure(f"{out} has no AVX2 FMA (vfmadd ... %ymm) instruction")
        if not re.search(r"^\s*\.globl\s+tinynet_run$", text, re.M):
            raise Failure(f"{out} does not define tinynet_run")
    elif kind == "llvm":
        if not re.search(r"^define .*@tinynet_run\(", text, re.M):
            raise Failure(f"{out} has no 'define ... @tinynet_run('")
    elif kind == "ir":
        if not text.startswith("module"):
            raise Failure(f"{out} does not start with 'module': {text[:40]!r}")
        if "conv" not in text:
            raise Failure(f"{out} has no conv op")


AVX512_FP16_SPR_TARGET = {
    "name": "claims-avx512fp16",
    "description": "a CPU target with Sapphire Rapids' AVX512-FP16 (the asm is read, never run)",
    "arch": "x86_64", "triple": "x86_64-unknown-linux-gnu", "cpu": "sapphirerapids",
    "llvm_features": "+avx512f,+avx512fp16",
    "halide_target": "x86-64-linux-avx-avx2-avx512-avx512_cannonlake-avx512_sapphirerapids-"
                     "avx512_skylake-f16c-fma-sse41",
    "vector_bits": 512, "vector_registers": 32}


def avx512_fp16_instructions(asm):
    """The AVX512-FP16 instructions in an x86 assembly listing (mnemonics ending in ph/sh, the
    'x' forms of the f16 <-> f32 conversions, vmovw), but not F16C's vcvtph2ps/vcvtps2ph."""
    found = set()
    for line in asm.splitlines():
        words = line.split()
        if not words or words[0].endswith(":") or words[0].startswith("."):
            continue
        m = words[0]
        if m in ("vcvtph2ps", "vcvtps2ph"):
            continue
        if (re.fullmatch(r"v\w*(ph|sh)x?", m) or re.fullmatch(r"vcvt\w*(ph2|2ph|sh2|2sh)\w*", m)
                or m == "vmovw"):
            found.add(m)
    return found


def host_fp16(a):
    """float16 code compiled for --target=host (--emit=asm) has no AVX512-FP16 instruction unless
    this CPU has AVX512-FP16 (/proc/cpuinfo flag avx512_fp16): AMD Zen 4 and Zen 5 have AVX-512
    without it. The model gathers and transposes f16 elements (16-bit element loads, which LLVM
    does with AVX512-FP16's vmovw where it may: the SIGILL of issue 16) and computes with them.
    The same model for a target that claims AVX512-FP16 must show such instructions, which proves
    the check finds them."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    work = fresh(a.work)
    f16 = lambda name, shape: helper.make_tensor_value_info(name, TensorProto.FLOAT16, shape)
    idx = numpy_helper.from_array(np.array([5, 3, 60, 1, 7, 9, 2, 33], np.int64), "idx")
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0]),
             helper.make_node("Gather", ["x", "idx"], ["g"], axis=0),
             helper.make_node("Mul", ["t", "t"], ["m"]),
             helper.make_node("Max", ["m", "t"], ["h"]),
             helper.make_node("Cast", ["h"], ["z"], to=TensorProto.FLOAT)]
    graph = helper.make_graph(nodes, "fp16", [f16("x", [64, 48])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [48, 64]),
                               f16("g", [8, 48])], [idx])
    model = os.path.join(work, "model.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)
    flags = ""
    if os.path.exists("/proc/cpuinfo"):
        flags = next((line for line in open("/proc/cpuinfo") if line.startswith("flags")), "")
    has_fp16 = "avx512_fp16" in flags.split()
    asm = os.path.join(work, "host.s")
    run([a.dnncc, model, "--target=host", "--emit=asm", "-o", asm])
    found = avx512_fp16_instructions(open(asm).read())
    if found and not has_fp16:
        raise Failure(f"--target=host uses AVX512-FP16 ({', '.join(sorted(found))}), which this "
                      "CPU lacks (no avx512_fp16 in /proc/cpuinfo)")
    print(f"host: CPU avx512_fp16={has_fp16}; AVX512-FP16 instructions in the asm: "
          f"{sorted(found) or 'none'}")
    spr = os.path.join(work, "claims-avx512fp16.json")
    with open(spr, "w") as f:
        json.dump(AVX512_FP16_SPR_TARGET, f)
    asm = os.path.join(work, "spr.s")
    run([a.dnncc, model, f"--target={spr}", "--emit=asm", "-o", asm])
    claimed = avx512_fp16_instructions(open(asm).read())
    if not claimed:
        raise Failure(f"{asm}: a target with avx512_sapphirerapids shows no AVX512-FP16 "
                      "instruction, so the check above could not see them")
    print(f"a target claiming AVX512-FP16: {sorted(claimed)}")


def exports(a):
    work = fresh(a.work)
    lib = os.path.join(work, "libexported.so")
    compile_model(a, os.path.join(tinynet(a), "model.onnx"), lib)
    out = run(["nm", "-D", "--defined-only", lib])
    names = [line.split()[-1] for line in out.splitlines() if line.strip()]
    bad = [n for n in names if not n.startswith("exported_")]
    if not names:
        raise Failure("nm -D shows no exported symbols")
    if bad:
        raise Failure(f"symbols exported outside the 'exported_' prefix: {bad}")
    if "exported_run" not in names:
        raise Failure("exported_run is not exported")
    print(f"{len(names)} symbols, all exported_*")


def reproducible(a):
    """Two compiles of one model with the same flags give byte-identical files on every target:
    the first at -j1 with an empty cache (the Halide runtime object compiled afresh), the second
    at -j2 with that cache filled. Also --emit=lib (the static archive) on the first target."""
    work = fresh(a.work)
    model = os.path.join(a.model_dir, "model.onnx")
    if not os.path.exists(model):
        raise Failure(f"{model} is missing: {ZOO_HINT}")
    targets = a.targets.split(",")
    if targets == ["all"]:
        out = run([a.dnncc, "--list-targets"])
        targets = [line.split()[0] for line in out.splitlines()
                   if line and not line[0].isspace() and not line.startswith("host target")]
    cache = os.path.join(work, "cache")
    differ = []
    for i, target in enumerate(targets):
        kinds = ["so", "lib"] if i == 0 else ["so"]
        for kind in kinds:
            files = {}
            for run_name, jobs in (("a", "1"), ("b", "2")):
                d = fresh(os.path.join(work, run_name, target, kind))
                out = os.path.join(d, "libmodel." + ("a" if kind == "lib" else "so"))
                env = dict(os.environ, DNNCC_CACHE_DIR=cache)
                run([a.dnncc, model, f"--target={target}", f"--emit={kind}", "-j", jobs, "-o", out],
                    env=env)
                files[run_name] = {f: open(os.path.join(d, f), "rb").read()
                                   for f in sorted(os.listdir(d))}
            if files["a"].keys() != files["b"].keys():
                differ.append(f"{target} --emit={kind}: files {sorted(files['a'])} vs "
                              f"{sorted(files['b'])}")
                continue
            for f, data in files["a"].items():
                if data != files["b"][f]:
                    at = next(k for k, (x, y) in enumerate(zip(data, files["b"][f])) if x != y) \
                        if len(data) == len(files["b"][f]) else None
                    differ.append(f"{target} --emit={kind}: {f} differs at -j1 and -j2 "
                                  f"({len(data)} vs {len(files['b'][f])} bytes"
                                  + (f", first at byte {at}" if at is not None else "") + ")")
        print(f"{target}: identical", flush=True)
    if differ:
        raise Failure("not reproducible:\n  " + "\n  ".join(differ))
    print(f"{len(targets)} targets: byte-identical at -j1 and -j2")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnncc", required=True)
    ap.add_argument("--dnncc-run")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--target", default="x86-64")
    ap.add_argument("--machine", choices=sorted(ELF_MACHINES), help="expected ELF machine")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("compile-run")
    p.add_argument("model_dir")
    p.add_argument("lib")
    p.add_argument("--rtol", default="1e-3")
    p.add_argument("--atol", default="1e-5")
    p.add_argument("--device", help="the library runs on this GPU API (OpenCL, CUDA)")
    p.add_argument("--precision", choices=["fp32", "fp16"], help="dnncc --precision")
    p.add_argument("--top1", action="store_true",
                   help="the first output's argmax (last axis) must equal the reference's")
    p = sub.add_parser("compile-only")
    p.add_argument("model_dir")
    p.add_argument("lib")
    p = sub.add_parser("gpu-code")
    p.add_argument("model_dir")
    p.add_argument("lib")
    p.add_argument("--api", choices=["opencl", "cuda"], required=True)
    p.add_argument("--sm", help="CUDA compute capability, e.g. 61")
    p.add_argument("--precision", choices=["fp32", "fp16"], help="dnncc --precision")
    p.add_argument("--cl-device", help="OpenCL C compiled for this GPU by clang, TRIPLE:CPU "
                   "(amdgcn-amd-amdhsa:gfx900)")
    p.add_argument("--staged", action="store_true",
                   help="require a kernel that stages tiles in local (shared) memory")
    for name in ("classify", "exports", "neon", "nonfinite", "copies", "exact", "dynamic",
                 "host-fp16", "contrib", "conv-chains", "concats", "layouts", "guard-pages"):
        sub.add_parser(name).add_argument("work")
    p = sub.add_parser("two-models")
    p.add_argument("work")
    p.add_argument("--cflags", default="", help="extra C flags (a sanitizer build's)")
    p = sub.add_parser("profile")
    p.add_argument("model_dir")
    p.add_argument("work")
    p = sub.add_parser("robustness")
    p.add_argument("work")
    p.add_argument("--runs", type=int, default=10000)
    p.add_argument("--valgrind", action="store_true", help="under valgrind's memcheck")
    p.add_argument("--cflags", default="", help="extra C flags (a sanitizer build's)")
    p = sub.add_parser("reproducible")
    p.add_argument("model_dir")
    p.add_argument("work")
    p.add_argument("--targets", default="all", help="comma-separated, or 'all' (--list-targets)")
    p = sub.add_parser("emit")
    p.add_argument("kind", choices=["obj", "lib", "asm", "llvm", "ir"])
    p.add_argument("work")
    a = ap.parse_args()
    a.repo = os.path.abspath(a.repo)
    return dispatch({"compile-run": compile_run, "classify": classify, "two-models": two_models,
                     "emit": emit, "exports": exports, "compile-only": compile_only,
                     "neon": neon, "nonfinite": nonfinite, "gpu-code": gpu_code,
                     "copies": copies, "exact": exact, "dynamic": dynamic, "host-fp16": host_fp16,
                     "contrib": contrib, "profile": profile, "conv-chains": conv_chains,
                     "concats": concats, "layouts": layouts, "guard-pages": guard_pages,
                     "robustness": robustness, "reproducible": reproducible}, a)


def dispatch(commands, a):
    """Runs subcommand a.cmd of `commands`: exit status 0 when it passes ('ok'), 1 when it fails
    (its failure printed)."""
    try:
        commands[a.cmd](a)
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
