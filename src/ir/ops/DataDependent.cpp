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

/// non_max_suppression: boxes [B, N, 4], scores [B, C, N] (one float type),
/// max_output_boxes_per_class (i64), iou_threshold and, with NmsAttrs::scoreThreshold,
/// score_threshold (f32), each one element -> int64 [B * C * N, 3] rows (batch, class, box), the upper bound of
/// NonMaxSuppression-11's selected_indices; the count op -> int64 scalar.
Expected<TensorType> inferNms(const Op& op) {
  const TensorType& boxes = op.operands[0]->type;
  const TensorType& scores = op.operands[1]->type;
  if (boxes.rank() != 3 || boxes.shape[2] != 4 || scores.rank() != 3 ||
      scores.shape[0] != boxes.shape[0] || scores.shape[2] != boxes.shape[1] ||
      !isFloat(boxes.dtype) || scores.dtype != boxes.dtype)
    return Status::error(fmt::format("non_max_suppression expects boxes [B, N, 4] and scores "
                                     "[B, C, N] of one float type, got {} and {}",
                                     toString(boxes), toString(scores)));
  size_t want = op.attr<NmsAttrs>().scoreThreshold ? 5 : 4;
  if (op.operands.size() != want)
    return Status::error(fmt::format("non_max_suppression expects {} operands", want));
  for (size_t i = 2; i < op.operands.size(); ++i)
    if (op.operands[i]->type.numElements() != 1 ||
        op.operands[i]->type.dtype != (i == 2 ? DType::i64 : DType::f32))
      return Status::error(fmt::format("non_max_suppression operand {} must be one {} element", i,
                                       i == 2 ? "i64" : "f32"));
  if (op.kind == OpKind::NonMaxSuppressionCount)
    return makeType(DType::i64, {});
  return makeType(DType::i64, {boxes.shape[0] * scores.shape[1] * boxes.shape[1], 3});
}

/// unique: x's type and shape (the upper bound); unique_indices, unique_inverse, unique_counts:
/// int64 [x.shape[axis]]; unique_count: int64 scalar (ONNX Unique-11's Y, indices,
/// inverse_indices, counts, and the number of unique slices).
Expected<TensorType> inferUnique(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  int64_t axis = op.attr<UniqueAttrs>().axis;
  if (axis < 0 || axis >= x.rank())
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, x.rank()));
  switch (op.kind) {
  case OpKind::Unique:
    return makeType(x.dtype, x.shape);
  case OpKind::UniqueCount:
    return makeType(DType::i64, {});
  default:
    return makeType(DType::i64, {x.shape[axis]});
  }
}

} // namespace dnncc
