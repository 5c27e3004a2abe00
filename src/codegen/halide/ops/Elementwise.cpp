// Halide algorithms of the element-wise ops (ONNX operator spec formulas; numpy broadcasting).
#include <cmath>

#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"
#include "codegen/halide/SmallTypeCast.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

Expr typed(Expr like, double value) { return constant(like.type(), value); }
Expr boolOf(Expr cond) { return Halide::cast(Halide::UInt(8), cond); }

/// A C library function of one float type (f32 -> "<name>f", f64 -> "<name>").
Expr libm(const char* name, Expr a, Expr b) {
  bool f32 = a.type() == Halide::Float(32);
  return Halide::Internal::Call::make(a.type(), f32 ? std::string(name) + "f" : std::string(name),
                                      {a, b}, Halide::Internal::Call::PureExtern);
}

/// log(1 + exp(x)) without overflow: max(x, 0) + log(1 + exp(-|x|)) (ONNX Softplus).
Expr softplus(Expr x) {
  return Halide::max(x, typed(x, 0)) + Halide::log(typed(x, 1) + Halide::exp(-Halide::abs(x)));
}

/// C fmod: the remainder of a / b rounded toward zero, with the sign of a (ONNX Mod fmod=1).
Expr truncatedMod(Expr a, Expr b) {
  if (a.type().is_float())
    return libm("fmod", a, b);
  if (a.type().is_uint())
    return a % b; // Halide: x % 0 == 0
  Expr r = a % b; // Euclidean: 0 <= r < |b|
  return Halide::select(a < 0 && r != 0, r - Halide::select(b < 0, -b, b), r);
}

/// Floored mod a - floor(a / b) * b, the remainder with the sign of the divisor (ONNX Mod fmod=0,
/// Python's %); for floats through C fmod, so it is exact.
Expr flooredMod(Expr a, Expr b) {
  if (a.type().is_uint())
    return a % b;
  if (a.type().is_float()) {
    Expr r = libm("fmod", a, b);
    // A zero remainder takes the sign of b (ONNX Mod-28 special cases, like Python's %).
    // (The sign bit is taken from b's bits: the simplifier treats the constants -0 and 0 alike.)
    Halide::Type ut = b.type().with_code(Halide::Type::UInt);
    Expr signBit = Halide::Internal::make_const(ut, uint64_t(1) << (b.type().bits() - 1));
    Expr zero = Halide::reinterpret(a.type(), Halide::reinterpret(ut, b) & signBit);
    // r == 0 tested on the bits: Halide's float flags let LLVM assume r is not NaN.
    Expr isZero = (Halide::reinterpret(ut, r) & ~signBit) == Halide::Internal::make_zero(ut);
    return Halide::select(isZero, zero, (r < 0) != (b < 0), r + b, r);
  }
  Expr r = a % b; // Euclidean: 0 <= r < |b|; for b < 0 the floored remainder is r + b
  return Halide::select(b < 0 && r != 0, r + b, r);
}

/// Integer a^b by binary exponentiation over every bit of b, wrapping like the C++ loop of the
/// reference implementations; a negative exponent gives 1/a^|b| truncated toward zero.
Expr integerPow(Expr a, Expr b) {
  using Halide::Internal::Let;
  using Halide::Internal::Variable;
  const Halide::Type t = a.type();
  const int bits = b.type().bits();
  std::vector<std::pair<std::string, Expr>> lets;
  Expr result = typed(a, 1), base = a;
  for (int i = 0; i < bits; ++i) {
    Expr bit = ((b >> i) & constant(b.type(), 1)) != 0;
    std::string rn = Halide::Internal::unique_name("pow_r"),
                bn = Halide::Internal::unique_name("pow_b");
    lets.emplace_back(rn, Halide::select(bit, result * base, result));
    result = Variable::make(t, rn);
    if (i + 1 < bits) {
      lets.emplace_back(bn, base * base);
      base = Variable::make(t, bn);
    }
  }
  Expr body = result;
  if (b.type().is_int()) {
    Expr odd = (b & constant(b.type(), 1)) != 0;
    Expr negative = Halide::select(a == typed(a, 1), typed(a, 1), a == typed(a, -1),
                                   Halide::select(odd, typed(a, -1), typed(a, 1)), typed(a, 0));
    body = Halide::select(b < 0, negative, body);
  }
  for (auto it = lets.rbegin(); it != lets.rend(); ++it)
    body = Let::make(it->first, it->second, body);
  return body;
}

