// ONNX shape and data-movement ops -> IR: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat,
// Split, Slice, Gather, Expand, Pad, and the ops whose results are known from static shapes (Shape,
// Size, ConstantOfShape, Constant), which become constants directly.
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

Value* intsConstant(NodeContext& c, const std::vector<int64_t>& values, bool scalar = false) {
  std::vector<uint8_t> bytes = bytesOf(values);
  TensorType t{DType::i64, scalar ? std::vector<int64_t>{}
                                  : std::vector<int64_t>{static_cast<int64_t>(values.size())}};
  return c.constant(t, std::move(bytes));
}

/// Reshape with a `shape` known only at run time: to the declared output shape D, checking at
/// run time that each entry is D's, -1, or (without allowzero) 0 where x has D's extent.
Status reshapeToDeclared(NodeContext& c, Value* x, bool allowZero) {
  const std::vector<int64_t>* d = c.declaredShape(0);
  if (!d)
    return c.runtimeShapeInputError(1, "shape");
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.input(1));
  int64_t n = static_cast<int64_t>(d->size());
  if (s->type.numElements() != n || numElements(*d) != x->type.numElements())
    return c.error(fmt::format("cannot reshape {} to the declared output shape {}",
                               shapeString(x->type.shape), shapeString(*d)));
  std::vector<int64_t> zero(*d), minusOne(n, -1);
  for (int64_t i = 0; i < n; ++i)
    if (!allowZero && i < x->type.rank() && x->type.shape[i] == (*d)[i])
      zero[i] = 0;
  DNNCC_ASSIGN_OR_RETURN(Value * isD, c.equalsConstant(s, *d, {n}));
  DNNCC_ASSIGN_OR_RETURN(Value * isInferred, c.equalsConstant(s, minusOne, {n}));
  DNNCC_ASSIGN_OR_RETURN(Value * isCopy, c.equalsConstant(s, zero, {n}));
  DNNCC_ASSIGN_OR_RETURN(Value * ok, c.emit(OpKind::Or, {isD, isInferred}));
  DNNCC_ASSIGN_OR_RETURN(ok, c.emit(OpKind::Or, {ok, isCopy}));
  DNNCC_TRY(c.checkAtRunTime(ok));
  DNNCC_ASSIGN_OR_RETURN(Value * y, reshapeTo(c, x, *d));
  return c.setOutput(0, y);
}

/// Reshape-5+: 0 copies the input dimension (unless allowzero=1, opset 14+), -1 is inferred.
Status reshape(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (c.isRuntimeInput(1))
    return reshapeToDeclared(c, x, c.opset() >= 14 && c.attrInt("allowzero", 0) != 0);
  DNNCC_ASSIGN_OR_RETURN(auto shape, c.constInts(1, "shape"));
  bool allowZero = c.opset() >= 14 && c.attrInt("allowzero", 0) != 0;
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowZero) {
      if (i >= x->type.shape.size())
        return c.error(fmt::format("shape entry {} is 0 but the input has rank {}", i,
                                   x->type.rank()));
      shape[i] = x->type.shape[i];
    }
    if (shape[i] == -1) {
      if (inferred >= 0)
        return c.error("shape has more than one -1");
      inferred = static_cast<int>(i);
      continue;
    }
    if (shape[i] < 0)
      return c.error(fmt::format("shape entry {} is negative", shape[i]));
    if (__builtin_mul_overflow(known, shape[i], &known))
      return c.error(fmt::format("shape [{}] has more than 2^63 elements", fmt::join(shape, ",")));
  }
  if (inferred >= 0) {
    if (known == 0 || x->type.numElements() % known != 0)
      return c.error(fmt::format("cannot reshape {} to [{}]", shapeString(x->type.shape),
                                 fmt::join(shape, ",")));
    shape[inferred] = x->type.numElements() / known;
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, reshapeTo(c, x, shape));
  return c.setOutput(0, y);
}

Status flatten(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  int rank = x->type.rank();
  int64_t axis = c.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return c.error(fmt::format("axis {} is out of range for rank {}", axis, rank));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < rank; ++i)
    (i < axis ? outer : inner) *= x->type.shape[i];
  DNNCC_ASSIGN_OR_RETURN(Value * y, reshapeTo(c, x, {outer, inner}));
  return c.setOutput(0, y);
}

