// The sampling family: ONNX GridSample and RoiAlign (IR ops of ir/ops/Sample.cpp), AffineGrid
// (a constant base grid times theta), and Resize
// (opsets 10-19+) and Upsample (7-9) -> IR, as a separable decomposition: shapes
// and scales are static, so for each resized axis the importer computes, per output position, the
// input taps (edge-clamped indices) and their weights, following the ONNX Resize spec and its
// reference implementation (onnx/reference/ops/op_resize.py: coordinate transform, floor(x) with
// ratio 1 at integer x, neighbour window, nearest/linear/cubic and antialias coefficients,
// exclude_outside, tf_crop_and_resize extrapolation). One axis becomes
//   gather(x, taps [O, n], axis) * weights [O, n, 1...] -> reduce_sum over the tap axis,
// or a single gather for nearest, and a `where` with a constant mask for extrapolated positions.
// With scales, a tf_crop_and_resize roi or keep_aspect_ratio_policy sizes known only at run time
// the same taps and weights are computed by IR ops from the run's values (runtimeTaps), for the
// declared output shape. GridSample (data-dependent positions) is its own IR op, grid_sample.
#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

enum class Interp { nearest, linear, cubic };
enum class Coord {
  halfPixel,
  halfPixelSymmetric,
  pytorchHalfPixel,
  alignCorners,
  asymmetric,
  tfHalfPixelForNn,
  tfCropAndResize
};
enum class NearestRound { preferFloor, preferCeil, floor, ceil };

/// The attributes of one Resize node, resolved.
struct ResizeParams {
  Interp mode = Interp::nearest;
  Coord coord = Coord::halfPixel;
  NearestRound nearest = NearestRound::preferFloor;
  double cubicA = -0.75;
  bool excludeOutside = false;
  bool antialias = false;
  double extrapolation = 0;
};

/// The taps of one resized axis: `taps` entries per output position.
struct AxisPlan {
  int64_t taps = 0;
  std::vector<int64_t> index;   ///< [out, taps], clamped into [0, in)
  std::vector<double> weight;   ///< [out, taps]
  std::vector<uint8_t> outside; ///< [out]: tf_crop_and_resize position outside the input
  bool anyOutside = false;
};

/// Interpolation coefficients for a position `ratio` in (0, 1] past the left neighbour, into `c`
/// (its capacity reused: planAxis calls this once per output position, millions of times for a
/// large upscale).
void coefficients(const ResizeParams& p, double ratio, double scale, std::vector<double>& c) {
  switch (p.mode) {
  case Interp::nearest: {
    if (ratio == 1.0) {
      c.assign({0, 1});
      return;
    }
    bool right = false;
    switch (p.nearest) {
    case NearestRound::preferFloor:
      right = ratio > 0.5;
      break;
    case NearestRound::preferCeil:
      right = ratio >= 0.5;
      break;
    case NearestRound::floor:
      right = false;
      break;
    case NearestRound::ceil:
      right = true;
      break;
    }
    c.assign({right ? 0.0 : 1.0, right ? 1.0 : 0.0});
    return;
  }
  case Interp::linear: {
    if (!p.antialias) {
      c.assign({1 - ratio, ratio});
      return;
    }
    // Antialias (downsampling): a triangle filter stretched by 1/scale, normalised.
    double s = std::min(scale, 1.0);
    int64_t start = static_cast<int64_t>(std::floor(-1 / s)) + 1;
    int64_t footprint = 2 - 2 * start;
    c.clear();
    double sum = 0;
    for (int64_t j = 0; j < footprint; ++j) {
      double arg = (static_cast<double>(start + j) - ratio) * s;
      c.push_back(std::clamp(1 - std::abs(arg), 0.0, 1.0));
      sum += c.back();
    }
    for (double& v : c)
      v /= sum;
    return;
  }
  case Interp::cubic: {
    double a = p.cubicA;
    if (!p.antialias) {
      double r1 = ratio + 1, q = 1 - ratio, q1 = q + 1;
      c.assign({((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a,
                ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
                ((a + 2) * q - (a + 3)) * q * q + 1, ((a * q1 - 5 * a) * q1 + 8 * a) * q1 - 4 * a});
      return;
    }
    // Antialias: the cubic kernel stretched by 1/scale, normalised.
    double s = std::min(scale, 1.0);
    auto kernel = [a](double x) {
      x = std::abs(x);
      if (x <= 1)
        return (a + 2) * x * x * x - (a + 3) * x * x + 1;
      if (x < 2)
        return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a;
      return 0.0;
    };
    int64_t iStart = static_cast<int64_t>(std::floor(-2 / s)) + 1;
    int64_t iEnd = 2 - iStart;
    c.clear();
    double sum = 0;
    for (int64_t i = iStart; i < iEnd; ++i) {
      c.push_back(kernel(s * (static_cast<double>(i) - ratio)));
      sum += c.back();
    }
    for (double& v : c)
      v /= sum;
    return;
  }
  }
  c.clear();
}

/// The taps of one axis resized from `in` to `out` positions with `scale` (roi for
/// tf_crop_and_resize). x_original per the spec's coordinate_transformation_mode formulas, where
/// length_resized is scale * in (not rounded), as in the reference.
AxisPlan planAxis(const ResizeParams& p, int64_t in, int64_t out, double scale, double roiStart,
                  double roiEnd) {
  AxisPlan plan;
  std::vector<double> c;
  double outF = scale * static_cast<double>(in);
  double inF = static_cast<double>(in);
  for (int64_t yi = 0; yi < out; ++yi) {
    double y = static_cast<double>(yi);
    double x = 0;
    bool outside = false;
    switch (p.coord) {
    case Coord::alignCorners:
      x = outF == 1 ? 0.0 : y * (inF - 1) / (outF - 1);
      break;
    case Coord::asymmetric:
      x = y / scale;
      break;
    case Coord::tfHalfPixelForNn:
      x = (y + 0.5) / scale;
      break;
    case Coord::tfCropAndResize:
      x = outF == 1 ? (roiEnd - roiStart) * (inF - 1) / 2
                    : y * (roiEnd - roiStart) * (inF - 1) / (outF - 1);
      x += roiStart * (inF - 1);
      outside = x < 0 || x > inF - 1;
      break;
    case Coord::pytorchHalfPixel:
      x = outF == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
      break;
    case Coord::halfPixel:
      x = (y + 0.5) / scale - 0.5;
      break;
    case Coord::halfPixelSymmetric: {
      double adjustment = static_cast<double>(out) / outF;
      double offset = inF / 2 * (1 - adjustment);
      x = offset + (y + 0.5) / scale - 0.5;
      break;
    }
    }
    double xFloor = std::floor(x);
    double ratio = x == xFloor ? 1.0 : x - xFloor;
    coefficients(p, ratio, scale, c);
    auto n = static_cast<int64_t>(c.size());
    if (yi == 0) {
      plan.index.reserve(static_cast<size_t>(out * n));
      plan.weight.reserve(static_cast<size_t>(out * n));
      plan.outside.reserve(static_cast<size_t>(out));
    }
    plan.taps = n;
    // The n neighbours nearest to x, ties to the smaller index (reference _get_neighbor_idxes),
    // in a frame padded by ceil(n / 2) on each side.
    int64_t pad = (n + 1) / 2;
    double xp = x + static_cast<double>(pad);
    double pFloor = std::floor(xp);
    double frac = xp - pFloor;
    int64_t offset;
    if (n % 2 == 0)
      offset = frac == 0 ? -(n / 2) : -(n / 2) + 1;
    else
      offset = frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1;
    int64_t start = static_cast<int64_t>(pFloor) + offset - pad;
    if (p.excludeOutside) {
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        if (start + j < 0 || start + j >= in)
          c[j] = 0;
        sum += c[j];
      }
      if (sum != 0)
        for (double& v : c)
          v /= sum;
    }
    for (int64_t j = 0; j < n; ++j) {
      plan.index.push_back(std::clamp<int64_t>(start + j, 0, in - 1));
      plan.weight.push_back(c[j]);
    }
    plan.outside.push_back(outside ? 1 : 0);
    plan.anyOutside |= outside;
  }
  return plan;
}

/// Resizes axis `axis` of `x` [.., in, ..] to `out` positions from taps: `index` [out] for
/// nearest (the picked tap), else `index` and `weight` [out, n] (weight in x's type): one gather
/// along the axis, times the weights, summed over the taps. `outside` (bool [out], or null) marks
/// the positions that take the extrapolation value.
Expected<Value*> applyTaps(NodeContext& c, const ResizeParams& p, Value* x, int axis, Value* index,
                           Value* weight, Value* outside) {
  int rank = x->type.rank();
  int64_t out = index->type.shape[0];
  Value* y = nullptr;
  if (!weight) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Gather, {x, index}, AxisAttrs{axis}));
  } else {
    DNNCC_ASSIGN_OR_RETURN(Value * g, c.emit(OpKind::Gather, {x, index}, AxisAttrs{axis}));
    std::vector<int64_t> wshape = weight->type.shape;
    for (int i = axis + 1; i < rank; ++i)
      wshape.push_back(1);
    DNNCC_ASSIGN_OR_RETURN(weight, reshapeTo(c, weight, wshape));
    DNNCC_ASSIGN_OR_RETURN(Value * m, c.emit(OpKind::Mul, {g, weight}));
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::ReduceSum, {m}, ReduceAttrs{{axis + 1}, false}));
  }
  if (outside) {
    std::vector<int64_t> mshape{out};
    for (int i = axis + 1; i < rank; ++i)
      mshape.push_back(1);
    DNNCC_ASSIGN_OR_RETURN(Value * mask, reshapeTo(c, outside, mshape));
    Value* e =
        c.constant(TensorType{x->type.dtype, {}}, scalarBytes(x->type.dtype, p.extrapolation));
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Where, {mask, e, y}));
  }
  return y;
}

