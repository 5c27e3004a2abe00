// ONNX ops whose output shape depends on the input values -> IR: NonZero, Compress,
// NonMaxSuppression and Unique. Each gives
// a data-dependent output (NodeContext::setDataDependentOutput): the op's result with the static
// upper-bound shape and, as its length, the number of selected entries computed with ordinary
// ops (cast to bool, to int64, reduce_sum over every axis).
#include <numeric>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {
namespace {

/// The number of non-zero elements of `x` (NaN counts; ONNX Cast to bool) as an int64 scalar.
Expected<Value*> countNonZero(NodeContext& c, Value* x) {
  Value* flags = x;
  if (x->type.dtype != DType::boolean) {
    DNNCC_ASSIGN_OR_RETURN(flags, c.emit(OpKind::Cast, {x}, CastAttrs{DType::boolean}));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * ones, c.emit(OpKind::Cast, {flags}, CastAttrs{DType::i64}));
  IntList all(static_cast<size_t>(x->type.rank()));
  std::iota(all.begin(), all.end(), 0);
  return c.emit(OpKind::ReduceSum, {ones}, ReduceAttrs{all, false});
}

/// NonZero-9/13: int64 [rank(x), count], the coordinates of the non-zero elements in row-major
/// order.
Status nonZero(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (x->type.rank() == 0)
    return c.error("a scalar input is not supported (NonZero of a scalar is deprecated in numpy "
                   "and the spec leaves its shape open)");
  DNNCC_ASSIGN_OR_RETURN(Value * count, countNonZero(c, x));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::NonZero, {x}));
  return c.setDataDependentOutput(0, y, 1, count);
}

/// Compress-9/11: the slices of x along `axis` (of the flattened x without one) whose condition
/// entry is true. A condition shorter than the axis leaves the rest out; a longer one is an error
/// in the spec's reference (numpy.compress), so its extra entries must all be false: dnncc
/// rejects it rather than guess.
Status compress(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * cond, c.input(1));
  if (cond->type.rank() != 1 || cond->type.dtype != DType::boolean)
    return c.error(fmt::format("condition must be a 1-D bool tensor, got {}", toString(cond->type)));
  int axis = 0;
  if (c.hasAttr("axis")) {
    Expected<int> a = normalizeAxis(c.attrInt("axis", 0), x->type.rank());
    if (!a)
      return c.error(a.status().message());
    axis = *a;
  } else {
    DNNCC_ASSIGN_OR_RETURN(x, reshapeTo(c, x, {x->type.numElements()}));
  }
  int64_t dim = x->type.shape[axis], len = cond->type.shape[0];
  if (len > dim)
    return c.error(fmt::format("condition has {} entries for an axis of {}", len, dim));
  if (len < dim) { // only the first len slices can be selected
    TensorType t = x->type;
    t.shape[axis] = len;
    IntList starts(t.rank(), 0), steps(t.rank(), 1);
    DNNCC_ASSIGN_OR_RETURN(x, c.emit(OpKind::Slice, {x}, SliceAttrs{starts, steps}, &t));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * count, countNonZero(c, cond));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Compress, {x, cond}, AxisAttrs{axis}));
  return c.setDataDependentOutput(0, y, axis, count);
}

/// Input `i` of NonMaxSuppression as one `to` element: absent or empty gives `fallback`.
Expected<Value*> nmsScalar(NodeContext& c, int i, DType to, double fallback) {
  Value* v = c.optionalInput(i);
  if (!v || v->type.numElements() == 0)
    return c.constant(TensorType{to, {}}, scalarBytes(to, fallback));
  if (v->type.numElements() != 1)
    return c.error(fmt::format("input {} must have one element, got {}", i, toString(v->type)));
  if (v->type.dtype == to)
    return v;
  return c.emit(OpKind::Cast, {v}, CastAttrs{to});
}

/// NonMaxSuppression-10/11: int64 [count, 3] rows (batch, class, box). max_output_boxes_per_class
/// absent or empty selects nothing (the spec's default 0); iou_threshold defaults to 0; without
/// score_threshold every box is a candidate. The thresholds and the maximum may be graph inputs.
Status nonMaxSuppression(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * boxes, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * scores, c.input(1));
  NmsAttrs a;
  int64_t centre = c.attrInt("center_point_box", 0);
  if (centre != 0 && centre != 1)
    return c.error(fmt::format("center_point_box must be 0 or 1, got {}", centre));
  a.centerPointBox = centre == 1;
  DNNCC_ASSIGN_OR_RETURN(Value * maxOut, nmsScalar(c, 2, DType::i64, 0));
  DNNCC_ASSIGN_OR_RETURN(Value * iou, nmsScalar(c, 3, DType::f32, 0));
  std::vector<Value*> operands{boxes, scores, maxOut, iou};
  Value* threshold = c.optionalInput(4);
  if (threshold && threshold->type.numElements() > 0) {
    a.scoreThreshold = true;
    DNNCC_ASSIGN_OR_RETURN(threshold, nmsScalar(c, 4, DType::f32, 0));
    operands.push_back(threshold);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * count, c.emit(OpKind::NonMaxSuppressionCount, operands, a));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::NonMaxSuppression, operands, a));
  return c.setDataDependentOutput(0, y, 0, count);
}

/// Unique-11: outputs Y (the unique slices along `axis`, of the flattened x without one),
/// indices (first occurrences), inverse_indices and counts; Y, indices and counts have the run's
/// number of unique slices, inverse_indices one entry per slice.
Status unique(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  UniqueAttrs a;
  a.sorted = c.attrInt("sorted", 1) != 0;
  if (c.hasAttr("axis")) {
    Expected<int> axis = normalizeAxis(c.attrInt("axis", 0), x->type.rank());
    if (!axis)
      return c.error(axis.status().message());
    a.axis = *axis;
  } else {
    DNNCC_ASSIGN_OR_RETURN(x, reshapeTo(c, x, {x->type.numElements()}));
  }
  if (x->type.shape[a.axis] == 0)
    return c.error("an input with no slices along the axis is not supported");
  DNNCC_ASSIGN_OR_RETURN(Value * count, c.emit(OpKind::UniqueCount, {x}, a));
  const std::pair<OpKind, int> parts[] = {{OpKind::Unique, static_cast<int>(a.axis)},
                                          {OpKind::UniqueIndices, 0},
                                          {OpKind::UniqueInverse, -1},
                                          {OpKind::UniqueCounts, 0}};
  for (int i = 0; i < 4; ++i) {
    if (!c.hasOutput(i))
      continue;
    DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(parts[i].first, {x}, a));
    if (parts[i].second < 0)
      DNNCC_TRY(c.setOutput(i, y));
    else
      DNNCC_TRY(c.setDataDependentOutput(i, y, parts[i].second, count));
  }
  return Status::ok();
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"NonZero", 9, kMax, nonZero},
    {"Compress", 9, kMax, compress},
    {"NonMaxSuppression", 10, kMax, nonMaxSuppression},
    {"Unique", 11, kMax, unique},
};
} // namespace

std::span<const ConverterRow> dataDependentConverters() { return kRows; }

} // namespace dnncc::onnximport
