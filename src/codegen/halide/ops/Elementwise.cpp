// Halide algorithms of the element-wise ops (ONNX operator spec formulas; numpy broadcasting).
#include <cmath>

#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"
#include "codegen/halide/SmallTypeCast.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

/// Operand `i` at the output point (broadcast).
Expr at(const Op& op, const std::vector<TensorFunc>& in, size_t i,
        const std::vector<Halide::Var>& v) {
  return in[i](broadcastIdx(in[i].type, op.result->type.shape, asIdx(v)));
}

Expr typed(Expr like, double value) { return constant(like.type(), value); }
Expr boolOf(Expr cond) { return Halide::cast(Halide::UInt(8), cond); }

/// The value of a constant scalar operand, if it is one (lets pow(x, 2) become x * x).
std::optional<double> constantScalar(const Value* v) {
  if (!v->isConstant() || v->type.numElements() != 1)
    return std::nullopt;
  switch (v->type.dtype) {
  case DType::f32:
    return v->dataAs<float>()[0];
  case DType::f64:
    return v->dataAs<double>()[0];
  case DType::i64:
    return static_cast<double>(v->dataAs<int64_t>()[0]);
  case DType::i32:
    return v->dataAs<int32_t>()[0];
  default:
    return std::nullopt;
  }
}

Expected<Expr> unaryExpr(const Op& op, Expr x) {
  bool f = x.type().is_float();
  switch (op.kind) {
  case OpKind::Relu:
    return Halide::max(x, typed(x, 0));
  case OpKind::Sigmoid:
    return typed(x, 1) / (typed(x, 1) + Halide::exp(-x));
  case OpKind::Tanh:
    return Halide::tanh(x);
  case OpKind::Exp:
    return Halide::exp(x);
  case OpKind::Log:
    return Halide::log(x);
  case OpKind::Sqrt:
    return Halide::sqrt(x);
  case OpKind::Erf:
    if (x.type() != Halide::Float(32))
      return Status::error("erf is only implemented for f32");
    return Halide::erf(x);
  case OpKind::Reciprocal:
    return typed(x, 1) / x;
  case OpKind::Neg:
    return -x;
  case OpKind::Abs:
    return Halide::cast(x.type(), Halide::abs(x));
  case OpKind::Floor:
    return Halide::floor(x);
  case OpKind::Ceil:
    return Halide::ceil(x);
  case OpKind::Not:
    return boolOf(x == 0);
  case OpKind::Identity:
    return x;
  case OpKind::Clip: {
    const auto& a = op.attr<ClipAttrs>();
    Expr y = x;
    // ONNX Clip: min(max(x, min), max); an infinite bound is no bound.
    if (std::isfinite(a.min) || f)
      y = Halide::max(y, f ? typed(x, a.min) : Halide::saturating_cast(x.type(), constant(Halide::Float(64), a.min)));
    if (std::isfinite(a.max) || f)
      y = Halide::min(y, f ? typed(x, a.max) : Halide::saturating_cast(x.type(), constant(Halide::Float(64), a.max)));
    return y;
  }
  case OpKind::LeakyRelu:
    return Halide::select(x < 0, typed(x, op.attr<LeakyReluAttrs>().alpha) * x, x);
  case OpKind::HardSigmoid: {
    const auto& a = op.attr<HardSigmoidAttrs>();
    return Halide::clamp(typed(x, a.alpha) * x + typed(x, a.beta), typed(x, 0), typed(x, 1));
  }
  case OpKind::HardSwish: // x * HardSigmoid(x) with alpha = 1/6, beta = 0.5 (ONNX HardSwish)
    return x * Halide::clamp(x * typed(x, 1.0 / 6.0) + typed(x, 0.5), typed(x, 0), typed(x, 1));
  case OpKind::Gelu:
    if (op.attr<GeluAttrs>().approximate == GeluApprox::tanh) {
      // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))  (ONNX Gelu-20)
      Expr inner = typed(x, std::sqrt(2.0 / M_PI)) * (x + typed(x, 0.044715) * x * x * x);
      return typed(x, 0.5) * x * (typed(x, 1) + Halide::tanh(inner));
    }
    if (x.type() != Halide::Float(32))
      return Status::error("gelu is only implemented for f32");
    return typed(x, 0.5) * x * (typed(x, 1) + Halide::erf(x * typed(x, M_SQRT1_2)));
  case OpKind::Cast: {
    if (isSmallType(op.operands[0]->type.dtype) || isSmallType(op.attr<CastAttrs>().to))
      return castSmallType(x, op.operands[0]->type.dtype, op.attr<CastAttrs>());
    Halide::Type to = halideType(op.attr<CastAttrs>().to);
    if (op.attr<CastAttrs>().to == DType::boolean)
      return boolOf(x != 0);
    return Halide::cast(to, x); // float -> int truncates toward zero, as ONNX Cast
  }
  default:
    return Status::error(fmt::format("{} is not a unary element-wise op", opName(op.kind)));
  }
}

