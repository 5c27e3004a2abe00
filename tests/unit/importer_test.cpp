// Tests of the ONNX importer: models built in C++, imported, checked as IR (ops, attributes,
// types) and, through the reference interpreter, as numbers against loops written here; and one
// test per user-facing import error.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "frontend/onnx/Importer.h"
#include "ir/Text.h"
#include "test_util.h"

namespace dnncc {
namespace {
namespace fs = std::filesystem;
using test::allClose;
using test::asFloats;
using test::attrFloat;
using test::attrInt;
using test::attrInts;
using test::attrString;
using test::Bytes;
using test::fileCheck;
using test::floatBytes;
using test::OnnxBuilder;

ImportOptions options() {
  ImportOptions o;
  o.evaluator = &test::referenceEvaluator();
  return o;
}

/// Writes `b` into a fresh directory and imports it; `path` receives the model path.
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

/// Runs `m` on f32 inputs and returns output `index` as floats.
std::vector<float> run(const Module& m, const std::vector<std::vector<float>>& inputs,
                       size_t index = 0) {
  std::vector<Bytes> in;
  for (const auto& v : inputs)
    in.push_back(floatBytes(v));
  auto out = test::interpret(m, in);
  EXPECT_TRUE(out) << out.status().format();
  if (!out || out->size() <= index)
    return {};
  return asFloats((*out)[index]);
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

// ---- tolerance of real exporters ----

/// A declared shape (graph output, value_info) for `name`.
void declare(onnx::ValueInfoProto* info, const std::string& name, std::vector<int64_t> shape) {
  info->set_name(name);
  auto* tt = info->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape)
    tt->mutable_shape()->add_dim()->set_dim_value(d);
}

TEST(ImportTolerance, DeclaredShapesThatInferenceContradictsAreWarnings) {
  OnnxBuilder b(17);
  b.input("x", {2, 3});
  b.node("Relu", {"x"}, {"t"}, "relu");
  b.node("Neg", {"t"}, {"y"}, "neg");
  b.output("y");
  declare(b.graph->mutable_output(0), "y", {3, 2});
  declare(b.graph->add_value_info(), "t", {7});
  std::string path = b.write(test::testDir());
  std::vector<std::string> warnings;
  ImportOptions o = options();
  o.warn = [&](const std::string& line) { warnings.push_back(line); };
  auto m = importOnnx(path, o);
  ASSERT_TRUE(m) << m.status().format();
  EXPECT_EQ((*m)->outputs[0]->type.shape, (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0], fmt::format("warning: {}: 't' is declared [7], inference gives [2,3]; "
                                     "using the inferred shape",
                                     path));
  EXPECT_EQ(warnings[1], fmt::format("warning: {}: 'y' is declared [3,2], inference gives [2,3]; "
                                     "using the inferred shape",
                                     path));
  // Agreeing declarations say nothing.
  OnnxBuilder ok(17);
  ok.input("x", {2, 3});
  ok.node("Relu", {"x"}, {"y"}, "relu");
  ok.output("y");
  declare(ok.graph->mutable_output(0), "y", {2, 3});
  warnings.clear();
  ASSERT_TRUE(importOnnx(ok.write(test::testDir()), o));
  EXPECT_TRUE(warnings.empty());
}

TEST(ImportTolerance, DeclaredShapesCarryBackThroughUnaryOps) {
  // ReduceL2's expanded function: ReduceSum with run-time axes, then Sqrt; only the graph
  // output's shape is declared, which is the ReduceSum result's too.
  OnnxBuilder b(18);
  b.input("x", {3, 2, 2});
  b.input("axes", {1}, onnx::TensorProto::INT64);
  b.node("ReduceSum", {"x", "axes"}, {"s"}, "sum");
  b.node("Sqrt", {"s"}, {"y"}, "sqrt");
  b.output("y");
  declare(b.graph->mutable_output(0), "y", {3, 1, 2});
  IMPORT_OR_FAIL(m, b);
  ASSERT_EQ(m.outputs[0]->type.shape, (std::vector<int64_t>{3, 1, 2}));
  std::vector<float> x(12);
  for (int i = 0; i < 12; ++i)
    x[i] = static_cast<float>(i);
  auto out = test::interpret(m, {floatBytes(x), test::int64Bytes({1})});
  ASSERT_TRUE(out) << out.status().format();
  std::vector<float> y = asFloats((*out)[0]);
  ASSERT_EQ(y.size(), 6u);
  for (int n = 0; n < 3; ++n)
    for (int k = 0; k < 2; ++k)
      EXPECT_FLOAT_EQ(y[n * 2 + k], std::sqrt(x[n * 4 + k] + x[n * 4 + 2 + k]));
  // Axes of the wrong form are caught when the model runs: axis 2 gives [3,2,1], not [3,1,2].
  auto wrong = test::interpret(m, {floatBytes(x), test::int64Bytes({2})});
  EXPECT_FALSE(wrong);
}

TEST(ImportTolerance, UnusedInputsStayInputs) {
  OnnxBuilder b(17);
  b.input("x", {2});
  b.input("unused", {4});
  b.node("Relu", {"x"}, {"y"}, "relu");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  ASSERT_EQ(m.inputs.size(), 2u);
  EXPECT_EQ(m.inputs[1]->name, "unused");
}

TEST(ImportErrors, NamesDefinedTwice) {
  OnnxBuilder b(17);
  b.input("x", {2});
  b.initializer("w", {2}, {1, 2});
  b.initializer("w", {2}, {3, 4});
  b.node("Add", {"x", "w"}, {"y"}, "add");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: initializer 'w' is defined twice");
  OnnxBuilder twice(17);
  twice.input("x", {2});
  twice.input("x", {2});
  twice.node("Relu", {"x"}, {"y"}, "relu");
  twice.output("y");
  EXPECT_EQ(importError(twice), "error: <file>: graph input 'x' is listed twice");
}

// ---- attributes vs inputs across opsets ----

TEST(ImportClip, Opset10TakesAttributes) {
  OnnxBuilder b(10);
  b.input("x", {4});
  auto& n = b.node("Clip", {"x"}, {"y"}, "clip");
  attrFloat(n, "min", -0.5f);
  attrFloat(n, "max", 0.5f);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(
      fileCheck(test::printed(m), {"CHECK: = clip(", "CHECK: ) {min=-0.5, max=0.5} : f32[4]"}));
  EXPECT_TRUE(allClose(run(m, {{-1, -0.25f, 0.25f, 1}}), {-0.5f, -0.25f, 0.25f, 0.5f}));
}

TEST(ImportClip, Opset13TakesInputs) {
  OnnxBuilder b(13);
  b.input("x", {4});
  b.initializer("hi", {}, {0.5f});
  b.node("Clip", {"x", "", "hi"}, {"y"}, "clip"); // no min: unbounded below
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(
      fileCheck(test::printed(m), {"CHECK: = clip(", "CHECK: ) {min=-inf, max=0.5} : f32[4]"}));
  EXPECT_TRUE(allClose(run(m, {{-1, -0.25f, 0.25f, 1}}), {-1, -0.25f, 0.25f, 0.5f}));
}

/// Softmax of `x` over groups of `inner` consecutive elements (with `stride` between them).
std::vector<float> softmaxRef(const std::vector<float>& x, int outer, int inner, int stride) {
  std::vector<float> y(x.size());
  for (int o = 0; o < outer; ++o)
    for (int s = 0; s < stride; ++s) {
      int base = o * inner * stride + s;
      double sum = 0;
      for (int i = 0; i < inner; ++i)
        sum += std::exp(x[base + i * stride]);
      for (int i = 0; i < inner; ++i)
        y[base + i * stride] = static_cast<float>(std::exp(x[base + i * stride]) / sum);
    }
  return y;
}

TEST(ImportSoftmax, Opset11CoercesTo2D) {
  OnnxBuilder b(11);
  b.input("x", {2, 3, 4});
  b.node("Softmax", {"x"}, {"y"}, "sm"); // axis=1: normalise over the flattened [3,4]
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK: = reshape(", "CHECK: ) : f32[2,12]",
                                           "CHECK: = softmax(", "CHECK: ) {axis=1} : f32[2,12]",
                                           "CHECK: = reshape(", "CHECK: ) : f32[2,3,4]"}));
  std::vector<float> x = ramp(24);
  EXPECT_TRUE(allClose(run(m, {x}), softmaxRef(x, 2, 12, 1)));
}

