// Type inference of element-wise ops: unary, binary with numpy broadcasting, where, cast.
// Semantics: ONNX operator spec, "Broadcasting in ONNX" (multidirectional).
#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {
namespace {
TensorType sameAs(const Value* v) { return makeType(v->type.dtype, v->type.shape); }

Status requireSameDType(const Op& op) {
  for (const Value* v : op.operands)
    if (v->type.dtype != op.operands[0]->type.dtype)
      return Status::error(fmt::format("operand types {} and {} differ",
                                       dtypeName(op.operands[0]->type.dtype),
                                       dtypeName(v->type.dtype)));
  return Status::ok();
}

Expected<std::vector<int64_t>> broadcastAll(const Op& op, size_t first) {
  std::vector<int64_t> shape = op.operands[first]->type.shape;
  for (size_t i = first + 1; i < op.operands.size(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(shape, broadcastShapes(shape, op.operands[i]->type.shape));
  }
  return shape;
}
} // namespace

Expected<TensorType> inferUnary(const Op& op) {
  if (op.operands[0]->type.dtype == DType::boolean)
    return Status::error("bool operands are not supported");
  return sameAs(op.operands[0]);
}

Expected<TensorType> inferSameType(const Op& op) { return sameAs(op.operands[0]); }

Expected<TensorType> inferUnaryFloat(const Op& op) {
  if (!isFloat(op.operands[0]->type.dtype))
    return Status::error(
        fmt::format("expects a float operand, got {}", dtypeName(op.operands[0]->type.dtype)));
  return sameAs(op.operands[0]);
}

Expected<TensorType> inferUnaryBool(const Op& op) {
  if (op.operands[0]->type.dtype != DType::boolean)
    return Status::error(
        fmt::format("expects a bool operand, got {}", dtypeName(op.operands[0]->type.dtype)));
  return sameAs(op.operands[0]);
}

Expected<TensorType> inferCast(const Op& op) {
  return makeType(op.attr<CastAttrs>().to, op.operands[0]->type.shape);
}

/// bitcast: the same bits as another type of the same width (ONNX BitCast-26).
Expected<TensorType> inferBitCast(const Op& op) {
  DType from = op.operands[0]->type.dtype, to = op.attr<CastAttrs>().to;
  if (dtypeSize(from) != dtypeSize(to))
    return Status::error(fmt::format("bitcast from {} to {} changes the element width",
                                     dtypeName(from), dtypeName(to)));
  return makeType(to, op.operands[0]->type.shape);
}

Expected<TensorType> inferArith(const Op& op) {
  DNNCC_TRY(requireSameDType(op));
  if (op.operands[0]->type.dtype == DType::boolean)
    return Status::error("bool operands are not supported");
  DNNCC_ASSIGN_OR_RETURN(auto shape, broadcastAll(op, 0));
  return makeType(op.operands[0]->type.dtype, std::move(shape));
}

Expected<TensorType> inferPow(const Op& op) {
  // ONNX Pow allows a different exponent type; the result has the base's type.
  DNNCC_ASSIGN_OR_RETURN(auto shape, broadcastAll(op, 0));
  return makeType(op.operands[0]->type.dtype, std::move(shape));
}

Expected<TensorType> inferCompare(const Op& op) {
  DNNCC_TRY(requireSameDType(op));
  DNNCC_ASSIGN_OR_RETURN(auto shape, broadcastAll(op, 0));
  return makeType(DType::boolean, std::move(shape));
}

Expected<TensorType> inferLogical(const Op& op) {
  for (const Value* v : op.operands)
    if (v->type.dtype != DType::boolean)
      return Status::error(fmt::format("expects bool operands, got {}", dtypeName(v->type.dtype)));
  DNNCC_ASSIGN_OR_RETURN(auto shape, broadcastAll(op, 0));
  return makeType(DType::boolean, std::move(shape));
}

Expected<TensorType> inferAssert(const Op& op) {
  const TensorType& ok = op.operands[1]->type;
  if (ok.numElements() != 1 || isFloat(ok.dtype) || isSmallType(ok.dtype))
    return Status::error(fmt::format("the condition must be an integer or bool scalar, got {}",
                                     toString(ok)));
  return op.operands[0]->type;
}

Expected<TensorType> inferWhere(const Op& op) {
  if (op.operands[0]->type.dtype != DType::boolean)
    return Status::error("the condition of where must be bool");
  if (op.operands[1]->type.dtype != op.operands[2]->type.dtype)
    return Status::error("the two branches of where have different types");
  DNNCC_ASSIGN_OR_RETURN(auto shape, broadcastAll(op, 0));
  return makeType(op.operands[1]->type.dtype, std::move(shape));
}

/// is_nan / is_inf: a float operand, a bool result of the same shape.
Expected<TensorType> inferFloatPredicate(const Op& op) {
  if (!isFloat(op.operands[0]->type.dtype))
    return Status::error(
        fmt::format("expects a float operand, got {}", dtypeName(op.operands[0]->type.dtype)));
  return makeType(DType::boolean, op.operands[0]->type.shape);
}

namespace {
bool isInt(DType t) {
  return !isFloat(t) && t != DType::boolean;
}
} // namespace

/// bit_not: an integer operand (ONNX BitwiseNot).
Expected<TensorType> inferUnaryInt(const Op& op) {
  if (!isInt(op.operands[0]->type.dtype))
    return Status::error(
        fmt::format("expects an integer operand, got {}", dtypeName(op.operands[0]->type.dtype)));
  return sameAs(op.operands[0]);
}

/// shift_*, bit_and/or/xor: integer operands of one type, numpy broadcasting.
Expected<TensorType> inferBitwise(const Op& op) {
  DNNCC_TRY(requireSameDType(op));
  if (!isInt(op.operands[0]->type.dtype))
    return Status::error(
        fmt::format("expects integer operands, got {}", dtypeName(op.operands[0]->type.dtype)));
  DNNCC_ASSIGN_OR_RETURN(auto shape, broadcastAll(op, 0));
  return makeType(op.operands[0]->type.dtype, std::move(shape));
}

/// prelu(x, slope): the slope broadcasts to x (unidirectional, ONNX PRelu-9+); result type of x.
Expected<TensorType> inferPRelu(const Op& op) {
  DNNCC_TRY(requireSameDType(op));
  if (op.operands[0]->type.dtype == DType::boolean)
    return Status::error("bool operands are not supported");
  const auto& x = op.operands[0]->type.shape;
  DNNCC_ASSIGN_OR_RETURN(auto shape, broadcastAll(op, 0));
  if (shape != x)
    return Status::error("the slope does not broadcast to the shape of x");
  return sameAs(op.operands[0]);
}

} // namespace dnncc
