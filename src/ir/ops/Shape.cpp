// Type inference of data-movement ops (ONNX Reshape, Expand, Transpose, Concat, Slice, Pad).
// Reshape, expand and slice carry their result shape in the result type; inference checks it.
#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {
namespace {
Expected<const TensorType*> givenResult(const Op& op) {
  if (op.result == nullptr)
    return Status::error(fmt::format("{} needs its result type", opName(op.kind)));
  return &op.result->type;
}
} // namespace

Expected<TensorType> inferReshape(const Op& op) {
  DNNCC_ASSIGN_OR_RETURN(const TensorType* r, givenResult(op));
  const TensorType& x = op.operands[0]->type;
  if (numElements(r->shape) != x.numElements())
    return Status::error(fmt::format("cannot reshape {} ({} elements) to {}",
                                     shapeString(x.shape), x.numElements(),
                                     shapeString(r->shape)));
  return makeType(x.dtype, r->shape);
}

Expected<TensorType> inferExpand(const Op& op) {
  DNNCC_ASSIGN_OR_RETURN(const TensorType* r, givenResult(op));
  const TensorType& x = op.operands[0]->type;
  Expected<std::vector<int64_t>> b = broadcastShapes(x.shape, r->shape);
  if (!b || *b != r->shape)
    return Status::error(
        fmt::format("cannot expand {} to {}", shapeString(x.shape), shapeString(r->shape)));
  return makeType(x.dtype, r->shape);
}

Expected<TensorType> inferTranspose(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const IntList& perm = op.attr<TransposeAttrs>().perm;
  if (static_cast<int>(perm.size()) != x.rank())
    return Status::error(fmt::format("perm has {} entries for rank {}", perm.size(), x.rank()));
  std::vector<bool> seen(x.rank(), false);
  std::vector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.rank() || seen[p])
      return Status::error(fmt::format("perm [{}] is not a permutation", fmt::join(perm, ",")));
    seen[p] = true;
    shape.push_back(x.shape[p]);
  }
  return makeType(x.dtype, std::move(shape));
}

Expected<TensorType> inferConcat(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  int64_t axis = op.attr<AxisAttrs>().axis;
  if (axis < 0 || axis >= x.rank())
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, x.rank()));
  std::vector<int64_t> shape = x.shape;
  shape[axis] = 0;
  for (const Value* v : op.operands) {
    const TensorType& t = v->type;
    bool ok = t.dtype == x.dtype && t.rank() == x.rank();
    for (int i = 0; ok && i < x.rank(); ++i)
      ok = i == axis || t.shape[i] == x.shape[i];
    if (!ok)
      return Status::error(fmt::format("cannot concatenate {} and {} on axis {}", toString(x),
                                       toString(t), axis));
    shape[axis] += t.shape[axis];
  }
  return makeType(x.dtype, std::move(shape));
}

/// slice_runtime: x's type with the declared shape (same rank, no extent above x's);
/// slice_runtime_check: a bool scalar. starts, ends, axes, steps: integer [k], k <= rank.
Expected<TensorType> inferSliceRuntime(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const IntList& shape = op.attr<RuntimeSliceAttrs>().shape;
  if (static_cast<int>(shape.size()) != x.rank())
    return Status::error("slice_runtime needs a shape of the input's rank");
  for (int i = 0; i < x.rank(); ++i)
    if (shape[i] < 0 || shape[i] > x.shape[i])
      return Status::error(fmt::format("slice_runtime extent {} of axis {} is outside [0, {}]",
                                       shape[i], i, x.shape[i]));
  const TensorType& starts = op.operands[1]->type;
  for (size_t i = 1; i < 5; ++i) {
    const TensorType& t = op.operands[i]->type;
    if (t.rank() != 1 || t.shape[0] != starts.shape[0] || t.shape[0] > x.rank() ||
        (t.dtype != DType::i32 && t.dtype != DType::i64))
      return Status::error(fmt::format("slice_runtime operand {} must be int32 or int64 [k], k "
                                       "<= {}, like starts; got {}",
                                       i, x.rank(), toString(t)));
  }
  if (op.kind == OpKind::SliceRuntimeCheck)
    return makeType(DType::boolean, {});
  return makeType(x.dtype, shape);
}