/// Resizes axis `axis` of `x` by `plan` (constant taps).
Expected<Value*> resizeAxis(NodeContext& c, const ResizeParams& p, Value* x, int axis,
                            const AxisPlan& plan) {
  auto out = static_cast<int64_t>(plan.outside.size());
  Value* outside =
      plan.anyOutside ? c.constant(TensorType{DType::boolean, {out}}, plan.outside) : nullptr;
  if (p.mode == Interp::nearest) {
    // One-hot coefficients: pick the tap with weight 1 (exact for every element type).
    std::vector<int64_t> picked;
    for (int64_t o = 0; o < out; ++o)
      for (int64_t j = 0; j < plan.taps; ++j)
        if (plan.weight[o * plan.taps + j] != 0) {
          picked.push_back(plan.index[o * plan.taps + j]);
          break;
        }
    if (static_cast<int64_t>(picked.size()) != out)
      return c.error("nearest resize found no tap (exclude_outside removed every neighbour)");
    return applyTaps(c, p, x, axis, i64Constant(c, {out}, picked), nullptr, outside);
  }
  Composer b(c); // one pass over the weights: an upscale by 2^19 has millions of them
  Value* weights = b.tensor(x->type.dtype, {out, plan.taps}, plan.weight);
  return applyTaps(c, p, x, axis, i64Constant(c, {out, plan.taps}, plan.index), weights, outside);
}

/// Taps computed at run time (runtimeTaps): `index` [out] (nearest) or `index` and `weight`
/// [out, n]; `outside` (bool [out]) the tf_crop_and_resize positions outside the input, else null.
struct RuntimeTaps {
  Value* index = nullptr;
  Value* weight = nullptr;
  Value* outside = nullptr;
};

