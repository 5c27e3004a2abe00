// ONNX reductions, Softmax/LogSoftmax/Hardmax, LayerNormalization, BatchNormalization (inference),
// LpNormalization, ArgMax/ArgMin, TopK and CumSum/CumProd -> IR.
#include <algorithm>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

/// One way a Reduce* node may reduce: its attributes (nothing when it reduces nothing) and, when
/// the axes are known only at run time and several ways give the declared shape, the bool scalar
/// that selects it (NodeContext::runtimeReduceAxes).
struct ReduceWay {
  std::optional<ReduceAttrs> attrs;
  Value* when = nullptr;
};

/// ReduceAttrs for `axes` (empty: all axes) of `x`, or nothing for a scalar.
Expected<std::optional<ReduceAttrs>> attrsFor(NodeContext& c, const Value* x, IntList axes) {
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
  if (x->type.rank() == 0) // a scalar reduces to itself
    return std::optional<ReduceAttrs>{};
  return std::optional<ReduceAttrs>{a};
}

/// The ways a Reduce* node reduces: axes from the attribute (before `axesInputOpset`) or the
/// optional constant input 1, empty axes meaning all axes; no attributes when the node reduces
/// nothing (a scalar input, or empty axes with noop_with_empty_axes=1 from `axesInputOpset` on).
/// Axes known only at run time give one way per set the declared output shape allows.
Expected<std::vector<ReduceWay>> reduceWays(NodeContext& c, const Value* x, int axesInputOpset) {
  IntList axes;
  if (c.opset() >= axesInputOpset) {
    if (c.isRuntimeInput(1)) { // compiled for the declared output shape, checked at run time
      DNNCC_ASSIGN_OR_RETURN(auto choices,
                             c.runtimeReduceAxes(1, x, c.attrInt("keepdims", 1) != 0));
      c.ignoreAttr("noop_with_empty_axes"); // the axes are not empty
      std::vector<ReduceWay> ways;
      for (const ReduceChoice& choice : choices) {
        ReduceWay w{std::nullopt, choice.when};
        if (!choice.axes.empty()) { // else only size-1 axes: nothing to reduce
          DNNCC_ASSIGN_OR_RETURN(w.attrs, attrsFor(c, x, choice.axes));
        }
        ways.push_back(w);
      }
      return ways;
    }
    if (c.hasInput(1)) {
      DNNCC_ASSIGN_OR_RETURN(axes, c.constInts(1, "axes"));
    }
    if (axes.empty() && c.attrInt("noop_with_empty_axes", 0) != 0) {
      c.ignoreAttr("keepdims"); // nothing is reduced, no axis is removed
      return std::vector<ReduceWay>{ReduceWay{}};
    }
  } else {
    axes = c.attrInts("axes");
  }
  DNNCC_ASSIGN_OR_RETURN(auto a, attrsFor(c, x, axes));
  return std::vector<ReduceWay>{ReduceWay{a, nullptr}};
}

/// Binds output 0 to `body` of the node's reduction: with several ways (axes known only at run
/// time), each is computed and the run's own is selected.
Status reduceWith(NodeContext& c, Value* x, int axesInputOpset,
                  const std::function<Expected<Value*>(const std::optional<ReduceAttrs>&)>& body) {
  DNNCC_ASSIGN_OR_RETURN(std::vector<ReduceWay> ways, reduceWays(c, x, axesInputOpset));
  Value* y = nullptr;
  for (auto w = ways.rbegin(); w != ways.rend(); ++w) { // the last way needs no test
    DNNCC_ASSIGN_OR_RETURN(Value * v, body(w->attrs));
    if (y) {
      DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::Where, {w->when, v, y}));
    }
    y = v;
  }
  return c.setOutput(0, y);
}

/// ReduceMean/Sum/Max/Min/Prod; the axes become an input at opset 18 (ReduceSum: 13).
template <OpKind K> Status reduce(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  return reduceWith(c, x, K == OpKind::ReduceSum ? 13 : 18,
                    [&](const std::optional<ReduceAttrs>& a) -> Expected<Value*> {
                      if (!a)
                        return x;
                      return c.emit(K, {x}, *a);
                    });
}

