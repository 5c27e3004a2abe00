// Halide algorithms of convolution and pooling over [N, C, spatial...] tensors (ONNX Conv,
// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool).
#include <limits>

#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

/// The input [N, C, spatial...] extended beyond its spatial bounds with `value` (zero padding,
/// -inf for max pooling). N and C are never out of bounds and are left unguarded, so loads along
/// them stay dense (a clamped vector index would become a gather).
Halide::Func padded(const TensorFunc& x, Expr value) {
  auto v = makeVars(x.type.rank());
  Expr inside = Halide::cast<bool>(true);
  Idx clamped{v[0], v[1]};
  for (int i = 2; i < x.type.rank(); ++i) {
    int extent = static_cast<int>(x.type.shape[i]);
    inside = inside && v[i] >= 0 && v[i] < extent;
    clamped.push_back(Halide::clamp(v[i], 0, extent - 1));
  }
  Halide::Func f("padded");
  f(halideOrder(v)) = Halide::select(inside, x(clamped), value);
  return f;
}

bool anyPadding(const IntList& pads) {
  return std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; });
}

/// y[n, oc, o...] = bias[oc] + sum_{ic, k...} w[oc, ic, k...] *
///                  x[n, g * ICg + ic, o * stride + k * dilation - padBegin]   (ONNX Conv)
/// RDom order (innermost first): k_last, ..., k_first, ic.
Expected<TensorFunc> conv(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<ConvAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& w = in[1];
  int k = x.type.rank() - 2;
  int64_t icg = w.type.shape[1];
  int64_t ocg = w.type.shape[0] / a.group;
  // Without padding every read is in bounds (the output extent guarantees it): no select.
  bool pad = anyPadding(a.pads);
  Halide::Func xp = pad ? padded(x, Halide::cast(halideType(x.type.dtype), 0)) : x.func;
  Halide::Region ranges;
  for (int i = k - 1; i >= 0; --i)
    ranges.emplace_back(0, static_cast<int>(w.type.shape[2 + i]));
  ranges.emplace_back(0, static_cast<int>(icg));
  Halide::RDom r(ranges);
  auto v = makeVars(op.result->type.rank());
  Expr oc = v[1];
  Expr ic = a.group == 1 ? Expr(r[k]) : (oc / static_cast<int>(ocg)) * static_cast<int>(icg) + r[k];
  Idx xi{v[0], ic}, wi{oc, r[k]};
  for (int i = 0; i < k; ++i) {
    Expr kk = r[k - 1 - i];
    xi.push_back(v[2 + i] * static_cast<int>(a.strides[i]) +
                 kk * static_cast<int>(a.dilations[i]) - static_cast<int>(a.pads[i]));
    wi.push_back(kk);
  }
  Halide::Func f("conv");
  auto hv = halideOrder(v);
  f(hv) = in.size() == 3 ? in[2]({oc}) : Halide::cast(halideType(x.type.dtype), 0);
  f(hv) += w(wi) * xp(halideOrder(xi));
  TensorFunc out;
  out.func = f;
  out.type = op.result->type;
  out.vars = v;
  out.rdom = r;
  out.stages = pad ? std::vector<Halide::Func>{xp, f} : std::vector<Halide::Func>{f};
  return out;
}

