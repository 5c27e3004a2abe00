// Halide algorithms of reductions and normalisations (ONNX Reduce*, Softmax, LogSoftmax,
// LayerNormalization, BatchNormalization in inference mode), ArgMax/ArgMin, Hardmax, TopK and
// CumSum/CumProd.
#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

/// An RDom over the extents of `axes` of `shape`, innermost axis first (Halide order).
Halide::RDom rdomOver(const std::vector<int64_t>& shape, const std::vector<int>& axes) {
  Halide::Region ranges;
  for (auto it = axes.rbegin(); it != axes.rend(); ++it)
    ranges.emplace_back(0, static_cast<int>(shape[*it]));
  return Halide::RDom(ranges);
}

/// ONNX index into the input: reduced axes read the RDom, the others the output's variables.
Idx inputIdx(int rank, const std::vector<int>& axes, const Halide::RDom& r,
             const std::vector<Expr>& kept) {
  Idx idx(rank);
  size_t next = 0;
  for (int i = 0; i < rank; ++i) {
    auto it = std::find(axes.begin(), axes.end(), i);
    if (it != axes.end())
      idx[i] = r[static_cast<int>(axes.size() - 1 - (it - axes.begin()))];
    else
      idx[i] = kept[next++];
  }
  return idx;
}

Expected<TensorFunc> reduce(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<ReduceAttrs>();
  const TensorFunc& x = in[0];
  std::vector<int> axes(a.axes.begin(), a.axes.end());
  Halide::RDom r = rdomOver(x.type.shape, axes);
  auto v = makeVars(op.result->type.rank());
  std::vector<Expr> kept;
  for (int i = 0, j = 0; i < x.type.rank(); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced)
      kept.push_back(v[a.keepdims ? i : j]);
    if (!reduced || a.keepdims)
      ++j;
  }
  Expr value = x(inputIdx(x.type.rank(), axes, r, kept));
  Halide::Type t = halideType(x.type.dtype, lw);
  Halide::Func f(std::string(opName(op.kind)));
  auto hv = halideOrder(v);
  int64_t n = 1;
  for (int ax : axes)
    n *= x.type.shape[ax];
  switch (op.kind) {
  case OpKind::ReduceMax:
    f(hv) = t.min();
    f(hv) = Halide::max(f(hv), value);
    break;
  case OpKind::ReduceMin:
    f(hv) = t.max();
    f(hv) = Halide::min(f(hv), value);
    break;
  case OpKind::ReduceProd:
    f(hv) = Halide::cast(t, 1);
    f(hv) *= value;
    break;
  default: // sum and mean
    f(hv) = Halide::cast(t, 0);
    f(hv) += value;
  }
  TensorFunc out;
  out.type = op.result->type;
  out.vars = v;
  out.rdom = r;
  out.func = f;
  out.stages = {f};
  if (op.kind == OpKind::ReduceMean) {
    Halide::Func mean("reduce_mean_div");
    mean(hv) = t.is_float() ? f(hv) / constant(t, static_cast<double>(n))
                            : Halide::div_round_to_zero(f(hv), constant(t, static_cast<double>(n)));
    out.func = mean;
    out.stages.push_back(mean);
  }
  return out;
}

/// softmax(x)_i = exp(x_i - max) / sum_j exp(x_j - max); log_softmax = x_i - max - log(sum).
Expected<TensorFunc> softmax(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const TensorFunc& x = in[0];
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  int rank = x.type.rank();
  Halide::Type t = halideType(x.type.dtype, lw);
  auto v = makeVars(rank);
  std::vector<Expr> outer;
  std::vector<Halide::Var> outerVars;
  for (int i = 0; i < rank; ++i)
    if (i != axis) {
      outer.push_back(v[i]);
      outerVars.push_back(v[i]);
    }
  Halide::RDom r = rdomOver(x.type.shape, {axis});
  Idx atR = inputIdx(rank, {axis}, r, outer);
  auto ho = halideOrder(outerVars);
  auto hv = halideOrder(v);
  Halide::Func mx("softmax_max"), ex("softmax_exp"), sm("softmax_sum"), out("softmax");
  mx(ho) = t.min();
  mx(ho) = Halide::max(mx(ho), x(atR));
  ex(hv) = Halide::exp(x(asIdx(v)) - mx(ho));
  sm(ho) = Halide::cast(t, 0);
  sm(ho) += ex(halideOrder(atR));
  if (op.kind == OpKind::LogSoftmax)
    out(hv) = x(asIdx(v)) - mx(ho) - Halide::log(sm(ho));
  else
    out(hv) = ex(hv) / sm(ho);
  TensorFunc res;
  res.func = out;
  res.type = op.result->type;
  res.vars = v;
  res.rdom = r;
  res.stages = {mx, ex, sm, out};
  return res;
}