/// ReduceLogSumExp = log(sum exp(x)), computed as log(sum exp(x - m)) + m with m the maximum
/// over the axes (as the reference implementation does), so that large inputs do not overflow.
Expected<Value*> reduceLogSumExp(NodeContext& c, Value* x, const ReduceAttrs& a) {
  ReduceAttrs kept = a;
  kept.keepdims = true;
  DNNCC_ASSIGN_OR_RETURN(Value * m, c.emit(OpKind::ReduceMax, {x}, kept));
  DNNCC_ASSIGN_OR_RETURN(Value * d, c.emit(OpKind::Sub, {x, m}));
  DNNCC_ASSIGN_OR_RETURN(Value * e, c.emit(OpKind::Exp, {d}));
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.emit(OpKind::ReduceSum, {e}, a));
  DNNCC_ASSIGN_OR_RETURN(Value * l, c.emit(OpKind::Log, {s}));
  if (!a.keepdims) {
    TensorType t{m->type.dtype, l->type.shape};
    DNNCC_ASSIGN_OR_RETURN(m, c.emit(OpKind::Reshape, {m}, NoAttrs{}, &t));
  }
  return c.emit(OpKind::Add, {l, m});
}

/// The reductions ONNX defines as functions of ReduceSum (axes an input from opset 18):
/// ReduceL1 = sum |x|, ReduceL2 = sqrt(sum x^2), ReduceSumSquare = sum x^2,
/// ReduceLogSum = log(sum x), ReduceLogSumExp = log(sum exp(x)). With noop_with_empty_axes the
/// element-wise parts still apply, as in the function bodies and the reference implementation.
enum class SumOf : uint8_t { l1, l2, square, logSum, logSumExp };
template <SumOf K> Status reduceSumOf(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  return reduceWith(c, x, 18, [&](const std::optional<ReduceAttrs>& a) -> Expected<Value*> {
    if (K == SumOf::logSumExp && a && isFloat(x->type.dtype))
      return reduceLogSumExp(c, x, *a);
    Value* v = x;
    if (K == SumOf::l1) {
      DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::Abs, {x}));
    } else if (K == SumOf::l2 || K == SumOf::square) {
      DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::Mul, {x, x}));
    } else if (K == SumOf::logSumExp) {
      DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::Exp, {x}));
    }
    if (a) {
      DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::ReduceSum, {v}, *a));
    }
    if (K == SumOf::l2) {
      DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::Sqrt, {v}));
    } else if (K == SumOf::logSum || K == SumOf::logSumExp) {
      DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::Log, {v}));
    }
    return v;
  });
}

/// ArgMax/ArgMin: axis (default 0; negative from opset 11), keepdims, select_last_index (12+).
template <OpKind K> Status argExtreme(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 0), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  ArgAttrs a{*axis, c.attrInt("keepdims", 1) != 0, false};
  if (c.opset() >= 12)
    a.selectLastIndex = c.attrInt("select_last_index", 0) != 0;
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {x}, a));
  return c.setOutput(0, y);
}

/// LpNormalization: x / (sum |x|^p)^(1/p) along `axis` (default -1), p = 1 or 2 (default 2);
/// where the norm is 0 the result is 0 (the reference implementation's 0/0 = 0 rule).
Status lpNormalization(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", -1), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  int64_t p = c.attrInt("p", 2);
  if (p != 1 && p != 2)
    return c.error(fmt::format("p={} is not supported (only 1 and 2 are defined)", p));
  Value* v;
  if (p == 1) {
    DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::Abs, {x}));
  } else {
    DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::Mul, {x, x}));
  }
  DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::ReduceSum, {v}, ReduceAttrs{{*axis}, true}));
  if (p == 2) {
    DNNCC_ASSIGN_OR_RETURN(v, c.emit(OpKind::Sqrt, {v}));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * q, c.emit(OpKind::Div, {x, v}));
  Value* zero = c.constant(TensorType{x->type.dtype, {}},
                           std::vector<uint8_t>(dtypeSize(x->type.dtype), 0));
  DNNCC_ASSIGN_OR_RETURN(Value * isZero, c.emit(OpKind::Equal, {v, zero}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Where, {isZero, zero, q}));
  return c.setOutput(0, y);
}