/// The taps of one axis resized from `in` to `out` positions with a scale or a roi known only at
/// run time (`scale`, and for tf_crop_and_resize `roiStart` and `roiEnd`: f64 scalars):
/// planAxis's formulas as f64 tensor ops over the output positions, for nearest, linear and cubic
/// without antialias (two or four neighbours) and every coordinate transform.
Expected<RuntimeTaps> runtimeTaps(NodeContext& c, const ResizeParams& p, int64_t in, int64_t out,
                                  Value* scale, Value* roiStart, Value* roiEnd, DType weightType) {
  Composer b(c);
  auto k = [&](double v) { return b.scalar(DType::f64, v); };
  auto op = [&](OpKind kind, std::vector<Value*> v) { return b.op(kind, std::move(v)); };
  std::vector<double> iota(out);
  for (int64_t i = 0; i < out; ++i)
    iota[i] = static_cast<double>(i);
  Value* y = b.tensor(DType::f64, {out}, iota);
  double inF = static_cast<double>(in);
  DNNCC_ASSIGN_OR_RETURN(Value * outF, op(OpKind::Mul, {scale, k(inF)}));
  DNNCC_ASSIGN_OR_RETURN(Value * yh, op(OpKind::Add, {y, k(0.5)}));
  DNNCC_ASSIGN_OR_RETURN(Value * yhs, op(OpKind::Div, {yh, scale})); // (y + 0.5) / scale
  DNNCC_ASSIGN_OR_RETURN(Value * unit, op(OpKind::Equal, {outF, k(1)}));
  Value* x = nullptr;
  switch (p.coord) {
  case Coord::halfPixel: {
    DNNCC_ASSIGN_OR_RETURN(x, op(OpKind::Sub, {yhs, k(0.5)}));
    break;
  }
  case Coord::asymmetric: {
    DNNCC_ASSIGN_OR_RETURN(x, op(OpKind::Div, {y, scale}));
    break;
  }
  case Coord::tfHalfPixelForNn:
    x = yhs;
    break;
  case Coord::pytorchHalfPixel: {
    DNNCC_ASSIGN_OR_RETURN(Value * v, op(OpKind::Sub, {yhs, k(0.5)}));
    DNNCC_ASSIGN_OR_RETURN(x, op(OpKind::Where, {unit, k(-0.5), v}));
    break;
  }
  case Coord::alignCorners: {
    DNNCC_ASSIGN_OR_RETURN(Value * d, op(OpKind::Sub, {outF, k(1)}));
    DNNCC_ASSIGN_OR_RETURN(Value * v, op(OpKind::Mul, {y, k(inF - 1)}));
    DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Div, {v, d}));
    DNNCC_ASSIGN_OR_RETURN(x, op(OpKind::Where, {unit, k(0), v}));
    break;
  }
  case Coord::halfPixelSymmetric: {
    DNNCC_ASSIGN_OR_RETURN(Value * adjustment, op(OpKind::Div, {k(double(out)), outF}));
    DNNCC_ASSIGN_OR_RETURN(Value * offset, op(OpKind::Sub, {k(1), adjustment}));
    DNNCC_ASSIGN_OR_RETURN(offset, op(OpKind::Mul, {offset, k(inF / 2)}));
    DNNCC_ASSIGN_OR_RETURN(Value * v, op(OpKind::Sub, {yhs, k(0.5)}));
    DNNCC_ASSIGN_OR_RETURN(x, op(OpKind::Add, {v, offset}));
    break;
  }
  case Coord::tfCropAndResize: {
    if (!roiStart || !roiEnd)
      return c.error("tf_crop_and_resize needs a roi");
    // (out == 1 ? (end - start) (in - 1) / 2 : y (end - start) (in - 1) / (out - 1))
    // + start (in - 1), outside the input past [0, in - 1]
    DNNCC_ASSIGN_OR_RETURN(Value * span, op(OpKind::Sub, {roiEnd, roiStart}));
    DNNCC_ASSIGN_OR_RETURN(Value * half, op(OpKind::Mul, {span, k(inF - 1)}));
    DNNCC_ASSIGN_OR_RETURN(half, op(OpKind::Div, {half, k(2)}));
    DNNCC_ASSIGN_OR_RETURN(Value * v, op(OpKind::Mul, {y, span}));
    DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Mul, {v, k(inF - 1)}));
    DNNCC_ASSIGN_OR_RETURN(Value * d, op(OpKind::Sub, {outF, k(1)}));
    DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Div, {v, d}));
    DNNCC_ASSIGN_OR_RETURN(x, op(OpKind::Where, {unit, half, v}));
    DNNCC_ASSIGN_OR_RETURN(Value * shift, op(OpKind::Mul, {roiStart, k(inF - 1)}));
    DNNCC_ASSIGN_OR_RETURN(x, op(OpKind::Add, {x, shift}));
    break;
  }
  }
  RuntimeTaps result;
  if (p.coord == Coord::tfCropAndResize) {
    DNNCC_ASSIGN_OR_RETURN(Value * below, op(OpKind::Less, {x, k(0)}));
    DNNCC_ASSIGN_OR_RETURN(Value * above, op(OpKind::Greater, {x, k(inF - 1)}));
    DNNCC_ASSIGN_OR_RETURN(result.outside, op(OpKind::Or, {below, above}));
  }
  // ratio in (0, 1]: x - floor(x), or 1 at an integer x.
  DNNCC_ASSIGN_OR_RETURN(Value * xFloor, op(OpKind::Floor, {x}));
  DNNCC_ASSIGN_OR_RETURN(Value * frac, op(OpKind::Sub, {x, xFloor}));
  DNNCC_ASSIGN_OR_RETURN(Value * whole, op(OpKind::Equal, {x, xFloor}));
  DNNCC_ASSIGN_OR_RETURN(Value * ratio, op(OpKind::Where, {whole, k(1), frac}));
  std::vector<Value*> coef;
  if (p.mode == Interp::nearest) {
    Value* right = nullptr;
    switch (p.nearest) {
    case NearestRound::preferFloor: {
      DNNCC_ASSIGN_OR_RETURN(right, op(OpKind::Greater, {ratio, k(0.5)}));
      break;
    }
    case NearestRound::preferCeil: {
      DNNCC_ASSIGN_OR_RETURN(Value * below, op(OpKind::Less, {ratio, k(0.5)}));
      DNNCC_ASSIGN_OR_RETURN(right, op(OpKind::Not, {below}));
      break;
    }
    case NearestRound::floor:
      right = b.bools({}, {false});
      break;
    case NearestRound::ceil:
      right = b.bools({}, {true});
      break;
    }
    DNNCC_ASSIGN_OR_RETURN(right, op(OpKind::Or, {right, whole})); // ratio 1: {0, 1}
    DNNCC_ASSIGN_OR_RETURN(Value * c1, op(OpKind::Where, {right, k(1), k(0)}));
    DNNCC_ASSIGN_OR_RETURN(Value * c0, op(OpKind::Sub, {k(1), c1}));
    coef = {c0, c1};
  } else if (p.mode == Interp::linear) {
    DNNCC_ASSIGN_OR_RETURN(Value * c0, op(OpKind::Sub, {k(1), ratio}));
    coef = {c0, ratio};
  } else { // cubic: Keys' kernel with A at distances 1 + r, r, 1 - r, 2 - r
    double a = p.cubicA;
    auto far = [&](Value* d) -> Expected<Value*> { // ((a d - 5a) d + 8a) d - 4a
      DNNCC_ASSIGN_OR_RETURN(Value * v, op(OpKind::Mul, {d, k(a)}));
      DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Sub, {v, k(5 * a)}));
      DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Mul, {v, d}));
      DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Add, {v, k(8 * a)}));
      DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Mul, {v, d}));
      return op(OpKind::Sub, {v, k(4 * a)});
    };
    auto near = [&](Value* d) -> Expected<Value*> { // ((a + 2) d - (a + 3)) d d + 1
      DNNCC_ASSIGN_OR_RETURN(Value * v, op(OpKind::Mul, {d, k(a + 2)}));
      DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Sub, {v, k(a + 3)}));
      DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Mul, {v, d}));
      DNNCC_ASSIGN_OR_RETURN(v, op(OpKind::Mul, {v, d}));
      return op(OpKind::Add, {v, k(1)});
    };
    DNNCC_ASSIGN_OR_RETURN(Value * r1, op(OpKind::Add, {ratio, k(1)}));
    DNNCC_ASSIGN_OR_RETURN(Value * q, op(OpKind::Sub, {k(1), ratio}));
    DNNCC_ASSIGN_OR_RETURN(Value * q1, op(OpKind::Add, {q, k(1)}));
    DNNCC_ASSIGN_OR_RETURN(Value * c0, far(r1));
    DNNCC_ASSIGN_OR_RETURN(Value * c1, near(ratio));
    DNNCC_ASSIGN_OR_RETURN(Value * c2, near(q));
    DNNCC_ASSIGN_OR_RETURN(Value * c3, far(q1));
    coef = {c0, c1, c2, c3};
  }
  auto n = static_cast<int64_t>(coef.size()); // 2 or 4: even
  // The n neighbours nearest to x, ties to the smaller index (as planAxis).
  int64_t pad = (n + 1) / 2;
  DNNCC_ASSIGN_OR_RETURN(Value * xp, op(OpKind::Add, {x, k(double(pad))}));
  DNNCC_ASSIGN_OR_RETURN(Value * pFloor, op(OpKind::Floor, {xp}));
  DNNCC_ASSIGN_OR_RETURN(Value * onGrid, op(OpKind::Equal, {xp, pFloor}));
  DNNCC_ASSIGN_OR_RETURN(Value * offset,
                         op(OpKind::Where, {onGrid, k(double(-(n / 2))), k(double(-(n / 2) + 1))}));
  DNNCC_ASSIGN_OR_RETURN(Value * start, op(OpKind::Add, {pFloor, offset}));
  DNNCC_ASSIGN_OR_RETURN(start, op(OpKind::Sub, {start, k(double(pad))}));
  std::vector<Value*> tap(n);
  Value* sum = nullptr;
  for (int64_t j = 0; j < n; ++j) {
    DNNCC_ASSIGN_OR_RETURN(tap[j], op(OpKind::Add, {start, k(double(j))}));
    if (p.excludeOutside) {
      DNNCC_ASSIGN_OR_RETURN(Value * below, op(OpKind::Less, {tap[j], k(0)}));
      DNNCC_ASSIGN_OR_RETURN(Value * above, op(OpKind::Greater, {tap[j], k(inF - 1)}));
      DNNCC_ASSIGN_OR_RETURN(Value * outside, op(OpKind::Or, {below, above}));
      DNNCC_ASSIGN_OR_RETURN(coef[j], op(OpKind::Where, {outside, k(0), coef[j]}));
      if (sum) {
        DNNCC_ASSIGN_OR_RETURN(sum, op(OpKind::Add, {sum, coef[j]}));
      } else {
        sum = coef[j];
      }
    }
    DNNCC_ASSIGN_OR_RETURN(tap[j], op(OpKind::Max, {tap[j], k(0)}));
    DNNCC_ASSIGN_OR_RETURN(tap[j], op(OpKind::Min, {tap[j], k(inF - 1)}));
    DNNCC_ASSIGN_OR_RETURN(tap[j], b.cast(tap[j], DType::i64));
  }
  if (sum) { // renormalise what exclude_outside kept (a zero sum keeps the zeros)
    DNNCC_ASSIGN_OR_RETURN(Value * zero, op(OpKind::Equal, {sum, k(0)}));
    DNNCC_ASSIGN_OR_RETURN(Value * divisor, op(OpKind::Where, {zero, k(1), sum}));
    for (Value*& cj : coef) {
      DNNCC_ASSIGN_OR_RETURN(cj, op(OpKind::Div, {cj, divisor}));
    }
  }
  if (p.mode == Interp::nearest) { // the first tap with a non-zero weight
    DNNCC_ASSIGN_OR_RETURN(Value * first, op(OpKind::Equal, {coef[0], k(0)}));
    DNNCC_ASSIGN_OR_RETURN(result.index, op(OpKind::Where, {first, tap[1], tap[0]}));
    return result;
  }
  std::vector<Value*> columns, weights;
  for (int64_t j = 0; j < n; ++j) {
    DNNCC_ASSIGN_OR_RETURN(Value * ic, b.reshape(tap[j], {out, 1}));
    columns.push_back(ic);
    DNNCC_ASSIGN_OR_RETURN(Value * wc, b.reshape(coef[j], {out, 1}));
    DNNCC_ASSIGN_OR_RETURN(wc, b.cast(wc, weightType));
    weights.push_back(wc);
  }
  DNNCC_ASSIGN_OR_RETURN(result.index, b.concat(columns, 1));
  DNNCC_ASSIGN_OR_RETURN(result.weight, b.concat(weights, 1));
  return result;
}

