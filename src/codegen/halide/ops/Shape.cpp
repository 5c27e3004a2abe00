// Halide algorithms of the data-movement ops (ONNX Reshape, Expand, Transpose, Concat, Slice,
// Gather, Pad, GatherElements, GatherND, ScatterElements, ScatterND, ReverseSequence,
// TensorScatter). Reshape is usually a view (no kernel); its algorithm is used when it must copy.
#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

Expected<TensorFunc> reshape(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& outShape = op.result->type.shape;
  auto v = makeVars(static_cast<int>(outShape.size()));
  Expr linear = 0;
  for (size_t i = 0; i < outShape.size(); ++i)
    linear = linear * static_cast<int>(outShape[i]) + v[i];
  return pureResult(op, v, in[0](unflatten(linear, in[0].type.shape)));
}

Expected<TensorFunc> expand(const Op& op, const std::vector<TensorFunc>& in) {
  auto v = makeVars(op.result->type.rank());
  return pureResult(op, v, in[0](broadcastIdx(in[0].type, op.result->type.shape, asIdx(v))));
}

/// y[i_0, ..., i_{r-1}] = x[j] with j[perm[a]] = i_a.
Expected<TensorFunc> transpose(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& perm = op.attr<TransposeAttrs>().perm;
  auto v = makeVars(op.result->type.rank());
  Idx xi(perm.size());
  for (size_t a = 0; a < perm.size(); ++a)
    xi[perm[a]] = v[a];
  return pureResult(op, v, in[0](xi));
}