Expected<TensorType> inferSlice(const Op& op) {
  DNNCC_ASSIGN_OR_RETURN(const TensorType* r, givenResult(op));
  const TensorType& x = op.operands[0]->type;
  const auto& a = op.attr<SliceAttrs>();
  if (r->rank() != x.rank() || static_cast<int>(a.starts.size()) != x.rank() ||
      static_cast<int>(a.steps.size()) != x.rank())
    return Status::error("slice needs one start and step per axis");
  for (int i = 0; i < x.rank(); ++i) {
    int64_t n = r->shape[i];
    if (n == 0)
      continue;
    int64_t first = a.starts[i], last = a.starts[i] + (n - 1) * a.steps[i];
    if (a.steps[i] == 0 || first < 0 || first >= x.shape[i] || last < 0 || last >= x.shape[i])
      return Status::error(fmt::format("slice of axis {} reads outside [0, {})", i, x.shape[i]));
  }
  return makeType(x.dtype, r->shape);
}

std::optional<int64_t> contiguousSliceOffset(const Op& slice) {
  if (slice.kind != OpKind::Slice)
    return std::nullopt;
  const TensorType& x = slice.operands[0]->type;
  const TensorType& r = slice.result->type;
  if (x.layout != Layout::rowMajor || r.layout != Layout::rowMajor || x.block != 0 ||
      r.block != 0 || x.dtype != r.dtype || r.numElements() == 0)
    return std::nullopt;
  const auto& a = slice.attr<SliceAttrs>();
  int axis = x.rank() - 1; // inner axes taken whole
  while (axis >= 0 && r.shape[axis] == x.shape[axis] && a.starts[axis] == 0 &&
         (a.steps[axis] == 1 || r.shape[axis] == 1))
    --axis;
  if (axis >= 0 && r.shape[axis] > 1 && a.steps[axis] != 1)
    return std::nullopt; // the sliced axis must be read in order
  for (int i = 0; i < axis; ++i)
    if (r.shape[i] != 1)
      return std::nullopt; // outer axes keep one index
  std::vector<int64_t> strides = x.strides();
  int64_t offset = 0;
  for (int i = 0; i < x.rank(); ++i)
    offset += a.starts[i] * strides[i];
  return offset * dtypeSize(x.dtype);
}

