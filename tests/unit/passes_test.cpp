// Tests of the passes, one group per pass, on small modules built in C++: what the rewrite does
// (FileCheck-style checks of the printed IR) and that the numbers before and after agree.
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ir/SmallTypes.h"
#include "ir/Text.h"
#include "test_util.h"

namespace dnncc {
namespace {
using test::fileCheck;
using test::floatBytes;

/// A copy of `m` through the textual form.
std::unique_ptr<Module> clone(const Module& m) {
  auto c = parseModule(print(m, {.elideConstants = false}));
  EXPECT_TRUE(c) << c.status().format();
  return c ? std::move(*c) : std::make_unique<Module>();
}

/// Builds modules with seeded random f32 constants; every append must succeed.
struct Builder {
  Module m;
  std::mt19937 rng{7};
  Value* input(std::vector<int64_t> shape, const std::string& name = "x") {
    return m.addInput(TensorType{DType::f32, std::move(shape)}, name);
  }
  Value* constant(std::vector<int64_t> shape, float lo = -1, float hi = 1) {
    TensorType t{DType::f32, std::move(shape)};
    std::vector<float> v(t.numElements());
    for (float& f : v)
      f = std::uniform_real_distribution<float>(lo, hi)(rng);
    return m.addConstant(t, floatBytes(v));
  }
  Value* op(OpKind kind, std::vector<Value*> operands, Attrs attrs = NoAttrs{},
            std::vector<int64_t> resultShape = {}) {
    TensorType t{DType::f32, resultShape};
    auto r = m.appendOp(kind, std::move(operands), std::move(attrs), "",
                        resultShape.empty() ? nullptr : &t);
    EXPECT_TRUE(r) << r.status().format();
    return r ? *r : nullptr;
  }
  Value* conv(Value* x, int64_t oc, bool bias = true) {
    Value* w = constant({oc, x->type.shape[1], 3, 3});
    std::vector<Value*> operands{x, w};
    if (bias)
      operands.push_back(constant({oc}));
    return op(OpKind::Conv, operands, ConvAttrs{{1, 1}, {1, 1, 1, 1}, {1, 1}, 1});
  }
  Value* batchNorm(Value* x) {
    int64_t c = x->type.shape[1];
    return op(OpKind::BatchNorm,
              {x, constant({c}), constant({c}), constant({c}), constant({c}, 0.5f, 2.0f)},
              BatchNormAttrs{1e-3});
  }
  void output(Value* v, const std::string& name) {
    v->name = name;
    m.outputs.push_back(v);
  }
};

// ---- fold-batch-norm ----

TEST(FoldBatchNorm, ConvBatchNormFolds) {
  Builder b;
  Value* y = b.batchNorm(b.conv(b.input({1, 2, 5, 5}), 3));
  b.output(b.op(OpKind::Relu, {y}), "y");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "fold-batch-norm"));
  EXPECT_TRUE(fileCheck(test::printed(b.m), {"CHECK-NOT: batch_norm", "CHECK: = conv(",
                                             "CHECK: = relu(", "CHECK-NOT: batch_norm"}));
  EXPECT_EQ(test::findOp(b.m, OpKind::Conv)->operands.size(), 3u);
  EXPECT_TRUE(test::sameNumbers(*before, b.m));
}

TEST(FoldBatchNorm, ConvWithoutBiasGetsOne) {
  Builder b;
  b.output(b.op(OpKind::Relu, {b.batchNorm(b.conv(b.input({1, 2, 4, 4}), 2, false))}), "y");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "fold-batch-norm"));
  EXPECT_EQ(test::countOps(b.m, OpKind::BatchNorm), 0);
  EXPECT_EQ(test::findOp(b.m, OpKind::Conv)->operands.size(), 3u);
  EXPECT_TRUE(test::sameNumbers(*before, b.m));
}

class FoldBatchNormGemm : public ::testing::TestWithParam<bool> {};

TEST_P(FoldBatchNormGemm, Folds) {
  bool transB = GetParam();
  Builder b;
  Value* a = b.input({3, 5});
  Value* B = b.constant(transB ? std::vector<int64_t>{4, 5} : std::vector<int64_t>{5, 4});
  Value* g = b.op(OpKind::Gemm, {a, B, b.constant({4})}, GemmAttrs{false, transB, 0.5, 2.0});
  b.output(b.op(OpKind::Relu, {b.batchNorm(g)}), "y");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "fold-batch-norm"));
  EXPECT_TRUE(fileCheck(test::printed(b.m), {"CHECK-NOT: batch_norm", "CHECK: = gemm(",
                                             "CHECK: beta=1} : f32[3,4]", "CHECK: = relu("}));
  EXPECT_TRUE(test::sameNumbers(*before, b.m));
}

INSTANTIATE_TEST_SUITE_P(TransB, FoldBatchNormGemm, ::testing::Bool());

TEST(FoldBatchNorm, NotFoldedWhenTheConvResultHasASecondUse) {
  Builder b;
  Value* c = b.conv(b.input({1, 2, 4, 4}), 2);
  b.output(b.batchNorm(c), "bn");
  b.output(b.op(OpKind::Relu, {c}), "r");
  std::string text = test::printed(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "fold-batch-norm"));
  EXPECT_EQ(test::printed(b.m), text);
}

TEST(FoldBatchNorm, KeepsTheOutputNameOfAFoldedBatchNorm) {
  Builder b;
  b.output(b.batchNorm(b.conv(b.input({1, 2, 4, 4}), 2)), "features");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "fold-batch-norm"));
  EXPECT_EQ(test::countOps(b.m, OpKind::BatchNorm), 0);
  ASSERT_EQ(b.m.outputs.size(), 1u);
  EXPECT_EQ(b.m.outputs[0]->name, "features");
  EXPECT_TRUE(test::sameNumbers(*before, b.m));
}

// ---- fold-constants and dce ----

TEST(FoldConstants, FoldsConstantSubexpressions) {
  Builder b;
  Value* x = b.input({3});
  Value* k = b.op(OpKind::Add, {b.constant({3}), b.constant({3})});
  Value* k2 = b.op(OpKind::Exp, {k});
  b.output(b.op(OpKind::Mul, {x, k2}), "y");
  b.output(b.op(OpKind::Neg, {k}), "constant_output"); // outputs keep their op
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "fold-constants"));
  EXPECT_TRUE(fileCheck(test::printed(b.m), {"CHECK-NOT: = add(", "CHECK-NOT: = exp(",
                                             "CHECK: = mul(%0, @", "CHECK: = neg(@"}));
  EXPECT_EQ(b.m.ops.size(), 2u);
  EXPECT_TRUE(test::sameNumbers(*before, b.m));
}

// ---- elide-empty ----

TEST(ElideEmpty, EmptyResultsBecomeConstantsAndConcatsDropThem) {
  Builder b;
  Value* x = b.input({2, 3});
  Value* empty = b.op(OpKind::Slice, {x}, SliceAttrs{{0, 3}, {1, 1}}, {2, 0}); // x[:, 3:]
  Value* e2 = b.op(OpKind::Exp, {empty});
  b.output(b.op(OpKind::Concat, {e2, x, empty}, AxisAttrs{1}), "y");
  b.output(b.op(OpKind::Neg, {empty}), "empty_output"); // outputs keep their op
  // Summing over an empty axis gives zeros: a non-empty result from an empty operand.
  b.output(b.op(OpKind::ReduceSum, {empty}, ReduceAttrs{{1}, true}), "sums");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "elide-empty"));
  EXPECT_TRUE(fileCheck(test::printed(b.m),
                        {"CHECK-NOT: slice(", "CHECK-NOT: exp(", "CHECK: = concat(%0) {axis=1}",
                         "CHECK: = neg(@", "CHECK: = reduce_sum(@"}));
  EXPECT_EQ(b.m.ops.size(), 3u);
  EXPECT_TRUE(test::sameNumbers(*before, b.m));
}