TEST(ImportSoftmax, Opset13UsesOneAxis) {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  attrInt(b.node("Softmax", {"x"}, {"y"}, "sm"), "axis", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK-NOT: reshape", "CHECK: = softmax(",
                                           "CHECK: ) {axis=1} : f32[2,3,4]"}));
  std::vector<float> x = ramp(24);
  EXPECT_TRUE(allClose(run(m, {x}), softmaxRef(x, 2, 3, 4)));
}

// ---- shape ops ----

TEST(ImportShape, ReshapeWithZeroAndMinusOne) {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  b.initializerI64("shape", {3}, {0, -1, 2});
  b.node("Reshape", {"x", "shape"}, {"y"}, "r");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK: = reshape(", "CHECK: ) : f32[2,6,2]"}));
  std::vector<float> x = ramp(24);
  EXPECT_TRUE(allClose(run(m, {x}), x));
}

TEST(ImportShape, Flatten) {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  attrInt(b.node("Flatten", {"x"}, {"y"}, "f"), "axis", 2);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK: = reshape(", "CHECK: ) : f32[6,4]"}));
}

TEST(ImportShape, SqueezeUnsqueezeOpset11Attributes) {
  OnnxBuilder b(11);
  b.input("x", {3, 1, 2});
  attrInts(b.node("Squeeze", {"x"}, {"s"}, "sq"), "axes", {-2});
  attrInts(b.node("Unsqueeze", {"s"}, {"y"}, "unsq"), "axes", {0, 3});
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (std::vector<int64_t>{1, 3, 2, 1}));
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK: = reshape(", "CHECK: ) : f32[3,2]",
                                           "CHECK: = reshape(", "CHECK: ) : f32[1,3,2,1]"}));
}

TEST(ImportShape, SqueezeUnsqueezeOpset13Inputs) {
  OnnxBuilder b(13);
  b.input("x", {3, 1, 2});
  b.initializerI64("sq_axes", {1}, {1});
  b.initializerI64("unsq_axes", {2}, {-1, 0});
  b.node("Squeeze", {"x", "sq_axes"}, {"s"}, "sq");
  b.node("Unsqueeze", {"s", "unsq_axes"}, {"y"}, "unsq");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (std::vector<int64_t>{1, 3, 2, 1}));
  std::vector<float> x = ramp(6);
  EXPECT_TRUE(allClose(run(m, {x}), x));
}

/// Columns [from, from + n) of a row-major [rows, cols] matrix.
std::vector<float> columns(const std::vector<float>& x, int rows, int cols, int from, int n) {
  std::vector<float> y;
  for (int r = 0; r < rows; ++r)
    for (int c = from; c < from + n; ++c)
      y.push_back(x[r * cols + c]);
  return y;
}

TEST(ImportSplit, Opset13Sizes) {
  OnnxBuilder b(13);
  b.input("x", {2, 6});
  b.initializerI64("sizes", {2}, {2, 4});
  attrInt(b.node("Split", {"x", "sizes"}, {"a", "b"}, "split"), "axis", 1);
  b.output("a");
  b.output("b");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m),
                        {"CHECK: = slice(", "CHECK: ) {starts=[0,0], steps=[1,1]} : f32[2,2]",
                         "CHECK: = slice(", "CHECK: ) {starts=[0,2], steps=[1,1]} : f32[2,4]"}));
  std::vector<float> x = ramp(12);
  EXPECT_TRUE(allClose(run(m, {x}, 0), columns(x, 2, 6, 0, 2)));
  EXPECT_TRUE(allClose(run(m, {x}, 1), columns(x, 2, 6, 2, 4)));
}

TEST(ImportSplit, Opset18UnevenNumOutputs) {
  OnnxBuilder b(18);
  b.input("x", {2, 5});
  auto& n = b.node("Split", {"x"}, {"a", "b", "c"}, "split");
  attrInt(n, "axis", -1);
  attrInt(n, "num_outputs", 3);
  for (const char* o : {"a", "b", "c"})
    b.output(o);
  IMPORT_OR_FAIL(m, b);
  ASSERT_EQ(m.outputs.size(), 3u);
  EXPECT_EQ(m.outputs[0]->type.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(m.outputs[1]->type.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(m.outputs[2]->type.shape, (std::vector<int64_t>{2, 1}));
  std::vector<float> x = ramp(10);
  EXPECT_TRUE(allClose(run(m, {x}, 2), columns(x, 2, 5, 4, 1)));
}

TEST(ImportSlice, NegativeStartsStepsAndClamping) {
  OnnxBuilder b(13);
  b.input("x", {4, 5});
  b.initializerI64("starts", {2}, {-1, 10}); // row 3; column 10 clamps to 4
  b.initializerI64("ends", {2}, {-5, -100}); // both clamp to "before the first"
  b.initializerI64("axes", {2}, {0, -1});
  b.initializerI64("steps", {2}, {-1, -2});
  b.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"}, "slice");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m),
                        {"CHECK: = slice(", "CHECK: ) {starts=[3,4], steps=[-1,-2]} : f32[4,3]"}));
  std::vector<float> x = ramp(20), want;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      want.push_back(x[(3 - i) * 5 + (4 - 2 * j)]);
  EXPECT_TRUE(allClose(run(m, {x}), want));
}

// Steps of +-2^63 (found by fuzz_compile: ceil((end - start) / step) overflowed): one element
// each, read with a step of 1 / -1.
TEST(ImportSlice, HugeStepsTakeOneElement) {
  OnnxBuilder b(13);
  b.input("x", {4, 5});
  b.initializerI64("starts", {2}, {3, 0});
  b.initializerI64("ends", {2}, {-10, 5});
  b.initializerI64("axes", {2}, {0, 1});
  b.initializerI64("steps", {2},
                   {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()});
  b.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"}, "slice");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK: ) {starts=[3,0], steps=[-1,1]} : f32[1,1]"}));
  std::vector<float> x = ramp(20);
  EXPECT_TRUE(allClose(run(m, {x}), {x[15]}));
}

TEST(ImportGather, NegativeIndex) {
  OnnxBuilder b(13);
  b.input("x", {3, 4});
  b.initializerI64("idx", {2}, {-1, 0});
  b.node("Gather", {"x", "idx"}, {"y"}, "gather");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  const Op* g = test::findOp(m, OpKind::Gather);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->attr<AxisAttrs>().axis, 0);
  ASSERT_TRUE(g->operands[1]->isConstant());
  EXPECT_EQ(test::asInt64s(*g->operands[1]->data), (std::vector<int64_t>{2, 0}));
  std::vector<float> x = ramp(12), want = columns(x, 1, 12, 8, 4);
  std::vector<float> row0(x.begin(), x.begin() + 4);
  want.insert(want.end(), row0.begin(), row0.end());
  EXPECT_TRUE(allClose(run(m, {x}), want));
}

// ---- conv, pooling, gemm ----

