// Type inference of reductions and normalisations (ONNX Reduce*, Softmax, LayerNormalization,
// BatchNormalization in inference mode), ArgMax/ArgMin, Hardmax, TopK and CumSum/CumProd.
#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {

Expected<TensorType> inferReduce(const Op& op) {
  const auto& a = op.attr<ReduceAttrs>();
  const TensorType& x = op.operands[0]->type;
  if (a.axes.empty())
    return Status::error("reduction axes are empty");
  std::vector<bool> reduced(x.rank(), false);
  for (size_t i = 0; i < a.axes.size(); ++i) {
    if (a.axes[i] < 0 || a.axes[i] >= x.rank() || (i > 0 && a.axes[i] <= a.axes[i - 1]))
      return Status::error(fmt::format("axes [{}] must be sorted, unique and in [0, {})",
                                       fmt::join(a.axes, ","), x.rank()));
    reduced[a.axes[i]] = true;
  }
  std::vector<int64_t> shape;
  for (int i = 0; i < x.rank(); ++i) {
    if (!reduced[i])
      shape.push_back(x.shape[i]);
    else if (a.keepdims)
      shape.push_back(1);
  }
  return makeType(x.dtype, std::move(shape));
}

Expected<TensorType> inferSoftmax(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  int64_t axis = op.attr<AxisAttrs>().axis;
  if (axis < 0 || axis >= std::max(x.rank(), 1))
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, x.rank()));
  if (!isFloat(x.dtype))
    return Status::error("softmax expects a float input");
  return makeType(x.dtype, x.shape);
}

Expected<TensorType> inferLayerNorm(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  int64_t axis = op.attr<LayerNormAttrs>().axis;
  if (axis < 0 || axis >= x.rank())
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, x.rank()));
  std::vector<int64_t> normShape(x.shape.begin() + axis, x.shape.end());
  for (size_t i = 1; i < op.operands.size(); ++i) {
    Expected<std::vector<int64_t>> b = broadcastShapes(op.operands[i]->type.shape, normShape);
    if (!b || *b != normShape)
      return Status::error(fmt::format("{} {} does not broadcast to {}",
                                       i == 1 ? "scale" : "bias",
                                       shapeString(op.operands[i]->type.shape),
                                       shapeString(normShape)));
  }
  return makeType(x.dtype, x.shape);
}

Expected<TensorType> inferBatchNorm(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  if (x.rank() < 2)
    return Status::error("batch_norm input must be [N, C, ...]");
  for (size_t i = 1; i < 5; ++i)
    if (op.operands[i]->type.shape != std::vector<int64_t>{x.shape[1]})
      return Status::error(fmt::format("parameter {} has shape {}, expected [{}]", i,
                                       shapeString(op.operands[i]->type.shape), x.shape[1]));
  return makeType(x.dtype, x.shape);
}

namespace {
Status checkAxis(int64_t axis, int rank) {
  if (axis < 0 || axis >= rank)
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, rank));
  return Status::ok();
}
} // namespace

/// arg_max / arg_min: the input shape without `axis` (or with it as 1 under keepdims), int64.
Expected<TensorType> inferArg(const Op& op) {
  const auto& a = op.attr<ArgAttrs>();
  const TensorType& x = op.operands[0]->type;
  DNNCC_TRY(checkAxis(a.axis, x.rank()));
  if (x.dtype == DType::boolean)
    return Status::error("arg_max / arg_min expect a numeric input");
  std::vector<int64_t> shape = x.shape;
  if (a.keepdims)
    shape[a.axis] = 1;
  else
    shape.erase(shape.begin() + a.axis);
  return makeType(DType::i64, std::move(shape));
}

/// top_k: the input shape with `axis` of extent k; the input type (top_k) or int64 (indices).
Expected<TensorType> inferTopK(const Op& op) {
  const auto& a = op.attr<TopKAttrs>();
  const TensorType& x = op.operands[0]->type;
  DNNCC_TRY(checkAxis(a.axis, x.rank()));
  if (a.k < 1 || a.k > x.shape[a.axis])
    return Status::error(
        fmt::format("k={} is out of range [1, {}] for axis {}", a.k, x.shape[a.axis], a.axis));
  std::vector<int64_t> shape = x.shape;
  shape[a.axis] = a.k;
  return makeType(op.kind == OpKind::TopKIndices ? DType::i64 : x.dtype, std::move(shape));
}

/// cum_sum / cum_prod: same type as the input; the optional runtime axis is an integer scalar.
Expected<TensorType> inferCum(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  DNNCC_TRY(checkAxis(op.attr<CumAttrs>().axis, x.rank()));
  if (op.operands.size() == 2) {
    const TensorType& axis = op.operands[1]->type;
    if ((axis.dtype != DType::i32 && axis.dtype != DType::i64) || axis.numElements() != 1)
      return Status::error(fmt::format("the axis operand must be an int32 or int64 scalar, got {}",
                                       toString(axis)));
  }
  if (x.dtype == DType::boolean)
    return Status::error("cum_sum / cum_prod expect a numeric input");
  return makeType(x.dtype, x.shape);
}

} // namespace dnncc
