// Tests of the ONNX importer for the old opsets (1-6), the convolution family (ConvTranspose,
// LpPool, MaxPool Indices, MaxUnpool, ConvInteger) and sampling (Resize, Upsample, GridSample):
// numbers through the reference interpreter against loops written here, and one test per
// user-facing import error of these converters.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <onnx/defs/schema.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/Importer.h"
#include "ir/Text.h"
#include "test_util.h"

namespace dnncc {
namespace {
using test::allClose;
using test::attrFloat;
using test::attrInt;
using test::attrInts;
using test::attrString;
using test::OnnxBuilder;

ImportOptions options() {
  ImportOptions o;
  o.evaluator = &test::referenceEvaluator();
  return o;
}

Expected<std::unique_ptr<Module>> importModel(const OnnxBuilder& b, std::string* path = nullptr) {
  std::string p = b.write(test::testDir());
  if (path)
    *path = p;
  return importOnnx(p, options());
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

/// Runs `m` on f32 inputs and returns output `index` as bytes.
test::Bytes runBytes(const Module& m, const std::vector<std::vector<float>>& inputs,
                     size_t index = 0) {
  std::vector<test::Bytes> in;
  for (const auto& v : inputs)
    in.push_back(test::floatBytes(v));
  auto out = test::interpret(m, in);
  EXPECT_TRUE(out) << out.status().format();
  if (!out || out->size() <= index)
    return {};
  return (*out)[index];
}

std::vector<float> run(const Module& m, const std::vector<std::vector<float>>& inputs,
                       size_t index = 0) {
  return test::asFloats(runBytes(m, inputs, index));
}

std::vector<float> ramp(int n, float scale = 0.5f, float offset = -2.0f) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = offset + scale * static_cast<float>((i * 7) % 11);
  return v;
}

#define IMPORT_OR_FAIL(var, builder)                                                               \
  auto var##Expected = importModel(builder);                                                       \
  ASSERT_TRUE(var##Expected) << var##Expected.status().format();                                   \
  Module& var = **var##Expected;                                                                   \
  ASSERT_TRUE(verify(var)) << verify(var).format()

// ---- opsets 1-6 ----

TEST(ImportLegacy, AddBroadcastAtAxis) {
  OnnxBuilder b(6);
  b.input("a", {2, 3, 4});
  b.input("b", {3});
  auto& n = b.node("Add", {"a", "b"}, {"y"}, "add");
  attrInt(n, "broadcast", 1);
  attrInt(n, "axis", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  std::vector<float> a = ramp(24), bv{1, 10, 100}, want(24);
  for (int i = 0; i < 24; ++i)
    want[i] = a[i] + bv[(i / 4) % 3];
  EXPECT_TRUE(allClose(run(m, {a, bv}), want));
}

TEST(ImportLegacy, PReluSlopePerChannel) {
  OnnxBuilder b(6);
  b.input("x", {1, 2, 3});
  b.initializer("s", {2}, {0.5f, 2.0f});
  b.node("PRelu", {"x", "s"}, {"y"}, "prelu");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  std::vector<float> x = ramp(6), want(6);
  for (int i = 0; i < 6; ++i)
    want[i] = x[i] < 0 ? x[i] * (i < 3 ? 0.5f : 2.0f) : x[i];
  EXPECT_TRUE(allClose(run(m, {x}), want));
}

TEST(ImportLegacy, SplitOpset1AndConsumedInputs) {
  OnnxBuilder b(1);
  b.input("x", {5});
  auto& s = b.node("Split", {"x"}, {"p", "q"}, "split");
  attrInts(s, "split", {2, 3});
  attrInts(b.node("Relu", {"q"}, {"y"}, "relu"), "consumed_inputs", {1});
  b.output("p");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  std::vector<float> x{-1, 2, -3, 4, -5};
  EXPECT_TRUE(allClose(run(m, {x}, 0), {-1, 2}));
  EXPECT_TRUE(allClose(run(m, {x}, 1), {0, 4, 0}));
}

/// Every ONNX operator the importer has a row for is imported at every opset from its first
/// version on (up to the newest the ONNX C++ library knows), unless the version is deprecated or
/// listed here with the reason: an operator whose definition did not change keeps working in
/// older models.
TEST(ImportLegacy, RowsCoverEveryVersionOfAnOperator) {
  struct Gap {
    std::string_view op;
    int from, to;
    const char* why;
  };
  const Gap gaps[] = {
      {"Tile", 1, 5, "Tile-1 repeats along one axis named by a scalar input: not implemented"},
      {"RNN", 1, 6, "RNN-1 has output_sequence and no layout: not implemented"},
      {"GRU", 1, 6, "GRU-1/3 have output_sequence: not implemented"},
      {"LSTM", 1, 6, "LSTM-1 has output_sequence: not implemented"},
      {"Upsample", 1, 6, "Upsample-1 is experimental (width_scale/height_scale attributes)"},
  };
  std::map<std::string, std::map<int, const onnx::OpSchema*>> versions;
  const std::vector<onnx::OpSchema> schemas =
      onnx::OpSchemaRegistry::get_all_schemas_with_history();
  for (const onnx::OpSchema& s : schemas)
    if (s.domain().empty())
      versions[s.Name()][s.SinceVersion()] = &s;
  int checked = 0;
  for (const auto& [op, byVersion] : versions) {
    bool imported = false;
    for (int v = 1; v <= kMaxOpset && !imported; ++v)
      imported = onnximport::findConverter(op, v) != nullptr;
    if (!imported)
      continue;
    int newest = std::min(kMaxOpset, byVersion.rbegin()->first);
    for (int v = byVersion.begin()->first; v <= newest; ++v) {
      const onnx::OpSchema* s = std::prev(byVersion.upper_bound(v))->second;
      if (s->Deprecated())
        continue;
      bool listed = false;
      for (const Gap& g : gaps)
        listed |= g.op == op && g.from <= v && v <= g.to;
      ++checked;
      EXPECT_TRUE(onnximport::findConverter(op, v) != nullptr || listed)
          << op << "-" << s->SinceVersion() << " (opset " << v << ") has no importer row";
      EXPECT_FALSE(onnximport::findConverter(op, v) != nullptr && listed)
          << op << " at opset " << v << " is imported: remove it from the gaps";
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(ImportLegacy, UnchangedOpset1Operators) {
  // Softplus-1, Softsign-1: the definitions of today. Elu-1, HardSigmoid-1 with consumed_inputs.
  OnnxBuilder b(1);
  b.input("x", {4});
  b.node("Softplus", {"x"}, {"sp"}, "softplus");
  b.node("Softsign", {"x"}, {"ss"}, "softsign");
  attrInts(b.node("Elu", {"x"}, {"elu"}, "elu"), "consumed_inputs", {0});
  attrInts(b.node("HardSigmoid", {"x"}, {"hs"}, "hard_sigmoid"), "consumed_inputs", {0});
  for (const char* y : {"sp", "ss", "elu", "hs"})
    b.output(y);
  IMPORT_OR_FAIL(m, b);
  std::vector<float> x{-2, -0.5f, 0.5f, 3};
  std::vector<float> sp, ss, elu, hs;
  for (float v : x) {
    sp.push_back(std::log1p(std::exp(v)));
    ss.push_back(v / (1 + std::fabs(v)));
    elu.push_back(v < 0 ? std::expm1(v) : v);
    hs.push_back(std::max(0.0f, std::min(1.0f, 0.2f * v + 0.5f)));
  }
  EXPECT_TRUE(allClose(run(m, {x}, 0), sp));
  EXPECT_TRUE(allClose(run(m, {x}, 1), ss));
  EXPECT_TRUE(allClose(run(m, {x}, 2), elu));
  EXPECT_TRUE(allClose(run(m, {x}, 3), hs));
}

TEST(ImportLegacy, CastOpset1NamesItsType) {
  OnnxBuilder b(5);
  b.input("x", {3});
  attrString(b.node("Cast", {"x"}, {"y"}, "cast"), "to", "INT32");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.dtype, DType::i32);
  OnnxBuilder bad(5);
  bad.input("x", {3});
  attrString(bad.node("Cast", {"x"}, {"y"}, "cast"), "to", "REAL");
  bad.output("y");
  EXPECT_EQ(importError(bad), "error: <file>: node 'cast' (Cast, opset 5): cast to 'REAL': not an "
                              "ONNX data type name");
}

TEST(ImportLegacy, ComparisonWithLegacyBroadcast) {
  OnnxBuilder b(6);
  b.input("a", {2, 3});
  b.input("c", {3});
  auto& n = b.node("Greater", {"a", "c"}, {"y"}, "greater");
  attrInt(n, "broadcast", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.dtype, DType::boolean);
  EXPECT_EQ(m.outputs[0]->type.shape, (std::vector<int64_t>{2, 3}));
}

TEST(ImportErrors, LegacyBroadcastOffNeedsEqualShapes) {
  OnnxBuilder b(6);
  b.input("a", {2, 3});
  b.input("b", {3});
  b.node("Mul", {"a", "b"}, {"y"}, "mul");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'mul' (Mul, opset 6): broadcast=0 needs equal "
                            "shapes, got [2,3] and [3]");
}

TEST(ImportErrors, LegacyBatchNormTrainingMode) {
  OnnxBuilder b(6);
  b.input("x", {1, 2, 2});
  for (const char* p : {"s", "o", "mu", "var"})
    b.initializer(p, {2}, {1, 1});
  b.node("BatchNormalization", {"x", "s", "o", "mu", "var"}, {"y"}, "bn");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'bn' (BatchNormalization, opset 6): is_test=0 "
                            "(training mode) is not supported");
}

TEST(ImportBatchNorm, TrainingModeUsesTheBatchStatisticsAndUpdatesTheRunningOnes) {
  OnnxBuilder b(15);
  b.input("x", {2, 2, 3});
  b.initializer("s", {2}, {2, 0.5f});
  b.initializer("o", {2}, {1, -1});
  b.initializer("mu", {2}, {0.5f, -0.5f});
  b.initializer("var", {2}, {1, 4});
  auto& n = b.node("BatchNormalization", {"x", "s", "o", "mu", "var"}, {"y", "rm", "rv"}, "bn");
  attrInt(n, "training_mode", 1);
  test::attrFloat(n, "momentum", 0.8f);
  test::attrFloat(n, "epsilon", 1e-3f);
  b.output("y");
  b.output("rm");
  b.output("rv");
  IMPORT_OR_FAIL(m, b);
  std::vector<float> x = ramp(12);
  std::vector<float> y(12), rm(2), rv(2);
  const float scale[2] = {2, 0.5f}, offset[2] = {1, -1}, mu[2] = {0.5f, -0.5f}, var[2] = {1, 4};
  for (int ch = 0; ch < 2; ++ch) { // numpy's mean and var over N and the spatial axis
    double sum = 0, sq = 0;
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 3; ++i)
        sum += x[(n * 2 + ch) * 3 + i];
    double mean = sum / 6;
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 3; ++i)
        sq += std::pow(x[(n * 2 + ch) * 3 + i] - mean, 2);
    double v = sq / 6;
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 3; ++i) {
        int k = (n * 2 + ch) * 3 + i;
        y[k] = static_cast<float>(scale[ch] * (x[k] - mean) / std::sqrt(v + 1e-3) + offset[ch]);
      }
    rm[ch] = static_cast<float>(mu[ch] * 0.8 + mean * 0.2);
    rv[ch] = static_cast<float>(var[ch] * 0.8 + v * 0.2);
  }
  EXPECT_TRUE(allClose(run(m, {x}, 0), y, 1e-4, 1e-5));
  EXPECT_TRUE(allClose(run(m, {x}, 1), rm, 1e-4, 1e-5));
  EXPECT_TRUE(allClose(run(m, {x}, 2), rv, 1e-4, 1e-5));
}

TEST(ImportErrors, BatchNormRunningStatisticsWithoutTrainingMode) {
  OnnxBuilder b(15);
  b.input("x", {1, 2, 2});
  for (const char* p : {"s", "o", "mu", "var"})
    b.initializer(p, {2}, {1, 1});
  b.node("BatchNormalization", {"x", "s", "o", "mu", "var"}, {"y", "rm"}, "bn");
  b.output("y");
  b.output("rm");
  EXPECT_EQ(importError(b), "error: <file>: node 'bn' (BatchNormalization, opset 15): running "
                            "mean/var outputs without training_mode=1 (or before opset 14) are "
                            "not supported");
}

TEST(ImportErrors, BatchNormTrainingModeInputs) {
  struct Case {
    std::vector<int64_t> x;
    onnx::TensorProto::DataType type;
    std::vector<int64_t> stats;
    std::string what;
  };
  for (const Case& k : std::vector<Case>{
           {{2}, onnx::TensorProto::FLOAT, {2}, "X [2] has no channel axis"},
           {{1, 2, 2}, onnx::TensorProto::INT32, {2}, "training mode needs a floating-point X"},
           {{1, 2, 2}, onnx::TensorProto::FLOAT, {1}, "input mean/var [1] is not [2]"}}) {
    SCOPED_TRACE(k.what);
    OnnxBuilder b(15);
    b.input("x", k.x, k.type);
    for (const char* p : {"s", "o"})
      b.initializer(p, {2}, {1, 1});
    for (const char* p : {"mu", "var"})
      b.initializer(p, k.stats, std::vector<float>(k.stats[0], 1.0f));
    auto& n = b.node("BatchNormalization", {"x", "s", "o", "mu", "var"}, {"y", "rm"}, "bn");
    attrInt(n, "training_mode", 1);
    b.output("y");
    b.output("rm");
    EXPECT_EQ(importError(b), "error: <file>: node 'bn' (BatchNormalization, opset 15): " + k.what);
  }
}

TEST(ImportErrors, LegacySumNeedsEqualShapes) {
  OnnxBuilder b(6);
  b.input("a", {2, 3});
  b.input("b", {3});
  b.node("Sum", {"a", "b"}, {"y"}, "sum");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'sum' (Sum, opset 6): input 1 has shape [3], "
                            "input 0 [2,3] (before opset 8 all inputs have the same shape)");
}