/// y = (x - mean) / sqrt(var + epsilon) * scale + bias over axes [axis, rank) (two-pass variance).
Expected<TensorFunc> layerNorm(const Op& op, const std::vector<TensorFunc>& in,
                               const Lowering& lw) {
  const TensorFunc& x = in[0];
  int axis = static_cast<int>(op.attr<LayerNormAttrs>().axis);
  int rank = x.type.rank();
  Halide::Type t = halideType(x.type.dtype, lw);
  auto v = makeVars(rank);
  std::vector<int> axes;
  int64_t n = 1;
  for (int i = axis; i < rank; ++i) {
    axes.push_back(i);
    n *= x.type.shape[i];
  }
  std::vector<Expr> outer(v.begin(), v.begin() + axis);
  std::vector<Halide::Var> outerVars(v.begin(), v.begin() + axis);
  Halide::RDom r = rdomOver(x.type.shape, axes);
  Idx atR = inputIdx(rank, axes, r, outer);
  auto ho = halideOrder(outerVars);
  auto hv = halideOrder(v);
  Expr count = constant(t, static_cast<double>(n));
  Halide::Func sum("layer_norm_sum"), mean("layer_norm_mean"), sq("layer_norm_sqsum"),
      rstd("layer_norm_rstd"), out("layer_norm");
  sum(ho) = Halide::cast(t, 0);
  sum(ho) += x(atR);
  mean(ho) = sum(ho) / count;
  Expr d = x(atR) - mean(ho);
  sq(ho) = Halide::cast(t, 0);
  sq(ho) += d * d;
  rstd(ho) = Halide::cast(t, 1) /
             Halide::sqrt(sq(ho) / count + constant(t, op.attr<LayerNormAttrs>().epsilon));
  std::vector<int64_t> normShape(x.type.shape.begin() + axis, x.type.shape.end());
  Idx inner(v.begin() + axis, v.end());
  Expr y = (x(asIdx(v)) - mean(ho)) * rstd(ho) * in[1](broadcastIdx(in[1].type, normShape, inner));
  if (in.size() == 3)
    y = y + in[2](broadcastIdx(in[2].type, normShape, inner));
  out(hv) = y;
  TensorFunc res;
  res.func = out;
  res.type = op.result->type;
  res.vars = v;
  res.rdom = r;
  res.stages = {sum, mean, sq, rstd, out};
  return res;
}

Expected<TensorFunc> batchNorm(const Op& op, const std::vector<TensorFunc>& in,
                               const Lowering& lw) {
  auto v = makeVars(op.result->type.rank());
  Halide::Type t = halideType(in[0].type.dtype, lw);
  Expr c = v[1];
  Expr eps = constant(t, op.attr<BatchNormAttrs>().epsilon);
  Expr y = (in[0](asIdx(v)) - in[3]({c})) / Halide::sqrt(in[4]({c}) + eps) * in[1]({c}) +
           in[2]({c});
  return pureResult(op, v, y);
}

/// The vars of `v` without `axis`, and the input index that reads the RDom `r` along `axis`.
struct AlongAxis {
  std::vector<Halide::Var> outerVars;
  Idx atR;
};
AlongAxis alongAxis(const std::vector<Halide::Var>& v, int axis, bool skipAxis, int inputRank,
                    const Halide::RDom& r) {
  AlongAxis a;
  for (int i = 0; i < static_cast<int>(v.size()); ++i)
    if (!(skipAxis && i == axis))
      a.outerVars.push_back(v[i]);
  a.atR = inputIdx(inputRank, {axis}, r, std::vector<Expr>(a.outerVars.begin(), a.outerVars.end()));
  return a;
}

