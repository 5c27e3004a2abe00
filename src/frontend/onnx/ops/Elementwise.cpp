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

/// Clip-6 takes min/max attributes; Clip-11+ takes optional constant inputs.
Status clip(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  ClipAttrs a{-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  if (c.opset() < 11) {
    a.min = c.attrFloat("min", a.min);
    a.max = c.attrFloat("max", a.max);
  } else {
    if (c.hasInput(1)) {
      DNNCC_ASSIGN_OR_RETURN(a.min, c.constScalar(1, "min"));
    }
    if (c.hasInput(2)) {
      DNNCC_ASSIGN_OR_RETURN(a.max, c.constScalar(2, "max"));
    }
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Clip, {x}, a));
  return c.setOutput(0, y);
}

Status leakyRelu(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.emit(OpKind::LeakyRelu, {x}, LeakyReluAttrs{c.attrFloat("alpha", 0.01)}));
  return c.setOutput(0, y);
}

Status hardSigmoid(NodeContext& c) {
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

Status cast(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(int64_t to, c.requireInt("to"));
  auto dtype = dtypeFromOnnx(static_cast<int>(to));
  if (!dtype)
    return c.error(fmt::format("cast to data type {} is not supported", to));
  CastAttrs a{*dtype};
  if (c.opset() >= 19)
    a.saturate = c.attrInt("saturate", 1) != 0;
  if (c.opset() >= 24) {
    std::string mode = c.attrString("round_mode", "up");
    if (!parseEnum(mode, a.round))
      return c.error(fmt::format("round_mode='{}' is not 'up', 'down' or 'nearest'", mode));
  }
  if (x->type.dtype == *dtype)
    return c.setOutput(0, x);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Cast, {x}, a));
  return c.setOutput(0, y);
}

/// Identity: a tensor, or (Identity-14+) a sequence, passes through.
Status identity(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(AnyValue x, c.anyInput(0));
  return c.setAnyOutput(0, std::move(x));
}

/// Dropout in inference: the identity; the optional mask output is all true.
Status dropout(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  c.ignoreAttr("seed");
  if (c.opset() < 7)
    c.ignoreAttr("is_test");
  c.ignoreAttr("ratio"); // unused in inference
  if (c.hasInput(2)) {
    auto training = c.constScalar(2, "training_mode");
    if (!training || *training != 0)
      return c.error("training_mode must be a constant false");
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
    {"HardSigmoid", 6, kMax, hardSigmoid},
    {"Gelu", 20, kMax, gelu},
    {"Cast", 6, kMax, cast},
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
};
} // namespace

std::span<const ConverterRow> elementwiseConverters() { return kRows; }

} // namespace dnncc::onnximport
