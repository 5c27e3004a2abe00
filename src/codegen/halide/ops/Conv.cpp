// Halide algorithms of convolution and pooling over [N, C, spatial...] tensors (ONNX Conv,
// ConvTranspose, MaxPool and its Indices, MaxUnpool, AveragePool, GlobalAveragePool,
// GlobalMaxPool).
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
  // likely(): the interior is the common case, so Halide splits the loops that read this into a
  // border prologue/epilogue with the test and a steady state without it.
  f(halideOrder(v)) = Halide::select(inside, Halide::likely(x(clamped)), value);
  return f;
}

bool anyPadding(const IntList& pads) {
  return std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; });
}

/// y[n, oc, o...] = bias[oc] + sum_{ic, k...} w[oc, ic, k...] *
///                  x[n, g * ICg + ic, o * stride + k * dilation - padBegin]   (ONNX Conv),
/// x reading pad_value outside its bounds; 8-bit integer operands multiply in i32.
/// RDom order (innermost first): k_last, ..., k_first, ic.
Expected<TensorFunc> conv(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<ConvAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& w = in[1];
  int k = x.type.rank() - 2;
  int64_t icg = w.type.shape[1];
  int64_t ocg = w.type.shape[0] / a.group;
  // Without padding every read is in bounds (the output extent guarantees it): no select.
  bool pad = anyPadding(a.pads);
  Halide::Func xp =
      pad ? padded(x, Halide::cast(halideType(x.type.dtype, lw), static_cast<int>(a.padValue)))
          : x.func;
  Halide::Region ranges = reversedRanges({w.type.shape.begin() + 2, w.type.shape.end()});
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
  // The integer conv of 8-bit operands widens each product to the i32 result.
  Halide::Type t = halideType(op.result->type.dtype, lw);
  f(hv) = in.size() == 3 ? in[2]({oc}) : Halide::cast(t, 0);
  f(hv) += Halide::cast(t, w(wi)) * Halide::cast(t, xp(halideOrder(xi)));
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
Expected<TensorFunc> convTranspose(const Op& op, const std::vector<TensorFunc>& in,
                                   const Lowering& lw) {
  const auto& a = op.attr<ConvTransposeAttrs>();
  const TensorFunc& x = in[0];
  const TensorFunc& w = in[1];
  int k = x.type.rank() - 2;
  int icg = static_cast<int>(x.type.shape[1] / a.group);
  int ocg = static_cast<int>(w.type.shape[1]);
  Halide::Type t = halideType(x.type.dtype, lw);
  Halide::Region ranges = reversedRanges({w.type.shape.begin() + 2, w.type.shape.end()});
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
  TensorFunc out = reductionResult(op, f, v, r);
  out.readsClamped = true; // x through clamp(q), w and the bias by reduction and channel indices
  return out;
}

Expected<TensorFunc> pool(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<PoolAttrs>();
  const TensorFunc& x = in[0];
  int k = x.type.rank() - 2;
  Halide::Type t = halideType(x.type.dtype, lw);
  bool isMax = op.kind == OpKind::MaxPool;
  Halide::Func xp = padded(x, isMax ? t.min() : Halide::cast(t, 0));
  Halide::RDom r(reversedRanges(a.kernel));
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
Expected<TensorFunc> maxPoolIndices(const Op& op, const std::vector<TensorFunc>& in,
                                    const Lowering& lw) {
  const auto& a = op.attr<PoolAttrs>();
  const TensorFunc& x = in[0];
  int k = x.type.rank() - 2;
  Halide::Type t = halideType(x.type.dtype, lw);
  Halide::RDom r(reversedRanges(a.kernel));
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
Expected<TensorFunc> maxUnpool(const Op& op, const std::vector<TensorFunc>& in,
                               const Lowering& lw) {
  const TensorFunc& x = in[0];
  const TensorFunc& idx = in[1];
  const auto& shape = op.result->type.shape;
  int rank = x.type.rank();
  Halide::Type t = halideType(x.type.dtype, lw);
  Halide::RDom r(reversedRanges(x.type.shape));
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
  return reductionResult(op, f, v, r);
}

/// y[n, c, o...] = sum over the block offsets j of x[n, c * K + flat(j), flat(b)], where on every
/// image axis o + padBegin - j * dilation = b * stride for a block position b in [0, B) (ONNX
/// Col2Im-18, the adjoint of im2col); K = prod(block), flat() row-major, B the block positions
/// of the axis. Loads are clamped into x; the offsets that cover no block position add 0.
Expected<TensorFunc> col2im(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<Col2ImAttrs>();
  const TensorFunc& x = in[0];
  const auto& shape = op.result->type.shape;
  int k = static_cast<int>(a.block.size());
  Halide::Type t = halideType(x.type.dtype, lw);
  Halide::RDom r(reversedRanges(a.block));
  auto v = makeVars(op.result->type.rank());
  Expr kernelIndex = 0, position = 0;
  Expr valid = Halide::cast<bool>(true);
  for (int i = 0; i < k; ++i) {
    Expr j = r[k - 1 - i];
    int stride = static_cast<int>(a.strides[i]);
    int dilation = static_cast<int>(a.dilations[i]);
    int blocks = static_cast<int>(a.blockPositions(i, shape[2 + i], a.block[i]));
    Expr pos = v[2 + i] + static_cast<int>(a.pads[i]) - j * dilation;
    Expr b = stride == 1 ? pos : pos / stride; // Halide division rounds down
    valid = valid && pos >= 0 && b < blocks;
    if (stride != 1)
      valid = valid && pos % stride == 0;
    kernelIndex = kernelIndex * static_cast<int>(a.block[i]) + j;
    position = position * blocks + Halide::clamp(b, 0, blocks - 1);
  }
  int kernel = static_cast<int>(x.type.shape[1] / shape[1]);
  Halide::Func f("col2im");
  auto hv = halideOrder(v);
  f(hv) = Halide::cast(t, 0);
  f(hv) +=
      Halide::select(valid, x({v[0], v[1] * kernel + kernelIndex, position}), Halide::cast(t, 0));
  TensorFunc out = reductionResult(op, f, v, r);
  out.readsClamped = true;
  return out;
}

Expected<TensorFunc> globalPool(const Op& op, const std::vector<TensorFunc>& in,
                                const Lowering& lw) {
  const TensorFunc& x = in[0];
  int k = x.type.rank() - 2;
  Halide::Type t = halideType(x.type.dtype, lw);
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

/// Multiply-adds: each output element reads one input-channel group's weights.
int64_t workConv(const Op& op) {
  const TensorType& w = op.operands[1]->type;
  return op.result->type.numElements() * (w.numElements() / w.shape[0]);
}

/// Additions: each output element sums its block's K offsets.
int64_t workCol2Im(const Op& op) {
  return op.result->type.numElements() * (op.operands[0]->type.shape[1] / op.result->type.shape[1]);
}

/// Multiply-adds: w is [C, OC/group, K...], each output element reads C/group * K weights.
int64_t workConvTranspose(const Op& op) {
  const TensorType& w = op.operands[1]->type;
  return op.result->type.numElements() * (w.numElements() / w.shape[1]);
}

/// Pooling windows are not register-tiled: every tap is a load and a compare or add per lane,
/// inside bounds tests. Measured with `dnncc-run --profile` on Zen 4: a 3x3 max pool took about
/// 0.35 ns per tap on one thread, a register-tiled conv about 0.02 ns per multiply-add, so a tap
/// counts as kMultiplyAddsPerTap multiply-adds (what decides whether a kernel uses threads).
constexpr int64_t kMultiplyAddsPerTap = 8;

/// Window taps in multiply-add equivalents.
int64_t workPool(const Op& op) { return poolWindowTaps(op) * kMultiplyAddsPerTap; }

const AlgorithmRow kRows[] = {
    // kind, Halide algorithm, work estimate, half-precision rule (Algorithm.h)
    {OpKind::Conv, conv, workConv, nullptr},
    {OpKind::ConvTranspose, convTranspose, workConvTranspose, nullptr},
    {OpKind::MaxPool, pool, workPool, nullptr},
    {OpKind::AvgPool, pool, workPool, nullptr},
    {OpKind::MaxPoolIndices, maxPoolIndices, workElements, nullptr},
    {OpKind::MaxUnpool, maxUnpool, workElements, nullptr},
    {OpKind::Col2Im, col2im, workCol2Im, nullptr},
    {OpKind::GlobalAvgPool, globalPool, workElements, nullptr},
    {OpKind::GlobalMaxPool, globalPool, workElements, nullptr},
};
} // namespace

std::span<const AlgorithmRow> convAlgorithms() { return kRows; }

int64_t poolWindowTaps(const Op& op) {
  int64_t taps = op.result->type.numElements();
  for (int64_t k : op.attr<PoolAttrs>().kernel)
    taps *= k;
  return taps;
}

} // namespace dnncc::hl