/// y[n, oc, o...] = bias[oc] + sum_{ic, k...} w[g * ICg + ic, oc - g * OCg, k...] *
///                  x[n, g * ICg + ic, (o + padBegin - k * dilation) / stride]
/// (ONNX ConvTranspose) over the taps where o + padBegin - k * dilation is a multiple of the
/// stride inside the input; g = oc / OCg. RDom order (innermost first): k_last, ..., k_first, ic.
Expected<TensorFunc> convTranspose(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<ConvTransposeAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& w = in[1];
  int k = x.type.rank() - 2;
  int icg = static_cast<int>(x.type.shape[1] / a.group);
  int ocg = static_cast<int>(w.type.shape[1]);
  Halide::Type t = halideType(x.type.dtype);
  Halide::Region ranges;
  for (int i = k - 1; i >= 0; --i)
    ranges.emplace_back(0, static_cast<int>(w.type.shape[2 + i]));
  ranges.emplace_back(0, icg);
  Halide::RDom r(ranges);
  auto v = makeVars(op.result->type.rank());
  Expr oc = v[1];
  Expr g = a.group == 1 ? Expr(0) : oc / ocg;
  Expr ic = a.group == 1 ? Expr(r[k]) : g * icg + r[k];
  Expr woc = a.group == 1 ? oc : oc - g * ocg;
  Expr valid = Halide::cast<bool>(true);
  Idx xi{v[0], ic}, wi{ic, woc};
  for (int i = 0; i < k; ++i) {
    Expr kk = r[k - 1 - i];
    int extent = static_cast<int>(x.type.shape[2 + i]);
    int stride = static_cast<int>(a.strides[i]);
    Expr pos = v[2 + i] + static_cast<int>(a.pads[i]) - kk * static_cast<int>(a.dilations[i]);
    Expr q = stride == 1 ? pos : pos / stride; // Halide division rounds down
    valid = valid && pos >= 0 && q < extent;
    if (stride != 1)
      valid = valid && pos % stride == 0;
    xi.push_back(Halide::clamp(q, 0, extent - 1));
    wi.push_back(kk);
  }
  Halide::Func f("conv_transpose");
  auto hv = halideOrder(v);
  f(hv) = in.size() == 3 ? in[2]({oc}) : Halide::cast(t, 0);
  f(hv) += Halide::select(valid, w(wi) * x(xi), Halide::cast(t, 0));
  TensorFunc out;
  out.func = f;
  out.type = op.result->type;
  out.vars = v;
  out.rdom = r;
  out.stages = {f};
  return out;
}

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
Expected<TensorFunc> gridSample(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<GridSampleAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& g = in[1];
  int k = x.type.rank() - 2;
  Halide::Type t = halideType(x.type.dtype);
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
Expected<TensorFunc> deformConv(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<DeformConvAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& w = in[1];
  const TensorFunc& offset = in[2];
  const TensorFunc& mask = in[4];
  Halide::Type t = halideType(x.type.dtype);
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
  TensorFunc res;
  res.func = f;
  res.type = op.result->type;
  res.vars = v;
  res.rdom = r;
  res.stages = {f};
  return res;
}

/// y[r, c, ph, pw] = the average (or maximum) over samplingRatio^2 sample points of a bilinear
/// sample of x[batch[r], c] (ONNX RoiAlign, its reference implementation): roi (x1, y1, x2, y2) *
/// spatial_scale (- 0.5 with half_pixel; sizes at least 1 without), bins of size / output, sample
/// (iy + 0.5) * bin / samplingRatio into the bin; a sample beyond [-1, H] x [-1, W] is 0, others
/// are clamped at 0 and at the last row/column. In max mode each sample is the largest of its
/// four weighted corner values.
Expected<TensorFunc> roiAlign(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<RoiAlignAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& rois = in[1];
  const TensorFunc& batch = in[2];
  Halide::Type t = halideType(x.type.dtype);
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

Expected<TensorFunc> pool(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<PoolAttrs>();
  const TensorFunc& x = in[0];
  int k = x.type.rank() - 2;
  Halide::Type t = halideType(x.type.dtype);
  bool isMax = op.kind == OpKind::MaxPool;
  Halide::Func xp = padded(x, isMax ? t.min() : Halide::cast(t, 0));
  Halide::Region ranges;
  for (int i = k - 1; i >= 0; --i)
    ranges.emplace_back(0, static_cast<int>(a.kernel[i]));
  Halide::RDom r(ranges);
  auto v = makeVars(op.result->type.rank());
  Idx xi{v[0], v[1]};
  Expr count = Halide::cast(t, 1);
  for (int i = 0; i < k; ++i) {
    Expr start = v[2 + i] * static_cast<int>(a.strides[i]) - static_cast<int>(a.pads[i]);
    xi.push_back(start + r[k - 1 - i] * static_cast<int>(a.dilations[i]));
    // Divisor of avg_pool: window positions inside the input, or inside the padded input with
    // count_include_pad (clipped at the end padding in ceil mode, as onnxruntime).
    int64_t lo = a.countIncludePad ? -a.pads[i] : 0;
    int64_t hi = x.type.shape[2 + i] + (a.countIncludePad ? a.pads[k + i] : 0);
    if (a.dilations[i] == 1) {
      Expr n = Halide::min(start + static_cast<int>(a.kernel[i]), static_cast<int>(hi)) -
               Halide::max(start, static_cast<int>(lo));
      count *= Halide::cast(t, Halide::max(n, 0));
    } else {
      Halide::RDom rk(0, static_cast<int>(a.kernel[i]));
      Expr pos = start + rk * static_cast<int>(a.dilations[i]);
      count *= Halide::cast(t, Halide::sum(Halide::select(pos >= static_cast<int>(lo) &&
                                                              pos < static_cast<int>(hi),
                                                          1, 0)));
    }
  }
  Halide::Func f(isMax ? "max_pool" : "avg_pool");
  auto hv = halideOrder(v);
  Expr value = xp(halideOrder(xi));
  if (isMax) {
    f(hv) = t.min();
    f(hv) = Halide::max(f(hv), value);
  } else {
    f(hv) = Halide::cast(t, 0);
    f(hv) += value;
  }
  TensorFunc out;
  out.type = op.result->type;
  out.vars = v;
  out.rdom = r;
  if (isMax) {
    out.func = f;
    out.stages = {xp, f};
  } else {
    Halide::Func avg("avg_pool_div");
    avg(hv) = f(hv) / count;
    out.func = avg;
    out.stages = {xp, f, avg};
  }
  return out;
}

/// The flat row-major input index of the first maximum of each max_pool window (ONNX MaxPool's
/// Indices output, storage_order=0): window positions in the padding never win; the scan order
/// is the window's row-major order and a later element wins only when strictly greater
/// (Halide's argmax keeps the first maximum in RDom order: k_last innermost).
Expected<TensorFunc> maxPoolIndices(const Op& op, const std::vector<TensorFunc>& in) {
  const auto& a = op.attr<PoolAttrs>();
  const TensorFunc& x = in[0];
  int k = x.type.rank() - 2;
  Halide::Type t = halideType(x.type.dtype);
  Halide::Region ranges;
  for (int i = k - 1; i >= 0; --i)
    ranges.emplace_back(0, static_cast<int>(a.kernel[i]));
  Halide::RDom r(ranges);
  auto v = makeVars(op.result->type.rank());
  Idx xi{v[0], v[1]};
  Expr inside = Halide::cast<bool>(true);
  for (int i = 0; i < k; ++i) {
    int extent = static_cast<int>(x.type.shape[2 + i]);
    Expr pos = v[2 + i] * static_cast<int>(a.strides[i]) - static_cast<int>(a.pads[i]) +
               r[k - 1 - i] * static_cast<int>(a.dilations[i]);
    inside = inside && pos >= 0 && pos < extent;
    xi.push_back(Halide::clamp(pos, 0, extent - 1));
  }
  Expr lowest = t.is_float() ? constant(t, -std::numeric_limits<double>::infinity()) : t.min();
  Halide::Tuple best = Halide::argmax(r, Halide::select(inside, x(xi), lowest));
  Expr flat = Halide::cast<int64_t>(v[0]) * Halide::cast<int64_t>(Expr(x.type.shape[1])) + v[1];
  for (int i = 0; i < k; ++i) {
    Expr pos = v[2 + i] * static_cast<int>(a.strides[i]) - static_cast<int>(a.pads[i]) +
               best[k - 1 - i] * static_cast<int>(a.dilations[i]);
    flat = flat * Halide::cast<int64_t>(Expr(x.type.shape[2 + i])) + Halide::cast<int64_t>(pos);
  }
  return pureResult(op, v, flat);
}

/// y = 0 except y.flat[indices[i]] = x[i] (ONNX MaxUnpool), in x's row-major order (a later
/// duplicate index wins). Indices outside y are clamped into it.
Expected<TensorFunc> maxUnpool(const Op& op, const std::vector<TensorFunc>& in) {
  const TensorFunc& x = in[0];
  const TensorFunc& idx = in[1];
  const auto& shape = op.result->type.shape;
  int rank = x.type.rank();
  Halide::Type t = halideType(x.type.dtype);
  Halide::Region ranges;
  for (int i = rank - 1; i >= 0; --i)
    ranges.emplace_back(0, static_cast<int>(x.type.shape[i]));
  Halide::RDom r(ranges);
  Idx xi;
  for (int i = 0; i < rank; ++i)
    xi.push_back(r[rank - 1 - i]);
  Expr flat = Halide::cast<int64_t>(idx(xi));
  int64_t total = op.result->type.numElements();
  flat = Halide::clamp(flat, Expr(int64_t{0}), Expr(total - 1));
  Idx target(rank);
  for (int i = rank - 1; i >= 0; --i) {
    target[i] = Halide::cast<int>(flat % Expr(shape[i]));
    flat = flat / Expr(shape[i]);
  }
  auto v = makeVars(rank);
  Halide::Func f("max_unpool");
  auto hv = halideOrder(v);
  f(hv) = Halide::cast(t, 0);
  f(halideOrder(target)) = x(xi);
  TensorFunc res;
  res.func = f;
  res.type = op.result->type;
  res.vars = v;
  res.rdom = r;
  res.stages = {f};
  return res;
}

Expected<TensorFunc> globalPool(const Op& op, const std::vector<TensorFunc>& in) {
  const TensorFunc& x = in[0];
  int k = x.type.rank() - 2;
  Halide::Type t = halideType(x.type.dtype);
  Halide::Region ranges;
  int64_t n = 1;
  for (int i = k - 1; i >= 0; --i) {
    ranges.emplace_back(0, static_cast<int>(x.type.shape[2 + i]));
    n *= x.type.shape[2 + i];
  }
  Halide::RDom r(ranges);
  auto v = makeVars(op.result->type.rank());
  Idx xi{v[0], v[1]};
  for (int i = 0; i < k; ++i)
    xi.push_back(r[k - 1 - i]);
  bool isMax = op.kind == OpKind::GlobalMaxPool;
  Halide::Func f(isMax ? "global_max_pool" : "global_sum");
  auto hv = halideOrder(v);
  if (isMax) {
    f(hv) = t.min();
    f(hv) = Halide::max(f(hv), x(xi));
  } else {
    f(hv) = Halide::cast(t, 0);
    f(hv) += x(xi);
  }
  TensorFunc out;
  out.type = op.result->type;
  out.vars = v;
  out.rdom = r;
  if (isMax) {
    out.func = f;
    out.stages = {f};
  } else {
    Halide::Func avg("global_avg_pool");
    avg(hv) = f(hv) / constant(t, static_cast<double>(n));
    out.func = avg;
    out.stages = {f, avg};
  }
  return out;
}

const AlgorithmRow kRows[] = {
    {OpKind::Conv, conv},
    {OpKind::ConvTranspose, convTranspose},
    {OpKind::GridSample, gridSample},
    {OpKind::RoiAlign, roiAlign},
    {OpKind::DeformConv, deformConv},
    {OpKind::MaxPool, pool},
    {OpKind::AvgPool, pool},
    {OpKind::MaxPoolIndices, maxPoolIndices},
    {OpKind::MaxUnpool, maxUnpool},
    {OpKind::GlobalAvgPool, globalPool},
    {OpKind::GlobalMaxPool, globalPool},
};
} // namespace

std::span<const AlgorithmRow> convAlgorithms() { return kRows; }

} // namespace dnncc::hl
