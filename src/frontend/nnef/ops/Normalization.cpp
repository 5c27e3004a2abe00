// NNEF normalization (NNEF 1.0 section 4.8): batch_normalization. The local and l1/l2
// normalizations are lowered by the parser into box, reductions and arithmetic.
#include <fmt/format.h>

#include "frontend/nnef/Converters.h"

namespace dnncc::nnefimport {
namespace {

/// Argument `name` as a [channels] tensor (a literal fills it; a [1, C] tensor is reshaped), or
/// null when it has another shape.
Expected<Value*> perChannel(OpContext& c, const char* name, int64_t channels) {
  DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(name, DType::f32));
  if (v->type.rank() == 0) {
    TensorType t{DType::f32, {channels}};
    return c.emit(OpKind::Expand, {v}, NoAttrs{}, &t);
  }
  if (v->type.numElements() != channels)
    return static_cast<Value*>(nullptr);
  for (size_t i = 1; i < v->type.shape.size(); ++i)
    if (v->type.shape[i] != 1 && v->type.shape[i] != channels)
      return static_cast<Value*>(nullptr);
  if (v->type.rank() >= 2 && v->type.shape[0] != 1)
    return static_cast<Value*>(nullptr);
  return c.reshape(v, {channels});
}

/// batch_normalization: (x - mean) / sqrt(variance + epsilon) * scale + offset, per channel.
Status batchNormalization(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  if (x->type.rank() < 2)
    return c.error(fmt::format("input {} must be [N, C, ...]", toString(x->type)));
  const int64_t channels = x->type.shape[1];
  std::vector<Value*> params;
  for (const char* name : {"scale", "offset", "mean", "variance"}) {
    DNNCC_ASSIGN_OR_RETURN(Value * p, perChannel(c, name, channels));
    if (!p)
      break;
    params.push_back(p);
  }
  const double epsilon = c.attrScalar("epsilon");
  if (params.size() == 4) {
    DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::BatchNorm,
                                             {x, params[0], params[1], params[2], params[3]},
                                             BatchNormAttrs{epsilon}));
    return c.setOutput("output", y);
  }
  // Parameters of other shapes: the formula with NNEF broadcasting.
  auto arg = [&](const char* name) { return c.input(name, DType::f32); };
  DNNCC_ASSIGN_OR_RETURN(Value * mean, arg("mean"));
  DNNCC_ASSIGN_OR_RETURN(Value * variance, arg("variance"));
  DNNCC_ASSIGN_OR_RETURN(Value * offset, arg("offset"));
  DNNCC_ASSIGN_OR_RETURN(Value * scale, arg("scale"));
  auto apply = [&](OpKind kind, Value* a, Value* b) -> Expected<Value*> {
    DNNCC_ASSIGN_OR_RETURN(auto ab, c.alignRanks(a, b));
    return c.emit(kind, {ab.first, ab.second});
  };
  DNNCC_ASSIGN_OR_RETURN(Value * d, apply(OpKind::Add, variance, c.scalar(DType::f32, epsilon)));
  DNNCC_ASSIGN_OR_RETURN(d, c.emit(OpKind::Sqrt, {d}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, apply(OpKind::Sub, x, mean));
  DNNCC_ASSIGN_OR_RETURN(y, apply(OpKind::Div, y, d));
  DNNCC_ASSIGN_OR_RETURN(y, apply(OpKind::Mul, y, scale));
  DNNCC_ASSIGN_OR_RETURN(y, apply(OpKind::Add, y, offset));
  return c.setOutput("output", y);
}

const ConverterRow kRows[] = {
    {"batch_normalization", batchNormalization},
};
} // namespace

std::span<const ConverterRow> normalizationConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
