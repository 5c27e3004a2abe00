// ONNX DFT (opset 17+; the axis an attribute before 20, an input from 20) as matrix
// products with constant cosine and sine tables: the signal length is static, so the transform is
// a fixed linear map. The window functions HannWindow, HammingWindow and BlackmanWindow
// (opset 17) are constants of their static length.
#include <cmath>
#include <numbers>
#include <optional>

#include <fmt/format.h>

#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

/// Largest table (input length x output length) the importer builds.
constexpr int64_t kMaxTableElements = int64_t{1} << 22;

/// DFT-17/20 (numpy.fft semantics of the reference implementation): x [..., N, 1 (real) or 2
/// (complex)] transformed along `axis` with n = dft_length (default N; 2 (N - 1) for an inverse
/// one-sided transform), the input cut or zero-padded to n. Forward: Y_k = sum_j x_j e^{-2 pi i
/// jk/n}, k < n (n/2 + 1 when onesided). Inverse: x_k = 1/n sum_j Y_j e^{2 pi i jk/n}; with
/// onesided the input is the first n/2 + 1 bins of a Hermitian spectrum and the output is real.
/// The transform of x (checked by dft) along `axis` (normalized, not the last).
Expected<Value*> dftAlong(NodeContext& c, Value* x, int axis) {
  Composer b(c);
  int rank = x->type.rank();
  DType t = x->type.dtype;
  bool inverse = c.attrInt("inverse", 0) != 0, onesided = c.attrInt("onesided", 0) != 0;
  int64_t len = x->type.shape[axis];
  int64_t n = inverse && onesided ? 2 * (len - 1) : len;
  if (c.hasInput(1)) {
    DNNCC_ASSIGN_OR_RETURN(double given, c.constScalar(1, "dft_length"));
    n = static_cast<int64_t>(given);
  }
  if (n <= 0)
    return c.error(fmt::format("dft_length {} is not positive", n));
  int64_t outLen = inverse ? n : (onesided ? n / 2 + 1 : n);
  int64_t used = std::min(len, inverse && onesided ? n / 2 + 1 : n); // input bins that count
  if (len * outLen > kMaxTableElements)
    return c.error(fmt::format("a {} x {} transform table is too large", len, outLen));
  bool complexIn = x->type.shape.back() == 2;
  bool realOut = inverse && onesided;

  // Move the transformed axis last (dropping the real/imaginary axis): [..., len].
  std::vector<int64_t> squeezed(x->type.shape.begin(), x->type.shape.end() - 1);
  IntList perm;
  for (int i = 0; i < rank - 1; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  auto part = [&](int64_t which) -> Expected<Value*> {
    DNNCC_ASSIGN_OR_RETURN(Value * p, b.slice(x, rank - 1, which, 1));
    DNNCC_ASSIGN_OR_RETURN(p, b.reshape(p, squeezed));
    return b.transpose(p, perm);
  };
  // The transform runs in float64 like the reference (numpy.fft): a float32 sum would leave
  // errors far above the tolerance on bins whose exact value is 0.
  DNNCC_ASSIGN_OR_RETURN(x, b.cast(x, DType::f64));
  DNNCC_ASSIGN_OR_RETURN(Value * re, part(0));
  Value* im = nullptr;
  if (complexIn) {
    DNNCC_ASSIGN_OR_RETURN(im, part(1));
  }
  // Tables [len, outLen]: out = re * A + im * B for each output part.
  const double pi = std::numbers::pi;
  double sign = inverse ? 1.0 : -1.0, norm = inverse ? 1.0 / static_cast<double>(n) : 1.0;
  std::vector<double> reToRe(len * outLen, 0), imToRe(len * outLen, 0), reToIm(len * outLen, 0),
      imToIm(len * outLen, 0);
  for (int64_t j = 0; j < used; ++j) {
    // A one-sided spectrum stands for its mirrored bins too: weight 2 except DC and Nyquist.
    double w = realOut && j != 0 && 2 * j != n ? 2.0 : 1.0;
    for (int64_t k = 0; k < outLen; ++k) {
      double theta = 2 * pi * static_cast<double>((j * k) % n) / static_cast<double>(n);
      double cs = std::cos(theta) * w * norm, sn = sign * std::sin(theta) * w * norm;
      // (re + i im)(cos + i sn) = re cos - im sn + i (re sn + im cos)
      reToRe[j * outLen + k] = cs;
      imToRe[j * outLen + k] = -sn;
      reToIm[j * outLen + k] = sn;
      imToIm[j * outLen + k] = cs;
    }
  }
  auto apply = [&](const std::vector<double>& fromRe,
                   const std::vector<double>& fromIm) -> Expected<Value*> {
    DNNCC_ASSIGN_OR_RETURN(Value * y,
                           b.op(OpKind::MatMul, {re, b.tensor(DType::f64, {len, outLen}, fromRe)}));
    if (im) {
      DNNCC_ASSIGN_OR_RETURN(
          Value * yi, b.op(OpKind::MatMul, {im, b.tensor(DType::f64, {len, outLen}, fromIm)}));
      DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Add, {y, yi}));
    }
    // Back to the input's axis order with a trailing size-1 axis.
    IntList back(perm.size());
    for (size_t i = 0; i < perm.size(); ++i)
      back[perm[i]] = static_cast<int64_t>(i);
    DNNCC_ASSIGN_OR_RETURN(y, b.transpose(y, back));
    std::vector<int64_t> shape = squeezed;
    shape[axis] = outLen;
    shape.push_back(1);
    DNNCC_ASSIGN_OR_RETURN(y, b.reshape(y, shape));
    return b.cast(y, t);
  };
  DNNCC_ASSIGN_OR_RETURN(Value * yRe, apply(reToRe, imToRe));
  if (realOut)
    return yRe;
  DNNCC_ASSIGN_OR_RETURN(Value * yIm, apply(reToIm, imToIm));
  return b.concat({yRe, yIm}, rank - 1);
}

