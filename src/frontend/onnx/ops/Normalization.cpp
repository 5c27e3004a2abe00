// ONNX normalisations decomposed into IR reductions and element-wise ops: RMSNormalization,
// MeanVarianceNormalization, InstanceNormalization, GroupNormalization, LRN, and the
// LayerNormalization form with the Mean and InvStdDev outputs.
#include <cmath>

#include <fmt/format.h>

#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

/// Moments of `x` over `axes` (kept as size-1 dims): mean, x - mean and 1 / sqrt(var + epsilon),
/// var = mean((x - mean)^2) (the ONNX LayerNormalization function body, two-pass form).
struct Moments {
  Value* mean;
  Value* centered;
  Value* invStdDev;
};

Expected<Moments> moments(Composer& b, Value* x, const IntList& axes, double epsilon) {
  DType t = x->type.dtype;
  DNNCC_ASSIGN_OR_RETURN(Value * mean, b.reduce(OpKind::ReduceMean, x, axes, true));
  DNNCC_ASSIGN_OR_RETURN(Value * d, b.op(OpKind::Sub, {x, mean}));
  DNNCC_ASSIGN_OR_RETURN(Value * d2, b.op(OpKind::Mul, {d, d}));
  DNNCC_ASSIGN_OR_RETURN(Value * var, b.reduce(OpKind::ReduceMean, d2, axes, true));
  DNNCC_ASSIGN_OR_RETURN(Value * ve, b.op(OpKind::Add, {var, b.scalar(t, epsilon)}));
  DNNCC_ASSIGN_OR_RETURN(Value * sd, b.op(OpKind::Sqrt, {ve}));
  DNNCC_ASSIGN_OR_RETURN(Value * inv, b.op(OpKind::Reciprocal, {sd}));
  return Moments{mean, d, inv};
}

/// The compute type of a normalisation with `stash_type` (ONNX: 1 = float32, the default).
Expected<DType> stashType(NodeContext& c) {
  int64_t stash = c.attrInt("stash_type", 1);
  std::optional<DType> t = dtypeFromOnnx(static_cast<int>(stash));
  if (!t || !isFloat(*t))
    return Status::error(fmt::format("stash_type={} is not a floating-point type", stash),
                         c.where());
  return *t;
}

} // namespace

/// LayerNormalization-17 with its optional Mean and InvStdDev outputs ([d0..d(axis-1), 1, ...]):
/// the function body of the spec, computed in the stash type.
Status layerNormWithStats(NodeContext& c, Value* x, Value* scale, Value* bias, int axis,
                          double epsilon) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(DType stash, stashType(c));
  IntList axes;
  for (int i = axis; i < x->type.rank(); ++i)
    axes.push_back(i);
  DNNCC_ASSIGN_OR_RETURN(Value * xs, b.cast(x, stash));
  DNNCC_ASSIGN_OR_RETURN(Moments m, moments(b, xs, axes, epsilon));
  DNNCC_ASSIGN_OR_RETURN(Value * norm, b.op(OpKind::Mul, {m.centered, m.invStdDev}));
  DNNCC_ASSIGN_OR_RETURN(norm, b.cast(norm, x->type.dtype));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Mul, {norm, scale}));
  if (bias) {
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Add, {y, bias}));
  }
  DNNCC_TRY(c.setOutput(0, y));
  DNNCC_TRY(c.setOutput(1, m.mean));
  return c.setOutput(2, m.invStdDev);
}

Status rmsNormWithStats(NodeContext& c, Value* x, Value* scale, int axis, double epsilon,
                        int yOutput, int invOutput) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(DType stash, stashType(c));
  IntList axes;
  for (int i = axis; i < x->type.rank(); ++i)
    axes.push_back(i);
  DNNCC_ASSIGN_OR_RETURN(Value * xs, b.cast(x, stash));
  DNNCC_ASSIGN_OR_RETURN(Value * x2, b.op(OpKind::Mul, {xs, xs}));
  DNNCC_ASSIGN_OR_RETURN(Value * ms, b.reduce(OpKind::ReduceMean, x2, axes, true));
  DNNCC_ASSIGN_OR_RETURN(Value * mse, b.op(OpKind::Add, {ms, b.scalar(stash, epsilon)}));
  DNNCC_ASSIGN_OR_RETURN(Value * rms, b.op(OpKind::Sqrt, {mse}));
  DNNCC_ASSIGN_OR_RETURN(Value * inv, b.op(OpKind::Reciprocal, {rms}));
  DNNCC_ASSIGN_OR_RETURN(Value * norm, b.op(OpKind::Mul, {xs, inv}));
  DNNCC_ASSIGN_OR_RETURN(norm, b.cast(norm, x->type.dtype));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Mul, {norm, scale}));
  DNNCC_TRY(c.setOutput(yOutput, y));
  return invOutput >= 0 ? c.setOutput(invOutput, inv) : Status::ok();
}

