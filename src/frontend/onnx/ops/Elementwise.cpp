// ONNX element-wise ops -> IR: activations, arithmetic with broadcasting, comparisons, Cast, Where.
// Semantics follow the ONNX operator spec of each op; the opset ranges are where the op's
// attributes and inputs have the form handled here.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {
namespace {

template <OpKind K> Status unary(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {x}));
  return c.setOutput(0, y);
}

template <OpKind K> Status binary(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {a, b}));
  return c.setOutput(0, y);
}

/// Opsets 1-6 of the arithmetic ops had `broadcast`/`axis`; from 7 on it is numpy broadcasting.
template <OpKind K> Status variadic(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * acc, c.input(0));
  for (int i = 1; i < c.numInputs(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    DNNCC_ASSIGN_OR_RETURN(acc, c.emit(K, {acc, v}));
  }
  return c.setOutput(0, acc);
}

Status sum(NodeContext& c) { return variadic<OpKind::Add>(c); }

Status mean(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * acc, c.input(0));
  for (int i = 1; i < c.numInputs(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    DNNCC_ASSIGN_OR_RETURN(acc, c.emit(OpKind::Add, {acc, v}));
  }
  Value* n = c.constant(TensorType{acc->type.dtype, {}},
                        scalarBytes(acc->type.dtype, static_cast<double>(c.numInputs())));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Div, {acc, n}));
  return c.setOutput(0, y);
}

/// A Clip-11+ bound (input 1 or 2) that is a constant scalar.
bool isConstantBound(NodeContext& c, int i) {
  Value* v = c.optionalInput(i);
  return v && v->isConstant() && v->type.numElements() == 1;
}

/// Clip-6 takes min/max attributes; Clip-11+ takes optional inputs. Constant bounds become
/// attributes of one clip op; runtime bounds become min(max(x, min), max) on element-wise ops,
/// which gives `max` everywhere when min > max, as the spec requires.
Status clip(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  ClipAttrs a{-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  Value* y = x;
  if (c.opset() < 11) {
    a.min = c.attrFloat("min", a.min);
    a.max = c.attrFloat("max", a.max);
  } else {
    bool constMin = !c.hasInput(1) || isConstantBound(c, 1);
    bool constMax = !c.hasInput(2) || isConstantBound(c, 2);
    if (!constMin || !constMax) {
      for (int i : {1, 2}) {
        if (!c.hasInput(i))
          continue;
        DNNCC_ASSIGN_OR_RETURN(Value * bound, c.input(i));
        if (bound->type.dtype != x->type.dtype)
          return c.error(fmt::format("{} (input {}) has type {}, expected {}",
                                     i == 1 ? "min" : "max", i, dtypeName(bound->type.dtype),
                                     dtypeName(x->type.dtype)));
        if (bound->type.numElements() != 1)
          return c.error(fmt::format("{} (input {}) must be a scalar", i == 1 ? "min" : "max", i));
        DNNCC_ASSIGN_OR_RETURN(y, c.emit(i == 1 ? OpKind::Max : OpKind::Min, {y, bound}));
      }
      if (y->type.shape != x->type.shape)
        return c.error("a one-element bound must not raise the rank of the input");
      return c.setOutput(0, y);
    }
    if (c.hasInput(1)) {
      DNNCC_ASSIGN_OR_RETURN(a.min, c.constScalar(1, "min"));
    }
    if (c.hasInput(2)) {
      DNNCC_ASSIGN_OR_RETURN(a.max, c.constScalar(2, "max"));
    }
  }
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Clip, {x}, a));
  return c.setOutput(0, y);
}

/// Mod-10+: fmod=0 is the floored remainder with the divisor's sign (Python), fmod=1 the C fmod.
/// Opsets before 28 call fmod=0 on floats invalid; Mod-28 defines it, and that is what it computes.
Status mod(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(1));
  int64_t fmod = c.attrInt("fmod", 0);
  if (fmod != 0 && fmod != 1)
    return c.error(fmt::format("fmod={} is not 0 or 1", fmod));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(fmod ? OpKind::Fmod : OpKind::Mod, {a, b}));
  return c.setOutput(0, y);
}

