// Halide algorithms of the ops that read their input at computed (data-dependent) positions with
// bilinear or cubic interpolation: ONNX GridSample, DeformConv and RoiAlign.
#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

/// Folds x into [lo, hi] by reflecting at the borders (ONNX GridSample reference, _gs_reflect).
Expr reflectInto(Expr x, double lo, double hi) {
  Halide::Type t = x.type();
  Expr l = constant(t, lo), h = constant(t, hi), range = constant(t, hi - lo);
  Expr db = l - x, da = x - h;
  Expr nb = Halide::floor(db / range), na = Halide::floor(da / range);
  Expr rb = db - nb * range, ra = da - na * range;
  Expr evenB = Halide::cast<int>(nb) % 2 == 0, evenA = Halide::cast<int>(na) % 2 == 0;
  return Halide::select(x < l, Halide::select(evenB, l + rb, h - rb), x > h,
                        Halide::select(evenA, h - ra, l + ra), x);
}

/// y[n, c, o...] = sum over taps of prod_i w_i * x[n, c, j_1..j_k] (ONNX GridSample): per spatial
/// axis i of extent L, the grid value g (component k-1-i) maps to
///   p = align_corners ? (g + 1) / 2 * (L - 1) : ((g + 1) * L - 1) / 2,
/// rounded half to even for nearest; a p outside [lo, hi] (align_corners: [0, L-1], else
/// [-0.5, L-0.5]) is clamped to [0, L-1] (border) or reflected (reflection). Taps: round(p) for
/// nearest, floor(p) + {0, 1} with weights {1-f, f} for linear, floor(p) + {-1..2} with the cubic
/// convolution weights (alpha -0.75) for cubic. A tap outside the input reads 0 (zeros), the edge
/// (border) or its reflection (reflection).
Expected<TensorFunc> gridSample(const Op& op, const std::vector<TensorFunc>& in,
                                const Lowering& lw) {
  const auto& a = op.attr<GridSampleAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& g = in[1];
  int k = x.type.rank() - 2;
  Halide::Type t = halideType(x.type.dtype, lw);
  auto v = makeVars(op.result->type.rank());
  int taps = a.mode == GridSampleMode::nearest ? 1 : a.mode == GridSampleMode::linear ? 2 : 4;
  std::vector<Expr> base(k);
  std::vector<std::vector<Expr>> weights(k);
  std::vector<double> los(k), his(k);
  for (int i = 0; i < k; ++i) {
    int extent = static_cast<int>(x.type.shape[2 + i]);
    double len = static_cast<double>(extent);
    Idx gi{v[0]};
    for (int j = 0; j < k; ++j)
      gi.push_back(v[2 + j]);
    gi.push_back(Expr(k - 1 - i));
    Expr gv = Halide::cast(t, g(gi));
    Expr p = a.alignCorners ? (gv + 1) / 2 * constant(t, len - 1)
                            : ((gv + 1) * constant(t, len) - 1) / 2;
    if (a.mode == GridSampleMode::nearest)
      p = Halide::round(p); // ties to even, as np.rint
    los[i] = a.alignCorners ? 0.0 : -0.5;
    his[i] = a.alignCorners ? len - 1 : len - 0.5;
    Expr outside = p < constant(t, los[i]) || p > constant(t, his[i]);
    if (a.padding == GridPadding::border)
      p = Halide::select(outside, Halide::clamp(p, constant(t, 0), constant(t, len - 1)), p);
    else if (a.padding == GridPadding::reflection)
      p = reflectInto(p, los[i], his[i]);
    // Far outside the input every tap reads padding: bound p before the integer conversion.
    p = Halide::clamp(p, constant(t, -8), constant(t, len + 8));
    Expr f = p - Halide::floor(p);
    switch (a.mode) {
    case GridSampleMode::nearest:
      base[i] = Halide::cast<int>(p); // truncation, as astype(int32)
      weights[i] = {constant(t, 1)};
      break;
    case GridSampleMode::linear:
      base[i] = Halide::cast<int>(Halide::floor(p));
      weights[i] = {1 - f, f};
      break;
    case GridSampleMode::cubic: {
      base[i] = Halide::cast<int>(Halide::floor(p)) - 1;
      Expr A = constant(t, -0.75), f1 = f + 1, q = 1 - f, q1 = q + 1;
      weights[i] = {((A * f1 - 5 * A) * f1 + 8 * A) * f1 - 4 * A,
                    ((A + 2) * f - (A + 3)) * f * f + 1, ((A + 2) * q - (A + 3)) * q * q + 1,
                    ((A * q1 - 5 * A) * q1 + 8 * A) * q1 - 4 * A};
      break;
    }
    }
  }
  // Sum over every combination of taps (taps^k terms).
  Expr total = constant(t, 0);
  int combos = 1;
  for (int i = 0; i < k; ++i)
    combos *= taps;
  for (int combo = 0; combo < combos; ++combo) {
    Expr weight = constant(t, 1);
    Expr valid = Halide::cast<bool>(true);
    Idx xi{v[0], v[1]};
    int rest = combo;
    std::vector<int> tapOf(k);
    for (int i = k - 1; i >= 0; --i) {
      tapOf[i] = rest % taps;
      rest /= taps;
    }
    for (int i = 0; i < k; ++i) {
      int extent = static_cast<int>(x.type.shape[2 + i]);
      Expr j = base[i] + tapOf[i];
      if (a.padding == GridPadding::zeros)
        valid = valid && j >= 0 && j < extent;
      else if (a.padding == GridPadding::reflection)
        j = Halide::cast<int>(reflectInto(Halide::cast(t, j), los[i], his[i]));
      xi.push_back(Halide::clamp(j, 0, extent - 1));
      weight = weight * weights[i][tapOf[i]];
    }
    Expr value = x(xi);
    if (a.padding == GridPadding::zeros)
      value = Halide::select(valid, value, constant(t, 0));
    total = total + weight * value;
  }
  return pureResult(op, v, total);
}

