// Type inference of the ops whose results have a data-dependent extent (NonZero, Compress): the
// result type is the static upper bound; Module::runtimeExtents names the length.
#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {

/// non_zero: x of rank r >= 1 -> int64 [r, numel(x)] (ONNX NonZero-13 with every element
/// non-zero, the upper bound).
Expected<TensorType> inferNonZero(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  if (x.rank() == 0)
    return Status::error("non_zero expects a tensor of rank 1 or more");
  return makeType(DType::i64, {x.rank(), x.numElements()});
}

/// compress: x and a bool condition [x.shape[axis]] -> x's type (ONNX Compress-11 with every
/// condition entry true, the upper bound; the importer cuts the longer of the two).
Expected<TensorType> inferCompress(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const TensorType& cond = op.operands[1]->type;
  int64_t axis = op.attr<AxisAttrs>().axis;
  if (axis < 0 || axis >= x.rank())
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, x.rank()));
  if (cond.dtype != DType::boolean || cond.rank() != 1 || cond.shape[0] != x.shape[axis])
    return Status::error(fmt::format("compress expects a bool condition [{}], got {}",
                                     x.shape[axis], toString(cond)));
  return makeType(x.dtype, x.shape);
}

} // namespace dnncc