/// DFT-20 whose axis is known only at run time (a graph input): the transform along every axis
/// it may name ([-r, -2] or [0, r - 2]) for which the transform is defined and whose result has
/// the declared output shape (every such axis when none is declared and all give the same
/// shape), the one the axis names selected at run time; a run whose axis names none of them
/// fails. Every candidate is computed in each run.
Status dftRuntimeAxis(NodeContext& c, Value* x) {
  int rank = x->type.rank();
  const std::vector<int64_t>* declared = c.declaredShape(0);
  std::vector<std::pair<int, Value*>> candidates;
  std::optional<Status> firstError; // an axis the transform is not defined for is not one
  for (int a = 0; a < rank - 1; ++a) {
    Expected<Value*> along = dftAlong(c, x, a);
    if (!along) {
      if (!firstError)
        firstError = along.status();
      continue;
    }
    Value* y = *along;
    if (declared && y->type.shape != *declared)
      continue;
    if (!declared && !candidates.empty() && y->type.shape != candidates[0].second->type.shape)
      return c.runtimeShapeInputError(2, "axis");
    candidates.emplace_back(a, y);
  }
  if (candidates.empty() && firstError)
    return *firstError;
  if (candidates.empty())
    return c.error(
        fmt::format("no axis gives the declared output shape {}", shapeString(*declared)));
  DNNCC_ASSIGN_OR_RETURN(Value * given, c.input(2));
  if (given->type.numElements() != 1)
    return c.error(fmt::format("axis {} is not a scalar", shapeString(given->type.shape)));
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(given, b.reshape(given, {}));
  std::vector<Value*> values, holds;
  for (const auto& [a, candidate] : candidates) {
    // axis == a, or its negative form a - r.
    DNNCC_ASSIGN_OR_RETURN(Value * pos, c.equalsConstant(given, {a}, {}));
    DNNCC_ASSIGN_OR_RETURN(Value * neg, c.equalsConstant(given, {a - rank}, {}));
    DNNCC_ASSIGN_OR_RETURN(Value * named, c.emit(OpKind::Or, {pos, neg}));
    values.push_back(candidate);
    holds.push_back(named);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, firstThatHolds(c, values, holds));
  return c.setOutput(0, y);
}