TEST(DeadCodeElim, RemovesUnusedOpsAndConstants) {
  Builder b;
  Value* x = b.input({3});
  Value* unused = b.constant({3});
  b.op(OpKind::Exp, {b.op(OpKind::Add, {x, unused})}); // dead chain
  b.output(b.op(OpKind::Neg, {x}), "y");
  ASSERT_TRUE(test::runPasses(b.m, "dce"));
  EXPECT_TRUE(fileCheck(test::printed(b.m), {"CHECK-NOT: const", "CHECK-NOT: add(",
                                             "CHECK-NOT: exp(", "CHECK: = neg(%0)"}));
  EXPECT_EQ(b.m.ops.size(), 1u);
}

// ---- convert-to-fp16 ----

/// The value of IEEE binary16 bits `h` (not NaN).
double halfValue(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0    ? std::ldexp(m, -24)
             : e == 31 ? std::numeric_limits<double>::infinity()
                       : std::ldexp(1024 + m, e - 25);
  return (h & 0x8000) ? -v : v;
}

TEST(ConvertToFp16, FloatToHalfBitsIsExactAndRoundsTiesToEven) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF))
      continue; // NaN
    float f = static_cast<float>(halfValue(static_cast<uint16_t>(h)));
    ASSERT_EQ(doubleToHalfBits(f, false), h) << f;
    // The midpoint to the next larger magnitude (exact in f32) rounds to the even neighbour.
    if ((h & 0x7FFF) < 0x7BFF) {
      float mid = static_cast<float>(
          (halfValue(static_cast<uint16_t>(h)) + halfValue(static_cast<uint16_t>(h + 1))) / 2);
      EXPECT_EQ(doubleToHalfBits(mid, false), (h & 1) ? h + 1 : h) << mid;
    }
  }
  EXPECT_EQ(doubleToHalfBits(std::nanf(""), false) & 0x7E00, 0x7E00);
  EXPECT_EQ(doubleToHalfBits(65519.99f, false), 0x7BFF);
  EXPECT_EQ(doubleToHalfBits(65520.0f, false), 0x7C00);
  EXPECT_EQ(doubleToHalfBits(-1e30f, false), 0xFC00);
}

TEST(ConvertToFp16, DoesNothingAtFp32) {
  Builder b;
  b.output(b.op(OpKind::Relu, {b.conv(b.input({1, 2, 4, 4}), 3)}), "y");
  std::string before = test::printed(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "convert-to-fp16"));
  EXPECT_EQ(test::printed(b.m), before);
}

TEST(ConvertToFp16, ConvNetComputesInF16WithF32InterfaceAndCloseNumbers) {
  Builder b;
  Value* y = b.op(OpKind::Relu, {b.conv(b.input({1, 2, 6, 6}), 4)});
  b.output(b.op(OpKind::GlobalAvgPool, {b.conv(y, 3)}), "y");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "convert-to-fp16", Precision::fp16));
  EXPECT_TRUE(fileCheck(test::printed(b.m),
                        {"CHECK: input %0 \"x\" : f32[1,2,6,6]", "CHECK-NOT: : f32[4,2,3,3]",
                         "CHECK: = cast(%0) {to=f16", "CHECK: = conv(", "CHECK: : f16[1,4,6,6]",
                         "CHECK: = global_avg_pool(", "CHECK: = cast(", "CHECK: : f32[1,3,1,1]",
                         "CHECK: output"}));
  for (const Value* c : b.m.constants)
    EXPECT_EQ(c->type.dtype, DType::f16);
  for (uint32_t seed : {1u, 2u})
    EXPECT_TRUE(test::sameNumbers(*before, b.m, seed, 1e-2, 1e-2)) << "seed " << seed;
}

TEST(ConvertToFp16, BitcastKeepsItsF32BitsAndIsCastAfter) {
  Builder b;
  Value* n = b.m.addInput(TensorType{DType::i32, {3}}, "n");
  CastAttrs toF32;
  toF32.to = DType::f32;
  Value* f = b.op(OpKind::BitCast, {n}, toF32);
  b.output(b.op(OpKind::Add, {f, b.constant({3})}), "y");
  ASSERT_TRUE(test::runPasses(b.m, "convert-to-fp16", Precision::fp16));
  EXPECT_TRUE(fileCheck(test::printed(b.m),
                        {"CHECK: = bitcast(%0) {to=f32", "CHECK: : f32[3]", "CHECK: = cast(%",
                         "CHECK: : f16[3]", "CHECK: = add(", "CHECK: : f16[3]",
                         "CHECK: {to=f32", "CHECK: output"}));
}

// ---- fuse-elementwise ----

TEST(FuseElementwise, ConvAddResidualReluIsOneGroup) {
  Builder b;
  Value* x = b.input({1, 2, 4, 4});
  Value* c = b.conv(x, 2);
  Value* a = b.op(OpKind::Add, {c, x});
  b.output(b.op(OpKind::Relu, {a}), "y");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise"));
  EXPECT_TRUE(fileCheck(test::printed(b.m), {"CHECK: = conv(", "CHECK: #g0", "CHECK: = add(",
                                             "CHECK: #g0", "CHECK: = relu(", "CHECK: #g0"}));
  for (const auto& op : b.m.ops)
    EXPECT_EQ(op->group, 0) << printOp(*op);
}

TEST(FuseElementwise, DiamondOfElementwiseUsesFusesIntoOneKernel) {
  // x * sigmoid(x) style: the conv result has two uses, both element-wise, joined again by add.
  Builder b;
  Value* c = b.conv(b.input({1, 2, 4, 4}), 2);
  Value* r = b.op(OpKind::Relu, {c});
  Value* s = b.op(OpKind::Sigmoid, {c});
  b.output(b.op(OpKind::Add, {r, s}), "y");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise"));
  const Op* conv = test::findOp(b.m, OpKind::Conv);
  for (OpKind k : {OpKind::Relu, OpKind::Sigmoid, OpKind::Add})
    EXPECT_EQ(test::findOp(b.m, k)->group, conv->group) << opName(k);
}

/// x * s with a per-channel s, as a squeeze-excitation block scales its input.
Value* channelScale(Builder& b, Value* x) {
  Value* s = b.op(OpKind::Sigmoid, {b.op(OpKind::GlobalAvgPool, {x})});
  return b.op(OpKind::Mul, {x, s});
}

TEST(FuseElementwise, PointwiseConvTakesItsElementwiseInputIntoItsKernel) {
  Builder b;
  Value* x = b.op(OpKind::Relu, {b.input({1, 4, 4, 4})});
  Value* scaled = channelScale(b, x);
  Value* w = b.constant({8, 4, 1, 1});
  Value* y = b.op(OpKind::Conv, {scaled, w}, ConvAttrs{{1, 1}, {0, 0, 0, 0}, {1, 1}, 1});
  b.output(b.op(OpKind::Relu, {y}), "y");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise,plan-memory"));
  // mul, conv and the relu after it: one kernel; the scaled input needs no memory.
  EXPECT_EQ(y->producer->group, scaled->producer->group);
  EXPECT_EQ(test::findOp(b.m, OpKind::Conv)->group, b.m.outputs[0]->producer->group);
  EXPECT_EQ(b.m.plan->byValue[scaled->id].storage, Storage::none);
}