// ---- convolution family ----

/// ConvTranspose of x [1, C, H, W] with w [C, OC, K, K] (group 1) by scattering, as the spec.
std::vector<float> convTransposeRef(const std::vector<float>& x, const std::vector<float>& w,
                                    int c, int h, int wd, int oc, int k, int stride, int padTop,
                                    int padLeft, int oh, int ow) {
  std::vector<float> y(oc * oh * ow, 0.0f);
  for (int ci = 0; ci < c; ++ci)
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < wd; ++j)
        for (int o = 0; o < oc; ++o)
          for (int ki = 0; ki < k; ++ki)
            for (int kj = 0; kj < k; ++kj) {
              int yi = i * stride + ki - padTop, yj = j * stride + kj - padLeft;
              if (yi >= 0 && yi < oh && yj >= 0 && yj < ow)
                y[(o * oh + yi) * ow + yj] +=
                    x[(ci * h + i) * wd + j] * w[((ci * oc + o) * k + ki) * k + kj];
            }
  return y;
}

TEST(ImportConvTranspose, StridePadsAndOutputPadding) {
  OnnxBuilder b(11);
  b.input("x", {1, 2, 3, 3});
  std::vector<float> w = ramp(2 * 3 * 3 * 3, 0.25f, -1.0f);
  b.initializer("w", {2, 3, 3, 3}, w);
  auto& n = b.node("ConvTranspose", {"x", "w"}, {"y"}, "ct");
  attrInts(n, "strides", {2, 2});
  attrInts(n, "pads", {1, 0, 0, 1});
  attrInts(n, "output_padding", {1, 1});
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  // Extent 2 * (3 - 1) + output_padding 1 + kernel 3 - pads 1 = 7 along both axes.
  ASSERT_EQ(m.outputs[0]->type.shape, (std::vector<int64_t>{1, 3, 7, 7}));
  std::vector<float> x = ramp(18);
  EXPECT_TRUE(allClose(run(m, {x}), convTransposeRef(x, w, 2, 3, 3, 3, 3, 2, 1, 0, 7, 7)));
}

