// NNEF tensor shaping operations (NNEF 1.0 section 4.2): reshape, transpose, concat, split,
// slice, squeeze, unsqueeze, stack, unstack, tile, pad, gather.
#include <numeric>

#include <fmt/format.h>

#include "frontend/nnef/Converters.h"

namespace dnncc::nnefimport {
namespace {

/// `axis` checked against [0, rank).
Expected<int> checkedAxis(OpContext& c, int64_t axis, int rank, const char* what = "axis") {
  if (axis < 0 || axis >= rank)
    return c.error(fmt::format("'{}' {} is out of range for rank {}", what, axis, rank));
  return static_cast<int>(axis);
}

/// reshape: the axes [axis_start, axis_start + axis_count) of the input become `shape`, where 0
/// copies the input's extent at the same position and one -1 takes what is left.
Status reshape(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  const std::vector<int64_t>& in = x->type.shape;
  const int64_t start = c.attrInt("axis_start");
  int64_t count = c.attrInt("axis_count");
  if (start < 0 || start > static_cast<int64_t>(in.size()))
    return c.error(fmt::format("'axis_start' {} is out of range for rank {}", start, in.size()));
  if (count == -1)
    count = static_cast<int64_t>(in.size()) - start;
  if (count < 0 || start + count > static_cast<int64_t>(in.size()))
    return c.error(
        fmt::format("'axis_start' + 'axis_count' = {} exceeds rank {}", start + count, in.size()));
  std::vector<int64_t> given = c.attrInts("shape");
  std::vector<int64_t> out(in.begin(), in.begin() + start);
  int autoAxis = -1;
  for (size_t i = 0; i < given.size(); ++i) {
    int64_t s = given[i];
    if (s == 0) {
      if (start + static_cast<int64_t>(i) >= static_cast<int64_t>(in.size()))
        return c.error(
            fmt::format("'shape' entry {} is 0 but the input has no axis {}", i, start + i));
      s = in[start + i];
    } else if (s == -1) {
      if (autoAxis >= 0)
        return c.error("'shape' may hold at most one -1");
      autoAxis = static_cast<int>(out.size());
      s = 1;
    } else if (s < 0) {
      return c.error(fmt::format("'shape' entry {} is {}", i, s));
    }
    out.push_back(s);
  }
  out.insert(out.end(), in.begin() + start + count, in.end());
  if (autoAxis >= 0) {
    const int64_t known = numElements(out);
    if (known == 0 || x->type.numElements() % known != 0)
      return c.error(fmt::format("cannot infer the -1 of 'shape' for input {}", toString(x->type)));
    out[autoAxis] = x->type.numElements() / known;
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.reshape(x, out));
  if (y == x) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Identity, {x}));
  }
  return c.setOutput("output", y);
}

/// transpose: `axes` permutes the leading axes; axes past its length stay in place.
Status transpose(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  IntList perm = c.attrInts("axes");
  const int rank = x->type.rank();
  if (perm.size() > static_cast<size_t>(rank))
    return c.error(fmt::format("'axes' has {} entries for rank {}", perm.size(), rank));
  for (int i = static_cast<int>(perm.size()); i < rank; ++i)
    perm.push_back(i);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Transpose, {x}, TransposeAttrs{perm}));
  return c.setOutput("output", y);
}

Status concat(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(std::vector<Value*> xs, c.inputs("values"));
  if (xs.empty())
    return c.error("concat of an empty array");
  DNNCC_ASSIGN_OR_RETURN(int axis, checkedAxis(c, c.attrInt("axis"), xs[0]->type.rank()));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Concat, xs, AxisAttrs{axis}));
  return c.setOutput("value", y);
}

/// Elements [start, start + size) of `axis` with step `step`.
Expected<Value*> sliceAxis(OpContext& c, Value* x, int axis, int64_t start, int64_t size,
                           int64_t step = 1) {
  const int rank = x->type.rank();
  SliceAttrs attrs{IntList(rank, 0), IntList(rank, 1)};
  attrs.starts[axis] = start;
  attrs.steps[axis] = step;
  TensorType t = x->type;
  t.shape[axis] = size;
  t.layout = Layout::rowMajor;
  return c.emit(OpKind::Slice, {x}, attrs, &t);
}