TEST(FuseElementwise, PointwiseConvDoesNotTakeAChainOfElementwiseOps) {
  // relu(a + b): the conv's schedule would compute the chain again for every block of output
  // channels (an int8 residual sum, dequantize + add + quantize, before an expansion conv).
  Builder b;
  Value* sum = b.op(OpKind::Add, {b.input({1, 4, 4, 4}), b.input({1, 4, 4, 4})});
  Value* act = b.op(OpKind::Relu, {sum});
  Value* y = b.op(OpKind::Conv, {act, b.constant({64, 4, 1, 1})},
                  ConvAttrs{{1, 1}, {0, 0, 0, 0}, {1, 1}, 1});
  b.output(y, "y");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise"));
  EXPECT_EQ(act->producer->group, sum->producer->group);
  EXPECT_NE(y->producer->group, act->producer->group);
}

TEST(FuseElementwise, OnlyPointwiseConvsTakeAnInputProducerThatNothingElseReads) {
  for (int kernel : {1, 3})
    for (bool sharedInput : {false, true}) {
      SCOPED_TRACE(
          fmt::format("{}x{} conv, input read elsewhere too: {}", kernel, kernel, sharedInput));
      Builder b;
      Value* scaled = channelScale(b, b.op(OpKind::Relu, {b.input({1, 4, 4, 4})}));
      Value* w = b.constant({8, 4, kernel, kernel});
      int64_t pad = kernel / 2;
      Value* y =
          b.op(OpKind::Conv, {scaled, w}, ConvAttrs{{1, 1}, {pad, pad, pad, pad}, {1, 1}, 1});
      b.output(y, "y");
      if (sharedInput)
        b.output(b.op(OpKind::GlobalMaxPool, {scaled}), "z");
      ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise"));
      EXPECT_EQ(y->producer->group == scaled->producer->group, kernel == 1 && !sharedInput);
    }
}

TEST(FuseElementwise, WhereByAScalarConditionIsAKernelOfItsOwnOnGpuTargets) {
  // where(c, concat(a, b), d) with a one-element c: on a GPU, Halide would guard the concat's
  // stage by c on the host, which has no copy of the device buffer c.
  for (bool gpu : {false, true}) {
    SCOPED_TRACE(fmt::format("gpu: {}", gpu));
    Builder b;
    Value* cat = b.op(OpKind::Concat, {b.input({1, 2, 4, 4}), b.input({1, 2, 4, 4})}, AxisAttrs{1});
    Value* c = b.op(OpKind::Less, {b.input({}, "s"), b.constant({})});
    Value* y = b.op(OpKind::Where, {c, cat, b.input({1, 4, 4, 4})});
    b.output(b.op(OpKind::Relu, {y}), "y");
    PassContext ctx;
    ctx.gpu = gpu;
    ASSERT_TRUE(FuseElementwise().run(b.m, ctx));
    EXPECT_EQ(y->producer->group == cat->producer->group, !gpu);
    EXPECT_EQ(b.m.outputs[0]->producer->group, y->producer->group) << "the relu follows the where";
  }
}

TEST(FuseElementwise, DepthwiseConvJoinsTheExpansionKernelOnCpuTargetsOnly) {
  for (bool gpu : {false, true})
    for (bool sharedExpansion : {false, true}) {
      SCOPED_TRACE(fmt::format("gpu: {}, expansion read elsewhere too: {}", gpu, sharedExpansion));
      Builder b;
      Value* pointwise = b.op(OpKind::Conv, {b.input({1, 2, 6, 6}), b.constant({8, 2, 1, 1})},
                              ConvAttrs{{1, 1}, {0, 0, 0, 0}, {1, 1}, 1});
      Value* expanded = b.op(OpKind::Clip, {pointwise}, ClipAttrs{0, 6});
      Value* w = b.constant({8, 1, 3, 3});
      Value* dw = b.op(OpKind::Conv, {expanded, w}, ConvAttrs{{1, 1}, {1, 1, 1, 1}, {1, 1}, 8});
      Value* y = b.op(OpKind::Clip, {dw}, ClipAttrs{0, 6});
      b.output(b.conv(y, 2), "y");
      if (sharedExpansion)
        b.output(b.op(OpKind::GlobalMaxPool, {expanded}), "z");
      PassContext ctx;
      ctx.gpu = gpu;
      ASSERT_TRUE(FuseElementwise().run(b.m, ctx));
      const Op* expand = test::findOp(b.m, OpKind::Conv);
      bool joined = dw->producer->group == expand->group;
      EXPECT_EQ(joined, !gpu && !sharedExpansion);
      EXPECT_EQ(y->producer->group, dw->producer->group) << "the clip follows the depthwise conv";
      // The projection conv after it starts a kernel of its own either way.
      EXPECT_NE(b.m.outputs[0]->producer->group, dw->producer->group);
    }
}

TEST(FuseElementwise, OperandAlsoReadByANonElementwiseOpIsNotFused) {
  Builder b;
  Value* c = b.conv(b.input({1, 2, 4, 4}), 2);
  b.output(b.op(OpKind::Relu, {c}), "y");
  b.output(b.op(OpKind::GlobalAvgPool, {c}), "pooled");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise"));
  EXPECT_NE(test::findOp(b.m, OpKind::Relu)->group, test::findOp(b.m, OpKind::Conv)->group);
}

TEST(FuseElementwise, IntermediateNeededOutsideTheKernelIsNotFusedThrough) {
  // relu(c) is read by sigmoid (element-wise, same shape) and by a pool: fusing sigmoid into the
  // conv kernel through relu would make relu's result escape the kernel, so it must not happen.
  Builder b;
  Value* c = b.conv(b.input({1, 2, 4, 4}), 2);
  Value* r = b.op(OpKind::Relu, {c});
  Value* s = b.op(OpKind::Sigmoid, {r});
  b.output(b.op(OpKind::Mul, {r, s}), "y");
  b.output(b.op(OpKind::GlobalAvgPool, {r}), "pooled");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise"));
  const Op* relu = test::findOp(b.m, OpKind::Relu);
  EXPECT_EQ(relu->group, test::findOp(b.m, OpKind::Conv)->group);
  EXPECT_NE(test::findOp(b.m, OpKind::Sigmoid)->group, relu->group);
  EXPECT_NE(test::findOp(b.m, OpKind::Mul)->group, relu->group);
}

TEST(FuseElementwise, OutputIsNotFusedAway) {
  Builder b;
  Value* c = b.conv(b.input({1, 2, 4, 4}), 2);
  b.output(c, "features");
  b.output(b.op(OpKind::Relu, {c}), "y");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise"));
  EXPECT_NE(test::findOp(b.m, OpKind::Relu)->group, test::findOp(b.m, OpKind::Conv)->group);
}

TEST(FuseElementwise, BroadcastingToALargerShapeIsNotFused) {
  Builder b;
  Value* g = b.op(OpKind::GlobalAvgPool, {b.input({1, 2, 4, 4})}); // [1,2,1,1]
  b.output(b.op(OpKind::Add, {g, b.input({1, 2, 4, 4}, "z")}), "y");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise"));
  EXPECT_NE(test::findOp(b.m, OpKind::Add)->group, test::findOp(b.m, OpKind::GlobalAvgPool)->group);
}

