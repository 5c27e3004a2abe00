// The old forms (ONNX opsets 1-7) of ops whose attributes or inputs changed later: legacy
// broadcasting (`broadcast`/`axis`) of the arithmetic ops, same-shape variadic ops, Gemm's
// `broadcast`, BatchNormalization's `is_test`/`spatial`, Pad-1 `paddings`, Split-1, Concat-1,
// Reshape-1, PRelu-1/6 channel slopes, and `consumed_inputs` (opsets 1-5), an in-place hint of the
// old Caffe2 backend that has no effect on results and is ignored. Sources: onnx docs/Changelog.md.
#include <cstring>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {
namespace {

void ignoreConsumed(NodeContext& c) {
  c.ignoreConsumedInputs();
}

template <OpKind K> Status unary(NodeContext& c) {
  ignoreConsumed(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {x}));
  return c.setOutput(0, y);
}

Status leakyRelu(NodeContext& c) {
  ignoreConsumed(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(
      Value * y, c.emit(OpKind::LeakyRelu, {x}, LeakyReluAttrs{c.attrFloat("alpha", 0.01)}));
  return c.setOutput(0, y);
}

/// Clip-1: min/max attributes, each absent bound is unbounded.
Status clip(NodeContext& c) {
  ignoreConsumed(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  ClipAttrs a{c.attrFloat("min", -std::numeric_limits<double>::infinity()),
              c.attrFloat("max", std::numeric_limits<double>::infinity())};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Clip, {x}, a));
  return c.setOutput(0, y);
}

/// Legacy broadcasting (Add/Sub/Mul/Div/Pow and the logical and comparison ops, opsets 1-6): with
/// broadcast=1, B's shape is a contiguous part of A's starting at `axis` (default: B's dims are A's
/// trailing dims) or B has one element; the result has A's shape. With broadcast=0 the shapes must
/// be equal.
Expected<Value*> legacyBroadcast(NodeContext& c, Value* a, Value* b) {
  const auto& as = a->type.shape;
  const auto& bs = b->type.shape;
  if (c.attrInt("broadcast", 0) == 0) {
    c.ignoreAttr("axis");
    if (as != bs)
      return c.error(fmt::format("broadcast=0 needs equal shapes, got {} and {}", shapeString(as),
                                 shapeString(bs)));
    return b;
  }
  if (b->type.numElements() == 1) {
    c.ignoreAttr("axis");
    return reshapeTo(c, b, {});
  }
  int ra = a->type.rank(), rb = b->type.rank();
  int64_t axis = c.attrInt("axis", ra - rb);
  if (axis < 0)
    axis += ra;
  if (rb > ra || axis < 0 || axis + rb > ra)
    return c.error(fmt::format("B {} does not fit A {} at axis {}", shapeString(bs),
                               shapeString(as), c.attrInt("axis", ra - rb)));
  std::vector<int64_t> shape(ra, 1);
  for (int i = 0; i < rb; ++i) {
    if (bs[i] != as[axis + i] && bs[i] != 1)
      return c.error(fmt::format("B {} does not broadcast to A {} at axis {}", shapeString(bs),
                                 shapeString(as), axis));
    shape[axis + i] = bs[i];
  }
  return reshapeTo(c, b, shape);
}

template <OpKind K> Status binary(NodeContext& c) {
  ignoreConsumed(c);
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(b, legacyBroadcast(c, a, b));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {a, b}));
  return c.setOutput(0, y);
}

