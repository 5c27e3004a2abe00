// The NNEF importer: tensor files of every item type, NNEF broadcasting, automatic padding,
// operations lowered by the parser, graph.quant on the int8 path (numbers through the reference
// interpreter).
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "frontend/nnef/Importer.h"
#include "frontend/nnef/TensorFile.h"
#include "ir/Text.h"
#include "test_util.h"

namespace dnncc {
namespace {
using namespace nnefimport;
using namespace test;
namespace fs = std::filesystem;

/// An NNEF tensor file: header for `shape`, `bits` per item of item type `code`, then `data`.
std::vector<uint8_t> tensorFile(std::vector<uint32_t> shape, uint32_t bits, uint32_t code,
                                const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out(128, 0);
  out[0] = 0x4E, out[1] = 0xEF, out[2] = 1, out[3] = 0;
  auto put = [&](size_t at, uint32_t v) { std::memcpy(&out[at], &v, 4); };
  put(4, static_cast<uint32_t>(data.size()));
  put(8, static_cast<uint32_t>(shape.size()));
  for (size_t i = 0; i < shape.size(); ++i)
    put(12 + 4 * i, shape[i]);
  put(44, bits);
  put(48, code);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string writeFile(const std::string& dir, const std::string& name,
                      const std::vector<uint8_t>& bytes) {
  std::string path = (fs::path(dir) / name).string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return path;
}

template <class T> std::vector<uint8_t> raw(std::vector<T> v) {
  return bytesOf(v);
}

TEST(NnefTensorFile, FloatItemsOf16And64BitsBecomeF32) {
  std::string dir = testDir();
  // 1.0, -2.5 and 0.099976 (0x2E66) as IEEE half.
  auto half =
      writeFile(dir, "h.dat", tensorFile({3}, 16, 0, raw<uint16_t>({0x3C00, 0xC100, 0x2E66})));
  auto t = readTensorFile(half, NnefType::scalar, {3});
  ASSERT_TRUE(t.hasValue()) << t.status().format();
  EXPECT_EQ(t->type.dtype, DType::f32);
  EXPECT_EQ(asFloats(t->bytes), (std::vector<float>{1.0f, -2.5f, 0.0999755859375f}));
  auto dbl = writeFile(dir, "d.dat", tensorFile({2, 1}, 64, 0, raw<double>({0.25, -3})));
  t = readTensorFile(dbl, NnefType::scalar, {2, 1});
  ASSERT_TRUE(t.hasValue()) << t.status().format();
  EXPECT_EQ(asFloats(t->bytes), (std::vector<float>{0.25f, -3.0f}));
}

TEST(NnefTensorFile, IntegerItemsSignedAndUnsignedBecomeI64) {
  std::string dir = testDir();
  auto s8 = writeFile(dir, "s.dat", tensorFile({2}, 8, 4, raw<int8_t>({-5, 7})));
  auto t = readTensorFile(s8, NnefType::integer, {2});
  ASSERT_TRUE(t.hasValue()) << t.status().format();
  EXPECT_EQ(t->type.dtype, DType::i64);
  EXPECT_EQ(asInt64s(t->bytes), (std::vector<int64_t>{-5, 7}));
  auto u16 = writeFile(dir, "u.dat", tensorFile({2}, 16, 1, raw<uint16_t>({65535, 3})));
  t = readTensorFile(u16, NnefType::integer, {2});
  ASSERT_TRUE(t.hasValue()) << t.status().format();
  EXPECT_EQ(asInt64s(t->bytes), (std::vector<int64_t>{65535, 3}));
}

TEST(NnefTensorFile, LogicalItemsPackedOneBitEachMostSignificantFirst) {
  std::string dir = testDir();
  auto b = writeFile(dir, "b.dat", tensorFile({10}, 1, 5, {0b10110000, 0b01000000}));
  auto t = readTensorFile(b, NnefType::logical, {10});
  ASSERT_TRUE(t.hasValue()) << t.status().format();
  EXPECT_EQ(t->type.dtype, DType::boolean);
  EXPECT_EQ(t->bytes, (std::vector<uint8_t>{1, 0, 1, 1, 0, 0, 0, 0, 0, 1}));
}

TEST(NnefTensorFile, QuantizedItemsKeepTheirIntegers) {
  std::string dir = testDir();
  auto q = writeFile(dir, "q.dat", tensorFile({3}, 8, 2, {0, 128, 255}));
  auto t = readTensorFile(q, NnefType::scalar, {3});
  ASSERT_TRUE(t.hasValue()) << t.status().format();
  EXPECT_TRUE(t->quantized);
  EXPECT_EQ(t->type.dtype, DType::u8);
  EXPECT_EQ(t->bytes, (std::vector<uint8_t>{0, 128, 255}));
  auto q32 = writeFile(dir, "q32.dat", tensorFile({2}, 32, 3, raw<int32_t>({-70000, 5})));
  t = readTensorFile(q32, NnefType::scalar, {2});
  ASSERT_TRUE(t.hasValue()) << t.status().format();
  EXPECT_EQ(t->type.dtype, DType::i32);
}

TEST(NnefTensorFile, RejectsTrailingBytesAndOverflowingShapes) {
  std::string dir = testDir();
  auto extra = tensorFile({2}, 32, 0, raw<float>({1, 2}));
  extra.push_back(0);
  auto t = readTensorFile(writeFile(dir, "x.dat", extra), NnefType::scalar, {2});
  ASSERT_FALSE(t.hasValue());
  EXPECT_NE(t.status().message().find("the file has 137 bytes"), std::string::npos);
  auto huge = tensorFile({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, 32, 0, {});
  t = readTensorFile(writeFile(dir, "huge.dat", huge), NnefType::scalar,
                     {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF});
  ASSERT_FALSE(t.hasValue());
  EXPECT_NE(t.status().message().find("too large"), std::string::npos);
}

/// Imports `graph` (with `files`) from a fresh directory.
Expected<std::unique_ptr<Module>>
importText(const std::string& graph, const std::map<std::string, std::vector<uint8_t>>& files = {},
           const std::string& quant = "") {
  std::string dir = testDir();
  std::ofstream(fs::path(dir) / "graph.nnef") << graph;
  if (!quant.empty())
    std::ofstream(fs::path(dir) / "graph.quant") << quant;
  for (const auto& [name, bytes] : files)
    writeFile(dir, name, bytes);
  ImportOptions options;
  options.evaluator = &referenceEvaluator();
  return importNnef(dir, options);
}

TEST(NnefImport, BroadcastingAlignsShapesFromTheLeft) {
  auto m = importText(R"(version 1.0;
graph g( x ) -> ( y )
{
    x = external(shape = [2, 3, 2]);
    b = constant(shape = [2, 3], value = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    y = add(x, b);
})");
  ASSERT_TRUE(m.hasValue()) << m.status().format();
  std::vector<float> x(12, 0.5f);
  auto out = interpret(**m, {floatBytes(x)});
  ASSERT_TRUE(out.hasValue()) << out.status().format();
  // b[i, j] is added to x[i, j, k] for both k.
  EXPECT_TRUE(
      allClose(asFloats((*out)[0]), {1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5, 5.5, 5.5, 6.5, 6.5}));
}

TEST(NnefImport, AutomaticPaddingPutsTheSmallerHalfInFront) {
  auto m = importText(R"(version 1.0;
graph g( x ) -> ( y )
{
    x = external(shape = [1, 1, 5, 5]);
    y = max_pool(x, size = [1, 1, 2, 2], stride = [1, 1, 2, 2], border = 'ignore');
})");
  ASSERT_TRUE(m.hasValue()) << m.status().format();
  std::string ir = print(**m);
  // ceil(5 / 2) = 3 outputs need 1 padding element, at the end.
  EXPECT_NE(ir.find("pads=[0,0,1,1]"), std::string::npos) << ir;
  EXPECT_NE(ir.find("f32[1,1,3,3]"), std::string::npos) << ir;
}

TEST(NnefImport, CompoundOperationsWithoutARowAreLoweredByTheParser) {
  auto m = importText(R"(version 1.0;
graph g( x ) -> ( y )
{
    x = external(shape = [1, 2, 4, 4]);
    y = rms_pool(x, size = [1, 1, 2, 2], stride = [1, 1, 2, 2]);
})");
  ASSERT_TRUE(m.hasValue()) << m.status().format();
  std::string ir = print(**m);
  EXPECT_NE(ir.find("avg_pool"), std::string::npos) << ir;
  EXPECT_NE(ir.find("sqrt"), std::string::npos) << ir;
  std::vector<float> x(32);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(i % 5);
  auto out = interpret(**m, {floatBytes(x)});
  ASSERT_TRUE(out.hasValue()) << out.status().format();
  // The first window holds x[0], x[1], x[4], x[5] = 0, 1, 4, 0.
  EXPECT_NEAR(asFloats((*out)[0])[0], std::sqrt((0.0 + 1 + 16 + 0) / 4), 1e-5);
}

TEST(NnefImport, CustomFragmentsAreExpandedIntoTheirOperations) {
  auto m = importText(R"(version 1.0;
extension KHR_enable_fragment_definitions, KHR_enable_operator_expressions;

fragment scaled_relu( x: tensor<scalar>, s: scalar ) -> ( y: tensor<scalar> )
{
    y = relu(x) * s;
}

graph g( x ) -> ( y )
{
    x = external(shape = [1, 4]);
    y = scaled_relu(x, s = 2.0);
})");
  ASSERT_TRUE(m.hasValue()) << m.status().format();
  auto out = interpret(**m, {floatBytes({-1.0f, 0.5f, 2.0f, -3.0f})});
  ASSERT_TRUE(out.hasValue()) << out.status().format();
  EXPECT_TRUE(allClose(asFloats((*out)[0]), {0.0f, 1.0f, 4.0f, 0.0f}));
}

TEST(NnefImport, ZeroPointQuantizationOfActivationsBecomesQuantizeDequantize) {
  auto m = importText(
      R"(version 1.0;
graph g( x ) -> ( y )
{
    x = external(shape = [1, 4]);
    y = relu(x);
})",
      {},
      R"("y": zero_point_linear_quantize(zero_point = 10, scale = 0.5, bits = 8, signed = false, symmetric = false);)");
  ASSERT_TRUE(m.hasValue()) << m.status().format();
  std::string ir = print(**m);
  EXPECT_NE(ir.find("quantize_linear"), std::string::npos) << ir;
  EXPECT_NE(ir.find("dequantize_linear"), std::string::npos) << ir;
  auto out = interpret(**m, {floatBytes({-1.0f, 0.26f, 1.6f, 200.0f})});
  ASSERT_TRUE(out.hasValue()) << out.status().format();
  // 200 saturates at (255 - 10) * 0.5.
  EXPECT_TRUE(allClose(asFloats((*out)[0]), {0.0f, 0.5f, 1.5f, 122.5f}));
}

} // namespace
} // namespace dnncc