// ---- choose-layouts ----

TEST(ChooseLayouts, ConvActivationsNhwcWeightsHwioOutputsAndReshapeOperandsRowMajor) {
  Builder b;
  Value* x = b.input({1, 2, 4, 4});
  Value* c = b.conv(x, 3);
  Value* r = b.op(OpKind::Relu, {c});
  Value* p = b.op(OpKind::MaxPool, {r}, PoolAttrs{{2, 2}, {2, 2}, {0, 0, 0, 0}, {1, 1}});
  Value* flat = b.op(OpKind::Reshape, {p}, NoAttrs{}, {1, 12});
  Value* g = b.op(OpKind::Gemm, {flat, b.constant({5, 12})}, GemmAttrs{false, true, 1, 1});
  b.output(g, "logits");
  b.output(b.op(OpKind::Sigmoid, {r}), "activation"); // rank 4 but a model output
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "choose-layouts"));
  EXPECT_TRUE(fileCheck(test::printed(b.m),
                        {"CHECK: f32[3,2,3,3]{hwio}", "CHECK: f32[5,12]{hwio}", "CHECK: = conv(",
                         "CHECK: : f32[1,3,4,4]{nhwc}", "CHECK: = relu(",
                         "CHECK: : f32[1,3,4,4]{nhwc}", "CHECK: = max_pool(",
                         "CHECK: : f32[1,3,2,2]\n", "CHECK: = reshape(", "CHECK: = gemm(",
                         "CHECK: : f32[1,5]\n", "CHECK: = sigmoid(", "CHECK: : f32[1,3,4,4]\n"}));
  EXPECT_EQ(x->type.layout, Layout::rowMajor) << "inputs keep the caller's layout";
  EXPECT_TRUE(test::sameNumbers(*before, b.m));
}

// A conv kernel whose result is a model output (conv + relu) or a reshape's operand (a
// detector's head) still writes NHWC, which its tiled schedule needs; an identity kernel of its
// own converts to row-major, and the output keeps its name.
TEST(ChooseLayouts, ConvKernelsWriteNhwcAndAConversionFeedsOutputsAndReshapes) {
  Builder b;
  Value* x = b.input({1, 2, 4, 4});
  Value* r = b.op(OpKind::Relu, {b.conv(x, 3)});
  b.output(r, "features");
  Value* head = b.conv(r, 6);
  b.output(b.op(OpKind::Reshape, {head}, NoAttrs{}, {1, 6, 16}), "boxes");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise,choose-layouts"));
  EXPECT_EQ(r->type.layout, Layout::nhwc);
  EXPECT_EQ(r->producer->group, r->producer->operands[0]->producer->group) << "conv + relu";
  EXPECT_EQ(head->type.layout, Layout::nhwc);
  // Each is converted by an identity kernel of its own, read by the output / the reshape.
  for (Value* converted : {r, head}) {
    const Op* copy = nullptr;
    for (const auto& op : b.m.ops)
      if (op->kind == OpKind::Identity && op->operands[0] == converted)
        copy = op.get();
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(copy->result->type.layout, Layout::rowMajor);
    EXPECT_NE(copy->group, converted->producer->group);
  }
  EXPECT_EQ(b.m.outputs[0]->producer->kind, OpKind::Identity);
  EXPECT_EQ(b.m.outputs[0]->name, "features");
  EXPECT_EQ(b.m.outputs[1]->producer->operands[0]->producer->kind, OpKind::Identity);
  EXPECT_TRUE(test::sameNumbers(*before, b.m));
}

TEST(ChooseLayouts, SharedWeightGetsACopyWithItsOwnLayout) {
  Builder b;
  Value* x = b.input({1, 3, 3, 3});
  Value* w = b.constant({3, 3, 3, 3});
  ConvAttrs same{{1, 1}, {1, 1, 1, 1}, {1, 1}, 1};
  Value* c = b.op(OpKind::Conv, {x, w}, same);
  b.output(b.op(OpKind::Conv, {c, w}, same), "y");
  b.output(b.op(OpKind::Add, {x, w}), "w_plus_x"); // reads w as row-major
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "choose-layouts"));
  EXPECT_EQ(w->type.layout, Layout::rowMajor);
  for (const auto& op : b.m.ops)
    if (op->kind == OpKind::Conv)
      EXPECT_EQ(op->operands[1]->type.layout, Layout::hwio);
  EXPECT_TRUE(test::sameNumbers(*before, b.m));
}

// ---- defer-run-checks ----

/// y = assert(relu(x), ok) with an i32 scalar input `ok`.
Builder assertModule() {
  Builder b;
  Value* x = b.input({2, 3});
  Value* ok = b.m.addInput(TensorType{DType::i32, {}}, "ok");
  b.output(b.op(OpKind::Assert, {b.op(OpKind::Relu, {x}), ok}), "y");
  return b;
}

TEST(DeferRunChecks, GpuTargetsCheckAfterTheRun) {
  Builder b = assertModule();
  PassContext ctx;
  ctx.gpu = true;
  ASSERT_TRUE(DeferRunChecks().run(b.m, ctx));
  ASSERT_TRUE(verify(b.m)) << verify(b.m).format();
  EXPECT_EQ(b.m.ops.back()->kind, OpKind::Identity);
  EXPECT_EQ(b.m.ops.back()->operands.size(), 1u);
  EXPECT_EQ(b.m.outputs[0]->name, "y");
  ASSERT_EQ(b.m.runChecks.size(), 1u);
  EXPECT_EQ(b.m.runChecks[0].ok, b.m.inputs[1]);
  EXPECT_EQ(b.m.runChecks[0].message, shapeCheckMessage("y"));
  // The check survives the text form and keeps its value alive through dce.
  auto copy = clone(b.m);
  ASSERT_EQ(copy->runChecks.size(), 1u);
  EXPECT_EQ(copy->runChecks[0].message, b.m.runChecks[0].message);
  EXPECT_EQ(print(*copy), print(b.m));
}

TEST(DeferRunChecks, CpuTargetsKeepTheAssert) {
  Builder b = assertModule();
  PassContext ctx;
  ASSERT_TRUE(DeferRunChecks().run(b.m, ctx));
  EXPECT_EQ(b.m.ops.back()->kind, OpKind::Assert);
  EXPECT_TRUE(b.m.runChecks.empty());
}

// ---- plan-memory ----

/// Kernel position of every group: the index of its last op.
std::map<int, int> kernelPositions(const Module& m) {
  std::map<int, int> pos;
  for (size_t i = 0; i < m.ops.size(); ++i)
    if (m.ops[i]->group >= 0)
      pos[m.ops[i]->group] = static_cast<int>(i);
  return pos;
}

const Value* root(const Value* v) {
  while (isView(v->producer))
    v = v->producer->operands[0];
  return v;
}
/// The in-place concat whose operands write `v`'s bytes (`v` its result or the transpose after
/// it, inPlaceChain), or null.
const Op* writtenBy(const Module& m, const Value* v) {
  if (!isWrittenInPlace(v->producer))
    return nullptr;
  while (v->producer->kind != OpKind::Concat)
    v = v->producer->operands[0];
  const Op* concat = v->producer;
  std::vector<const Op*> chain = inPlaceChain(m, *concat, [](const Op& t) { return t.group < 0; });
  return chain.back()->result == v || concat->result == v ? concat : nullptr;
}
/// Kernel position where a buffer starts to be written: its kernel's, or for a tensor that the
/// operands of an in-place concat write, the first of their kernels.
int firstWrite(const Module& m, const Value* v, const std::map<int, int>& pos) {
  const Op* concat = writtenBy(m, v);
  if (!concat)
    return pos.at(v->producer->group);
  int first = std::numeric_limits<int>::max();
  for (const Value* o : concat->operands)
    first = std::min(first, pos.at(o->producer->group));
  return first;
}

