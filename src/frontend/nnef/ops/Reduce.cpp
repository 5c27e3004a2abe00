// NNEF reductions (NNEF 1.0 section 4.7): sum/mean/min/max/any/all reductions, argmax/argmin and
// softmax. Reduced axes stay, with extent 1.
#include <fmt/format.h>

#include "frontend/nnef/Converters.h"

namespace dnncc::nnefimport {
namespace {

/// `axes` checked against the rank of `x`, ascending.
Expected<IntList> readAxes(OpContext& c, const Value* x) {
  IntList axes = c.attrInts("axes");
  std::sort(axes.begin(), axes.end());
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= x->type.rank())
      return c.error(
          fmt::format("'axes' entry {} is out of range for rank {}", axes[i], x->type.rank()));
    if (i > 0 && axes[i] == axes[i - 1])
      return c.error(fmt::format("'axes' lists {} twice", axes[i]));
  }
  return axes;
}

Expected<Value*> reduce(OpContext& c, OpKind kind, Value* x, const IntList& axes) {
  if (axes.empty())
    return c.emit(OpKind::Identity, {x});
  return c.emit(kind, {x}, ReduceAttrs{axes, true});
}

template <OpKind K> Status reduceOp(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList axes, readAxes(c, x));
  DNNCC_ASSIGN_OR_RETURN(Value * y, reduce(c, K, x, axes));
  return c.setOutput("output", y);
}

/// sum_reduce, a mean when `normalize`.
Status sumReduce(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList axes, readAxes(c, x));
  OpKind kind = c.attrLogical("normalize") ? OpKind::ReduceMean : OpKind::ReduceSum;
  DNNCC_ASSIGN_OR_RETURN(Value * y, reduce(c, kind, x, axes));
  return c.setOutput("output", y);
}

/// any_reduce / all_reduce: the max / min of the logical values as integers.
template <OpKind K> Status logicalReduce(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList axes, readAxes(c, x));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Cast, {x}, CastAttrs{DType::i32}));
  DNNCC_ASSIGN_OR_RETURN(y, reduce(c, K, y, axes));
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Cast, {y}, CastAttrs{DType::boolean}));
  return c.setOutput("output", y);
}

/// argmax_reduce / argmin_reduce: the index within the reduced axes, which must be adjacent;
/// several axes count as one flattened axis (row-major).
template <OpKind K> Status argReduce(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList axes, readAxes(c, x));
  if (axes.empty())
    return c.error("'axes' is empty");
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return c.error("arg reductions over axes that are not adjacent are not supported");
  const std::vector<int64_t>& in = x->type.shape;
  const int first = static_cast<int>(axes.front()), last = static_cast<int>(axes.back());
  std::vector<int64_t> merged(in.begin(), in.begin() + first);
  int64_t extent = 1;
  for (int a = first; a <= last; ++a)
    extent *= in[a];
  merged.push_back(extent);
  merged.insert(merged.end(), in.begin() + last + 1, in.end());
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.reshape(x, merged));
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(K, {y}, ArgAttrs{first, true, false}));
  std::vector<int64_t> out = in;
  for (int a = first; a <= last; ++a)
    out[a] = 1;
  DNNCC_ASSIGN_OR_RETURN(y, c.reshape(y, out));
  return c.setOutput("output", y);
}

/// softmax over `axes`: exp(x - max) / sum(exp(x - max)).
Status softmax(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("x"));
  DNNCC_ASSIGN_OR_RETURN(IntList axes, readAxes(c, x));
  if (axes.size() == 1) {
    DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Softmax, {x}, AxisAttrs{axes[0]}));
    return c.setOutput("y", y);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * m, reduce(c, OpKind::ReduceMax, x, axes));
  DNNCC_ASSIGN_OR_RETURN(Value * e, c.emit(OpKind::Sub, {x, m}));
  DNNCC_ASSIGN_OR_RETURN(e, c.emit(OpKind::Exp, {e}));
  DNNCC_ASSIGN_OR_RETURN(Value * s, reduce(c, OpKind::ReduceSum, e, axes));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Div, {e, s}));
  return c.setOutput("y", y);
}

const ConverterRow kRows[] = {
    {"sum_reduce", sumReduce},
    {"mean_reduce", reduceOp<OpKind::ReduceMean>},
    {"max_reduce", reduceOp<OpKind::ReduceMax>},
    {"min_reduce", reduceOp<OpKind::ReduceMin>},
    {"any_reduce", logicalReduce<OpKind::ReduceMax>},
    {"all_reduce", logicalReduce<OpKind::ReduceMin>},
    {"argmax_reduce", argReduce<OpKind::ArgMax>},
    {"argmin_reduce", argReduce<OpKind::ArgMin>},
    {"softmax", softmax},
};
} // namespace

std::span<const ConverterRow> reduceConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