/// TopK: k is an attribute before opset 10, then an input. A k known only at run time gives the
/// declared output shape when there is one (checked at run time), else data-dependent outputs:
/// the whole axis sorted (the upper bound) of which the run's first k entries are the result.
/// largest and sorted from opset 11 (unsorted output may be in any order, so it is sorted too).
/// Values and indices are two ops.
/// TopK with a k known only at run time and no declared output shape: both outputs are
/// data-dependent, k = the run's value clamped to [0, axis extent] entries of the sorted axis.
Status topKDataDependent(NodeContext& c, Value* x, int axis) {
  TopKAttrs a;
  a.axis = axis;
  a.k = x->type.shape[axis];
  if (c.opset() >= 11) {
    a.largest = c.attrInt("largest", 1) != 0;
    c.ignoreAttr("sorted");
  }
  DNNCC_ASSIGN_OR_RETURN(Value * k, c.input(1));
  if (k->type.numElements() != 1)
    return c.error(fmt::format("k must have one element, got {}", toString(k->type)));
  if (k->type.dtype != DType::i64) {
    DNNCC_ASSIGN_OR_RETURN(k, c.emit(OpKind::Cast, {k}, CastAttrs{DType::i64}));
  }
  DNNCC_ASSIGN_OR_RETURN(k, reshapeTo(c, k, {}));
  auto bound = [&](int64_t v) {
    return c.constant(TensorType{DType::i64, {}}, scalarBytes(DType::i64, static_cast<double>(v)));
  };
  DNNCC_ASSIGN_OR_RETURN(k, c.emit(OpKind::Max, {k, bound(0)}));
  DNNCC_ASSIGN_OR_RETURN(k, c.emit(OpKind::Min, {k, bound(a.k)}));
  if (c.hasOutput(0)) {
    DNNCC_ASSIGN_OR_RETURN(Value * values, c.emit(OpKind::TopK, {x}, a));
    DNNCC_TRY(c.setDataDependentOutput(0, values, axis, k));
  }
  if (c.hasOutput(1)) {
    DNNCC_ASSIGN_OR_RETURN(Value * indices, c.emit(OpKind::TopKIndices, {x}, a));
    DNNCC_TRY(c.setDataDependentOutput(1, indices, axis, k));
  }
  return Status::ok();
}

Status topK(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", -1), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  TopKAttrs a;
  a.axis = *axis;
  if (c.opset() < 10) {
    DNNCC_ASSIGN_OR_RETURN(a.k, c.requireInt("k"));
  } else if (c.isRuntimeInput(1)) { // k is the declared outputs' extent on the axis
    const std::vector<int64_t>* d = c.declaredShape(0);
    if (!d)
      d = c.declaredShape(1);
    if (!d || static_cast<int>(d->size()) != x->type.rank())
      return topKDataDependent(c, x, *axis);
    DNNCC_ASSIGN_OR_RETURN(IntList k, c.impliedInts(1, {(*d)[*axis]}));
    a.k = k[0];
  } else {
    DNNCC_ASSIGN_OR_RETURN(IntList k, c.constInts(1, "k"));
    if (k.size() != 1)
      return c.error(fmt::format("k must have one element, got {}", k.size()));
    a.k = k[0];
  }
  if (c.opset() >= 11) {
    a.largest = c.attrInt("largest", 1) != 0;
    c.ignoreAttr("sorted"); // sorted output is a valid result either way
  }
  if (a.k < 1 || a.k > x->type.shape[*axis])
    return c.error(fmt::format("k={} is out of range [1, {}]", a.k, x->type.shape[*axis]));
  if (c.hasOutput(0)) {
    DNNCC_ASSIGN_OR_RETURN(Value * values, c.emit(OpKind::TopK, {x}, a));
    DNNCC_TRY(c.setOutput(0, values));
  }
  if (c.hasOutput(1)) {
    DNNCC_ASSIGN_OR_RETURN(Value * indices, c.emit(OpKind::TopKIndices, {x}, a));
    DNNCC_TRY(c.setOutput(1, indices));
  }
  return Status::ok();
}

/// CumSum-11 / CumProd-26: the axis input is a scalar; a constant one is resolved here, a runtime
/// one becomes the op's second operand.
template <OpKind K> Status cumulative(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * axisValue, c.input(1));
  CumAttrs a{0, c.attrInt("exclusive", 0) != 0, c.attrInt("reverse", 0) != 0};
  std::vector<Value*> operands{x};
  if (axisValue->isConstant()) {
    DNNCC_ASSIGN_OR_RETURN(IntList axis, c.constInts(1, "axis"));
    if (axis.size() != 1)
      return c.error("axis must be a scalar");
    Expected<int> n = normalizeAxis(axis[0], x->type.rank());
    if (!n)
      return c.error(n.status().message());
    a.axis = *n;
  } else {
    operands.push_back(axisValue);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, operands, a));
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

