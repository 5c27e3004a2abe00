// NNEF element-wise operations (NNEF 1.0 sections 4.3 and 4.5: unary, binary, select, clamp,
// activations). Binary operations broadcast the NNEF way: shapes aligned from the left.
// gelu has no row: its standard-library fragment, x * sigmoid(1.702 x), defines it (tract
// computes the same), and the parser lowers it so.
#include <cmath>
#include <numbers>

#include "frontend/nnef/Converters.h"

namespace dnncc::nnefimport {
namespace {

template <OpKind K> Status unary(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {x}));
  return c.setOutput("y", y);
}

/// `kind` on x and y after aligning their ranks; `negate` adds a logical not (le, ge, ne).
Status binary(OpContext& c, OpKind kind, bool negate = false) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.input("y"));
  DNNCC_ASSIGN_OR_RETURN(auto xy, c.alignRanks(x, y));
  DNNCC_ASSIGN_OR_RETURN(Value * z, c.emit(kind, {xy.first, xy.second}));
  if (negate) {
    DNNCC_ASSIGN_OR_RETURN(z, c.emit(OpKind::Not, {z}));
  }
  return c.setOutput("z", z);
}
template <OpKind K, bool Negate = false> Status binaryOp(OpContext& c) {
  return binary(c, K, Negate);
}

Status square(OpContext& c, Value* x, Value*& out) {
  DNNCC_ASSIGN_OR_RETURN(out, c.emit(OpKind::Mul, {x, x}));
  return Status::ok();
}

Status sqr(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  Value* y = nullptr;
  DNNCC_TRY(square(c, x, y));
  return c.setOutput("y", y);
}

Status rsqr(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  Value* y = nullptr;
  DNNCC_TRY(square(c, x, y));
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Reciprocal, {y}));
  return c.setOutput("y", y);
}

Status rsqrt(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Sqrt, {x}));
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Reciprocal, {y}));
  return c.setOutput("y", y);
}

Status log2(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Log, {x}));
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Mul, {y, c.scalar(DType::f32, 1 / std::numbers::ln2)}));
  return c.setOutput("y", y);
}

/// NNEF round rounds halves away from zero (the C library's round): sign(x) floor(|x| + 0.5).
Status round(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.emit(OpKind::Abs, {x}));
  DNNCC_ASSIGN_OR_RETURN(a, c.emit(OpKind::Add, {a, c.scalar(DType::f32, 0.5)}));
  DNNCC_ASSIGN_OR_RETURN(a, c.emit(OpKind::Floor, {a}));
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.emit(OpKind::Sign, {x}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Mul, {s, a}));
  return c.setOutput("y", y);
}

Status select(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * cond, c.input("condition"));
  DType t = c.dtype();
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input("true_value", t));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input("false_value", t));
  const int rank = std::max({cond->type.rank(), a->type.rank(), b->type.rank()});
  DNNCC_ASSIGN_OR_RETURN(cond, c.padRank(cond, rank));
  DNNCC_ASSIGN_OR_RETURN(a, c.padRank(a, rank));
  DNNCC_ASSIGN_OR_RETURN(b, c.padRank(b, rank));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Where, {cond, a, b}));
  return c.setOutput("output", y);
}

Status clamp(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input("a"));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input("b"));
  if (a->isConstant() && b->isConstant() && a->type.rank() == 0 && b->type.rank() == 0) {
    ClipAttrs clip{*a->dataAs<float>(), *b->dataAs<float>()};
    DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Clip, {x}, clip));
    return c.setOutput("y", y);
  }
  // y = max(min(x, b), a)
  DNNCC_ASSIGN_OR_RETURN(auto xb, c.alignRanks(x, b));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Min, {xb.first, xb.second}));
  DNNCC_ASSIGN_OR_RETURN(auto ya, c.alignRanks(y, a));
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Max, {ya.first, ya.second}));
  return c.setOutput("y", y);
}

Status copy(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Identity, {x}));
  return c.setOutput("y", y);
}

Status elu(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Elu, {x}, AlphaAttrs{c.attrScalar("alpha")}));
  return c.setOutput("y", y);
}

Status selu(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  SeluAttrs a{c.attrScalar("alpha"), c.attrScalar("lambda")};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Selu, {x}, a));
  return c.setOutput("y", y);
}

Status silu(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Swish, {x}, AlphaAttrs{1.0}));
  return c.setOutput("y", y);
}

Status leakyRelu(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.emit(OpKind::LeakyRelu, {x}, LeakyReluAttrs{c.attrScalar("alpha")}));
  return c.setOutput("y", y);
}