/// Checks the plan against lifetimes computed here: arena buffers live from their kernel to the
/// last kernel reading them (through views), or to the end of the run when the runtime reads them
/// afterwards; no two live at once may share a byte.
void checkPlan(const Module& m) {
  ASSERT_TRUE(m.plan.has_value());
  const MemoryPlan& plan = *m.plan;
  std::map<int, int> pos = kernelPositions(m);
  std::map<const Value*, std::pair<int, int>> life;
  for (const auto& op : m.ops) {
    if (isView(op.get()) || isWrittenInPlace(op.get()))
      continue;
    for (const Value* v : op->operands) {
      const Value* r = root(v);
      if (!r->producer || r->producer->group == op->group)
        continue;
      ASSERT_NE(plan.byValue[r->id].storage, Storage::none) << "%" << r->id << " has no place";
      if (plan.byValue[r->id].storage != Storage::arena)
        continue;
      auto [it, fresh] = life.try_emplace(r, firstWrite(m, r, pos), pos.at(op->group));
      it->second.second = std::max(it->second.second, pos.at(op->group));
    }
  }
  // The runtime reads run checks and run-time extent lengths after the last kernel.
  std::vector<const Value*> readAfterRun;
  for (const RunCheck& c : m.runChecks)
    readAfterRun.push_back(c.ok);
  for (const auto& [index, extent] : m.runtimeExtents)
    readAfterRun.push_back(extent.length);
  for (const Value* v : readAfterRun) {
    const Value* r = root(v);
    if (r->producer && plan.byValue[r->id].storage == Storage::arena)
      life[r] = {firstWrite(m, r, pos), std::numeric_limits<int>::max()};
  }
  int64_t sum = 0;
  for (auto& [v, l] : life) {
    const Placement& p = plan.byValue[v->id];
    EXPECT_EQ(p.offset % 64, 0);
    EXPECT_LE(p.offset + v->type.byteSize(), plan.arenaSize);
    sum += (v->type.byteSize() + 63) / 64 * 64;
  }
  EXPECT_EQ(plan.unsharedSize, sum);
  for (auto a = life.begin(); a != life.end(); ++a)
    for (auto b = std::next(a); b != life.end(); ++b) {
      bool liveTogether =
          a->second.first <= b->second.second && b->second.first <= a->second.second;
      int64_t ao = plan.byValue[a->first->id].offset, bo = plan.byValue[b->first->id].offset;
      bool shareBytes = ao < bo + b->first->type.byteSize() && bo < ao + a->first->type.byteSize();
      EXPECT_FALSE(liveTogether && shareBytes)
          << "%" << a->first->id << " and %" << b->first->id << " overlap\n"
          << test::printed(m);
    }
  for (const auto& op : m.ops)
    if (isView(op.get())) {
      // A view sits at its operand's bytes, a slice from its contiguous offset on, and inside them.
      const Placement& v = plan.byValue[op->result->id];
      const Placement& x = plan.byValue[op->operands[0]->id];
      int64_t offset = op->kind == OpKind::Slice ? contiguousSliceOffset(*op).value_or(-1) : 0;
      EXPECT_TRUE(v.storage == x.storage && v.offset == x.offset + offset && v.index == x.index)
          << "a view shares its operand's placement: " << printOp(*op);
      EXPECT_LE(offset + op->result->type.byteSize(), op->operands[0]->type.byteSize());
    }
  for (const auto& op : m.ops)
    if (op->kind == OpKind::Concat && isWrittenInPlace(op.get()))
      for (size_t i = 0; i < op->operands.size(); ++i) {
        // An operand lies at its slot of the written tensor's bytes: the slot's offset from the
        // tensor's placement, its strides unless they are the operand's own layout's.
        std::vector<const Op*> chain =
            inPlaceChain(m, *op, [](const Op& t) { return t.group < 0; });
        const Placement& c = plan.byValue[chain.back()->result->id];
        const Placement& v = plan.byValue[op->operands[i]->id];
        std::optional<ConcatSlot> slot = concatSlot(chain, i);
        ASSERT_TRUE(slot.has_value()) << printOp(*op);
        EXPECT_TRUE(v.storage == c.storage && v.offset == c.offset + slot->offset)
            << "operand " << i << " of " << printOp(*op);
        EXPECT_TRUE(v.strides.empty() || v.strides == slot->strides);
      }
  for (size_t i = 0; i < m.outputs.size(); ++i) {
    const Placement& p = plan.byValue[m.outputs[i]->id];
    EXPECT_EQ(p.storage, Storage::output);
    EXPECT_EQ(p.index, static_cast<int>(i));
  }
}

TEST(PlanMemory, ChainReusesTheArena) {
  Builder b;
  Value* v = b.input({1, 4, 8, 8});
  for (int i = 0; i < 5; ++i)
    v = b.conv(v, 4);
  b.output(v, "y");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise,plan-memory"));
  checkPlan(b.m);
  const int64_t tensor = 4 * 8 * 8 * 4;
  EXPECT_EQ(b.m.plan->unsharedSize, 4 * tensor);
  EXPECT_EQ(b.m.plan->arenaSize, 2 * tensor) << "two buffers alternate along a chain";
  EXPECT_EQ(b.m.plan->byValue[b.m.inputs[0]->id].storage, Storage::input);
  for (const Value* c : b.m.constants)
    EXPECT_EQ(b.m.plan->byValue[c->id].storage, Storage::weights);
}

TEST(PlanMemory, ValuesReadAfterTheRunLiveToTheEnd) {
  // ok = int(reduce_sum(x)) computed first; the chain after it may not reuse its bytes.
  Builder b;
  Value* x = b.input({1, 4, 8, 8});
  Value* sum = b.op(OpKind::Cast, {b.op(OpKind::ReduceSum, {x}, ReduceAttrs{{0, 1, 2, 3}, false})},
                    CastAttrs{DType::i32});
  Value* v = x;
  for (int i = 0; i < 3; ++i)
    v = b.conv(v, 4);
  b.output(v, "y");
  b.m.runChecks.push_back({sum, "message"});
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise,plan-memory"));
  checkPlan(b.m);
  const Placement& p = b.m.plan->byValue[sum->id];
  ASSERT_EQ(p.storage, Storage::arena);
  for (const auto& op : b.m.ops) { // no later tensor overlaps the check's bytes
    const Placement& q = b.m.plan->byValue[op->result->id];
    if (op->result != sum && q.storage == Storage::arena)
      EXPECT_TRUE(q.offset >= p.offset + 64 || q.offset + op->result->type.byteSize() <= p.offset)
          << "value %" << op->result->id << " overlaps the run check";
  }
}

TEST(PlanMemory, NeedsKernelGroups) {
  Builder b;
  b.output(b.op(OpKind::Relu, {b.op(OpKind::Relu, {b.input({4})})}), "y");
  Status s = test::runPasses(b.m, "plan-memory");
  ASSERT_FALSE(s) << "plan-memory before fuse-elementwise must be an error, not a crash";
  EXPECT_NE(s.message().find("run fuse-elementwise before it"), std::string::npos) << s.format();
}