/// BatchNormalization-14+ with training_mode=1 (the ONNX reference's _batchnorm_training_mode):
/// the batch's mean and population variance over every axis but the channel axis normalise x,
/// and the outputs running_mean / running_var are input * momentum + batch * (1 - momentum).
Status batchNormTraining(NodeContext& c, const std::vector<Value*>& operands) {
  Composer b(c);
  Value* x = operands[0];
  int rank = x->type.rank();
  if (rank < 2)
    return c.error(fmt::format("X {} has no channel axis", shapeString(x->type.shape)));
  if (!isFloat(x->type.dtype))
    return c.error("training mode needs a floating-point X");
  IntList axes;
  for (int a = 0; a < rank; ++a)
    if (a != 1)
      axes.push_back(a);
  int64_t channels = x->type.shape[1];
  std::vector<int64_t> perChannel(rank, 1);
  perChannel[1] = channels;
  DNNCC_ASSIGN_OR_RETURN(Value * mean, b.reduce(OpKind::ReduceMean, x, axes, false));
  DNNCC_ASSIGN_OR_RETURN(Value * spread, b.reshape(mean, perChannel));
  DNNCC_ASSIGN_OR_RETURN(spread, b.op(OpKind::Sub, {x, spread}));
  DNNCC_ASSIGN_OR_RETURN(spread, b.op(OpKind::Mul, {spread, spread}));
  DNNCC_ASSIGN_OR_RETURN(Value * var, b.reduce(OpKind::ReduceMean, spread, axes, false));
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.emit(OpKind::BatchNorm, {x, operands[1], operands[2], mean, var},
                                BatchNormAttrs{c.attrFloat("epsilon", 1e-5)}));
  DNNCC_TRY(c.setOutput(0, y));
  double momentum = c.attrFloat("momentum", 0.9);
  DType t = x->type.dtype;
  auto running = [&](Value* given, Value* batch) -> Expected<Value*> {
    if (given->type.shape != std::vector<int64_t>{channels})
      return c.error(
          fmt::format("input mean/var {} is not [{}]", shapeString(given->type.shape), channels));
    DNNCC_ASSIGN_OR_RETURN(Value * kept, b.op(OpKind::Mul, {given, b.scalar(t, momentum)}));
    DNNCC_ASSIGN_OR_RETURN(Value * added, b.op(OpKind::Mul, {batch, b.scalar(t, 1 - momentum)}));
    return b.op(OpKind::Add, {kept, added});
  };
  if (c.hasOutput(1)) {
    DNNCC_ASSIGN_OR_RETURN(Value * rm, running(operands[3], mean));
    DNNCC_TRY(c.setOutput(1, rm));
  }
  if (c.hasOutput(2)) {
    DNNCC_ASSIGN_OR_RETURN(Value * rv, running(operands[4], var));
    DNNCC_TRY(c.setOutput(2, rv));
  }
  return Status::ok();
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
  if (c.opset() >= 14 && c.attrInt("training_mode", 0) != 0)
    return batchNormTraining(c, operands);
  if (c.hasOutput(1) || c.hasOutput(2))
    return c.error("running mean/var outputs without training_mode=1 (or before opset 14) are "
                   "not supported");
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
    {"ReduceL1", 1, kMax, reduceSumOf<SumOf::l1>},
    {"ReduceL2", 1, kMax, reduceSumOf<SumOf::l2>},
    {"ReduceSumSquare", 1, kMax, reduceSumOf<SumOf::square>},
    {"ReduceLogSum", 1, kMax, reduceSumOf<SumOf::logSum>},
    {"ReduceLogSumExp", 1, kMax, reduceSumOf<SumOf::logSumExp>},
    {"ArgMax", 1, kMax, argExtreme<OpKind::ArgMax>},
    {"ArgMin", 1, kMax, argExtreme<OpKind::ArgMin>},
    {"Hardmax", 1, kMax, softmax<OpKind::Hardmax>},
    {"LpNormalization", 1, kMax, lpNormalization},
    {"TopK", 1, kMax, topK},
    {"CumSum", 11, kMax, cumulative<OpKind::CumSum>},
    {"CumProd", 26, kMax, cumulative<OpKind::CumProd>},
};
} // namespace

std::span<const ConverterRow> reduceConverters() { return kRows; }

} // namespace dnncc::onnximport