/// How a shape input known only at run time gives the resized axes their scales.
enum class RuntimeScale {
  scales,     ///< Resize-10+ / Upsample-9 scales: one per axis
  notLarger,  ///< Resize-18+ sizes with keep_aspect_ratio_policy not_larger
  notSmaller, ///< ... not_smaller
};

/// Resize with `scales`, or with keep_aspect_ratio_policy sizes, known only at run time (input
/// `input`), compiled for the declared output shape: each resized axis gets its taps computed at
/// run time from its scale (runtimeTaps): scales[i], or the one scale min (not_larger) or max
/// (not_smaller) over the axes of sizes[i] / extent (ONNX Resize, keep_aspect_ratio_policy). The
/// run checks that each declared extent is floor(scale * extent), or floor(scale * extent + 0.5)
/// under a policy (its rounding).
Status runtimeScaleResize(NodeContext& c, const ResizeParams& p, Value* x, IntList axes, int input,
                          RuntimeScale kind) {
  Composer b(c);
  int rank = x->type.rank();
  const char* what = kind == RuntimeScale::scales ? "scales" : "sizes";
  const std::vector<int64_t>* d = c.declaredShape(0);
  if (!d || static_cast<int>(d->size()) != rank)
    return c.runtimeShapeInputError(input, what);
  if (p.antialias)
    return c.error(fmt::format("antialias with {} known only at run time is not supported (its "
                               "number of taps depends on the scale)",
                               what));
  if (p.coord == Coord::tfCropAndResize)
    return c.error(
        fmt::format("tf_crop_and_resize with {} known only at run time is not supported", what));
  DNNCC_ASSIGN_OR_RETURN(std::vector<int> ax, axesOrAll(c, axes, rank));
  auto k = static_cast<int64_t>(ax.size());
  DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(input));
  if (v->type.numElements() != k)
    return c.error(fmt::format("{} has {} entries for {} axes", what, v->type.numElements(), k));
  for (int a = 0; a < rank; ++a)
    if (std::find(ax.begin(), ax.end(), a) == ax.end() && (*d)[a] != x->type.shape[a])
      return c.error(fmt::format("the declared output shape {} changes axis {}, which is not "
                                 "resized",
                                 shapeString(*d), a));
  DNNCC_ASSIGN_OR_RETURN(v, b.reshape(v, {k}));
  DNNCC_ASSIGN_OR_RETURN(v, b.cast(v, DType::f64));
  std::vector<Value*> scale(k);
  Value* common = nullptr; // a policy's one scale
  for (int64_t i = 0; i < k; ++i) {
    int64_t in = x->type.shape[ax[i]], out = (*d)[ax[i]];
    if (in == 0 || out <= 0)
      return c.error(fmt::format("axis {} resizes {} to {} positions", ax[i], in, out));
    DNNCC_ASSIGN_OR_RETURN(scale[i], b.slice(v, 0, i, 1));
    DNNCC_ASSIGN_OR_RETURN(scale[i], b.reshape(scale[i], {}));
    if (kind == RuntimeScale::scales)
      continue;
    DNNCC_ASSIGN_OR_RETURN(
        scale[i], b.op(OpKind::Div, {scale[i], b.scalar(DType::f64, static_cast<double>(in))}));
    if (common) {
      OpKind pick = kind == RuntimeScale::notLarger ? OpKind::Min : OpKind::Max;
      DNNCC_ASSIGN_OR_RETURN(common, b.op(pick, {common, scale[i]}));
    } else {
      common = scale[i];
    }
  }
  if (common)
    std::fill(scale.begin(), scale.end(), common);
  DNNCC_TRY(c.checkSize(*d, x->type.dtype));
  Value* y = x;
  for (int64_t i = 0; i < k; ++i) {
    int a = ax[i];
    int64_t in = x->type.shape[a], out = (*d)[a];
    DNNCC_ASSIGN_OR_RETURN(
        Value * extent,
        b.op(OpKind::Mul, {scale[i], b.scalar(DType::f64, static_cast<double>(in))}));
    if (common) {
      DNNCC_ASSIGN_OR_RETURN(extent, b.op(OpKind::Add, {extent, b.scalar(DType::f64, 0.5)}));
    }
    DNNCC_ASSIGN_OR_RETURN(extent, b.op(OpKind::Floor, {extent}));
    DNNCC_ASSIGN_OR_RETURN(Value * ok,
                           b.op(OpKind::Equal, {extent, b.scalar(DType::f64, double(out))}));
    DNNCC_TRY(c.checkAtRunTime(ok));
    DNNCC_ASSIGN_OR_RETURN(RuntimeTaps taps,
                           runtimeTaps(c, p, in, out, scale[i], nullptr, nullptr, x->type.dtype));
    DNNCC_ASSIGN_OR_RETURN(y, applyTaps(c, p, y, a, taps.index, taps.weight, taps.outside));
  }
  return c.setOutput(0, y);
}