/// The value of a constant scalar operand, if it is one (lets pow(x, 2) become x * x).
std::optional<double> constantScalar(const Value* v) {
  if (!v->isConstant() || v->type.numElements() != 1)
    return std::nullopt;
  switch (v->type.dtype) {
  case DType::f32:
    return v->dataAs<float>()[0];
  case DType::f64:
    return v->dataAs<double>()[0];
  case DType::i64:
    return static_cast<double>(v->dataAs<int64_t>()[0]);
  case DType::i32:
    return v->dataAs<int32_t>()[0];
  default:
    return std::nullopt;
  }
}

/// tanh of an f32 `x` in vector arithmetic (Halide::tanh calls the C library's tanhf one lane at
/// a time), with IEEE semantics. |x| < 0.4: the odd Taylor series of tanh through x^13 (the next
/// term, 929569/638512875 x^15, is below 2e-9 there); otherwise 1 - 2 / (exp(2|x|) + 1) with tanh's
/// sign, where the cancellation costs at most two bits (tanh(0.4) = 0.38). NaN stays NaN, +-inf
/// gives +-1, -0 gives -0. Series coefficients: tanh x = sum 2^2n (2^2n - 1) B_2n x^(2n-1) / (2n)!
/// (Abramowitz & Stegun 4.5.64).
Expr tanhF32(Expr x) {
  Expr a = Halide::abs(x);
  Expr x2 = x * x;
  // Horner's rule in x^2, from the x^13 coefficient down to 1.
  const float coefficients[] = {21844.0f / 6081075, -1382.0f / 155925, 62.0f / 2835,
                                -17.0f / 315,       2.0f / 15,          -1.0f / 3, 1.0f};
  Expr poly = coefficients[0];
  for (size_t i = 1; i < std::size(coefficients); ++i)
    poly = poly * x2 + coefficients[i];
  Expr series = x * poly;
  // Halide's exp is not IEEE at the extremes (exp(inf) is 0): |x| is capped at 20, where tanh
  // is 1 in f32 (1 - 4e-18), and NaN is passed through.
  Expr far = 1.0f - 2.0f / (Halide::exp(2.0f * Halide::min(a, 20.0f)) + 1.0f);
  // IEEE semantics for this expression (kernels otherwise compile with fast-math flags, under
  // which LLVM may assume no NaN or infinity reaches the comparisons).
  return Halide::strict_float(
      Halide::select(Halide::is_nan(x), x, a < 0.4f, series, Halide::select(x < 0.0f, -far, far)));
}

/// e^t for an f32 `t` in [-87, 87] (normal and finite results): t = n ln 2 + r with n =
/// round(t / ln 2) and ln 2 in two parts (Cody and Waite, so r is exact to f32), |r| <= ln 2 / 2,
/// e^r = 1 + r + r^2 P(r) with the degree-5 P of Cephes' expf (S. L. Moshier, Cephes Math
/// Library), then times 2^n built in the exponent bits. Relative error about 2e-7. Halide::exp
/// is accurate to the same order but costs a degree-7 polynomial and range checks (about 35
/// instructions per vector against 20), and gives 0 for +inf.
Expr expF32(Expr t) {
  Expr n = Halide::round(t * 1.44269504088896341f);
  Expr r = t - n * 0.693359375f - n * -2.12194440e-4f;
  const float coefficients[] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
  Expr poly = coefficients[0];
  for (size_t i = 1; i < std::size(coefficients); ++i)
    poly = poly * r + coefficients[i];
  Expr er = poly * (r * r) + r + 1.0f;
  Expr scale = Halide::reinterpret(Halide::Float(32), (Halide::cast<int32_t>(n) + 127) << 23);
  return er * scale;
}

