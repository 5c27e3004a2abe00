// Halide algorithms of the ops with a data-dependent extent (ONNX NonZero, Compress,
// NonMaxSuppression, Unique). The result
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
Expected<TensorFunc> nonZero(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const TensorFunc& x = in[0];
  const auto& shape = x.type.shape;
  int n = static_cast<int>(x.type.numElements());
  Halide::Type t = halideType(x.type.dtype, lw);
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
Expected<TensorFunc> compress(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const TensorFunc& x = in[0];
  const TensorFunc& cond = in[1];
  int axis = static_cast<int>(op.attr<AxisAttrs>().axis);
  int n = static_cast<int>(x.type.shape[axis]);
  Selection sel = selectPositions(
      "compress", [&](Expr k) { return cond({k}) != constant(halideType(cond.type.dtype, lw), 0); },
      n);
  auto v = makeVars(x.type.rank());
  Idx at = asIdx(v);
  at[axis] = Halide::clamp(sel.position(v[axis]), 0, n - 1); // bounds for Halide
  Expr y = Halide::select(v[axis] < sel.count, x(at), constant(halideType(x.type.dtype, lw), 0));
  TensorFunc out = pureResult(op, v, y);
  out.stages.insert(out.stages.begin(), sel.stages.begin(), sel.stages.end());
  return out;
}

/// Whether boxes p and q of batch b overlap with an intersection over union above `threshold`:
/// the IoU of ONNX NonMaxSuppression-11's reference (corners [y1, x1, y2, x2] in any order, or
/// [x_center, y_center, width, height]); empty or degenerate boxes never suppress.
Expr suppresses(const TensorFunc& boxes, bool centerPointBox, Expr b, Expr p, Expr q,
                Expr threshold) {
  auto coord = [&](Expr box, int k) { return boxes({b, box, k}); };
  struct Extent {
    Expr lo, hi;
  };
  auto along = [&](Expr box, int axis) -> Extent { // axis 0: x, 1: y
    if (centerPointBox) {
      Expr centre = coord(box, axis), half = coord(box, axis + 2) / 2;
      return {centre - half, centre + half};
    }
    int first = axis == 0 ? 1 : 0; // corners are [y1, x1, y2, x2]
    Expr u = coord(box, first), w = coord(box, first + 2);
    return {Halide::min(u, w), Halide::max(u, w)};
  };
  Extent px = along(p, 0), py = along(p, 1), qx = along(q, 0), qy = along(q, 1);
  Expr ix = Halide::min(px.hi, qx.hi) - Halide::max(px.lo, qx.lo);
  Expr iy = Halide::min(py.hi, qy.hi) - Halide::max(py.lo, qy.lo);
  Expr inter = ix * iy;
  Expr areaP = (px.hi - px.lo) * (py.hi - py.lo), areaQ = (qx.hi - qx.lo) * (qy.hi - qy.lo);
  Expr uni = areaP + areaQ - inter;
  Expr zero = constant(inter.type(), 0);
  return ix > zero && iy > zero && inter > zero && areaP > zero && areaQ > zero && uni > zero &&
         inter / uni > threshold;
}

/// NonMaxSuppression-11 per (batch, class): the boxes in score order (higher first, the lower
/// index first among equal scores), the candidates above score_threshold, and the greedy
/// selection: a candidate is kept unless a kept box before it overlaps it above iou_threshold;
/// the first max_output_boxes_per_class kept ones are selected. `selected(r, c, b)` (Halide
/// order) is 1 when the box of rank r is selected, `boxOfRank(r, c, b)` its index. Ranks are
/// counted in O(N^2) per class (in parallel); the greedy pass is serial over the pairs of ranks.
struct NmsSelection {
  Halide::Func selected, boxOfRank;
  std::vector<Halide::Func> stages;
};
NmsSelection nmsSelect(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<NmsAttrs>();
  const TensorFunc& boxes = in[0];
  const TensorFunc& scores = in[1];
  int n = static_cast<int>(boxes.type.shape[1]);
  auto scalar = [&](size_t i) { return in[i](Idx(in[i].type.rank(), 0)); };
  Expr maxOut = Halide::cast(Halide::Int(32), Halide::clamp(scalar(2), 0, n));
  Expr iouThreshold = scalar(3);
  Halide::Var i("i"), r("r"), c("c"), b("b");
  Halide::RDom j(0, n, "j");
  Expr sj = scores({b, c, j}), si = scores({b, c, i});
  Halide::Func rank("nms_rank"), boxOfRank("nms_box_of_rank"), keep("nms_keep");
  Halide::Func kept("nms_kept_before"), selected("nms_selected");
  rank(i, c, b) = 0;
  rank(i, c, b) += Halide::select(sj > si || (sj == si && j < i), 1, 0);
  boxOfRank(r, c, b) = 0; // ranks are a permutation: a scatter fills every entry
  boxOfRank(Halide::clamp(rank(j, c, b), 0, n - 1), c, b) = Halide::Expr(j);
  auto box = [&](Expr rk) { return Halide::clamp(boxOfRank(rk, c, b), 0, n - 1); };
  Expr candidate = Halide::cast(Halide::Int(32), 1);
  if (a.scoreThreshold)
    candidate = Halide::select(scores({b, c, box(r)}) > scalar(4), 1, 0);
  keep(r, c, b) = candidate;
  if (n > 1) {
    Halide::RDom q(0, n, 0, n, "q"); // q.y: the box being decided, q.x: a box before it
    q.where(q.x < q.y);
    Expr other = Halide::clamp(boxOfRank(q.x, c, b), 0, n - 1);
    Expr self = Halide::clamp(boxOfRank(q.y, c, b), 0, n - 1);
    keep(q.y, c, b) = Halide::select(
        keep(q.x, c, b) != 0 && suppresses(boxes, a.centerPointBox, b, self, other, iouThreshold),
        0, keep(q.y, c, b));
  }
  kept(r, c, b) = keep(r, c, b); // inclusive count of kept boxes up to rank r
  if (n > 1) {
    Halide::RDom s(1, n - 1, "s");
    kept(s, c, b) = kept(s - 1, c, b) + keep(s, c, b);
  }
  selected(r, c, b) = Halide::select(keep(r, c, b) != 0 && kept(r, c, b) <= maxOut, 1, 0);
  return {selected, boxOfRank, {rank, boxOfRank, keep, kept, selected}};
}

/// non_max_suppression: row j of the result is (batch, class, box) of the j-th selected box in
/// batch, class, score order (ONNX NonMaxSuppression-11 selected_indices); rows past the count
/// are 0.
Expected<TensorFunc> nonMaxSuppression(const Op& op, const std::vector<TensorFunc>& in,
                                       const Lowering& lw) {
  int n = static_cast<int>(in[0].type.shape[1]), classes = static_cast<int>(in[1].type.shape[1]);
  int batches = static_cast<int>(in[0].type.shape[0]), total = batches * classes * n;
  NmsSelection nms = nmsSelect(op, in, lw);
  auto split = [&](Expr k) { // flat (batch, class, rank) index -> Halide-order (r, c, b)
    return std::vector<Expr>{k % n, (k / n) % classes,
                             Halide::clamp(k / (n * classes), 0, batches - 1)};
  };
  Selection sel = selectPositions("nms", [&](Expr k) {
    std::vector<Expr> at = split(k);
    return nms.selected(at) != 0;
  }, total);
  auto v = makeVars(2); // [row, column]
  std::vector<Expr> at = split(sel.position(v[0]));
  Expr value = Halide::select(v[1] == 0, at[2], v[1] == 1, at[1], nms.boxOfRank(at));
  Expr y = Halide::select(v[0] < sel.count, Halide::cast(Halide::Int(64), value),
                          constant(Halide::Int(64), 0));
  TensorFunc out = pureResult(op, v, y);
  out.stages.insert(out.stages.begin(), nms.stages.begin(), nms.stages.end());
  out.stages.insert(out.stages.begin() + static_cast<long>(nms.stages.size()), sel.stages.begin(),
                    sel.stages.end());
  return out;
}

/// non_max_suppression_count: the number of rows of NonMaxSuppression's selected_indices.
Expected<TensorFunc> nonMaxSuppressionCount(const Op& op, const std::vector<TensorFunc>& in,
                                            const Lowering& lw) {
  int n = static_cast<int>(in[0].type.shape[1]), classes = static_cast<int>(in[1].type.shape[1]);
  NmsSelection nms = nmsSelect(op, in, lw);
  Halide::RDom all(0, n, 0, classes, 0, static_cast<int>(in[0].type.shape[0]), "all");
  Halide::Func count("nms_count");
  count() = Halide::cast(Halide::Int(64), 0);
  count() += Halide::cast(Halide::Int(64), nms.selected(all.x, all.y, all.z));
  TensorFunc out = pureResult(op, {}, count());
  out.stages.insert(out.stages.begin(), nms.stages.begin(), nms.stages.end());
  out.stages.insert(out.stages.end() - 1, count);
  return out;
}

/// ONNX Unique-11 over the n slices of x along `axis` (numpy.unique: slices compared element by
/// element in row-major order, NaN equal to NaN and after every number). Funcs in Halide order:
/// first(i) the first slice equal to slice i; rank(i) the position of slice i's value among the
/// unique ones (sorted: the number of unique values less than it; else of first occurrences
/// before it); source(u) the first slice of unique value u; counts(u) its number of slices;
/// total() the number of unique values. The comparisons are O(n^2 * slice size), in parallel;
/// source and counts are O(n) scatters.
struct UniqueAnalysis {
  Halide::Func first, rank, source, counts, total;
  std::vector<Halide::Func> stages;
};
UniqueAnalysis uniqueAnalysis(const Op& op, const TensorFunc& x) {
  const auto& a = op.attr<UniqueAttrs>();
  const auto& shape = x.type.shape;
  int axis = static_cast<int>(a.axis);
  int n = static_cast<int>(shape[axis]);
  int inner = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= static_cast<int>(shape[d]);
  int slice = static_cast<int>(x.type.numElements()) / std::max(n, 1);
  auto element = [&](Expr s, Expr p) { // element p (row-major) of slice s
    return x(unflatten((p / inner) * (n * inner) + s * inner + p % inner, shape));
  };
  bool isFloatType = x.func.value().type().is_float();
  auto same = [&](Expr u, Expr w) {
    return isFloatType ? (u == w || (Halide::is_nan(u) && Halide::is_nan(w))) : u == w;
  };
  auto less = [&](Expr u, Expr w) {
    return isFloatType ? (u < w || (!Halide::is_nan(u) && Halide::is_nan(w))) : u < w;
  };
  Halide::Var i("i"), j("j"), u("u");
  Halide::RDom p(0, std::max(slice, 1), "p"), r(0, n, "r");
  Halide::Func diff("unique_first_difference"), first("unique_first"), rank("unique_rank");
  Halide::Func source("unique_source"), counts("unique_counts"), total("unique_total");
  // diff(j, i): the first element position where slices j and i differ, `slice` when equal.
  diff(j, i) = slice;
  diff(j, i) = Halide::min(diff(j, i), Halide::select(same(element(j, p), element(i, p)), slice, p));
  first(i) = n;
  first(i) = Halide::min(first(i), Halide::select(diff(r, i) == slice, r, n));
  Expr isFirst = first(r) == r;
  Expr before;
  if (a.sorted) {
    Expr d = Halide::clamp(diff(r, i), 0, std::max(slice - 1, 0));
    before = diff(r, i) < slice && less(element(r, d), element(i, d));
  } else {
    before = r < i;
  }
  rank(i) = 0;
  rank(i) += Halide::select(isFirst && before, 1, 0);
  source(u) = 0;
  Halide::RDom s(0, n, "s");
  s.where(first(s) == s);
  source(Halide::clamp(rank(s), 0, n - 1)) = Expr(s);
  counts(u) = Halide::cast(Halide::Int(64), 0);
  Halide::RDom t(0, n, "t");
  counts(Halide::clamp(rank(Halide::clamp(first(t), 0, n - 1)), 0, n - 1)) += Halide::cast(Halide::Int(64), 1);
  total() = Halide::cast(Halide::Int(64), 0);
  total() += Halide::select(isFirst, Halide::cast(Halide::Int(64), 1), Halide::cast(Halide::Int(64), 0));
  return {first, rank, source, counts, total, {diff, first, rank, source, counts, total}};
}

/// unique, unique_indices, unique_inverse, unique_counts, unique_count: the outputs of
/// ONNX Unique-11 (see uniqueAnalysis); entries past the number of unique values are 0.
Expected<TensorFunc> unique(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const TensorFunc& x = in[0];
  int axis = static_cast<int>(op.attr<UniqueAttrs>().axis);
  int n = static_cast<int>(x.type.shape[axis]);
  UniqueAnalysis q = uniqueAnalysis(op, x);
  Halide::Type i64 = Halide::Int(64);
  Expr y;
  std::vector<Halide::Var> v;
  if (op.kind == OpKind::UniqueCount) {
    y = q.total();
  } else if (op.kind == OpKind::Unique) {
    v = makeVars(x.type.rank());
    Idx at = asIdx(v);
    at[axis] = Halide::clamp(q.source(v[axis]), 0, n - 1);
    y = Halide::select(v[axis] < q.total(), x(at), constant(x.func.value().type(), 0));
  } else {
    v = makeVars(1);
    Expr k = v[0];
    if (op.kind == OpKind::UniqueInverse)
      y = Halide::cast(i64, q.rank(Halide::clamp(q.first(k), 0, n - 1)));
    else if (op.kind == OpKind::UniqueIndices)
      y = Halide::select(k < q.total(), Halide::cast(i64, q.source(k)), constant(i64, 0));
    else
      y = Halide::select(k < q.total(), q.counts(k), constant(i64, 0));
  }
  TensorFunc out = pureResult(op, v, y);
  out.stages.insert(out.stages.begin(), q.stages.begin(), q.stages.end());
  return out;
}

const AlgorithmRow kRows[] = {
    // kind, Halide algorithm, work estimate, half-precision rule (Algorithm.h)
    {OpKind::NonZero, nonZero, workElements, nullptr},
    {OpKind::Compress, compress, workElements, nullptr},
    {OpKind::NonMaxSuppression, nonMaxSuppression, workElements, nullptr},
    {OpKind::NonMaxSuppressionCount, nonMaxSuppressionCount, workElements, nullptr},
    {OpKind::Unique, unique, workElements, nullptr},
    {OpKind::UniqueIndices, unique, workElements, nullptr},
    {OpKind::UniqueInverse, unique, workElements, nullptr},
    {OpKind::UniqueCounts, unique, workElements, nullptr},
    {OpKind::UniqueCount, unique, workElements, nullptr},
};
} // namespace

std::span<const AlgorithmRow> dataDependentAlgorithms() { return kRows; }

} // namespace dnncc::hl