Expected<IntList> axesOf(NodeContext& c, int firstInputOpset) {
  if (c.opset() >= firstInputOpset) {
    if (!c.hasInput(1))
      return IntList{};
    return c.constInts(1, "axes");
  }
  return c.attrInts("axes");
}

/// Squeeze/Unsqueeze-13+ with axes known only at run time: a reshape to the declared output
/// shape D, checking at run time that every axis names a size-1 extent (of x for Squeeze, of D
/// for Unsqueeze); x and D must differ by size-1 extents only.
Status reshapeByRuntimeAxes(NodeContext& c, Value* x, bool squeezing) {
  const std::vector<int64_t>* d = c.declaredShape(0);
  if (!d)
    return c.runtimeShapeInputError(1, "axes");
  DNNCC_ASSIGN_OR_RETURN(Value * axes, c.input(1));
  const std::vector<int64_t>& big = squeezing ? x->type.shape : *d;
  const std::vector<int64_t>& small = squeezing ? *d : x->type.shape;
  std::vector<int64_t> bigNonOne, smallNonOne, ones;
  for (int64_t e : big)
    if (e != 1)
      bigNonOne.push_back(e);
  for (int64_t e : small)
    if (e != 1)
      smallNonOne.push_back(e);
  for (size_t k = 0; k < big.size(); ++k)
    if (big[k] == 1)
      ones.push_back(static_cast<int64_t>(k));
  if (bigNonOne != smallNonOne ||
      static_cast<int64_t>(big.size() - small.size()) != axes->type.numElements())
    return c.error(fmt::format("{} by {} axes cannot give the declared output shape {}",
                               squeezing ? "squeezing" : "unsqueezing",
                               axes->type.numElements(), shapeString(*d)));
  DNNCC_ASSIGN_OR_RETURN(Value * normalized,
                         c.normalizedAxes(1, static_cast<int64_t>(big.size())));
  DNNCC_ASSIGN_OR_RETURN(Value * ok, c.axesMatch(normalized, ones, {}));
  DNNCC_TRY(c.checkAtRunTime(ok));
  DNNCC_ASSIGN_OR_RETURN(Value * y, reshapeTo(c, x, *d));
  return c.setOutput(0, y);
}

Status squeeze(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (c.opset() >= 13 && c.isRuntimeInput(1))
    return reshapeByRuntimeAxes(c, x, /*squeezing=*/true);
  DNNCC_ASSIGN_OR_RETURN(IntList axes, axesOf(c, 13));
  int rank = x->type.rank();
  std::vector<bool> drop(rank, false);
  for (int64_t a : axes) {
    Expected<int> n = normalizeAxis(a, rank);
    if (!n)
      return c.error(n.status().message());
    if (x->type.shape[*n] != 1)
      return c.error(fmt::format("cannot squeeze axis {} of extent {}", a, x->type.shape[*n]));
    drop[*n] = true;
  }
  std::vector<int64_t> shape;
  for (int i = 0; i < rank; ++i)
    if (!(axes.empty() ? x->type.shape[i] == 1 : drop[i]))
      shape.push_back(x->type.shape[i]);
  DNNCC_ASSIGN_OR_RETURN(Value * y, reshapeTo(c, x, shape));
  return c.setOutput(0, y);
}

Status unsqueeze(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (c.opset() >= 13 && c.isRuntimeInput(1))
    return reshapeByRuntimeAxes(c, x, /*squeezing=*/false);
  DNNCC_ASSIGN_OR_RETURN(IntList axes, axesOf(c, 13));
  int outRank = x->type.rank() + static_cast<int>(axes.size());
  std::vector<bool> inserted(outRank, false);
  for (int64_t a : axes) {
    Expected<int> n = normalizeAxis(a, outRank);
    if (!n)
      return c.error(n.status().message());
    if (inserted[*n])
      return c.error(fmt::format("axis {} is repeated", a));
    inserted[*n] = true;
  }
  std::vector<int64_t> shape;
  for (int i = 0, j = 0; i < outRank; ++i)
    shape.push_back(inserted[i] ? 1 : x->type.shape[j++]);
  DNNCC_ASSIGN_OR_RETURN(Value * y, reshapeTo(c, x, shape));
  return c.setOutput(0, y);
}