/// Sum/Max/Min/Mean before opset 8: every input has the same shape.
Expected<std::vector<Value*>> sameShapeInputs(NodeContext& c) {
  ignoreConsumed(c);
  std::vector<Value*> vs;
  for (int i = 0; i < c.numInputs(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    if (!vs.empty() && v->type.shape != vs[0]->type.shape)
      return c.error(fmt::format("input {} has shape {}, input 0 {} (before opset 8 all inputs "
                                 "have the same shape)",
                                 i, shapeString(v->type.shape), shapeString(vs[0]->type.shape)));
    vs.push_back(v);
  }
  if (vs.empty())
    return c.error("the op needs at least one input");
  return vs;
}

template <OpKind K> Status variadic(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(std::vector<Value*> vs, sameShapeInputs(c));
  Value* acc = vs[0];
  for (size_t i = 1; i < vs.size(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(acc, c.emit(K, {acc, vs[i]}));
  }
  return c.setOutput(0, acc);
}

Status mean(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(std::vector<Value*> vs, sameShapeInputs(c));
  Value* acc = vs[0];
  for (size_t i = 1; i < vs.size(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(acc, c.emit(OpKind::Add, {acc, vs[i]}));
  }
  Value* n = c.constant(TensorType{acc->type.dtype, {}},
                        scalarBytes(acc->type.dtype, static_cast<double>(vs.size())));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Div, {acc, n}));
  return c.setOutput(0, y);
}

/// PRelu-1/6: y = x < 0 ? slope * x : x. A one-element slope is shared; a 1-D slope of C entries
/// is per channel (axis 1, as the channel-shared slope of the spec's wording); otherwise the slope
/// broadcasts unidirectionally (numpy) to x.
Status prelu(NodeContext& c) {
  ignoreConsumed(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * slope, c.input(1));
  int rank = x->type.rank();
  if (slope->type.numElements() == 1) {
    DNNCC_ASSIGN_OR_RETURN(slope, reshapeTo(c, slope, {}));
  } else if (slope->type.rank() == 1 && rank >= 2 && slope->type.shape[0] == x->type.shape[1]) {
    std::vector<int64_t> shape(rank - 1, 1);
    shape[0] = slope->type.shape[0];
    DNNCC_ASSIGN_OR_RETURN(slope, reshapeTo(c, slope, shape));
  }
  Expected<std::vector<int64_t>> out = broadcastShapes(x->type.shape, slope->type.shape);
  if (!out || *out != x->type.shape)
    return c.error(fmt::format("slope {} does not broadcast to the input {}",
                               shapeString(slope->type.shape), shapeString(x->type.shape)));
  Value* zero = c.constant(TensorType{x->type.dtype, {}}, scalarBytes(x->type.dtype, 0.0));
  DNNCC_ASSIGN_OR_RETURN(Value * negative, c.emit(OpKind::Less, {x, zero}));
  DNNCC_ASSIGN_OR_RETURN(Value * scaled, c.emit(OpKind::Mul, {x, slope}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Where, {negative, scaled, x}));
  return c.setOutput(0, y);
}

/// Gemm-1..6: C is required; with broadcast=0 it must be [M, N], with broadcast=1 it broadcasts.
Status gemm(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * bias, c.input(2));
  GemmAttrs attrs{c.attrInt("transA", 0) != 0, c.attrInt("transB", 0) != 0,
                  c.attrFloat("alpha", 1.0), c.attrFloat("beta", 1.0)};
  bool broadcast = c.attrInt("broadcast", 0) != 0;
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Gemm, {a, b, bias}, attrs));
  if (!broadcast && bias->type.shape != y->type.shape)
    return c.error(fmt::format("broadcast=0 needs C of shape {}, got {}",
                               shapeString(y->type.shape), shapeString(bias->type.shape)));
  return c.setOutput(0, y);
}

/// BatchNormalization-1..6 in test mode (is_test=1): per-channel normalisation with the given
/// mean and variance. is_test=0 (training: batch statistics and running outputs) is rejected.
Status batchNorm(NodeContext& c) {
  ignoreConsumed(c);
  std::vector<Value*> operands;
  for (int i = 0; i < 5; ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    operands.push_back(v);
  }
  if (c.attrInt("is_test", 0) == 0)
    return c.error("is_test=0 (training mode) is not supported");
  if (c.attrInt("spatial", 1) != 1)
    return c.error("spatial=0 is not supported");
  for (int i = 1; i < c.numOutputs(); ++i)
    if (c.hasOutput(i))
      return c.error("the training outputs (running and saved mean/variance) are not supported");
  c.ignoreAttr("momentum"); // only used in training
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::BatchNorm, operands,
                                           BatchNormAttrs{c.attrFloat("epsilon", 1e-5)}));
  return c.setOutput(0, y);
}

/// Dropout-1..6 in inference: the identity (is_test only selects training); the mask is all true.
Status dropout(NodeContext& c) {
  ignoreConsumed(c);
  c.ignoreAttr("is_test");
  c.ignoreAttr("ratio");
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (c.hasOutput(1)) {
    std::vector<uint8_t> ones(x->type.numElements(), 1);
    DNNCC_TRY(c.setOutput(1, c.constant(TensorType{DType::boolean, x->type.shape}, ones)));
  }
  return c.setOutput(0, x);
}

/// Concat-1..3: `axis` defaults to 1.
Status concat(NodeContext& c) {
  std::vector<Value*> operands;
  for (int i = 0; i < c.numInputs(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    operands.push_back(v);
  }
  if (operands.empty())
    return c.error("concat needs at least one input");
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 1), operands[0]->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  if (operands.size() == 1)
    return c.setOutput(0, operands[0]);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Concat, operands, AxisAttrs{*axis}));
  return c.setOutput(0, y);
}

/// Split-1: sizes from the optional constant input 1 or the `split` attribute, else equal parts.
Status split(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 0), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  int64_t dim = x->type.shape[*axis];
  IntList sizes = c.attrInts("split");
  if (c.hasInput(1)) {
    DNNCC_ASSIGN_OR_RETURN(sizes, c.constInts(1, "split"));
  }
  int n = c.numOutputs();
  if (sizes.empty()) {
    if (dim % n != 0)
      return c.error(fmt::format("axis extent {} does not split into {} equal parts", dim, n));
    sizes.assign(n, dim / n);
  }
  int64_t total = 0;
  for (int64_t s : sizes)
    total += s;
  if (static_cast<int>(sizes.size()) != n || total != dim)
    return c.error(fmt::format("split sizes [{}] do not cover axis extent {} with {} outputs",
                               fmt::join(sizes, ","), dim, n));
  int64_t offset = 0;
  for (int i = 0; i < n; ++i) {
    IntList starts(x->type.rank(), 0), steps(x->type.rank(), 1);
    starts[*axis] = offset;
    TensorType t{x->type.dtype, x->type.shape};
    t.shape[*axis] = sizes[i];
    Value* y = x;
    if (t.shape != x->type.shape) {
      DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Slice, {x}, SliceAttrs{starts, steps}, &t));
    }
    DNNCC_TRY(c.setOutput(i, y));
    offset += sizes[i];
  }
  return Status::ok();
}