Status dft(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  int rank = x->type.rank();
  if (!isFloat(x->type.dtype))
    return c.error("input must have a floating-point type");
  if (rank < 2 || (x->type.shape.back() != 1 && x->type.shape.back() != 2))
    return c.error(fmt::format("input {} must end in a dimension of 1 (real) or 2 (complex)",
                               shapeString(x->type.shape)));
  int64_t axisValue = c.opset() >= 20 ? -2 : c.attrInt("axis", 1);
  if (c.opset() >= 20 && c.isRuntimeInput(2))
    return dftRuntimeAxis(c, x);
  if (c.opset() >= 20 && c.hasInput(2)) { // DFT-20 takes the axis as an input
    DNNCC_ASSIGN_OR_RETURN(double given, c.constScalar(2, "axis"));
    axisValue = static_cast<int64_t>(given);
  }
  Expected<int> axis = normalizeAxis(axisValue, rank);
  if (!axis)
    return c.error(axis.status().message());
  if (*axis == rank - 1)
    return c.error("axis must not be the last (real / imaginary) axis");
  DNNCC_ASSIGN_OR_RETURN(Value * y, dftAlong(c, x, *axis));
  return c.setOutput(0, y);
}

/// The length of a window: the constant `size`, or (known only at run time) the declared output
/// extent, which the run checks `size` against.
Expected<int64_t> windowLength(NodeContext& c) {
  if (c.isRuntimeInput(0)) {
    const std::vector<int64_t>* d = c.declaredShape(0);
    if (!d || d->size() != 1)
      return c.runtimeShapeInputError(0, "size");
    DNNCC_ASSIGN_OR_RETURN(auto n, c.impliedInts(0, {(*d)[0]}));
    return n[0];
  }
  DNNCC_ASSIGN_OR_RETURN(auto n, c.constInts(0, "size"));
  if (n.size() != 1 || n[0] < 0)
    return c.error("size must be a non-negative scalar");
  return n[0];
}

/// HannWindow, HammingWindow and BlackmanWindow-17 (the reference implementation):
/// y[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), n < size, N = size (periodic=1, the
/// default) or size - 1; Hann: sin^2(pi n / N); Hamming: a0 = 25/46, a1 = 1 - a0; Blackman:
/// 0.42, 0.5, 0.08. In output_datatype (default float).
template <int Kind> Status window(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(int64_t size, windowLength(c));
  DNNCC_TRY(c.checkSize({size}, DType::f64));
  int code = static_cast<int>(c.attrInt("output_datatype", 1));
  std::optional<DType> dtype = dtypeFromOnnx(code);
  if (!dtype)
    return c.error(fmt::format("output_datatype {} is not a supported element type", code));
  double n1 = static_cast<double>(c.attrInt("periodic", 1) != 0 ? size : size - 1);
  std::vector<double> y(size);
  for (int64_t n = 0; n < size; ++n) {
    double t = static_cast<double>(n) * std::numbers::pi / n1;
    if (Kind == 0)
      y[n] = std::sin(t) * std::sin(t);
    else if (Kind == 1)
      y[n] = 25.0 / 46.0 - std::cos(2 * t) * (1 - 25.0 / 46.0);
    else
      y[n] = 0.42 - std::cos(2 * t) * 0.5 + std::cos(4 * t) * 0.08;
  }
  return c.setOutput(0, b.tensor(*dtype, {size}, y));
}

const ConverterRow kRows[] = {
    {"DFT", 17, kMaxOpset, dft},
    {"HannWindow", 17, kMaxOpset, window<0>},
    {"HammingWindow", 17, kMaxOpset, window<1>},
    {"BlackmanWindow", 17, kMaxOpset, window<2>},
};
} // namespace

std::span<const ConverterRow> spectralConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