/// split: `axis` cut into parts proportional to `ratios`.
Status split(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("value"));
  DNNCC_ASSIGN_OR_RETURN(int axis, checkedAxis(c, c.attrInt("axis"), x->type.rank()));
  std::vector<int64_t> ratios = c.attrInts("ratios");
  const int64_t total = std::accumulate(ratios.begin(), ratios.end(), int64_t{0});
  const int64_t extent = x->type.shape[axis];
  for (int64_t r : ratios)
    if (r <= 0)
      return c.error("'ratios' entries must be positive");
  if (total == 0 || extent % total != 0)
    return c.error(fmt::format("extent {} of axis {} is not divisible by the sum of 'ratios' ({})",
                               extent, axis, total));
  std::vector<Value*> parts;
  int64_t at = 0;
  for (int64_t r : ratios) {
    const int64_t size = extent / total * r;
    DNNCC_ASSIGN_OR_RETURN(Value * part, sliceAxis(c, x, axis, at, size));
    parts.push_back(part);
    at += size;
  }
  return c.setOutputs("values", parts);
}

/// slice: per listed axis, [begin, end) with `stride`; negative bounds count from the end and
/// an end of 0 with stride 1 means the whole extent.
Status slice(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  std::vector<int64_t> axes = c.attrInts("axes"), begin = c.attrInts("begin"),
                       end = c.attrInts("end"), stride = c.attrInts("stride");
  if (begin.size() != axes.size() || end.size() != axes.size() ||
      (!stride.empty() && stride.size() != axes.size()))
    return c.error("'axes', 'begin', 'end' (and 'stride') must have the same length");
  const int rank = x->type.rank();
  SliceAttrs attrs{IntList(rank, 0), IntList(rank, 1)};
  TensorType t = x->type;
  t.layout = Layout::rowMajor;
  for (size_t i = 0; i < axes.size(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(int axis, checkedAxis(c, axes[i], rank, "axes"));
    const int64_t extent = x->type.shape[axis];
    const int64_t s = stride.empty() ? 1 : stride[i];
    if (s == 0)
      return c.error("'stride' must be non-zero");
    int64_t first = begin[i] < 0 ? begin[i] + extent : begin[i];
    int64_t last = end[i] < 0 ? end[i] + extent : (end[i] == 0 && s == 1 ? extent : end[i]);
    first = std::clamp<int64_t>(first, -1, extent);
    last = std::clamp<int64_t>(last, -1, extent);
    const bool valid = s > 0 ? first >= 0 && last >= first : first < extent && last <= first;
    if (!valid)
      return c.error(fmt::format("slice range {}:{}:{} is empty or invalid for axis {} of extent "
                                 "{}",
                                 begin[i], end[i], s, axis, extent));
    const int64_t count = s > 0 ? (last - first + s - 1) / s : (first - last + (-s) - 1) / (-s);
    attrs.starts[axis] = first;
    attrs.steps[axis] = s;
    t.shape[axis] = count;
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Slice, {x}, attrs, &t));
  return c.setOutput("output", y);
}

Status squeeze(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  std::vector<int64_t> axes = c.attrInts("axes");
  std::vector<bool> drop(x->type.rank(), false);
  for (int64_t a : axes) {
    DNNCC_ASSIGN_OR_RETURN(int axis, checkedAxis(c, a, x->type.rank(), "axes"));
    if (x->type.shape[axis] != 1)
      return c.error(fmt::format("cannot squeeze axis {} of extent {}", axis, x->type.shape[axis]));
    drop[axis] = true;
  }
  std::vector<int64_t> shape;
  for (int i = 0; i < x->type.rank(); ++i)
    if (!drop[i])
      shape.push_back(x->type.shape[i]);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.reshape(x, shape));
  if (y == x) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Identity, {x}));
  }
  return c.setOutput("output", y);
}

/// The shape of `x` with extent-1 axes inserted at `axes` (positions in the result).
Expected<std::vector<int64_t>> unsqueezedShape(OpContext& c, const TensorType& x,
                                               std::vector<int64_t> axes) {
  const int rank = x.rank() + static_cast<int>(axes.size());
  std::vector<int64_t> shape(rank, -1);
  for (int64_t a : axes) {
    DNNCC_ASSIGN_OR_RETURN(int axis, checkedAxis(c, a, rank, "axes"));
    if (shape[axis] == 1)
      return c.error(fmt::format("'axes' lists {} twice", axis));
    shape[axis] = 1;
  }
  size_t next = 0;
  for (int64_t& s : shape)
    if (s == -1)
      s = x.shape[next++];
  return shape;
}

