// ONNX index and data-rearrangement ops -> IR: Gather, GatherElements, GatherND, ScatterElements/
// Scatter, ScatterND, ReverseSequence, TensorScatter (IR ops of ir/ops/Index.cpp), and the ones
// decomposed exactly into other IR ops on static shapes: Trilu, Tile, DepthToSpace, SpaceToDepth,
// OneHot, with Range and EyeLike folded to constants.
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

/// Range-11 with start, limit or delta known only at run time (docs/usage.md, "Shape inputs
/// known only at run time"): compiled for the declared output shape [n] as start + iota(n) *
/// delta, with the run-time check that max(ceil((limit - start) / delta), 0) == n (computed in
/// float64, where a delta of 0 gives no finite count and fails the run).
Status runtimeRange(NodeContext& c, int firstRuntime) {
  const char* names[] = {"start", "limit", "delta"};
  const std::vector<int64_t>* declared = c.declaredShape(0);
  if (!declared || declared->size() != 1)
    return c.error(fmt::format("input {} ({}) is not a constant: a Range known only at run time "
                               "needs a declared static output shape [n]",
                               firstRuntime, names[firstRuntime]));
  int64_t n = (*declared)[0];
  std::vector<Value*> v(3), f64(3);
  for (int i = 0; i < 3; ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * in, c.input(i));
    if (in->type.numElements() != 1)
      return c.error(fmt::format("{} must be a scalar", names[i]));
    DNNCC_ASSIGN_OR_RETURN(v[i], reshapeTo(c, in, {}));
    DNNCC_ASSIGN_OR_RETURN(f64[i], c.emit(OpKind::Cast, {v[i]}, CastAttrs{DType::f64}));
  }
  DType dtype = v[0]->type.dtype;
  std::vector<uint8_t> iota;
  for (int64_t i = 0; i < n; ++i) {
    auto b = scalarBytes(dtype, static_cast<double>(i));
    iota.insert(iota.end(), b.begin(), b.end());
  }
  DNNCC_ASSIGN_OR_RETURN(Value * steps,
                         c.emit(OpKind::Mul, {c.constant(TensorType{dtype, {n}}, iota), v[2]}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Add, {v[0], steps}));
  auto f64Scalar = [&](double x) {
    return c.constant(TensorType{DType::f64, {}}, scalarBytes(DType::f64, x));
  };
  DNNCC_ASSIGN_OR_RETURN(Value * span, c.emit(OpKind::Sub, {f64[1], f64[0]}));
  DNNCC_ASSIGN_OR_RETURN(Value * q, c.emit(OpKind::Div, {span, f64[2]}));
  DNNCC_ASSIGN_OR_RETURN(Value * up, c.emit(OpKind::Ceil, {q}));
  DNNCC_ASSIGN_OR_RETURN(Value * count, c.emit(OpKind::Max, {up, f64Scalar(0)}));
  DNNCC_ASSIGN_OR_RETURN(Value * ok,
                         c.emit(OpKind::Equal, {count, f64Scalar(static_cast<double>(n))}));
  DNNCC_TRY(c.checkAtRunTime(ok));
  return c.setOutput(0, y);
}

