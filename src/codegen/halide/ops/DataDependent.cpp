// Halide algorithms of the ops with a data-dependent extent (ONNX NonZero, Compress). The result
// has the static upper-bound shape; the selected entries fill a prefix along the run-time axis
// and the rest is zero. The count itself is computed by ordinary ops the importer emits.
#include <functional>

#include <fmt/format.h>

#include "codegen/halide/Algorithm.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

/// The positions 0..n-1 where `selected` holds, in increasing order: position(j) is the j-th
/// selected position (n - 1 for j >= the count), count the number selected. An inclusive prefix
/// count (a scan) followed by a scatter of each selected position to its rank: O(n), serial.
struct Selection {
  Halide::Func position;
  Expr count;
  std::vector<Halide::Func> stages;
};
Selection selectPositions(const std::string& name, const std::function<Expr(Expr)>& selected,
                          int n) {
  Halide::Var k("k");
  Halide::Func flag(name + "_flag"), prefix(name + "_prefix"), position(name + "_position");
  flag(k) = Halide::select(selected(k), 1, 0);
  prefix(k) = flag(k);
  if (n > 1) {
    Halide::RDom r(1, n - 1);
    prefix(r) = prefix(r - 1) + flag(r);
  }
  position(k) = n - 1;
  Halide::RDom s(0, n);
  s.where(flag(s) != 0);
  position(Halide::clamp(prefix(s) - 1, 0, n - 1)) = s;
  return {position, prefix(n - 1), {flag, prefix, position}};
}

/// NonZero-13: y[d, j] = coordinate d of the j-th non-zero element of x in row-major order (NaN
/// counts as non-zero); columns past the count are 0.
Expected<TensorFunc> nonZero(const Op& op, const std::vector<TensorFunc>& in) {
  const TensorFunc& x = in[0];
  const auto& shape = x.type.shape;
  int n = static_cast<int>(x.type.numElements());
  Halide::Type t = halideType(x.type.dtype);
  Selection sel = selectPositions("non_zero", [&](Expr k) {
    return x(unflatten(k, shape)) != constant(t, 0);
  }, n);
  auto v = makeVars(2); // [d, j]
  Idx coord = unflatten(sel.position(v[1]), shape);
  Expr value = coord.back();
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d)
    value = Halide::select(v[0] == d, coord[d], value);
  Expr y = Halide::select(v[1] < sel.count, Halide::cast(Halide::Int(64), value),
                          constant(Halide::Int(64), 0));
  TensorFunc out = pureResult(op, v, y);
  out.stages.insert(out.stages.begin(), sel.stages.begin(), sel.stages.end());
  return out;
}

/// Compress-11: the slices of x along `axis` whose condition entry is true, in order; slices past
/// the count are 0. (The importer flattens x when the node has no axis and cuts the longer of x
/// and the condition.)
Expected<TensorFunc> compress(const Op& op, const std::vector<TensorFunc>& in) {
  const TensorFunc& x = in[0];
  const TensorFunc& cond = in[1];
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  int n = static_cast<int>(x.type.shape[axis]);
  Selection sel = selectPositions("compress", [&](Expr k) {
    return cond({k}) != constant(halideType(cond.type.dtype), 0);
  }, n);
  auto v = makeVars(x.type.rank());
  Idx at = asIdx(v);
  at[axis] = Halide::clamp(sel.position(v[axis]), 0, n - 1); // bounds for Halide
  Expr y = Halide::select(v[axis] < sel.count, x(at), constant(halideType(x.type.dtype), 0));
  TensorFunc out = pureResult(op, v, y);
  out.stages.insert(out.stages.begin(), sel.stages.begin(), sel.stages.end());
  return out;
}

const AlgorithmRow kRows[] = {
    {OpKind::NonZero, nonZero},
    {OpKind::Compress, compress},
};
} // namespace

std::span<const AlgorithmRow> dataDependentAlgorithms() { return kRows; }

} // namespace dnncc::hl