/// A constant float tensor input as doubles (an absent input or an empty tensor gives {}).
Expected<std::vector<double>> constFloats(NodeContext& c, int i, std::string_view what) {
  if (!c.hasInput(i))
    return std::vector<double>{};
  DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
  if (!v->isConstant())
    return c.error(fmt::format("{} (input {}) must be a constant", what, i));
  std::vector<double> out;
  for (int64_t k = 0; k < v->type.numElements(); ++k) {
    if (v->type.dtype == DType::f32)
      out.push_back(static_cast<double>(v->dataAs<float>()[k]));
    else if (v->type.dtype == DType::f64)
      out.push_back(v->dataAs<double>()[k]);
    else
      return c.error(fmt::format("{} (input {}) must be float32 or float64", what, i));
  }
  return out;
}

/// The resize shared by Resize and Upsample once scales or sizes are known: `scales` or `sizes`
/// (one of them non-empty) over `axes`, `roi` as [starts..., ends...] over `axes`, or
/// `runtimeRoi` (the same, known only at run time: then tf_crop_and_resize's taps are computed
/// at run time, runtimeTaps).
Status resizeWith(NodeContext& c, const ResizeParams& p, Value* x, std::vector<double> scales,
                  std::vector<int64_t> sizes, IntList axes, std::vector<double> roi,
                  const std::string& policy, Value* runtimeRoi = nullptr) {
  int rank = x->type.rank();
  DNNCC_ASSIGN_OR_RETURN(std::vector<int> ax, axesOrAll(c, axes, rank));
  size_t k = ax.size();
  if (p.mode != Interp::nearest && x->type.dtype != DType::f32 && x->type.dtype != DType::f64)
    return c.error(fmt::format("linear and cubic resize need a float32 or float64 input, got {}",
                               dtypeName(x->type.dtype)));
  std::vector<double> scale(rank, 1.0);
  std::vector<int64_t> out = x->type.shape;
  if (!sizes.empty()) {
    if (sizes.size() != k)
      return c.error(fmt::format("sizes has {} entries for {} axes", sizes.size(), k));
    for (size_t i = 0; i < k; ++i) {
      out[ax[i]] = sizes[i];
      scale[ax[i]] = static_cast<double>(sizes[i]) / static_cast<double>(x->type.shape[ax[i]]);
    }
    if (policy != "stretch") {
      double s = scale[ax[0]];
      for (int a : ax)
        s = policy == "not_larger" ? std::min(s, scale[a]) : std::max(s, scale[a]);
      for (int a : ax) {
        scale[a] = s;
        out[a] = static_cast<int64_t>(s * static_cast<double>(x->type.shape[a]) + 0.5);
      }
    }
  } else {
    if (scales.size() != k)
      return c.error(fmt::format("scales has {} entries for {} axes", scales.size(), k));
    for (size_t i = 0; i < k; ++i) {
      if (!(scales[i] > 0) || !std::isfinite(scales[i]))
        return c.error(fmt::format("scale {} is not a positive number", scales[i]));
      double extent = scales[i] * static_cast<double>(x->type.shape[ax[i]]);
      if (extent > static_cast<double>(kMaxTensorBytes))
        return c.error(fmt::format("scale {} makes axis {} {:g} long", scales[i], ax[i], extent));
      scale[ax[i]] = scales[i];
      out[ax[i]] = static_cast<int64_t>(extent);
    }
  }
  // Every extent positive before any axis is planned: with a zero extent elsewhere the size check
  // passes whatever one axis's length, and planning that axis would take its length in time.
  for (int a : ax)
    if (out[a] <= 0)
      return c.error(fmt::format("output extent {} of axis {} is not positive (zero-size tensors "
                                 "are not supported)",
                                 out[a], a));
  DNNCC_TRY(c.checkSize(out, x->type.dtype));
  std::vector<double> roiStart(rank, 0.0), roiEnd(rank, 1.0);
  Composer b(c);
  if (runtimeRoi) {
    if (runtimeRoi->type.numElements() != static_cast<int64_t>(2 * k))
      return c.error(fmt::format("roi has {} entries for {} axes (tf_crop_and_resize needs "
                                 "[starts..., ends...])",
                                 runtimeRoi->type.numElements(), k));
    if (p.antialias)
      return c.error("antialias with a roi known only at run time is not supported");
    DNNCC_ASSIGN_OR_RETURN(runtimeRoi, b.reshape(runtimeRoi, {static_cast<int64_t>(2 * k)}));
    DNNCC_ASSIGN_OR_RETURN(runtimeRoi, b.cast(runtimeRoi, DType::f64));
  } else if (p.coord == Coord::tfCropAndResize) {
    if (roi.size() != 2 * k)
      return c.error(fmt::format("roi has {} entries for {} axes (tf_crop_and_resize needs "
                                 "[starts..., ends...])",
                                 roi.size(), k));
    for (size_t i = 0; i < k; ++i) {
      roiStart[ax[i]] = roi[i];
      roiEnd[ax[i]] = roi[k + i];
    }
  }
  Value* y = x;
  for (size_t i = 0; i < k; ++i) {
    int a = ax[i];
    if (runtimeRoi) {
      DNNCC_ASSIGN_OR_RETURN(Value * start, b.slice(runtimeRoi, 0, static_cast<int64_t>(i), 1));
      DNNCC_ASSIGN_OR_RETURN(start, b.reshape(start, {}));
      DNNCC_ASSIGN_OR_RETURN(Value * end, b.slice(runtimeRoi, 0, static_cast<int64_t>(k + i), 1));
      DNNCC_ASSIGN_OR_RETURN(end, b.reshape(end, {}));
      DNNCC_ASSIGN_OR_RETURN(RuntimeTaps taps, runtimeTaps(c, p, x->type.shape[a], out[a],
                                                           b.scalar(DType::f64, scale[a]), start,
                                                           end, x->type.dtype));
      DNNCC_ASSIGN_OR_RETURN(y, applyTaps(c, p, y, a, taps.index, taps.weight, taps.outside));
      continue;
    }
    bool identity = std::abs(scale[a] - 1.0) <= 1e-9 && out[a] == x->type.shape[a] &&
                    (p.coord != Coord::tfCropAndResize ||
                     (std::abs(roiStart[a]) <= 1e-9 && std::abs(roiEnd[a] - 1.0) <= 1e-9));
    if (identity)
      continue;
    AxisPlan plan = planAxis(p, x->type.shape[a], out[a], scale[a], roiStart[a], roiEnd[a]);
    DNNCC_ASSIGN_OR_RETURN(y, resizeAxis(c, p, y, a, plan));
  }
  return c.setOutput(0, y);
}