namespace {

/// RMSNormalization-23: Y = X / sqrt(mean(X^2 over axes [axis, rank)) + epsilon) * scale.
Status rmsNorm(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * scale, c.input(1));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", -1), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  return rmsNormWithStats(c, x, scale, *axis, c.attrFloat("epsilon", 1e-5), 0, -1);
}

/// MeanVarianceNormalization-13 (function body): (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9)
/// over `axes` (default [0, 2, 3]).
Status meanVarianceNorm(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  IntList axes;
  for (int64_t a : c.attrInts("axes", {0, 2, 3})) {
    Expected<int> n = normalizeAxis(a, x->type.rank());
    if (!n)
      return c.error(n.status().message());
    axes.push_back(*n);
  }
  DType t = x->type.dtype;
  DNNCC_ASSIGN_OR_RETURN(Value * mean, b.reduce(OpKind::ReduceMean, x, axes, true));
  DNNCC_ASSIGN_OR_RETURN(Value * mean2, b.op(OpKind::Mul, {mean, mean}));
  DNNCC_ASSIGN_OR_RETURN(Value * x2, b.op(OpKind::Mul, {x, x}));
  DNNCC_ASSIGN_OR_RETURN(Value * ex2, b.reduce(OpKind::ReduceMean, x2, axes, true));
  DNNCC_ASSIGN_OR_RETURN(Value * var, b.op(OpKind::Sub, {ex2, mean2}));
  DNNCC_ASSIGN_OR_RETURN(Value * sd, b.op(OpKind::Sqrt, {var}));
  DNNCC_ASSIGN_OR_RETURN(Value * d, b.op(OpKind::Sub, {x, mean}));
  DNNCC_ASSIGN_OR_RETURN(Value * sde, b.op(OpKind::Add, {sd, b.scalar(t, 1e-9)}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Div, {d, sde}));
  return c.setOutput(0, y);
}

/// `v` of shape [C] viewed as [C, 1, ..., 1] to broadcast over axis 1 of a rank-`rank` tensor.
Expected<Value*> perChannel(Composer& b, Value* v, int rank) {
  std::vector<int64_t> shape(rank - 1, 1);
  shape[0] = v->type.numElements();
  return b.reshape(v, shape);
}

/// InstanceNormalization-6: y = scale * (x - mean) / sqrt(var + epsilon) + B, the moments taken
/// over the spatial axes of each (n, c); scale and B have shape [C].
Status instanceNorm(NodeContext& c) {
  c.ignoreConsumedInputs(); // InstanceNormalization-1
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * scale, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * bias, c.input(2));
  int rank = x->type.rank();
  if (rank < 3)
    return c.error(fmt::format("input rank {} is below 3", rank));
  if (scale->type.numElements() != x->type.shape[1] || bias->type.numElements() != x->type.shape[1])
    return c.error(fmt::format("scale and B must have {} elements", x->type.shape[1]));
  IntList axes;
  for (int i = 2; i < rank; ++i)
    axes.push_back(i);
  DNNCC_ASSIGN_OR_RETURN(Moments m, moments(b, x, axes, c.attrFloat("epsilon", 1e-5)));
  DNNCC_ASSIGN_OR_RETURN(Value * norm, b.op(OpKind::Mul, {m.centered, m.invStdDev}));
  DNNCC_ASSIGN_OR_RETURN(Value * s, perChannel(b, scale, rank));
  DNNCC_ASSIGN_OR_RETURN(Value * bb, perChannel(b, bias, rank));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Mul, {norm, s}));
  DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Add, {y, bb}));
  return c.setOutput(0, y);
}