TEST(ImportConvTranspose, OutputShapeGivesPads) {
  OnnxBuilder b(11);
  b.input("x", {1, 1, 3, 3});
  std::vector<float> w = ramp(9, 0.25f, -1.0f);
  b.initializer("w", {1, 1, 3, 3}, w);
  auto& n = b.node("ConvTranspose", {"x", "w"}, {"y"}, "ct");
  attrInts(n, "strides", {2, 2});
  attrInts(n, "output_shape", {6, 6});
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  // total padding 2 * 2 + 3 - 6 = 1, the larger half at the beginning (not SAME_UPPER).
  EXPECT_TRUE(test::fileCheck(test::printed(m),
                              {"CHECK: = conv_transpose(", "CHECK: pads=[1,1,0,0]"}));
  std::vector<float> x = ramp(9);
  EXPECT_TRUE(allClose(run(m, {x}), convTransposeRef(x, w, 1, 3, 3, 1, 3, 2, 1, 1, 6, 6)));
}

TEST(ImportErrors, ConvTransposeKernelShapeMismatch) {
  OnnxBuilder b(11);
  b.input("x", {1, 1, 3, 3});
  b.initializer("w", {1, 1, 2, 2}, {1, 1, 1, 1});
  attrInts(b.node("ConvTranspose", {"x", "w"}, {"y"}, "ct"), "kernel_shape", {3, 3});
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'ct' (ConvTranspose, opset 11): kernel_shape "
                            "[3,3] differs from the weights' [2,2]");
}