std::optional<ConcatSlot> concatSlot(const std::vector<const Op*>& chain, size_t i) {
  if (chain.empty() || chain[0]->kind != OpKind::Concat || i >= chain[0]->operands.size())
    return std::nullopt;
  const Op& concat = *chain[0];
  const TensorType& x = concat.operands[i]->type;
  const TensorType& r = chain.back()->result->type;
  // Through reshapes and transposes every element's place is checked: up to 2^22 of them.
  constexpr int64_t kMaxCheckedElements = int64_t{1} << 22;
  if (x.block != 0 || r.block != 0 || x.group != 0 || r.group != 0 || x.dtype != r.dtype ||
      x.numElements() == 0 || (chain.size() > 1 && x.numElements() > kMaxCheckedElements))
    return std::nullopt;
  for (size_t k = 1; k < chain.size(); ++k)
    if ((chain[k]->kind != OpKind::Reshape && chain[k]->kind != OpKind::Transpose) ||
        chain[k]->operands[0] != chain[k - 1]->result)
      return std::nullopt;
  auto axis = static_cast<size_t>(concat.attr<AxisAttrs>().axis);
  int64_t start = 0;
  for (size_t j = 0; j < i; ++j)
    start += concat.operands[j]->type.shape[axis];
  // Element offset in r's memory of the operand's element `idx`.
  auto position = [&](std::vector<int64_t> idx) {
    idx[axis] += start;
    for (size_t k = 1; k < chain.size(); ++k) {
      const Op& op = *chain[k];
      if (op.kind == OpKind::Reshape) { // the same row-major order, another shape
        const std::vector<int64_t>& from = op.operands[0]->type.shape;
        const std::vector<int64_t>& to = op.result->type.shape;
        int64_t linear = 0;
        for (size_t d = 0; d < from.size(); ++d)
          linear = linear * from[d] + idx[d];
        idx.assign(to.size(), 0);
        for (size_t d = to.size(); d-- > 0;) {
          idx[d] = linear % to[d];
          linear /= to[d];
        }
      } else { // result axis a is operand axis perm[a]
        const IntList& perm = op.attr<TransposeAttrs>().perm;
        std::vector<int64_t> out(perm.size());
        for (size_t a = 0; a < perm.size(); ++a)
          out[a] = idx[static_cast<size_t>(perm[a])];
        idx = std::move(out);
      }
    }
    return storageOffset(r, idx);
  };
  int rank = x.rank();
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  int64_t base = position(idx);
  // Per logical axis; an axis of extent 1 keeps the operand's own stride (any would do).
  std::vector<int64_t> strides = x.strides();
  for (int a = 0; a < rank; ++a)
    if (x.shape[a] > 1) {
      idx[a] = 1;
      strides[a] = position(idx) - base;
      idx[a] = 0;
    }
  // Every element where the strides put it (row-major walk over the operand's indices); a
  // concat alone is affine by construction.
  for (int64_t n = 0; chain.size() > 1 && n < x.numElements(); ++n) {
    int64_t expected = base;
    for (int a = 0; a < rank; ++a)
      expected += idx[a] * strides[a];
    if (position(idx) != expected)
      return std::nullopt;
    for (int a = rank - 1; a >= 0 && ++idx[a] == x.shape[a]; --a)
      idx[a] = 0;
  }
  ConcatSlot slot;
  slot.offset = base * dtypeSize(r.dtype);
  slot.strides.assign(strides.rbegin(), strides.rend()); // buffer dim d is axis rank - 1 - d
  return slot;
}

bool transposeKeepsBytes(const Op& transpose, Layout layout) {
  if (transpose.kind != OpKind::Transpose)
    return false;
  const TensorType& x = transpose.operands[0]->type;
  const TensorType& r = transpose.result->type;
  if (x.block != 0 || r.block != 0 || x.dtype != r.dtype)
    return false;
  const IntList& perm = transpose.attr<TransposeAttrs>().perm;
  // Operand axes from outermost to innermost in memory, for the operand and through the result.
  std::vector<int64_t> operandOrder, resultOrder;
  for (int axis : storageOrder(x.layout, x.rank()))
    if (x.shape[axis] != 1)
      operandOrder.push_back(axis);
  for (int axis : storageOrder(layout, r.rank()))
    if (r.shape[axis] != 1)
      resultOrder.push_back(perm[axis]);
  return operandOrder == resultOrder;
}

Expected<TensorType> inferPad(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const IntList& pads = op.attr<PadAttrs>().pads;
  if (static_cast<int>(pads.size()) != 2 * x.rank())
    return Status::error(fmt::format("pads has {} entries for rank {}", pads.size(), x.rank()));
  std::vector<int64_t> shape = x.shape;
  for (int i = 0; i < x.rank(); ++i) {
    if (__builtin_add_overflow(shape[i], pads[i], &shape[i]) ||
        __builtin_add_overflow(shape[i], pads[x.rank() + i], &shape[i]))
      return Status::error(fmt::format("pads make axis {} overflow 64 bits", i));
    if (shape[i] < 0)
      return Status::error(fmt::format("pads make axis {} negative", i));
  }
  return makeType(x.dtype, std::move(shape));
}

} // namespace dnncc
