// Type inference of the indexing ops (ONNX Gather, GatherElements, GatherND, ScatterElements,
// ScatterND, ReverseSequence, TensorScatter): elements read or written at positions that an
// indices tensor gives.
#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {

Expected<TensorType> inferGather(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const TensorType& idx = op.operands[1]->type;
  int64_t axis = op.attr<AxisAttrs>().axis;
  if (axis < 0 || axis >= x.rank())
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, x.rank()));
  if (idx.dtype != DType::i64 && idx.dtype != DType::i32)
    return Status::error("gather indices must be int32 or int64");
  std::vector<int64_t> shape(x.shape.begin(), x.shape.begin() + axis);
  shape.insert(shape.end(), idx.shape.begin(), idx.shape.end());
  shape.insert(shape.end(), x.shape.begin() + axis + 1, x.shape.end());
  return makeType(x.dtype, std::move(shape));
}

namespace {
Status checkIndices(const TensorType& t, std::string_view what) {
  if (t.dtype != DType::i64 && t.dtype != DType::i32)
    return Status::error(
        fmt::format("{} must be int32 or int64, got {}", what, dtypeName(t.dtype)));
  return Status::ok();
}
} // namespace

/// gather_elements: indices has the rank of data; the result has the shape of indices.
Expected<TensorType> inferGatherElements(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const TensorType& idx = op.operands[1]->type;
  int64_t axis = op.attr<AxisAttrs>().axis;
  if (axis < 0 || axis >= x.rank())
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, x.rank()));
  DNNCC_TRY(checkIndices(idx, "indices"));
  if (idx.rank() != x.rank())
    return Status::error(fmt::format("indices {} must have the rank of data {}",
                                     shapeString(idx.shape), shapeString(x.shape)));
  return makeType(x.dtype, idx.shape);
}

/// gather_nd (ONNX GatherND): data [b..., d...] (rank r), indices [b..., i..., m] (rank q) with the
/// first `batchDims` axes equal; result indices.shape[:-1] + data.shape[batchDims + m:].
Expected<TensorType> inferGatherND(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const TensorType& idx = op.operands[1]->type;
  int64_t b = op.attr<GatherNDAttrs>().batchDims;
  DNNCC_TRY(checkIndices(idx, "indices"));
  if (idx.rank() < 1 || b < 0 || b >= std::min(x.rank(), idx.rank()))
    return Status::error(fmt::format("batch_dims={} does not fit data {} and indices {}", b,
                                     shapeString(x.shape), shapeString(idx.shape)));
  int64_t m = idx.shape.back();
  if (m < 1 || b + m > x.rank())
    return Status::error(fmt::format("indices {} index more axes than data {} has",
                                     shapeString(idx.shape), shapeString(x.shape)));
  for (int64_t i = 0; i < b; ++i)
    if (x.shape[i] != idx.shape[i])
      return Status::error(fmt::format("batch axis {} differs: data {} vs indices {}", i,
                                       shapeString(x.shape), shapeString(idx.shape)));
  std::vector<int64_t> shape(idx.shape.begin(), idx.shape.end() - 1);
  shape.insert(shape.end(), x.shape.begin() + b + m, x.shape.end());
  return makeType(x.dtype, std::move(shape));
}

/// scatter_elements: data, indices and updates of one rank; indices and updates of one shape.
Expected<TensorType> inferScatterElements(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const TensorType& idx = op.operands[1]->type;
  const TensorType& upd = op.operands[2]->type;
  int64_t axis = op.attr<ScatterAttrs>().axis;
  if (axis < 0 || axis >= x.rank())
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, x.rank()));
  DNNCC_TRY(checkIndices(idx, "indices"));
  if (idx.shape != upd.shape || idx.rank() != x.rank() || upd.dtype != x.dtype)
    return Status::error(fmt::format("indices {} and updates {} must match each other and the "
                                     "rank and type of data {}",
                                     shapeString(idx.shape), toString(upd), toString(x)));
  for (int i = 0; i < x.rank(); ++i)
    if (i != axis && idx.shape[i] > x.shape[i])
      return Status::error(fmt::format("indices {} exceed data {} on axis {}",
                                       shapeString(idx.shape), shapeString(x.shape), i));
  return makeType(x.dtype, x.shape);
}

/// scatter_nd (ONNX ScatterND): indices [i..., m], updates i... + data.shape[m:].
Expected<TensorType> inferScatterND(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const TensorType& idx = op.operands[1]->type;
  const TensorType& upd = op.operands[2]->type;
  DNNCC_TRY(checkIndices(idx, "indices"));
  if (idx.rank() < 1 || idx.shape.back() < 1 || idx.shape.back() > x.rank())
    return Status::error(fmt::format("indices {} do not index data {}", shapeString(idx.shape),
                                     shapeString(x.shape)));
  std::vector<int64_t> expect(idx.shape.begin(), idx.shape.end() - 1);
  expect.insert(expect.end(), x.shape.begin() + idx.shape.back(), x.shape.end());
  if (upd.shape != expect || upd.dtype != x.dtype)
    return Status::error(fmt::format("updates {} must be {}{}", toString(upd), dtypeName(x.dtype),
                                     shapeString(expect)));
  return makeType(x.dtype, x.shape);
}

/// reverse_sequence: x [.., T, .., B, ..] with sequence lengths [B]; same type as x.
Expected<TensorType> inferReverseSequence(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const TensorType& lens = op.operands[1]->type;
  const auto& a = op.attr<ReverseSequenceAttrs>();
  if (x.rank() < 2 || a.batchAxis < 0 || a.batchAxis > 1 || a.timeAxis < 0 || a.timeAxis > 1 ||
      a.batchAxis == a.timeAxis)
    return Status::error(
        fmt::format("batch_axis={} and time_axis={} must be 0 and 1 of a rank >= 2 "
                    "input",
                    a.batchAxis, a.timeAxis));
  DNNCC_TRY(checkIndices(lens, "sequence_lens"));
  if (lens.shape != std::vector<int64_t>{x.shape[a.batchAxis]})
    return Status::error(fmt::format("sequence_lens {} must be [{}]", shapeString(lens.shape),
                                     x.shape[a.batchAxis]));
  return makeType(x.dtype, x.shape);
}

/// tensor_scatter: cache [B, ..., S, ...], update of the same shape but L <= S along `axis`,
/// write_indices [B] (int32/int64); the result has the cache's type.
Expected<TensorType> inferTensorScatter(const Op& op) {
  const TensorType& cache = op.operands[0]->type;
  const TensorType& upd = op.operands[1]->type;
  const TensorType& idx = op.operands[2]->type;
  int64_t axis = op.attr<TensorScatterAttrs>().axis;
  if (axis < 1 || axis >= cache.rank())
    return Status::error(fmt::format("axis {} is out of range [1, {})", axis, cache.rank()));
  bool ok = upd.dtype == cache.dtype && upd.rank() == cache.rank();
  for (int i = 0; ok && i < cache.rank(); ++i)
    ok = i == axis ? upd.shape[i] <= cache.shape[i] : upd.shape[i] == cache.shape[i];
  if (!ok)
    return Status::error(fmt::format("update {} does not fit cache {} along axis {}", toString(upd),
                                     toString(cache), axis));
  DNNCC_TRY(checkIndices(idx, "write_indices"));
  if (idx.shape != std::vector<int64_t>{cache.shape[0]})
    return Status::error(
        fmt::format("write_indices {} must be [{}]", shapeString(idx.shape), cache.shape[0]));
  return makeType(cache.dtype, cache.shape);
}
} // namespace dnncc
