// Tests of half-precision compute on devices that have it (hl::Lowering::nativeHalf; halfArithmetic
// and the native conversions in src/codegen/halide/LowPrecision.cpp). No fp16 device is here: the
// ops' Float(16) formulation is JIT-run on the host CPU, whose Halide backend rounds every f16
// operation to binary16, and compared bit for bit with a reference computed exactly in double and
// rounded once (doubleToHalfBits), and with the exact f32 lifting that CPU targets compile.
// NaN results are the exception: the host's f16 code turns them into inf, a device keeps them.
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "codegen/halide/Algorithm.h"
#include "codegen/halide/Evaluator.h"
#include "ir/SmallTypes.h"
#include "test_util.h"

namespace dnncc {
namespace {

/// Every binary16 bit pattern once.
std::vector<uint16_t> allHalves() {
  std::vector<uint16_t> v(65536);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<uint16_t>(i);
  return v;
}

/// Second operands: signed zeros, subnormals, the extremes, infinities, NaN, values whose sums
/// and products with the first operands hit ties, and a few arbitrary patterns.
const std::vector<uint16_t> kOthers = {0x0000, 0x8000, 0x0001, 0x83FF, 0x0400, 0x7BFF, 0xFBFF,
                                       0x7C00, 0xFC00, 0x7E00, 0x3C00, 0xBC00, 0x3C01, 0x3800,
                                       0x1400, 0x6400, 0xC900, 0x2E66, 0x4248, 0xB555};

double value(uint16_t h) { return halfBitsToDouble(h, false); }
bool isNaN(uint16_t h) { return (h & 0x7FFF) > 0x7C00; }

/// A model with `kind` applied to f16 vectors `a` (and `b`, `c`) of n elements.
struct OneOp {
  Module m;
  Op* op = nullptr;
  OneOp(OpKind kind, int operands, int64_t n, Attrs attrs, bool whereCond = false) {
    std::vector<Value*> in;
    for (int i = 0; i < operands; ++i) {
      TensorType t{whereCond && i == 0 ? DType::boolean : DType::f16, {n}};
      in.push_back(m.addInput(t, std::string(1, static_cast<char>('a' + i))));
    }
    auto r = m.appendOp(kind, in, std::move(attrs));
    EXPECT_TRUE(r) << r.status().format();
    op = m.ops.back().get();
  }
};

/// Runs `op` on the host JIT with the given operand bytes (2 bytes per f16, 1 per bool) and
/// returns the result's bytes; `native` defines it with Lowering::nativeHalf.
std::vector<uint8_t> runOp(const Op& op, const std::vector<std::vector<uint8_t>>& operands,
                           bool native) {
  hl::Lowering lw;
  lw.nativeHalf = native;
  std::vector<hl::TensorFunc> funcs;
  std::vector<Halide::Buffer<>> buffers;
  for (size_t i = 0; i < operands.size(); ++i) {
    const TensorType& t = op.operands[i]->type;
    Halide::Buffer<> b(hl::halideType(t.dtype, lw), static_cast<int>(t.numElements()));
    std::memcpy(b.data(), operands[i].data(), operands[i].size());
    buffers.push_back(b);
    Halide::Var x;
    Halide::Func f;
    f(x) = b(x);
    funcs.push_back(hl::wrapFunc(f, t));
  }
  Expected<hl::TensorFunc> r = hl::defineOp(op, funcs, lw);
  EXPECT_TRUE(r) << r.status().format();
  if (!r)
    return {};
  const TensorType& rt = op.result->type;
  Halide::Buffer<> out(hl::halideType(rt.dtype, lw), static_cast<int>(rt.numElements()));
  r->func.realize(out, hl::jitTarget());
  const uint8_t* p = static_cast<const uint8_t*>(out.data());
  return std::vector<uint8_t>(p, p + out.size_in_bytes());
}

std::vector<uint8_t> bytesOf(const std::vector<uint16_t>& h) {
  std::vector<uint8_t> b(h.size() * 2);
  std::memcpy(b.data(), h.data(), b.size());
  return b;
}
std::vector<uint16_t> halvesOf(const std::vector<uint8_t>& b) {
  std::vector<uint16_t> h(b.size() / 2);
  std::memcpy(h.data(), b.data(), b.size());
  return h;
}

/// The operand vectors: a runs over every binary16 pattern, b over kOthers (all pairs).
struct Pairs {
  std::vector<uint16_t> a, b;
  std::vector<uint8_t> cond;
  Pairs() {
    for (uint16_t o : kOthers)
      for (uint16_t h : allHalves()) {
        a.push_back(h);
        b.push_back(o);
        cond.push_back(static_cast<uint8_t>((h ^ o) & 1));
      }
  }
  int64_t size() const { return static_cast<int64_t>(a.size()); }
};

const Pairs& pairs() {
  static const Pairs p;
  return p;
}

/// The exact result of an op on binary16 values (double holds every sum and product of two of
/// them exactly), or NaN.
using Exact = std::function<double(double a, double b, bool cond)>;

/// Checks `kind` with Lowering::nativeHalf against `exact` rounded once, and against the f32
/// lifting, bit for bit (NaN: any NaN). With `chooses` (the selections max, min, relu, clip, where,
/// prelu, leaky_relu, and neg, abs) zeros compare by value and NaN inputs are skipped: max(-0, +0)
/// may give either zero, Halide writes -x as 0 - x, whose zero's sign fast-math leaves to the
/// backend (in f32 kernels too), and which operand max/min return for a NaN is the device
/// instruction's choice, the same in f32 and f16.
void checkHalfOp(OpKind kind, int operands, Attrs attrs, const Exact& exact, bool chooses,
                 bool compare = false) {
  const Pairs& p = pairs();
  bool where = kind == OpKind::Where;
  OneOp one(kind, operands, p.size(), std::move(attrs), where);
  ASSERT_TRUE(hl::halfArithmetic(*one.op)) << opName(kind);
  std::vector<std::vector<uint8_t>> in;
  if (where)
    in = {p.cond, bytesOf(p.a), bytesOf(p.b)};
  else
    in = operands == 1 ? std::vector<std::vector<uint8_t>>{bytesOf(p.a)}
                       : std::vector<std::vector<uint8_t>>{bytesOf(p.a), bytesOf(p.b)};
  std::vector<uint8_t> native = runOp(*one.op, in, true);
  std::vector<uint8_t> lifted = runOp(*one.op, in, false);
  ASSERT_EQ(native.size(), lifted.size());
  int bad = 0;
  for (int64_t i = 0; i < p.size() && bad < 5; ++i) {
    if (chooses && (isNaN(p.a[i]) || isNaN(p.b[i])))
      continue;
    double want = exact(value(p.a[i]), value(p.b[i]), p.cond[i] != 0);
    if (compare) {
      uint8_t w = want != 0 ? 1 : 0;
      if (native[i] != w || lifted[i] != w) {
        ++bad;
        ADD_FAILURE() << opName(kind) << "(" << std::hex << p.a[i] << ", " << p.b[i]
                      << "): native " << int(native[i]) << " lifted " << int(lifted[i])
                      << " want " << int(w);
      }
      continue;
    }
    uint16_t n, l, w = doubleToHalfBits(want, false);
    std::memcpy(&n, &native[i * 2], 2);
    std::memcpy(&l, &lifted[i * 2], 2);
    auto same = [&](uint16_t x, uint16_t y) {
      if (isNaN(x) || isNaN(y))
        return isNaN(x) && isNaN(y);
      if (chooses && ((x | y) & 0x7FFF) == 0)
        return true; // +0 and -0
      return x == y;
    };
    // Halide 14's CPU backend converts a NaN f16 result to inf (see LowPrecision.cpp), so the
    // host cannot show what a device gives for NaN results (IEEE: NaN); only the lifting is
    // checked there.
    bool hostShowsNative = !isNaN(w);
    if ((hostShowsNative && !same(n, w)) || !same(l, w)) {
      ++bad;
      ADD_FAILURE() << opName(kind) << "(0x" << std::hex << p.a[i] << ", 0x" << p.b[i]
                    << "): native 0x" << n << " lifted 0x" << l << " want 0x" << w;
    }
  }
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

double maxOf(double a, double b) { return std::isnan(a) || std::isnan(b) ? kNaN : std::max(a, b); }
double minOf(double a, double b) { return std::isnan(a) || std::isnan(b) ? kNaN : std::min(a, b); }

TEST(HalfArithmetic, AddSubMulRoundTheExactResultOnce) {
  checkHalfOp(OpKind::Add, 2, NoAttrs{}, [](double a, double b, bool) { return a + b; }, false);
  checkHalfOp(OpKind::Sub, 2, NoAttrs{}, [](double a, double b, bool) { return a - b; }, false);
  checkHalfOp(OpKind::Mul, 2, NoAttrs{}, [](double a, double b, bool) { return a * b; }, false);
}

TEST(HalfArithmetic, NegAndAbsAreExactUpToTheSignOfZero) {
  checkHalfOp(OpKind::Neg, 1, NoAttrs{}, [](double a, double, bool) { return -a; }, true);
  checkHalfOp(OpKind::Abs, 1, NoAttrs{}, [](double a, double, bool) { return std::fabs(a); },
              true);
}

TEST(HalfArithmetic, SelectionsPickTheRightOperand) {
  checkHalfOp(OpKind::Max, 2, NoAttrs{}, [](double a, double b, bool) { return maxOf(a, b); },
              true);
  checkHalfOp(OpKind::Min, 2, NoAttrs{}, [](double a, double b, bool) { return minOf(a, b); },
              true);
  checkHalfOp(OpKind::Relu, 1, NoAttrs{}, [](double a, double, bool) { return maxOf(a, 0); }, true);
  checkHalfOp(OpKind::Where, 3, NoAttrs{}, [](double a, double b, bool c) { return c ? a : b; },
              true);
  checkHalfOp(OpKind::PRelu, 2, NoAttrs{},
              [](double a, double b, bool) { return a < 0 ? b * a : a; }, true);
  LeakyReluAttrs leaky;
  leaky.alpha = 0.125;
  checkHalfOp(OpKind::LeakyRelu, 1, leaky,
              [](double a, double, bool) { return a < 0 ? 0.125 * a : a; }, true);
  // Bounds that binary16 cannot hold (0.1, 6.01) and infinite bounds.
  ClipAttrs clip;
  clip.min = 0.1;
  clip.max = 6.01;
  checkHalfOp(OpKind::Clip, 1, clip,
              [](double a, double, bool) {
                return std::isnan(a) ? kNaN : std::min(std::max(a, double(float(0.1))),
                                                       double(float(6.01)));
              },
              true);
  clip.min = -kInf;
  clip.max = kInf;
  checkHalfOp(OpKind::Clip, 1, clip, [](double a, double, bool) { return a; }, true);
}

TEST(HalfArithmetic, ComparisonsOfHalves) {
  checkHalfOp(OpKind::Equal, 2, NoAttrs{}, [](double a, double b, bool) { return a == b; }, false,
              true);
  checkHalfOp(OpKind::Less, 2, NoAttrs{}, [](double a, double b, bool) { return a < b; }, false,
              true);
  checkHalfOp(OpKind::Greater, 2, NoAttrs{}, [](double a, double b, bool) { return a > b; },
              false, true);
}

TEST(HalfArithmetic, TheSetIsDecidedByOpAttributesAndTypes) {
  OneOp add(OpKind::Add, 2, 4, NoAttrs{});
  EXPECT_TRUE(hl::halfArithmetic(*add.op));
  for (OpKind k : {OpKind::Div, OpKind::Pow, OpKind::Mod})
    EXPECT_FALSE(hl::halfArithmetic(*OneOp(k, 2, 4, NoAttrs{}).op)) << opName(k);
  for (OpKind k : {OpKind::Exp, OpKind::Tanh, OpKind::Sigmoid, OpKind::Sqrt, OpKind::Reciprocal})
    EXPECT_FALSE(hl::halfArithmetic(*OneOp(k, 1, 4, NoAttrs{}).op)) << opName(k);
  LeakyReluAttrs leaky; // alpha 0.01 is no binary16 number: x * 0.01f rounded differs
  EXPECT_FALSE(hl::halfArithmetic(*OneOp(OpKind::LeakyRelu, 1, 4, leaky).op));
  leaky.alpha = 0.5;
  EXPECT_TRUE(hl::halfArithmetic(*OneOp(OpKind::LeakyRelu, 1, 4, leaky).op));
  // f32 and bf16 operands keep the lifting.
  Module m;
  Value* a = m.addInput(TensorType{DType::f16, {4}}, "a");
  Value* b = m.addInput(TensorType{DType::f32, {4}}, "b");
  Value* c = m.addInput(TensorType{DType::bf16, {4}}, "c");
  CastAttrs toF16;
  toF16.to = DType::f16;
  ASSERT_TRUE(m.appendOp(OpKind::Cast, {b}, toF16));
  EXPECT_FALSE(hl::halfArithmetic(*m.ops.back()));
  ASSERT_TRUE(m.appendOp(OpKind::Add, {c, c}, NoAttrs{}));
  EXPECT_FALSE(hl::halfArithmetic(*m.ops.back()));
  ASSERT_TRUE(m.appendOp(OpKind::Relu, {a}, NoAttrs{}));
  EXPECT_TRUE(hl::halfArithmetic(*m.ops.back()));
}

/// Counts, in a Func's definition, f16-typed arithmetic nodes and reinterpret calls (the bit
/// conversions).
struct Census : Halide::Internal::IRVisitor {
  int halfArith = 0, reinterprets = 0, casts = 0;
  using Halide::Internal::IRVisitor::visit;
  void visit(const Halide::Internal::Add* op) override {
    halfArith += op->type == Halide::Float(16);
    IRVisitor::visit(op);
  }
  void visit(const Halide::Internal::Mul* op) override {
    halfArith += op->type == Halide::Float(16);
    IRVisitor::visit(op);
  }
  void visit(const Halide::Internal::Cast* op) override {
    ++casts;
    IRVisitor::visit(op);
  }
  void visit(const Halide::Internal::Call* op) override {
    reinterprets += op->is_intrinsic(Halide::Internal::Call::reinterpret);
    IRVisitor::visit(op);
  }
};

Census census(const Op& op, bool native) {
  hl::Lowering lw;
  lw.nativeHalf = native;
  std::vector<hl::TensorFunc> funcs;
  for (const Value* v : op.operands)
    funcs.push_back(hl::wrapParam(
        Halide::ImageParam(hl::halideType(v->type.dtype, lw), v->type.rank()), v->type));
  Expected<hl::TensorFunc> r = hl::defineOp(op, funcs, lw);
  EXPECT_TRUE(r);
  Census c;
  std::map<std::string, Halide::Internal::Function> env =
      Halide::Internal::find_transitive_calls(r->func.function());
  env.emplace(r->func.name(), r->func.function());
  for (auto& [name, f] : env)
    f.accept(&c);
  return c;
}

TEST(HalfArithmetic, NativeDefinitionsComputeInHalfWithCasts) {
  OneOp add(OpKind::Add, 2, 4, NoAttrs{});
  Census native = census(*add.op, true), lifted = census(*add.op, false);
  EXPECT_GE(native.halfArith, 1);
  EXPECT_EQ(native.reinterprets, 0);
  EXPECT_EQ(lifted.halfArith, 0);
  EXPECT_GT(lifted.reinterprets, 0);
  // exp stays f32 inside: native conversions at the edges, no bit operations.
  OneOp exp(OpKind::Exp, 1, 4, NoAttrs{});
  Census e = census(*exp.op, true);
  EXPECT_EQ(e.halfArith, 0);
  EXPECT_EQ(e.reinterprets, 0);
  EXPECT_GE(e.casts, 2);
  EXPECT_GT(census(*exp.op, false).reinterprets, 0);
}

TEST(HalfArithmetic, NativeConversionsRoundToNearestEven) {
  // f32 -> f16 through the cast of narrowFloat with Lowering::nativeHalf and through the bit
  // operations, on every f16 value, the midpoints between neighbours (ties) and their f32
  // neighbours.
  std::vector<float> xs;
  for (uint32_t h = 0; h < 0x7C00; ++h) {
    for (uint32_t s : {0u, 0x8000u}) {
      double v = value(static_cast<uint16_t>(h | s));
      double next = value(static_cast<uint16_t>((h + 1) | s));
      float mid = static_cast<float>((v + next) / 2); // exact in f32
      xs.push_back(static_cast<float>(v));
      xs.push_back(mid);
      xs.push_back(std::nextafter(mid, 0.0f));
      xs.push_back(std::nextafter(mid, 2 * mid));
    }
  }
  xs.push_back(std::numeric_limits<float>::infinity());
  xs.push_back(-std::numeric_limits<float>::infinity());
  xs.push_back(std::numeric_limits<float>::max());
  const int n = static_cast<int>(xs.size());
  Halide::Buffer<float> in(n);
  std::memcpy(in.data(), xs.data(), xs.size() * 4);
  auto narrow = [&](bool native) {
    hl::Lowering lw;
    lw.nativeHalf = native;
    Halide::Var x;
    Halide::Func f;
    f(x) = hl::narrowFloat(in(x), DType::f16, lw);
    Halide::Buffer<> out(Halide::Float(16), n);
    f.realize(out, hl::jitTarget());
    const uint16_t* p = static_cast<const uint16_t*>(out.data());
    return std::vector<uint16_t>(p, p + n);
  };
  std::vector<uint16_t> native = narrow(true), exact = narrow(false);
  int bad = 0;
  for (int i = 0; i < n && bad < 5; ++i) {
    uint16_t want = doubleToHalfBits(xs[i], false);
    if (native[i] != want || exact[i] != want) {
      ++bad;
      ADD_FAILURE() << xs[i] << ": native 0x" << std::hex << native[i] << " bits 0x" << exact[i]
                    << " want 0x" << want;
    }
  }
  // f16 -> f32 of every non-NaN pattern.
  Halide::Buffer<> halves(Halide::Float(16), 65536);
  std::vector<uint16_t> all = allHalves();
  std::memcpy(halves.data(), all.data(), all.size() * 2);
  hl::Lowering halfDevice;
  halfDevice.nativeHalf = true;
  Halide::Var x;
  Halide::Func g;
  g(x) = hl::widenToF32(halves(x), halfDevice);
  Halide::Buffer<float> wide = g.realize({65536}, hl::jitTarget());
  for (int i = 0; i < 65536; ++i)
    if (!isNaN(static_cast<uint16_t>(i)))
      ASSERT_EQ(static_cast<double>(wide(i)), value(static_cast<uint16_t>(i))) << std::hex << i;
}

} // namespace
} // namespace dnncc
