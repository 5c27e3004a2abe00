// float16 / bfloat16 support of the code generator: exact conversions written with integer bit
// operations (Halide 14's own float16 casts turn NaN into inf on the CPU), the device's native
// conversions and half arithmetic where a GPU computes in binary16 (Lowering::nativeHalf), and the
// lifting of an op on 16-bit floats to an op computed in f32 whose result is rounded to the 16-bit
// type.
#include <cmath>

#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"
#include "ir/SmallTypes.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

bool isLowPrecision(DType t) {
  return t == DType::f16 || t == DType::bf16;
}

Expr u32(uint64_t v) {
  return Halide::Internal::make_const(Halide::UInt(32), v);
}
Expr uconst(Halide::Type t, uint64_t v) {
  return Halide::Internal::make_const(t, v);
}

/// IEEE binary16 bits of `x` (f32 or f64), rounded to nearest even; NaN -> quiet NaN, values of
/// magnitude >= 65520 -> inf, subnormal results exact (IEEE 754-2008 section 4.3.1).
Expr toHalfBits(Expr x) {
  const int w = x.type().bits();
  const int mant = w == 64 ? 52 : 23, bias = w == 64 ? 1023 : 127;
  const Halide::Type ut = Halide::UInt(w);
  Expr u = Halide::reinterpret(ut, x);
  Expr sign = Halide::cast(Halide::UInt(16), u >> (w - 1)) << 15;
  Expr a = u & uconst(ut, (uint64_t(1) << (w - 1)) - 1); // |x| bits
  auto bitsOf = [&](double v) {
    return w == 64
               ? uconst(ut, Halide::Internal::reinterpret_bits<uint64_t>(v))
               : uconst(ut, Halide::Internal::reinterpret_bits<uint32_t>(static_cast<float>(v)));
  };
  Expr expMask = uconst(ut, ((uint64_t(1) << (w - 1 - mant)) - 1) << mant);
  // Normal results: round the mantissa to 10 bits (ties to even), then rebias the exponent; a
  // carry out of the mantissa correctly bumps the exponent.
  const int shift = mant - 10;
  Expr r = a + uconst(ut, (uint64_t(1) << (shift - 1)) - 1) + ((a >> shift) & uconst(ut, 1));
  Expr normal =
      Halide::cast(Halide::UInt(16), (r >> shift) - uconst(ut, uint64_t(bias - 15) << 10));
  // Subnormal results: |x| * 2^24 rounded to an integer (exact scaling, ties to even); 1024
  // becomes the smallest normal, which has the same bits.
  Expr ax = Halide::reinterpret(x.type(), a);
  Expr sub = Halide::cast(Halide::UInt(16),
                          roundHalfEven(ax * Halide::Internal::make_const(x.type(), 16777216.0)));
  Expr mag =
      Halide::select(a > expMask, uconst(Halide::UInt(16), 0x7E00), a >= bitsOf(65520.0),
                     uconst(Halide::UInt(16), 0x7C00), a < bitsOf(1.0 / 16384.0), sub, normal);
  return mag | sign;
}

/// bfloat16 bits of an f32 `x`, rounded to nearest even; NaN -> quiet NaN.
Expr toBFloatBits(Expr x) {
  Expr u = Halide::reinterpret(Halide::UInt(32), x);
  Expr a = u & u32(0x7FFFFFFF);
  Expr rounded = Halide::cast(Halide::UInt(16), (u + u32(0x7FFF) + ((u >> 16) & u32(1))) >> 16);
  Expr nan = Halide::cast(Halide::UInt(16), (u >> 16) | u32(0x0040));
  return Halide::select(a > u32(0x7F800000), nan, rounded);
}
} // namespace

Expr widenToF32(Expr x, const Lowering& lw) {
  if (lw.nativeHalf && x.type() == Halide::Float(16))
    return Halide::cast(Halide::Float(32), x);
  Expr h = Halide::cast(Halide::UInt(32), Halide::reinterpret(Halide::UInt(16), x));
  if (x.type().is_bfloat())
    return Halide::reinterpret(Halide::Float(32), h << 16);
  // binary16 -> binary32: rebias normal numbers, keep inf/NaN, scale subnormals.
  Expr sign = (h & u32(0x8000)) << 16;
  Expr em = h & u32(0x7FFF);
  Expr normal = (em << 13) + u32(uint64_t(127 - 15) << 23);
  Expr special = (em << 13) | u32(0x7F800000);
  Expr sub = Halide::reinterpret(Halide::UInt(32),
                                 Halide::cast(Halide::Float(32), em) * (1.0f / 16777216.0f));
  Expr bits = Halide::select(em >= u32(0x7C00), special, em < u32(0x0400), sub, normal);
  return Halide::reinterpret(Halide::Float(32), bits | sign);
}

Expr narrowFloat(Expr x, DType to, const Lowering& lw) {
  // (An f64 x keeps the bit operations: one rounding from f64, where a device's f64 -> f16
  // conversion may go through f32.)
  if (lw.nativeHalf && to == DType::f16 && x.type() == Halide::Float(32))
    return Halide::cast(Halide::Float(16), x);
  if (!x.type().is_float() || x.type().bits() < 32)
    x = Halide::cast(Halide::Float(64), x);
  if (to == DType::bf16) {
    // From f64 through f32: the double rounding can differ from a direct rounding only for values
    // within 2^-24 relative of a bf16 tie.
    if (x.type().bits() == 64)
      x = Halide::cast(Halide::Float(32), x);
    return Halide::reinterpret(Halide::BFloat(16), toBFloatBits(x));
  }
  return Halide::reinterpret(halideType(DType::f16, lw), toHalfBits(x));
}