/// y[n, oc, i, j] = bias[oc] + sum_{ic, kh, kw} w[oc, ic, kh, kw] * mask[n, m, i, j] *
///   bilinear(x[n, g * ICg + ic], i * sh - padTop + kh * dh + offset[n, 2m, i, j],
///                                j * sw - padLeft + kw * dw + offset[n, 2m + 1, i, j])
/// with m = (offsetGroup(ic) * KH + kh) * KW + kw and a bilinear sample that reads 0 outside the
/// input (ONNX DeformConv; its reference samples with GridSample, align_corners=1, zeros).
Expected<TensorFunc> deformConv(const Op& op, const std::vector<TensorFunc>& in,
                                const Lowering& lw) {
  const auto& a = op.attr<DeformConvAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& w = in[1];
  const TensorFunc& offset = in[2];
  const TensorFunc& mask = in[4];
  Halide::Type t = halideType(x.type.dtype, lw);
  int h = static_cast<int>(x.type.shape[2]), wd = static_cast<int>(x.type.shape[3]);
  int kh = static_cast<int>(w.type.shape[2]), kw = static_cast<int>(w.type.shape[3]);
  int icg = static_cast<int>(w.type.shape[1]);
  int ocg = static_cast<int>(w.type.shape[0] / a.group);
  int perOffsetGroup = static_cast<int>(x.type.shape[1] / a.offsetGroup);
  Halide::RDom r(0, kw, 0, kh, 0, icg);
  auto v = makeVars(4);
  Expr oc = v[1];
  Expr ic = a.group == 1 ? Expr(r.z) : (oc / ocg) * icg + r.z;
  Expr og = a.offsetGroup == 1 ? Expr(0) : ic / perOffsetGroup;
  Expr m = (og * kh + r.y) * kw + r.x;
  Expr py = Halide::cast(t, v[2] * static_cast<int>(a.strides[0]) - static_cast<int>(a.pads[0]) +
                                r.y * static_cast<int>(a.dilations[0])) +
            offset({v[0], 2 * m, v[2], v[3]});
  Expr px = Halide::cast(t, v[3] * static_cast<int>(a.strides[1]) - static_cast<int>(a.pads[1]) +
                                r.x * static_cast<int>(a.dilations[1])) +
            offset({v[0], 2 * m + 1, v[2], v[3]});
  // Bound the positions before the integer conversion: far outside, every tap reads 0.
  py = Halide::clamp(py, constant(t, -2), constant(t, h + 1));
  px = Halide::clamp(px, constant(t, -2), constant(t, wd + 1));
  Expr y0f = Halide::floor(py), x0f = Halide::floor(px);
  Expr fy = py - y0f, fx = px - x0f;
  Expr y0 = Halide::cast<int>(y0f), x0 = Halide::cast<int>(x0f);
  Expr sample = constant(t, 0);
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) {
      Expr yy = y0 + dy, xx = x0 + dx;
      Expr inside = yy >= 0 && yy < h && xx >= 0 && xx < wd;
      Expr weight = (dy ? fy : 1 - fy) * (dx ? fx : 1 - fx);
      Expr value = x({v[0], ic, Halide::clamp(yy, 0, h - 1), Halide::clamp(xx, 0, wd - 1)});
      sample = sample + weight * Halide::select(inside, value, constant(t, 0));
    }
  Halide::Func f("deform_conv");
  auto hv = halideOrder(v);
  f(hv) = in[3]({oc});
  f(hv) += w({oc, r.z, r.y, r.x}) * sample * mask({v[0], m, v[2], v[3]});
  return reductionResult(op, f, v, r);
}