TEST(ImportLpPool, TwoNormOfWindows) {
  OnnxBuilder b(18);
  b.input("x", {1, 1, 3, 3});
  auto& n = b.node("LpPool", {"x"}, {"y"}, "lp");
  attrInts(n, "kernel_shape", {2, 2});
  attrInts(n, "pads", {0, 0, 1, 1});
  attrInt(n, "p", 2);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  std::vector<float> x = ramp(9), want;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double s = 0;
      for (int a = i; a < std::min(i + 2, 3); ++a)
        for (int c = j; c < std::min(j + 2, 3); ++c)
          s += x[a * 3 + c] * x[a * 3 + c];
      want.push_back(static_cast<float>(std::sqrt(s)));
    }
  EXPECT_TRUE(allClose(run(m, {x}), want));
}

TEST(ImportErrors, LpPoolCeilMode) {
  OnnxBuilder b(18);
  b.input("x", {1, 1, 3, 3});
  auto& n = b.node("LpPool", {"x"}, {"y"}, "lp");
  attrInts(n, "kernel_shape", {2, 2});
  attrInt(n, "ceil_mode", 1);
  b.output("y");
  EXPECT_EQ(importError(b),
            "error: <file>: node 'lp' (LpPool, opset 18): ceil_mode=1 is not supported");
}