/// The logistic function 1 / (1 + e^-x) of an f32 `x` in vector arithmetic: e^-x by expF32
/// with -x capped to [-87, 87], where the result is 1 and 1.6e-38 (the float closest to 0 that
/// keeps e^-x normal); +inf gives 1, -inf 1.6e-38 (onnxruntime: 0), NaN stays NaN (chosen on the
/// bits: the kernels compile with fast-math flags, under which LLVM may assume no float is NaN).
/// Halide::exp gives 0 for +inf, so the old 1 / (1 + exp(-x)) gave 1 for -inf and for NaN.
Expr sigmoidF32(Expr x) {
  Expr e = expF32(Halide::clamp(-x, -87.0f, 87.0f));
  Expr s = 1.0f / (1.0f + e);
  Expr bits = Halide::reinterpret(Halide::UInt(32), x);
  Expr nan = (bits & Halide::UInt(32).with_lanes(1).max() >> 1) >
             Halide::cast(Halide::UInt(32), 0x7f800000);
  return Halide::reinterpret(Halide::Float(32),
                             Halide::select(nan, bits, Halide::reinterpret(Halide::UInt(32), s)));
}

Expected<Expr> unaryExpr(const Op& op, Expr x, const Lowering& lw) {
  bool f = x.type().is_float();
  switch (op.kind) {
  case OpKind::Relu:
    // NaN stays NaN, as in onnxruntime and PyTorch: select(x < 0, 0, x) under IEEE semantics
    // (fast-math would let LLVM turn it into a max, which returns 0 for NaN on x86 and NEON).
    if (f)
      return Halide::strict_float(Halide::select(x < typed(x, 0), typed(x, 0), x));
    return Halide::max(x, typed(x, 0));
  case OpKind::Sigmoid:
    if (x.type() == Halide::Float(32) && !lw.gpu)
      return sigmoidF32(x);
    return typed(x, 1) / (typed(x, 1) + Halide::exp(-x));
  case OpKind::Tanh:
    return x.type() == Halide::Float(32) && !lw.gpu ? tanhF32(x) : Halide::tanh(x);
  case OpKind::Exp:
    return Halide::exp(x);
  case OpKind::Log:
    return Halide::log(x);
  case OpKind::Sqrt:
    return Halide::sqrt(x);
  case OpKind::Erf:
    if (x.type() != Halide::Float(32))
      return Status::error("erf is only implemented for f32");
    return Halide::erf(x);
  case OpKind::Reciprocal:
    return typed(x, 1) / x;
  case OpKind::Neg:
    return -x;
  case OpKind::Abs:
    return Halide::cast(x.type(), Halide::abs(x));
  case OpKind::Floor:
    return Halide::floor(x);
  case OpKind::Ceil:
    return Halide::ceil(x);
  case OpKind::Not:
    return boolOf(x == 0);
  case OpKind::Identity:
    return x;
  case OpKind::Clip: {
    const auto& a = op.attr<ClipAttrs>();
    Expr y = x;
    // ONNX Clip: min(max(x, min), max); an infinite bound is no bound.
    if (std::isfinite(a.min) || f)
      y = Halide::max(y, f ? typed(x, a.min) : Halide::saturating_cast(x.type(), constant(Halide::Float(64), a.min)));
    if (std::isfinite(a.max) || f)
      y = Halide::min(y, f ? typed(x, a.max) : Halide::saturating_cast(x.type(), constant(Halide::Float(64), a.max)));
    return y;
  }
  case OpKind::LeakyRelu:
    return Halide::select(x < 0, typed(x, op.attr<LeakyReluAttrs>().alpha) * x, x);
  case OpKind::HardSigmoid: {
    const auto& a = op.attr<HardSigmoidAttrs>();
    return Halide::clamp(typed(x, a.alpha) * x + typed(x, a.beta), typed(x, 0), typed(x, 1));
  }
  case OpKind::HardSwish: // x * HardSigmoid(x) with alpha = 1/6, beta = 0.5 (ONNX HardSwish)
    return x * Halide::clamp(x * typed(x, 1.0 / 6.0) + typed(x, 0.5), typed(x, 0), typed(x, 1));
  case OpKind::Gelu:
    if (op.attr<GeluAttrs>().approximate == GeluApprox::tanh) {
      // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))  (ONNX Gelu-20)
      Expr inner = typed(x, std::sqrt(2.0 / M_PI)) * (x + typed(x, 0.044715) * x * x * x);
      return typed(x, 0.5) * x * (typed(x, 1) + Halide::tanh(inner));
    }
    if (x.type() != Halide::Float(32))
      return Status::error("gelu is only implemented for f32");
    return typed(x, 0.5) * x * (typed(x, 1) + Halide::erf(x * typed(x, M_SQRT1_2)));
  case OpKind::Cast: {
    DType toType = op.attr<CastAttrs>().to;
    if (isSmallType(op.operands[0]->type.dtype) || isSmallType(toType)) {
      if (toType != DType::f16 && toType != DType::bf16)
        return castSmallType(x, op.operands[0]->type.dtype, op.attr<CastAttrs>(), lw);
      DNNCC_ASSIGN_OR_RETURN(
          x, castSmallType(x, op.operands[0]->type.dtype, CastAttrs{DType::f32}, lw));
      return narrowFloat(x, toType, lw);
    }
    if (toType == DType::boolean)
      return boolOf(x != 0);
    if (toType == DType::f16 || toType == DType::bf16)
      return narrowFloat(x, toType, lw); // rounds to nearest even, NaN stays NaN
    return Halide::cast(halideType(toType, lw),
                        x); // float -> int truncates toward zero (ONNX Cast)
  }
  case OpKind::BitCast: // the same bits (bool is stored as uint8)
    return Halide::reinterpret(halideType(op.attr<CastAttrs>().to, lw), x);
  case OpKind::Sin:
    return Halide::sin(x);
  case OpKind::Cos:
    return Halide::cos(x);
  case OpKind::Tan:
    return Halide::tan(x);
  case OpKind::Asin:
    return Halide::asin(x);
  case OpKind::Acos:
    return Halide::acos(x);
  case OpKind::Atan:
    return Halide::atan(x);
  case OpKind::Sinh:
    return Halide::sinh(x);
  case OpKind::Cosh:
    return Halide::cosh(x);
  case OpKind::Asinh:
    return Halide::asinh(x);
  case OpKind::Acosh:
    return Halide::acosh(x);
  case OpKind::Atanh:
    return Halide::atanh(x);
  case OpKind::Round: // ties to even (ONNX Round)
    return roundHalfEven(x);
  case OpKind::Sign: // -1, 0 or 1; NaN stays NaN (ONNX Sign, numpy.sign)
    if (x.type().is_uint())
      return Halide::select(x > 0, typed(x, 1), typed(x, 0));
    return Halide::select(x > 0, typed(x, 1), x < 0, typed(x, -1), f ? x : typed(x, 0));
  case OpKind::IsNaN:
    return boolOf(Halide::is_nan(x));
  case OpKind::IsInf: {
    const auto& a = op.attr<IsInfAttrs>();
    if (!a.positive && !a.negative)
      return constant(Halide::UInt(8), 0); // detects nothing
    Expr inf = Halide::is_inf(x);
    if (a.positive != a.negative)
      inf = inf && (a.positive ? x > 0 : x < 0);
    return boolOf(inf);
  }
  case OpKind::BitNot:
    return ~x;
  case OpKind::Softplus:
    return softplus(x);
  case OpKind::Softsign: // x / (1 + |x|)
    return x / (typed(x, 1) + Halide::abs(x));
  case OpKind::Mish: // x * tanh(softplus(x))
    return x * Halide::tanh(softplus(x));
  case OpKind::Elu: { // x < 0 ? alpha (exp(x) - 1) : x
    Expr alpha = typed(x, op.attr<AlphaAttrs>().alpha);
    return Halide::select(x < 0, alpha * (Halide::exp(x) - typed(x, 1)), x);
  }
  case OpKind::Celu: { // max(0, x) + min(0, alpha (exp(x / alpha) - 1))
    Expr alpha = typed(x, op.attr<AlphaAttrs>().alpha);
    return Halide::max(x, typed(x, 0)) +
           Halide::min(typed(x, 0), alpha * (Halide::exp(x / alpha) - typed(x, 1)));
  }
  case OpKind::Selu: { // gamma (x > 0 ? x : alpha e^x - alpha)
    const auto& a = op.attr<SeluAttrs>();
    Expr alpha = typed(x, a.alpha);
    return typed(x, a.gamma) * Halide::select(x > 0, x, alpha * Halide::exp(x) - alpha);
  }
  case OpKind::ThresholdedRelu: // x > alpha ? x : 0
    return Halide::select(x > typed(x, op.attr<AlphaAttrs>().alpha), x, typed(x, 0));
  case OpKind::Shrink: { // x < -lambd ? x + bias : x > lambd ? x - bias : 0
    const auto& a = op.attr<ShrinkAttrs>();
    Expr xd = Halide::cast(Halide::Float(64), x);
    Expr bias = typed(x, a.bias);
    Expr below = xd < typed(xd, -a.lambd);
    Expr above = xd > typed(xd, a.lambd);
    return Halide::select(below, x + bias, above, x - bias, typed(x, 0));
  }
  case OpKind::Swish: // x sigmoid(alpha x) (ONNX Swish-24)
    return x / (typed(x, 1) + Halide::exp(-typed(x, op.attr<AlphaAttrs>().alpha) * x));
  default:
    return Status::error(fmt::format("{} is not a unary element-wise op", opName(op.kind)));
  }
}

