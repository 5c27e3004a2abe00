// Tests of the quantization and linear-algebra converters (QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear, the integer products, Einsum, Det): numbers through the reference
// interpreter against loops written here, and one test per user-facing import error.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "codegen/halide/Algorithm.h"
#include "codegen/halide/Evaluator.h"
#include "frontend/onnx/Importer.h"
#include "ir/Text.h"
#include "test_util.h"

namespace dnncc {
namespace {
using test::allClose;
using test::asFloats;
using test::attrInt;
using test::attrString;
using test::Bytes;
using test::floatBytes;
using test::OnnxBuilder;

ImportOptions options() {
  ImportOptions o;
  o.evaluator = &test::referenceEvaluator();
  return o;
}

/// The import error of `b` with the model path replaced by "<file>", or "imported".
std::string importError(const OnnxBuilder& b) {
  std::string path = b.write(test::testDir());
  auto m = importOnnx(path, options());
  if (m)
    return "imported";
  std::string s = m.status().format();
  size_t at = s.find(path);
  return at == std::string::npos ? s : s.replace(at, path.size(), "<file>");
}

template <class T> Bytes bytesOf(const std::vector<T>& v) {
  Bytes b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

template <class T> std::vector<T> valuesOf(const Bytes& b) {
  std::vector<T> v(b.size() / sizeof(T));
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

/// Imports `b` and runs it on `inputs`; returns the outputs' bytes.
std::vector<Bytes> importAndRun(const OnnxBuilder& b, const std::vector<Bytes>& inputs) {
  auto m = importOnnx(b.write(test::testDir()), options());
  EXPECT_TRUE(m) << m.status().format();
  if (!m)
    return {};
  EXPECT_TRUE(verify(**m)) << verify(**m).format();
  auto out = test::interpret(**m, inputs);
  EXPECT_TRUE(out) << out.status().format();
  return out ? *out : std::vector<Bytes>{};
}

TEST(ImportQuantize, PerAxisRoundsHalfToEvenAndSaturates) {
  OnnxBuilder b(13);
  b.input("x", {2, 4});
  b.input("s", {2});
  b.input("z", {2}, onnx::TensorProto::INT8);
  attrInt(b.node("QuantizeLinear", {"x", "s", "z"}, {"y"}, "q"), "axis", -2);
  b.output("y");
  std::vector<float> x = {0.5f, 1.5f, 2.5f, -2.5f, 1000, -1000, 3, -0.75f};
  std::vector<float> s = {1, 0.5f};
  std::vector<int8_t> z = {0, -3};
  auto out = importAndRun(b, {floatBytes(x), floatBytes(s), bytesOf(z)});
  ASSERT_EQ(out.size(), 1u);
  // Row 0: round(x) = 0, 2, 2, -2. Row 1: round(x / 0.5) - 3 = 1997 -> 127, -2003 -> -128, 3, -5.
  EXPECT_EQ(valuesOf<int8_t>(out[0]), (std::vector<int8_t>{0, 2, 2, -2, 127, -128, 3, -5}));
}

TEST(ImportQuantize, BlockedWithARemainderBlock) {
  OnnxBuilder b(21);
  b.input("x", {5}, onnx::TensorProto::UINT16);
  b.input("s", {2});
  b.input("z", {2}, onnx::TensorProto::UINT16);
  auto& n = b.node("DequantizeLinear", {"x", "s", "z"}, {"y"}, "dq");
  attrInt(n, "axis", 0);
  attrInt(n, "block_size", 3);
  b.output("y");
  std::vector<uint16_t> x = {10, 20, 30, 65535, 0};
  std::vector<float> s = {0.5f, 2};
  std::vector<uint16_t> z = {10, 1};
  auto out = importAndRun(b, {bytesOf(x), floatBytes(s), bytesOf(z)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(asFloats(out[0]), {0, 5, 10, 131068, -2}));
}

TEST(ImportQuantize, DynamicQuantizeLinear) {
  OnnxBuilder b(11);
  b.input("x", {4});
  b.node("DynamicQuantizeLinear", {"x"}, {"y", "s", "z"}, "dq");
  b.output("y");
  b.output("s");
  b.output("z");
  std::vector<float> x = {-1, 0, 2, 4.1f};
  auto out = importAndRun(b, {floatBytes(x)});
  ASSERT_EQ(out.size(), 3u);
  float scale = (4.1f - -1.0f) / 255.0f;
  EXPECT_TRUE(allClose(asFloats(out[1]), {scale}));
  uint8_t zp = static_cast<uint8_t>(std::nearbyint(1.0f / scale));
  EXPECT_EQ(valuesOf<uint8_t>(out[2]), (std::vector<uint8_t>{zp}));
  std::vector<uint8_t> want;
  for (float v : x)
    want.push_back(static_cast<uint8_t>(
        std::clamp<float>(std::nearbyint(v / scale) + static_cast<float>(zp), 0, 255)));
  EXPECT_EQ(valuesOf<uint8_t>(out[0]), want);
}

TEST(ImportQuantize, MatMulIntegerPerRowZeroPoint) {
  OnnxBuilder b(10);
  b.input("a", {2, 3}, onnx::TensorProto::UINT8);
  b.input("b", {3, 2}, onnx::TensorProto::INT8);
  b.input("az", {2}, onnx::TensorProto::UINT8);
  b.node("MatMulInteger", {"a", "b", "az"}, {"y"}, "mm");
  b.output("y");
  std::vector<uint8_t> a = {255, 0, 7, 1, 2, 3};
  std::vector<int8_t> bm = {-128, 127, 5, -5, 1, 0};
  std::vector<uint8_t> az = {128, 2};
  auto out = importAndRun(b, {bytesOf(a), bytesOf(bm), bytesOf(az)});
  ASSERT_EQ(out.size(), 1u);
  std::vector<int32_t> want;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      int32_t acc = 0;
      for (int k = 0; k < 3; ++k)
        acc += (a[i * 3 + k] - az[i]) * bm[k * 2 + j];
      want.push_back(acc);
    }
  EXPECT_EQ(valuesOf<int32_t>(out[0]), want);
}

/// QuantizeLinear of `x` (f32) with `scale` and zero point `zp` (one u8) JIT-run on the host,
/// its u8 results; `bySum` defines it with hl::Lowering::roundBySum.
std::vector<uint8_t> quantizeOnHost(const std::vector<float>& x, float scale, uint8_t zp,
                                    bool bySum) {
  Module m;
  auto n = static_cast<int64_t>(x.size());
  Value* in = m.addInput(TensorType{DType::f32, {n}}, "x");
  Value* s = m.addConstant(TensorType{DType::f32, {}}, floatBytes({scale}));
  Value* z = m.addConstant(TensorType{DType::u8, {}}, Bytes{zp});
  auto r = m.appendOp(OpKind::QuantizeLinear, {in, s, z}, CastAttrs{DType::u8});
  EXPECT_TRUE(r) << r.status().format();
  hl::Lowering lw;
  lw.nativeRound = true;
  lw.roundBySum = bySum;
  auto operand = [&](const Value* v, const void* data) {
    Halide::Buffer<> b(hl::halideType(v->type.dtype, lw),
                       static_cast<int>(std::max<int64_t>(1, v->type.numElements())));
    std::memcpy(b.data(), data, b.size_in_bytes());
    Halide::Var i;
    Halide::Func f;
    if (v->type.rank() == 0)
      f() = b(Halide::Expr(0));
    else
      f(i) = b(i);
    return hl::wrapFunc(f, v->type);
  };
  std::vector<hl::TensorFunc> funcs{operand(in, x.data()), operand(s, s->data->data()),
                                    operand(z, z->data->data())};
  Expected<hl::TensorFunc> q = hl::defineOp(*m.ops.back(), funcs, lw);
  EXPECT_TRUE(q) << q.status().format();
  if (!q)
    return {};
  Halide::Buffer<uint8_t> out(static_cast<int>(n));
  q->func.realize(out, hl::jitTarget());
  return std::vector<uint8_t>(out.data(), out.data() + n);
}

// Rounding by adding and subtracting 1.5 * 2^23 (AVX-512 targets) gives what Halide's round
// gives: ties to even on both sides of the zero point, saturation, and values far outside the
// range (which the clamp before the rounding keeps below 2^22).
TEST(QuantizeNumbers, RoundingBySumMatchesRoundingToNearestEven) {
  std::vector<float> x;
  for (int k = -600; k <= 600; ++k)
    for (float f : {0.0f, 0.25f, 0.5f, 0.75f})
      x.push_back(static_cast<float>(k) / 2 + f);
  for (float big : {1e7f, 3e9f, 1e30f, std::numeric_limits<float>::infinity()}) {
    x.push_back(big);
    x.push_back(-big);
  }
  x.push_back(std::nextafter(0.5f, 0.0f)); // just below a tie
  for (uint8_t zp : {uint8_t{0}, uint8_t{128}, uint8_t{255}})
    for (float scale : {1.0f, 0.5f, 3.0f}) {
      SCOPED_TRACE(fmt::format("zero point {}, scale {}", zp, scale));
      std::vector<uint8_t> bySum = quantizeOnHost(x, scale, zp, true);
      std::vector<uint8_t> byRound = quantizeOnHost(x, scale, zp, false);
      ASSERT_EQ(bySum.size(), x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        double want =
            std::clamp(std::nearbyint(static_cast<double>(x[i] / scale)) + zp, 0.0, 255.0);
        ASSERT_EQ(bySum[i], static_cast<uint8_t>(want)) << "x = " << x[i];
        ASSERT_EQ(byRound[i], bySum[i]) << "x = " << x[i];
      }
    }
}

TEST(ImportEinsum, BatchedContractionWithEllipsisBroadcast) {
  OnnxBuilder b(12);
  b.input("x", {2, 1, 3});
  b.input("y", {4, 3});
  attrString(b.node("Einsum", {"x", "y"}, {"z"}, "e"), "equation", "...j,kj->...k");
  b.output("z");
  std::vector<float> x = {1, 2, 3, -1, 0, 0.5f}, y(12);
  for (int i = 0; i < 12; ++i)
    y[i] = static_cast<float>(i % 5) - 2;
  auto out = importAndRun(b, {floatBytes(x), floatBytes(y)});
  ASSERT_EQ(out.size(), 1u);
  std::vector<float> want;
  for (int n = 0; n < 2; ++n)
    for (int k = 0; k < 4; ++k) {
      float acc = 0;
      for (int j = 0; j < 3; ++j)
        acc += x[n * 3 + j] * y[k * 3 + j];
      want.push_back(acc);
    }
  EXPECT_TRUE(allClose(asFloats(out[0]), want));
}

TEST(ImportEinsum, ImplicitOutputTraceAndOrder) {
  OnnxBuilder b(12);
  b.input("x", {3, 3, 2});
  attrString(b.node("Einsum", {"x"}, {"z"}, "e"), "equation", "iiB");
  b.output("z");
  std::vector<float> x(18);
  for (int i = 0; i < 18; ++i)
    x[i] = static_cast<float>(i);
  auto out = importAndRun(b, {floatBytes(x)});
  ASSERT_EQ(out.size(), 1u);
  // z[B] = sum_i x[i, i, B]: (0 + 8 + 16) + B * 3.
  EXPECT_TRUE(allClose(asFloats(out[0]), {24, 27}));
}

TEST(ImportDet, ThreeByThree) {
  OnnxBuilder b(11);
  b.input("x", {2, 3, 3});
  b.node("Det", {"x"}, {"d"}, "det");
  b.output("d");
  std::vector<float> x = {2, 0, 1, 1, 3, 2, 1, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 10};
  auto out = importAndRun(b, {floatBytes(x)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(asFloats(out[0]), {6, -3}));
}

// ---- errors: one test per message ----

TEST(QuantizeErrors, BlockedScaleShape) {
  OnnxBuilder b(21);
  b.input("x", {2, 6});
  b.input("s", {2, 3});
  auto& n = b.node("QuantizeLinear", {"x", "s"}, {"y"}, "q");
  attrInt(n, "block_size", 3);
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'q' (QuantizeLinear, opset 21): y_scale [2,3] "
                            "does not fit x [2,6] with block_size 3 on axis 1 (expected [2,2])");
}

TEST(QuantizeErrors, PerAxisScaleLength) {
  OnnxBuilder b(13);
  b.input("x", {2, 6}, onnx::TensorProto::INT8);
  b.input("s", {3});
  b.node("DequantizeLinear", {"x", "s"}, {"y"}, "dq");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'dq' (DequantizeLinear, opset 13): x_scale [3] "
                            "is not a scalar or a 1-D tensor of 6 elements (axis 1)");
}

TEST(QuantizeErrors, OutputDtypeDiffersFromZeroPoint) {
  OnnxBuilder b(21);
  b.input("x", {2});
  b.input("s", {});
  b.input("z", {}, onnx::TensorProto::UINT8);
  attrInt(b.node("QuantizeLinear", {"x", "s", "z"}, {"y"}, "q"), "output_dtype",
          onnx::TensorProto::INT8);
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'q' (QuantizeLinear, opset 21): output_dtype i8 "
                            "differs from the zero point type u8");
}

TEST(QuantizeErrors, DequantizeFloatInput) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.input("s", {});
  b.node("DequantizeLinear", {"x", "s"}, {"y"}, "dq");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'dq' (DequantizeLinear, opset 13): x of type "
                            "f32 is not supported (int8, uint8, int16, uint16, int4, uint4, int2, uint2, "
                            "float8 but float8e8m0, float4e2m1, int32)");
}

