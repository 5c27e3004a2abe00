// Halide algorithms of the indexing ops (ONNX Gather, GatherElements, GatherND, ScatterElements,
// ScatterND, ReverseSequence, TensorScatter).
#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

/// y[pre..., idx..., post...] = x[pre..., indices[idx...], post...]; a negative index counts
/// from the end; an index out of range is clamped (the importer rejects constant ones).
Expected<TensorFunc> gather(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
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

/// An index read from an indices tensor as int32: a negative index counts from the end of an axis
/// of extent `dim`; out-of-range indices are clamped (the importer rejects constant ones).
Expr axisIndex(Expr index, int64_t dim) {
  int d = static_cast<int>(dim);
  index = Halide::cast(Halide::Int(32), index);
  return Halide::clamp(Halide::select(index < 0, index + d, index), 0, d - 1);
}

/// GatherElements-13: y[i...] = x[i...] with i[axis] replaced by indices[i...].
Expected<TensorFunc> gatherElements(const Op& op, const std::vector<TensorFunc>& in,
                                    const Lowering& lw) {
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  auto v = makeVars(op.result->type.rank());
  Idx xi = asIdx(v);
  xi[axis] = axisIndex(in[1](asIdx(v)), in[0].type.shape[axis]);
  return pureResult(op, v, in[0](xi));
}

/// GatherND-13: y[b..., i..., rest...] = x[b..., indices[b..., i..., :], rest...].
Expected<TensorFunc> gatherND(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
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
Expected<TensorFunc> scatterElements(const Op& op, const std::vector<TensorFunc>& in,
                                     const Lowering& lw) {
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
Expected<TensorFunc> scatterND(const Op& op, const std::vector<TensorFunc>& in,
                               const Lowering& lw) {
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
Expected<TensorFunc> reverseSequence(const Op& op, const std::vector<TensorFunc>& in,
                                     const Lowering& lw) {
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
Expected<TensorFunc> tensorScatter(const Op& op, const std::vector<TensorFunc>& in,
                                   const Lowering& lw) {
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

const AlgorithmRow kRows[] = {
    // kind, Halide algorithm, work estimate, half-precision rule (Algorithm.h)
    {OpKind::Gather, gather, workElements, nullptr},
    {OpKind::GatherElements, gatherElements, workElements, nullptr},
    {OpKind::GatherND, gatherND, workElements, nullptr},
    {OpKind::ScatterElements, scatterElements, workElements, nullptr},
    {OpKind::ScatterND, scatterND, workElements, nullptr},
    {OpKind::ReverseSequence, reverseSequence, workElements, nullptr},
    {OpKind::TensorScatter, tensorScatter, workElements, nullptr},
};
} // namespace

std::span<const AlgorithmRow> indexAlgorithms() {
  return kRows;
}

} // namespace dnncc::hl