Expected<TensorFunc> unary(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  auto v = makeVars(op.result->type.rank());
  DNNCC_ASSIGN_OR_RETURN(Expr e, unaryExpr(op, at(op, in, 0, v), lw));
  return pureResult(op, v, e);
}

Expected<TensorFunc> binary(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  auto v = makeVars(op.result->type.rank());
  Expr a = at(op, in, 0, v), b = at(op, in, 1, v);
  bool f = a.type().is_float();
  Expr e;
  switch (op.kind) {
  case OpKind::Add:
    e = a + b;
    break;
  case OpKind::Sub:
    e = a - b;
    break;
  case OpKind::Mul:
    e = a * b;
    break;
  case OpKind::Div:
    // Integer division truncates toward zero (C semantics, as onnxruntime).
    e = f ? a / b : Halide::div_round_to_zero(a, b);
    break;
  case OpKind::Pow: {
    std::optional<double> k = constantScalar(op.operands[1]);
    if (k && *k == 2.0)
      e = a * a;
    else if (k && *k == 1.0)
      e = a;
    else if (k && *k == 0.5 && f)
      e = Halide::sqrt(a);
    else if (f)
      e = Halide::pow(a, Halide::cast(a.type(), b));
    else if (b.type().is_float()) // integer base, float exponent: pow in f64, truncated
      e = Halide::cast(a.type(), Halide::pow(Halide::cast(Halide::Float(64), a),
                                             Halide::cast(Halide::Float(64), b)));
    else
      e = integerPow(a, b);
    break;
  }
  case OpKind::Max:
    e = Halide::max(a, b);
    break;
  case OpKind::Min:
    e = Halide::min(a, b);
    break;
  case OpKind::Equal:
    e = boolOf(a == b);
    break;
  case OpKind::Less:
    e = boolOf(a < b);
    break;
  case OpKind::Greater:
    e = boolOf(a > b);
    break;
  case OpKind::And:
    e = boolOf(a != 0 && b != 0);
    break;
  case OpKind::Or:
    e = boolOf(a != 0 || b != 0);
    break;
  case OpKind::Xor:
    e = boolOf((a != 0) != (b != 0));
    break;
  case OpKind::Mod:
    e = flooredMod(a, b);
    break;
  case OpKind::Fmod:
    e = truncatedMod(a, b);
    break;
  case OpKind::ShiftLeft:
  case OpKind::ShiftRight: {
    // ONNX BitShift-28: right shifts of signed values are arithmetic; left shifts discard the bits
    // shifted past the sign bit (done on the unsigned bits: no signed overflow); a negative or too
    // large shift leaves only the sign fill: -1 for a right shift of a negative x, else 0.
    Expr outOfRange = b >= constant(b.type(), a.type().bits());
    if (b.type().is_int())
      outOfRange = outOfRange || b < 0;
    if (op.kind == OpKind::ShiftLeft) {
      Halide::Type ut = a.type().with_code(Halide::Type::UInt);
      Expr shifted =
          Halide::reinterpret(a.type(), Halide::reinterpret(ut, a) << Halide::reinterpret(ut, b));
      e = Halide::select(outOfRange, typed(a, 0), shifted);
    } else {
      Expr fill =
          a.type().is_int() ? Halide::select(a < 0, typed(a, -1), typed(a, 0)) : typed(a, 0);
      e = Halide::select(outOfRange, fill, a >> b);
    }
    break;
  }
  case OpKind::BitAnd:
    e = a & b;
    break;
  case OpKind::BitOr:
    e = a | b;
    break;
  case OpKind::BitXor:
    e = a ^ b;
    break;
  case OpKind::PRelu: // x < 0 ? slope * x : x
    e = Halide::select(a < 0, b * a, a);
    break;
  default:
    return Status::error(fmt::format("{} is not a binary element-wise op", opName(op.kind)));
  }
  return pureResult(op, v, e);
}

