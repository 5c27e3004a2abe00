// ONNX reductions, Softmax/LogSoftmax, LayerNormalization and BatchNormalization (inference) -> IR.
#include <algorithm>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

/// Reduce*: axes from the attribute (before opset 18; ReduceSum before 13) or the optional input;
/// empty axes mean all axes unless noop_with_empty_axes=1, which makes the op the identity.
template <OpKind K> Status reduce(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  bool axesAsInput = c.opset() >= (K == OpKind::ReduceSum ? 13 : 18);
  IntList axes;
  if (axesAsInput) {
    if (c.hasInput(1)) {
      DNNCC_ASSIGN_OR_RETURN(axes, c.constInts(1, "axes"));
    }
    if (axes.empty() && c.attrInt("noop_with_empty_axes", 0) != 0)
      return c.setOutput(0, x);
  } else {
    axes = c.attrInts("axes");
  }
  ReduceAttrs a;
  a.keepdims = c.attrInt("keepdims", 1) != 0;
  if (axes.empty())
    for (int i = 0; i < x->type.rank(); ++i)
      axes.push_back(i);
  for (int64_t ax : axes) {
    Expected<int> n = normalizeAxis(ax, x->type.rank());
    if (!n)
      return c.error(n.status().message());
    a.axes.push_back(*n);
  }
  std::sort(a.axes.begin(), a.axes.end());
  if (std::adjacent_find(a.axes.begin(), a.axes.end()) != a.axes.end())
    return c.error("axes contain a repeated axis");
  if (x->type.rank() == 0) { // a scalar reduces to itself
    return c.setOutput(0, x);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {x}, a));
  return c.setOutput(0, y);
}

/// Softmax-13+: along one axis (default -1). Before 13: the input is coerced to 2-D at `axis`
/// (default 1) and normalised over the flattened trailing part.
template <OpKind K> Status softmax(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  int rank = x->type.rank();
  if (c.opset() >= 13) {
    Expected<int> axis = normalizeAxis(c.attrInt("axis", -1), rank);
    if (!axis)
      return c.error(axis.status().message());
    DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {x}, AxisAttrs{*axis}));
    return c.setOutput(0, y);
  }
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 1), rank);
  if (!axis)
    return c.error(axis.status().message());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < rank; ++i)
    (i < *axis ? outer : inner) *= x->type.shape[i];
  TensorType flat{x->type.dtype, {outer, inner}};
  DNNCC_ASSIGN_OR_RETURN(Value * f, c.emit(OpKind::Reshape, {x}, NoAttrs{}, &flat));
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.emit(K, {f}, AxisAttrs{1}));
  TensorType back{x->type.dtype, x->type.shape};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Reshape, {s}, NoAttrs{}, &back));
  return c.setOutput(0, y);
}

Status layerNorm(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * scale, c.input(1));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", -1), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  if (c.hasOutput(1) || c.hasOutput(2))
    return layerNormWithStats(c, x, scale, c.optionalInput(2), *axis,
                              c.attrFloat("epsilon", 1e-5));
  if (c.attrInt("stash_type", 1) != 1)
    return c.error("stash_type other than 1 (float32) is not supported");
  std::vector<Value*> operands{x, scale};
  if (Value* bias = c.optionalInput(2))
    operands.push_back(bias);
  LayerNormAttrs a{*axis, c.attrFloat("epsilon", 1e-5)};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::LayerNorm, operands, a));
  return c.setOutput(0, y);
}

Status batchNorm(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  std::vector<Value*> operands{x};
  for (int i = 1; i < 5; ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    operands.push_back(v);
  }
  if (c.opset() < 9 && c.attrInt("spatial", 1) != 1)
    return c.error("spatial=0 is not supported");
  if (c.attrInt("training_mode", 0) != 0 || c.hasOutput(1) || c.hasOutput(2))
    return c.error("training mode (running mean/var outputs) is not supported");
  c.ignoreAttr("momentum"); // only used in training
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::BatchNorm, operands,
                                           BatchNormAttrs{c.attrFloat("epsilon", 1e-5)}));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"ReduceMean", 1, kMax, reduce<OpKind::ReduceMean>},
    {"ReduceSum", 1, kMax, reduce<OpKind::ReduceSum>},
    {"ReduceMax", 1, kMax, reduce<OpKind::ReduceMax>},
    {"ReduceMin", 1, kMax, reduce<OpKind::ReduceMin>},
    {"ReduceProd", 1, kMax, reduce<OpKind::ReduceProd>},
    {"Softmax", 1, kMax, softmax<OpKind::Softmax>},
    {"LogSoftmax", 1, kMax, softmax<OpKind::LogSoftmax>},
    {"LayerNormalization", 17, kMax, layerNorm},
    {"BatchNormalization", 7, kMax, batchNorm},
};
} // namespace

std::span<const ConverterRow> reduceConverters() { return kRows; }

} // namespace dnncc::onnximport
