// Halide algorithms of the data-movement ops (ONNX Reshape, Expand, Transpose, Concat, Slice,
// Pad). Reshape is usually a view (no kernel); its algorithm is used when it must copy.
#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

Expected<TensorFunc> reshape(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& outShape = op.result->type.shape;
  auto v = makeVars(static_cast<int>(outShape.size()));
  Expr linear = 0;
  for (size_t i = 0; i < outShape.size(); ++i)
    linear = linear * static_cast<int>(outShape[i]) + v[i];
  return pureResult(op, v, in[0](unflatten(linear, in[0].type.shape)));
}

Expected<TensorFunc> expand(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  auto v = makeVars(op.result->type.rank());
  return pureResult(op, v, in[0](broadcastIdx(in[0].type, op.result->type.shape, asIdx(v))));
}

/// y[i_0, ..., i_{r-1}] = x[j] with j[perm[a]] = i_a.
Expected<TensorFunc> transpose(const Op& op, const std::vector<TensorFunc>& in,
                               const Lowering& lw) {
  const auto& perm = op.attr<TransposeAttrs>().perm;
  auto v = makeVars(op.result->type.rank());
  Idx xi(perm.size());
  for (size_t a = 0; a < perm.size(); ++a)
    xi[perm[a]] = v[a];
  return pureResult(op, v, in[0](xi));
}

/// One update definition per operand, writing its range of the concatenation axis.
Expected<TensorFunc> concat(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  auto v = makeVars(op.result->type.rank());
  auto hv = halideOrder(v);
  Halide::Func f("concat");
  f(hv) = Halide::undef(halideType(op.result->type.dtype, lw));
  int64_t offset = 0;
  std::vector<Halide::RDom> rdoms;
  for (const TensorFunc& t : in) {
    Halide::RDom r(0, static_cast<int>(t.type.shape[axis]));
    Idx dst = asIdx(v), src = asIdx(v);
    dst[axis] = r + static_cast<int>(offset);
    src[axis] = r;
    f(halideOrder(dst)) = t(src);
    offset += t.type.shape[axis];
  }
  TensorFunc out;
  out.func = f;
  out.type = op.result->type;
  out.vars = v;
  out.stages = {f};
  out.writesOutputOnce = true;
  return out;
}

Expected<TensorFunc> slice(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<SliceAttrs>();
  auto v = makeVars(op.result->type.rank());
  Idx xi;
  for (size_t i = 0; i < v.size(); ++i)
    xi.push_back(static_cast<int>(a.starts[i]) + v[i] * static_cast<int>(a.steps[i]));
  return pureResult(op, v, in[0](xi));
}

Expected<TensorFunc> pad(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<PadAttrs>();
  const TensorFunc& x = in[0];
  int rank = x.type.rank();
  Halide::Region bounds;
  for (int i = rank - 1; i >= 0; --i)
    bounds.push_back(Halide::Range(0, static_cast<int>(x.type.shape[i])));
  Halide::Func ext;
  switch (a.mode) {
  case PadMode::constant:
    ext = Halide::BoundaryConditions::constant_exterior(
        x.func, constant(halideType(x.type.dtype, lw), a.value), bounds);
    break;
  case PadMode::reflect:
    ext = Halide::BoundaryConditions::mirror_interior(x.func, bounds);
    break;
  case PadMode::edge:
    ext = Halide::BoundaryConditions::repeat_edge(x.func, bounds);
    break;
  }
  auto v = makeVars(rank);
  Idx xi;
  for (int i = 0; i < rank; ++i)
    xi.push_back(v[i] - static_cast<int>(a.pads[i]));
  TensorFunc out = pureResult(op, v, ext(halideOrder(xi)));
  out.stages.insert(out.stages.begin(), ext);
  return out;
}