/// Range-11: n = max(ceil((limit - start) / delta), 0) elements start + i * delta, in the type of
/// start. Folded to a constant; with inputs known only at run time see runtimeRange.
Status range(NodeContext& c) {
  for (int i = 0; i < 3; ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    if (!v->isConstant())
      return runtimeRange(c, i);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * startValue, c.input(0));
  DType dtype = startValue->type.dtype;
  if (dtype != DType::f32 && dtype != DType::f64 && dtype != DType::i32 && dtype != DType::i64)
    return c.error(fmt::format("element type {} is not supported", dtypeName(dtype)));
  std::vector<uint8_t> bytes;
  int64_t n = 0;
  if (isFloat(dtype)) {
    DNNCC_ASSIGN_OR_RETURN(double start, c.constScalar(0, "start"));
    DNNCC_ASSIGN_OR_RETURN(double limit, c.constScalar(1, "limit"));
    DNNCC_ASSIGN_OR_RETURN(double delta, c.constScalar(2, "delta"));
    if (delta == 0)
      return c.error("delta must not be 0");
    n = std::max<int64_t>(static_cast<int64_t>(std::ceil((limit - start) / delta)), 0);
    for (int64_t i = 0; i < n; ++i) {
      auto b = scalarBytes(dtype, start + static_cast<double>(i) * delta);
      bytes.insert(bytes.end(), b.begin(), b.end());
    }
  } else {
    DNNCC_ASSIGN_OR_RETURN(IntList start, c.constInts(0, "start"));
    DNNCC_ASSIGN_OR_RETURN(IntList limit, c.constInts(1, "limit"));
    DNNCC_ASSIGN_OR_RETURN(IntList delta, c.constInts(2, "delta"));
    if (start.size() != 1 || limit.size() != 1 || delta.size() != 1)
      return c.error("start, limit and delta must be scalars");
    if (delta[0] == 0)
      return c.error("delta must not be 0");
    int64_t span = limit[0] - start[0], d = delta[0];
    n = span / d + ((span % d != 0 && ((span < 0) == (d < 0))) ? 1 : 0); // ceil division
    n = std::max<int64_t>(n, 0);
    for (int64_t i = 0; i < n; ++i) {
      auto b = scalarBytes(dtype, static_cast<double>(start[0] + i * d));
      bytes.insert(bytes.end(), b.begin(), b.end());
    }
  }
  return c.setOutput(0, c.constant(TensorType{dtype, {n}}, std::move(bytes)));
}

/// EyeLike-9: ones on the k-th diagonal of a 2-D tensor shaped like the input, in `dtype` (an ONNX
/// type code; default the input's type). A constant, since shapes are static.
Status eyeLike(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (x->type.rank() != 2)
    return c.error(fmt::format("the input must be 2-D, got {}", shapeString(x->type.shape)));
  DType dtype = x->type.dtype;
  if (c.hasAttr("dtype")) {
    int64_t code = c.attrInt("dtype", 0);
    std::optional<DType> d = dtypeFromOnnx(static_cast<int>(code));
    if (!d)
      return c.error(fmt::format("dtype={} is not supported", code));
    dtype = *d;
  }
  int64_t k = c.attrInt("k", 0);
  std::vector<uint8_t> one = scalarBytes(dtype, 1.0);
  if (static_cast<int64_t>(one.size()) != dtypeSize(dtype) || dtype == DType::f16 ||
      dtype == DType::bf16)
    return c.error(fmt::format("element type {} is not supported", dtypeName(dtype)));
  int64_t rows = x->type.shape[0], cols = x->type.shape[1];
  std::vector<uint8_t> bytes(rows * cols * one.size(), 0);
  for (int64_t i = 0; i < rows; ++i)
    if (int64_t j = i + k; j >= 0 && j < cols)
      std::memcpy(bytes.data() + (i * cols + j) * one.size(), one.data(), one.size());
  return c.setOutput(0, c.constant(TensorType{dtype, {rows, cols}}, std::move(bytes)));
}

/// Trilu-14: keeps x[..., i, j] where j - i >= k (upper=1) or j - i <= k (upper=0), zero elsewhere:
/// where(cmp(j - i, k), x, 0) with the constant j - i; a runtime k is compared at run time.
Status trilu(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  int rank = x->type.rank();
  if (rank < 2)
    return c.error(fmt::format("the input must have rank >= 2, got {}", rank));
  bool upper = c.attrInt("upper", 1) != 0;
  Value* k = c.optionalInput(1);
  if (k == nullptr) {
    k = i64Constant(c, {}, {0});
  } else if (k->type.numElements() != 1 || k->type.dtype != DType::i64) {
    return c.error(fmt::format("k must be an int64 scalar, got {}", toString(k->type)));
  } else if (k->type.rank() != 0) {
    DNNCC_ASSIGN_OR_RETURN(k, reshapeTo(c, k, {}));
  }
  int64_t rows = x->type.shape[rank - 2], cols = x->type.shape[rank - 1];
  std::vector<int64_t> diff;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      diff.push_back(j - i);
  Value* d = i64Constant(c, {rows, cols}, diff);
  // upper: !(j - i < k); lower: !(j - i > k)
  DNNCC_ASSIGN_OR_RETURN(Value * outside, c.emit(upper ? OpKind::Less : OpKind::Greater, {d, k}));
  DNNCC_ASSIGN_OR_RETURN(Value * keep, c.emit(OpKind::Not, {outside}));
  Value* zero = c.constant(TensorType{x->type.dtype, {}},
                           std::vector<uint8_t>(dtypeSize(x->type.dtype), 0));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Where, {keep, x, zero}));
  return c.setOutput(0, y);
}