Status transpose(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  IntList perm;
  for (int i = x->type.rank() - 1; i >= 0; --i)
    perm.push_back(i);
  perm = c.attrInts("perm", perm);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Transpose, {x}, TransposeAttrs{perm}));
  return c.setOutput(0, y);
}

Status concat(NodeContext& c) {
  std::vector<Value*> operands;
  for (int i = 0; i < c.numInputs(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    operands.push_back(v);
  }
  if (operands.empty())
    return c.error("concat needs at least one input");
  DNNCC_ASSIGN_OR_RETURN(int64_t axis, c.requireInt("axis"));
  Expected<int> n = normalizeAxis(axis, operands[0]->type.rank());
  if (!n)
    return c.error(n.status().message());
  if (operands.size() == 1)
    return c.setOutput(0, operands[0]);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Concat, operands, AxisAttrs{*n}));
  return c.setOutput(0, y);
}

/// One slice op for [start, start + n * step) along each axis; axes not listed are taken whole.
Expected<Value*> sliceOp(NodeContext& c, Value* x, const IntList& starts, const IntList& steps,
                         const std::vector<int64_t>& shape) {
  if (shape == x->type.shape) {
    bool whole = true;
    for (size_t i = 0; i < shape.size(); ++i)
      whole &= starts[i] == 0 && steps[i] == 1;
    if (whole)
      return x;
  }
  TensorType t{x->type.dtype, shape};
  return c.emit(OpKind::Slice, {x}, SliceAttrs{starts, steps}, &t);
}

Status split(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 0), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  int64_t dim = x->type.shape[*axis];
  IntList sizes;
  if (c.opset() >= 13 && c.isRuntimeInput(1)) { // the declared outputs' extents on the axis
    IntList implied;
    for (int k = 0; k < c.numOutputs(); ++k) {
      const std::vector<int64_t>* d = c.declaredShape(k);
      if (!d || static_cast<int>(d->size()) != x->type.rank())
        return c.runtimeShapeInputError(1, "split");
      implied.push_back((*d)[*axis]);
    }
    DNNCC_ASSIGN_OR_RETURN(sizes, c.impliedInts(1, implied));
  } else if (c.opset() >= 13 && c.hasInput(1)) {
    DNNCC_ASSIGN_OR_RETURN(sizes, c.constInts(1, "split"));
  } else if (c.opset() < 13) {
    sizes = c.attrInts("split");
  }
  int n = c.numOutputs();
  if (c.opset() >= 18 && c.hasAttr("num_outputs")) {
    n = static_cast<int>(c.attrInt("num_outputs", n));
    if (n != c.numOutputs())
      return c.error(fmt::format("num_outputs={} but the node has {} outputs", n,
                                 c.numOutputs()));
  }
  if (sizes.empty()) {
    // Equal parts; from opset 18 the last one may be smaller (ceil division).
    int64_t part = (dim + n - 1) / n;
    if (c.opset() < 18 && dim % n != 0)
      return c.error(fmt::format("axis extent {} does not split into {} equal parts", dim, n));
    for (int i = 0; i < n; ++i)
      sizes.push_back(std::min(part, dim - part * i));
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
    std::vector<int64_t> shape = x->type.shape;
    shape[*axis] = sizes[i];
    DNNCC_ASSIGN_OR_RETURN(Value * y, sliceOp(c, x, starts, steps, shape));
    DNNCC_TRY(c.setOutput(i, y));
    offset += sizes[i];
  }
  return Status::ok();
}

