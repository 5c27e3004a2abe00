// Tests of the ONNX small types (float8, float8e8m0, float4, int4, int2): the scalar decoding
// (ir/SmallTypes.cpp, used by dnncc-run) against the kernels' casts (codegen/halide/
// SmallTypeCast.cpp), round to nearest even and overflow of the encoders, unpacking of ONNX
// packed data, and the rule that only casts and data movement compute on these types.
#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "ir/SmallTypes.h"
#include "test_util.h"

namespace dnncc {
namespace {
using test::asFloats;
using test::Bytes;
using test::floatBytes;

/// Runs `cast{to}` on a rank-1 input of `from` through the reference evaluator.
Bytes runCast(DType from, const Bytes& input, CastAttrs to) {
  Module m;
  int64_t n = static_cast<int64_t>(input.size()) / dtypeSize(from);
  Value* x = m.addInput(TensorType{from, {n}}, "x");
  auto y = m.appendOp(OpKind::Cast, {x}, to, "y");
  EXPECT_TRUE(y) << y.status().format();
  if (!y)
    return {};
  m.outputs.push_back(*y);
  auto out = test::interpret(m, {input});
  EXPECT_TRUE(out) << out.status().format();
  return out ? (*out)[0] : Bytes{};
}

bool sameFloat(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

const DType kSmallFloats[] = {DType::f8e4m3fn, DType::f8e4m3fnuz, DType::f8e5m2,
                              DType::f8e5m2fnuz, DType::f8e8m0, DType::f4e2m1};

TEST(SmallTypes, KernelDecodingMatchesScalarDecoding) {
  for (DType t : kSmallFloats) {
    SCOPED_TRACE(std::string(dtypeName(t)));
    int codes = smallTypeBits(t) == 4 ? 16 : 256;
    Bytes in(codes);
    for (int c = 0; c < codes; ++c)
      in[c] = static_cast<uint8_t>(c);
    std::vector<float> got = asFloats(runCast(t, in, CastAttrs{DType::f32}));
    ASSERT_EQ(got.size(), size_t(codes));
    for (int c = 0; c < codes; ++c)
      EXPECT_TRUE(sameFloat(got[c], decodeSmallFloat(t, uint8_t(c))))
          << "code " << c << ": kernel " << got[c] << ", scalar " << decodeSmallFloat(t, c);
  }
}

TEST(SmallTypes, KnownValues) {
  EXPECT_EQ(decodeSmallFloat(DType::f8e4m3fn, 0x7E), 448.0);
  EXPECT_TRUE(std::isnan(decodeSmallFloat(DType::f8e4m3fn, 0x7F)));
  EXPECT_EQ(decodeSmallFloat(DType::f8e4m3fn, 0x01), std::ldexp(1.0, -9));
  EXPECT_EQ(decodeSmallFloat(DType::f8e4m3fnuz, 0x7F), 240.0);
  EXPECT_TRUE(std::isnan(decodeSmallFloat(DType::f8e4m3fnuz, 0x80)));
  EXPECT_EQ(decodeSmallFloat(DType::f8e5m2, 0x7B), 57344.0);
  EXPECT_TRUE(std::isinf(decodeSmallFloat(DType::f8e5m2, 0xFC)));
  EXPECT_EQ(decodeSmallFloat(DType::f8e5m2fnuz, 0x7F), 57344.0);
  EXPECT_EQ(decodeSmallFloat(DType::f8e8m0, 127), 1.0);
  EXPECT_EQ(decodeSmallFloat(DType::f8e8m0, 0), std::ldexp(1.0, -127));
  EXPECT_EQ(decodeSmallFloat(DType::f4e2m1, 0x7), 6.0);
  EXPECT_EQ(decodeSmallFloat(DType::f4e2m1, 0xB), -1.5);
}

/// Every finite code round-trips, a midpoint between two neighbours rounds to the even code,
/// and values beyond the range saturate or overflow as ONNX Cast's `saturate` says.
TEST(SmallTypes, EncodingRoundsToNearestEvenAndOverflows) {
  for (DType t : {DType::f8e4m3fn, DType::f8e4m3fnuz, DType::f8e5m2, DType::f8e5m2fnuz,
                  DType::f4e2m1}) {
    SCOPED_TRACE(std::string(dtypeName(t)));
    MiniFloatFormat f = *miniFloatFormat(t);
    int codes = 1 << (1 + f.expBits + f.mantBits), half = codes / 2;
    std::vector<float> in;
    std::vector<int> want;
    for (int c = 0; c < half; ++c) { // positive codes in increasing value
      double v = decodeSmallFloat(t, uint8_t(c));
      if (!std::isfinite(v))
        continue;
      in.push_back(float(v)), want.push_back(c);
      in.push_back(-float(v)), want.push_back(c == 0 && f.fnuz ? 0 : c | half);
      double next = decodeSmallFloat(t, uint8_t(c + 1));
      if (c + 1 < half && std::isfinite(next))
        in.push_back(float((v + next) / 2)), want.push_back(c % 2 == 0 ? c : c + 1);
    }
    for (bool saturate : {true, false}) {
      std::vector<float> x = in;
      std::vector<int> w = want;
      int maxCode = 0;
      for (int c = 0; c < half; ++c)
        if (decodeSmallFloat(t, uint8_t(c)) == f.maxFinite)
          maxCode = c;
      x.push_back(float(f.maxFinite) * 4), x.push_back(INFINITY);
      for (int i = 0; i < 2; ++i) {
        int overflow = saturate || !f.hasNaN ? maxCode : f.hasInf ? 0x7C : f.fnuz ? 0x80 : 0x7F;
        w.push_back(overflow);
      }
      Bytes got = runCast(DType::f32, floatBytes(x), CastAttrs{t, saturate});
      ASSERT_EQ(got.size(), x.size());
      for (size_t i = 0; i < x.size(); ++i)
        EXPECT_EQ(int(got[i]), w[i]) << "x = " << x[i] << ", saturate " << saturate;
    }
  }
}

TEST(SmallTypes, E8M0RoundingModes) {
  std::vector<float> x = {1.0f, 1.5f, 1.25f, 3.0f, 0.75f};
  struct Case {
    CastRound round;
    std::vector<int> want;
  } cases[] = {{CastRound::up, {127, 128, 128, 129, 127}},
               {CastRound::down, {127, 127, 127, 128, 126}},
               {CastRound::nearest, {127, 128, 127, 129, 127}}};
  for (const Case& c : cases) {
    Bytes got = runCast(DType::f32, floatBytes(x), CastAttrs{DType::f8e8m0, true, c.round});
    ASSERT_EQ(got.size(), x.size());
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_EQ(int(got[i]), c.want[i]) << enumName(c.round) << " " << x[i];
  }
}

TEST(SmallTypes, IntegersTruncateAndWrap) {
  std::vector<float> x = {7.6f, -8.9f, 100.0f, -100.0f, 2.5f, -2.5f, NAN, INFINITY};
  Bytes i4 = runCast(DType::f32, floatBytes(x), CastAttrs{DType::i4});
  Bytes u4 = runCast(DType::f32, floatBytes(x), CastAttrs{DType::u4});
  Bytes i2 = runCast(DType::f32, floatBytes(x), CastAttrs{DType::i2});
  // numpy with ml_dtypes: x.astype(int4 / uint4 / int2)
  std::vector<int> wantI4 = {7, -8, 4, -4, 2, -2, 0, 0}, wantU4 = {7, 8, 4, 12, 2, 14, 0, 0},
                   wantI2 = {-1, 0, 0, 0, -2, -2, 0, 0};
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(int(int8_t(i4[i])), wantI4[i]) << x[i];
    EXPECT_EQ(int(u4[i]), wantU4[i]) << x[i];
    EXPECT_EQ(int(int8_t(i2[i])), wantI2[i]) << x[i];
  }
}

TEST(SmallTypes, UnpacksOnnxTensorData) {
  const uint8_t packed4[] = {0x8F, 0x07}; // elements 0xF, 0x8, 0x7 (low nibble first)
  auto i4 = unpackTensorData(DType::i4, packed4, 2, 3);
  EXPECT_EQ((std::vector<int>{int8_t(i4[0]), int8_t(i4[1]), int8_t(i4[2])}),
            (std::vector<int>{-1, -8, 7}));
  auto u4 = unpackTensorData(DType::u4, packed4, 2, 3);
  EXPECT_EQ((std::vector<int>{u4[0], u4[1], u4[2]}), (std::vector<int>{15, 8, 7}));
  const uint8_t packed2[] = {0b11100100}; // 0, 1, 2, 3
  auto i2 = unpackTensorData(DType::i2, packed2, 1, 4);
  EXPECT_EQ((std::vector<int>{int8_t(i2[0]), int8_t(i2[1]), int8_t(i2[2]), int8_t(i2[3])}),
            (std::vector<int>{0, 1, -2, -1}));
  EXPECT_EQ(packedTensorBytes(DType::u4, 3), 2);
  EXPECT_EQ(packedTensorBytes(DType::u2, 5), 2);
  EXPECT_EQ(packedTensorBytes(DType::f8e5m2, 5), 5);
}

TEST(SmallTypes, OnlyCastsAndDataMovementCompute) {
  Module m;
  Value* a = m.addInput(TensorType{DType::f8e4m3fn, {4}}, "a");
  auto sum = m.appendOp(OpKind::Add, {a, a}, NoAttrs{}, "s");
  ASSERT_FALSE(sum);
  EXPECT_NE(sum.status().format().find("add on f8e4m3fn is not supported"), std::string::npos)
      << sum.status().format();
  EXPECT_TRUE(m.appendOp(OpKind::Transpose, {a}, TransposeAttrs{{0}}, "t"));
  EXPECT_TRUE(m.appendOp(OpKind::Cast, {a}, CastAttrs{DType::f32}, "c"));
}

} // namespace
} // namespace dnncc