/// Resize-10: inputs X, scales; nearest or linear with the asymmetric transform (x / scale) and
/// nearest rounding down, as Upsample.
/// Resize-11+: X, roi, scales, sizes and the full attribute set (axes, antialias and
/// keep_aspect_ratio_policy from 18, half_pixel_symmetric from 19).
Status resize(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  ResizeParams p;
  std::string mode = c.attrString("mode", "nearest");
  if (mode == "nearest")
    p.mode = Interp::nearest;
  else if (mode == "linear")
    p.mode = Interp::linear;
  else if (mode == "cubic" && c.opset() >= 11)
    p.mode = Interp::cubic;
  else
    return c.error(fmt::format("mode='{}' is not nearest, linear or cubic", mode));
  if (c.opset() < 11) {
    p.coord = Coord::asymmetric;
    p.nearest = NearestRound::floor;
    if (c.isRuntimeInput(1))
      return runtimeScaleResize(c, p, x, {}, 1, RuntimeScale::scales);
    DNNCC_ASSIGN_OR_RETURN(std::vector<double> scales, constFloats(c, 1, "scales"));
    return resizeWith(c, p, x, scales, {}, {}, {}, "stretch");
  }
  std::string coord = c.attrString("coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel")
    p.coord = Coord::halfPixel;
  else if (coord == "half_pixel_symmetric" && c.opset() >= 19)
    p.coord = Coord::halfPixelSymmetric;
  else if (coord == "pytorch_half_pixel")
    p.coord = Coord::pytorchHalfPixel;
  else if (coord == "align_corners")
    p.coord = Coord::alignCorners;
  else if (coord == "asymmetric")
    p.coord = Coord::asymmetric;
  else if (coord == "tf_half_pixel_for_nn" && c.opset() < 13)
    p.coord = Coord::tfHalfPixelForNn;
  else if (coord == "tf_crop_and_resize")
    p.coord = Coord::tfCropAndResize;
  else
    return c.error(fmt::format("coordinate_transformation_mode='{}' is not supported at opset {}",
                               coord, c.opset()));
  std::string nearest = c.attrString("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor")
    p.nearest = NearestRound::preferFloor;
  else if (nearest == "round_prefer_ceil")
    p.nearest = NearestRound::preferCeil;
  else if (nearest == "floor")
    p.nearest = NearestRound::floor;
  else if (nearest == "ceil")
    p.nearest = NearestRound::ceil;
  else
    return c.error(fmt::format("nearest_mode='{}' is not supported", nearest));
  p.cubicA = c.attrFloat("cubic_coeff_a", -0.75);
  p.excludeOutside = c.attrInt("exclude_outside", 0) != 0;
  p.extrapolation = c.attrFloat("extrapolation_value", 0.0);
  IntList axes;
  std::string policy = "stretch";
  if (c.opset() >= 18) {
    p.antialias = c.attrInt("antialias", 0) != 0;
    axes = c.attrInts("axes");
    policy = c.attrString("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
      return c.error(fmt::format("keep_aspect_ratio_policy='{}' is not stretch, not_larger or "
                                 "not_smaller",
                                 policy));
  }
  if (p.antialias && p.mode == Interp::nearest)
    return c.error("antialias=1 is not defined for mode='nearest'");
  std::vector<double> roi;
  Value* runtimeRoi = nullptr;
  if (p.coord == Coord::tfCropAndResize && c.isRuntimeInput(1)) {
    DNNCC_ASSIGN_OR_RETURN(runtimeRoi, c.input(1));
    if (!isFloat(runtimeRoi->type.dtype))
      return c.error("roi (input 1) must be float32 or float64");
  } else if (p.coord == Coord::tfCropAndResize) {
    DNNCC_ASSIGN_OR_RETURN(roi, constFloats(c, 1, "roi"));
  }
  if (c.isRuntimeInput(3) && policy != "stretch")
    return runtimeScaleResize(c, p, x, axes, 3,
                              policy == "not_larger" ? RuntimeScale::notLarger
                                                     : RuntimeScale::notSmaller);
  if (c.isRuntimeInput(2) && !c.hasInput(3))
    return runtimeScaleResize(c, p, x, axes, 2, RuntimeScale::scales);
  DNNCC_ASSIGN_OR_RETURN(std::vector<double> scales, constFloats(c, 2, "scales"));
  std::vector<int64_t> sizes;
  if (c.isRuntimeInput(3) && policy == "stretch") { // the declared output shape on the axes
    const std::vector<int64_t>* d = c.declaredShape(0);
    if (!d || d->size() != x->type.shape.size())
      return c.runtimeShapeInputError(3, "sizes");
    std::vector<int64_t> implied;
    if (axes.empty())
      implied = *d;
    for (int64_t a : axes) {
      Expected<int> n = normalizeAxis(a, x->type.rank());
      if (!n)
        return c.error(n.status().message());
      implied.push_back((*d)[*n]);
    }
    DNNCC_ASSIGN_OR_RETURN(sizes, c.impliedInts(3, implied));
  } else if (c.hasInput(3)) {
    DNNCC_ASSIGN_OR_RETURN(sizes, c.constInts(3, "sizes"));
  }
  if (scales.empty() == sizes.empty())
    return c.error("exactly one of scales and sizes must be given");
  if (!scales.empty() && policy != "stretch")
    return c.error("keep_aspect_ratio_policy applies only with sizes");
  return resizeWith(c, p, x, scales, sizes, axes, roi, policy, runtimeRoi);
}

/// Upsample-7 (scales attribute) and Upsample-9 (scales input): nearest (index floor(y / scale))
/// or linear with the asymmetric transform x = y / scale.
Status upsample(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  ResizeParams p;
  std::string mode = c.attrString("mode", "nearest");
  if (mode == "nearest")
    p.mode = Interp::nearest;
  else if (mode == "linear")
    p.mode = Interp::linear;
  else
    return c.error(fmt::format("mode='{}' is not nearest or linear", mode));
  p.coord = Coord::asymmetric;
  p.nearest = NearestRound::floor;
  std::vector<double> scales;
  if (c.opset() >= 9 && c.isRuntimeInput(1))
    return runtimeScaleResize(c, p, x, {}, 1, RuntimeScale::scales);
  if (c.opset() >= 9) {
    DNNCC_ASSIGN_OR_RETURN(scales, constFloats(c, 1, "scales"));
  } else {
    scales = c.attrFloats("scales");
  }
  return resizeWith(c, p, x, scales, {}, {}, {}, "stretch");
}

/// GridSample-16 (modes bilinear/nearest/bicubic, 4-D) and -20+ (linear/nearest/cubic, N-D).
Status gridSample(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * grid, c.input(1));
  GridSampleAttrs a;
  bool old = c.opset() < 20;
  std::string mode = c.attrString("mode", old ? "bilinear" : "linear");
  if (mode == (old ? "bilinear" : "linear"))
    a.mode = GridSampleMode::linear;
  else if (mode == "nearest")
    a.mode = GridSampleMode::nearest;
  else if (mode == (old ? "bicubic" : "cubic"))
    a.mode = GridSampleMode::cubic;
  else
    return c.error(fmt::format("mode='{}' is not supported at opset {}", mode, c.opset()));
  std::string padding = c.attrString("padding_mode", "zeros");
  if (!parseEnum(padding, a.padding))
    return c.error(fmt::format("padding_mode='{}' is not zeros, border or reflection", padding));
  a.alignCorners = c.attrInt("align_corners", 0) != 0;
  if (old && x->type.rank() != 4)
    return c.error("GridSample before opset 20 needs a 4-D input");
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::GridSample, {x, grid}, a));
  return c.setOutput(0, y);
}