/// Tile-6: repeats[i] copies along axis i, as reshape [1, d0, 1, d1, ...] -> expand
/// [r0, d0, r1, d1, ...] -> reshape [r0 * d0, r1 * d1, ...]. repeats must be a constant (it sets
/// the output shape).
Status tile(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  IntList reps;
  if (c.isRuntimeInput(1)) { // the declared output shape over x's
    const std::vector<int64_t>* d = c.declaredShape(0);
    if (!d || static_cast<int>(d->size()) != x->type.rank())
      return c.runtimeShapeInputError(1, "repeats");
    IntList implied;
    for (int i = 0; i < x->type.rank(); ++i) {
      if (x->type.shape[i] == 0 || (*d)[i] % x->type.shape[i] != 0)
        return c.error(fmt::format("no repeats tile {} to the declared output shape {}",
                                   shapeString(x->type.shape), shapeString(*d)));
      implied.push_back((*d)[i] / x->type.shape[i]);
    }
    DNNCC_ASSIGN_OR_RETURN(reps, c.impliedInts(1, implied));
  } else {
    DNNCC_ASSIGN_OR_RETURN(reps, c.constInts(1, "repeats"));
  }
  int rank = x->type.rank();
  if (static_cast<int>(reps.size()) != rank)
    return c.error(fmt::format("repeats has {} entries for rank {}", reps.size(), rank));
  std::vector<int64_t> split, expanded, out;
  bool identity = true;
  for (int i = 0; i < rank; ++i) {
    if (reps[i] < 0)
      return c.error(fmt::format("repeats[{}]={} is negative", i, reps[i]));
    identity &= reps[i] == 1;
    split.insert(split.end(), {1, x->type.shape[i]});
    expanded.insert(expanded.end(), {reps[i], x->type.shape[i]});
    out.push_back(reps[i] * x->type.shape[i]);
  }
  if (identity)
    return c.setOutput(0, x);
  DNNCC_ASSIGN_OR_RETURN(Value * s, reshapeTo(c, x, split));
  TensorType et{x->type.dtype, expanded};
  DNNCC_ASSIGN_OR_RETURN(Value * e, c.emit(OpKind::Expand, {s}, NoAttrs{}, &et));
  DNNCC_ASSIGN_OR_RETURN(Value * y, reshapeTo(c, e, out));
  return c.setOutput(0, y);
}