/// Slice-10+ (inputs) and Slice-1 (attributes), clamped as the ONNX spec describes.
/// Slice-10+ with starts, ends, axes or steps known only at run time: compiled for the output
/// shape the model declares (docs/usage.md, "Shape inputs known only at run time"); the kernel
/// reads the window of each axis at run time and the run fails when it gives another shape.
Status runtimeSlice(NodeContext& c, Value* x) {
  const std::vector<int64_t>* declared = c.declaredShape(0);
  if (!declared || static_cast<int>(declared->size()) != x->type.rank()) {
    const char* names[] = {"starts", "ends", "axes", "steps"};
    int first = 1;
    while (!c.isRuntimeInput(first))
      ++first;
    return c.runtimeShapeInputError(first, names[first - 1]);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * starts, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * ends, c.input(2));
  int64_t k = starts->type.numElements();
  // Absent axes and steps: 0..k-1 and ones.
  std::vector<int64_t> iota(k), ones(k, 1);
  for (int64_t j = 0; j < k; ++j)
    iota[j] = j;
  Value* axes = c.optionalInput(3) ? c.optionalInput(3) : intsConstant(c, iota);
  Value* steps = c.optionalInput(4) ? c.optionalInput(4) : intsConstant(c, ones);
  std::vector<Value*> operands{x, starts, ends, axes, steps};
  RuntimeSliceAttrs a{IntList(declared->begin(), declared->end())};
  DNNCC_ASSIGN_OR_RETURN(Value * ok, c.emit(OpKind::SliceRuntimeCheck, operands, a));
  DNNCC_TRY(c.checkAtRunTime(ok));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::SliceRuntime, operands, a));
  return c.setOutput(0, y);
}

Status slice(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  int rank = x->type.rank();
  IntList starts, ends, axes, steps;
  if (c.opset() >= 10 && (c.isRuntimeInput(1) || c.isRuntimeInput(2) || c.isRuntimeInput(3) ||
                          c.isRuntimeInput(4)))
    return runtimeSlice(c, x);
  if (c.opset() >= 10) {
    DNNCC_ASSIGN_OR_RETURN(starts, c.constInts(1, "starts"));
    DNNCC_ASSIGN_OR_RETURN(ends, c.constInts(2, "ends"));
    if (c.hasInput(3)) {
      DNNCC_ASSIGN_OR_RETURN(axes, c.constInts(3, "axes"));
    }
    if (c.hasInput(4)) {
      DNNCC_ASSIGN_OR_RETURN(steps, c.constInts(4, "steps"));
    }
  } else {
    starts = c.attrInts("starts");
    ends = c.attrInts("ends");
    axes = c.attrInts("axes");
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return c.error("starts, ends, axes and steps must have the same length");
  IntList outStarts(rank, 0), outSteps(rank, 1);
  std::vector<int64_t> shape = x->type.shape;
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    Expected<int> a = normalizeAxis(axes[i], rank);
    if (!a)
      return c.error(a.status().message());
    if (seen[*a])
      return c.error(fmt::format("axis {} is repeated", axes[i]));
    seen[*a] = true;
    int64_t dim = x->type.shape[*a], step = steps[i];
    if (step == 0)
      return c.error("steps must not be 0");
    int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    // ceil(span / k) elements, for any step up to +-2^63 without overflow.
    auto count = [](int64_t span, int64_t k) { return span > 0 ? (span - 1) / k + 1 : 0; };
    int64_t n;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      n = count(e - s, step);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      n = count(s - e, step == std::numeric_limits<int64_t>::min()
                           ? std::numeric_limits<int64_t>::max()
                           : -step);
    }
    outStarts[*a] = s;
    outSteps[*a] = n > 1 ? step : (step > 0 ? 1 : -1); // one element: the step is never used
    shape[*a] = n;
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, sliceOp(c, x, outStarts, outSteps, shape));
  return c.setOutput(0, y);
}