/// RoiAlign-10 (no coordinate_transformation_mode: output_half_pixel) and 16+ (default
/// half_pixel). sampling_ratio=0 (adaptive: samples per bin from the roi size at run time) is not
/// supported.
Status roiAlign(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * rois, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * idx, c.input(2));
  RoiAlignAttrs a;
  std::string mode = c.attrString("mode", "avg");
  if (mode != "avg" && mode != "max")
    return c.error(fmt::format("mode='{}' is not avg or max", mode));
  a.max = mode == "max";
  a.outputHeight = c.attrInt("output_height", 1);
  a.outputWidth = c.attrInt("output_width", 1);
  a.samplingRatio = c.attrInt("sampling_ratio", 0);
  a.spatialScale = c.attrFloat("spatial_scale", 1.0);
  std::string coord = c.opset() >= 16 ? c.attrString("coordinate_transformation_mode", "half_pixel")
                                      : "output_half_pixel";
  if (coord != "half_pixel" && coord != "output_half_pixel")
    return c.error(fmt::format("coordinate_transformation_mode='{}' is not half_pixel or "
                               "output_half_pixel",
                               coord));
  a.halfPixel = coord == "half_pixel";
  if (a.samplingRatio <= 0)
    return c.error("sampling_ratio=0 (adaptive sampling) is not supported");
  if (idx->type.dtype != DType::i64) {
    TensorType t{DType::i64, idx->type.shape};
    DNNCC_ASSIGN_OR_RETURN(idx, c.emit(OpKind::Cast, {idx}, CastAttrs{DType::i64}, &t));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::RoiAlign, {x, rois, idx}, a));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