/// y[r, c, ph, pw] = the average (or maximum) over samplingRatio^2 sample points of a bilinear
/// sample of x[batch[r], c] (ONNX RoiAlign, its reference implementation): roi (x1, y1, x2, y2) *
/// spatial_scale (- 0.5 with half_pixel; sizes at least 1 without), bins of size / output, sample
/// (iy + 0.5) * bin / samplingRatio into the bin; a sample beyond [-1, H] x [-1, W] is 0, others
/// are clamped at 0 and at the last row/column. In max mode each sample is the largest of its
/// four weighted corner values.
Expected<TensorFunc> roiAlign(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<RoiAlignAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& rois = in[1];
  const TensorFunc& batch = in[2];
  Halide::Type t = halideType(x.type.dtype, lw);
  int n = static_cast<int>(x.type.shape[0]);
  int h = static_cast<int>(x.type.shape[2]), w = static_cast<int>(x.type.shape[3]);
  auto v = makeVars(4);
  Expr r = v[0];
  Expr off = constant(t, a.halfPixel ? 0.5 : 0.0), scale = constant(t, a.spatialScale);
  Expr x1 = rois({r, 0}) * scale - off, y1 = rois({r, 1}) * scale - off;
  Expr x2 = rois({r, 2}) * scale - off, y2 = rois({r, 3}) * scale - off;
  Expr roiW = x2 - x1, roiH = y2 - y1;
  if (!a.halfPixel) {
    roiW = Halide::max(roiW, constant(t, 1));
    roiH = Halide::max(roiH, constant(t, 1));
  }
  Expr binH = roiH / constant(t, static_cast<double>(a.outputHeight));
  Expr binW = roiW / constant(t, static_cast<double>(a.outputWidth));
  int grid = static_cast<int>(a.samplingRatio);
  Halide::RDom s(0, grid, 0, grid); // s.x: ix (inner), s.y: iy
  Expr gridF = constant(t, static_cast<double>(grid));
  Expr yy = y1 + Halide::cast(t, v[2]) * binH + (Halide::cast(t, s.y) + 0.5f) * binH / gridF;
  Expr xx = x1 + Halide::cast(t, v[3]) * binW + (Halide::cast(t, s.x) + 0.5f) * binW / gridF;
  Expr outside = yy < -1 || yy > h || xx < -1 || xx > w;
  Expr b = Halide::clamp(Halide::cast<int>(batch({r})), 0, n - 1);
  auto axis = [&](Expr p, int extent, Expr& low, Expr& high, Expr& frac) {
    p = Halide::max(p, constant(t, 0));
    Expr l = Halide::cast<int>(p); // p >= 0: truncation is floor
    Expr last = l >= extent - 1;
    low = Halide::select(last, extent - 1, l);
    high = Halide::select(last, extent - 1, l + 1);
    frac = Halide::select(last, constant(t, 0), p - Halide::cast(t, l));
    low = Halide::clamp(low, 0, extent - 1);
    high = Halide::clamp(high, 0, extent - 1);
  };
  Expr yl, yh, ly, xl, xh, lx;
  axis(yy, h, yl, yh, ly);
  axis(xx, w, xl, xh, lx);
  Expr hy = 1 - ly, hx = 1 - lx;
  Expr v1 = hy * hx * x({b, v[1], yl, xl}), v2 = hy * lx * x({b, v[1], yl, xh});
  Expr v3 = ly * hx * x({b, v[1], yh, xl}), v4 = ly * lx * x({b, v[1], yh, xh});
  Expr zero = constant(t, 0);
  Halide::Func f("roi_align");
  auto hv = halideOrder(v);
  if (a.max) {
    f(hv) = t.min();
    f(hv) = Halide::max(f(hv), Halide::select(outside, zero,
                                              Halide::max(Halide::max(v1, v2),
                                                          Halide::max(v3, v4))));
  } else {
    f(hv) = zero;
    f(hv) += Halide::select(outside, zero, v1 + v2 + v3 + v4);
  }
  TensorFunc res;
  res.type = op.result->type;
  res.vars = v;
  res.rdom = s;
  if (a.max) {
    res.func = f;
    res.stages = {f};
  } else {
    Halide::Func avg("roi_align_avg");
    avg(hv) = f(hv) / constant(t, static_cast<double>(grid * grid));
    res.func = avg;
    res.stages = {f, avg};
  }
  return res;
}

const AlgorithmRow kRows[] = {
    // kind, Halide algorithm, work estimate, half-precision rule (Algorithm.h)
    {OpKind::GridSample, gridSample, workElements, nullptr},
    {OpKind::DeformConv, deformConv, workElements, nullptr},
    {OpKind::RoiAlign, roiAlign, workElements, nullptr},
};
} // namespace

std::span<const AlgorithmRow> sampleAlgorithms() { return kRows; }

} // namespace dnncc::hl