/// The int32 position of the first (or last) element along `axis` equal to the maximum (or
/// minimum) of its line, as a Func of the line's variables; appends its stages to `stages`.
Halide::Func extremePosition(const TensorFunc& x, int axis, const AlongAxis& a,
                             const Halide::RDom& r, bool isMax, bool last,
                             std::vector<Halide::Func>& stages, const Lowering& lw) {
  Halide::Type t = halideType(x.type.dtype, lw);
  int n = static_cast<int>(x.type.shape[axis]);
  auto ho = halideOrder(a.outerVars);
  Halide::Func ext("arg_extreme"), pos("arg_position");
  Expr value = x(a.atR);
  ext(ho) = isMax ? t.min() : t.max();
  ext(ho) = isMax ? Halide::max(ext(ho), value) : Halide::min(ext(ho), value);
  Expr hit = value == ext(ho);
  if (last) {
    pos(ho) = -1;
    pos(ho) = Halide::max(pos(ho), Halide::select(hit, r.x, -1));
  } else {
    pos(ho) = n;
    pos(ho) = Halide::min(pos(ho), Halide::select(hit, r.x, n));
  }
  stages.push_back(ext);
  stages.push_back(pos);
  return pos;
}

/// ArgMax/ArgMin: the index of the extreme value along the axis, first occurrence unless
/// select_last_index (ONNX ArgMax-13).
Expected<TensorFunc> argExtreme(const Op& op, const std::vector<TensorFunc>& in,
                                const Lowering& lw) {
  const auto& a = op.attr<ArgAttrs>();
  int axis = static_cast<int>(a.axis);
  auto v = makeVars(op.result->type.rank());
  Halide::RDom r = rdomOver(in[0].type.shape, {axis});
  AlongAxis along = alongAxis(v, axis, a.keepdims, in[0].type.rank(), r);
  std::vector<Halide::Func> stages;
  Halide::Func pos = extremePosition(in[0], axis, along, r, op.kind == OpKind::ArgMax,
                                     a.selectLastIndex, stages, lw);
  TensorFunc out =
      pureResult(op, v, Halide::cast(Halide::Int(64), pos(halideOrder(along.outerVars))));
  out.stages.insert(out.stages.begin(), stages.begin(), stages.end());
  return out;
}

/// Hardmax-13: 1 at the first maximum along the axis, 0 elsewhere.
Expected<TensorFunc> hardmax(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  auto v = makeVars(op.result->type.rank());
  Halide::RDom r = rdomOver(in[0].type.shape, {axis});
  AlongAxis along = alongAxis(v, axis, true, in[0].type.rank(), r);
  std::vector<Halide::Func> stages;
  Halide::Func pos = extremePosition(in[0], axis, along, r, true, false, stages, lw);
  Halide::Type t = halideType(op.result->type.dtype, lw);
  Expr y = Halide::select(v[axis] == pos(halideOrder(along.outerVars)), constant(t, 1),
                          constant(t, 0));
  TensorFunc out = pureResult(op, v, y);
  out.stages.insert(out.stages.begin(), stages.begin(), stages.end());
  return out;
}

/// TopK-11: an element's rank along the axis is the number of elements that come before it in
/// the sorted order (larger, or equal at a lower index; smaller for largest=0); output position j
/// takes the element of rank j. Values read the input there; indices are int64.
Expected<TensorFunc> topK(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<TopKAttrs>();
  const TensorFunc& x = in[0];
  int axis = static_cast<int>(a.axis);
  int rank = x.type.rank();
  auto v = makeVars(rank);
  auto hv = halideOrder(v);
  Halide::RDom r = rdomOver(x.type.shape, {axis});
  Idx atR = asIdx(v);
  atR[axis] = r.x;
  Expr other = x(atR), self = x(asIdx(v));
  Expr before = a.largest ? other > self : other < self;
  before = before || (other == self && r.x < v[axis]);
  Halide::Func order("top_k_rank"), pos("top_k_position");
  order(hv) = 0;
  order(hv) += Halide::select(before, 1, 0);
  pos(hv) = 0;
  pos(hv) += Halide::select(order(halideOrder(atR)) == v[axis], r.x, 0);
  Expr y;
  if (op.kind == OpKind::TopKIndices) {
    y = Halide::cast(Halide::Int(64), pos(hv));
  } else {
    Idx at = asIdx(v);
    at[axis] = Halide::clamp(pos(hv), 0, static_cast<int>(x.type.shape[axis]) - 1); // for bounds
    y = x(at);
  }
  TensorFunc out = pureResult(op, v, y);
  out.stages.insert(out.stages.begin(), {order, pos});
  return out;
}

