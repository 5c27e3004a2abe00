// Builders shared by the converters that decompose ONNX ops into several IR ops.
#include "frontend/onnx/ops/Compose.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "ir/SmallTypes.h"

namespace dnncc::onnximport {
namespace {

/// float -> bfloat16 bits, rounding to nearest even (NaN stays NaN).
uint16_t toBf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

void putValue(uint8_t* dst, DType dtype, double v) {
  switch (dtype) {
  case DType::f16: {
    uint16_t h = doubleToHalfBits(static_cast<float>(v), false);
    std::memcpy(dst, &h, 2);
    return;
  }
  case DType::bf16: {
    uint16_t b = toBf16(static_cast<float>(v));
    std::memcpy(dst, &b, 2);
    return;
  }
  default:
    putScalar(dst, dtype, v);
  }
}

} // namespace

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

Value* i64Constant(NodeContext& c, std::vector<int64_t> shape, const std::vector<int64_t>& values) {
  return c.constant(TensorType{DType::i64, std::move(shape)}, bytesOf(values));
}

Value* Composer::scalar(DType dtype, double value) {
  return tensor(dtype, {}, {value});
}

Value* Composer::tensor(DType dtype, std::vector<int64_t> shape,
                        const std::vector<double>& values) {
  int64_t size = dtypeSize(dtype);
  std::vector<uint8_t> bytes(values.size() * size);
  for (size_t i = 0; i < values.size(); ++i)
    putValue(bytes.data() + i * size, dtype, values[i]);
  return c_.constant(TensorType{dtype, std::move(shape)}, std::move(bytes));
}

Value* Composer::bools(std::vector<int64_t> shape, const std::vector<bool>& values) {
  std::vector<uint8_t> bytes(values.begin(), values.end());
  return c_.constant(TensorType{DType::boolean, std::move(shape)}, std::move(bytes));
}

Expected<Value*> Composer::op(OpKind kind, std::vector<Value*> operands, Attrs attrs) {
  return c_.emit(kind, std::move(operands), std::move(attrs));
}

Expected<Value*> Composer::reshape(Value* x, std::vector<int64_t> shape) {
  if (shape == x->type.shape)
    return x;
  TensorType t{x->type.dtype, std::move(shape)};
  return c_.emit(OpKind::Reshape, {x}, NoAttrs{}, &t);
}

Expected<Value*> Composer::expand(Value* x, std::vector<int64_t> shape) {
  if (shape == x->type.shape)
    return x;
  TensorType t{x->type.dtype, std::move(shape)};
  return c_.emit(OpKind::Expand, {x}, NoAttrs{}, &t);
}

Expected<Value*> Composer::transpose(Value* x, IntList perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (identity)
    return x;
  return c_.emit(OpKind::Transpose, {x}, TransposeAttrs{std::move(perm)});
}

Expected<Value*> Composer::reduce(OpKind kind, Value* x, IntList axes, bool keepdims) {
  if (axes.empty())
    return x;
  std::sort(axes.begin(), axes.end());
  return c_.emit(kind, {x}, ReduceAttrs{std::move(axes), keepdims});
}

Expected<Value*> Composer::cast(Value* x, DType dtype) {
  if (x->type.dtype == dtype)
    return x;
  return c_.emit(OpKind::Cast, {x}, CastAttrs{dtype});
}

Expected<Value*> Composer::slice(Value* x, int axis, int64_t start, int64_t size) {
  if (start == 0 && size == x->type.shape[axis])
    return x;
  IntList starts(x->type.rank(), 0), steps(x->type.rank(), 1);
  starts[axis] = start;
  TensorType t{x->type.dtype, x->type.shape};
  t.shape[axis] = size;
  return c_.emit(OpKind::Slice, {x}, SliceAttrs{std::move(starts), std::move(steps)}, &t);
}

Expected<Value*> Composer::concat(std::vector<Value*> parts, int axis) {
  if (parts.size() == 1)
    return parts[0];
  return c_.emit(OpKind::Concat, std::move(parts), AxisAttrs{axis});
}

Expected<Value*> firstThatHolds(NodeContext& c, const std::vector<Value*>& values,
                                const std::vector<Value*>& holds) {
  Value* y = values.at(0);
  Value* any = holds.at(0);
  for (size_t i = 1; i < values.size(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Where, {any, y, values[i]}));
    DNNCC_ASSIGN_OR_RETURN(any, c.emit(OpKind::Or, {any, holds[i]}));
  }
  DNNCC_TRY(c.checkAtRunTime(any));
  return y;
}

} // namespace dnncc::onnximport