/// reshape -> transpose(perm) -> reshape, the definition of DepthToSpace and SpaceToDepth.
Status rearrange(NodeContext& c, Value* x, std::vector<int64_t> split, IntList perm,
                 std::vector<int64_t> out) {
  DNNCC_ASSIGN_OR_RETURN(Value * s, reshapeTo(c, x, std::move(split)));
  DNNCC_ASSIGN_OR_RETURN(Value * t, c.emit(OpKind::Transpose, {s}, TransposeAttrs{std::move(perm)}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, reshapeTo(c, t, std::move(out)));
  return c.setOutput(0, y);
}

/// The blocksize and mode (DCR or CRD) of DepthToSpace / SpaceToDepth on an [N, C, H, W] input.
Expected<std::pair<int64_t, bool>> blockAndMode(NodeContext& c, const Value* x) {
  if (x->type.rank() != 4)
    return c.error(fmt::format("the input must be [N, C, H, W], got {}",
                               shapeString(x->type.shape)));
  DNNCC_ASSIGN_OR_RETURN(int64_t b, c.requireInt("blocksize"));
  if (b < 1)
    return c.error(fmt::format("blocksize={} is not positive", b));
  std::string mode = c.attrString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    return c.error(fmt::format("mode='{}' is not DCR or CRD", mode));
  return std::pair<int64_t, bool>{b, mode == "CRD"};
}

/// DepthToSpace-13: DCR reshapes to [N, b, b, C/b^2, H, W] and transposes [0, 3, 4, 1, 5, 2];
/// CRD reshapes to [N, C/b^2, b, b, H, W] and transposes [0, 1, 4, 2, 5, 3]; then [N, C/b^2, Hb, Wb].
Status depthToSpace(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(auto bm, blockAndMode(c, x));
  auto [b, crd] = bm;
  const auto& s = x->type.shape;
  if (s[1] % (b * b) != 0)
    return c.error(fmt::format("{} channels are not a multiple of blocksize^2 = {}", s[1], b * b));
  int64_t oc = s[1] / (b * b);
  std::vector<int64_t> out{s[0], oc, s[2] * b, s[3] * b};
  if (crd)
    return rearrange(c, x, {s[0], oc, b, b, s[2], s[3]}, {0, 1, 4, 2, 5, 3}, out);
  return rearrange(c, x, {s[0], b, b, oc, s[2], s[3]}, {0, 3, 4, 1, 5, 2}, out);
}

/// SpaceToDepth: reshapes to [N, C, H/b, b, W/b, b] and transposes [0, 3, 5, 1, 2, 4] (DCR) or
/// [0, 1, 3, 5, 2, 4] (CRD), then [N, C b^2, H/b, W/b].
Status spaceToDepth(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(auto bm, blockAndMode(c, x));
  auto [b, crd] = bm;
  const auto& s = x->type.shape;
  if (s[2] % b != 0 || s[3] % b != 0)
    return c.error(fmt::format("spatial extents {}x{} are not multiples of blocksize {}", s[2],
                               s[3], b));
  std::vector<int64_t> split{s[0], s[1], s[2] / b, b, s[3] / b, b};
  std::vector<int64_t> out{s[0], s[1] * b * b, s[2] / b, s[3] / b};
  if (crd)
    return rearrange(c, x, split, {0, 1, 3, 5, 2, 4}, out);
  return rearrange(c, x, split, {0, 3, 5, 1, 2, 4}, out);
}

/// Checks the values of constant indices against an axis extent (runtime ones are clamped).
Status checkConstIndices(NodeContext& c, const Value* idx, int64_t dim) {
  if (!idx->isConstant())
    return Status::ok();
  for (int64_t v : constantAsInts(*idx))
    if (v < -dim || v >= dim)
      return c.error(fmt::format("index {} is out of range for axis extent {}", v, dim));
  return Status::ok();
}

/// GatherElements-11+: y[i...] = x[i... with axis replaced by indices[i...]].
Status gatherElements(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * idx, c.input(1));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 0), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  DNNCC_TRY(checkConstIndices(c, idx, x->type.shape[*axis]));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::GatherElements, {x, idx}, AxisAttrs{*axis}));
  return c.setOutput(0, y);
}

/// GatherND-11 (no batch axes) and -12+ (batch_dims).
Status gatherND(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * idx, c.input(1));
  GatherNDAttrs a{c.opset() >= 12 ? c.attrInt("batch_dims", 0) : 0};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::GatherND, {x, idx}, a));
  return c.setOutput(0, y);
}

/// The `reduction` attribute of ScatterElements / ScatterND: add and mul from opset 16, max and
/// min from 18.
Expected<ScatterReduction> scatterReduction(NodeContext& c) {
  if (c.opset() < 16)
    return ScatterReduction::none;
  std::string r = c.attrString("reduction", "none");
  ScatterReduction out;
  bool known = parseEnum(r, out);
  if (!known || (c.opset() < 18 && (out == ScatterReduction::max || out == ScatterReduction::min)))
    return c.error(fmt::format("reduction='{}' is not defined at opset {}", r, c.opset()));
  return out;
}