/// Direct convolution of one image [C, H, W] with weights [OC, C, KH, KW], stride 1, zero padding
/// `top`/`left` before the image.
std::vector<float> convRef(const std::vector<float>& x, const std::vector<float>& w, int c, int h,
                           int wd, int oc, int k, int oh, int ow, int top, int left) {
  std::vector<float> y(oc * oh * ow, 0.0f);
  for (int o = 0; o < oc; ++o)
    for (int i = 0; i < oh; ++i)
      for (int j = 0; j < ow; ++j) {
        double acc = 0;
        for (int ci = 0; ci < c; ++ci)
          for (int ki = 0; ki < k; ++ki)
            for (int kj = 0; kj < k; ++kj) {
              int yi = i + ki - top, xj = j + kj - left;
              if (yi >= 0 && yi < h && xj >= 0 && xj < wd)
                acc += x[(ci * h + yi) * wd + xj] * w[((o * c + ci) * k + ki) * k + kj];
            }
        y[(o * oh + i) * ow + j] = static_cast<float>(acc);
      }
  return y;
}

class ImportConvAutoPad : public ::testing::TestWithParam<const char*> {};

TEST_P(ImportConvAutoPad, OutputShapeAndPads) {
  std::string mode = GetParam();
  OnnxBuilder b(13);
  b.input("x", {1, 2, 5, 5});
  std::vector<float> w = ramp(3 * 2 * 2 * 2, 0.25f, -1.0f);
  b.initializer("w", {3, 2, 2, 2}, w);
  attrString(b.node("Conv", {"x", "w"}, {"y"}, "conv"), "auto_pad", mode);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  // Kernel 2, stride 1: output 5 = input, one pad row/column: at the end for SAME_UPPER.
  bool upper = mode == "SAME_UPPER";
  std::string pads = upper ? "pads=[0,0,1,1]" : "pads=[1,1,0,0]";
  EXPECT_TRUE(test::fileCheck(test::printed(m),
                              std::vector<test::CheckLine>{{false, "= conv("},
                                                           {false, ") {strides=[1,1], " + pads},
                                                           {false, ": f32[1,3,5,5]"}}))
      << mode;
  std::vector<float> x = ramp(50);
  int before = upper ? 0 : 1;
  EXPECT_TRUE(allClose(run(m, {x}), convRef(x, w, 2, 5, 5, 3, 2, 5, 5, before, before)));
}

INSTANTIATE_TEST_SUITE_P(Modes, ImportConvAutoPad, ::testing::Values("SAME_UPPER", "SAME_LOWER"));

TEST(ImportPool, MaxPoolCeilMode) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 5, 5});
  auto& n = b.node("MaxPool", {"x"}, {"y"}, "pool");
  attrInts(n, "kernel_shape", {2, 2});
  attrInts(n, "strides", {2, 2});
  attrInt(n, "ceil_mode", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK: = max_pool(",
                                           "CHECK: ) {kernel=[2,2], strides=[2,2], "
                                           "pads=[0,0,0,0], dilations=[1,1], ceil_mode=true",
                                           "CHECK: : f32[1,1,3,3]"}));
  std::vector<float> x = ramp(25), want;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      float best = -INFINITY;
      for (int a = 2 * i; a < std::min(2 * i + 2, 5); ++a)
        for (int c = 2 * j; c < std::min(2 * j + 2, 5); ++c)
          best = std::max(best, x[a * 5 + c]);
      want.push_back(best);
    }
  EXPECT_TRUE(allClose(run(m, {x}), want));
}

TEST(ImportPool, CeilModeDropsAWindowStartingInThePadding) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 4, 4});
  auto& n = b.node("MaxPool", {"x"}, {"y"}, "pool");
  attrInts(n, "kernel_shape", {2, 2});
  attrInts(n, "strides", {2, 2});
  attrInts(n, "pads", {0, 0, 1, 1});
  attrInt(n, "ceil_mode", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (std::vector<int64_t>{1, 1, 2, 2}));
}

TEST(ImportGemm, TransB) {
  OnnxBuilder b(13);
  b.input("a", {2, 3});
  std::vector<float> B = ramp(12, 0.25f), C = {1, -1, 0.5f, 2};
  b.initializer("b", {4, 3}, B);
  b.initializer("c", {4}, C);
  auto& n = b.node("Gemm", {"a", "b", "c"}, {"y"}, "fc");
  attrInt(n, "transB", 1);
  attrFloat(n, "alpha", 0.5f);
  attrFloat(n, "beta", 2.0f);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(fileCheck(test::printed(m),
                        {"CHECK: = gemm(", "CHECK: ) {trans_a=false, "
                                           "trans_b=true, alpha=0.5, beta=2} : f32[2,4]"}));
  std::vector<float> a = ramp(6), want;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      double acc = 0;
      for (int k = 0; k < 3; ++k)
        acc += a[i * 3 + k] * B[j * 3 + k];
      want.push_back(static_cast<float>(0.5 * acc + 2.0 * C[j]));
    }
  EXPECT_TRUE(allClose(run(m, {a}), want));
}

TEST(ImportFolding, TorchShapeSubgraphBecomesConstants) {
  // torch.flatten(x, 1) as exported: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])).
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  b.initializerI64("zero", {}, {0});
  b.initializerI64("axes0", {1}, {0});
  b.initializerI64("minus1", {1}, {-1});
  b.node("Shape", {"x"}, {"shape"}, "shape");
  b.node("Gather", {"shape", "zero"}, {"n"}, "gather");
  b.node("Unsqueeze", {"n", "axes0"}, {"n1"}, "unsqueeze");
  attrInt(b.node("Concat", {"n1", "minus1"}, {"target"}, "concat"), "axis", 0);
  b.node("Reshape", {"x", "target"}, {"y"}, "reshape");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  ASSERT_EQ(m.ops.size(), 1u) << test::printed(m);
  EXPECT_EQ(m.ops[0]->kind, OpKind::Reshape);
  EXPECT_EQ(m.outputs[0]->type.shape, (std::vector<int64_t>{2, 12}));
  std::vector<float> x = ramp(24);
  EXPECT_TRUE(allClose(run(m, {x}), x));
}

TEST(ImportTensors, ExternalDataInTheModelDirectory) {
  std::string dir = test::testDir();
  std::vector<float> w = {1.5f, -2, 0.25f, 8};
  {
    std::ofstream f(fs::path(dir) / "weights.bin", std::ios::binary);
    std::vector<float> padded = {99, 99}; // the tensor starts at byte 8
    padded.insert(padded.end(), w.begin(), w.end());
    f.write(reinterpret_cast<const char*>(padded.data()), padded.size() * sizeof(float));
  }
  OnnxBuilder b(13);
  b.input("x", {4});
  b.externalInitializer("w", {4}, "weights.bin", 8);
  b.node("Add", {"x", "w"}, {"y"}, "add");
  b.output("y");
  auto m = importOnnx(b.write(dir), options());
  ASSERT_TRUE(m) << m.status().format();
  EXPECT_TRUE(allClose(run(**m, {{1, 1, 1, 1}}), {2.5f, -1, 1.25f, 9}));
}

// ---- errors: one test per message ----

TEST(ImportErrors, UnsupportedOpNamesNodeOpAndOpset) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.node("Frobnicate", {"x"}, {"y"}, "mystery");
  b.output("y");
  EXPECT_EQ(importError(b),
            "error: <file>: node 'mystery' (Frobnicate, opset 13): unsupported op 'Frobnicate' at "
            "opset 13");
}

TEST(ImportErrors, UnsupportedAttributeValue) {
  OnnxBuilder b(19);
  b.input("x", {2, 3});
  b.initializerI64("pads", {4}, {0, 1, 0, 1});
  attrString(b.node("Pad", {"x", "pads"}, {"y"}, "pad0"), "mode", "symmetric");
  b.output("y");
  EXPECT_EQ(importError(b),
            "error: <file>: node 'pad0' (Pad, opset 19): mode='symmetric' is not supported");
}

TEST(ImportErrors, UnknownAttribute) {
  OnnxBuilder b(13);
  b.input("x", {2});
  attrInt(b.node("Relu", {"x"}, {"y"}, "act"), "x", 1);
  b.output("y");
  EXPECT_EQ(importError(b),
            "error: <file>: node 'act' (Relu, opset 13): attribute 'x' is not supported");
}

