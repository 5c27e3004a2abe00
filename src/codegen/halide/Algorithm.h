// The Halide algorithms of the IR ops: each op's Halide definition is its specification. The same
// definitions serve the kernels (with per-target schedules) and the host JIT evaluator.
#pragma once

#include <span>
#include <vector>

#include <Halide.h>

#include "ir/IR.h"

namespace dnncc::hl {

using Idx = std::vector<Halide::Expr>;
struct TensorFunc;
struct Lowering;
using DefineFn = Expected<TensorFunc> (*)(const Op&, const std::vector<TensorFunc>&,
                                          const Lowering&);

/// A tensor during lowering: a Halide Func whose arguments are in Halide order (innermost first,
/// the reverse of ONNX axis order), with its IR type. `stages` lists every Func the op created,
/// the result last, so that schedules and the evaluator can place them.
struct TensorFunc {
  Halide::Func func;
  TensorType type;
  std::vector<Halide::Func> stages;
  /// Calls the Func with indices in ONNX axis order.
  Halide::Expr operator()(const Idx& onnxIdx) const;
  /// Pure variables of the result in ONNX axis order.
  std::vector<Halide::Var> vars;
  /// The reduction domain of a reduction stage (conv, matmul, pools, reductions), if any.
  std::optional<Halide::RDom> rdom;
  /// The Func writes each output point exactly once through update definitions (concat): a kernel
  /// ending in it uses it as its output directly instead of computing it per tile of a wrapper.
  bool writesOutputOnce = false;
  /// Every load of the op's inputs is clamped into their bounds, so a schedule may compute the
  /// reduction stage over its region rounded up to whole vectors (TailStrategy::RoundUp) without
  /// reading outside them. conv_transpose needs it: Halide 14 drops the vector loop's index from
  /// its update's stores when the stride's `%` select is vectorised with GuardWithIf or Predicate
  /// (on ARM, an output row of 5 with 4-lane vectors accumulated lanes 0-3 twice and lane 4 never).
  bool readsClamped = false;
};

/// How the ops of a kernel are lowered, fixed by its target (Kernel.h: loweringFor) and passed
/// explicitly to every algorithm, type and conversion helper below.
struct Lowering {
  /// f16 tensors are UInt(16) bit patterns: kernel arguments, loads and stores move 16-bit
  /// integers and the exact bit conversions of LowPrecision.cpp turn them into f32 and back, so a
  /// kernel needs no `half` type (OpenCL devices without cl_khr_fp16). Otherwise Float(16).
  bool halfAsBits = false;
  /// The device computes in IEEE binary16 (a GPU target with gpu.fp16 whose f16 tensors are
  /// Float(16), see Kernel.h's computesInHalf): f16 <-> f32 conversions are Halide casts, which
  /// the device performs natively (PTX cvt.rn.f16.f32 / cvt.f32.f16, OpenCL C conversions; round
  /// to nearest even, NaN and inf kept), and the ops of halfArithmetic() compute in Float(16).
  /// Off (CPU targets, the host evaluator, OpenCL devices without cl_khr_fp16), f16 ops are
  /// lifted to f32 with the exact integer conversions of LowPrecision.cpp.
  bool nativeHalf = false;
  /// The kernels run on a GPU, whose math library computes transcendental functions per thread
  /// (OpenCL C / PTX tanh). Off, f32 tanh is lowered to vector arithmetic instead of Halide's
  /// per-lane C library call.
  bool gpu = false;
  /// Halide::round is one vector instruction rounding ties to even on the target (x86 SSE4.1
  /// roundps, AArch64 frintn): QuantizeLinear uses it instead of roundHalfEven's compares.
  bool nativeRound = false;
  /// QuantizeLinear to an 8- or 16-bit integer rounds by adding and subtracting 1.5 * 2^23
  /// (x86 with 512-bit vectors, where Halide's round is two 256-bit roundps and two shuffles per
  /// vector; ops/Quantize.cpp).
  bool roundBySum = false;
};

/// Halide element type of a DType (bool is stored as uint8: 0 or 1). f16 is Float(16), or
/// UInt(16) (IEEE binary16 bit patterns) under lw.halfAsBits.
Halide::Type halideType(DType t, const Lowering& lw);

/// True when `op` (with f16 operands and/or result) computes directly in Float(16) under
/// Lowering::nativeHalf: its f16 result equals its f32 result on the widened operands rounded once
/// to binary16, so half arithmetic changes no number (LowPrecision.cpp gives the set and the
/// reasons).
bool halfArithmetic(const Op& op);

/// Defines the result of `op` from its operands (same order as op.operands), lowered as `lw`
/// says. Errors name what an algorithm does not implement (e.g. an element type).
Expected<TensorFunc> defineOp(const Op& op, const std::vector<TensorFunc>& operands,
                              const Lowering& lw);

/// A Func reading a tensor with ONNX-order variables; used to wrap parameters and buffers.
TensorFunc wrapFunc(Halide::Func f, TensorType type);
/// The logical view of a kernel argument whose memory has bufferDims(type) dimensions: for a
/// blocked type the block index and the position in the block are combined back into one axis.
TensorFunc wrapParam(const Halide::ImageParam& p, const TensorType& type);

// ---- helpers for the family files ----

/// A constant of type `t` (Halide has no Expr(double) for every type).
inline Halide::Expr constant(Halide::Type t, double v) { return Halide::Internal::make_const(t, v); }

/// Fresh pure variables, one per ONNX axis (named d0..d{rank-1}).
std::vector<Halide::Var> makeVars(int rank);
/// Halide argument order (reverse) of ONNX-ordered expressions.
Idx halideOrder(const Idx& onnx);
std::vector<Halide::Var> halideOrder(const std::vector<Halide::Var>& onnx);
Idx asIdx(const std::vector<Halide::Var>& vars);
/// Indices into `operand` (ONNX order) for an output point `out` under numpy broadcasting.
Idx broadcastIdx(const TensorType& operand, const std::vector<int64_t>& outShape, const Idx& out);
/// Operand `i` of an element-wise `op` at the output point `v` (numpy broadcasting of
/// operand i's shape to the result's).
Halide::Expr at(const Op& op, const std::vector<TensorFunc>& in, size_t i,
                const std::vector<Halide::Var>& v);
/// `x` (f16 widened, f32 or f64) rounded to the nearest integer, ties to even (IEEE 754
/// roundTiesToEven; ONNX Round, QuantizeLinear). Written with floor and compares instead of
/// Halide::round, which Halide 14's OpenCL code emits as OpenCL round() (ties away from zero).
/// NaN and infinities pass through; integral values (all |x| >= 2^52 / 2^23) are returned as is.
Halide::Expr roundHalfEven(Halide::Expr x);
/// `x` rounded to the nearest integer, ties to even: Halide::round where lw.nativeRound, else
/// roundHalfEven. The sign of a zero result is not specified.
Halide::Expr roundTiesToEven(Halide::Expr x, const Lowering& lw);
/// Row-major linear index -> multi-index in ONNX order (all int32 arithmetic; tensors stay
/// below 2^31 elements).
Idx unflatten(Halide::Expr linear, const std::vector<int64_t>& shape);
/// The result of a pure definition `f(vars) = value` as a TensorFunc.
TensorFunc pureResult(const Op& op, const std::vector<Halide::Var>& vars, Halide::Expr value);
/// The result of a reduction `f` (its pure definition and one update over `r`) as a TensorFunc.
TensorFunc reductionResult(const Op& op, Halide::Func f, const std::vector<Halide::Var>& vars,
                           Halide::RDom r);
/// [0, extent) for each of `extents` (ONNX axis order), the last first: the region of an RDom
/// whose first variable (the innermost loop) runs over the last axis.
Halide::Region reversedRanges(const std::vector<int64_t>& extents);

/// An f16 or bf16 value widened to f32 (exact; NaN and inf kept). Under lw.nativeHalf an f16
/// value is widened by a Halide cast (the device's conversion), otherwise with integer bit
/// operations.
Halide::Expr widenToF32(Halide::Expr x, const Lowering& lw);
/// `x` (any numeric type; f32 or f64 directly, others through f64) rounded to nearest even in
/// `to` (f16 or bf16); NaN stays NaN, overflow gives inf (IEEE 754 conversion). Under
/// lw.nativeHalf an f32 `x` goes to f16 by a Halide cast (the device's conversion); every other
/// case uses integer bit operations.
Halide::Expr narrowFloat(Halide::Expr x, DType to, const Lowering& lw);

/// An op's estimated work for scheduling: multiply-adds for the contractions (conv, matmul),
/// multiply-add equivalents of the window taps for max/avg pooling, elements read and written for
/// every other op.
using WorkFn = int64_t (*)(const Op&);
/// Whether `op` (on f16 values) computes directly in Float(16) under Lowering::nativeHalf without
/// changing a number; the operand and result types are checked by halfArithmetic. A row whose rule
/// is nullptr computes in f32 with the device's conversions at the edges (LowPrecision.cpp).
using HalfFn = bool (*)(const Op&);

/// One op kind's code-generation facts: its Halide algorithm, its work estimate and its
/// half-precision rule. Every op kind of ir/Ops.def has exactly one row, in the table of the
/// family file (codegen/halide/ops/<Family>.cpp) named like its ir/ops file; algorithmRow()
/// asserts it and op_rows_test checks it.
struct AlgorithmRow {
  OpKind kind;
  DefineFn define;
  WorkFn work;
  HalfFn half;
};

/// The row of `kind` (every op kind has one).
const AlgorithmRow& algorithmRow(OpKind kind);
/// Every family's rows, in family order (for tests and tools).
std::vector<std::span<const AlgorithmRow>> algorithmFamilies();

/// WorkFn of the ops that touch each element about once: operand elements plus result elements.
int64_t workElements(const Op& op);
/// Window positions a max/avg pool visits: output elements x kernel size (ops/Conv.cpp).
int64_t poolWindowTaps(const Op& op);
/// Arithmetic operations of `op` for the per-kernel profile (dnncc_kernel_info.flops): 2 per
/// multiply-add of conv, conv_transpose, matmul and gemm, 1 per window tap of max/avg pooling, 1
/// per result element of every other op.
int64_t opFlops(const Op& op);
/// HalfFn of the ops exact in half on half values (add, sub, mul, max, relu, compares, ...; the
/// reasons are in LowPrecision.cpp).
bool halfExact(const Op& op);
/// HalfFn of leaky_relu: exact in half only when alpha is a binary16 number.
bool halfExactIfAlphaIsHalf(const Op& op);

/// Defines `op` with `fn` when operands or result are f16/bf16: those operands are widened to f32,
/// the op is computed in f32, and an f32 result is rounded to the result's 16-bit type.
Expected<TensorFunc> defineLifted(const Op& op, const std::vector<TensorFunc>& operands,
                                  DefineFn fn, const Lowering& lw);

std::span<const AlgorithmRow> elementwiseAlgorithms();
std::span<const AlgorithmRow> convAlgorithms();
std::span<const AlgorithmRow> linearAlgorithms();
std::span<const AlgorithmRow> reduceAlgorithms();
std::span<const AlgorithmRow> shapeAlgorithms();
/// gather, gather_elements, gather_nd, scatter_*, reverse_sequence, tensor_scatter (ops/Index.cpp).
std::span<const AlgorithmRow> indexAlgorithms();
std::span<const AlgorithmRow> quantizeAlgorithms();
/// grid_sample, deform_conv, roi_align (ops/Sample.cpp).
std::span<const AlgorithmRow> sampleAlgorithms();
/// non_zero, compress (ops/DataDependent.cpp).
std::span<const AlgorithmRow> dataDependentAlgorithms();

} // namespace dnncc::hl