/// BitShift-11 (unsigned types) and -28 (signed types too): direction "LEFT" or "RIGHT".
Status bitShift(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(1));
  std::string dir = c.attrString("direction", "");
  if (dir != "LEFT" && dir != "RIGHT")
    return c.error(fmt::format("direction='{}' is not 'LEFT' or 'RIGHT'", dir));
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.emit(dir == "LEFT" ? OpKind::ShiftLeft : OpKind::ShiftRight, {a, b}));
  return c.setOutput(0, y);
}

/// Elu, Celu, ThresholdedRelu and Swish: one float attribute `alpha`, 1.0 by default in each.
template <OpKind K> Status alphaOp(NodeContext& c) {
  c.ignoreConsumedInputs(); // Elu-1
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {x}, AlphaAttrs{c.attrFloat("alpha", 1.0)}));
  return c.setOutput(0, y);
}

Status selu(NodeContext& c) {
  c.ignoreConsumedInputs(); // Selu-1
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  SeluAttrs a;
  a.alpha = c.attrFloat("alpha", a.alpha);
  a.gamma = c.attrFloat("gamma", a.gamma);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Selu, {x}, a));
  return c.setOutput(0, y);
}

Status shrink(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  ShrinkAttrs a;
  a.bias = c.attrFloat("bias", a.bias);
  a.lambd = c.attrFloat("lambd", a.lambd);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Shrink, {x}, a));
  return c.setOutput(0, y);
}

Status isInf(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  IsInfAttrs a{c.attrInt("detect_negative", 1) != 0, c.attrInt("detect_positive", 1) != 0};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::IsInf, {x}, a));
  return c.setOutput(0, y);
}

Status leakyRelu(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.emit(OpKind::LeakyRelu, {x}, LeakyReluAttrs{c.attrFloat("alpha", 0.01)}));
  return c.setOutput(0, y);
}

Status hardSigmoid(NodeContext& c) {
  c.ignoreConsumedInputs(); // HardSigmoid-1
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  HardSigmoidAttrs a{c.attrFloat("alpha", 0.2), c.attrFloat("beta", 0.5)};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::HardSigmoid, {x}, a));
  return c.setOutput(0, y);
}

Status gelu(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  std::string approx = c.attrString("approximate", "none");
  GeluAttrs a;
  if (!parseEnum(approx, a.approximate))
    return c.error(fmt::format("approximate='{}' is not 'none' or 'tanh'", approx));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Gelu, {x}, a));
  return c.setOutput(0, y);
}

/// Cast x to `dtype` (no op when it already has it), with Cast's and CastLike's `saturate`
/// (opset 19+, float8 results) and `round_mode` (opset 25+ CastLike, 24+ Cast; f8e8m0 results).
Status castTo(NodeContext& c, Value* x, DType dtype, int roundModeOpset) {
  CastAttrs a{dtype};
  if (c.opset() >= 19)
    a.saturate = c.attrInt("saturate", 1) != 0;
  if (c.opset() >= roundModeOpset) {
    std::string mode = c.attrString("round_mode", "up");
    if (!parseEnum(mode, a.round))
      return c.error(fmt::format("round_mode='{}' is not 'up', 'down' or 'nearest'", mode));
  }
  if (x->type.dtype == dtype)
    return c.setOutput(0, x);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Cast, {x}, a));
  return c.setOutput(0, y);
}

/// Cast (all opsets): before opset 6 `to` is the data type's name ("FLOAT", "INT64", ...).
Status cast(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  int64_t to = 0;
  if (c.opset() < 6) {
    std::string name = c.attrString("to");
    onnx::TensorProto_DataType t;
    if (!onnx::TensorProto_DataType_Parse(name, &t))
      return c.error(fmt::format("cast to '{}': not an ONNX data type name", name));
    to = t;
  } else {
    DNNCC_ASSIGN_OR_RETURN(to, c.requireInt("to"));
  }
  auto dtype = dtypeFromOnnx(static_cast<int>(to));
  if (!dtype)
    return c.error(fmt::format("cast to data type {} is not supported", to));
  return castTo(c, x, *dtype, 24);
}