/// prelu: select(x < 0, alpha x, x) with alpha broadcast the NNEF way ([1, C] per channel).
Status prelu(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(Value * alpha, c.input("alpha"));
  DNNCC_ASSIGN_OR_RETURN(auto xa, c.alignRanks(x, alpha));
  DNNCC_ASSIGN_OR_RETURN(Value * zero, c.emit(OpKind::Less, {xa.first, c.scalar(DType::f32, 0)}));
  DNNCC_ASSIGN_OR_RETURN(Value * scaled, c.emit(OpKind::Mul, {xa.first, xa.second}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Where, {zero, scaled, xa.first}));
  return c.setOutput("y", y);
}

/// softabs: sqrt(x^2 + epsilon).
Status softabs(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  Value* y = nullptr;
  DNNCC_TRY(square(c, x, y));
  DNNCC_ASSIGN_OR_RETURN(y,
                         c.emit(OpKind::Add, {y, c.scalar(DType::f32, c.attrScalar("epsilon"))}));
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Sqrt, {y}));
  return c.setOutput("y", y);
}

Status cast(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Cast, {x}, CastAttrs{c.dtype()}));
  return c.setOutput("output", y);
}

/// add_n: the sum of the array (a scalar 0 for an empty one is not a valid graph here).
Status addN(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(std::vector<Value*> xs, c.inputs("x"));
  if (xs.empty())
    return c.error("add_n of an empty array");
  Value* y = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(auto ab, c.alignRanks(y, xs[i]));
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Add, {ab.first, ab.second}));
  }
  if (xs.size() == 1) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Identity, {y}));
  }
  return c.setOutput("y", y);
}

/// copy_n: `times` copies of x.
Status copyN(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  const int64_t times = c.attrInt("times");
  if (times < 0 || static_cast<size_t>(times) != c.outputCount("y"))
    return c.error("copy_n: 'times' must equal the number of results");
  std::vector<Value*> ys;
  for (int64_t i = 0; i < times; ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Identity, {x}));
    ys.push_back(y);
  }
  return c.setOutputs("y", ys);
}

const ConverterRow kRows[] = {
    {"copy", copy},
    {"neg", unary<OpKind::Neg>},
    {"rcp", unary<OpKind::Reciprocal>},
    {"exp", unary<OpKind::Exp>},
    {"log", unary<OpKind::Log>},
    {"sin", unary<OpKind::Sin>},
    {"cos", unary<OpKind::Cos>},
    {"tan", unary<OpKind::Tan>},
    {"sinh", unary<OpKind::Sinh>},
    {"cosh", unary<OpKind::Cosh>},
    {"tanh", unary<OpKind::Tanh>},
    {"asin", unary<OpKind::Asin>},
    {"acos", unary<OpKind::Acos>},
    {"atan", unary<OpKind::Atan>},
    {"asinh", unary<OpKind::Asinh>},
    {"acosh", unary<OpKind::Acosh>},
    {"atanh", unary<OpKind::Atanh>},
    {"abs", unary<OpKind::Abs>},
    {"sign", unary<OpKind::Sign>},
    {"floor", unary<OpKind::Floor>},
    {"ceil", unary<OpKind::Ceil>},
    {"round", round},
    {"not", unary<OpKind::Not>},
    {"sqr", sqr},
    {"sqrt", unary<OpKind::Sqrt>},
    {"rsqr", rsqr},
    {"rsqrt", rsqrt},
    {"log2", log2},
    {"relu", unary<OpKind::Relu>},
    {"sigmoid", unary<OpKind::Sigmoid>},
    {"softplus", unary<OpKind::Softplus>},
    {"softabs", softabs},
    {"elu", elu},
    {"selu", selu},
    {"silu", silu},
    {"prelu", prelu},
    {"leaky_relu", leakyRelu},
    {"add", binaryOp<OpKind::Add>},
    {"sub", binaryOp<OpKind::Sub>},
    {"mul", binaryOp<OpKind::Mul>},
    {"div", binaryOp<OpKind::Div>},
    {"pow", binaryOp<OpKind::Pow>},
    {"min", binaryOp<OpKind::Min>},
    {"max", binaryOp<OpKind::Max>},
    {"lt", binaryOp<OpKind::Less>},
    {"gt", binaryOp<OpKind::Greater>},
    {"le", binaryOp<OpKind::Greater, true>},
    {"ge", binaryOp<OpKind::Less, true>},
    {"eq", binaryOp<OpKind::Equal>},
    {"ne", binaryOp<OpKind::Equal, true>},
    {"and", binaryOp<OpKind::And>},
    {"or", binaryOp<OpKind::Or>},
    {"select", select},
    {"clamp", clamp},
    {"cast", cast},
    {"add_n", addN},
    {"copy_n", copyN},
};
} // namespace

std::span<const ConverterRow> elementwiseConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