TEST(ImportMaxPool, IndicesColumnMajorAndUnpool) {
  OnnxBuilder b(12);
  b.input("x", {1, 1, 2, 4});
  auto& n = b.node("MaxPool", {"x"}, {"y", "i"}, "pool");
  attrInts(n, "kernel_shape", {2, 2});
  attrInts(n, "strides", {2, 2});
  auto& u = b.node("MaxUnpool", {"y", "i"}, {"z"}, "unpool");
  attrInts(u, "kernel_shape", {2, 2});
  attrInts(u, "strides", {2, 2});
  auto& n2 = b.node("MaxPool", {"x"}, {"y2", "i2"}, "pool_cm");
  attrInts(n2, "kernel_shape", {2, 2});
  attrInts(n2, "strides", {2, 2});
  attrInt(n2, "storage_order", 1);
  b.output("i");
  b.output("z");
  b.output("i2");
  IMPORT_OR_FAIL(m, b);
  std::vector<float> x{1, 5, 2, 2, 3, 0, 7, 2}; // window maxima 5 (at 1) and 7 (at 6), first wins
  EXPECT_TRUE(allClose(runBytes(m, {x}, 0), test::int64Bytes({1, 6}), DType::i64));
  EXPECT_TRUE(allClose(run(m, {x}, 1), {0, 5, 0, 0, 0, 0, 7, 0}));
  // Column-major: (h, w) = (0, 1) -> 1 * 2 + 0 = 2, (1, 2) -> 2 * 2 + 1 = 5.
  EXPECT_TRUE(allClose(runBytes(m, {x}, 2), test::int64Bytes({2, 5}), DType::i64));
}