/// The scan of `x` along `axis` at the output point `v` (CumSum-14 / CumProd-26), running from
/// the first position (or from the last for reverse=1); with exclusive=1 the scan at a position
/// leaves out its own element (the identity at the first scanned position). The reversed
/// direction lives in the update's RDom only, so no pure stage reads backwards.
Expr scanAlong(const TensorFunc& x, int axis, const CumAttrs& a, bool prod,
               const std::vector<Halide::Var>& v, std::vector<Halide::Func>& stages,
               const Lowering& lw) {
  int n = static_cast<int>(x.type.shape[axis]);
  Halide::Type t = halideType(x.type.dtype, lw);
  auto hv = halideOrder(v);
  Expr k = v[axis];
  int step = a.reverse ? 1 : -1; // from a position to the one scanned just before it
  Halide::Func src(fmt::format("cum_source_{}", axis)), scan(fmt::format("cum_scan_{}", axis));
  if (a.exclusive) {
    Idx before = asIdx(v);
    before[axis] = Halide::clamp(k + step, 0, n - 1);
    src(hv) = Halide::select(k == (a.reverse ? n - 1 : 0), constant(t, prod ? 1 : 0), x(before));
  } else {
    src(hv) = x(asIdx(v));
  }
  scan(hv) = src(hv);
  if (n > 1) {
    Halide::RDom r(0, n - 1);
    Idx cur = asIdx(v), prev = asIdx(v);
    cur[axis] = a.reverse ? (n - 2) - r.x : r.x + 1;
    prev[axis] = cur[axis] + step;
    Expr acc = scan(halideOrder(prev)), next = src(halideOrder(cur));
    scan(halideOrder(cur)) = prod ? acc * next : acc + next;
  }
  stages.push_back(src);
  stages.push_back(scan);
  return scan(hv);
}

/// CumSum / CumProd. With a runtime axis operand, every axis is scanned and the result selects
/// the scan of the axis the operand names (a negative axis counts from the end).
Expected<TensorFunc> cumulative(const Op& op, const std::vector<TensorFunc>& in,
                                const Lowering& lw) {
  const auto& a = op.attr<CumAttrs>();
  const TensorFunc& x = in[0];
  bool prod = op.kind == OpKind::CumProd;
  int rank = x.type.rank();
  auto v = makeVars(rank);
  std::vector<Halide::Func> stages;
  Expr y;
  if (in.size() == 1) {
    y = scanAlong(x, static_cast<int>(a.axis), a, prod, v, stages, lw);
  } else {
    Expr axis = Halide::cast(Halide::Int(32), in[1](Idx(in[1].type.rank(), 0)));
    axis = Halide::select(axis < 0, axis + rank, axis);
    for (int i = rank - 1; i >= 0; --i) {
      Expr s = scanAlong(x, i, a, prod, v, stages, lw);
      y = i == rank - 1 ? s : Halide::select(axis == i, s, y);
    }
  }
  TensorFunc out = pureResult(op, v, y);
  out.stages.insert(out.stages.begin(), stages.begin(), stages.end());
  return out;
}

const AlgorithmRow kRows[] = {
    // kind, Halide algorithm, work estimate, half-precision rule (Algorithm.h)
    {OpKind::ReduceMean, reduce, workElements, nullptr},
    {OpKind::ReduceSum, reduce, workElements, nullptr},
    {OpKind::ReduceMax, reduce, workElements, nullptr},
    {OpKind::ReduceMin, reduce, workElements, nullptr},
    {OpKind::ReduceProd, reduce, workElements, nullptr},
    {OpKind::Softmax, softmax, workElements, nullptr},
    {OpKind::LogSoftmax, softmax, workElements, nullptr},
    {OpKind::LayerNorm, layerNorm, workElements, nullptr},
    {OpKind::BatchNorm, batchNorm, workElements, nullptr},
    {OpKind::ArgMax, argExtreme, workElements, nullptr},
    {OpKind::ArgMin, argExtreme, workElements, nullptr},
    {OpKind::Hardmax, hardmax, workElements, nullptr},
    {OpKind::TopK, topK, workElements, nullptr},
    {OpKind::TopKIndices, topK, workElements, nullptr},
    {OpKind::CumSum, cumulative, workElements, nullptr},
    {OpKind::CumProd, cumulative, workElements, nullptr},
};
} // namespace

std::span<const AlgorithmRow> reduceAlgorithms() { return kRows; }

} // namespace dnncc::hl
