// ONNX Cast to and from the small types (see SmallTypeCast.h and ir/SmallTypes.h).
#include "codegen/halide/SmallTypeCast.h"

#include <cmath>

#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"
#include "ir/SmallTypes.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

Expr u32(Expr e) { return Halide::cast(Halide::UInt(32), std::move(e)); }
Expr cu(uint64_t v) { return Halide::Internal::make_const(Halide::UInt(32), v); }
Expr ci64(int64_t v) { return Halide::Internal::make_const(Halide::Int(64), v); }
Expr cf64(double v) { return Halide::Internal::make_const(Halide::Float(64), v); }
Expr i32(Expr e) { return Halide::cast(Halide::Int(32), std::move(e)); }

/// 2^k as f32 for an integer expression k in [-126, 127], built from its bits (exact).
Expr pow2(Expr k) { return Halide::reinterpret(Halide::Float(32), u32(k + 127) << 23); }

/// The f32 value of a code of mini float format `f` (exact: every such value is an f32).
Expr decodeMiniFloat(Expr code, const MiniFloatFormat& f) {
  int w = 1 + f.expBits + f.mantBits;
  unsigned expMax = (1u << f.expBits) - 1, mantMax = (1u << f.mantBits) - 1;
  Expr c = u32(code) & cu((1u << w) - 1);
  Expr sign = (c >> (w - 1)) != 0;
  Expr exp = i32((c >> f.mantBits) & cu(expMax)), mant = c & cu(mantMax);
  Expr sub = Halide::cast<float>(mant) * pow2(Expr(1 - f.bias - f.mantBits));
  Expr normal = Halide::cast<float>(mant + cu(1u << f.mantBits)) * pow2(exp - f.bias - f.mantBits);
  Expr mag = Halide::select(exp == 0, sub, normal);
  Expr nan = Halide::cast<float>(NAN);
  if (f.hasInf)
    mag = Halide::select(exp == int(expMax),
                         Halide::select(mant == cu(0), Halide::cast<float>(INFINITY), nan), mag);
  if (f.nanAllOnes)
    mag = Halide::select(exp == int(expMax) && mant == cu(mantMax), nan, mag);
  Expr value = Halide::select(sign, -mag, mag);
  if (f.fnuz)
    value = Halide::select(c == cu(1u << (w - 1)), nan, value);
  return value;
}

/// f8e8m0: 2^(code - 127); code 0 is the f32 subnormal 2^-127, 0xFF is NaN.
Expr decodeE8M0(Expr code) {
  Expr c = u32(code);
  Expr bits = Halide::select(c == cu(0), cu(0x00400000u), c << 23);
  return Halide::select(c == cu(0xFF), Halide::cast<float>(NAN),
                        Halide::reinterpret(Halide::Float(32), bits));
}

/// The code of the f32 `x` in mini float format `f` (see castSmallType for the rules).
Expr encodeMiniFloat(Expr x, const MiniFloatFormat& f, bool saturate) {
  const int M = f.mantBits, w = 1 + f.expBits + f.mantBits, emin = 1 - f.bias;
  const unsigned mantMax = (1u << M) - 1, signBit = 1u << (w - 1);
  Expr bits = Halide::reinterpret(Halide::UInt(32), x);
  Expr neg = (bits >> 31) != cu(0);
  Expr a = Halide::abs(x);
  // Round |x| to the format's grid at its exponent: a multiple of 2^(max(e, emin) - M). The
  // division and product are by powers of two and exact; roundHalfEven is ties-to-even.
  Expr e = i32((bits >> 23) & cu(0xFF)) - 127;
  Expr q = pow2(Halide::max(e, emin) - M);
  Expr r = roundHalfEven(a / q) * q;
  Expr rb = Halide::reinterpret(Halide::UInt(32), r);
  Expr sub = u32(r * pow2(Expr(M - emin))); // mantissa of a subnormal result
  Expr normal = (u32(i32((rb >> 23) & cu(0xFF)) - 127 + f.bias) << M) | ((rb >> (23 - M)) & cu(mantMax));
  Expr mag = Halide::select(r < std::ldexp(1.0f, emin), sub, normal);
  // The largest finite magnitude's code, and what overflow gives.
  unsigned maxCode = 0;
  for (unsigned c = 0; c < signBit; ++c) {
    double v = decodeSmallFloat(f.expBits == 4 ? (f.fnuz ? DType::f8e4m3fnuz : DType::f8e4m3fn)
                                : f.expBits == 5 ? (f.fnuz ? DType::f8e5m2fnuz : DType::f8e5m2)
                                                 : DType::f4e2m1,
                                uint8_t(c));
    if (v == f.maxFinite)
      maxCode = c;
  }
  unsigned expAll = ((1u << f.expBits) - 1) << M;
  unsigned nanCode = f.fnuz ? signBit : f.hasInf ? (expAll | (1u << (M - 1))) : (expAll | mantMax);
  Expr overflow = r > float(f.maxFinite) || Halide::is_inf(a);
  bool clampOverflow = saturate || !f.hasNaN;
  unsigned overflowCode = clampOverflow ? maxCode : f.hasInf ? expAll : nanCode;
  mag = Halide::select(overflow, cu(overflowCode), mag);
  Expr code = mag | Halide::select(neg, cu(signBit), cu(0));
  if (f.fnuz) // no negative zero; NaN is 0x80
    code = Halide::select(mag == cu(0), cu(0), code);
  if (f.hasNaN)
    code = Halide::select(Halide::is_nan(x), f.fnuz ? cu(nanCode) : (cu(nanCode) | (code & cu(signBit))),
                          code);
  else // f4e2m1 has no NaN: like ml_dtypes, NaN becomes -0
    code = Halide::select(Halide::is_nan(x), cu(signBit), code);
  return Halide::cast(Halide::UInt(8), code);
}