TEST(ImportMaxPool, UnpoolToARunTimeOutputShapeThatTheModelDeclares) {
  OnnxBuilder b(11);
  b.input("y", {1, 1, 2, 2});
  b.input("i", {1, 1, 2, 2}, onnx::TensorProto::INT64);
  b.input("shape", {4}, onnx::TensorProto::INT64);
  auto& u = b.node("MaxUnpool", {"y", "i", "shape"}, {"z"}, "unpool");
  attrInts(u, "kernel_shape", {2, 2});
  attrInts(u, "strides", {2, 2});
  b.output("z");
  auto* t = b.graph->mutable_output(0)->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {1, 1, 5, 5})
    t->mutable_shape()->add_dim()->set_dim_value(d);
  IMPORT_OR_FAIL(m, b);
  std::vector<test::Bytes> in{test::floatBytes({5, 6, 7, 8}), test::int64Bytes({5, 7, 13, 15}),
                              test::int64Bytes({1, 1, 5, 5})};
  auto out = test::interpret(m, in);
  ASSERT_TRUE(out) << out.status().format();
  // The indices address the unpooled 4x4 map ((1,1), (1,3), (3,1), (3,3)), which the larger
  // output_shape pads at the end of each axis (the ONNX reference).
  std::vector<float> want(25, 0.0f);
  want[6] = 5, want[8] = 6, want[16] = 7, want[18] = 8;
  EXPECT_TRUE(allClose(test::asFloats((*out)[0]), want));
  in[2] = test::int64Bytes({1, 1, 4, 4}); // not the shape compiled in
  EXPECT_FALSE(test::interpret(m, in));
}

TEST(ImportMaxPool, UnpoolToAnOutputShapeSmallerThanTheUnpooledOne) {
  OnnxBuilder b(11);
  b.input("y", {1, 1, 2, 2});
  b.input("i", {1, 1, 2, 2}, onnx::TensorProto::INT64);
  b.initializerI64("shape", {4}, {1, 1, 3, 3});
  auto& u = b.node("MaxUnpool", {"y", "i", "shape"}, {"z"}, "unpool");
  attrInts(u, "kernel_shape", {2, 2});
  attrInts(u, "strides", {2, 2});
  b.output("z");
  EXPECT_EQ(importError(b), "error: <file>: node 'unpool' (MaxUnpool, opset 11): output_shape "
                            "[1,1,3,3] is not at least the unpooled shape [1,1,4,4]");
}

// ---- sampling ----

TEST(ImportResize, LinearHalfPixelUpsample) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 1, 2});
  b.initializer("scales", {4}, {1, 1, 1, 2});
  attrString(b.node("Resize", {"x", "", "scales"}, {"y"}, "rs"), "mode", "linear");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  // half_pixel: x_original = (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, edge-clamped.
  EXPECT_TRUE(allClose(run(m, {{1, 3}}), {1, 1.5f, 2.5f, 3}));
}

TEST(ImportResize, NearestSizesAsymmetricFloor) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 1, 3});
  b.initializerI64("sizes", {4}, {1, 1, 1, 5});
  auto& n = b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "rs");
  attrString(n, "coordinate_transformation_mode", "asymmetric");
  attrString(n, "nearest_mode", "floor");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  // x_original = o * 3 / 5 = 0, 0.6, 1.2, 1.8, 2.4 -> floor 0, 0, 1, 1, 2.
  EXPECT_TRUE(allClose(run(m, {{1, 2, 3}}), {1, 1, 2, 2, 3}));
}

TEST(ImportErrors, ResizeNeedsScalesOrSizes) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 1, 3});
  b.node("Resize", {"x"}, {"y"}, "rs");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'rs' (Resize, opset 13): exactly one of scales "
                            "and sizes must be given");
}

