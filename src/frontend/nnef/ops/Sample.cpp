// NNEF up- and down-sampling (NNEF 1.0 section 4.4.3): nearest_upsample, nearest_downsample,
// area_downsample and multilinear_upsample, by integer factors over the spatial axes of
// [N, C, spatial...].
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "frontend/nnef/Converters.h"

namespace dnncc::nnefimport {
namespace {

/// `factor` with one positive entry per spatial axis of `x`.
Expected<IntList> readFactors(OpContext& c, const Value* x) {
  IntList factor = c.attrInts("factor");
  if (x->type.rank() < 3 || factor.size() != static_cast<size_t>(x->type.rank() - 2))
    return c.error(
        fmt::format("'factor' needs one entry per spatial axis of {}", toString(x->type)));
  for (int64_t f : factor)
    if (f <= 0)
      return c.error("'factor' entries must be positive");
  return factor;
}

/// nearest_upsample: every element repeated `factor` times along each spatial axis.
Status nearestUpsample(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList factor, readFactors(c, x));
  const std::vector<int64_t>& in = x->type.shape;
  std::vector<int64_t> split = {in[0], in[1]}, expanded = split, out = split;
  for (size_t i = 0; i < factor.size(); ++i) {
    split.insert(split.end(), {in[2 + i], 1});
    expanded.insert(expanded.end(), {in[2 + i], factor[i]});
    out.push_back(in[2 + i] * factor[i]);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.reshape(x, split));
  TensorType t{x->type.dtype, expanded};
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Expand, {y}, NoAttrs{}, &t));
  DNNCC_ASSIGN_OR_RETURN(y, c.reshape(y, out));
  return c.setOutput("output", y);
}

/// nearest_downsample: every `factor`-th element along each spatial axis, from the first.
Status nearestDownsample(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList factor, readFactors(c, x));
  const int rank = x->type.rank();
  SliceAttrs attrs{IntList(rank, 0), IntList(rank, 1)};
  TensorType t{x->type.dtype, x->type.shape};
  for (size_t i = 0; i < factor.size(); ++i) {
    attrs.steps[2 + i] = factor[i];
    t.shape[2 + i] = (x->type.shape[2 + i] + factor[i] - 1) / factor[i];
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Slice, {x}, attrs, &t));
  return c.setOutput("output", y);
}

/// area_downsample: the mean of each factor x factor block.
Status areaDownsample(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList factor, readFactors(c, x));
  const size_t n = factor.size();
  PoolAttrs attrs{factor, factor, IntList(2 * n, 0), IntList(n, 1), false, true};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::AvgPool, {x}, attrs));
  return c.setOutput("output", y);
}

/// Linear interpolation of `x` along `axis` to `factor` times its extent: each output position o
/// reads the source coordinate 'symmetric' (o + 0.5) / f - 0.5 or 'aligned' o (n - 1) / (n f - 1)
/// from its two neighbours; a neighbour outside the input repeats the edge (border 'replicate')
/// or is zero ('constant'). 'asymmetric' follows NNEF-Tools, whose converters write it (a
/// depthwise deconv with the triangle kernel 1 - |t| / f): the coordinate (o + 1 - f + f / 2) / f
/// (integer f / 2) with border 'constant', and (o + 1 - f) / f with 'replicate', which repeats
/// only the first element; neighbours past the end are zero.
Expected<Value*> interpolateAxis(OpContext& c, Value* x, int axis, int64_t factor,
                                 const std::string& method, bool replicate) {
  const int64_t n = x->type.shape[axis], m = n * factor;
  std::vector<int64_t> first(m), second(m);
  std::vector<float> w0(m), w1(m);
  for (int64_t o = 0; o < m; ++o) {
    const bool asymmetric = method == "asymmetric";
    const double src =
        method == "symmetric" ? (o + 0.5) / factor - 0.5
        : asymmetric ? static_cast<double>(o + 1 - factor + (replicate ? 0 : factor / 2)) / factor
        : m > 1      ? static_cast<double>(o) * (n - 1) / (m - 1)
                     : 0.0;
    const int64_t i0 = static_cast<int64_t>(std::floor(src)), i1 = i0 + 1;
    const double f = src - i0;
    // Whether neighbour i reads the input (clamped to the edge) or zero.
    auto reads = [&](int64_t i) {
      if (i >= 0 && i < n)
        return true;
      return replicate && (!asymmetric || i < 0);
    };
    first[o] = std::clamp<int64_t>(i0, 0, n - 1);
    second[o] = std::clamp<int64_t>(i1, 0, n - 1);
    w0[o] = static_cast<float>(reads(i0) ? 1 - f : 0);
    w1[o] = static_cast<float>(reads(i1) ? f : 0);
  }
  std::vector<int64_t> weightShape(x->type.rank(), 1);
  weightShape[axis] = m;
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.emit(OpKind::Gather, {x, c.ints(first)}, AxisAttrs{axis}));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.emit(OpKind::Gather, {x, c.ints(second)}, AxisAttrs{axis}));
  DNNCC_ASSIGN_OR_RETURN(
      a, c.emit(OpKind::Mul, {a, c.constant({DType::f32, weightShape}, bytesOf(w0))}));
  DNNCC_ASSIGN_OR_RETURN(
      b, c.emit(OpKind::Mul, {b, c.constant({DType::f32, weightShape}, bytesOf(w1))}));
  return c.emit(OpKind::Add, {a, b});
}

/// multilinear_upsample: separable linear interpolation along each spatial axis.
Status multilinearUpsample(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList factor, readFactors(c, x));
  const std::string method = c.attrString("method"), border = c.attrString("border");
  if (method != "symmetric" && method != "asymmetric" && method != "aligned")
    return c.error(fmt::format("unknown method '{}' (symmetric, asymmetric, aligned)", method));
  if (border != "replicate" && border != "constant")
    return c.error(
        fmt::format("border '{}' is not supported (replicate and constant are)", border));
  Value* y = x;
  for (size_t i = 0; i < factor.size(); ++i) {
    if (factor[i] == 1)
      continue;
    DNNCC_ASSIGN_OR_RETURN(y, interpolateAxis(c, y, static_cast<int>(2 + i), factor[i], method,
                                              border == "replicate"));
  }
  if (y == x) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Identity, {x}));
  }
  return c.setOutput("output", y);
}

const ConverterRow kRows[] = {
    {"multilinear_upsample", multilinearUpsample},
    {"nearest_upsample", nearestUpsample},
    {"nearest_downsample", nearestDownsample},
    {"area_downsample", areaDownsample},
};
} // namespace

std::span<const ConverterRow> sampleConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