/// A random DAG of convs, element-wise ops, pooling and reshape views over [1,4,8,8] tensors.
Module& randomNet(Builder& b, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Value*> vals{b.input({1, 4, 8, 8})};
  auto pick = [&] { return vals[rng() % vals.size()]; };
  for (int i = 0; i < 14; ++i) {
    switch (rng() % 6) {
    case 0:
      vals.push_back(b.conv(pick(), 4));
      break;
    case 1:
      vals.push_back(b.op(OpKind::Relu, {pick()}));
      break;
    case 2:
      vals.push_back(b.op(OpKind::Add, {pick(), pick()}));
      break;
    case 3: {
      Value* flat = b.op(OpKind::Reshape, {pick()}, NoAttrs{}, {1, 256});
      vals.push_back(b.op(OpKind::Reshape, {flat}, NoAttrs{}, {1, 4, 8, 8}));
      break;
    }
    case 4: { // a channel split and its halves swapped: two views and a concat
      Value* x = pick();
      Value* lo = b.op(OpKind::Slice, {x}, SliceAttrs{{0, 0, 0, 0}, {1, 1, 1, 1}}, {1, 2, 8, 8});
      Value* hi = b.op(OpKind::Slice, {x}, SliceAttrs{{0, 2, 0, 0}, {1, 1, 1, 1}}, {1, 2, 8, 8});
      vals.push_back(b.op(OpKind::Concat, {hi, lo}, AxisAttrs{1}));
      break;
    }
    default:
      vals.push_back(
          b.op(OpKind::MaxPool, {pick()}, PoolAttrs{{3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}}));
    }
  }
  b.output(vals.back(), "y");
  Value* other = vals[1 + rng() % (vals.size() - 2)];
  if (other != vals.back())
    b.output(other, "z");
  return b.m;
}

TEST(PlanMemory, NoTwoLiveBuffersShareBytesOnRandomNets) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    Builder b;
    Module& m = randomNet(b, seed);
    Status s = test::runPasses(m, "dce,fuse-elementwise,make-views,plan-memory");
    ASSERT_TRUE(s) << s.format();
    checkPlan(m);
    if (HasFailure())
      return;
  }
}

// ---- materialize-padding ----

TEST(MaterializePadding, PadsWideMapsAndStridedConvsOnly) {
  struct Case {
    int64_t width, stride, group;
    int registers;
    bool padded;
  };
  // Wide maps and strided convs read a pre-padded copy (from 28 columns with 32 vector registers,
  // from 8 with 16); small stride-1 maps and depthwise convs handle their borders in the conv
  // kernel.
  for (const Case& c :
       {Case{28, 1, 1, 32, true}, Case{14, 1, 1, 32, false}, Case{13, 1, 1, 16, true},
        Case{7, 1, 1, 16, false}, Case{14, 2, 1, 32, true}, Case{28, 1, 8, 16, false}}) {
    SCOPED_TRACE(fmt::format("width {}, stride {}, group {}, {} registers", c.width, c.stride,
                             c.group, c.registers));
    Builder b;
    Value* x = b.input({1, 8, 4, c.width});
    Value* w = b.constant({8, 8 / c.group, 3, 3});
    Value* y =
        b.op(OpKind::Conv, {x, w}, ConvAttrs{{c.stride, c.stride}, {1, 1, 1, 1}, {1, 1}, c.group});
    b.output(y, "y");
    auto before = clone(b.m);
    PassContext ctx;
    ctx.vectorRegisters = c.registers;
    ASSERT_TRUE(test::runPasses(b.m, "materialize-padding", ctx));
    const Op* conv = y->producer;
    EXPECT_EQ(conv->operands[0]->producer != nullptr &&
                  conv->operands[0]->producer->kind == OpKind::Pad,
              c.padded);
    const IntList& pads = conv->attr<ConvAttrs>().pads;
    EXPECT_EQ(std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; }), c.padded);
    EXPECT_TRUE(test::sameNumbers(*before, b.m, 1, 1e-6, 1e-6));
  }
}

// An integer conv reading 3 channels (a first conv on RGB) gets a fourth from the pad, holding
// the input's zero point, and zero weights for it: its reduction then has the dot-product form.
TEST(MaterializePadding, IntegerConvChannelsInGroupsOfFour) {
  Builder b;
  Value* x = b.input({1, 3, 9, 9});
  Value* scale = b.m.addConstant(TensorType{DType::f32, {}}, floatBytes({0.05f}));
  Value* zp = b.m.addConstant(TensorType{DType::u8, {}}, std::vector<uint8_t>{7});
  Value* xq = b.op(OpKind::QuantizeLinear, {x, scale, zp}, CastAttrs{DType::u8});
  std::vector<uint8_t> wb(8 * 3 * 3 * 3);
  for (uint8_t& v : wb)
    v = static_cast<uint8_t>(b.rng() % 255);
  Value* w = b.m.addConstant(TensorType{DType::i8, {8, 3, 3, 3}}, wb);
  std::vector<int32_t> bias{5, -3, 100, 0, 7, -9, 11, 2};
  std::vector<uint8_t> bb(bias.size() * 4);
  std::memcpy(bb.data(), bias.data(), bb.size());
  Value* bv = b.m.addConstant(TensorType{DType::i32, {8}}, bb);
  ConvAttrs a{{1, 1}, {1, 1, 1, 1}, {1, 1}, 1};
  a.padValue = 7;
  Value* y = b.op(OpKind::Conv, {xq, w, bv}, a);
  b.output(y, "y");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "materialize-padding"));
  const Op* conv = y->producer;
  const Op* pad = conv->operands[0]->producer;
  ASSERT_TRUE(pad != nullptr && pad->kind == OpKind::Pad);
  EXPECT_EQ(pad->result->type.shape, (std::vector<int64_t>{1, 4, 11, 11}));
  EXPECT_EQ(pad->attr<PadAttrs>().value, 7);
  EXPECT_EQ(conv->operands[1]->type.shape, (std::vector<int64_t>{8, 4, 3, 3}));
  EXPECT_EQ(conv->attr<ConvAttrs>().padValue, 0);
  EXPECT_TRUE(test::sameNumbers(*before, b.m, 1, 0, 0));
}

// ---- make-views ----

TEST(MakeViews, ContiguousSlicesBecomeViewsAtTheirOffset) {
  Builder b;
  Value* seq = b.op(OpKind::Relu, {b.input({5, 1, 8})}); // [T, B, H]
  // x[3] of the sequence: bytes [3*8*4, 4*8*4) of its operand.
  Value* step = b.op(OpKind::Slice, {seq}, SliceAttrs{{3, 0, 0}, {1, 1, 1}}, {1, 1, 8});
  // a range of the last axis under axes of extent 1: contiguous too.
  Value* part = b.op(OpKind::Slice, {step}, SliceAttrs{{0, 0, 2}, {1, 1, 1}}, {1, 1, 4});
  // (An element-wise reader would join the slice's kernel and read it inline: no copy either.)
  b.output(b.op(OpKind::Concat, {part, part}, AxisAttrs{2}), "y");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise,make-views,plan-memory"));
  checkPlan(b.m);
  EXPECT_EQ(step->producer->group, -1);
  EXPECT_EQ(part->producer->group, -1);
  EXPECT_EQ(contiguousSliceOffset(*step->producer), 3 * 8 * 4);
  const MemoryPlan& plan = *b.m.plan;
  EXPECT_EQ(plan.byValue[part->id].offset, plan.byValue[seq->id].offset + (3 * 8 + 2) * 4);
}

