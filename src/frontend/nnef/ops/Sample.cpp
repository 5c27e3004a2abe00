// NNEF up- and down-sampling (NNEF 1.0 section 4.4.3): nearest_upsample, nearest_downsample and
// area_downsample, by integer factors over the spatial axes of [N, C, spatial...].
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

const ConverterRow kRows[] = {
    {"nearest_upsample", nearestUpsample},
    {"nearest_downsample", nearestDownsample},
    {"area_downsample", areaDownsample},
};
} // namespace

std::span<const ConverterRow> sampleConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