/// Pad-1: `paddings` [begin..., end...], `mode`, `value`.
Status pad(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  PadAttrs a;
  std::string mode = c.attrString("mode", "constant");
  if (!parseEnum(mode, a.mode))
    return c.error(fmt::format("mode='{}' is not supported", mode));
  a.pads = c.attrInts("paddings");
  a.value = c.attrFloat("value", 0.0);
  if (a.pads.size() != 2 * static_cast<size_t>(x->type.rank()))
    return c.error(fmt::format("paddings has {} entries for rank {}", a.pads.size(),
                               x->type.rank()));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Pad, {x}, a));
  return c.setOutput(0, y);
}

/// Reshape-1..4: the `shape` attribute; 0 copies the input dimension, -1 is inferred.
Status reshape(NodeContext& c) {
  ignoreConsumed(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  IntList shape = c.attrInts("shape");
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) {
      if (i >= x->type.shape.size())
        return c.error(fmt::format("shape entry {} is 0 but the input has rank {}", i,
                                   x->type.rank()));
      shape[i] = x->type.shape[i];
    }
    if (shape[i] == -1) {
      if (inferred >= 0)
        return c.error("shape has more than one -1");
      inferred = static_cast<int>(i);
    } else if (shape[i] < 0) {
      return c.error(fmt::format("shape entry {} is negative", shape[i]));
    } else {
      known *= shape[i];
    }
  }
  if (inferred >= 0) {
    if (known == 0 || x->type.numElements() % known != 0)
      return c.error("the -1 entry of shape cannot be inferred");
    shape[inferred] = x->type.numElements() / known;
  }
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  if (n != x->type.numElements())
    return c.error(fmt::format("shape {} does not hold the {} input elements", shapeString(shape),
                               x->type.numElements()));
  DNNCC_ASSIGN_OR_RETURN(Value * y, reshapeTo(c, x, shape));
  return c.setOutput(0, y);
}

const ConverterRow kRows[] = {
    {"Relu", 1, 5, unary<OpKind::Relu>},
    {"Sigmoid", 1, 5, unary<OpKind::Sigmoid>},
    {"Tanh", 1, 5, unary<OpKind::Tanh>},
    {"Exp", 1, 5, unary<OpKind::Exp>},
    {"Log", 1, 5, unary<OpKind::Log>},
    {"Sqrt", 1, 5, unary<OpKind::Sqrt>},
    {"Reciprocal", 1, 5, unary<OpKind::Reciprocal>},
    {"Neg", 1, 5, unary<OpKind::Neg>},
    {"Abs", 1, 5, unary<OpKind::Abs>},
    {"Floor", 1, 5, unary<OpKind::Floor>},
    {"Ceil", 1, 5, unary<OpKind::Ceil>},
    {"LeakyRelu", 1, 5, leakyRelu},
    {"Clip", 1, 5, clip},
    {"Add", 1, 6, binary<OpKind::Add>},
    {"Sub", 1, 6, binary<OpKind::Sub>},
    {"Mul", 1, 6, binary<OpKind::Mul>},
    {"Div", 1, 6, binary<OpKind::Div>},
    {"Pow", 1, 6, binary<OpKind::Pow>},
    {"And", 1, 6, binary<OpKind::And>},
    {"Or", 1, 6, binary<OpKind::Or>},
    {"Xor", 1, 6, binary<OpKind::Xor>},
    {"Equal", 1, 6, binary<OpKind::Equal>},
    {"Greater", 1, 6, binary<OpKind::Greater>},
    {"Less", 1, 6, binary<OpKind::Less>},
    {"Sum", 1, 7, variadic<OpKind::Add>},
    {"Max", 1, 7, variadic<OpKind::Max>},
    {"Min", 1, 7, variadic<OpKind::Min>},
    {"Mean", 1, 7, mean},
    {"PRelu", 1, 6, prelu},
    {"Gemm", 1, 6, gemm},
    {"BatchNormalization", 1, 6, batchNorm},
    {"Dropout", 1, 6, dropout},
    {"Concat", 1, 3, concat},
    {"Split", 1, 1, split},
    {"Pad", 1, 1, pad},
    {"Reshape", 1, 4, reshape},
};
} // namespace

std::span<const ConverterRow> legacyConverters() { return kRows; }

} // namespace dnncc::onnximport