Status unsqueeze(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(std::vector<int64_t> shape,
                         unsqueezedShape(c, x->type, c.attrInts("axes")));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.reshape(x, shape));
  if (y == x) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Identity, {x}));
  }
  return c.setOutput("output", y);
}

/// stack: the values, each given a new axis `axis`, concatenated along it.
Status stack(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(std::vector<Value*> xs, c.inputs("values"));
  if (xs.empty())
    return c.error("stack of an empty array");
  const int64_t axis = c.attrInt("axis");
  std::vector<Value*> parts;
  for (Value* x : xs) {
    DNNCC_ASSIGN_OR_RETURN(std::vector<int64_t> shape, unsqueezedShape(c, x->type, {axis}));
    DNNCC_ASSIGN_OR_RETURN(Value * part, c.reshape(x, shape));
    parts.push_back(part);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Concat, parts, AxisAttrs{axis}));
  return c.setOutput("value", y);
}

/// unstack: one result per index of `axis`, without that axis.
Status unstack(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("value"));
  DNNCC_ASSIGN_OR_RETURN(int axis, checkedAxis(c, c.attrInt("axis"), x->type.rank()));
  std::vector<int64_t> shape = x->type.shape;
  shape.erase(shape.begin() + axis);
  std::vector<Value*> parts;
  for (int64_t i = 0; i < x->type.shape[axis]; ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * part, sliceAxis(c, x, axis, i, 1));
    DNNCC_ASSIGN_OR_RETURN(part, c.reshape(part, shape));
    parts.push_back(part);
  }
  return c.setOutputs("values", parts);
}

/// tile: `repeats` copies along each axis, as expand over an interleaved shape and a reshape.
Status tile(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  std::vector<int64_t> repeats = c.attrInts("repeats");
  const int rank = x->type.rank();
  if (repeats.size() != static_cast<size_t>(rank))
    return c.error(fmt::format("'repeats' has {} entries for rank {}", repeats.size(), rank));
  std::vector<int64_t> interleaved, expanded, out;
  for (int i = 0; i < rank; ++i) {
    if (repeats[i] <= 0)
      return c.error("'repeats' entries must be positive");
    interleaved.insert(interleaved.end(), {1, x->type.shape[i]});
    expanded.insert(expanded.end(), {repeats[i], x->type.shape[i]});
    out.push_back(repeats[i] * x->type.shape[i]);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.reshape(x, interleaved));
  TensorType t{x->type.dtype, expanded};
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Expand, {y}, NoAttrs{}, &t));
  DNNCC_ASSIGN_OR_RETURN(y, c.reshape(y, out));
  return c.setOutput("output", y);
}

/// pad: `padding` pairs per axis; border constant (with `value`), reflect or replicate.
Status pad(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  std::vector<std::pair<int64_t, int64_t>> padding = c.attrPairs("padding");
  const int rank = x->type.rank();
  if (padding.size() != static_cast<size_t>(rank))
    return c.error(fmt::format("'padding' has {} pairs for rank {}", padding.size(), rank));
  PadAttrs attrs;
  attrs.pads.assign(2 * rank, 0);
  for (int i = 0; i < rank; ++i) {
    attrs.pads[i] = padding[i].first;
    attrs.pads[rank + i] = padding[i].second;
  }
  const std::string border = c.attrString("border");
  if (border == "constant" || border == "ignore")
    attrs.mode = PadMode::constant;
  else if (border == "reflect")
    attrs.mode = PadMode::reflect;
  else if (border == "replicate")
    attrs.mode = PadMode::edge;
  else
    return c.error(fmt::format("pad with border '{}' is not supported (constant, reflect and "
                               "replicate are)",
                               border));
  attrs.value = c.attrScalar("value");
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Pad, {x}, attrs));
  return c.setOutput("output", y);
}

Status gather(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(Value * indices, c.input("indices"));
  DNNCC_ASSIGN_OR_RETURN(int axis, checkedAxis(c, c.attrInt("axis"), x->type.rank()));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Gather, {x, indices}, AxisAttrs{axis}));
  return c.setOutput("output", y);
}

const ConverterRow kRows[] = {
    {"reshape", reshape},
    {"transpose", transpose},
    {"concat", concat},
    {"split", split},
    {"slice", slice},
    {"squeeze", squeeze},
    {"unsqueeze", unsqueeze},
    {"stack", stack},
    {"unstack", unstack},
    {"tile", tile},
    {"pad", pad},
    {"gather", gather},
};
} // namespace

std::span<const ConverterRow> shapeConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
