// Type inference of the quantization ops (ONNX QuantizeLinear / DequantizeLinear): x, a float
// scale and an optional zero point that broadcast to x; the result has x's shape and type `to`.
#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {
namespace {
/// Checks that scale and zero point broadcast to x without changing its shape.
Status checkParams(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  for (size_t i = 1; i < op.operands.size(); ++i) {
    auto s = broadcastShapes(x.shape, op.operands[i]->type.shape);
    if (!s || *s != x.shape)
      return Status::error(
          fmt::format("{} {} does not broadcast to x {}", i == 1 ? "scale" : "zero point",
                      shapeString(op.operands[i]->type.shape), shapeString(x.shape)));
  }
  if (!isFloat(op.operands[1]->type.dtype))
    return Status::error(fmt::format("the scale must be a float tensor, got {}",
                                     dtypeName(op.operands[1]->type.dtype)));
  return Status::ok();
}
} // namespace

Expected<TensorType> inferQuantizeLinear(const Op& op) {
  DNNCC_TRY(checkParams(op));
  const TensorType& x = op.operands[0]->type;
  DType to = op.attr<CastAttrs>().to;
  if (x.dtype != op.operands[1]->type.dtype)
    return Status::error(fmt::format("x ({}) and scale ({}) must have the same type",
                                     dtypeName(x.dtype), dtypeName(op.operands[1]->type.dtype)));
  if (!isQuantizedType(to))
    return Status::error(fmt::format("{} is not a quantized type", dtypeName(to)));
  if (op.operands.size() == 3 && op.operands[2]->type.dtype != to)
    return Status::error(fmt::format("the zero point type {} differs from the result type {}",
                                     dtypeName(op.operands[2]->type.dtype), dtypeName(to)));
  return makeType(to, x.shape);
}

Expected<TensorType> inferDequantizeLinear(const Op& op) {
  DNNCC_TRY(checkParams(op));
  const TensorType& x = op.operands[0]->type;
  DType to = op.attr<CastAttrs>().to;
  if (!isQuantizedType(x.dtype) && x.dtype != DType::i32)
    return Status::error(fmt::format("{} is not a quantized type or i32", dtypeName(x.dtype)));
  if (op.operands.size() == 3 && op.operands[2]->type.dtype != x.dtype)
    return Status::error(fmt::format("the zero point type {} differs from x's type {}",
                                     dtypeName(op.operands[2]->type.dtype), dtypeName(x.dtype)));
  if (!isFloat(to))
    return Status::error(fmt::format("the result type {} is not a float type", dtypeName(to)));
  return makeType(to, x.shape);
}

} // namespace dnncc