TEST(ImportErrors, ConverterErrorNamesTheNode) {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  b.initializerI64("shape", {2}, {-1, -1});
  b.node("Reshape", {"x", "shape"}, {"y"}, "r");
  b.output("y");
  EXPECT_EQ(importError(b),
            "error: <file>: node 'r' (Reshape, opset 13): shape has more than one -1");
}

TEST(ImportErrors, OpsetTooNewOrTooOld) {
  OnnxBuilder newer(kMaxOpset + 1), older(kMinOpset - 1);
  for (OnnxBuilder* b : {&newer, &older}) {
    b->input("x", {2});
    b->node("Relu", {"x"}, {"y"}, "act");
    b->output("y");
  }
  EXPECT_EQ(importError(newer), fmt::format("error: <file>: opset {} is newer than opset {}, the "
                                            "newest supported",
                                            kMaxOpset + 1, kMaxOpset));
  EXPECT_EQ(importError(older), fmt::format("error: <file>: opset {} is older than opset {}, the "
                                            "oldest supported",
                                            kMinOpset - 1, kMinOpset));
}

/// The error of importing a file holding `bytes`.
std::string fileError(const std::string& bytes) {
  std::string path = (fs::path(test::testDir()) / "bad.onnx").string();
  std::ofstream(path, std::ios::binary) << bytes;
  auto m = importOnnx(path, options());
  if (m)
    return "imported";
  std::string s = m.status().format();
  EXPECT_TRUE(s.starts_with("error: " + path + ": ")) << s;
  return s.substr(std::min(s.size(), ("error: " + path + ": ").size()));
}

TEST(ImportErrors, BrokenFiles) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.node("Relu", {"x"}, {"y"}, "act");
  b.output("y");
  std::string whole = b.model.SerializeAsString();
  EXPECT_EQ(fileError(whole.substr(0, whole.size() - 5)),
            "not an ONNX model (the protobuf does not parse: truncated, another format, or "
            "subgraphs nested deeper than --max-graph-depth=32)");
  EXPECT_EQ(fileError(""), "the file is empty, not an ONNX model");
  std::string text = fileError("<html>this is not a model</html>\n");
  EXPECT_TRUE(text.starts_with("not an ONNX model")) << text;
  EXPECT_EQ(importOnnx("/nonexistent/dir/m.onnx", options()).status().format(),
            "error: /nonexistent/dir/m.onnx: no such model file");
}

/// The import error of a model whose initializer 'w' lives at external `location`.
std::string externalError(const std::string& dir, const std::string& location) {
  OnnxBuilder b(13);
  b.input("x", {4});
  b.externalInitializer("w", {4}, location);
  b.node("Add", {"x", "w"}, {"y"}, "add");
  b.output("y");
  std::string path = b.write(dir);
  auto m = importOnnx(path, options());
  if (m)
    return "imported";
  std::string s = m.status().format();
  EXPECT_TRUE(s.starts_with("error: " + path + ": ")) << s;
  return s.substr(std::min(s.size(), ("error: " + path + ": ").size()));
}

TEST(ImportErrors, ExternalDataMustStayInTheModelDirectory) {
  std::string root = test::testDir();
  fs::path modelDir = fs::path(root) / "model", outside = fs::path(root) / "outside";
  fs::create_directories(modelDir);
  fs::create_directories(outside);
  std::vector<float> w(4, 1.0f);
  std::ofstream(outside / "w.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(w.data()), 16);
  fs::create_symlink(outside / "w.bin", modelDir / "link.bin");
  EXPECT_EQ(externalError(modelDir, "../outside/w.bin"),
            "external data path '../outside/w.bin' must not contain '..'");
  std::string abs = (outside / "w.bin").string();
  EXPECT_EQ(externalError(modelDir, abs),
            "external data path '" + abs + "' must be relative to the model directory");
  EXPECT_EQ(externalError(modelDir, "link.bin"),
            "external data path 'link.bin' leaves the model directory (symlink)");
  EXPECT_EQ(externalError(modelDir, "missing.bin"),
            "external data file 'missing.bin' does not exist");
}

TEST(ImportCheck, ReportsEveryUnsupportedOpOnce) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.node("FooA", {"x"}, {"a"}, "first");
  b.node("Relu", {"a"}, {"r"}, "after_first"); // depends on a failed node: no second error
  b.node("FooB", {"x"}, {"b"}, "second");
  b.node("Add", {"r", "b"}, {"y"}, "sum");
  b.output("y");
  std::string path = b.write(test::testDir());
  std::vector<Status> errors = checkOnnx(path, options());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].format(),
            "error: " + path +
                ": node 'first' (FooA, opset 13): unsupported op 'FooA' at opset 13");
  EXPECT_EQ(errors[1].format(),
            "error: " + path +
                ": node 'second' (FooB, opset 13): unsupported op 'FooB' at opset 13");
  std::string empty = test::OnnxBuilder(13).write(test::testDir());
  std::vector<Status> emptyErrors = checkOnnx(empty, options());
  ASSERT_EQ(emptyErrors.size(), 1u);
  EXPECT_EQ(emptyErrors[0].format(), "error: " + empty + ": the graph has no outputs");
}


// ---- control flow, unrolled at import ----

/// A graph attribute `name` of `n` with the given formal input and output names.
onnx::GraphProto& graphAttr(onnx::NodeProto& n, const std::string& name,
                            const std::vector<std::string>& inputs,
                            const std::vector<std::string>& outputs) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::GRAPH);
  onnx::GraphProto* g = a->mutable_g();
  g->set_name(name);
  for (const auto& i : inputs)
    g->add_input()->set_name(i);
  for (const auto& o : outputs)
    g->add_output()->set_name(o);
  return *g;
}

/// Adds a node to subgraph `g`.
onnx::NodeProto& subNode(onnx::GraphProto& g, const std::string& opType,
                         const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs) {
  auto* n = g.add_node();
  n->set_op_type(opType);
  for (const auto& i : inputs)
    n->add_input(i);
  for (const auto& o : outputs)
    n->add_output(o);
  return *n;
}

/// If(Greater(c, 0)) with then = x + x and else = -x.
OnnxBuilder ifModel(bool constantCondition) {
  OnnxBuilder b(13);
  b.input("x", {3});
  b.initializer("zero", {}, {0.0f});
  if (constantCondition)
    b.initializer("c", {}, {1.0f});
  else
    b.input("c", {});
  b.node("Greater", {"c", "zero"}, {"cond"}, "gt");
  auto& n = b.node("If", {"cond"}, {"y"}, "branch");
  subNode(graphAttr(n, "then_branch", {}, {"t"}), "Add", {"x", "x"}, {"t"});
  subNode(graphAttr(n, "else_branch", {}, {"e"}), "Neg", {"x"}, {"e"});
  b.output("y");
  return b;
}

TEST(ImportControlFlow, IfWithConstantConditionImportsOneBranch) {
  IMPORT_OR_FAIL(m, ifModel(true));
  EXPECT_EQ(test::countOps(m, OpKind::Neg), 0);
  EXPECT_EQ(test::countOps(m, OpKind::Where), 0);
  EXPECT_TRUE(allClose(run(m, {{1, -2, 3}}), {2, -4, 6}));
}

