// Halide algorithms of reductions and normalisations (ONNX Reduce*, Softmax, LogSoftmax,
// LayerNormalization, BatchNormalization in inference mode).
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

Expected<TensorFunc> reduce(const Op& op, const std::vector<TensorFunc>& in) {
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
  Halide::Type t = halideType(x.type.dtype);
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
Expected<TensorFunc> softmax(const Op& op, const std::vector<TensorFunc>& in) {
  const TensorFunc& x = in[0];
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  int rank = x.type.rank();
  Halide::Type t = halideType(x.type.dtype);
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
Expected<TensorFunc> layerNorm(const Op& op, const std::vector<TensorFunc>& in) {
  const TensorFunc& x = in[0];
  int axis = static_cast<int>(op.attr<LayerNormAttrs>().axis);
  int rank = x.type.rank();
  Halide::Type t = halideType(x.type.dtype);
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

Expected<TensorFunc> batchNorm(const Op& op, const std::vector<TensorFunc>& in) {
  auto v = makeVars(op.result->type.rank());
  Halide::Type t = halideType(in[0].type.dtype);
  Expr c = v[1];
  Expr eps = constant(t, op.attr<BatchNormAttrs>().epsilon);
  Expr y = (in[0](asIdx(v)) - in[3]({c})) / Halide::sqrt(in[4]({c}) + eps) * in[1]({c}) +
           in[2]({c});
  return pureResult(op, v, y);
}

const AlgorithmRow kRows[] = {
    {OpKind::ReduceMean, reduce}, {OpKind::ReduceSum, reduce},     {OpKind::ReduceMax, reduce},
    {OpKind::ReduceMin, reduce},  {OpKind::ReduceProd, reduce},    {OpKind::Softmax, softmax},
    {OpKind::LogSoftmax, softmax}, {OpKind::LayerNorm, layerNorm}, {OpKind::BatchNorm, batchNorm},
};
} // namespace

std::span<const AlgorithmRow> reduceAlgorithms() { return kRows; }

} // namespace dnncc::hl
