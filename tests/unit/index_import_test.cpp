// Tests of the index, arg-reduction and scan ops through the ONNX importer (ArgMax, TopK, CumSum,
// GatherND, ScatterElements, ScatterND, TensorScatter, Trilu, DepthToSpace, OneHot, Range,
// EyeLike, LpNormalization):
// imported models checked as IR and, through the reference interpreter, as numbers against values
// worked out by hand from the ONNX spec; and one test per user-facing import error of them.
#include <gtest/gtest.h>

#include "frontend/onnx/Importer.h"
#include "ir/Text.h"
#include "test_util.h"

namespace dnncc {
namespace {
using test::asFloats;
using test::asInt64s;
using test::attrInt;
using test::attrString;
using test::Bytes;
using test::floatBytes;
using test::int64Bytes;
using test::OnnxBuilder;
using Floats = std::vector<float>;
using Ints = std::vector<int64_t>;

Expected<std::unique_ptr<Module>> importModel(const OnnxBuilder& b, std::string* path = nullptr) {
  std::string p = b.write(test::testDir());
  if (path)
    *path = p;
  ImportOptions o;
  o.evaluator = &test::referenceEvaluator();
  return importOnnx(p, o);
}

/// The import error of `b` without the "error: <path>: " prefix.
std::string importError(const OnnxBuilder& b) {
  std::string path;
  auto m = importModel(b, &path);
  if (m)
    return "imported";
  std::string s = m.status().format();
  std::string prefix = "error: " + path + ": ";
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

/// Runs `m` and returns every output's bytes.
std::vector<Bytes> run(const Module& m, const std::vector<Bytes>& inputs) {
  auto out = test::interpret(m, inputs);
  EXPECT_TRUE(out) << out.status().format();
  return out ? *out : std::vector<Bytes>{};
}

#define IMPORT_OR_FAIL(var, builder)                                                               \
  auto var##Expected = importModel(builder);                                                       \
  ASSERT_TRUE(var##Expected) << var##Expected.status().format();                                   \
  Module& var = **var##Expected;                                                                   \
  ASSERT_TRUE(verify(var)) << verify(var).format()

TEST(ImportArg, ArgMaxLastIndexWithoutKeepdims) {
  OnnxBuilder b(13);
  b.input("x", {2, 4});
  auto& n = b.node("ArgMax", {"x"}, {"y"}, "argmax");
  attrInt(n, "axis", -1);
  attrInt(n, "keepdims", 0);
  attrInt(n, "select_last_index", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (Ints{2}));
  auto out = run(m, {floatBytes({1, 3, 3, 0, -1, -2, -1, -5})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(asInt64s(out[0]), (Ints{2, 2}));
}

TEST(ImportArg, ArgMinFirstIndexKeepdims) {
  OnnxBuilder b(11);
  b.input("x", {3, 2});
  b.node("ArgMin", {"x"}, {"y"}, "argmin");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (Ints{1, 2}));
  auto out = run(m, {floatBytes({2, 0, 1, 0, 1, 5})});
  EXPECT_EQ(asInt64s(out.at(0)), (Ints{1, 0}));
}

TEST(ImportTopK, ConstantKValuesAndIndicesWithTies) {
  OnnxBuilder b(11);
  b.input("x", {2, 5});
  b.initializerI64("k", {1}, {3});
  attrInt(b.node("TopK", {"x", "k"}, {"v", "i"}, "topk"), "largest", 0);
  b.output("v");
  b.output("i");
  IMPORT_OR_FAIL(m, b);
  auto out = run(m, {floatBytes({4, 1, 3, 1, 2, 0, 0, 9, -1, 0})});
  ASSERT_EQ(out.size(), 2u);
  // Smallest first; equal values keep their input order.
  EXPECT_EQ(asFloats(out[0]), (Floats{1, 1, 2, -1, 0, 0}));
  EXPECT_EQ(asInt64s(out[1]), (Ints{1, 3, 4, 3, 0, 1}));
}

TEST(ImportCumSum, ExclusiveReverseConstantAxis) {
  OnnxBuilder b(14);
  b.input("x", {2, 3});
  b.initializerI64("axis", {}, {-1});
  auto& n = b.node("CumSum", {"x", "axis"}, {"y"}, "cumsum");
  attrInt(n, "exclusive", 1);
  attrInt(n, "reverse", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  const Op* op = test::findOp(m, OpKind::CumSum);
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->operands.size(), 1u);
  EXPECT_EQ(op->attr<CumAttrs>(), (CumAttrs{1, true, true}));
  auto out = run(m, {floatBytes({1, 2, 3, 4, 5, 6})});
  EXPECT_EQ(asFloats(out.at(0)), (Floats{5, 3, 0, 11, 6, 0}));
}

TEST(ImportCumSum, RuntimeAxisSelectsTheScan) {
  OnnxBuilder b(14);
  b.input("x", {2, 3});
  b.input("axis", {}, onnx::TensorProto::INT64);
  b.node("CumSum", {"x", "axis"}, {"y"}, "cumsum");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  Bytes x = floatBytes({1, 2, 3, 4, 5, 6});
  EXPECT_EQ(asFloats(run(m, {x, int64Bytes({0})}).at(0)), (Floats{1, 2, 3, 5, 7, 9}));
  EXPECT_EQ(asFloats(run(m, {x, int64Bytes({-1})}).at(0)), (Floats{1, 3, 6, 4, 9, 15}));
}

TEST(ImportGatherND, BatchDims) {
  OnnxBuilder b(13);
  b.input("x", {2, 2, 2});
  b.initializerI64("i", {2, 1}, {1, -2});
  attrInt(b.node("GatherND", {"x", "i"}, {"y"}, "gnd"), "batch_dims", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (Ints{2, 2}));
  auto out = run(m, {floatBytes({0, 1, 2, 3, 4, 5, 6, 7})});
  EXPECT_EQ(asFloats(out.at(0)), (Floats{2, 3, 4, 5}));
}

TEST(ImportScatter, ElementsAddWithDuplicateAndNegativeIndices) {
  OnnxBuilder b(18);
  b.input("x", {1, 5});
  b.input("u", {1, 3});
  b.initializerI64("i", {1, 3}, {1, -4, 4});
  auto& n = b.node("ScatterElements", {"x", "i", "u"}, {"y"}, "sc");
  attrString(n, "reduction", "add");
  attrInt(n, "axis", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  auto out = run(m, {floatBytes({1, 2, 3, 4, 5}), floatBytes({10, 20, 30})});
  EXPECT_EQ(asFloats(out.at(0)), (Floats{1, 32, 3, 4, 35}));
}

TEST(ImportScatter, NDMultiplyRows) {
  OnnxBuilder b(18);
  b.input("x", {3, 2});
  b.input("u", {2, 2});
  b.initializerI64("i", {2, 1}, {2, 0});
  attrString(b.node("ScatterND", {"x", "i", "u"}, {"y"}, "snd"), "reduction", "mul");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  auto out = run(m, {floatBytes({1, 2, 3, 4, 5, 6}), floatBytes({2, 3, 4, 5})});
  EXPECT_EQ(asFloats(out.at(0)), (Floats{4, 10, 3, 4, 10, 18}));
}

TEST(ImportTrilu, LowerWithRuntimeK) {
  OnnxBuilder b(14);
  b.input("x", {2, 3});
  b.input("k", {}, onnx::TensorProto::INT64);
  attrInt(b.node("Trilu", {"x", "k"}, {"y"}, "tril"), "upper", 0);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  Bytes x = floatBytes({1, 2, 3, 4, 5, 6});
  EXPECT_EQ(asFloats(run(m, {x, int64Bytes({0})}).at(0)), (Floats{1, 0, 0, 4, 5, 0}));
  EXPECT_EQ(asFloats(run(m, {x, int64Bytes({-1})}).at(0)), (Floats{0, 0, 0, 4, 0, 0}));
}

TEST(ImportDepthToSpace, DcrAndCrdModes) {
  for (const char* mode : {"DCR", "CRD"}) {
    OnnxBuilder b(13);
    b.input("x", {1, 8, 1, 1});
    auto& n = b.node("DepthToSpace", {"x"}, {"y"}, "d2s");
    attrInt(n, "blocksize", 2);
    attrString(n, "mode", mode);
    b.output("y");
    IMPORT_OR_FAIL(m, b);
    EXPECT_EQ(m.outputs[0]->type.shape, (Ints{1, 2, 2, 2}));
    // DCR: y[0, o, i, j] = x[(2i + j) * 2 + o]; CRD: y[0, o, i, j] = x[4o + 2i + j].
    Floats want = std::string(mode) == "DCR" ? Floats{1, 3, 5, 7, 2, 4, 6, 8}
                                             : Floats{1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_EQ(asFloats(run(m, {floatBytes({1, 2, 3, 4, 5, 6, 7, 8})}).at(0)), want) << mode;
  }
}

TEST(ImportRange, FoldsToAConstant) {
  OnnxBuilder b(13);
  b.initializerI64("s", {}, {10});
  b.initializerI64("l", {}, {3});
  b.initializerI64("d", {}, {-3});
  b.node("Range", {"s", "l", "d"}, {"y"}, "range");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (Ints{3}));
  EXPECT_EQ(asInt64s(run(m, {}).at(0)), (Ints{10, 7, 4}));
}

// Zero-size tensors (an extent of 0 is a valid ONNX shape): an empty range, and a tile with a
// repeat of 0 whose empty result a concat drops.
TEST(ImportRange, EmptyRangeIsAZeroSizeConstant) {
  OnnxBuilder b(13);
  b.initializerI64("s", {}, {3});
  b.initializerI64("l", {}, {3});
  b.initializerI64("d", {}, {1});
  b.node("Range", {"s", "l", "d"}, {"y"}, "range");
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (Ints{0}));
  EXPECT_TRUE(run(m, {}).at(0).empty());
}

TEST(ImportTile, ZeroRepeatsGiveAnEmptyTensor) {
  OnnxBuilder b(13);
  b.input("x", {2, 2});
  b.initializerI64("r", {2}, {1, 0});
  b.node("Tile", {"x", "r"}, {"t"}, "tile");
  attrInt(b.node("Concat", {"x", "t"}, {"y"}, "concat"), "axis", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (Ints{2, 2}));
  Floats x{1, 2, 3, 4};
  EXPECT_EQ(asFloats(run(m, {floatBytes(x)}).at(0)), x);
}

TEST(ImportEyeLike, OffDiagonalConstant) {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  attrInt(b.node("EyeLike", {"x"}, {"y"}, "eye"), "k", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(asFloats(run(m, {floatBytes({7, 7, 7, 7, 7, 7})}).at(0)), (Floats{0, 1, 0, 0, 0, 1}));
}

TEST(ImportLpNormalization, ZeroNormGivesZero) {
  OnnxBuilder b(13);
  b.input("x", {2, 2});
  attrInt(b.node("LpNormalization", {"x"}, {"y"}, "lp"), "p", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(asFloats(run(m, {floatBytes({0, 0, -1, 3})}).at(0)), (Floats{0, 0, -0.25f, 0.75f}));
}

TEST(ImportOneHot, ConstantDepthNegativeAndOutOfRangeIndices) {
  OnnxBuilder b(11);
  b.input("i", {3}, onnx::TensorProto::INT64);
  b.initializerI64("depth", {}, {3});
  b.initializer("values", {2}, {-1, 5});
  attrInt(b.node("OneHot", {"i", "depth", "values"}, {"y"}, "oh"), "axis", 0);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (Ints{3, 3}));
  // Indices 2, -3 (= 0) and 3 (out of range: all off); axis 0 puts depth first: y[j, n].
  auto out = run(m, {int64Bytes({2, -3, 3})});
  EXPECT_EQ(asFloats(out.at(0)), (Floats{-1, 5, -1, -1, -1, -1, 5, -1, -1}));
}

TEST(ImportTensorScatter, CircularWrapsAroundTheCache) {
  OnnxBuilder b(24);
  b.input("cache", {2, 4});
  b.input("update", {2, 2});
  b.initializerI64("w", {2}, {3, 1});
  auto& n = b.node("TensorScatter", {"cache", "update", "w"}, {"y"}, "ts");
  attrString(n, "mode", "circular");
  attrInt(n, "axis", 1);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  auto out = run(m, {floatBytes({0, 0, 0, 0, 0, 0, 0, 0}), floatBytes({1, 2, 3, 4})});
  EXPECT_EQ(asFloats(out.at(0)), (Floats{2, 0, 0, 1, 0, 3, 4, 0}));
}

TEST(ImportReduce, L2WithAnEmptyAxesInputReducesEverything) {
  OnnxBuilder b(18);
  b.input("x", {2, 2});
  b.input("axes", {0}, onnx::TensorProto::INT64); // no elements: its value is known
  attrInt(b.node("ReduceL2", {"x", "axes"}, {"y"}, "l2"), "keepdims", 0);
  b.output("y");
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(m.outputs[0]->type.shape, (Ints{}));
  auto out = run(m, {floatBytes({1, 2, -2, 4}), int64Bytes({})});
  EXPECT_EQ(asFloats(out.at(0)), (Floats{5}));
}

// Axes known only at run time, no keepdims, declared [3, 2] from a [3, 2, 2] input: axis 1 and
// axis 2 both fit, so both sums are computed and the run's axes pick one; axis 0 fails the run.
TEST(ImportReduce, RuntimeAxesThatTheDeclaredShapeLeavesAmbiguous) {
  OnnxBuilder b(18);
  b.input("x", {3, 2, 2});
  b.input("axes", {1}, onnx::TensorProto::INT64);
  attrInt(b.node("ReduceSum", {"x", "axes"}, {"y"}, "sum"), "keepdims", 0);
  b.output("y");
  auto* t = b.graph->mutable_output(0)->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_value(3);
  t->mutable_shape()->add_dim()->set_dim_value(2);
  IMPORT_OR_FAIL(m, b);
  Bytes x = floatBytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  EXPECT_EQ(asFloats(run(m, {x, int64Bytes({1})}).at(0)), (Floats{4, 6, 12, 14, 20, 22}));
  EXPECT_EQ(asFloats(run(m, {x, int64Bytes({-1})}).at(0)), (Floats{3, 7, 11, 15, 19, 23}));
  EXPECT_FALSE(test::interpret(m, {x, int64Bytes({0})}));
}

// Window functions of a size known only at run time: the declared length [4], checked.
TEST(ImportWindow, HannOfADeclaredLength) {
  OnnxBuilder b(17);
  b.input("n", {}, onnx::TensorProto::INT64);
  b.node("HannWindow", {"n"}, {"y"}, "hann");
  b.output("y");
  auto* t = b.graph->mutable_output(0)->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_value(4);
  IMPORT_OR_FAIL(m, b);
  auto y = asFloats(run(m, {int64Bytes({4})}).at(0)); // periodic: sin^2(pi n / 4)
  ASSERT_EQ(y.size(), 4u);
  EXPECT_FLOAT_EQ(y[0], 0.0f);
  EXPECT_FLOAT_EQ(y[1], 0.5f);
  EXPECT_FLOAT_EQ(y[2], 1.0f);
  EXPECT_FLOAT_EQ(y[3], 0.5f);
  EXPECT_FALSE(test::interpret(m, {int64Bytes({5})}));
}

// ---- errors ----

TEST(ImportIndexErrors, RuntimeRange) {
  OnnxBuilder b(13);
  b.input("s", {}, onnx::TensorProto::INT64);
  b.initializerI64("l", {}, {3});
  b.initializerI64("d", {}, {1});
  b.node("Range", {"s", "l", "d"}, {"y"}, "r");
  b.output("y");
  EXPECT_EQ(importError(b), "node 'r' (Range, opset 13): input 0 (start) is not a constant: a "
                            "Range known only at run time needs a declared static output shape "
                            "[n]");
}

// start known only at run time, output declared [4]: start + [0, 1, 2, 3] * delta, and a run
// whose start gives another length fails.
TEST(ImportRange, RuntimeStartWithADeclaredShape) {
  OnnxBuilder b(13);
  b.input("s", {}, onnx::TensorProto::INT64);
  b.initializerI64("l", {}, {10});
  b.initializerI64("d", {}, {2});
  b.node("Range", {"s", "l", "d"}, {"y"}, "range");
  b.output("y");
  auto* shape = b.graph->mutable_output(0)->mutable_type()->mutable_tensor_type();
  shape->set_elem_type(onnx::TensorProto::INT64);
  shape->mutable_shape()->add_dim()->set_dim_value(4);
  IMPORT_OR_FAIL(m, b);
  EXPECT_EQ(asInt64s(run(m, {int64Bytes({3})}).at(0)), (Ints{3, 5, 7, 9}));
  EXPECT_EQ(asInt64s(run(m, {int64Bytes({2})}).at(0)), (Ints{2, 4, 6, 8}));
  EXPECT_FALSE(test::interpret(m, {int64Bytes({0})})); // 5 elements
}

TEST(ImportIndexErrors, NegativeTileRepeats) {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  b.initializerI64("r", {2}, {1, -1});
  b.node("Tile", {"x", "r"}, {"y"}, "t");
  b.output("y");
  EXPECT_EQ(importError(b), "node 't' (Tile, opset 13): repeats[1]=-1 is negative");
}

TEST(ImportIndexErrors, TopKOutOfRange) {
  OnnxBuilder b(11);
  b.input("x", {2, 5});
  b.initializerI64("k", {1}, {6});
  b.node("TopK", {"x", "k"}, {"v", "i"}, "t");
  b.output("v");
  EXPECT_EQ(importError(b), "node 't' (TopK, opset 11): k=6 is out of range [1, 5]");
}

TEST(ImportIndexErrors, TileRuntimeRepeats) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.input("r", {1}, onnx::TensorProto::INT64);
  b.node("Tile", {"x", "r"}, {"y"}, "t");
  b.output("y");
  EXPECT_EQ(importError(b), "node 't' (Tile, opset 13): repeats (input 1) must be a constant, or the "
            "node's output must have a declared static shape (it is known only at run time)");
}

TEST(ImportIndexErrors, ScatterReductionNotYetDefined) {
  OnnxBuilder b(16);
  b.input("x", {3});
  b.input("u", {1});
  b.initializerI64("i", {1}, {0});
  attrString(b.node("ScatterElements", {"x", "i", "u"}, {"y"}, "s"), "reduction", "max");
  b.output("y");
  EXPECT_EQ(importError(b),
            "node 's' (ScatterElements, opset 16): reduction='max' is not defined at opset 16");
}

TEST(ImportIndexErrors, ConstantIndexOutOfRange) {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  b.initializerI64("i", {1, 1}, {3});
  attrInt(b.node("GatherElements", {"x", "i"}, {"y"}, "g"), "axis", 1);
  b.output("y");
  EXPECT_EQ(importError(b),
            "node 'g' (GatherElements, opset 13): index 3 is out of range for axis extent 3");
}

TEST(ImportIndexErrors, LpNormalizationP) {
  OnnxBuilder b(13);
  b.input("x", {2});
  attrInt(b.node("LpNormalization", {"x"}, {"y"}, "lp"), "p", 3);
  b.output("y");
  EXPECT_EQ(importError(b), "node 'lp' (LpNormalization, opset 13): p=3 is not supported (only 1 "
                            "and 2 are defined)");
}

TEST(ImportIndexErrors, DepthToSpaceChannels) {
  OnnxBuilder b(13);
  b.input("x", {1, 6, 2, 2});
  attrInt(b.node("DepthToSpace", {"x"}, {"y"}, "d"), "blocksize", 2);
  b.output("y");
  EXPECT_EQ(importError(b), "node 'd' (DepthToSpace, opset 13): 6 channels are not a multiple of "
                            "blocksize^2 = 4");
}

TEST(ImportIndexErrors, OneHotRuntimeDepth) {
  OnnxBuilder b(11);
  b.input("i", {3}, onnx::TensorProto::INT64);
  b.input("depth", {}, onnx::TensorProto::INT64);
  b.initializer("values", {2}, {0, 1});
  b.node("OneHot", {"i", "depth", "values"}, {"y"}, "oh");
  b.output("y");
  EXPECT_EQ(importError(b), "node 'oh' (OneHot, opset 11): depth (input 1) must be a constant, or "
                            "the node's output must have a declared static shape (it is known "
                            "only at run time)");
}

TEST(ImportIndexErrors, TriluRank) {
  OnnxBuilder b(14);
  b.input("x", {4});
  b.node("Trilu", {"x"}, {"y"}, "t");
  b.output("y");
  EXPECT_EQ(importError(b), "node 't' (Trilu, opset 14): the input must have rank >= 2, got 1");
}

} // namespace
} // namespace dnncc