TEST(ImportControlFlow, IfWithRuntimeConditionSelectsWithWhere) {
  IMPORT_OR_FAIL(m, ifModel(false));
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK: = where(", "CHECK: : f32[3]"}));
  EXPECT_TRUE(allClose(run(m, {{1, -2, 3}, {1}}), {2, -4, 6}));
  EXPECT_TRUE(allClose(run(m, {{1, -2, 3}, {-1}}), {-1, 2, -3}));
}

TEST(ImportControlFlow, LoopUnrollsSeesOuterValuesAndStacksScanOutputs) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.initializerI64("m", {}, {3});
  auto& n = b.node("Loop", {"m", "", "x"}, {"y", "scan"}, "loop");
  auto& body = graphAttr(n, "body", {"i", "cond_in", "y_in"}, {"cond_out", "y_out", "s"});
  subNode(body, "Identity", {"cond_in"}, {"cond_out"});
  subNode(body, "Add", {"y_in", "x"}, {"y_out"}); // x: the enclosing graph's value
  attrInt(subNode(body, "Cast", {"i"}, {"fi"}), "to", onnx::TensorProto::FLOAT);
  subNode(body, "Mul", {"y_out", "fi"}, {"s"});
  b.output("y");
  b.output("scan");
  IMPORT_OR_FAIL(m, b);
  // y_i = (i + 2) x, s_i = i * y_i.
  EXPECT_TRUE(allClose(run(m, {{1, -2}}, 0), {4, -8}));
  EXPECT_TRUE(allClose(run(m, {{1, -2}}, 1), {0, 0, 3, -6, 8, -16}));
}

// A Loop that runs no iteration: its scan output is an empty stack [0, ...] of the body's
// declared scan output type, its carried value the initial one.
TEST(ImportControlFlow, LoopOfNoIterationGivesAnEmptyScanOutput) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.initializerI64("m", {}, {0});
  auto& n = b.node("Loop", {"m", "", "x"}, {"y", "scan"}, "loop");
  auto& body = graphAttr(n, "body", {"i", "cond_in", "y_in"}, {"cond_out", "y_out", "s"});
  subNode(body, "Identity", {"cond_in"}, {"cond_out"});
  subNode(body, "Add", {"y_in", "x"}, {"y_out"});
  subNode(body, "Neg", {"y_out"}, {"s"});
  b.output("y");
  b.output("scan");
  EXPECT_EQ(importError(b), "error: <file>: node 'loop' (Loop, opset 13): the Loop runs no "
                            "iteration and the body declares no static type for scan output "
                            "'s', so its empty result has no shape");
  auto* t = body.mutable_output(2)->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_value(2);
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[1]->type.shape, (std::vector<int64_t>{0, 2}));
  EXPECT_TRUE(allClose(run(m, {{1, -2}}, 0), {1, -2}));
}

TEST(ImportControlFlow, Scan9InputAndOutputAxesAndDirections) {
  OnnxBuilder b(11);
  b.input("s", {2});
  b.input("x", {2, 3});
  auto& n = b.node("Scan", {"s", "x"}, {"final", "out"}, "scan");
  attrInt(n, "num_scan_inputs", 1);
  attrInts(n, "scan_input_axes", {1});
  attrInts(n, "scan_input_directions", {1});
  attrInts(n, "scan_output_axes", {-1});
  attrInts(n, "scan_output_directions", {1});
  auto& body = graphAttr(n, "body", {"s_in", "e"}, {"s_out", "o"});
  subNode(body, "Add", {"s_in", "e"}, {"s_out"});
  subNode(body, "Mul", {"s_out", "w"}, {"o"});
  onnx::TensorProto* w = body.add_initializer(); // a body initializer, shared by the copies
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->add_float_data(1);
  w->add_float_data(2);
  b.output("final");
  b.output("out");
  IMPORT_OR_FAIL(m, b);
  // Columns taken last to first: s = [3,6], [5,11], [6,15]; outputs prepended along axis 1.
  EXPECT_TRUE(allClose(run(m, {{0, 0}, {1, 2, 3, 4, 5, 6}}, 0), {6, 15}));
  EXPECT_TRUE(allClose(run(m, {{0, 0}, {1, 2, 3, 4, 5, 6}}, 1), {6, 5, 3, 30, 22, 12}));
  int constants = 0;
  for (const auto& v : m.constants)
    constants += v->name == "w";
  EXPECT_EQ(constants, 1);
}

/// Loop(m, cond, x) whose body passes its state through.
OnnxBuilder passThroughLoop(std::vector<std::string> inputs) {
  OnnxBuilder b(13);
  b.input("x", {2});
  auto& n = b.node("Loop", std::move(inputs), {"y"}, "loop");
  auto& body = graphAttr(n, "body", {"i", "cond_in", "y_in"}, {"cond_out", "y_out"});
  subNode(body, "Identity", {"cond_in"}, {"cond_out"});
  subNode(body, "Identity", {"y_in"}, {"y_out"});
  b.output("y");
  return b;
}

/// Dropout-13 with constant ratio and training_mode (a bool initializer).
OnnxBuilder trainingDropout(float ratio) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.initializer("ratio", {}, {ratio});
  onnx::TensorProto* t = b.graph->add_initializer();
  t->set_name("training");
  t->set_data_type(onnx::TensorProto::BOOL);
  t->add_int32_data(1);
  b.node("Dropout", {"x", "ratio", "training"}, {"y", "mask"}, "drop");
  b.output("y");
  b.output("mask");
  return b;
}

// In training with ratio 0 nothing is dropped: the identity and an all-true mask.
TEST(ImportElementwise, TrainingDropoutOfRatioZeroIsTheIdentity) {
  OnnxBuilder b = trainingDropout(0);
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(allClose(run(m, {{1, -2}}, 0), {1, -2}));
}

TEST(ImportErrors, TrainingDropoutDropsAtRandom) {
  OnnxBuilder b = trainingDropout(0.5f);
  EXPECT_EQ(importError(b), "error: <file>: node 'drop' (Dropout, opset 13): training_mode=true "
                            "with ratio 0.5 drops at random: only ratio 0 (nothing dropped) is "
                            "supported");
}

/// `b` with the com.microsoft opset imported.
OnnxBuilder& withMicrosoft(OnnxBuilder& b) {
  auto* o = b.model.add_opset_import();
  o->set_domain("com.microsoft");
  o->set_version(1);
  return b;
}

/// Expects the import of `b` to fail with an error containing `what`.
void expectImportError(const OnnxBuilder& b, const std::string& what) {
  std::string e = importError(b);
  EXPECT_NE(e.find(what), std::string::npos) << e;
}

// The errors of this session's converters: each names the node and op and says what is wrong.
TEST(ImportErrors, ContribRotaryEmbeddingForms) {
  auto rope = [](const std::vector<int64_t>& cache, const char* attr) {
    OnnxBuilder b(17);
    withMicrosoft(b);
    b.input("x", {1, 3, 16});
    b.input("p", {1, 3}, onnx::TensorProto::INT64);
    b.input("c", cache);
    b.input("s", cache);
    auto& n = b.node("RotaryEmbedding", {"x", "p", "c", "s"}, {"y"}, "rope");
    n.set_domain("com.microsoft");
    if (attr)
      attrInt(n, attr, 1);
    b.output("y");
    return b;
  };
  expectImportError(rope({8, 4}, "is_packed_batching"),
                    "node 'rope' (RotaryEmbedding, opset 1): is_packed_batching=1 (packed "
                    "sequences) is not supported");
  expectImportError(rope({8, 4}, "rotary_embedding_dim"),
                    "node 'rope' (RotaryEmbedding, opset 1): rotary_embedding_dim needs num_heads");
  expectImportError(rope({8, 3}, nullptr), "node 'rope' (RotaryEmbedding, opset 1): hidden size 16 "
                                           "is not num_heads=2 heads of 6 elements");
}