/// ScatterElements-11+ and Scatter-9/10 (the same op without the reduction attribute).
template <bool kHasReduction> Status scatterElements(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * idx, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * upd, c.input(2));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 0), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  ScatterAttrs a{*axis, ScatterReduction::none};
  if (kHasReduction) {
    DNNCC_ASSIGN_OR_RETURN(a.reduction, scatterReduction(c));
  }
  DNNCC_TRY(checkConstIndices(c, idx, x->type.shape[*axis]));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::ScatterElements, {x, idx, upd}, a));
  return c.setOutput(0, y);
}

/// ScatterND-11+.
Status scatterND(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * idx, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * upd, c.input(2));
  ScatterAttrs a;
  DNNCC_ASSIGN_OR_RETURN(a.reduction, scatterReduction(c));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::ScatterND, {x, idx, upd}, a));
  return c.setOutput(0, y);
}

/// ReverseSequence-10: batch_axis (default 1) and time_axis (default 0), one of them 0 and the
/// other 1.
Status reverseSequence(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * lens, c.input(1));
  ReverseSequenceAttrs a{c.attrInt("batch_axis", 1), c.attrInt("time_axis", 0)};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::ReverseSequence, {x, lens}, a));
  return c.setOutput(0, y);
}

/// OneHot-11: y[..., j, ...] (j at `axis` of the output, default -1) = on where j equals the index
/// (a negative index counts from depth), off elsewhere, with values = [off, on]; indices outside
/// [-depth, depth) give all off. Non-integer indices are cast to int64 first (spec). Decomposed
/// as where(equal(index, iota), on, off); depth must be a constant (it sets the output shape).
Status oneHot(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * idx, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * values, c.input(2));
  DNNCC_ASSIGN_OR_RETURN(Value * depthValue, c.input(1));
  int64_t depth;
  if (!depthValue->isConstant()) { // the declared output's extent on the new axis
    const std::vector<int64_t>* d = c.declaredShape(0);
    Expected<int> outAxis = normalizeAxis(c.attrInt("axis", -1), idx->type.rank() + 1);
    if (!d || !outAxis || static_cast<int>(d->size()) != idx->type.rank() + 1)
      return c.runtimeShapeInputError(1, "depth");
    DNNCC_ASSIGN_OR_RETURN(IntList implied, c.impliedInts(1, {(*d)[*outAxis]}));
    depth = implied[0];
  } else {
    DNNCC_ASSIGN_OR_RETURN(double depthF, c.constScalar(1, "depth"));
    depth = static_cast<int64_t>(depthF); // the spec casts a float depth to int64
  }
  if (depth < 1)
    return c.error(fmt::format("depth={} is not positive", depth));
  if (values->type.numElements() != 2)
    return c.error(fmt::format("values must hold [off, on], got {}", toString(values->type)));
  int rank = idx->type.rank();
  Expected<int> axis = normalizeAxis(c.attrInt("axis", -1), rank + 1);
  if (!axis)
    return c.error(axis.status().message());
  if (idx->type.dtype != DType::i64) {
    DNNCC_ASSIGN_OR_RETURN(idx, c.emit(OpKind::Cast, {idx}, CastAttrs{DType::i64}));
  }
  Value* zero = i64Constant(c, {}, {0});
  DNNCC_ASSIGN_OR_RETURN(Value * negative, c.emit(OpKind::Less, {idx, zero}));
  DNNCC_ASSIGN_OR_RETURN(Value * wrapped, c.emit(OpKind::Add, {idx, i64Constant(c, {}, {depth})}));
  DNNCC_ASSIGN_OR_RETURN(idx, c.emit(OpKind::Where, {negative, wrapped, idx}));
  std::vector<int64_t> shape = idx->type.shape, iotaShape(rank + 1, 1);
  shape.insert(shape.begin() + *axis, 1);
  iotaShape[*axis] = depth;
  DNNCC_ASSIGN_OR_RETURN(idx, reshapeTo(c, idx, shape));
  std::vector<int64_t> iota(depth);
  for (int64_t j = 0; j < depth; ++j)
    iota[j] = j;
  DNNCC_ASSIGN_OR_RETURN(Value * hit,
                         c.emit(OpKind::Equal, {idx, i64Constant(c, iotaShape, iota)}));
  DNNCC_ASSIGN_OR_RETURN(values, reshapeTo(c, values, {2}));
  Value* offOn[2];
  for (int i = 0; i < 2; ++i) {
    TensorType one{values->type.dtype, {1}};
    DNNCC_ASSIGN_OR_RETURN(Value * s, c.emit(OpKind::Slice, {values}, SliceAttrs{{i}, {1}}, &one));
    DNNCC_ASSIGN_OR_RETURN(offOn[i], reshapeTo(c, s, {}));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Where, {hit, offOn[1], offOn[0]}));
  return c.setOutput(0, y);
}