Expected<TensorFunc> where(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  auto v = makeVars(op.result->type.rank());
  return pureResult(op, v,
                    Halide::select(at(op, in, 0, v) != 0, at(op, in, 1, v), at(op, in, 2, v)));
}

/// x, unless the scalar `ok` is zero at run time: then the pipeline fails (halide_error, which
/// the runtime reports as the run's error) naming the value.
Expected<TensorFunc> assertOk(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  auto v = makeVars(op.result->type.rank());
  Expr ok = in[1](Idx(in[1].type.rank(), Expr(0))) != 0;
  return pureResult(op, v, Halide::require(ok, at(op, in, 0, v), shapeCheckMessage(op.result->name)));
}

// clang-format off
const AlgorithmRow kRows[] = {
    // kind, Halide algorithm, work estimate, half-precision rule (Algorithm.h)
    {OpKind::Relu, unary, workElements, halfExact},
    {OpKind::Sigmoid, unary, workElements, nullptr},
    {OpKind::Tanh, unary, workElements, nullptr},
    {OpKind::Exp, unary, workElements, nullptr},
    {OpKind::Log, unary, workElements, nullptr},
    {OpKind::Sqrt, unary, workElements, nullptr},
    {OpKind::Erf, unary, workElements, nullptr},
    {OpKind::Reciprocal, unary, workElements, nullptr},
    {OpKind::Neg, unary, workElements, halfExact},
    {OpKind::Abs, unary, workElements, halfExact},
    {OpKind::Floor, unary, workElements, nullptr},
    {OpKind::Ceil, unary, workElements, nullptr},
    {OpKind::Not, unary, workElements, nullptr},
    {OpKind::Clip, unary, workElements, halfExact},
    {OpKind::LeakyRelu, unary, workElements, halfExactIfAlphaIsHalf},
    {OpKind::HardSigmoid, unary, workElements, nullptr},
    {OpKind::HardSwish, unary, workElements, nullptr},
    {OpKind::Gelu, unary, workElements, nullptr},
    {OpKind::Cast, unary, workElements, nullptr},
    {OpKind::Identity, unary, workElements, halfExact},
    {OpKind::Add, binary, workElements, halfExact},
    {OpKind::Sub, binary, workElements, halfExact},
    {OpKind::Mul, binary, workElements, halfExact},
    {OpKind::Div, binary, workElements, nullptr},
    {OpKind::Pow, binary, workElements, nullptr},
    {OpKind::Max, binary, workElements, halfExact},
    {OpKind::Min, binary, workElements, halfExact},
    {OpKind::Equal, binary, workElements, halfExact},
    {OpKind::Less, binary, workElements, halfExact},
    {OpKind::Greater, binary, workElements, halfExact},
    {OpKind::And, binary, workElements, nullptr},
    {OpKind::Or, binary, workElements, nullptr},
    {OpKind::Where, where, workElements, halfExact},
    {OpKind::Assert, assertOk, workElements, nullptr},
    {OpKind::Sin, unary, workElements, nullptr},
    {OpKind::Cos, unary, workElements, nullptr},
    {OpKind::Tan, unary, workElements, nullptr},
    {OpKind::Asin, unary, workElements, nullptr},
    {OpKind::Acos, unary, workElements, nullptr},
    {OpKind::Atan, unary, workElements, nullptr},
    {OpKind::Sinh, unary, workElements, nullptr},
    {OpKind::Cosh, unary, workElements, nullptr},
    {OpKind::Asinh, unary, workElements, nullptr},
    {OpKind::Acosh, unary, workElements, nullptr},
    {OpKind::Atanh, unary, workElements, nullptr},
    {OpKind::Round, unary, workElements, nullptr},
    {OpKind::Sign, unary, workElements, nullptr},
    {OpKind::IsNaN, unary, workElements, nullptr},
    {OpKind::IsInf, unary, workElements, nullptr},
    {OpKind::BitNot, unary, workElements, nullptr},
    {OpKind::Softplus, unary, workElements, nullptr},
    {OpKind::Softsign, unary, workElements, nullptr},
    {OpKind::Mish, unary, workElements, nullptr},
    {OpKind::Elu, unary, workElements, nullptr},
    {OpKind::Celu, unary, workElements, nullptr},
    {OpKind::Selu, unary, workElements, nullptr},
    {OpKind::ThresholdedRelu, unary, workElements, nullptr},
    {OpKind::Shrink, unary, workElements, nullptr},
    {OpKind::Swish, unary, workElements, nullptr},
    {OpKind::Xor, binary, workElements, nullptr},
    {OpKind::Mod, binary, workElements, nullptr},
    {OpKind::Fmod, binary, workElements, nullptr},
    {OpKind::ShiftLeft, binary, workElements, nullptr},
    {OpKind::ShiftRight, binary, workElements, nullptr},
    {OpKind::BitAnd, binary, workElements, nullptr},
    {OpKind::BitOr, binary, workElements, nullptr},
    {OpKind::BitXor, binary, workElements, nullptr},
    {OpKind::PRelu, binary, workElements, halfExact},
    {OpKind::BitCast, unary, workElements, nullptr},
};
// clang-format on
} // namespace

std::span<const AlgorithmRow> elementwiseAlgorithms() { return kRows; }

} // namespace dnncc::hl