/// Expand with a `shape` known only at run time: to the declared output shape D, checking at
/// run time that each entry is D's or 1 where x already has D's extent (broadcasting).
Status expandToDeclared(NodeContext& c, Value* x) {
  const std::vector<int64_t>* d = c.declaredShape(0);
  if (!d)
    return c.runtimeShapeInputError(1, "shape");
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.input(1));
  int64_t n = s->type.numElements(), r = static_cast<int64_t>(d->size());
  Expected<std::vector<int64_t>> out = broadcastShapes(x->type.shape, *d);
  if (n > r || !out || *out != *d)
    return c.error(fmt::format("cannot expand {} to the declared output shape {}",
                               shapeString(x->type.shape), shapeString(*d)));
  std::vector<int64_t> tail(d->end() - n, d->end()), one(tail);
  int64_t xOffset = x->type.rank() - n; // x's axis aligned with the shape's first entry
  for (int64_t i = 0; i < n; ++i)
    if (xOffset + i >= 0 && x->type.shape[xOffset + i] == tail[i])
      one[i] = 1;
  DNNCC_ASSIGN_OR_RETURN(Value * isD, c.equalsConstant(s, tail, {n}));
  DNNCC_ASSIGN_OR_RETURN(Value * isOne, c.equalsConstant(s, one, {n}));
  DNNCC_ASSIGN_OR_RETURN(Value * ok, c.emit(OpKind::Or, {isD, isOne}));
  DNNCC_TRY(c.checkAtRunTime(ok));
  if (*d == x->type.shape)
    return c.setOutput(0, x);
  TensorType t{x->type.dtype, *d};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Expand, {x}, NoAttrs{}, &t));
  return c.setOutput(0, y);
}

Status expand(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (c.isRuntimeInput(1))
    return expandToDeclared(c, x);
  DNNCC_ASSIGN_OR_RETURN(auto shape, c.constInts(1, "shape"));
  Expected<std::vector<int64_t>> out = broadcastShapes(x->type.shape, shape);
  if (!out)
    return c.error(out.status().message());
  if (*out == x->type.shape)
    return c.setOutput(0, x);
  TensorType t{x->type.dtype, *out};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Expand, {x}, NoAttrs{}, &t));
  return c.setOutput(0, y);
}

/// The axes of Pad-18+'s optional constant axes input (default all), normalised.
Expected<std::vector<int>> padAxes(NodeContext& c, int rank) {
  IntList axes;
  if (c.hasInput(3)) {
    DNNCC_ASSIGN_OR_RETURN(axes, c.constInts(3, "axes"));
  }
  return axesOrAll(c, axes, rank);
}