TEST(ImportErrors, ContribAttentionForms) {
  {
    OnnxBuilder b(17);
    withMicrosoft(b);
    b.input("x", {1, 2, 4});
    b.input("w", {4, 12});
    b.input("b", {12});
    b.input("m", {1, 1, 2, 2}, onnx::TensorProto::INT32); // Megatron's 4-D mask
    auto& n = b.node("Attention", {"x", "w", "b", "m"}, {"y"}, "att");
    n.set_domain("com.microsoft");
    attrInt(n, "num_heads", 2);
    b.output("y");
    expectImportError(b, "node 'att' (Attention, opset 1): mask [1,1,2,2] is not [1], [2], [1, 2] "
                         "or [1, 2, 2]");
  }
  {
    OnnxBuilder b(17);
    withMicrosoft(b);
    b.input("x", {1, 2, 4});
    b.input("w", {4, 12});
    auto& n = b.node("Attention", {"x", "w"}, {"y"}, "att");
    n.set_domain("com.microsoft");
    attrInt(n, "num_heads", 2);
    attrInt(n, "do_rotary", 1);
    b.output("y");
    expectImportError(b, "node 'att' (Attention, opset 1): do_rotary, past_present_share_buffer "
                         "and past_sequence_length are not supported");
  }
  {
    OnnxBuilder b(17);
    withMicrosoft(b);
    b.input("q", {1, 2, 4});
    auto& n = b.node("MultiHeadAttention", {"q"}, {"y"}, "mha"); // packed QKV form
    n.set_domain("com.microsoft");
    attrInt(n, "num_heads", 2);
    b.output("y");
    expectImportError(b, "node 'mha' (MultiHeadAttention, opset 1): query, key and value must "
                         "each be given as [batch, sequence, hidden]");
  }
  {
    OnnxBuilder b(17);
    withMicrosoft(b);
    b.input("ids", {1, 2}, onnx::TensorProto::INT32);
    b.input("seg", {1, 2}, onnx::TensorProto::INT32);
    b.input("we", {5, 4});
    b.input("pe", {4, 4});
    b.input("g", {4});
    b.input("be", {4});
    auto& n =
        b.node("EmbedLayerNormalization", {"ids", "seg", "we", "pe", "", "g", "be"}, {"y"}, "emb");
    n.set_domain("com.microsoft");
    b.output("y");
    expectImportError(b, "node 'emb' (EmbedLayerNormalization, opset 1): segment_ids and "
                         "segment_embedding must be given together");
  }
}

TEST(ImportErrors, FusedConvActivations) {
  for (auto [act, what] :
       {std::pair<std::string, std::string>{"Swish", "activation 'Swish' is not Relu, Tanh, "
                                                     "Sigmoid, LeakyRelu, Clip or HardSigmoid"},
        {"LeakyRelu", "activation 'LeakyRelu' takes 1 activation_params, got 0"}}) {
    OnnxBuilder b(17);
    withMicrosoft(b);
    b.input("x", {1, 1, 3, 3});
    b.input("w", {1, 1, 1, 1});
    auto& n = b.node("FusedConv", {"x", "w"}, {"y"}, "fc");
    n.set_domain("com.microsoft");
    attrString(n, "activation", act);
    b.output("y");
    expectImportError(b, "node 'fc' (FusedConv, opset 1): " + what);
  }
}

TEST(ImportErrors, RunTimeScalesResize) {
  for (auto [mode, what] : {std::pair<std::string, std::string>{
                                "antialias", "antialias with scales known only at run time is "
                                             "not supported"},
                            {"tf_crop_and_resize", "tf_crop_and_resize with scales known only "
                                                   "at run time is not supported"}}) {
    OnnxBuilder b(19);
    b.input("x", {1, 1, 4, 4});
    b.input("scales", {4});
    b.initializer("roi", {8}, {0, 0, 0, 0, 1, 1, 1, 1});
    auto& n = b.node("Resize", {"x", "roi", "scales"}, {"y"}, "rs");
    attrString(n, "mode", "linear");
    if (mode == "antialias")
      attrInt(n, "antialias", 1);
    else
      attrString(n, "coordinate_transformation_mode", mode);
    b.output("y");
    auto* t = b.graph->mutable_output(0)->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : {1, 1, 8, 8})
      t->mutable_shape()->add_dim()->set_dim_value(d);
    expectImportError(b, "node 'rs' (Resize, opset 19): " + what);
  }
}

TEST(ImportErrors, RunTimeRoiAndSizesResize) {
  struct Case {
    std::string coord, policy;
    bool antialias, roiAtRunTime;
    std::vector<int64_t> declared;
    std::string what;
  };
  for (const Case& k : std::vector<Case>{
           {"tf_crop_and_resize",
            "stretch",
            true,
            true,
            {1, 1, 3, 3},
            "antialias with a roi known only at run time is not supported"},
           {"half_pixel",
            "not_larger",
            true,
            false,
            {1, 1, 3, 3},
            "antialias with sizes known only at run time is not supported (its number of taps "
            "depends on the scale)"},
           {"tf_crop_and_resize",
            "not_smaller",
            false,
            false,
            {1, 1, 3, 3},
            "tf_crop_and_resize with sizes known only at run time is not supported"},
           {"half_pixel",
            "not_larger",
            false,
            false,
            {1, 2, 3, 3},
            "the declared output shape [1,2,3,3] changes axis 1, which is not resized"}}) {
    SCOPED_TRACE(k.what);
    OnnxBuilder b(19);
    b.input("x", {1, 1, 4, 4});
    if (k.roiAtRunTime)
      b.input("roi", {4});
    else
      b.initializer("roi", {4}, {0, 0, 1, 1});
    b.input("sizes", {2}, onnx::TensorProto::INT64);
    auto& n = b.node("Resize", {"x", "roi", "", "sizes"}, {"y"}, "rs");
    attrString(n, "mode", "linear");
    attrString(n, "coordinate_transformation_mode", k.coord);
    attrString(n, "keep_aspect_ratio_policy", k.policy);
    attrInts(n, "axes", {2, 3});
    if (k.antialias)
      attrInt(n, "antialias", 1);
    b.output("y");
    auto* t = b.graph->mutable_output(0)->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : k.declared)
      t->mutable_shape()->add_dim()->set_dim_value(d);
    expectImportError(b, "node 'rs' (Resize, opset 19): " + k.what);
  }
}

TEST(ImportErrors, ShapeOps) {
  {
    OnnxBuilder b(17);
    b.initializerI64("n", {}, {-3});
    b.node("HannWindow", {"n"}, {"y"}, "hann");
    b.output("y");
    expectImportError(b, "node 'hann' (HannWindow, opset 17): size must be a non-negative scalar");
  }
  {
    OnnxBuilder b(18);
    b.input("x", {4, 4});
    b.initializerI64("s", {2}, {2, -1});
    b.node("CenterCropPad", {"x", "s"}, {"y"}, "ccp");
    b.output("y");
    expectImportError(b, "node 'ccp' (CenterCropPad, opset 18): shape entry -1 is negative");
  }
  {
    OnnxBuilder b(20);
    b.input("theta", {1, 3, 3});
    b.initializerI64("size", {4}, {1, 1, 2, 2});
    b.node("AffineGrid", {"theta", "size"}, {"y"}, "ag");
    b.output("y");
    expectImportError(b, "node 'ag' (AffineGrid, opset 20): theta [1,3,3] is not a float "
                         "[N, 2, 3] or [N, 3, 4]");
  }
  {
    OnnxBuilder b(18); // run-time pads and no declared output shape
    b.input("x", {2, 2});
    b.input("pads", {4}, onnx::TensorProto::INT64);
    b.node("Pad", {"x", "pads"}, {"y"}, "pad");
    b.output("y");
    expectImportError(b, "node 'pad' (Pad, opset 18): pads (input 1) must be a constant, or the "
                         "node's output must have a declared static shape");
  }
  {
    OnnxBuilder b(19);
    b.input("x", {2, 0});
    b.initializerI64("pads", {4}, {0, 1, 0, 1});
    attrString(b.node("Pad", {"x", "pads"}, {"y"}, "pad"), "mode", "wrap");
    b.output("y");
    expectImportError(b, "node 'pad' (Pad, opset 19): mode='wrap' cannot pad the empty axis 1");
  }
}

