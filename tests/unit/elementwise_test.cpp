// Tests of the element-wise ops added for the ONNX backend suite: ONNX models built here, imported,
// and run through the reference interpreter against loops written from the ONNX operator spec; the
// exact f16/bf16 conversions; and one test per user-facing error of these converters.
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/Importer.h"
#include "ir/SmallTypes.h"
#include "ir/Text.h"
#include "test_util.h"

namespace dnncc {
namespace {
using test::allClose;
using test::asFloats;
using test::attrFloat;
using test::attrInt;
using test::attrString;
using test::Bytes;
using test::fileCheck;
using test::floatBytes;
using test::int64Bytes;
using test::OnnxBuilder;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Expected<std::unique_ptr<Module>> importModel(const OnnxBuilder& b, std::string* path = nullptr) {
  std::string p = b.write(test::testDir());
  if (path)
    *path = p;
  ImportOptions o;
  o.evaluator = &test::referenceEvaluator();
  return importOnnx(p, o);
}

/// The import error of `b` as the CLI prints it, with the model path replaced by "<file>".
std::string importError(const OnnxBuilder& b) {
  std::string path;
  auto m = importModel(b, &path);
  if (m)
    return "imported";
  std::string s = m.status().format();
  size_t at = s.find(path);
  return at == std::string::npos ? s : s.replace(at, path.size(), "<file>");
}

/// Runs `m` on the given input bytes and returns output `index`'s bytes.
Bytes runBytes(const Module& m, const std::vector<Bytes>& inputs, size_t index = 0) {
  auto out = test::interpret(m, inputs);
  EXPECT_TRUE(out) << out.status().format();
  if (!out || out->size() <= index)
    return {};
  return (*out)[index];
}

std::vector<float> run(const Module& m, const std::vector<std::vector<float>>& inputs) {
  std::vector<Bytes> in;
  for (const auto& v : inputs)
    in.push_back(floatBytes(v));
  return asFloats(runBytes(m, in));
}

/// Bit-exact float comparison (NaN equals NaN, -0 differs from +0).
::testing::AssertionResult sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  for (size_t i = 0; i < a.size(); ++i) {
    bool same = std::isnan(a[i]) ? std::isnan(b[i]) : std::memcmp(&a[i], &b[i], 4) == 0;
    if (!same)
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs " << b[i];
  }
  return ::testing::AssertionSuccess();
}

#define IMPORT_OR_FAIL(var, builder)                                                               \
  auto var##Expected = importModel(builder);                                                       \
  ASSERT_TRUE(var##Expected) << var##Expected.status().format();                                   \
  Module& var = **var##Expected;                                                                   \
  ASSERT_TRUE(verify(var)) << verify(var).format()

/// A model y = Op(x) on an f32 [n] input with the given attribute setter.
template <class F> OnnxBuilder unaryModel(int opset, const char* op, int n, F setAttrs) {
  OnnxBuilder b(opset);
  b.input("x", {n});
  setAttrs(b.node(op, {"x"}, {"y"}, "n0"));
  b.output("y");
  return b;
}

// ---- activations and math functions against the spec formulas ----

struct UnaryCase {
  const char* op;
  int opset;
  double (*ref)(double);
};

TEST(ElementwiseNumbers, UnaryOpsMatchTheSpecFormulas) {
  const std::vector<float> x = {-30.f, -3.f, -1.25f, -0.5f, -0.f, 0.25f, 0.75f, 2.f, 40.f, 100.f};
  const UnaryCase cases[] = {
      {"Softplus", 13,
       [](double v) { return std::log1p(std::exp(-std::fabs(v))) + std::max(v, 0.0); }},
      {"Softsign", 13, [](double v) { return v / (1 + std::fabs(v)); }},
      {"Mish", 18,
       [](double v) {
         return v * std::tanh(std::log1p(std::exp(-std::fabs(v))) + std::max(v, 0.0));
       }},
      {"Elu", 13, [](double v) { return v < 0 ? std::exp(v) - 1 : v; }},
      {"Celu", 13, [](double v) { return std::max(0.0, v) + std::min(0.0, std::exp(v) - 1); }},
      {"Selu", 13,
       [](double v) {
         return 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (std::exp(v) - 1));
       }},
      {"ThresholdedRelu", 13, [](double v) { return v > 1 ? v : 0.0; }},
      {"Swish", 24, [](double v) { return v / (1 + std::exp(-v)); }},
      {"Sign", 13, [](double v) { return v > 0   ? 1.0
                                         : v < 0 ? -1.0
                                                 : 0.0; }},
      {"Atan", 13, [](double v) { return std::atan(v); }},
      {"Sinh", 13, [](double v) { return std::sinh(v); }},
      {"Tanh", 13, [](double v) { return std::tanh(v); }},
      {"Sin", 13, [](double v) { return std::sin(v); }},
      {"Exp", 13, [](double v) { return std::exp(v); }},
      {"Cos", 13, [](double v) { return std::cos(v); }},
      {"Asinh", 13, [](double v) { return std::asinh(v); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.op);
    std::vector<float> in = x;
    if (std::string(c.op) == "Sinh") // keep sinh finite in f32
      in = {-3.f, -1.25f, -0.5f, 0.f, 0.25f, 0.75f, 2.f, 5.f};
    IMPORT_OR_FAIL(m, unaryModel(c.opset, c.op, static_cast<int>(in.size()), [](auto&) {}));
    std::vector<float> want;
    for (float v : in)
      want.push_back(static_cast<float>(c.ref(v)));
    EXPECT_TRUE(allClose(run(m, {in}), want));
  }
}

TEST(ElementwiseNumbers, AttributesReachTheFormulas) {
  std::vector<float> x = {-2.f, -0.75f, -0.25f, 0.f, 0.25f, 0.75f, 2.f};
  {
    IMPORT_OR_FAIL(m, unaryModel(13, "Shrink", 7, [](auto& n) {
                     attrFloat(n, "bias", 0.5f);
                     attrFloat(n, "lambd", 0.6f);
                   }));
    EXPECT_TRUE(allClose(run(m, {x}), {-1.5f, -0.25f, 0.f, 0.f, 0.f, 0.25f, 1.5f}));
  }
  {
    IMPORT_OR_FAIL(m, unaryModel(13, "Celu", 7, [](auto& n) { attrFloat(n, "alpha", 2.f); }));
    std::vector<float> want;
    for (float v : x)
      want.push_back(std::max(0.f, v) + std::min(0.f, 2.f * (std::exp(v / 2.f) - 1.f)));
    EXPECT_TRUE(allClose(run(m, {x}), want));
  }
  {
    IMPORT_OR_FAIL(m, unaryModel(24, "Swish", 7, [](auto& n) { attrFloat(n, "alpha", 0.5f); }));
    std::vector<float> want;
    for (float v : x)
      want.push_back(v / (1.f + std::exp(-0.5f * v)));
    EXPECT_TRUE(allClose(run(m, {x}), want));
  }
}

TEST(ElementwiseNumbers, TanhIsWithinThreeUlpsAndKeepsIeeeSpecials) {
  // f32 tanh is computed in vector arithmetic (a series near 0, exp further out): every value of
  // a dense sweep within 3 ULP of the double result, and NaN, +-inf, +-0 as IEEE tanh gives them.
  std::vector<float> in;
  for (int i = -4000; i <= 4000; ++i)
    in.push_back(static_cast<float>(i) * 0.005f); // [-20, 20], the series/exp switch at 0.4
  for (float v = 1e-30f; v < 50.f; v *= 1.7f) {
    in.push_back(v);
    in.push_back(-v);
  }
  IMPORT_OR_FAIL(m, unaryModel(13, "Tanh", static_cast<int>(in.size()), [](auto&) {}));
  std::vector<float> got = run(m, {in});
  ASSERT_EQ(got.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    double want = std::tanh(static_cast<double>(in[i]));
    double ulp = std::nextafter(std::fabs(static_cast<float>(want)), INFINITY) -
                 std::fabs(static_cast<float>(want));
    EXPECT_LE(std::fabs(got[i] - want), 3 * ulp) << "tanh(" << in[i] << ") = " << got[i];
  }
  IMPORT_OR_FAIL(special, unaryModel(13, "Tanh", 5, [](auto&) {}));
  EXPECT_TRUE(
      sameBits(run(special, {{kNaN, kInf, -kInf, 0.f, -0.f}}), {kNaN, 1.f, -1.f, 0.f, -0.f}));
}

TEST(ElementwiseNumbers, SigmoidIsWithin4e7AndKeepsNaN) {
  // f32 sigmoid is computed in vector arithmetic (1 / (1 + e^-x) with a polynomial e^x): every
  // value of a dense sweep within a relative 4e-7 (3-4 ULP) of the double result, or 2e-38 where
  // the result is that tiny (x < -87); +inf gives 1, -inf (almost) 0, NaN stays NaN.
  std::vector<float> in;
  for (int i = -4000; i <= 4000; ++i)
    in.push_back(static_cast<float>(i) * 0.025f); // [-100, 100]
  IMPORT_OR_FAIL(m, unaryModel(13, "Sigmoid", static_cast<int>(in.size()), [](auto&) {}));
  std::vector<float> got = run(m, {in});
  ASSERT_EQ(got.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    double want = 1.0 / (1.0 + std::exp(-static_cast<double>(in[i])));
    EXPECT_LE(std::fabs(got[i] - want), std::max(4e-7 * want, 2e-38)) << "sigmoid(" << in[i] << ")";
  }
  IMPORT_OR_FAIL(special, unaryModel(13, "Sigmoid", 4, [](auto&) {}));
  std::vector<float> s = run(special, {{kNaN, kInf, -kInf, 0.f}});
  ASSERT_EQ(s.size(), 4u);
  EXPECT_TRUE(std::isnan(s[0]));
  EXPECT_EQ(s[1], 1.f);
  EXPECT_LE(s[2], 2e-38f);
  EXPECT_GE(s[2], 0.f);
  EXPECT_EQ(s[3], 0.5f);
}

TEST(ElementwiseNumbers, RoundIsHalfToEvenAndPredicatesSeeNaNAndInf) {
  IMPORT_OR_FAIL(round, unaryModel(13, "Round", 8, [](auto&) {}));
  EXPECT_TRUE(sameBits(run(round, {{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.6f, kNaN}}),
                       {-2.f, -2.f, -0.f, 0.f, 2.f, 2.f, 3.f, kNaN}));
  std::vector<float> x = {kNaN, kInf, -kInf, 1.f, -3.f};
  IMPORT_OR_FAIL(nan, unaryModel(13, "IsNaN", 5, [](auto&) {}));
  EXPECT_EQ(runBytes(nan, {floatBytes(x)}), (Bytes{1, 0, 0, 0, 0}));
  IMPORT_OR_FAIL(inf, unaryModel(13, "IsInf", 5, [](auto&) {}));
  EXPECT_EQ(runBytes(inf, {floatBytes(x)}), (Bytes{0, 1, 1, 0, 0}));
  IMPORT_OR_FAIL(pos,
                 unaryModel(13, "IsInf", 5, [](auto& n) { attrInt(n, "detect_negative", 0); }));
  EXPECT_EQ(runBytes(pos, {floatBytes(x)}), (Bytes{0, 1, 0, 0, 0}));
  IMPORT_OR_FAIL(neg,
                 unaryModel(13, "IsInf", 5, [](auto& n) { attrInt(n, "detect_positive", 0); }));
  EXPECT_EQ(runBytes(neg, {floatBytes(x)}), (Bytes{0, 0, 1, 0, 0}));
}

TEST(ElementwiseNumbers, PReluSlopeBroadcastsToX) {
  OnnxBuilder b(16);
  b.input("x", {2, 3});
  b.initializer("slope", {3}, {0.5f, -1.f, 2.f});
  b.node("PRelu", {"x", "slope"}, {"y"}, "p");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(
      allClose(run(m, {{-2.f, -2.f, -2.f, 1.f, 0.f, 3.f}}), {-1.f, 2.f, -4.f, 1.f, 0.f, 3.f}));
}

// ---- integer ops ----

/// A model y = Op(a, b) on two int64 [n] inputs.
template <class F> OnnxBuilder binaryI64Model(int opset, const char* op, int n, F setAttrs) {
  OnnxBuilder b(opset);
  b.input("a", {n}, onnx::TensorProto::INT64);
  b.input("b", {n}, onnx::TensorProto::INT64);
  setAttrs(b.node(op, {"a", "b"}, {"y"}, "n0"));
  b.output("y");
  return b;
}

TEST(ElementwiseNumbers, IntegerModFollowsTheDivisorOrTheDividend) {
  std::vector<int64_t> a = {7, -7, 7, -7, 6, -6, 0, 5}, b = {3, 3, -3, -3, 3, -3, -4, 5};
  IMPORT_OR_FAIL(floored, binaryI64Model(13, "Mod", 8, [](auto&) {}));
  EXPECT_EQ(test::asInt64s(runBytes(floored, {int64Bytes(a), int64Bytes(b)})),
            (std::vector<int64_t>{1, 2, -2, -1, 0, 0, 0, 0}));
  IMPORT_OR_FAIL(trunc, binaryI64Model(13, "Mod", 8, [](auto& n) { attrInt(n, "fmod", 1); }));
  EXPECT_EQ(test::asInt64s(runBytes(trunc, {int64Bytes(a), int64Bytes(b)})),
            (std::vector<int64_t>{1, -1, 1, -1, 0, 0, 0, 0}));
}

TEST(ElementwiseNumbers, FloatModMatchesFmodAndPythonMod) {
  std::vector<float> a = {7.5f, -7.5f, 7.5f, -7.5f, 0.f, 3.f, -3.f},
                     b = {2.f, 2.f, -2.f, -2.f, -2.f, kInf, kInf};
  for (int fmod : {0, 1}) {
    SCOPED_TRACE(fmod);
    OnnxBuilder bld(28);
    bld.input("a", {7});
    bld.input("b", {7});
    attrInt(bld.node("Mod", {"a", "b"}, {"y"}, "m"), "fmod", fmod);
    bld.output("y");
    IMPORT_OR_FAIL(m, bld);
    std::vector<float> want;
    for (size_t i = 0; i < a.size(); ++i) {
      float r = std::fmod(a[i], b[i]);
      if (fmod == 0 && r != 0 && (r < 0) != (b[i] < 0))
        r += b[i];
      if (fmod == 0 && r == 0)
        r = std::copysign(0.f, b[i]);
      want.push_back(r);
    }
    EXPECT_TRUE(sameBits(run(m, {a, b}), want));
  }
}

TEST(ElementwiseNumbers, BitShiftOnSignedValuesAndOutOfRangeAmounts) {
  std::vector<int64_t> a = {1, -8, -8, 5, -1, 3}, b = {3, 1, 70, -1, 64, 62};
  IMPORT_OR_FAIL(right, binaryI64Model(28, "BitShift", 6,
                                       [](auto& n) { attrString(n, "direction", "RIGHT"); }));
  EXPECT_EQ(test::asInt64s(runBytes(right, {int64Bytes(a), int64Bytes(b)})),
            (std::vector<int64_t>{0, -4, -1, 0, -1, 0}));
  IMPORT_OR_FAIL(
      left, binaryI64Model(28, "BitShift", 6, [](auto& n) { attrString(n, "direction", "LEFT"); }));
  EXPECT_EQ(test::asInt64s(runBytes(left, {int64Bytes(a), int64Bytes(b)})),
            (std::vector<int64_t>{8, -16, 0, 0, 0, int64_t(0xC000000000000000ull)}));
}

TEST(ElementwiseNumbers, IntegerPowIsExact) {
  std::vector<int64_t> a = {3, -2, 2, 7, 1, -1, 5}, b = {4, 3, 62, 0, -3, -3, -1};
  IMPORT_OR_FAIL(m, binaryI64Model(15, "Pow", 7, [](auto&) {}));
  EXPECT_EQ(test::asInt64s(runBytes(m, {int64Bytes(a), int64Bytes(b)})),
            (std::vector<int64_t>{81, -8, int64_t(1) << 62, 1, 1, -1, 0}));
}

TEST(ElementwiseNumbers, BitwiseOps) {
  std::vector<int64_t> a = {12, -1, 0x0F0F}, b = {10, 6, 0x00FF};
  const std::pair<const char*, std::vector<int64_t>> cases[] = {{"BitwiseAnd", {8, 6, 0x000F}},
                                                                {"BitwiseOr", {14, -1, 0x0FFF}},
                                                                {"BitwiseXor", {6, -7, 0x0FF0}}};
  for (const auto& [op, want] : cases) {
    SCOPED_TRACE(op);
    IMPORT_OR_FAIL(m, binaryI64Model(18, op, 3, [](auto&) {}));
    EXPECT_EQ(test::asInt64s(runBytes(m, {int64Bytes(a), int64Bytes(b)})), want);
  }
}

// ---- Clip with runtime bounds ----

TEST(ElementwiseNumbers, ClipWithRuntimeBoundsIncludingMinAboveMax) {
  OnnxBuilder b(13);
  b.input("x", {5});
  b.input("lo", {});
  b.input("hi", {});
  b.node("Clip", {"x", "lo", "hi"}, {"y"}, "clip");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK: = max(", "CHECK: = min("}));
  std::vector<float> x = {-3.f, -1.f, 0.f, 1.f, 3.f};
  EXPECT_TRUE(allClose(run(m, {x, {-1.5f}, {2.f}}), {-1.5f, -1.f, 0.f, 1.f, 2.f}));
  // min > max: every element becomes max (ONNX Clip-13).
  EXPECT_TRUE(allClose(run(m, {x, {2.f}, {-1.f}}), {-1.f, -1.f, -1.f, -1.f, -1.f}));
}

// ---- f16 / bf16 ----

/// y = Cast(Cast(x, to), FLOAT): x rounded to the 16-bit type and widened back.
std::vector<float> roundTrip16(int to, const std::vector<float>& x) {
  OnnxBuilder b(13);
  b.input("x", {static_cast<int64_t>(x.size())});
  attrInt(b.node("Cast", {"x"}, {"h"}, "narrow"), "to", to);
  attrInt(b.node("Cast", {"h"}, {"y"}, "widen"), "to", onnx::TensorProto::FLOAT);
  b.output("y");
  auto m = importModel(b);
  EXPECT_TRUE(m) << m.status().format();
  return m ? run(**m, {x}) : std::vector<float>{};
}

TEST(ElementwiseNumbers, Float16CastRoundsToNearestEvenAndKeepsNaN) {
  const float ulp1 = std::ldexp(1.f, -10); // f16 spacing at 1
  const float minSub = std::ldexp(1.f, -24), minNormal = std::ldexp(1.f, -14);
  std::vector<float> x = {1.f,
                          1.f + ulp1 / 2,     // tie: to even (1)
                          1.f + 3 * ulp1 / 2, // tie: to even (1 + 2 ulp)
                          1.f + ulp1 * 0.51f, // above the tie
                          65504.f,
                          65519.f,
                          65520.f,
                          -1e6f,
                          minSub / 2,     // tie with 0: to even (0)
                          minSub * 0.51f, // rounds up to the smallest subnormal
                          minNormal - minSub,
                          minNormal,
                          3 * minSub / 2,
                          kNaN,
                          -kInf,
                          -0.f};
  std::vector<float> want = {
      1.f, 1.f,    1.f + 2 * ulp1,     1.f + ulp1, 65504.f,    65504.f, kInf,  -kInf,
      0.f, minSub, minNormal - minSub, minNormal,  2 * minSub, kNaN,    -kInf, -0.f};
  EXPECT_TRUE(sameBits(roundTrip16(onnx::TensorProto::FLOAT16, x), want));
}

TEST(ElementwiseNumbers, BFloat16CastRoundsToNearestEvenAndKeepsNaN) {
  const float ulp1 = std::ldexp(1.f, -7);
  std::vector<float> x = {1.f + ulp1 / 2,
                          1.f + 3 * ulp1 / 2,
                          1.f + ulp1 * 0.51f,
                          kNaN,
                          -kInf,
                          3.0e38f,
                          std::numeric_limits<float>::max()};
  std::vector<float> want = {1.f, 1.f + 2 * ulp1, 1.f + ulp1, kNaN, -kInf, 3.00405527e38f, kInf};
  EXPECT_TRUE(sameBits(roundTrip16(onnx::TensorProto::BFLOAT16, x), want));
}

TEST(ElementwiseNumbers, Float16ArithmeticIsComputedInF32AndRounded) {
  OnnxBuilder b(13);
  b.input("x", {3}, onnx::TensorProto::FLOAT16);
  b.input("y", {3}, onnx::TensorProto::FLOAT16);
  b.node("Max", {"x", "y"}, {"m"}, "max");
  b.node("Mul", {"m", "m"}, {"p"}, "mul");
  b.output("p");
  IMPORT_OR_FAIL(m, b);
  // f16 bits: 1.5 = 0x3E00, -2 = 0xC000, 300 = 0x5CB0, 1 = 0x3C00, 0.5 = 0x3800, 0 = 0x0000
  auto h = [](std::vector<uint16_t> v) {
    Bytes out(v.size() * 2);
    std::memcpy(out.data(), v.data(), out.size());
    return out;
  };
  // max -> {1.5, 0.5, 300}; squares {2.25, 0.25, 90000 -> inf}
  EXPECT_EQ(runBytes(m, {h({0x3E00, 0xC000, 0x5CB0}), h({0x3C00, 0x3800, 0x0000})}),
            h({0x4080, 0x3400, 0x7C00}));
}

TEST(ElementwiseNumbers, BitCastKeepsTheBitsOfF32AndF16) {
  {
    OnnxBuilder b(26);
    b.input("x", {3});
    attrInt(b.node("BitCast", {"x"}, {"y"}, "bc"), "to", onnx::TensorProto::INT32);
    b.output("y");
    IMPORT_OR_FAIL(m, b);
    Bytes out = runBytes(m, {floatBytes({1.f, -2.f, kNaN})});
    std::vector<int32_t> want = {0x3F800000, int32_t(0xC0000000u), 0x7FC00000};
    Bytes wantBytes(want.size() * 4);
    std::memcpy(wantBytes.data(), want.data(), wantBytes.size());
    EXPECT_EQ(out, wantBytes);
  }
  {
    // f16 -> int16 is not lifted to f32: the bits stay (1.0 = 0x3C00, NaN 0x7E01 keeps its payload).
    OnnxBuilder b(26);
    b.input("x", {2}, onnx::TensorProto::FLOAT16);
    attrInt(b.node("BitCast", {"x"}, {"y"}, "bc"), "to", onnx::TensorProto::INT16);
    b.output("y");
    IMPORT_OR_FAIL(m, b);
    Bytes in = {0x00, 0x3C, 0x01, 0x7E};
    EXPECT_EQ(runBytes(m, {in}), in);
  }
}

TEST(ElementwiseNumbers, HostHalfConversionsRoundTripEveryBitPattern) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    for (bool bfloat : {false, true}) {
      double v = halfBitsToDouble(static_cast<uint16_t>(bits), bfloat);
      uint16_t back = doubleToHalfBits(v, bfloat);
      if (std::isnan(v))
        EXPECT_TRUE(std::isnan(halfBitsToDouble(back, bfloat))) << bits;
      else
        ASSERT_EQ(back, bits) << "bfloat " << bfloat;
    }
  }
  EXPECT_EQ(doubleToHalfBits(1.0 + std::ldexp(1.0, -11), false), 0x3C00); // tie: even
  EXPECT_EQ(doubleToHalfBits(65520.0, false), 0x7C00);
  EXPECT_EQ(doubleToHalfBits(-65519.0, false), 0xFBFF);
  EXPECT_EQ(doubleToHalfBits(std::ldexp(1.0, -25), false), 0x0000); // tie: even
  EXPECT_EQ(doubleToHalfBits(1.0 + std::ldexp(1.0, -8), true), 0x3F80);
}

// ---- errors ----

TEST(ElementwiseErrors, BitCastKeepsTheWidth) {
  OnnxBuilder b(26);
  b.input("x", {2});
  attrInt(b.node("BitCast", {"x"}, {"y"}, "bc"), "to", onnx::TensorProto::INT64);
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'bc' (BitCast, opset 26): bitcast from f32 to "
                            "i64 changes the element width");
}

TEST(ElementwiseErrors, ModFmodMustBeZeroOrOne) {
  OnnxBuilder b(13);
  b.input("a", {2});
  b.input("b", {2});
  attrInt(b.node("Mod", {"a", "b"}, {"y"}, "m"), "fmod", 2);
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'm' (Mod, opset 13): fmod=2 is not 0 or 1");
}

TEST(ElementwiseErrors, BitShiftDirection) {
  auto b = binaryI64Model(11, "BitShift", 2, [](auto& n) { attrString(n, "direction", "UP"); });
  EXPECT_EQ(importError(b), "error: <file>: node 'n0' (BitShift, opset 11): direction='UP' is not "
                            "'LEFT' or 'RIGHT'");
}

TEST(ElementwiseErrors, ClipRuntimeBoundMustMatchTheInputType) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.input("lo", {}, onnx::TensorProto::DOUBLE);
  b.node("Clip", {"x", "lo"}, {"y"}, "clip");
  b.output("y");
  EXPECT_EQ(
      importError(b),
      "error: <file>: node 'clip' (Clip, opset 13): min (input 1) has type f64, expected f32");
}