/// Pad-11+ as one gather per padded axis: output position i of the axis reads input position
/// i - begin, which `mode` maps into the input (constant: none outside it, which take the
/// constant value; edge: clamped; reflect: mirrored without repeating the edge; wrap: modulo the
/// extent). Used for mode 'wrap' and for `pads` known only at run time; then the output shape is
/// the declared one and the run checks that begin + end gives it on every axis.
Status padByGather(NodeContext& c, Value* x, const std::string& mode) {
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      (mode != "wrap" || c.opset() < 19))
    return c.error(fmt::format("mode='{}' is not supported", mode));
  Composer b(c);
  int rank = x->type.rank();
  DNNCC_ASSIGN_OR_RETURN(std::vector<int> axes, padAxes(c, rank));
  int64_t k = static_cast<int64_t>(axes.size());
  DNNCC_ASSIGN_OR_RETURN(Value * pads, c.input(1));
  if (pads->type.numElements() != 2 * k)
    return c.error(fmt::format("pads has {} entries for {} axes", pads->type.numElements(), k));
  DNNCC_ASSIGN_OR_RETURN(pads, b.reshape(pads, {2 * k}));
  DNNCC_ASSIGN_OR_RETURN(pads, b.cast(pads, DType::i64));
  std::vector<int64_t> out = x->type.shape;
  if (!pads->isConstant()) {
    const std::vector<int64_t>* d = c.declaredShape(0);
    if (!d || static_cast<int>(d->size()) != rank)
      return c.runtimeShapeInputError(1, "pads");
    out = *d;
  } else {
    IntList p = constantAsInts(*pads);
    for (int64_t i = 0; i < k; ++i)
      out[axes[i]] += p[i] + p[k + i];
  }
  DNNCC_TRY(c.checkSize(out, x->type.dtype));
  Value* value = b.scalar(x->type.dtype, 0);
  if (c.hasInput(2)) {
    DNNCC_ASSIGN_OR_RETURN(value, c.input(2));
    if (value->type.numElements() != 1)
      return c.error("constant_value must be a scalar");
    DNNCC_ASSIGN_OR_RETURN(value, b.reshape(value, {}));
  }
  Value* y = x;
  Value* allOk = nullptr;
  for (int64_t i = 0; i < k; ++i) {
    int a = axes[i];
    int64_t n = x->type.shape[a], o = out[a];
    if (o < 0)
      return c.error(fmt::format("axis {} would have the negative extent {}", a, o));
    DNNCC_ASSIGN_OR_RETURN(Value * begin, b.slice(pads, 0, i, 1));
    DNNCC_ASSIGN_OR_RETURN(begin, b.reshape(begin, {}));
    DNNCC_ASSIGN_OR_RETURN(Value * end, b.slice(pads, 0, k + i, 1));
    DNNCC_ASSIGN_OR_RETURN(end, b.reshape(end, {}));
    DNNCC_ASSIGN_OR_RETURN(Value * total, b.op(OpKind::Add, {begin, end}));
    DNNCC_ASSIGN_OR_RETURN(Value * ok,
                           b.op(OpKind::Equal, {total, b.scalar(DType::i64, double(o - n))}));
    if (allOk) {
      DNNCC_ASSIGN_OR_RETURN(allOk, b.op(OpKind::And, {allOk, ok}));
    } else {
      allOk = ok;
    }
    if (n == 0 && mode != "constant")
      return c.error(fmt::format("mode='{}' cannot pad the empty axis {}", mode, a));
    std::vector<double> iota(o);
    for (int64_t j = 0; j < o; ++j)
      iota[j] = static_cast<double>(j);
    DNNCC_ASSIGN_OR_RETURN(Value * at, b.op(OpKind::Sub, {b.tensor(DType::i64, {o}, iota), begin}));
    Value* zero = b.scalar(DType::i64, 0);
    Value* last = b.scalar(DType::i64, double(std::max<int64_t>(n - 1, 0)));
    Value* inside = nullptr;
    if (mode == "constant") {
      DNNCC_ASSIGN_OR_RETURN(Value * below, b.op(OpKind::Less, {at, zero}));
      DNNCC_ASSIGN_OR_RETURN(Value * above, b.op(OpKind::Greater, {at, last}));
      DNNCC_ASSIGN_OR_RETURN(Value * outside, b.op(OpKind::Or, {below, above}));
      DNNCC_ASSIGN_OR_RETURN(inside, b.op(OpKind::Not, {outside}));
    }
    if (mode == "reflect" && n > 1) { // period 2 (n - 1): 0 1 .. n-1 n-2 .. 1 0 1 ..
      Value* period = b.scalar(DType::i64, double(2 * (n - 1)));
      DNNCC_ASSIGN_OR_RETURN(at, b.op(OpKind::Mod, {at, period}));
      DNNCC_ASSIGN_OR_RETURN(Value * back, b.op(OpKind::Sub, {period, at}));
      DNNCC_ASSIGN_OR_RETURN(Value * past, b.op(OpKind::Greater, {at, last}));
      DNNCC_ASSIGN_OR_RETURN(at, b.op(OpKind::Where, {past, back, at}));
    } else if (mode == "wrap") {
      DNNCC_ASSIGN_OR_RETURN(at, b.op(OpKind::Mod, {at, b.scalar(DType::i64, double(n))}));
    }
    if (n == 0) { // constant mode over an empty axis: every position takes the value
      std::vector<int64_t> shape = y->type.shape;
      shape[a] = o;
      DNNCC_ASSIGN_OR_RETURN(y, b.expand(value, shape));
      continue;
    }
    DNNCC_ASSIGN_OR_RETURN(at, b.op(OpKind::Max, {at, zero})); // edge, and safe gathers
    DNNCC_ASSIGN_OR_RETURN(at, b.op(OpKind::Min, {at, last}));
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Gather, {y, at}, AxisAttrs{a}));
    if (inside) {
      std::vector<int64_t> along(rank, 1);
      along[a] = o;
      DNNCC_ASSIGN_OR_RETURN(inside, b.reshape(inside, along));
      DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Where, {inside, y, value}));
    }
  }
  if (allOk && !allOk->isConstant()) {
    DNNCC_TRY(c.checkAtRunTime(allOk));
  }
  return c.setOutput(0, y);
}