TEST(MakeViews, OtherSlicesStayKernels) {
  Builder b;
  Value* x = b.op(OpKind::Relu, {b.input({2, 4, 6})});
  // Inner axis cut under an outer axis of extent 2: two runs, not one.
  Value* inner = b.op(OpKind::Slice, {x}, SliceAttrs{{0, 0, 1}, {1, 1, 1}}, {2, 4, 3});
  // Every other row: not contiguous.
  Value* strided = b.op(OpKind::Slice, {x}, SliceAttrs{{0, 0, 0}, {1, 2, 1}}, {1, 2, 6});
  // A model output owns its buffer: it stays a copy even though it is contiguous.
  Value* out = b.op(OpKind::Slice, {x}, SliceAttrs{{1, 0, 0}, {1, 1, 1}}, {1, 4, 6});
  b.output(b.op(OpKind::Relu, {inner}), "a");
  b.output(b.op(OpKind::Relu, {strided}), "b");
  b.output(out, "c");
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise,make-views,plan-memory"));
  checkPlan(b.m);
  EXPECT_FALSE(contiguousSliceOffset(*inner->producer));
  EXPECT_FALSE(contiguousSliceOffset(*strided->producer));
  EXPECT_TRUE(contiguousSliceOffset(*out->producer));
  for (const Value* v : {inner, strided, out})
    EXPECT_GE(v->producer->group, 0) << printOp(*v->producer);
}

TEST(MakeViews, TransposesThatKeepTheBytesBecomeViews) {
  // A ConvNeXt block: conv (stored NHWC) -> permute to [N, H, W, C] (row-major: the same bytes)
  // -> channels-last work -> permute back to [N, C, H, W] (stored NHWC: the same bytes again)
  // + the block input. A real shuffle of axes stays a kernel.
  Builder b;
  Value* x = b.input({1, 8, 5, 5});
  Value* c = b.conv(x, 8);
  Value* last = b.op(OpKind::Transpose, {c}, TransposeAttrs{{0, 2, 3, 1}}, {1, 5, 5, 8});
  Value* act = b.op(OpKind::Sigmoid, {b.op(OpKind::Relu, {last})});
  Value* first = b.op(OpKind::Transpose, {act}, TransposeAttrs{{0, 3, 1, 2}}, {1, 8, 5, 5});
  Value* sum = b.op(OpKind::Add, {first, c});
  Value* shuffled = b.op(OpKind::Transpose, {sum}, TransposeAttrs{{0, 1, 3, 2}}, {1, 8, 5, 5});
  b.output(b.op(OpKind::Relu, {shuffled}), "y");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, "fuse-elementwise,choose-layouts,make-views,plan-memory"));
  checkPlan(b.m);
  EXPECT_EQ(c->type.layout, Layout::nhwc);
  EXPECT_EQ(last->type.layout, Layout::rowMajor);
  EXPECT_EQ(first->type.layout, Layout::nhwc);
  EXPECT_EQ(last->producer->group, -1);
  EXPECT_EQ(first->producer->group, -1);
  EXPECT_GE(shuffled->producer->group, 0);
  const MemoryPlan& plan = *b.m.plan;
  EXPECT_EQ(plan.byValue[last->id].offset, plan.byValue[c->id].offset);
  EXPECT_EQ(plan.byValue[first->id].offset, plan.byValue[act->id].offset);
  for (uint32_t seed : {1u, 2u})
    EXPECT_TRUE(test::sameNumbers(*before, b.m, seed, 1e-6, 1e-6)) << "seed " << seed;
}

TEST(MakeViews, GpuTargetsKeepCopies) {
  Builder b;
  Value* x = b.op(OpKind::Relu, {b.input({4, 8})});
  Value* row = b.op(OpKind::Slice, {x}, SliceAttrs{{2, 0}, {1, 1}}, {1, 8});
  b.output(b.op(OpKind::Relu, {row}), "y");
  PassContext ctx;
  ctx.gpu = true;
  auto passes = parsePipeline("fuse-elementwise,make-views,plan-memory");
  ASSERT_TRUE(passes);
  ASSERT_TRUE(runPipeline(b.m, *passes, ctx));
  EXPECT_GE(row->producer->group, 0);
}

// ---- concat-in-place ----

constexpr std::string_view kThroughConcatInPlace =
    "fuse-elementwise,choose-layouts,make-views,concat-in-place,plan-memory";

TEST(ConcatInPlace, ConvsWriteTheirChannelsOfAnNhwcConcat) {
  // A fire module: two convs of one map, concatenated along the channels, read by a conv. Stored
  // NHWC, each conv writes its run of channels of every pixel: strides of the 12-channel result.
  Builder b;
  Value* x = b.input({1, 4, 5, 6});
  Value* e1 = b.op(OpKind::Relu, {b.conv(x, 5)});
  Value* e3 = b.op(OpKind::Relu, {b.conv(x, 7)});
  Value* cat = b.op(OpKind::Concat, {e1, e3}, AxisAttrs{1});
  b.output(b.conv(cat, 3), "y");
  ASSERT_TRUE(test::runPasses(b.m, kThroughConcatInPlace));
  checkPlan(b.m);
  ASSERT_EQ(cat->type.layout, Layout::nhwc);
  EXPECT_EQ(cat->producer->group, -1);
  const MemoryPlan& plan = *b.m.plan;
  EXPECT_EQ(plan.byValue[e1->id].offset, plan.byValue[cat->id].offset);
  EXPECT_EQ(plan.byValue[e3->id].offset, plan.byValue[cat->id].offset + 5 * 4);
  // Buffer dims (the logical axes reversed: W, H, C, N) with the result's strides (N has
  // extent 1: any stride).
  std::vector<int64_t> strides{12, 12 * 6, 1};
  for (const Value* v : {e1, e3}) {
    const std::vector<int64_t>& s = plan.byValue[v->id].strides;
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(std::vector<int64_t>(s.begin(), s.begin() + 3), strides);
  }
}

TEST(ConcatInPlace, RowMajorSlotsAreContiguous) {
  // Concatenated along the outermost axis, each operand is one run of the result's bytes: no
  // strides of their own.
  Builder b;
  Value* x = b.input({2, 8});
  std::vector<Value*> parts;
  for (int i = 0; i < 3; ++i)
    parts.push_back(b.op(OpKind::MatMul, {x, b.constant({8, 4})}));
  Value* cat = b.op(OpKind::Concat, parts, AxisAttrs{0});
  b.output(b.op(OpKind::MatMul, {cat, b.constant({4, 2})}), "y");
  ASSERT_TRUE(test::runPasses(b.m, kThroughConcatInPlace));
  checkPlan(b.m);
  EXPECT_EQ(cat->producer->group, -1);
  const MemoryPlan& plan = *b.m.plan;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(plan.byValue[parts[i]->id].offset, plan.byValue[cat->id].offset + i * 2 * 4 * 4);
    EXPECT_TRUE(plan.byValue[parts[i]->id].strides.empty());
  }
}