/// BitCast-26: the same bits as data type `to`, which must have the input's width.
Status bitCast(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(int64_t to, c.requireInt("to"));
  auto dtype = dtypeFromOnnx(static_cast<int>(to));
  if (!dtype)
    return c.error(fmt::format("bitcast to data type {} is not supported", to));
  if (dtypeSize(*dtype) != dtypeSize(x->type.dtype))
    return c.error(fmt::format("bitcast from {} to {} changes the element width",
                               dtypeName(x->type.dtype), dtypeName(*dtype)));
  if (x->type.dtype == *dtype)
    return c.setOutput(0, x);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::BitCast, {x}, CastAttrs{*dtype}));
  return c.setOutput(0, y);
}

/// CastLike-15+: Cast to the element type of the second input (its values are not read).
Status castLike(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * like, c.input(1));
  return castTo(c, x, like->type.dtype, 25);
}

/// Identity: a tensor, or (Identity-14+) a sequence, passes through.
Status identity(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(AnyValue x, c.anyInput(0));
  return c.setAnyOutput(0, std::move(x));
}

/// Dropout in inference (or in training with ratio 0): the identity; the optional mask output is
/// all true.
Status dropout(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  c.ignoreAttr("seed");
  if (c.opset() < 7)
    c.ignoreAttr("is_test");
  c.ignoreAttr("ratio"); // unused in inference
  if (c.hasInput(2)) {
    auto training = c.constScalar(2, "training_mode");
    if (!training)
      return c.error("training_mode must be a constant");
    if (*training != 0) { // training: drops with probability ratio (default 0.5)
      double ratio = 0.5;
      if (c.hasInput(1)) {
        DNNCC_ASSIGN_OR_RETURN(ratio, c.constScalar(1, "ratio"));
      }
      if (ratio != 0)
        return c.error(fmt::format("training_mode=true with ratio {} drops at random: only ratio "
                                   "0 (nothing dropped) is supported",
                                   ratio));
    }
  }
  if (c.hasOutput(1)) {
    std::vector<uint8_t> ones(x->type.numElements(), 1);
    DNNCC_TRY(c.setOutput(1, c.constant(TensorType{DType::boolean, x->type.shape}, ones)));
  }
  return c.setOutput(0, x);
}

/// LessOrEqual / GreaterOrEqual as the negation of the strict comparison with swapped meaning.
template <OpKind K> Status notOf(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.emit(K, {a, b}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Not, {s}));
  return c.setOutput(0, y);
}