TEST(ElementwiseErrors, ClipRuntimeBoundMustBeAScalar) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.input("hi", {2});
  b.node("Clip", {"x", "", "hi"}, {"y"}, "clip");
  b.output("y");
  EXPECT_EQ(importError(b),
            "error: <file>: node 'clip' (Clip, opset 13): max (input 2) must be a scalar");
}

TEST(ElementwiseErrors, PReluSlopeMustBroadcastToX) {
  OnnxBuilder b(16);
  b.input("x", {3});
  b.input("slope", {2, 3});
  b.node("PRelu", {"x", "slope"}, {"y"}, "p");
  b.output("y");
  std::string e = importError(b);
  EXPECT_NE(e.find("node 'p' (PRelu, opset 16)"), std::string::npos) << e;
  EXPECT_NE(e.find("the slope does not broadcast to the shape of x"), std::string::npos) << e;
}

TEST(ElementwiseErrors, BitwiseOpsNeedIntegers) {
  OnnxBuilder b(18);
  b.input("a", {2});
  b.input("b", {2});
  b.node("BitwiseAnd", {"a", "b"}, {"y"}, "and");
  b.output("y");
  std::string e = importError(b);
  EXPECT_NE(e.find("node 'and' (BitwiseAnd, opset 18)"), std::string::npos) << e;
  EXPECT_NE(e.find("expects integer operands, got f32"), std::string::npos) << e;
}

} // namespace
} // namespace dnncc