/// TensorScatter-24: axis (default -2, not the batch axis 0), mode linear or circular,
/// write_indices optional (zeros).
Status tensorScatter(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * cache, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * upd, c.input(1));
  if (cache->type.rank() < 2)
    return c.error(fmt::format("past_cache must have rank >= 2, got {}", cache->type.rank()));
  int64_t batch = cache->type.shape[0];
  Value* idx = c.optionalInput(2);
  if (idx == nullptr)
    idx = i64Constant(c, {batch}, std::vector<int64_t>(batch, 0));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", -2), cache->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  if (*axis == 0)
    return c.error("axis must not be the batch axis 0");
  std::string mode = c.attrString("mode", "linear");
  if (mode != "linear" && mode != "circular")
    return c.error(fmt::format("mode='{}' is not linear or circular", mode));
  TensorScatterAttrs a{*axis, mode == "circular"};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::TensorScatter, {cache, upd, idx}, a));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
/// Gather (all opsets): constant indices are checked and made non-negative here.
Status gather(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * idx, c.input(1));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 0), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  if (idx->type.dtype != DType::i32 && idx->type.dtype != DType::i64)
    return c.error(fmt::format("indices must be int32 or int64, got {}", toString(idx->type)));
  if (idx->isConstant()) { // check the bounds now, and make negative indices positive
    int64_t dim = x->type.shape[*axis];
    std::vector<int64_t> values = constantAsInts(*idx);
    for (int64_t& v : values) {
      if (v < -dim || v >= dim)
        return c.error(fmt::format("index {} is out of range for axis extent {}", v, dim));
      if (v < 0)
        v += dim;
    }
    idx = c.constant(TensorType{DType::i64, idx->type.shape}, bytesOf(values));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Gather, {x, idx}, AxisAttrs{*axis}));
  return c.setOutput(0, y);
}

const ConverterRow kRows[] = {
    {"Gather", 1, kMax, gather},
    {"Range", 11, kMax, range},
    {"EyeLike", 9, kMax, eyeLike},
    {"Trilu", 14, kMax, trilu},
    {"Tile", 6, kMax, tile},
    {"DepthToSpace", 1, kMax, depthToSpace},
    {"SpaceToDepth", 1, kMax, spaceToDepth},
    {"GatherElements", 11, kMax, gatherElements},
    {"GatherND", 11, kMax, gatherND},
    {"Scatter", 9, 10, scatterElements<false>},
    {"ScatterElements", 11, kMax, scatterElements<true>},
    {"ScatterND", 11, kMax, scatterND},
    {"ReverseSequence", 10, kMax, reverseSequence},
    {"OneHot", 9, kMax, oneHot},
    {"TensorScatter", 24, kMax, tensorScatter},
};
} // namespace

std::span<const ConverterRow> indexConverters() { return kRows; }

} // namespace dnncc::onnximport