/// AffineGrid-20 (the reference implementation): for theta [N, 2, 3] and size [N, C, H, W] the
/// sampling grid [N, H, W, 2] = theta . (x_w, y_h, 1) at each output position; for theta
/// [N, 3, 4] and size [N, C, D, H, W] the grid [N, D, H, W, 3] from (x_w, y_h, z_d, 1). The
/// normalised coordinates of position i of an axis of extent E: -1 + 2 i / (E - 1) with
/// align_corners, else -1 + (2 i + 1) / E. A `size` known only at run time is the declared
/// output's extents (C excluded), checked by the run.
Status affineGrid(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * theta, c.input(0));
  const auto& ts = theta->type.shape;
  if (ts.size() != 3 || !((ts[1] == 2 && ts[2] == 3) || (ts[1] == 3 && ts[2] == 4)) ||
      !isFloat(theta->type.dtype))
    return c.error(fmt::format("theta {} is not a float [N, 2, 3] or [N, 3, 4]", shapeString(ts)));
  int k = static_cast<int>(ts[1]); // spatial axes
  IntList size;                    // N, then the spatial extents (outermost first)
  if (c.isRuntimeInput(1)) {
    const std::vector<int64_t>* d = c.declaredShape(0);
    if (!d || static_cast<int>(d->size()) != k + 2)
      return c.runtimeShapeInputError(1, "size");
    size.assign(d->begin(), d->end() - 1);
    DNNCC_ASSIGN_OR_RETURN(Value * given, c.input(1));
    if (given->type.numElements() != k + 2)
      return c.error(
          fmt::format("size has {} entries for a {}-D grid", given->type.numElements(), k));
    DNNCC_ASSIGN_OR_RETURN(Value * n, b.slice(given, 0, 0, 1));
    DNNCC_ASSIGN_OR_RETURN(Value * spatial, b.slice(given, 0, 2, k));
    DNNCC_ASSIGN_OR_RETURN(Value * checked, b.concat({n, spatial}, 0));
    DNNCC_ASSIGN_OR_RETURN(Value * ok, c.equalsConstant(checked, size, {k + 1}));
    DNNCC_TRY(c.checkAtRunTime(ok));
  } else {
    DNNCC_ASSIGN_OR_RETURN(IntList given, c.constInts(1, "size"));
    if (static_cast<int>(given.size()) != k + 2)
      return c.error(fmt::format("size has {} entries for a {}-D grid", given.size(), k));
    size.push_back(given[0]);
    size.insert(size.end(), given.begin() + 2, given.end());
  }
  if (size[0] != ts[0])
    return c.error(fmt::format("size's batch {} is not theta's {}", size[0], ts[0]));
  std::vector<int64_t> out(size.begin(), size.end());
  out.push_back(k);
  DNNCC_TRY(c.checkSize(out, theta->type.dtype));
  bool align = c.attrInt("align_corners", 0) != 0;
  auto coordinate = [&](int64_t i, int64_t extent) {
    return align ? -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(extent - 1)
                 : -1.0 + (2.0 * static_cast<double>(i) + 1.0) / static_cast<double>(extent);
  };
  // The base grid [P, k + 1]: per position (row-major over the spatial axes) x, y (, z), 1.
  int64_t positions = 1;
  for (int a = 1; a <= k; ++a)
    positions *= size[a];
  std::vector<double> base;
  base.reserve(positions * (k + 1));
  for (int64_t p = 0; p < positions; ++p) {
    std::vector<double> coord(k); // innermost axis first: x, y, z
    int64_t rest = p;
    for (int a = k; a >= 1; --a) {
      coord[k - a] = coordinate(rest % size[a], size[a]);
      rest /= size[a];
    }
    base.insert(base.end(), coord.begin(), coord.end());
    base.push_back(1.0);
  }
  Value* grid = b.tensor(theta->type.dtype, {1, positions, k + 1}, base);
  DNNCC_ASSIGN_OR_RETURN(Value * thetaT, b.transpose(theta, {0, 2, 1}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::MatMul, {grid, thetaT}));
  DNNCC_ASSIGN_OR_RETURN(y, b.reshape(y, out));
  return c.setOutput(0, y);
}

const ConverterRow kRows[] = {
    {"Resize", 10, kMax, resize},         {"Upsample", 7, 9, upsample},
    {"GridSample", 16, kMax, gridSample}, {"RoiAlign", 10, kMax, roiAlign},
    {"AffineGrid", 20, kMax, affineGrid},
};
} // namespace

std::span<const ConverterRow> sampleConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