TEST(ConcatInPlace, ConvsWriteThroughAChannelShuffle) {
  // ShuffleNet: concat -> reshape [N, 2, C, H, W] -> transpose -> reshape [N, 2C, H, W]. Channel
  // k of operand g lands at channel 2k + g of the shuffled map: the convs write it there, and
  // neither the concat nor the transpose is a kernel.
  Builder b;
  Value* x = b.input({1, 4, 5, 6});
  Value* a = b.conv(x, 3);
  Value* c = b.conv(x, 3);
  Value* cat = b.op(OpKind::Concat, {a, c}, AxisAttrs{1});
  Value* grouped = b.op(OpKind::Reshape, {cat}, NoAttrs{}, {1, 2, 3, 5, 6});
  Value* t = b.op(OpKind::Transpose, {grouped}, TransposeAttrs{{0, 2, 1, 3, 4}});
  Value* shuffled = b.op(OpKind::Reshape, {t}, NoAttrs{}, {1, 6, 5, 6});
  b.output(b.conv(shuffled, 2), "y");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, kThroughConcatInPlace));
  checkPlan(b.m);
  EXPECT_EQ(cat->producer->group, -1);
  EXPECT_EQ(t->producer->group, -1);
  EXPECT_TRUE(isWrittenInPlace(t->producer));
  const MemoryPlan& plan = *b.m.plan;
  ASSERT_EQ(t->type.layout, Layout::rowMajor);
  // Operand g starts at channel g of t's row-major [1, 3, 2, 5, 6] bytes; its channels are two
  // maps apart.
  for (int g = 0; g < 2; ++g) {
    const Placement& p = plan.byValue[(g == 0 ? a : c)->id];
    EXPECT_EQ(p.offset, plan.byValue[t->id].offset + g * 5 * 6 * 4);
    ASSERT_EQ(p.strides.size(), 4u);
    EXPECT_EQ(std::vector<int64_t>(p.strides.begin(), p.strides.begin() + 3),
              (std::vector<int64_t>{1, 6, 2 * 5 * 6}));
  }
  for (uint32_t seed : {1u, 2u})
    EXPECT_TRUE(test::sameNumbers(*before, b.m, seed, 1e-6, 1e-6)) << "seed " << seed;
}

TEST(ConcatInPlace, NoSlotWhenTheMapIsNotAffine) {
  // Through a reshape that folds the concat axis with an outer one ([2, 3] + [2, 3] -> [2, 6] ->
  // [3, 4] -> transposed), an operand's elements are not evenly strided in the result.
  Builder b;
  Value* x = b.input({2, 3});
  Value* cat =
      b.op(OpKind::Concat, {b.op(OpKind::Relu, {x}), b.op(OpKind::Sigmoid, {x})}, AxisAttrs{1});
  Value* r = b.op(OpKind::Reshape, {cat}, NoAttrs{}, {3, 4});
  Value* t = b.op(OpKind::Transpose, {r}, TransposeAttrs{{1, 0}});
  b.output(b.op(OpKind::MatMul, {t, b.constant({3, 2})}), "y");
  std::vector<const Op*> chain{cat->producer, r->producer, t->producer};
  EXPECT_FALSE(concatSlot(chain, 0).has_value());
  EXPECT_FALSE(concatSlot(chain, 1).has_value());
  EXPECT_TRUE(concatSlot({cat->producer}, 1).has_value());
}

TEST(ConcatInPlace, OperandsThatCannotBeWrittenInPlaceAreCopiedIntoTheirSlots) {
  Builder b;
  Value* x = b.input({1, 4, 5, 5});
  Value* c1 = b.conv(x, 3);
  Value* c2 = b.conv(x, 3);
  // An operand that another op reads too.
  Value* shared = b.op(OpKind::Concat, {c1, c2}, AxisAttrs{1});
  Value* alsoRead = b.op(OpKind::Add, {c1, c1});
  // A model input as an operand (row-major, like the matrix product's result).
  Value* rows = b.input({2, 8}, "rows");
  Value* withInput =
      b.op(OpKind::Concat, {b.op(OpKind::MatMul, {rows, b.constant({8, 8})}), rows}, AxisAttrs{0});
  // An operand that is a model output (row-major, as outputs are: matrix products again).
  Value* out = b.op(OpKind::MatMul, {rows, b.constant({8, 8})});
  Value* withOutput =
      b.op(OpKind::Concat, {out, b.op(OpKind::MatMul, {rows, b.constant({8, 8})})}, AxisAttrs{0});
  b.output(b.conv(shared, 2), "a");
  b.output(alsoRead, "b");
  b.output(b.op(OpKind::MatMul, {withInput, b.constant({8, 2})}), "c");
  b.output(out, "d");
  b.output(b.op(OpKind::MatMul, {withOutput, b.constant({8, 2})}), "e");
  auto before = clone(b.m);
  ASSERT_TRUE(test::runPasses(b.m, kThroughConcatInPlace));
  checkPlan(b.m);
  // Each concat is in place; the operand that is no kernel output read by the concat alone is
  // now a copy (identity) of it, the others are still the kernels' own results.
  std::vector<std::pair<const Value*, size_t>> copied{{shared, 0}, {withInput, 1}, {withOutput, 0}};
  for (auto [cat, i] : copied) {
    const Op* concat = cat->producer;
    EXPECT_EQ(concat->group, -1) << printOp(*concat);
    for (size_t j = 0; j < concat->operands.size(); ++j) {
      const Op* p = concat->operands[j]->producer;
      EXPECT_EQ(p->kind == OpKind::Identity, j == i) << printOp(*concat);
      EXPECT_GE(p->group, 0);
    }
  }
  for (uint32_t seed : {1u, 2u})
    EXPECT_TRUE(test::sameNumbers(*before, b.m, seed, 1e-6, 1e-6)) << "seed " << seed;
}

TEST(ConcatInPlace, ConcatsWithoutAWritableOperandOrThatAreOutputsStayKernels) {
  Builder b;
  Value* x = b.input({1, 4, 5, 5});
  // No operand is a kernel output read by the concat alone.
  Value* inputs = b.op(OpKind::Concat, {x, x}, AxisAttrs{1});
  // The concat is a model output itself.
  Value* isOutput = b.op(OpKind::Concat, {b.conv(x, 2), b.conv(x, 3)}, AxisAttrs{1});
  b.output(b.conv(inputs, 2), "a");
  b.output(isOutput, "b");
  ASSERT_TRUE(test::runPasses(b.m, kThroughConcatInPlace));
  checkPlan(b.m);
  for (const Value* v : {inputs, isOutput})
    EXPECT_GE(v->producer->group, 0) << printOp(*v->producer);
  // No copies into slots (the identity that converts output a's conv to row-major is
  // choose-layouts').
  for (const auto& op : b.m.ops)
    if (op->kind == OpKind::Concat)
      for (const Value* v : op->operands)
        EXPECT_TRUE(!v->producer || v->producer->kind != OpKind::Identity) << printOp(*op);
}

TEST(ConcatInPlace, GpuTargetsKeepCopies) {
  Builder b;
  Value* x = b.input({4, 8});
  Value* cat =
      b.op(OpKind::Concat, {b.op(OpKind::Relu, {x}), b.op(OpKind::Sigmoid, {x})}, AxisAttrs{0});
  b.output(b.op(OpKind::MatMul, {cat, b.constant({8, 2})}), "y");
  PassContext ctx;
  ctx.gpu = true;
  auto passes = parsePipeline(kThroughConcatInPlace);
  ASSERT_TRUE(passes);
  ASSERT_TRUE(runPipeline(b.m, *passes, ctx));
  EXPECT_GE(cat->producer->group, 0);
}

} // namespace
} // namespace dnncc