TEST(ImportErrors, LoopWithRuntimeTripCount) {
  OnnxBuilder b = passThroughLoop({"m", "", "x"});
  b.input("m", {}, onnx::TensorProto::INT64);
  EXPECT_EQ(importError(b), "error: <file>: node 'loop' (Loop, opset 13): Loop with a trip count "
                            "known only at run time is not supported");
}

TEST(ImportErrors, LoopUnrollLimit) {
  OnnxBuilder b = passThroughLoop({"m", "", "x"});
  b.initializerI64("m", {}, {1000000});
  EXPECT_EQ(importError(b), "error: <file>: node 'loop' (Loop, opset 13): Loop unrolls to more "
                            "than 10000 iterations of 2 nodes, more than the limit of 20000 "
                            "unrolled nodes");
  // A loop that runs while a condition stays true (no trip count) hits it as it unrolls.
  OnnxBuilder forever = passThroughLoop({"", "cond", "x"});
  forever.initializer("one", {}, {1.0f});
  forever.initializer("zero", {}, {0.0f});
  forever.node("Greater", {"one", "zero"}, {"cond"}, "always"); // folds to a constant true
  forever.graph->mutable_node()->SwapElements(0, 1);            // before the Loop
  EXPECT_EQ(importError(forever), "error: <file>: node 'loop' (Loop, opset 13): Loop unrolls to "
                                  "more than 10000 iterations of 2 nodes, more than the limit of "
                                  "20000 unrolled nodes");
  // Two loops of 6000 iterations each: the second passes the limit for the whole model.
  OnnxBuilder two = passThroughLoop({"m", "", "x"});
  two.initializerI64("m", {}, {6000});
  auto& second = *two.graph->add_node();
  second = two.graph->node(0);
  second.set_name("loop2");
  second.set_output(0, "y2");
  two.output("y2");
  EXPECT_EQ(importError(two), "error: <file>: node 'loop2' (Loop, opset 13): unrolling control "
                              "flow needs more than 20000 subgraph nodes, the limit");
}

TEST(ImportErrors, SubgraphErrorNamesTheInnerNode) {
  OnnxBuilder b = ifModel(false);
  auto* branch = b.graph->mutable_node(1)->mutable_attribute(1)->mutable_g();
  branch->mutable_node(0)->set_op_type("Frobnicate");
  branch->mutable_node(0)->set_name("inner");
  EXPECT_EQ(importError(b), "error: <file>: node 'inner' (Frobnicate, opset 13): unsupported op "
                            "'Frobnicate' at opset 13");
}


// ---- sequences, compile-time lists ----

TEST(ImportSequence, BuildEditAndConsume) {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  b.input("y", {2, 3});
  b.initializerI64("back1", {}, {-1});
  b.initializerI64("two", {}, {2});
  b.node("Neg", {"x"}, {"nx"});
  b.node("SequenceConstruct", {"x", "y"}, {"s1"});
  b.node("SequenceInsert", {"s1", "nx", "back1"}, {"s2"}); // [x, -x, y]
  b.node("SequenceErase", {"s2"}, {"s3"});                 // [x, -x]
  attrInt(b.node("ConcatFromSequence", {"s3"}, {"cat"}), "axis", 0);
  auto& stackNode = b.node("ConcatFromSequence", {"s2"}, {"stacked"});
  attrInt(stackNode, "axis", -1);
  attrInt(stackNode, "new_axis", 1);
  b.node("SequenceLength", {"s2"}, {"len"});
  auto& split = b.node("SplitToSequence", {"x"}, {"cols"});
  attrInt(split, "axis", 1);
  attrInt(split, "keepdims", 0);
  b.node("SequenceAt", {"cols", "two"}, {"col2"});
  for (const char* out : {"cat", "stacked", "len", "col2"})
    b.output(out);
  IMPORT_OR_FAIL(m, b);
  std::vector<float> x{1, 2, 3, 4, 5, 6}, y{7, 8, 9, 10, 11, 12};
  EXPECT_TRUE(allClose(run(m, {x, y}, 0), {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6}));
  EXPECT_TRUE(allClose(run(m, {x, y}, 1), {1, -1, 7, 2, -2, 8, 3, -3, 9, 4, -4, 10, 5, -5, 11,
                                           6, -6, 12}));
  ASSERT_TRUE(m.outputs[2]->type == (TensorType{DType::i64, {}}));
  EXPECT_TRUE(allClose(run(m, {x, y}, 3), {3, 6}));
}

TEST(ImportErrors, SequenceGraphOutput) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.node("SequenceConstruct", {"x"}, {"s"}, "seq");
  b.output("s");
  EXPECT_EQ(importError(b),
            "error: <file>: graph output 's' is a sequence (sequence outputs are not supported)");
}

TEST(ImportErrors, SequenceAtOutOfRange) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.initializerI64("p", {}, {1});
  b.node("SequenceConstruct", {"x"}, {"s"}, "seq");
  b.node("SequenceAt", {"s", "p"}, {"y"}, "at");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'at' (SequenceAt, opset 13): position 1 is out of "
                            "range [-1, 0] for a sequence of length 1");
}


TEST(ImportCheck, SubgraphReadingAFailedValueIsNotASecondError) {
  OnnxBuilder b(13);
  b.input("x", {3});
  b.input("c", {});
  b.initializer("zero", {}, {0.0f});
  b.node("FooA", {"x"}, {"a"}, "first");
  b.node("Greater", {"c", "zero"}, {"cond"}, "gt");
  auto& n = b.node("If", {"cond"}, {"y"}, "branch");
  subNode(graphAttr(n, "then_branch", {}, {"t"}), "Relu", {"a"}, {"t"}); // reads the failed 'a'
  subNode(graphAttr(n, "else_branch", {}, {"e"}), "Neg", {"x"}, {"e"});
  b.output("y");
  std::string path = b.write(test::testDir());
  std::vector<Status> errors = checkOnnx(path, options());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].format(),
            "error: " + path + ": node 'first' (FooA, opset 13): unsupported op 'FooA' at opset 13");
}


TEST(ImportSequence, LoopCarriesASequenceAndIfSelectsOne) {
  // The SequenceMap expansion: a Loop over the elements of a sequence builds a new one.
  OnnxBuilder b(17);
  b.input("x", {2});
  b.input("y", {2});
  b.input("c", {});
  b.initializer("zero", {}, {0.0f});
  b.node("SequenceConstruct", {"x", "y"}, {"in"});
  b.node("SequenceLength", {"in"}, {"n"});
  b.node("SequenceEmpty", {}, {"empty"});
  auto& loop = b.node("Loop", {"n", "", "empty"}, {"out"}, "map");
  auto& body = graphAttr(loop, "body", {"i", "cond_in", "acc"}, {"cond_out", "acc_out"});
  subNode(body, "Identity", {"cond_in"}, {"cond_out"});
  subNode(body, "SequenceAt", {"in", "i"}, {"item"});
  subNode(body, "Mul", {"item", "item"}, {"sq"});
  subNode(body, "SequenceInsert", {"acc", "sq"}, {"acc_out"});
  b.node("Greater", {"c", "zero"}, {"cond"});
  auto& branch = b.node("If", {"cond"}, {"chosen"}, "pick");
  subNode(graphAttr(branch, "then_branch", {}, {"t"}), "Identity", {"out"}, {"t"});
  subNode(graphAttr(branch, "else_branch", {}, {"e"}), "SequenceConstruct", {"y", "x"}, {"e"});
  attrInt(b.node("ConcatFromSequence", {"chosen"}, {"cat"}), "axis", 0);
  b.output("cat");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(allClose(run(m, {{1, -2}, {3, 4}, {1}}), {1, 4, 9, 16}));
  EXPECT_TRUE(allClose(run(m, {{1, -2}, {3, 4}, {-1}}), {3, 4, 1, -2}));
}