Status where(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * cond, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(2));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Where, {cond, a, b}));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"Relu", 6, kMax, unary<OpKind::Relu>},
    {"Sigmoid", 6, kMax, unary<OpKind::Sigmoid>},
    {"Tanh", 6, kMax, unary<OpKind::Tanh>},
    {"Exp", 6, kMax, unary<OpKind::Exp>},
    {"Log", 6, kMax, unary<OpKind::Log>},
    {"Sqrt", 6, kMax, unary<OpKind::Sqrt>},
    {"Erf", 9, kMax, unary<OpKind::Erf>},
    {"Reciprocal", 6, kMax, unary<OpKind::Reciprocal>},
    {"Neg", 6, kMax, unary<OpKind::Neg>},
    {"Abs", 6, kMax, unary<OpKind::Abs>},
    {"Floor", 6, kMax, unary<OpKind::Floor>},
    {"Ceil", 6, kMax, unary<OpKind::Ceil>},
    {"Not", 1, kMax, unary<OpKind::Not>},
    {"HardSwish", 14, kMax, unary<OpKind::HardSwish>},
    {"Clip", 6, kMax, clip},
    {"LeakyRelu", 6, kMax, leakyRelu},
    {"HardSigmoid", 1, kMax, hardSigmoid},
    {"Gelu", 20, kMax, gelu},
    {"Cast", 1, kMax, cast},
    {"Identity", 1, kMax, identity},
    {"Dropout", 7, kMax, dropout},
    {"Add", 7, kMax, binary<OpKind::Add>},
    {"Sub", 7, kMax, binary<OpKind::Sub>},
    {"Mul", 7, kMax, binary<OpKind::Mul>},
    {"Div", 7, kMax, binary<OpKind::Div>},
    {"Pow", 7, kMax, binary<OpKind::Pow>},
    {"Max", 8, kMax, variadic<OpKind::Max>},
    {"Min", 8, kMax, variadic<OpKind::Min>},
    {"Sum", 8, kMax, sum},
    {"Mean", 8, kMax, mean},
    {"Equal", 7, kMax, binary<OpKind::Equal>},
    {"Less", 7, kMax, binary<OpKind::Less>},
    {"Greater", 7, kMax, binary<OpKind::Greater>},
    {"LessOrEqual", 12, kMax, notOf<OpKind::Greater>},
    {"GreaterOrEqual", 12, kMax, notOf<OpKind::Less>},
    {"And", 7, kMax, binary<OpKind::And>},
    {"Or", 7, kMax, binary<OpKind::Or>},
    {"Where", 9, kMax, where},
    {"CastLike", 15, kMax, castLike},
    {"BitCast", 26, kMax, bitCast},
    {"Sin", 7, kMax, unary<OpKind::Sin>},
    {"Cos", 7, kMax, unary<OpKind::Cos>},
    {"Tan", 7, kMax, unary<OpKind::Tan>},
    {"Asin", 7, kMax, unary<OpKind::Asin>},
    {"Acos", 7, kMax, unary<OpKind::Acos>},
    {"Atan", 7, kMax, unary<OpKind::Atan>},
    {"Sinh", 9, kMax, unary<OpKind::Sinh>},
    {"Cosh", 9, kMax, unary<OpKind::Cosh>},
    {"Asinh", 9, kMax, unary<OpKind::Asinh>},
    {"Acosh", 9, kMax, unary<OpKind::Acosh>},
    {"Atanh", 9, kMax, unary<OpKind::Atanh>},
    {"Round", 11, kMax, unary<OpKind::Round>},
    {"Sign", 9, kMax, unary<OpKind::Sign>},
    {"IsNaN", 9, kMax, unary<OpKind::IsNaN>},
    {"IsInf", 10, kMax, isInf},
    {"BitwiseNot", 18, kMax, unary<OpKind::BitNot>},
    {"Softplus", 1, kMax, unary<OpKind::Softplus>},
    {"Softsign", 1, kMax, unary<OpKind::Softsign>},
    {"Mish", 18, kMax, unary<OpKind::Mish>},
    {"Elu", 1, kMax, alphaOp<OpKind::Elu>},
    {"Celu", 12, kMax, alphaOp<OpKind::Celu>},
    {"Selu", 1, kMax, selu},
    {"ThresholdedRelu", 10, kMax, alphaOp<OpKind::ThresholdedRelu>},
    {"Shrink", 9, kMax, shrink},
    {"Swish", 24, kMax, alphaOp<OpKind::Swish>},
    {"PRelu", 7, kMax, binary<OpKind::PRelu>},
    {"Xor", 7, kMax, binary<OpKind::Xor>},
    {"Mod", 10, kMax, mod},
    {"BitShift", 11, kMax, bitShift},
    {"BitwiseAnd", 18, kMax, binary<OpKind::BitAnd>},
    {"BitwiseOr", 18, kMax, binary<OpKind::BitOr>},
    {"BitwiseXor", 18, kMax, binary<OpKind::BitXor>},
};
} // namespace

std::span<const ConverterRow> elementwiseConverters() { return kRows; }

} // namespace dnncc::onnximport
