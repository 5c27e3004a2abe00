// Type inference of reductions and normalisations (ONNX Reduce*, Softmax, LayerNormalization,
// BatchNormalization in inference mode).
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

} // namespace dnncc