/// Loop(6, cond, k=0, acc=x): k += 1, acc += x while k < limit (limit: a run-time input).
OnnxBuilder whileLoop(bool runtimeInitialCondition) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.input("limit", {});
  b.input("c", {});
  b.initializer("zero", {}, {0.0f});
  b.initializer("one", {}, {1.0f});
  b.initializerI64("m", {}, {6});
  b.node("Greater", {"c", "zero"}, {"cond"});
  auto& n = b.node("Loop", {"m", runtimeInitialCondition ? "cond" : "", "zero", "x"}, {"k", "acc"},
                   "loop");
  auto& body = graphAttr(n, "body", {"i", "cond_in", "k_in", "acc_in"},
                         {"cond_out", "k_out", "acc_out"});
  subNode(body, "Add", {"k_in", "one"}, {"k_out"});
  subNode(body, "Add", {"acc_in", "x"}, {"acc_out"});
  subNode(body, "Less", {"k_out", "limit"}, {"cond_out"});
  b.output("k");
  b.output("acc");
  return b;
}

TEST(ImportControlFlow, LoopWithRuntimeConditionKeepsTheStateOfTheIterationsThatRun) {
  IMPORT_OR_FAIL(m, whileLoop(true));
  EXPECT_TRUE(fileCheck(test::printed(m), {"CHECK: = where(", "CHECK: = and("}));
  EXPECT_TRUE(allClose(run(m, {{1, -2}, {3}, {1}}, 1), {4, -8}));   // 3 iterations
  EXPECT_TRUE(allClose(run(m, {{1, -2}, {3}, {1}}, 0), {3}));
  EXPECT_TRUE(allClose(run(m, {{1, -2}, {3}, {-1}}, 1), {1, -2}));  // none: cond is false
  EXPECT_TRUE(allClose(run(m, {{1, -2}, {100}, {1}}, 1), {7, -14})); // the trip count, 6
  IMPORT_OR_FAIL(m2, whileLoop(false));                               // no cond input: runs once
  EXPECT_TRUE(allClose(run(m2, {{1, -2}, {0.5f}, {-1}}, 1), {2, -4}));
  EXPECT_TRUE(allClose(run(m2, {{1, -2}, {3}, {-1}}, 1), {4, -8}));
}


TEST(ImportSequence, SequenceMapOverASequenceAndATensor) {
  OnnxBuilder b(17);
  b.input("x", {2});
  b.input("y", {2});
  b.node("SequenceConstruct", {"x", "y"}, {"s"});
  auto& n = b.node("SequenceMap", {"s", "x"}, {"mapped"}, "map");
  subNode(graphAttr(n, "body", {"e", "t"}, {"o"}), "Mul", {"e", "t"}, {"o"});
  attrInt(b.node("ConcatFromSequence", {"mapped"}, {"cat"}), "axis", 0);
  b.output("cat");
  IMPORT_OR_FAIL(m, b);
  EXPECT_TRUE(allClose(run(m, {{1, -2}, {3, 4}}), {1, 4, 3, -8}));
}


TEST(ImportControlFlow, WhileLoopEndsWhenItsConditionFoldsToFalse) {
  // torch's while-loop export: M = INT64_MAX and a condition the body computes from constants.
  OnnxBuilder b(13);
  b.input("x", {2});
  b.initializer("zero", {}, {0.0f});
  b.initializer("one", {}, {1.0f});
  b.initializer("three", {}, {3.0f});
  b.initializerI64("m", {}, {INT64_MAX});
  auto& n = b.node("Loop", {"m", "", "zero", "x"}, {"k", "acc"}, "loop");
  auto& body = graphAttr(n, "body", {"i", "cond_in", "k_in", "acc_in"},
                         {"cond_out", "k_out", "acc_out"});
  subNode(body, "Add", {"k_in", "one"}, {"k_out"});
  subNode(body, "Add", {"acc_in", "x"}, {"acc_out"});
  subNode(body, "Less", {"k_out", "three"}, {"cond_out"});
  b.output("acc");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(test::countOps(m, OpKind::Add), 3);
  EXPECT_TRUE(allClose(run(m, {{1, -2}}), {4, -8}));
}

TEST(ImportErrors, Col2ImForms) {
  // x [1, C * prod(block), L] with image_shape and block_shape as initializers (or, when
  // `runtime`, as graph inputs, whose values the output's undeclared shape cannot give).
  auto col2im = [](std::vector<int64_t> x, std::vector<int64_t> block, bool runtime) {
    OnnxBuilder b(18);
    b.input("x", x);
    if (runtime) {
      b.input("image", {2}, onnx::TensorProto::INT64);
      b.input("block", {2}, onnx::TensorProto::INT64);
    } else {
      b.initializerI64("image", {2}, {5, 5});
      b.initializerI64("block", {2}, block);
    }
    b.node("Col2Im", {"x", "image", "block"}, {"y"}, "fold");
    b.output("y");
    return b;
  };
  expectImportError(col2im({1, 5, 5}, {2, 2}, false),
                    "node 'fold' (Col2Im, opset 18): block_shape [2,2] must have one entry per "
                    "image axis and its elements divide the input's 5 channels");
  expectImportError(col2im({1, 5, 7}, {1, 5}, false),
                    "node 'fold' (Col2Im, opset 18): input [1,5,7] must be [1, 1 * 5, 5] for the "
                    "result [1,1,5,5]");
  expectImportError(col2im({1, 5, 5}, {1, 5}, true),
                    "node 'fold' (Col2Im, opset 18): image_shape (input 1) must be a constant, or "
                    "the node's output must have a declared static shape (it is known only at run "
                    "time)");
  // Run-time shapes with a declared output: the block shapes that fit the input are searched
  // (divisors of 2^20 channels, huge pads and strides: bounded, one error line).
  auto declared = [&](std::vector<int64_t> x, std::vector<int64_t> y, int64_t pad) {
    OnnxBuilder b = col2im(x, {}, true);
    attrInts(*b.graph->mutable_node(0), "pads", {pad, pad, pad, pad});
    attrInts(*b.graph->mutable_node(0), "strides", {2147483647, 2147483647});
    auto* t = b.graph->mutable_output(0)->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : y)
      t->mutable_shape()->add_dim()->set_dim_value(d);
    return b;
  };
  expectImportError(declared({1, 1 << 20, 1}, {1, 1, 1, 1}, int64_t{1} << 30),
                    "node 'fold' (Col2Im, opset 18): block_shape (input 2) is known only at run "
                    "time and too many block shapes fit input [1,1048576,1] for the declared "
                    "output [1,1,1,1]");
  expectImportError(declared({1, 7, 4}, {1, 1, 5, 5}, 0),
                    "node 'fold' (Col2Im, opset 18): block_shape (input 2) is known only at run "
                    "time and no block shapes fit input [1,7,4] for the declared output "
                    "[1,1,5,5]");
}

// Found by fuzz_onnx_import (tests/fuzz/crashes/onnx_import/crash-9b0ef2e5...): weights of rank 1
// made the importer build a vector past their end (std::length_error).
TEST(ImportErrors, ConvWeightsOfAnotherRank) {
  for (const std::vector<int64_t>& w : {std::vector<int64_t>{8}, std::vector<int64_t>{8, 3, 3}}) {
    OnnxBuilder b(17);
    b.input("x", {1, 3, 8, 8});
    b.input("w", w);
    b.node("Conv", {"x", "w"}, {"y"}, "conv");
    b.output("y");
    expectImportError(b, fmt::format("node 'conv' (Conv, opset 17): weights W {} must be [M, "
                                     "C/group, k...] of the rank of input X [1,3,8,8]",
                                     shapeString(w)));
  }
}

} // namespace
} // namespace dnncc