bool halfExact(const Op&) {
  // The ops whose rows name this rule: their f16 result is their f32 result on the widened
  // operands rounded once.
  //  - add, sub, mul: IEEE binary16 arithmetic is correctly rounded (PTX add/sub/mul/fma .f16;
  //    OpenCL C with cl_khr_fp16, 0 ulp), and rounding the f32 result to f16 gives the same
  //    number: f32's 24-bit significand is at least 2 * 11 + 2 bits, so the double rounding
  //    f32 -> f16 is innocuous for + - * (Figueroa, "When is double rounding innocuous?", 1995);
  //  - neg, abs, relu, max, min, clip, where, prelu's select, equal/less/greater: exact on
  //    half values (rounding is monotonic, so max(x, round(c)) = round(max(x, c)) for a clip
  //    bound c); prelu's slope * x is a product of two halves, exact in f32 (22 bits);
  //  - leaky_relu only when alpha is a binary16 number (then alpha * x is such a product too;
  //    otherwise f32 multiplies by f32(alpha), half by half(alpha): different numbers).
  // Not in the set: div, reciprocal and sqrt (PTX has no f16 division; OpenCL C allows 1 ulp
  // for half division and sqrt), thresholded_relu (x > alpha compares with a rounded alpha),
  // transcendentals (exp, tanh, erf, sigmoid, gelu, ...), casts, and every reduction or
  // accumulation (conv, matmul, gemm, pools, reduce_*, softmax, layer_norm, batch_norm): they stay
  // f32 inside, with the device's conversions at the edges.
  // Halide compiles float arithmetic with fast-math flags (as for f32 kernels): a mul feeding an
  // add of the same kernel may contract to one fused multiply-add, rounded once.
  return true;
}

bool halfExactIfAlphaIsHalf(const Op& op) {
  double alpha = op.attr<LeakyReluAttrs>().alpha;
  return std::isfinite(alpha) && halfBitsToDouble(doubleToHalfBits(alpha, false), false) ==
                                     static_cast<double>(static_cast<float>(alpha));
}

bool halfArithmetic(const Op& op) {
  HalfFn rule = algorithmRow(op.kind).half;
  if (!rule || !rule(op))
    return false;
  // Half values in and out: f16 (or a bool condition / comparison result), at least one f16
  // operand.
  auto halfOrBool = [](DType t) { return t == DType::f16 || t == DType::boolean; };
  bool anyHalf = false;
  for (const Value* v : op.operands) {
    if (!halfOrBool(v->type.dtype))
      return false;
    anyHalf |= v->type.dtype == DType::f16;
  }
  return anyHalf && halfOrBool(op.result->type.dtype);
}

Expected<TensorFunc> defineLifted(const Op& op, const std::vector<TensorFunc>& operands,
                                  DefineFn fn, const Lowering& lw) {
  // The algorithm sees a shadow of the op whose 16-bit float values are f32 (algorithms read
  // types from the op, e.g. concat's undef); shadow constants carry no data, so no algorithm
  // reads 16-bit bytes as f32.
  Op shadow = op;
  std::vector<Value> shadowValues(op.operands.size() + 1);
  auto lift = [&](const Value* v, size_t slot) {
    shadowValues[slot] = *v;
    shadowValues[slot].type.dtype = DType::f32;
    shadowValues[slot].data = nullptr;
    return &shadowValues[slot];
  };
  std::vector<TensorFunc> lifted = operands;
  for (size_t i = 0; i < operands.size(); ++i) {
    if (!isLowPrecision(operands[i].type.dtype))
      continue;
    shadow.operands[i] = lift(op.operands[i], i);
    auto v = makeVars(operands[i].type.rank());
    Halide::Func f(fmt::format("{}_in{}_f32", opName(op.kind), i));
    f(halideOrder(v)) = widenToF32(operands[i](asIdx(v)), lw);
    TensorType t = operands[i].type;
    t.dtype = DType::f32;
    lifted[i] = wrapFunc(f, t);
    lifted[i].vars = v;
  }
  DType rt = op.result->type.dtype;
  if (isLowPrecision(rt))
    shadow.result = lift(op.result, operands.size());
  DNNCC_ASSIGN_OR_RETURN(TensorFunc r, fn(shadow, lifted, lw));
  r.type = op.result->type;
  if (!isLowPrecision(rt) || r.func.value().type() == halideType(rt, lw))
    return r;
  // Round the f32 result to the 16-bit type on store.
  auto v = r.vars.size() == static_cast<size_t>(r.type.rank()) ? r.vars : makeVars(r.type.rank());
  Halide::Func out(fmt::format("{}_{}", opName(op.kind), dtypeName(rt)));
  out(halideOrder(v)) = narrowFloat(r.func(halideOrder(asIdx(v))), rt, lw);
  r.func = out;
  r.stages.push_back(out);
  r.vars = v;
  r.writesOutputOnce = false;
  return r;
}

} // namespace dnncc::hl