/// The effective window of one axis of a Slice whose inputs are read at run time (ONNX Slice-13:
/// negative starts and ends count from the end, then are clamped to [0, dim] for a positive
/// step, to [0, dim - 1] and [-1, dim - 1] for a negative one); axes not named keep the whole
/// axis. `extent` is the number of elements the window selects; `valid` is false for a step of 0.
struct RuntimeWindow {
  Expr start, step, extent, valid;
};
RuntimeWindow runtimeWindow(const std::vector<TensorFunc>& in, int axis) {
  const TensorType& x = in[0].type;
  Halide::Type i64 = Halide::Int(64);
  int64_t dim = x.shape[axis];
  Expr d = constant(i64, static_cast<double>(dim));
  Expr start = constant(i64, 0), end = d, step = constant(i64, 1);
  int64_t k = in[1].type.shape[0];
  for (int64_t j = 0; j < k; ++j) {
    auto read = [&](int operand) { return Halide::cast(i64, in[operand]({Expr(static_cast<int>(j))})); };
    Expr a = read(3);
    a = Halide::select(a < 0, a + x.rank(), a);
    Expr st = read(4), s = read(1), e = read(2);
    // Out-of-range values (INT64_MIN, INT64_MAX) are clamped before any addition.
    s = Halide::clamp(s, -d, d);
    e = Halide::clamp(e, -d - 1, d);
    s = Halide::select(s < 0, s + d, s);
    e = Halide::select(e < 0, e + d, e);
    s = Halide::select(st > 0, Halide::clamp(s, 0, d), Halide::clamp(s, 0, d - 1));
    e = Halide::select(st > 0, Halide::clamp(e, 0, d), Halide::clamp(e, -1, d - 1));
    Expr hit = a == axis;
    start = Halide::select(hit, s, start);
    end = Halide::select(hit, e, end);
    step = Halide::select(hit, st, step);
  }
  Expr valid = step != 0;
  Expr safe = Halide::select(valid, step, constant(i64, 1));
  Expr n = Halide::select(safe > 0, (end - start + safe - 1) / safe,
                          (start - end + (-safe) - 1) / (-safe));
  return {start, safe, Halide::max(n, constant(i64, 0)), valid};
}

/// slice_runtime: y[i] = x[start + i * step] on every axis, with each axis' window read from the
/// starts/ends/axes/steps operands at run time (the check op tells whether it has y's extent).
Expected<TensorFunc> sliceRuntime(const Op& op, const std::vector<TensorFunc>& in,
                                  const Lowering& lw) {
  const TensorType& x = in[0].type;
  auto v = makeVars(op.result->type.rank());
  Idx at = asIdx(v);
  for (int a = 0; a < x.rank(); ++a) {
    RuntimeWindow w = runtimeWindow(in, a);
    Expr pos = Halide::cast(Halide::Int(32), w.start + Halide::cast(Halide::Int(64), v[a]) * w.step);
    at[a] = Halide::clamp(pos, 0, static_cast<int>(x.shape[a]) - 1); // in bounds if the check fails
  }
  return pureResult(op, v, in[0](at));
}

/// slice_runtime_check: whether every axis' window selects the declared extent (and no step is 0).
Expected<TensorFunc> sliceRuntimeCheck(const Op& op, const std::vector<TensorFunc>& in,
                                       const Lowering& lw) {
  const IntList& shape = op.attr<RuntimeSliceAttrs>().shape;
  Expr ok = Halide::cast(Halide::Bool(), true);
  for (int a = 0; a < in[0].type.rank(); ++a) {
    RuntimeWindow w = runtimeWindow(in, a);
    ok = ok && w.valid && w.extent == constant(Halide::Int(64), static_cast<double>(shape[a]));
  }
  return pureResult(op, {},
                    Halide::select(ok, constant(halideType(DType::boolean, lw), 1),
                                   constant(halideType(DType::boolean, lw), 0)));
}

const AlgorithmRow kRows[] = {
    // kind, Halide algorithm, work estimate, half-precision rule (Algorithm.h)
    {OpKind::Reshape, reshape, workElements, nullptr},
    {OpKind::Expand, expand, workElements, nullptr},
    {OpKind::Transpose, transpose, workElements, nullptr},
    {OpKind::Concat, concat, workElements, nullptr},
    {OpKind::Slice, slice, workElements, nullptr},
    {OpKind::Pad, pad, workElements, nullptr},
    {OpKind::SliceRuntime, sliceRuntime, workElements, nullptr},
    {OpKind::SliceRuntimeCheck, sliceRuntimeCheck, workElements, nullptr},
};
} // namespace

std::span<const AlgorithmRow> shapeAlgorithms() { return kRows; }

} // namespace dnncc::hl
