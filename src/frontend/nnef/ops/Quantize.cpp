// NNEF quantization (NNEF 1.0.5 section 4.10): the four quantization operations, and the same
// formulas for the tensors graph.quant quantizes.
#include <cmath>

#include <fmt/format.h>

#include "frontend/nnef/Converters.h"

namespace dnncc::nnefimport {
namespace {

bool isConstantScalar(const Value* v) {
  return v && v->isConstant() && v->type.numElements() == 1;
}

/// `op` on a and b after aligning their ranks (NNEF broadcasting).
Expected<Value*> apply(OpContext& c, OpKind op, Value* a, Value* b) {
  DNNCC_ASSIGN_OR_RETURN(auto ab, c.alignRanks(a, b));
  return c.emit(op, {ab.first, ab.second});
}

/// NNEF round (halves away from zero): sign(v) floor(|v| + 0.5).
Expected<Value*> roundHalfAway(OpContext& c, Value* v) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.emit(OpKind::Abs, {v}));
  DNNCC_ASSIGN_OR_RETURN(a, c.emit(OpKind::Add, {a, c.scalar(DType::f32, 0.5)}));
  DNNCC_ASSIGN_OR_RETURN(a, c.emit(OpKind::Floor, {a}));
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.emit(OpKind::Sign, {v}));
  return c.emit(OpKind::Mul, {s, a});
}

/// x quantized to `type` (u8 / i8) with a constant scalar scale and zero point, and read back.
Expected<Value*> qdq(OpContext& c, Value* x, Value* scale, Value* zeroPoint, DType type) {
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.reshape(scale, {}));
  DNNCC_ASSIGN_OR_RETURN(Value * z, c.reshape(zeroPoint, {}));
  DNNCC_ASSIGN_OR_RETURN(z, c.emit(OpKind::Cast, {z}, CastAttrs{type}));
  DNNCC_ASSIGN_OR_RETURN(Value * q, c.emit(OpKind::QuantizeLinear, {x, s, z}, CastAttrs{type}));
  return c.emit(OpKind::DequantizeLinear, {q, s, z}, CastAttrs{DType::f32});
}

/// zero_point_linear_quantize: q = clamp(round(x / scale) + z, lo, hi); y = (q - z) scale.
Expected<Value*> zeroPointLinear(OpContext& c, Value* x, const Quantization& q) {
  if (!q.scale || !q.zeroPoint)
    return c.error("zero_point_linear_quantize needs 'scale' and 'zero_point'");
  if (q.bits == 8 && !(q.isSigned && q.symmetric) && isConstantScalar(q.scale) &&
      isConstantScalar(q.zeroPoint))
    return qdq(c, x, q.scale, q.zeroPoint, q.isSigned ? DType::i8 : DType::u8);
  const double r = q.isSigned ? std::ldexp(1.0, static_cast<int>(q.bits) - 1) - 1
                              : std::ldexp(1.0, static_cast<int>(q.bits)) - 1;
  const double lo = !q.isSigned ? 0.0 : q.symmetric ? -r : -r - 1;
  DNNCC_ASSIGN_OR_RETURN(Value * z, c.emit(OpKind::Cast, {q.zeroPoint}, CastAttrs{DType::f32}));
  DNNCC_ASSIGN_OR_RETURN(Value * s, apply(c, OpKind::Div, x, q.scale));
  DNNCC_ASSIGN_OR_RETURN(s, roundHalfAway(c, s));
  DNNCC_ASSIGN_OR_RETURN(s, apply(c, OpKind::Add, s, z));
  DNNCC_ASSIGN_OR_RETURN(s, c.emit(OpKind::Clip, {s}, ClipAttrs{lo, r}));
  DNNCC_ASSIGN_OR_RETURN(s, apply(c, OpKind::Sub, s, z));
  return apply(c, OpKind::Mul, s, q.scale);
}

/// min_max_linear_quantize (linear_quantize: unsigned, not symmetric):
/// r = 2^bits - 1 - (signed && symmetric); p = signed ? 2^(bits-1) - symmetric : 0;
/// y = round((clamp(x, min, max) - min) / (max - min) r) / r (max - min) + min.
Expected<Value*> minMaxLinear(OpContext& c, Value* x, const Quantization& q) {
  if (!q.min || !q.max)
    return c.error(fmt::format("{} needs 'min' and 'max'", q.algorithm));
  const double r = std::ldexp(1.0, static_cast<int>(q.bits)) - 1 - (q.isSigned && q.symmetric);
  if (q.bits == 8 && !q.isSigned && isConstantScalar(q.min) && isConstantScalar(q.max)) {
    // With min <= 0 <= max this is the zero-point form: scale (max - min) / 255 and zero point
    // -min / scale, which is an integer only when min sits on the grid; otherwise fall through.
    const double lo = *q.min->dataAs<float>(), hi = *q.max->dataAs<float>();
    const double scale = (hi - lo) / r, zp = -lo / scale;
    if (hi > lo && lo <= 0 && hi >= 0 && zp == std::floor(zp) && zp <= 255)
      return qdq(c, x, c.scalar(DType::f32, scale), c.scalar(DType::i64, zp), DType::u8);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * range, apply(c, OpKind::Sub, q.max, q.min));
  DNNCC_ASSIGN_OR_RETURN(Value * z, apply(c, OpKind::Max, x, q.min));
  DNNCC_ASSIGN_OR_RETURN(z, apply(c, OpKind::Min, z, q.max));
  DNNCC_ASSIGN_OR_RETURN(z, apply(c, OpKind::Sub, z, q.min));
  DNNCC_ASSIGN_OR_RETURN(z, apply(c, OpKind::Div, z, range));
  DNNCC_ASSIGN_OR_RETURN(z, c.emit(OpKind::Mul, {z, c.scalar(DType::f32, r)}));
  DNNCC_ASSIGN_OR_RETURN(z, roundHalfAway(c, z));
  DNNCC_ASSIGN_OR_RETURN(z, c.emit(OpKind::Div, {z, c.scalar(DType::f32, r)}));
  DNNCC_ASSIGN_OR_RETURN(z, apply(c, OpKind::Mul, z, range));
  return apply(c, OpKind::Add, z, q.min);
}