Status pad(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  int rank = x->type.rank();
  PadAttrs a;
  std::string mode = c.attrString("mode", "constant");
  if (c.opset() >= 11 &&
      (c.isRuntimeInput(1) || c.isRuntimeInput(2) || (mode == "wrap" && c.opset() >= 19)))
    return padByGather(c, x, mode);
  if (!parseEnum(mode, a.mode))
    return c.error(fmt::format("mode='{}' is not supported", mode));
  if (c.opset() < 11) {
    a.pads = c.attrInts("pads");
    a.value = c.attrFloat("value", 0.0);
  } else {
    DNNCC_ASSIGN_OR_RETURN(IntList pads, c.constInts(1, "pads"));
    if (c.hasInput(2)) {
      DNNCC_ASSIGN_OR_RETURN(a.value, c.constScalar(2, "constant_value"));
    }
    DNNCC_ASSIGN_OR_RETURN(std::vector<int> axes, padAxes(c, rank));
    if (pads.size() != 2 * axes.size())
      return c.error(fmt::format("pads has {} entries for {} axes", pads.size(), axes.size()));
    a.pads.assign(2 * rank, 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      a.pads[axes[i]] = pads[i];
      a.pads[rank + axes[i]] = pads[axes.size() + i];
    }
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Pad, {x}, a));
  return c.setOutput(0, y);
}

/// Shape-15+ takes start/end (clamped like Slice); the result is a constant: shapes are static.
Status shape(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  int64_t rank = x->type.rank();
  int64_t start = c.attrInt("start", 0), end = c.attrInt("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  std::vector<int64_t> dims(x->type.shape.begin() + start,
                            x->type.shape.begin() + std::max(start, end));
  return c.setOutput(0, intsConstant(c, dims));
}

Status size(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  return c.setOutput(0, intsConstant(c, {x->type.numElements()}, /*scalar=*/true));
}

Status constantOfShape(NodeContext& c) {
  std::vector<int64_t> shape;
  if (c.isRuntimeInput(0)) { // the declared output shape, checked at run time
    const std::vector<int64_t>* d = c.declaredShape(0);
    if (!d)
      return c.runtimeShapeInputError(0, "shape");
    DNNCC_ASSIGN_OR_RETURN(Value * s, c.input(0));
    if (s->type.numElements() != static_cast<int64_t>(d->size()))
      return c.error(fmt::format("shape has {} entries, the declared output shape {}",
                                 s->type.numElements(), shapeString(*d)));
    DNNCC_ASSIGN_OR_RETURN(Value * ok, c.equalsConstant(s, *d, {s->type.numElements()}));
    DNNCC_TRY(c.checkAtRunTime(ok));
    shape = *d;
  } else {
    DNNCC_ASSIGN_OR_RETURN(shape, c.constInts(0, "shape"));
  }
  TensorType t{DType::f32, shape};
  std::vector<uint8_t> element = scalarBytes(DType::f32, 0.0);
  if (const onnx::TensorProto* value = c.attrTensor("value")) {
    auto tensor = readTensor(*value, "");
    if (!tensor || tensor->first.numElements() != 1)
      return c.error("value must be a one-element tensor");
    t.dtype = tensor->first.dtype;
    element = tensor->second;
  }
  // The scalar expanded: folded into a constant unless that is large (kMaxFoldExpansionBytes).
  Value* scalar = c.constant(TensorType{t.dtype, {}}, std::move(element));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Expand, {scalar}, NoAttrs{}, &t));
  return c.setOutput(0, y);
}

