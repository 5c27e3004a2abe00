// Halide algorithms of the quantization ops (ONNX QuantizeLinear / DequantizeLinear formulas).
#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"
#include "codegen/halide/SmallTypeCast.h"
#include "ir/SmallTypes.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

/// y = saturate(round(x / scale) + zero_point)   (ONNX QuantizeLinear-21..25)
/// The division is in the type of x and scale (the importer casts both to the precision); the
/// rounding is to nearest, ties to even (roundTiesToEven); saturation clamps to the range of `to`.
/// The zero point is added in f32 (f64 for f64 x): exact, as |round(x / scale)| < 2^24 unless the
/// result saturates anyway.
/// To a float8 type: y = cast(x / scale) with `saturate`; to f4e2m1: y = cast(x / scale +
/// zero_point) (the ONNX reference; no rounding to integers).
Expected<TensorFunc> quantizeLinear(const Op& op, const std::vector<TensorFunc>& in,
                                    const Lowering& lw) {
  auto v = makeVars(op.result->type.rank());
  const CastAttrs& a = op.attr<CastAttrs>();
  Halide::Type to = halideType(a.to, lw);
  // A scale of exactly 1 (qdq-to-integer's requantization) divides nothing.
  const Value* s = op.operands[1];
  bool unit = s->isConstant() && s->type.numElements() == 1 &&
              ((s->type.dtype == DType::f32 && s->dataAs<float>()[0] == 1.0f) ||
               (s->type.dtype == DType::f64 && s->dataAs<double>()[0] == 1.0));
  Expr scaled = unit ? at(op, in, 0, v) : at(op, in, 0, v) / at(op, in, 1, v);
  if (isSmallFloat(a.to)) {
    if (in.size() == 3) {
      DNNCC_ASSIGN_OR_RETURN(Expr zp,
                             castSmallType(at(op, in, 2, v), a.to, CastAttrs{DType::f32}, lw));
      scaled = Halide::cast<float>(scaled) + zp;
    }
    DNNCC_ASSIGN_OR_RETURN(Expr y, castSmallType(scaled, op.operands[0]->type.dtype, a, lw));
    return pureResult(op, v, y);
  }
  auto [lo, hi] = integerRange(a.to);
  if (lw.roundBySum && scaled.type() == Halide::Float(32) && hi - lo < (int64_t{1} << 22)) {
    // Clamped first to [lo - zero_point, hi - zero_point] (integers, so rounding commutes with
    // the clamp), then rounded by adding and subtracting 1.5 * 2^23: under the default rounding
    // mode (to nearest, ties to even) the sum of a float below 2^22 in magnitude and 1.5 * 2^23
    // keeps no fraction, so the pair rounds it to an integer, ties to even (strict_float keeps
    // the pair from being folded away). Lowering::roundBySum says where this is faster than
    // Halide's round; the clamp after the zero point goes.
    Expr zp = in.size() == 3 ? Halide::cast<float>(at(op, in, 2, v)) : Expr(0.0f);
    Expr q = Halide::clamp(scaled, static_cast<float>(lo) - zp, static_cast<float>(hi) - zp);
    constexpr float kMagic = 12582912.0f; // 1.5 * 2^23
    q = Halide::strict_float((q + kMagic) - kMagic);
    return pureResult(op, v, Halide::cast(to, q + zp));
  }
  Expr q = roundTiesToEven(scaled, lw);
  Halide::Type acc = q.type().bits() == 64 ? Halide::Float(64) : Halide::Float(32);
  q = Halide::cast(acc, q);
  if (in.size() == 3)
    q = q + Halide::cast(acc, at(op, in, 2, v));
  q = Halide::clamp(q, Halide::Internal::make_const(acc, lo), Halide::Internal::make_const(acc, hi));
  return pureResult(op, v, Halide::cast(to, q));
}

/// y = (x - zero_point) * scale   (ONNX DequantizeLinear-21..25)
/// Computed in f32 for 8- and 16-bit x (x - zero_point is exact there, as in the ONNX reference)
/// and in f64 for i32 x or an f64 result, then rounded once to the result type `to`.
Expected<TensorFunc> dequantizeLinear(const Op& op, const std::vector<TensorFunc>& in,
                                      const Lowering& lw) {
  auto v = makeVars(op.result->type.rank());
  DType to = op.attr<CastAttrs>().to;
  Expr x = at(op, in, 0, v);
  DType xt = op.operands[0]->type.dtype;
  if (isSmallFloat(xt)) { // float8/float4 codes: their values (the importer drops the zero point)
    DNNCC_ASSIGN_OR_RETURN(x, castSmallType(x, xt, CastAttrs{DType::f32}, lw));
  }
  Halide::Type acc =
      x.type().bits() >= 32 || to == DType::f64 ? Halide::Float(64) : Halide::Float(32);
  Expr d = Halide::cast(acc, x);
  if (in.size() == 3)
    d = d - Halide::cast(acc, at(op, in, 2, v));
  Expr y = d * Halide::cast(acc, at(op, in, 1, v));
  if (to == DType::f16 || to == DType::bf16) // exact rounding, also where f16 is held as bits
    return pureResult(op, v, narrowFloat(y, to, lw));
  return pureResult(op, v, Halide::cast(halideType(to, lw), y));
}

const AlgorithmRow kRows[] = {
    // kind, Halide algorithm, work estimate, half-precision rule (Algorithm.h)
    {OpKind::QuantizeLinear, quantizeLinear, workElements, nullptr},
    {OpKind::DequantizeLinear, dequantizeLinear, workElements, nullptr},
};
} // namespace

std::span<const AlgorithmRow> quantizeAlgorithms() {
  return kRows;
}

} // namespace dnncc::hl