/// logarithmic_quantize: m = ceil(log2(max)); y = sign(x) 2^round(clamp(log2|x|, m - r, m)).
Expected<Value*> logarithmic(OpContext& c, Value* x, const Quantization& q) {
  if (!q.max)
    return c.error("logarithmic_quantize needs 'max'");
  const double r = std::ldexp(1.0, static_cast<int>(q.bits)) - 1;
  Value* inv = c.scalar(DType::f32, 1 / std::log(2.0));
  DNNCC_ASSIGN_OR_RETURN(Value * m, c.emit(OpKind::Log, {q.max}));
  DNNCC_ASSIGN_OR_RETURN(m, c.emit(OpKind::Mul, {m, inv}));
  DNNCC_ASSIGN_OR_RETURN(m, c.emit(OpKind::Ceil, {m}));
  DNNCC_ASSIGN_OR_RETURN(Value * lo, c.emit(OpKind::Sub, {m, c.scalar(DType::f32, r)}));
  DNNCC_ASSIGN_OR_RETURN(Value * l, c.emit(OpKind::Abs, {x}));
  DNNCC_ASSIGN_OR_RETURN(l, c.emit(OpKind::Log, {l}));
  DNNCC_ASSIGN_OR_RETURN(l, c.emit(OpKind::Mul, {l, inv}));
  DNNCC_ASSIGN_OR_RETURN(l, apply(c, OpKind::Max, l, lo));
  DNNCC_ASSIGN_OR_RETURN(l, apply(c, OpKind::Min, l, m));
  DNNCC_ASSIGN_OR_RETURN(l, roundHalfAway(c, l));
  DNNCC_ASSIGN_OR_RETURN(Value * p, c.emit(OpKind::Pow, {c.scalar(DType::f32, 2.0), l}));
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.emit(OpKind::Sign, {x}));
  return c.emit(OpKind::Mul, {s, p});
}

/// The quantization operation's arguments as a Quantization.
Expected<Quantization> arguments(OpContext& c, const char* algorithm) {
  Quantization q;
  q.algorithm = algorithm;
  q.bits = c.attrInt("bits");
  if (q.bits < 1 || q.bits > 32)
    return c.error(fmt::format("'bits' {} is out of range [1, 32]", q.bits));
  const std::string_view a = algorithm;
  if (a == "zero_point_linear_quantize") {
    DNNCC_ASSIGN_OR_RETURN(q.zeroPoint, c.input("zero_point"));
    DNNCC_ASSIGN_OR_RETURN(q.scale, c.input("scale"));
  } else {
    if (a != "logarithmic_quantize") {
      DNNCC_ASSIGN_OR_RETURN(q.min, c.input("min"));
    }
    DNNCC_ASSIGN_OR_RETURN(q.max, c.input("max"));
  }
  if (a == "zero_point_linear_quantize" || a == "min_max_linear_quantize") {
    q.isSigned = c.attrLogical("signed");
    q.symmetric = c.attrLogical("symmetric");
  }
  return q;
}

template <const char* Algorithm> Status quantizeOp(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Quantization q, arguments(c, Algorithm));
  DNNCC_ASSIGN_OR_RETURN(Value * y, fakeQuantize(c, x, q));
  return c.setOutput("y", y);
}

constexpr char kZeroPoint[] = "zero_point_linear_quantize";
constexpr char kMinMax[] = "min_max_linear_quantize";
constexpr char kLinear[] = "linear_quantize";
constexpr char kLog[] = "logarithmic_quantize";

const ConverterRow kRows[] = {
    {kZeroPoint, quantizeOp<kZeroPoint>},
    {kMinMax, quantizeOp<kMinMax>},
    {kLinear, quantizeOp<kLinear>},
    {kLog, quantizeOp<kLog>},
};
} // namespace

Expected<Value*> fakeQuantize(OpContext& c, Value* x, const Quantization& q) {
  if (q.bits < 1 || q.bits > 32)
    return c.error(fmt::format("quantization to {} bits is out of range [1, 32]", q.bits));
  if (q.algorithm == "zero_point_linear_quantize")
    return zeroPointLinear(c, x, q);
  if (q.algorithm == "min_max_linear_quantize" || q.algorithm == "linear_quantize")
    return minMaxLinear(c, x, q);
  if (q.algorithm == "logarithmic_quantize")
    return logarithmic(c, x, q);
  return c.error(fmt::format("unknown quantization '{}'", q.algorithm));
}

std::span<const ConverterRow> quantizeConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