/// GroupNormalization-18/21: channels split into num_groups groups, each (n, group) normalised
/// over its channels and spatial positions; scale and bias are per group (18) or per channel (21).
Status groupNorm(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * scale, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * bias, c.input(2));
  DNNCC_ASSIGN_OR_RETURN(int64_t groups, c.requireInt("num_groups"));
  int rank = x->type.rank();
  if (rank < 2)
    return c.error(fmt::format("input rank {} is below 2", rank));
  int64_t n = x->type.shape[0], channels = x->type.shape[1];
  if (groups <= 0 || channels % groups != 0)
    return c.error(fmt::format("num_groups={} does not divide {} channels", groups, channels));
  int64_t paramSize = c.opset() >= 21 ? channels : groups;
  if (scale->type.numElements() != paramSize || bias->type.numElements() != paramSize)
    return c.error(fmt::format("scale and bias must have {} elements", paramSize));
  DType stash = x->type.dtype;
  if (c.opset() >= 21) {
    DNNCC_ASSIGN_OR_RETURN(stash, stashType(c));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * xs, b.cast(x, stash));
  DNNCC_ASSIGN_OR_RETURN(Value * grouped,
                         b.reshape(xs, {n, groups, x->type.numElements() / (n * groups)}));
  DNNCC_ASSIGN_OR_RETURN(Moments m, moments(b, grouped, {2}, c.attrFloat("epsilon", 1e-5)));
  DNNCC_ASSIGN_OR_RETURN(Value * norm, b.op(OpKind::Mul, {m.centered, m.invStdDev}));
  DNNCC_ASSIGN_OR_RETURN(norm, b.reshape(norm, x->type.shape));
  DNNCC_ASSIGN_OR_RETURN(norm, b.cast(norm, x->type.dtype));
  auto perChannelParam = [&](Value* v) -> Expected<Value*> {
    if (paramSize == groups && groups != channels) { // opset 18: repeat each group's value
      DNNCC_ASSIGN_OR_RETURN(Value * g, b.reshape(v, {groups, 1}));
      DNNCC_ASSIGN_OR_RETURN(g, b.expand(g, {groups, channels / groups}));
      DNNCC_ASSIGN_OR_RETURN(v, b.reshape(g, {channels}));
    }
    return perChannel(b, v, rank);
  };
  DNNCC_ASSIGN_OR_RETURN(Value * s, perChannelParam(scale));
  DNNCC_ASSIGN_OR_RETURN(Value * bb, perChannelParam(bias));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Mul, {norm, s}));
  DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Add, {y, bb}));
  return c.setOutput(0, y);
}

/// LRN-13: y = x / (bias + alpha / size * square_sum)^beta, square_sum[n, c] summing x^2 over
/// channels [c - floor((size-1)/2), c + ceil((size-1)/2)] inside [0, C).
Status lrn(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(int64_t size, c.requireInt("size"));
  int rank = x->type.rank();
  if (rank < 3)
    return c.error(fmt::format("input rank {} is below 3", rank));
  if (size <= 0)
    return c.error(fmt::format("size={} must be positive", size));
  double alpha = c.attrFloat("alpha", 1e-4), beta = c.attrFloat("beta", 0.75),
         bias = c.attrFloat("bias", 1.0);
  DType t = x->type.dtype;
  int64_t channels = x->type.shape[1];
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  DNNCC_ASSIGN_OR_RETURN(Value * sq, b.op(OpKind::Mul, {x, x}));
  IntList pads(2 * rank, 0);
  pads[1] = before;
  pads[rank + 1] = after;
  DNNCC_ASSIGN_OR_RETURN(Value * padded, b.op(OpKind::Pad, {sq}, PadAttrs{pads}));
  Value* sum = nullptr;
  for (int64_t k = 0; k < size; ++k) {
    DNNCC_ASSIGN_OR_RETURN(Value * part, b.slice(padded, 1, k, channels));
    if (!sum) {
      sum = part;
    } else {
      DNNCC_ASSIGN_OR_RETURN(sum, b.op(OpKind::Add, {sum, part}));
    }
  }
  DNNCC_ASSIGN_OR_RETURN(Value * scaled, b.op(OpKind::Mul, {sum, b.scalar(t, alpha / size)}));
  DNNCC_ASSIGN_OR_RETURN(Value * base, b.op(OpKind::Add, {scaled, b.scalar(t, bias)}));
  DNNCC_ASSIGN_OR_RETURN(Value * den, b.op(OpKind::Pow, {base, b.scalar(t, beta)}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Div, {x, den}));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"RMSNormalization", 23, kMax, rmsNorm},
    {"MeanVarianceNormalization", 9, kMax, meanVarianceNorm},
    {"InstanceNormalization", 1, kMax, instanceNorm},
    {"GroupNormalization", 18, kMax, groupNorm},
    {"LRN", 1, kMax, lrn},
};
} // namespace

std::span<const ConverterRow> normalizationConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