/// One update definition per operand, writing its range of the concatenation axis.
Expected<TensorFunc> concat(const Op& op, const std::vector<TensorFunc>& in) {
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  auto v = makeVars(op.result->type.rank());
  auto hv = halideOrder(v);
  Halide::Func f("concat");
  f(hv) = Halide::undef(halideType(op.result->type.dtype));
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

Expected<TensorFunc> slice(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<SliceAttrs>();
  auto v = makeVars(op.result->type.rank());
  Idx xi;
  for (size_t i = 0; i < v.size(); ++i)
    xi.push_back(static_cast<int>(a.starts[i]) + v[i] * static_cast<int>(a.steps[i]));
  return pureResult(op, v, in[0](xi));
}

/// y[pre..., idx..., post...] = x[pre..., indices[idx...], post...]; a negative index counts
/// from the end; an index out of range is clamped (the importer rejects constant ones).
Expected<TensorFunc> gather(const Op& op, const std::vector<TensorFunc>& in) {
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  const TensorFunc& x = in[0];
  const TensorFunc& indices = in[1];
  auto v = makeVars(op.result->type.rank());
  int q = indices.type.rank();
  Idx ii(v.begin() + axis, v.begin() + axis + q);
  int dim = static_cast<int>(x.type.shape[axis]);
  Expr index = Halide::cast(Halide::Int(32), indices(ii));
  index = Halide::clamp(Halide::select(index < 0, index + dim, index), 0, dim - 1);
  Idx xi(v.begin(), v.begin() + axis);
  xi.push_back(index);
  xi.insert(xi.end(), v.begin() + axis + q, v.end());
  return pureResult(op, v, x(xi));
}

Expected<TensorFunc> pad(const Op& op, const std::vector<TensorFunc>& in) {
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
        x.func, constant(halideType(x.type.dtype), a.value), bounds);
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

/// An index read from an indices tensor as int32: a negative index counts from the end of an axis
/// of extent `dim`; out-of-range indices are clamped (the importer rejects constant ones).
Expr axisIndex(Expr index, int64_t dim) {
  int d = static_cast<int>(dim);
  index = Halide::cast(Halide::Int(32), index);
  return Halide::clamp(Halide::select(index < 0, index + d, index), 0, d - 1);
}

/// GatherElements-13: y[i...] = x[i...] with i[axis] replaced by indices[i...].
Expected<TensorFunc> gatherElements(const Op& op, const std::vector<TensorFunc>& in) {
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  auto v = makeVars(op.result->type.rank());
  Idx xi = asIdx(v);
  xi[axis] = axisIndex(in[1](asIdx(v)), in[0].type.shape[axis]);
  return pureResult(op, v, in[0](xi));
}

/// GatherND-13: y[b..., i..., rest...] = x[b..., indices[b..., i..., :], rest...].
Expected<TensorFunc> gatherND(const Op& op, const std::vector<TensorFunc>& in) {
  int b = static_cast<int>(op.attr<GatherNDAttrs>().batchDims);
  const TensorFunc& x = in[0];
  const TensorFunc& indices = in[1];
  int q = indices.type.rank();
  int m = static_cast<int>(indices.type.shape.back());
  auto v = makeVars(op.result->type.rank());
  Idx prefix(v.begin(), v.begin() + (q - 1));
  Idx xi(v.begin(), v.begin() + b);
  for (int j = 0; j < m; ++j) {
    Idx at = prefix;
    at.push_back(j);
    xi.push_back(axisIndex(indices(at), x.type.shape[b + j]));
  }
  xi.insert(xi.end(), v.begin() + (q - 1), v.end());
  return pureResult(op, v, x(xi));
}

/// One scatter update: the value at `dst` combined with `update` as `reduction` says.
Expr combine(ScatterReduction reduction, Expr old, Expr update) {
  switch (reduction) {
  case ScatterReduction::add:
    return old + update;
  case ScatterReduction::mul:
    return old * update;
  case ScatterReduction::max:
    return Halide::max(old, update);
  case ScatterReduction::min:
    return Halide::min(old, update);
  case ScatterReduction::none:
    break;
  }
  return update;
}

/// A Func that copies `data` and then applies one update per point of an RDom over `updShape`
/// (updates applied in row-major order, so the last of duplicate indices wins for none), writing
/// at `target(ridx)`.
template <class Target>
TensorFunc scatterInto(const Op& op, const TensorFunc& data, const TensorFunc& updates,
                       Target target) {
  auto v = makeVars(op.result->type.rank());
  Halide::Func f(std::string(opName(op.kind)));
  f(halideOrder(v)) = data(asIdx(v));
  const auto& updShape = updates.type.shape;
  Halide::Region ranges;
  for (auto it = updShape.rbegin(); it != updShape.rend(); ++it)
    ranges.emplace_back(0, static_cast<int>(*it));
  if (ranges.empty())
    ranges.emplace_back(0, 1); // a scalar update: one iteration
  Halide::RDom r(ranges);
  Idx ridx;
  for (int i = 0; i < static_cast<int>(updShape.size()); ++i)
    ridx.push_back(r[static_cast<int>(updShape.size()) - 1 - i]);
  Idx dst = halideOrder(target(ridx));
  f(dst) = combine(op.attr<ScatterAttrs>().reduction, f(dst), updates(ridx));
  TensorFunc out;
  out.func = f;
  out.type = op.result->type;
  out.vars = v;
  out.stages = {f};
  return out;
}

/// ScatterElements-18: y = x, then y[idx with idx[axis] = indices[idx]] (op)= updates[idx].
Expected<TensorFunc> scatterElements(const Op& op, const std::vector<TensorFunc>& in) {
  int axis = static_cast<int>(op.attr<ScatterAttrs>().axis);
  int64_t dim = in[0].type.shape[axis];
  const TensorFunc& indices = in[1];
  return scatterInto(op, in[0], in[2], [&](const Idx& ridx) {
    Idx dst = ridx;
    dst[axis] = axisIndex(indices(ridx), dim);
    return dst;
  });
}

/// ScatterND-18: y = x, then y[indices[i..., :], rest...] (op)= updates[i..., rest...].
Expected<TensorFunc> scatterND(const Op& op, const std::vector<TensorFunc>& in) {
  const TensorFunc& x = in[0];
  const TensorFunc& indices = in[1];
  int q = indices.type.rank();
  int m = static_cast<int>(indices.type.shape.back());
  return scatterInto(op, x, in[2], [&](const Idx& ridx) {
    Idx prefix(ridx.begin(), ridx.begin() + (q - 1));
    Idx dst;
    for (int j = 0; j < m; ++j) {
      Idx at = prefix;
      at.push_back(j);
      dst.push_back(axisIndex(indices(at), x.type.shape[j]));
    }
    dst.insert(dst.end(), ridx.begin() + (q - 1), ridx.end());
    return dst;
  });
}

/// ReverseSequence-10: along the time axis, the first sequence_lens[b] steps of batch b are
/// reversed; the rest are copied.
Expected<TensorFunc> reverseSequence(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<ReverseSequenceAttrs>();
  int bAxis = static_cast<int>(a.batchAxis), tAxis = static_cast<int>(a.timeAxis);
  auto v = makeVars(op.result->type.rank());
  Expr len = Halide::cast(Halide::Int(32), in[1]({v[bAxis]}));
  Expr t = v[tAxis];
  Idx xi = asIdx(v);
  int steps = static_cast<int>(in[0].type.shape[tAxis]);
  xi[tAxis] = Halide::select(t < len, Halide::clamp(len - 1 - t, 0, steps - 1), t);
  return pureResult(op, v, in[0](xi));
}

/// TensorScatter-24: position s of batch b along the axis takes update[.., i, ..] with
/// i = s - write_indices[b] (modulo the cache length S for circular) when 0 <= i < L, otherwise
/// keeps the cache. Written as a gather, so every output point is computed once.
Expected<TensorFunc> tensorScatter(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<TensorScatterAttrs>();
  int axis = static_cast<int>(a.axis);
  int cacheLen = static_cast<int>(in[0].type.shape[axis]);
  int updLen = static_cast<int>(in[1].type.shape[axis]);
  auto v = makeVars(op.result->type.rank());
  Expr start = Halide::cast(Halide::Int(32), in[2]({v[0]}));
  Expr i = v[axis] - start;
  if (a.circular)
    i = i % cacheLen; // Halide's % is Euclidean: in [0, S)
  Idx at = asIdx(v);
  at[axis] = Halide::clamp(i, 0, updLen - 1);
  Expr y = Halide::select(i >= 0 && i < updLen, in[1](at), in[0](asIdx(v)));
  return pureResult(op, v, y);
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
Expected<TensorFunc> sliceRuntime(const Op& op, const std::vector<TensorFunc>& in) {
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
Expected<TensorFunc> sliceRuntimeCheck(const Op& op, const std::vector<TensorFunc>& in) {
  const IntList& shape = op.attr<RuntimeSliceAttrs>().shape;
  Expr ok = Halide::cast(Halide::Bool(), true);
  for (int a = 0; a < in[0].type.rank(); ++a) {
    RuntimeWindow w = runtimeWindow(in, a);
    ok = ok && w.valid && w.extent == constant(Halide::Int(64), static_cast<double>(shape[a]));
  }
  return pureResult(op, {}, Halide::select(ok, constant(halideType(DType::boolean), 1),
                                           constant(halideType(DType::boolean), 0)));
}

const AlgorithmRow kRows[] = {
    {OpKind::Reshape, reshape}, {OpKind::Expand, expand}, {OpKind::Transpose, transpose},
    {OpKind::Concat, concat},   {OpKind::Slice, slice},   {OpKind::Gather, gather},
    {OpKind::Pad, pad},
    {OpKind::GatherElements, gatherElements},
    {OpKind::GatherND, gatherND},
    {OpKind::ScatterElements, scatterElements},
    {OpKind::ScatterND, scatterND},
    {OpKind::ReverseSequence, reverseSequence},
    {OpKind::TensorScatter, tensorScatter},
    {OpKind::SliceRuntime, sliceRuntime},
    {OpKind::SliceRuntimeCheck, sliceRuntimeCheck},
};
} // namespace

std::span<const AlgorithmRow> shapeAlgorithms() { return kRows; }

} // namespace dnncc::hl