TEST(ImportErrors, ResizeAntialiasNearest) {
  OnnxBuilder b(18);
  b.input("x", {1, 1, 1, 4});
  b.initializer("scales", {4}, {1, 1, 1, 0.5f});
  attrInt(b.node("Resize", {"x", "", "scales"}, {"y"}, "rs"), "antialias", 1);
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'rs' (Resize, opset 18): antialias=1 is not "
                            "defined for mode='nearest'");
}

TEST(ImportUpsample, NearestIntegerScales) {
  OnnxBuilder b(9);
  b.input("x", {1, 1, 1, 2});
  b.initializer("scales", {4}, {1, 1, 2, 2});
  b.node("Upsample", {"x", "scales"}, {"y"}, "up");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(allClose(run(m, {{1, 2}}), {1, 1, 2, 2, 1, 1, 2, 2}));
}

TEST(ImportGridSample, BilinearZerosAndBorder) {
  for (const char* padding : {"zeros", "border"}) {
    OnnxBuilder b(20);
    b.input("x", {1, 1, 1, 2});
    b.input("grid", {1, 1, 2, 2});
    attrString(b.node("GridSample", {"x", "grid"}, {"y"}, "gs"), "padding_mode", padding);
    b.output("y");
    IMPORT_OR_FAIL(m, b);
    // align_corners=0: x = ((g + 1) * 2 - 1) / 2, so g = 0 -> 0.5 (midpoint: 3) and g = 1 ->
    // 1.5, whose right tap is outside: 0 with zeros (2), the last column with border (4).
    // y = ((0 + 1) * 1 - 1) / 2 = 0: the single row.
    std::vector<float> got = run(m, {{2, 4}, {0, 0, 1, 0}});
    bool zeros = std::string(padding) == "zeros";
    EXPECT_TRUE(allClose(got, {3, zeros ? 2.0f : 4.0f})) << padding;
  }
}

TEST(ImportErrors, GridSamplePaddingMode) {
  OnnxBuilder b(20);
  b.input("x", {1, 1, 1, 2});
  b.input("grid", {1, 1, 2, 2});
  attrString(b.node("GridSample", {"x", "grid"}, {"y"}, "gs"), "padding_mode", "wrap");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'gs' (GridSample, opset 20): padding_mode='wrap' "
                            "is not zeros, border or reflection");
}

TEST(ImportRoiAlign, AverageOfBilinearSamples) {
  OnnxBuilder b(16);
  b.input("x", {1, 1, 2, 2});
  b.initializer("rois", {1, 4}, {0, 0, 2, 2});
  b.initializerI64("batch", {1}, {0});
  auto& n = b.node("RoiAlign", {"x", "rois", "batch"}, {"y"}, "roi");
  attrInt(n, "sampling_ratio", 1);
  attrString(n, "coordinate_transformation_mode", "output_half_pixel");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  // One bin of size 2: its single sample at (1, 1) is clamped to the last row and column.
  EXPECT_TRUE(allClose(run(m, {{1, 2, 3, 4}}), {4}));
}

TEST(ImportErrors, DeformConvOnly2D) {
  OnnxBuilder b(19);
  b.input("x", {1, 1, 4});
  b.input("w", {1, 1, 2});
  b.input("offset", {1, 2, 3});
  b.node("DeformConv", {"x", "w", "offset"}, {"y"}, "dc");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'dc' (DeformConv, opset 19): only 2-D "
                            "DeformConv ([N, C, H, W] input) is supported");
}

TEST(ImportErrors, RoiAlignAdaptiveSampling) {
  OnnxBuilder b(16);
  b.input("x", {1, 1, 2, 2});
  b.input("rois", {1, 4});
  b.input("batch", {1}, onnx::TensorProto::INT64);
  b.node("RoiAlign", {"x", "rois", "batch"}, {"y"}, "roi");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'roi' (RoiAlign, opset 16): sampling_ratio=0 "
                            "(adaptive sampling) is not supported");
}

} // namespace
} // namespace dnncc
