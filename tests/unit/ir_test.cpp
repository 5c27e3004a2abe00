// Tests of the IR: print -> parse -> print for every op kind in Ops.def, parser diagnostics, the
// verifier and type inference errors.
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "ir/Text.h"
#include "test_util.h"

namespace dnncc {
namespace {

using test::floatBytes;

std::vector<float> iota(int n, float scale = 0.25f) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = (i % 7 - 3) * scale;
  return v;
}

/// A module with one value of each kind the examples need, by name.
struct Prelude {
  Module m;
  std::map<std::string, Value*> v;
  Prelude() {
    auto in = [&](const char* name, DType t, std::vector<int64_t> shape) {
      v[name] = m.addInput(TensorType{t, shape}, name);
    };
    auto cf = [&](const char* name, std::vector<int64_t> shape) {
      TensorType t{DType::f32, shape};
      v[name] = m.addConstant(t, floatBytes(iota(static_cast<int>(t.numElements()))), name);
    };
    in("x", DType::f32, {1, 4, 6, 6});
    in("a", DType::f32, {2, 3});
    in("c", DType::f32, {3});
    in("p", DType::boolean, {2, 3});
    in("qa", DType::u8, {2, 3});
    in("q", DType::boolean, {3});
    in("ok", DType::boolean, {});
    cf("w", {6, 2, 3, 2}); // conv weights: 6 output channels, group 2 over 4 input channels
    cf("bias", {6});
    cf("wt", {4, 3, 3, 2});                // conv_transpose weights: group 2, 6 output channels
    in("grid", DType::f32, {1, 5, 3, 2});   // grid_sample positions for x
    in("ui", DType::i64, {1, 4, 6, 6});     // max_unpool indices for x
    in("cols", DType::f32, {1, 8, 8});      // col2im: 2 channels of 2x2 blocks, 2x4 positions
    in("rois", DType::f32, {3, 4});         // roi_align boxes and their batch indices
    in("ri", DType::i64, {3});
    in("window", DType::i64, {2}); // slice_runtime starts, ends, axes, steps for a
    in("boxes", DType::f32, {1, 3, 4});      // non_max_suppression: boxes, scores, parameters
    in("box_scores", DType::f32, {1, 2, 3});
    in("max_boxes", DType::i64, {1});
    in("thr", DType::f32, {1});
    in("doff", DType::f32, {1, 24, 3, 4});  // deform_conv offsets and mask for x and w
    in("dmask", DType::f32, {1, 12, 3, 4});
    cf("s4", {4});
    cf("s3", {3});
    cf("gb", {4, 3}); // gemm B with trans_b: [N=4, K=3]
    cf("mm", {3, 5});
    int64_t idx[2] = {2, 0};
    std::vector<uint8_t> bytes(sizeof(idx));
    std::memcpy(bytes.data(), idx, sizeof(idx));
    v["idx"] = m.addConstant(TensorType{DType::i64, {2}}, bytes, "idx");
    in("idx2", DType::i64, {2, 3}); // gather_elements / scatter_elements indices of "a"
    in("idxnd", DType::i64, {1, 1}); // gather_nd on "x" with batch_dims 1; scatter_nd on "a"
    in("rows", DType::i64, {2, 1});  // scatter_nd row indices of "a"
    in("lens", DType::i32, {2});     // reverse_sequence lengths of "a" (batch axis 0)
    in("axis", DType::i64, {});      // a runtime axis
  }
};

struct Example {
  OpKind kind;
  std::vector<const char*> operands;
  Attrs attrs = NoAttrs{};
  std::vector<int64_t> resultShape = {}; ///< for reshape, expand and slice
};

// The examples are added one statement at a time, in one function per op family (ir/ops/*.cpp):
// a single braced initializer of many Example structs holding the Attrs variant makes gcc run
// out of memory.

/// Examples of the element-wise ops.
void addElementwiseExamples(std::vector<Example>& all) {
  all.push_back({OpKind::Relu, {"a"}});
  all.push_back({OpKind::Sigmoid, {"a"}});
  all.push_back({OpKind::Tanh, {"a"}});
  all.push_back({OpKind::Exp, {"a"}});
  all.push_back({OpKind::Log, {"a"}});
  all.push_back({OpKind::Sqrt, {"a"}});
  all.push_back({OpKind::Erf, {"a"}});
  all.push_back({OpKind::Reciprocal, {"a"}});
  all.push_back({OpKind::Neg, {"a"}});
  all.push_back({OpKind::Abs, {"a"}});
  all.push_back({OpKind::Floor, {"a"}});
  all.push_back({OpKind::Ceil, {"a"}});
  all.push_back({OpKind::Not, {"p"}});
  all.push_back({OpKind::Clip, {"a"}, ClipAttrs{-0.5, 2.5}});
  all.push_back({OpKind::LeakyRelu, {"a"}, LeakyReluAttrs{0.125}});
  all.push_back({OpKind::HardSigmoid, {"a"}, HardSigmoidAttrs{0.1, 0.6}});
  all.push_back({OpKind::HardSwish, {"a"}});
  all.push_back({OpKind::Gelu, {"a"}, GeluAttrs{GeluApprox::tanh}});
  all.push_back({OpKind::Cast, {"a"}, CastAttrs{DType::i32}});
  all.push_back({OpKind::BitCast, {"a"}, CastAttrs{DType::u32}});
  all.push_back({OpKind::Identity, {"a"}});
  all.push_back({OpKind::Sin, {"a"}});
  all.push_back({OpKind::Cos, {"a"}});
  all.push_back({OpKind::Tan, {"a"}});
  all.push_back({OpKind::Asin, {"a"}});
  all.push_back({OpKind::Acos, {"a"}});
  all.push_back({OpKind::Atan, {"a"}});
  all.push_back({OpKind::Sinh, {"a"}});
  all.push_back({OpKind::Cosh, {"a"}});
  all.push_back({OpKind::Asinh, {"a"}});
  all.push_back({OpKind::Acosh, {"a"}});
  all.push_back({OpKind::Atanh, {"a"}});
  all.push_back({OpKind::Round, {"a"}});
  all.push_back({OpKind::Sign, {"a"}});
  all.push_back({OpKind::IsNaN, {"a"}});
  all.push_back({OpKind::IsInf, {"a"}, IsInfAttrs{false, true}});
  all.push_back({OpKind::BitNot, {"idx"}});
  all.push_back({OpKind::Softplus, {"a"}});
  all.push_back({OpKind::Softsign, {"a"}});
  all.push_back({OpKind::Mish, {"a"}});
  all.push_back({OpKind::Elu, {"a"}, AlphaAttrs{0.5}});
  all.push_back({OpKind::Celu, {"a"}, AlphaAttrs{2.0}});
  all.push_back({OpKind::Selu, {"a"}, SeluAttrs{1.5, 2.0}});
  all.push_back({OpKind::ThresholdedRelu, {"a"}, AlphaAttrs{0.25}});
  all.push_back({OpKind::Shrink, {"a"}, ShrinkAttrs{0.5, 1.0}});
  all.push_back({OpKind::Swish, {"a"}, AlphaAttrs{0.75}});
  all.push_back({OpKind::Add, {"a", "c"}});
  all.push_back({OpKind::Sub, {"a", "c"}});
  all.push_back({OpKind::Mul, {"a", "c"}});
  all.push_back({OpKind::Div, {"a", "c"}});
  all.push_back({OpKind::Pow, {"a", "c"}});
  all.push_back({OpKind::Max, {"a", "c"}});
  all.push_back({OpKind::Min, {"a", "c"}});
  all.push_back({OpKind::Equal, {"a", "c"}});
  all.push_back({OpKind::Less, {"a", "c"}});
  all.push_back({OpKind::Greater, {"a", "c"}});
  all.push_back({OpKind::And, {"p", "q"}});
  all.push_back({OpKind::Or, {"p", "q"}});
  all.push_back({OpKind::Xor, {"p", "q"}});
  all.push_back({OpKind::Mod, {"a", "c"}});
  all.push_back({OpKind::Fmod, {"a", "c"}});
  all.push_back({OpKind::ShiftLeft, {"idx", "idx"}});
  all.push_back({OpKind::ShiftRight, {"idx", "idx"}});
  all.push_back({OpKind::BitAnd, {"idx", "idx"}});
  all.push_back({OpKind::BitOr, {"idx", "idx"}});
  all.push_back({OpKind::BitXor, {"idx", "idx"}});
  all.push_back({OpKind::PRelu, {"a", "c"}});
  all.push_back({OpKind::Where, {"p", "a", "c"}});
  all.push_back({OpKind::Assert, {"a", "ok"}});
}

/// Examples of the convolution and pooling ops.
void addConvExamples(std::vector<Example>& all) {
  all.push_back({OpKind::Conv, {"x", "w", "bias"}, ConvAttrs{{2, 1}, {1, 0, 1, 0}, {1, 2}, 2}});
  all.push_back({OpKind::ConvTranspose, {"x", "wt", "bias"},
                 ConvTransposeAttrs{{2, 1}, {1, 0, 0, 1}, {1, 2}, {1, 0}, 2}});
  all.push_back({OpKind::GridSample, {"x", "grid"},
                 GridSampleAttrs{GridSampleMode::cubic, GridPadding::reflection, true}});
  all.push_back({OpKind::DeformConv, {"x", "w", "doff", "bias", "dmask"},
                 DeformConvAttrs{{2, 1}, {1, 0, 1, 0}, {1, 2}, 2, 2}});
  all.push_back({OpKind::RoiAlign, {"x", "rois", "ri"},
                 RoiAlignAttrs{true, 2, 3, 2, 0.5, false}});
  all.push_back({OpKind::MaxPool, {"x"}, PoolAttrs{{3, 2}, {2, 2}, {1, 0, 1, 1}, {1, 1}, true, false}});
  all.push_back({OpKind::MaxPoolIndices, {"x"},
                 PoolAttrs{{2, 3}, {1, 2}, {1, 0, 1, 1}, {1, 1}, false, false}});
  all.push_back({OpKind::MaxUnpool, {"x", "ui"}, NoAttrs{}, {1, 4, 12, 12}});
  all.push_back(
      {OpKind::Col2Im, {"cols"}, Col2ImAttrs{{2, 2}, {2, 1}, {1, 0, 0, 1}, {1, 2}}, {1, 2, 4, 5}});
  all.push_back({OpKind::AvgPool, {"x"}, PoolAttrs{{2, 2}, {1, 2}, {0, 1, 1, 0}, {2, 1}, false, true}});
  all.push_back({OpKind::GlobalAvgPool, {"x"}});
  all.push_back({OpKind::GlobalMaxPool, {"x"}});
}

/// Examples of the matrix product ops.
void addLinearExamples(std::vector<Example>& all) {
  all.push_back({OpKind::Gemm, {"a", "gb", "s4"}, GemmAttrs{false, true, 0.5, 2.0}});
  all.push_back({OpKind::MatMul, {"a", "mm"}});
}

/// Examples of the reduction and normalisation ops.
void addReduceExamples(std::vector<Example>& all) {
  all.push_back({OpKind::ReduceMean, {"x"}, ReduceAttrs{{1, 3}, false}});
  all.push_back({OpKind::ReduceSum, {"x"}, ReduceAttrs{{2}, false}});
  all.push_back({OpKind::ReduceMax, {"x"}, ReduceAttrs{{0, 1}, false}});
  all.push_back({OpKind::ReduceMin, {"a"}, ReduceAttrs{{1}, false}});
  all.push_back({OpKind::ReduceProd, {"a"}, ReduceAttrs{{0}, false}});
  all.push_back({OpKind::Softmax, {"a"}, AxisAttrs{1}});
  all.push_back({OpKind::LogSoftmax, {"x"}, AxisAttrs{2}});
  all.push_back({OpKind::LayerNorm, {"a", "s3", "s3"}, LayerNormAttrs{1, 1e-3}});
  all.push_back({OpKind::BatchNorm, {"x", "s4", "s4", "s4", "s4"}, BatchNormAttrs{1e-3}});
  all.push_back({OpKind::ArgMax, {"x"}, ArgAttrs{2, false, true}});
  all.push_back({OpKind::ArgMin, {"a"}, ArgAttrs{1, true, true}});
  all.push_back({OpKind::Hardmax, {"a"}, AxisAttrs{1}});
  all.push_back({OpKind::TopK, {"x"}, TopKAttrs{3, 2, false}});
  all.push_back({OpKind::TopKIndices, {"a"}, TopKAttrs{1, 2, true}});
  all.push_back({OpKind::CumSum, {"x"}, CumAttrs{2, true, true}});
  all.push_back({OpKind::CumProd, {"a", "axis"}, CumAttrs{0, false, true}});
}

/// Examples of the data movement ops.
void addShapeExamples(std::vector<Example>& all) {
  all.push_back({OpKind::Reshape, {"a"}, NoAttrs{}, {3, 2}});
  all.push_back({OpKind::Expand, {"c"}, NoAttrs{}, {4, 3}});
  all.push_back({OpKind::Transpose, {"x"}, TransposeAttrs{{0, 2, 3, 1}}});
  all.push_back({OpKind::Concat, {"a", "a", "a"}, AxisAttrs{1}});
  all.push_back({OpKind::Slice, {"a"}, SliceAttrs{{1, 2}, {1, -2}}, {1, 2}});
  all.push_back({OpKind::Gather, {"a", "idx"}, AxisAttrs{1}});
  all.push_back({OpKind::Pad, {"a"}, PadAttrs{{0, 1, 1, 0}, PadMode::reflect, 0.5}});
  all.push_back({OpKind::GatherElements, {"a", "idx2"}, AxisAttrs{1}});
  all.push_back({OpKind::GatherND, {"x", "idxnd"}, GatherNDAttrs{1}});
  all.push_back({OpKind::ScatterElements, {"a", "idx2", "a"}, ScatterAttrs{1, ScatterReduction::max}});
  all.push_back({OpKind::ScatterND, {"a", "rows", "a"}, ScatterAttrs{0, ScatterReduction::add}});
  all.push_back({OpKind::ReverseSequence, {"a", "lens"}, ReverseSequenceAttrs{0, 1}});
  all.push_back({OpKind::TensorScatter, {"a", "a", "lens"}, TensorScatterAttrs{1, true}});
  all.push_back({OpKind::NonZero, {"a"}});
  all.push_back({OpKind::Compress, {"a", "q"}, AxisAttrs{1}});
  all.push_back({OpKind::NonMaxSuppression, {"boxes", "box_scores", "max_boxes", "thr", "thr"},
                 NmsAttrs{true, true}});
  all.push_back({OpKind::NonMaxSuppressionCount, {"boxes", "box_scores", "max_boxes", "thr"},
                 NmsAttrs{true, false}});
  for (OpKind k : {OpKind::SliceRuntime, OpKind::SliceRuntimeCheck})
    all.push_back({k, {"a", "window", "window", "window", "window"}, RuntimeSliceAttrs{{2, 2}}});
  for (OpKind k : {OpKind::Unique, OpKind::UniqueIndices, OpKind::UniqueInverse,
                   OpKind::UniqueCounts, OpKind::UniqueCount})
    all.push_back({k, {"a"}, UniqueAttrs{1, false}});
}

/// Examples of the quantization ops.
void addQuantizeExamples(std::vector<Example>& all) {
  all.push_back({OpKind::QuantizeLinear, {"a", "c"}, CastAttrs{DType::i8}});
  all.push_back({OpKind::DequantizeLinear, {"qa", "c", "qa"}, CastAttrs{DType::f64}});
}

/// One well-typed example per op kind, with non-default attributes wherever the op has any.
const std::vector<Example>& examples() {
  static const std::vector<Example> all = [] {
    std::vector<Example> v;
    addElementwiseExamples(v);
    addConvExamples(v);
    addLinearExamples(v);
    addReduceExamples(v);
    addShapeExamples(v);
    addQuantizeExamples(v);
    return v;
  }();
  return all;
}

std::string roundTrip(const std::string& text) {
  auto m = parseModule(text, {.allowElided = false});
  if (!m)
    return "parse error: " + m.status().format();
  return print(**m, {.elideConstants = false});
}

TEST(IrText, EveryOpKindRoundTrips) {
  std::set<OpKind> covered;
  for (const Example& e : examples()) {
    SCOPED_TRACE(std::string(opName(e.kind)));
    covered.insert(e.kind);
    Prelude p;
    std::vector<Value*> operands;
    for (const char* name : e.operands)
      operands.push_back(p.v.at(name));
    TensorType rt{DType::f32, e.resultShape};
    auto r = p.m.appendOp(e.kind, operands, e.attrs, "node \"1\"",
                          e.resultShape.empty() ? nullptr : &rt);
    ASSERT_TRUE(r) << r.status().format();
    if (!std::holds_alternative<NoAttrs>(e.attrs)) {
      EXPECT_NE(e.attrs, schema(e.kind).defaultAttrs) << "the example should not use defaults";
    }
    p.m.outputs.push_back(*r);
    ASSERT_TRUE(verify(p.m)) << verify(p.m).format();

    std::string first = print(p.m, {.elideConstants = false});
    EXPECT_NE(first.find(std::string(" = ") + std::string(opName(e.kind)) + "("), std::string::npos)
        << first;
    auto parsed = parseModule(first, {.allowElided = false});
    ASSERT_TRUE(parsed) << parsed.status().format() << "\n" << first;
    EXPECT_EQ(print(**parsed, {.elideConstants = false}), first);
    // Structural equality of the op, beyond the text.
    ASSERT_EQ((*parsed)->ops.size(), 1u);
    const Op& op = *(*parsed)->ops[0];
    EXPECT_EQ(op.kind, e.kind);
    EXPECT_EQ(op.attrs, e.attrs);
    EXPECT_EQ(op.result->type, (*r)->type);
    EXPECT_EQ(op.name, "node \"1\"");
    ASSERT_EQ(op.operands.size(), operands.size());
    for (size_t i = 0; i < operands.size(); ++i) {
      EXPECT_EQ(op.operands[i]->type, operands[i]->type);
      if (operands[i]->isConstant()) {
        ASSERT_TRUE(op.operands[i]->isConstant());
        EXPECT_EQ(*op.operands[i]->data, *operands[i]->data);
      }
    }
  }
  EXPECT_EQ(static_cast<int>(covered.size()), numOpKinds())
      << "every op kind in Ops.def needs an example here";
}

TEST(IrText, RuntimeExtentRoundTripsAndIsVerified) {
  Module m;
  Value* a = m.addInput(TensorType{DType::f32, {2, 3}}, "a");
  Value* n = m.addInput(TensorType{DType::i64, {}}, "n");
  auto nz = m.appendOp(OpKind::NonZero, {a}, NoAttrs{}, "nz");
  ASSERT_TRUE(nz) << nz.status().format();
  EXPECT_EQ((*nz)->type.shape, (std::vector<int64_t>{2, 6}));
  m.outputs.push_back(*nz);
  m.runtimeExtents[0] = {1, n};
  ASSERT_TRUE(verify(m)) << verify(m).format();
  std::string text = print(m);
  EXPECT_NE(text.find("extent(1, %1)"), std::string::npos) << text;
  auto parsed = parseModule(text);
  ASSERT_TRUE(parsed) << parsed.status().format() << "\n" << text;
  ASSERT_EQ((*parsed)->runtimeExtents.size(), 1u);
  EXPECT_EQ((*parsed)->runtimeExtents.at(0).axis, 1);
  EXPECT_EQ((*parsed)->runtimeExtents.at(0).length->name, "n");
  EXPECT_EQ(print(**parsed), text);
  // The length keeps its producer alive, and must be an i64 scalar on an axis of the output.
  EXPECT_EQ(m.useCounts()[n->id], 1);
  m.runtimeExtents[0] = {2, n};
  EXPECT_FALSE(verify(m));
  m.runtimeExtents[0] = {1, a};
  EXPECT_FALSE(verify(m));
}

TEST(IrText, LayoutQuantGroupAndNamesRoundTrip) {
  Module m;
  m.name = "my \"net\"";
  Value* x = m.addInput(TensorType{DType::f32, {1, 2, 2, 2}}, "in\\put");
  TensorType qt{DType::i8, {2}};
  qt.quant = QuantParams{0.0625, -3};
  Value* q = m.addConstant(qt, std::vector<uint8_t>{0x01, 0xff}, "q");
  auto r = m.appendOp(OpKind::Relu, {x}, NoAttrs{}, "r");
  ASSERT_TRUE(r);
  (*r)->type.layout = Layout::nhwc;
  m.ops.back()->group = 7;
  auto c = m.appendOp(OpKind::Clip, {*r}, ClipAttrs{-std::numeric_limits<double>::infinity(), 6});
  ASSERT_TRUE(c);
  auto n = m.appendOp(OpKind::Neg, {q}, NoAttrs{});
  ASSERT_TRUE(n);
  m.outputs = {*c, *n};
  std::string text = print(m, {.elideConstants = false});
  EXPECT_TRUE(test::fileCheck(text, {"CHECK: module \"my \\\"net\\\"\"", "CHECK: \"in\\\\put\"",
                                     "CHECK: i8[2]<q 0.0625, -3>", "CHECK: dense<\"01ff\">",
                                     "CHECK: f32[1,2,2,2]{nhwc} #g7 loc(\"r\")",
                                     "CHECK: {min=-inf, max=6}"}));
  EXPECT_EQ(roundTrip(text), text);
}

// hwio conv weights [OC=32, IC=8, KH=1, KW=2] with block 16 and group 4 are stored
// [OC/16][KH][KW][IC/4][16][4] (TensorType::group).
TEST(IrType, GroupedWeightsLayout) {
  TensorType t{DType::i8, {32, 8, 1, 2}};
  t.layout = Layout::hwio;
  t.block = 16;
  t.group = 4;
  EXPECT_EQ(t.blockedAxis(), 0);
  EXPECT_EQ(t.groupedAxis(), 1);
  auto offset = [&](int64_t oc, int64_t ic, int64_t kw) {
    return ((((oc / 16) * 1 + 0) * 2 + kw) * 2 + ic / 4) * 64 + (oc % 16) * 4 + ic % 4;
  };
  for (int64_t oc : {0, 5, 16, 31})
    for (int64_t ic : {0, 3, 4, 7})
      for (int64_t kw : {0, 1})
        EXPECT_EQ(storageOffset(t, {oc, ic, 0, kw}), offset(oc, ic, kw)) << oc << " " << ic;
  std::vector<BufferDim> dims = bufferDims(t); // Halide order: kw, kh, ic%4, oc%16, oc/16, ic/4
  ASSERT_EQ(dims.size(), 6u);
  EXPECT_EQ(dims[2].extent, 4);
  EXPECT_EQ(dims[2].stride, 1);
  EXPECT_EQ(dims[3].stride, 4);
  EXPECT_EQ(dims[5].stride, 64);
  EXPECT_EQ(dims[0].stride, 128);
  EXPECT_EQ(dims[4].stride, 256);

  Module m;
  Value* c = m.addConstant(t, std::vector<uint8_t>(512, 1), "w");
  Value* x = m.addInput(TensorType{DType::u8, {1, 8, 3, 3}}, "x");
  ConvAttrs a{{1, 1}, {0, 0, 0, 0}, {1, 1}, 1};
  a.padValue = 7;
  auto y = m.appendOp(OpKind::Conv, {x, c}, a);
  ASSERT_TRUE(y) << y.status().message();
  EXPECT_EQ((*y)->type.dtype, DType::i32);
  m.outputs = {*y};
  std::string text = print(m, {.elideConstants = false});
  EXPECT_TRUE(test::fileCheck(text, {"CHECK: i8[32,8,1,2]{hwio,b16,g4}", "CHECK: pad_value=7}"}));
  EXPECT_EQ(roundTrip(text), text);
  c->type.group = 3;
  EXPECT_FALSE(verify(m).isOk());
}

TEST(IrText, ConstantsAddedAfterOpsRoundTrip) {
  // Passes and the importer add constants after ops (fold-batch-norm, gather index rewriting), so
  // value ids are not in printed order.
  Module m;
  Value* x = m.addInput(TensorType{DType::f32, {3}}, "x");
  auto r = m.appendOp(OpKind::Relu, {x}, NoAttrs{});
  ASSERT_TRUE(r);
  Value* k = m.addConstant(TensorType{DType::f32, {3}}, floatBytes({1, 2, 3}), "k");
  auto s = m.appendOp(OpKind::Add, {*r, k}, NoAttrs{});
  ASSERT_TRUE(s);
  m.outputs = {*s};
  std::string text = print(m, {.elideConstants = false});
  EXPECT_EQ(roundTrip(text), text);
}

TEST(IrText, ElidedConstants) {
  Module m;
  Value* x = m.addInput(TensorType{DType::f32, {20}}, "x");
  Value* k = m.addConstant(TensorType{DType::f32, {20}}, floatBytes(iota(20)), "k");
  auto s = m.appendOp(OpKind::Add, {x, k}, NoAttrs{});
  ASSERT_TRUE(s);
  m.outputs = {*s};
  std::string text = print(m); // 20 elements > elideAbove
  EXPECT_TRUE(test::fileCheck(text, {"CHECK: const @1 \"k\" : f32[20] = elided"}));
  auto strict = parseModule(text, {.allowElided = false});
  ASSERT_FALSE(strict);
  EXPECT_TRUE(strict.status().message().starts_with("ir:3:")) << strict.status().message();
  EXPECT_NE(strict.status().message().find("elided"), std::string::npos);
  auto lenient = parseModule(text, {.allowElided = true});
  ASSERT_TRUE(lenient) << lenient.status().format();
  EXPECT_EQ(*(*lenient)->constants[0]->data, std::vector<uint8_t>(80, 0));
}

/// The parse error of `body` placed after `input %0 "x" : f32[2]` (line 2) in a module.
std::string parseError(const std::string& body) {
  std::string text = "module \"m\" {\n  input %0 \"x\" : f32[2]\n" + body + "}\n";
  auto m = parseModule(text);
  if (m)
    return "parsed";
  return m.status().message();
}

TEST(IrParser, ErrorsNameLineAndColumn) {
  EXPECT_EQ(parseError("  %1 = frobnicate(%0) : f32[2]\n"), "ir:3:18: unknown op 'frobnicate'");
  EXPECT_EQ(parseError("  %1 = relu(%7) : f32[2]\n"), "ir:3:15: '%7' is not defined");
  EXPECT_EQ(parseError("  input %1 \"y\" : f31[2]\n"), "ir:3:21: unknown element type 'f31'");
  EXPECT_EQ(parseError("  %1 = relu(%0) : f32[2]\n  %1 = neg(%0) : f32[2]\n"),
            "ir:4:3: '%1' is defined twice");
  std::string mismatch = parseError("  %1 = relu(%0) : f32[3]\n");
  EXPECT_TRUE(mismatch.starts_with("ir:3:3: relu: ")) << mismatch;
  EXPECT_NE(mismatch.find("result type f32[3] does not match the inferred f32[2]"),
            std::string::npos)
      << mismatch;
  std::string attr = parseError("  %1 = clip(%0) {min=0, maxx=1} : f32[2]\n");
  EXPECT_TRUE(attr.starts_with("ir:3:")) << attr;
  EXPECT_NE(attr.find("unknown attribute 'maxx'"), std::string::npos) << attr;
  std::string dense = parseError("  const @1 \"k\" : f32[2] = dense<\"0000\">\n");
  EXPECT_TRUE(dense.starts_with("ir:3:")) << dense;
  EXPECT_NE(dense.find("dense data has 2 bytes, type f32[2] needs 8"), std::string::npos) << dense;
  // A type whose byte size overflows 64 bits (found by fuzz_ir_parser): an error, not UB.
  std::string huge =
      parseError("  const @1 \"w\" : f32[2,2000000000000030621] = dense<\"00\">\n");
  EXPECT_TRUE(huge.starts_with("ir:3:")) << huge;
  EXPECT_NE(huge.find("2000000000000030621"), std::string::npos) << huge;
  std::string negative = parseError("  input %1 \"y\" : f32[2,-3]\n");
  EXPECT_TRUE(negative.starts_with("ir:3:")) << negative;
}

TEST(IrVerify, CatchesWrongResultType) {
  Module m;
  m.sourceFile = "net.onnx";
  Value* x = m.addInput(TensorType{DType::f32, {2, 3}}, "x");
  auto r = m.appendOp(OpKind::Relu, {x}, NoAttrs{}, "act");
  ASSERT_TRUE(r);
  m.outputs = {*r};
  ASSERT_TRUE(verify(m));
  (*r)->type.shape = {3, 2};
  Status s = verify(m);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.format(),
            "error: net.onnx: node 'act' (relu): result type f32[3,2] differs from the inferred "
            "f32[2,3]");
}