TEST(QuantizeErrors, IntegerProductOfFloats) {
  OnnxBuilder b(10);
  b.input("a", {2, 2});
  b.input("b", {2, 2});
  b.node("MatMulInteger", {"a", "b"}, {"y"}, "mm");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'mm' (MatMulInteger, opset 10): A of type f32 "
                            "is not int8 or uint8");
}

TEST(EinsumErrors, InvalidCharacter) {
  OnnxBuilder b(12);
  b.input("x", {2, 2});
  attrString(b.node("Einsum", {"x"}, {"y"}, "e"), "equation", "i1->i");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'e' (Einsum, opset 12): equation term 'i1' has "
                            "an invalid character '1'");
}

TEST(EinsumErrors, RankMismatch) {
  OnnxBuilder b(12);
  b.input("x", {2, 2});
  attrString(b.node("Einsum", {"x"}, {"y"}, "e"), "equation", "ijk->i");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'e' (Einsum, opset 12): operand 0 of rank 2 "
                            "does not match its equation term");
}

TEST(EinsumErrors, ExtentMismatch) {
  OnnxBuilder b(12);
  b.input("x", {2, 3});
  attrString(b.node("Einsum", {"x"}, {"y"}, "e"), "equation", "ii->i");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'e' (Einsum, opset 12): label extents 2 and 3 "
                            "differ");
}

TEST(DetErrors, NotSquare) {
  OnnxBuilder b(11);
  b.input("x", {2, 3});
  b.node("Det", {"x"}, {"y"}, "d");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'd' (Det, opset 11): x [2,3] is not [..., M, M]");
}

TEST(DetErrors, TooLarge) {
  OnnxBuilder b(11);
  b.input("x", {7, 7});
  b.node("Det", {"x"}, {"y"}, "d");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'd' (Det, opset 11): matrices of size 7 are not "
                            "supported (1 to 6)");
}

} // namespace
} // namespace dnncc