/// f8e8m0 code of the f32 `x` (onnx.numpy_helper.to_float8e8m0): the biased exponent of x,
/// rounded up by `round` from the mantissa bits; NaN and inf give 0xFF.
Expr encodeE8M0(Expr x, bool saturate, CastRound round) {
  Expr bits = Halide::reinterpret(Halide::UInt(32), x);
  Expr exponent = (bits >> 23) & cu(0xFF);
  Expr up = Halide::Internal::const_false();
  switch (round) {
  case CastRound::up:
    up = (bits & cu(0x7FFFFF)) != cu(0);
    break;
  case CastRound::nearest:
    up = (bits & cu(0x400000)) != cu(0) &&
         ((bits & cu(0x200000)) != cu(0) || (bits & cu(0x1FFFFF)) != cu(0) || exponent > cu(0));
    break;
  case CastRound::down:
    break;
  }
  if (saturate)
    up = up && exponent != cu(0xFE);
  Expr code = Halide::select(exponent == cu(0xFF), cu(0xFF), exponent + Halide::select(up, cu(1), cu(0)));
  return Halide::cast(Halide::UInt(8), code);
}

/// u4/i4/u2/i2 from any value: truncation toward zero, then the low `bits` bits.
Expr encodeSmallInt(Expr x, DType to) {
  int bits = smallTypeBits(to);
  Expr v;
  if (x.type().is_float()) {
    Expr xf = Halide::cast<double>(x);
    Expr t = Halide::clamp(Halide::trunc(xf), cf64(-4.0e18), cf64(4.0e18));
    v = Halide::select(Halide::is_finite(xf), Halide::cast<int64_t>(t), ci64(0));
  } else {
    v = Halide::cast<int64_t>(x);
  }
  Expr low = v & ci64((int64_t(1) << bits) - 1);
  if (isSignedInt(to))
    return Halide::cast(Halide::Int(8),
                        Halide::select(low >= ci64(int64_t(1) << (bits - 1)),
                                       low - ci64(int64_t(1) << bits), low));
  return Halide::cast(Halide::UInt(8), low);
}
} // namespace

Expected<Halide::Expr> castSmallType(Halide::Expr x, DType from, const CastAttrs& a,
                                     const Lowering& lw) {
  // First the value as an ordinary Halide number: small floats decode to f32, small ints are
  // already their value.
  if (auto f = miniFloatFormat(from))
    x = decodeMiniFloat(x, *f);
  else if (from == DType::f8e8m0)
    x = decodeE8M0(x);
  DType to = a.to;
  if (!isSmallType(to)) {
    if (to == DType::boolean)
      return Halide::cast(Halide::UInt(8), x != Halide::Internal::make_zero(x.type()));
    return Halide::cast(halideType(to, lw), x);
  }
  if (to == DType::u4 || to == DType::i4 || to == DType::u2 || to == DType::i2)
    return encodeSmallInt(x, to);
  Expr xf = Halide::cast<float>(x);
  if (to == DType::f8e8m0)
    return encodeE8M0(xf, a.saturate, a.round);
  auto f = miniFloatFormat(to);
  if (!f)
    return Status::error(fmt::format("cast to {} is not implemented", dtypeName(to)));
  return encodeMiniFloat(xf, *f, a.saturate);
}

} // namespace dnncc::hl