TEST(IrVerify, CatchesUseBeforeDefinition) {
  Module m;
  Value* x = m.addInput(TensorType{DType::f32, {2}}, "x");
  auto a = m.appendOp(OpKind::Relu, {x}, NoAttrs{}, "a");
  auto b = m.appendOp(OpKind::Neg, {*a}, NoAttrs{}, "b");
  ASSERT_TRUE(a && b);
  m.outputs = {*b};
  std::swap(m.ops[0], m.ops[1]);
  Status s = verify(m);
  ASSERT_FALSE(s);
  EXPECT_NE(s.format().find("node 'b' (neg): operand %1 is used before it is defined"),
            std::string::npos)
      << s.format();
}

/// The type inference error of appending `kind` over `operands`.
std::string inferError(Module& m, OpKind kind, std::vector<Value*> operands, Attrs attrs,
                       const TensorType* result = nullptr) {
  auto r = m.appendOp(kind, std::move(operands), std::move(attrs), "", result);
  return r ? "ok" : r.status().message();
}

TEST(IrInfer, Errors) {
  Prelude p;
  auto& v = p.v;
  EXPECT_EQ(
      inferError(p.m, OpKind::Conv, {v["x"], v["w"]}, ConvAttrs{{1, 1}, {0, 0, 0, 0}, {1, 1}, 3}),
      "group=3 does not divide 4 input channels");
  EXPECT_EQ(
      inferError(p.m, OpKind::Conv, {v["x"], v["w"]}, ConvAttrs{{1, 1}, {0, 0, 0, 0}, {1, 1}, 1}),
      "weights expect 2 input channels per group, input has 4");
  EXPECT_EQ(inferError(p.m, OpKind::MatMul, {v["a"], v["a"]}, NoAttrs{}),
            "inner dimensions 3 and 2 differ");
  EXPECT_EQ(inferError(p.m, OpKind::MatMul, {v["qa"], v["a"]}, NoAttrs{}),
            "operands of types u8 and f32 (the same type, or 8-bit integers with an i32 result)");
  ConvAttrs padded{{1, 1}, {1, 1, 1, 1}, {1, 1}, 2};
  padded.padValue = 3;
  EXPECT_EQ(inferError(p.m, OpKind::Conv, {v["x"], v["w"]}, padded),
            "pad_value=3 on a f32 conv (only integer convs of 8-bit inputs pad with their zero "
            "point)");
  EXPECT_EQ(inferError(p.m, OpKind::Gemm, {v["a"], v["gb"]}, GemmAttrs{}),
            "inner dimensions 3 and 4 differ");
  EXPECT_EQ(inferError(p.m, OpKind::Add, {v["a"], v["s4"]}, NoAttrs{}),
            "shapes [2,3] and [4] do not broadcast");
  TensorType bad{DType::f32, {4, 2}};
  EXPECT_EQ(inferError(p.m, OpKind::Reshape, {v["a"]}, NoAttrs{}, &bad),
            "cannot reshape [2,3] (6 elements) to [4,2]");
  EXPECT_EQ(inferError(p.m, OpKind::Reshape, {v["a"]}, NoAttrs{}), "reshape needs its result type");
  EXPECT_EQ(inferError(p.m, OpKind::Relu, {v["a"], v["a"]}, NoAttrs{}),
            "relu takes 1 operands, got 2");
  EXPECT_EQ(inferError(p.m, OpKind::Relu, {v["a"]}, AxisAttrs{1}),
            "relu has attributes of the wrong kind");
  EXPECT_EQ(inferError(p.m, OpKind::Softmax, {v["a"]}, AxisAttrs{2}),
            "axis 2 is out of range for rank 2");
  TensorType outside{DType::f32, {2, 3}};
  EXPECT_EQ(inferError(p.m, OpKind::Slice, {v["a"]}, SliceAttrs{{0, 1}, {1, 1}}, &outside),
            "slice of axis 1 reads outside [0, 3)");
  EXPECT_EQ(inferError(p.m, OpKind::Sqrt, {v["idx"]}, NoAttrs{}),
            "expects a float operand, got i64");
  // Pads whose sum with the extent overflows 64 bits (found by the compile fuzzer: signed
  // overflow, undefined behaviour, before the check).
  constexpr int64_t kHuge = std::numeric_limits<int64_t>::max() - 1;
  EXPECT_EQ(inferError(p.m, OpKind::Pad, {v["a"]}, PadAttrs{{0, kHuge, 0, kHuge}}),
            "pads make axis 1 overflow 64 bits");
  EXPECT_EQ(inferError(p.m, OpKind::Pad, {v["a"]}, PadAttrs{{0, -4, 0, 0}}),
            "pads make axis 1 negative");
  EXPECT_EQ(p.m.ops.size(), 0u) << "failed appends must not leave ops behind";
}

} // namespace
} // namespace dnncc