Expected<TensorFunc> unary(const Op& op, const std::vector<TensorFunc>& in) {
  auto v = makeVars(op.result->type.rank());
  DNNCC_ASSIGN_OR_RETURN(Expr e, unaryExpr(op, at(op, in, 0, v)));
  return pureResult(op, v, e);
}

Expected<TensorFunc> binary(const Op& op, const std::vector<TensorFunc>& in) {
  auto v = makeVars(op.result->type.rank());
  Expr a = at(op, in, 0, v), b = at(op, in, 1, v);
  bool f = a.type().is_float();
  Expr e;
  switch (op.kind) {
  case OpKind::Add:
    e = a + b;
    break;
  case OpKind::Sub:
    e = a - b;
    break;
  case OpKind::Mul:
    e = a * b;
    break;
  case OpKind::Div:
    // Integer division truncates toward zero (C semantics, as onnxruntime).
    e = f ? a / b : Halide::div_round_to_zero(a, b);
    break;
  case OpKind::Pow: {
    std::optional<double> k = constantScalar(op.operands[1]);
    if (k && *k == 2.0)
      e = a * a;
    else if (k && *k == 1.0)
      e = a;
    else if (k && *k == 0.5 && f)
      e = Halide::sqrt(a);
    else if (f)
      e = Halide::pow(a, Halide::cast(a.type(), b));
    else
      return Status::error("pow on integers is not supported");
    break;
  }
  case OpKind::Max:
    e = Halide::max(a, b);
    break;
  case OpKind::Min:
    e = Halide::min(a, b);
    break;
  case OpKind::Equal:
    e = boolOf(a == b);
    break;
  case OpKind::Less:
    e = boolOf(a < b);
    break;
  case OpKind::Greater:
    e = boolOf(a > b);
    break;
  case OpKind::And:
    e = boolOf(a != 0 && b != 0);
    break;
  case OpKind::Or:
    e = boolOf(a != 0 || b != 0);
    break;
  default:
    return Status::error(fmt::format("{} is not a binary element-wise op", opName(op.kind)));
  }
  return pureResult(op, v, e);
}

Expected<TensorFunc> where(const Op& op, const std::vector<TensorFunc>& in) {
  auto v = makeVars(op.result->type.rank());
  return pureResult(op, v,
                    Halide::select(at(op, in, 0, v) != 0, at(op, in, 1, v), at(op, in, 2, v)));
}

/// x, unless the scalar `ok` is zero at run time: then the pipeline fails (halide_error, which
/// the runtime reports as the run's error) naming the value.
Expected<TensorFunc> assertOk(const Op& op, const std::vector<TensorFunc>& in) {
  auto v = makeVars(op.result->type.rank());
  Expr ok = in[1](Idx(in[1].type.rank(), Expr(0))) != 0;
  std::string message = fmt::format(
      "'{}': a shape input's run-time value disagrees with the shape the model declares and "
      "dnncc compiled in",
      op.result->name);
  return pureResult(op, v, Halide::require(ok, at(op, in, 0, v), message));
}

const AlgorithmRow kRows[] = {
    {OpKind::Relu, unary},        {OpKind::Sigmoid, unary},    {OpKind::Tanh, unary},
    {OpKind::Exp, unary},         {OpKind::Log, unary},        {OpKind::Sqrt, unary},
    {OpKind::Erf, unary},         {OpKind::Reciprocal, unary}, {OpKind::Neg, unary},
    {OpKind::Abs, unary},         {OpKind::Floor, unary},      {OpKind::Ceil, unary},
    {OpKind::Not, unary},         {OpKind::Clip, unary},       {OpKind::LeakyRelu, unary},
    {OpKind::HardSigmoid, unary}, {OpKind::HardSwish, unary},  {OpKind::Gelu, unary},
    {OpKind::Cast, unary},        {OpKind::Identity, unary},   {OpKind::Add, binary},
    {OpKind::Sub, binary},        {OpKind::Mul, binary},       {OpKind::Div, binary},
    {OpKind::Pow, binary},        {OpKind::Max, binary},       {OpKind::Min, binary},
    {OpKind::Equal, binary},      {OpKind::Less, binary},      {OpKind::Greater, binary},
    {OpKind::And, binary},        {OpKind::Or, binary},        {OpKind::Where, where},
    {OpKind::Assert, assertOk},
};
} // namespace

std::span<const AlgorithmRow> elementwiseAlgorithms() { return kRows; }

} // namespace dnncc::hl