Status constant(NodeContext& c) {
  if (const onnx::TensorProto* t = c.attrTensor("value")) {
    auto tensor = readTensor(*t, "");
    if (!tensor)
      return c.error(tensor.status().message());
    return c.setOutput(0, c.constant(tensor->first, std::move(tensor->second)));
  }
  if (c.hasAttr("value_float")) {
    double v = c.attrFloat("value_float", 0);
    return c.setOutput(0, c.constant(TensorType{DType::f32, {}}, scalarBytes(DType::f32, v)));
  }
  if (c.hasAttr("value_floats")) {
    std::vector<double> v = c.attrFloats("value_floats");
    std::vector<uint8_t> bytes;
    for (double f : v) {
      auto b = scalarBytes(DType::f32, f);
      bytes.insert(bytes.end(), b.begin(), b.end());
    }
    return c.setOutput(0, c.constant(TensorType{DType::f32, {static_cast<int64_t>(v.size())}},
                                     std::move(bytes)));
  }
  if (c.hasAttr("value_int"))
    return c.setOutput(0, intsConstant(c, {c.attrInt("value_int", 0)}, /*scalar=*/true));
  if (c.hasAttr("value_ints"))
    return c.setOutput(0, intsConstant(c, c.attrInts("value_ints")));
  if (c.hasAttr("sparse_value") || c.hasAttr("value_string") || c.hasAttr("value_strings"))
    return c.error("sparse and string constants are not supported");
  return c.error("the constant has no value");
}

constexpr int kMax = kMaxOpset;
/// CenterCropPad-18 (the reference implementation): each axis in `axes` (default all) of the
/// input is cropped or zero-padded to its entry of `shape`, centred: crop from (extent - target)
/// / 2, pad (target - extent) / 2 in front and the rest behind (floor division). A `shape`
/// known only at run time is the declared output's extents on those axes, checked by the run.
Status centerCropPad(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  int rank = x->type.rank();
  DNNCC_ASSIGN_OR_RETURN(std::vector<int> ax, axesOrAll(c, c.attrInts("axes"), rank));
  IntList target;
  if (c.isRuntimeInput(1)) {
    const std::vector<int64_t>* d = c.declaredShape(0);
    if (!d || static_cast<int>(d->size()) != rank)
      return c.runtimeShapeInputError(1, "shape");
    std::vector<int64_t> implied;
    for (int a : ax)
      implied.push_back((*d)[a]);
    DNNCC_ASSIGN_OR_RETURN(target, c.impliedInts(1, implied));
  } else {
    DNNCC_ASSIGN_OR_RETURN(target, c.constInts(1, "shape"));
  }
  if (target.size() != ax.size())
    return c.error(fmt::format("shape has {} entries for {} axes", target.size(), ax.size()));
  IntList starts(rank, 0), steps(rank, 1), pads(2 * rank, 0);
  std::vector<int64_t> cropped = x->type.shape;
  bool padded = false;
  for (size_t i = 0; i < ax.size(); ++i) {
    int a = ax[i];
    int64_t extent = x->type.shape[a], want = target[i];
    if (want < 0)
      return c.error(fmt::format("shape entry {} is negative", want));
    if (want < extent) {
      starts[a] = (extent - want) / 2;
      cropped[a] = want;
    } else if (want > extent) {
      pads[a] = (want - extent) / 2;
      pads[rank + a] = want - extent - pads[a];
      padded = true;
    }
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, sliceOp(c, x, starts, steps, cropped));
  if (padded) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Pad, {y}, PadAttrs{pads}));
  }
  return c.setOutput(0, y);
}

const ConverterRow kRows[] = {
    {"Reshape", 5, kMax, reshape},
    {"Flatten", 1, kMax, flatten},
    {"Squeeze", 1, kMax, squeeze},
    {"Unsqueeze", 1, kMax, unsqueeze},
    {"Transpose", 1, kMax, transpose},
    {"Concat", 4, kMax, concat},
    {"Split", 2, kMax, split},
    {"Slice", 1, kMax, slice},
    {"Expand", 8, kMax, expand},
    {"Pad", 2, kMax, pad},
    {"CenterCropPad", 18, kMax, centerCropPad},
    {"Shape", 1, kMax, shape},
    {"Size", 1, kMax, size},
    {"ConstantOfShape", 9, kMax, constantOfShape},
    {"Constant", 1, kMax, constant},
};
} // namespace

std::span<const ConverterRow> shapeConverters() { return kRows; }

} // namespace dnncc::onnximport
