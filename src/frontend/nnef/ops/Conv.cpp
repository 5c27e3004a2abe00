// NNEF sliding-window operations (NNEF 1.0 section 4.4): conv, deconv, box, max_pool, avg_pool.
// Inputs are NCHW; windows cover every axis, the first two of which (batch, channel) must have
// extent 1 in pools; `border` says what the padding holds.
#include <fmt/format.h>

#include "frontend/nnef/Converters.h"

namespace dnncc::nnefimport {
namespace {

/// The window attributes of an operation over the spatial axes of `x` [N, C, spatial...].
struct Window {
  IntList kernel, strides, dilations, pads; ///< spatial axes only; pads ONNX-style
  std::string border;
};

/// `v` with one entry per spatial axis: empty means all `fallback`.
IntList spatialOr(const std::vector<int64_t>& v, size_t n, int64_t fallback) {
  return v.empty() ? IntList(n, fallback) : IntList(v.begin(), v.end());
}

/// Reads stride, dilation, padding and border for spatial kernel `kernel` over `x`.
/// `fullRank`: the attributes list every axis of x (pools) instead of the spatial ones (conv).
Expected<Window> readWindow(OpContext& c, const Value* x, IntList kernel, bool fullRank) {
  const int rank = x->type.rank();
  if (rank < 3)
    return c.error(fmt::format("input of rank {}; NNEF windows need [N, C, spatial...]", rank));
  const size_t n = rank - 2;
  std::vector<int64_t> stride = c.attrInts("stride"), dilation = c.attrInts("dilation");
  std::vector<std::pair<int64_t, int64_t>> padding = c.attrPairs("padding");
  if (fullRank) {
    auto dropBatchAndChannel = [&](auto& v, const char* what, auto isUnit) -> Status {
      if (v.empty())
        return Status::ok();
      if (v.size() != static_cast<size_t>(rank))
        return c.error(
            fmt::format("'{}' has {} entries for an input of rank {}", what, v.size(), rank));
      if (!isUnit(v[0]) || !isUnit(v[1]))
        return c.error(fmt::format("a window over the batch or channel axis ('{}' of axes 0-1) "
                                   "is not supported",
                                   what));
      v.erase(v.begin(), v.begin() + 2);
      return Status::ok();
    };
    auto one = [](int64_t s) { return s == 1; };
    DNNCC_TRY(dropBatchAndChannel(stride, "stride", one));
    DNNCC_TRY(dropBatchAndChannel(dilation, "dilation", one));
    DNNCC_TRY(dropBatchAndChannel(padding, "padding", [](const std::pair<int64_t, int64_t>& p) {
      return p.first == 0 && p.second == 0;
    }));
  }
  for (const auto* v : {&stride, &dilation})
    if (!v->empty() && v->size() != n)
      return c.error(
          fmt::format("'stride' and 'dilation' need {} entries (one per spatial axis)", n));
  if (!padding.empty() && padding.size() != n)
    return c.error(fmt::format("'padding' needs {} pairs (one per spatial axis)", n));
  Window w;
  w.kernel = std::move(kernel);
  w.strides = spatialOr(stride, n, 1);
  w.dilations = spatialOr(dilation, n, 1);
  for (int64_t s : w.strides)
    if (s <= 0)
      return c.error("'stride' entries must be positive");
  for (int64_t d : w.dilations)
    if (d <= 0)
      return c.error("'dilation' entries must be positive");
  std::vector<int64_t> spatial(x->type.shape.begin() + 2, x->type.shape.end());
  w.pads = resolvePadding(padding, spatial, w.kernel, w.strides, w.dilations);
  w.border = c.attrString("border");
  return w;
}

/// Pads `x`'s spatial axes explicitly for borders the window op cannot pad itself (reflect,
/// replicate), and clears `w.pads`.
Expected<Value*> padExplicitly(OpContext& c, Value* x, Window& w, PadMode mode, double value = 0) {
  bool any = false;
  for (int64_t p : w.pads)
    any |= p != 0;
  if (!any)
    return x;
  const int rank = x->type.rank(), n = rank - 2;
  PadAttrs pad;
  pad.pads.assign(2 * rank, 0);
  for (int i = 0; i < n; ++i) {
    pad.pads[2 + i] = w.pads[i];
    pad.pads[rank + 2 + i] = w.pads[n + i];
  }
  pad.mode = mode;
  pad.value = value;
  std::fill(w.pads.begin(), w.pads.end(), 0);
  return c.emit(OpKind::Pad, {x}, pad);
}

/// The pad mode of a border that is not plain zero padding, or an error naming it.
Expected<PadMode> borderPadMode(OpContext& c, const std::string& border) {
  if (border == "reflect")
    return PadMode::reflect;
  if (border == "replicate")
    return PadMode::edge;
  return c.error(fmt::format("border '{}' is not supported (constant, ignore, reflect and "
                             "replicate are)",
                             border));
}

/// The bias argument as a [C] tensor for conv / deconv, or null for the literal 0.0; `extra`
/// gets a bias of another shape, added after the op with NNEF broadcasting.
Status readBias(OpContext& c, int64_t channels, Value*& bias, Value*& extra) {
  bias = extra = nullptr;
  if (c.isLiteral("bias", 0.0))
    return Status::ok();
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input("bias"));
  if (b->type.numElements() == channels &&
      (b->type.rank() == 1 || (b->type.rank() == 2 && b->type.shape[0] == 1))) {
    DNNCC_ASSIGN_OR_RETURN(bias, c.reshape(b, {channels}));
  } else {
    extra = b;
  }
  return Status::ok();
}

Status addExtraBias(OpContext& c, Value*& y, Value* extra) {
  if (!extra)
    return Status::ok();
  DNNCC_ASSIGN_OR_RETURN(auto yb, c.alignRanks(y, extra));
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Add, {yb.first, yb.second}));
  return Status::ok();
}

Status conv(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input("filter"));
  if (w->type.rank() != x->type.rank())
    return c.error(
        fmt::format("filter {} and input {} differ in rank", toString(w->type), toString(x->type)));
  IntList kernel(w->type.shape.begin() + 2, w->type.shape.end());
  DNNCC_ASSIGN_OR_RETURN(Window win, readWindow(c, x, kernel, false));
  if (win.border != "constant" && win.border != "ignore") {
    DNNCC_ASSIGN_OR_RETURN(PadMode mode, borderPadMode(c, win.border));
    DNNCC_ASSIGN_OR_RETURN(x, padExplicitly(c, x, win, mode));
  }
  int64_t groups = c.attrInt("groups");
  if (groups == 0)
    groups = x->type.shape[1]; // depthwise
  Value *bias, *extra;
  DNNCC_TRY(readBias(c, w->type.shape[0], bias, extra));
  std::vector<Value*> operands = {x, w};
  if (bias)
    operands.push_back(bias);
  ConvAttrs attrs{win.strides, win.pads, win.dilations, groups};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Conv, operands, attrs));
  DNNCC_TRY(addExtraBias(c, y, extra));
  return c.setOutput("output", y);
}

/// deconv: the transpose of conv. With output_shape the output extents are as given, else
/// in * stride (automatic padding) or as the explicit padding implies.
Status deconv(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input("filter"));
  const int rank = x->type.rank(), n = rank - 2;
  if (w->type.rank() != rank || rank < 3)
    return c.error(fmt::format("filter {} and input {} must have one rank >= 3", toString(w->type),
                               toString(x->type)));
  if (c.attrString("border") != "constant" && c.attrString("border") != "ignore")
    return c.error(fmt::format("deconv with border '{}' is not supported (constant is)",
                               c.attrString("border")));
  int64_t groups = c.attrInt("groups");
  if (groups == 0)
    groups = x->type.shape[1];
  IntList kernel(w->type.shape.begin() + 2, w->type.shape.end());
  IntList strides = spatialOr(c.attrInts("stride"), n, 1);
  IntList dilations = spatialOr(c.attrInts("dilation"), n, 1);
  std::vector<int64_t> outputShape = c.attrInts("output_shape");
  std::vector<std::pair<int64_t, int64_t>> padding = c.attrPairs("padding");
  if (strides.size() != static_cast<size_t>(n) || dilations.size() != static_cast<size_t>(n) ||
      (!padding.empty() && padding.size() != static_cast<size_t>(n)) ||
      (!outputShape.empty() && outputShape.size() != static_cast<size_t>(rank)))
    return c.error("'stride', 'dilation', 'padding' need one entry per spatial axis and "
                   "'output_shape' one per axis");
  // The output extents: given, or from the padding (explicit, or automatic for in * stride).
  std::vector<int64_t> out(n);
  for (int i = 0; i < n; ++i) {
    const int64_t in = x->type.shape[2 + i], window = (kernel[i] - 1) * dilations[i] + 1;
    out[i] = !outputShape.empty() ? outputShape[2 + i]
             : padding.empty()
                 ? in * strides[i]
                 : (in - 1) * strides[i] + window - padding[i].first - padding[i].second;
  }
  IntList pads = resolvePadding(padding, out, kernel, strides, dilations);
  ConvTransposeAttrs attrs;
  attrs.strides = strides;
  attrs.dilations = dilations;
  attrs.pads = pads;
  attrs.group = groups;
  attrs.outputPadding.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    const int64_t in = x->type.shape[2 + i], window = (kernel[i] - 1) * dilations[i] + 1;
    const int64_t natural = (in - 1) * strides[i] + window - pads[i] - pads[n + i];
    attrs.outputPadding[i] = out[i] - natural;
    if (attrs.outputPadding[i] < 0 || attrs.outputPadding[i] >= std::max(strides[i], dilations[i]))
      return c.error(fmt::format("output extent {} of spatial axis {} is not reachable from the "
                                 "input extent {}",
                                 out[i], i, in));
  }
  Value *bias, *extra;
  DNNCC_TRY(readBias(c, w->type.shape[1] * groups, bias, extra));
  std::vector<Value*> operands = {x, w};
  if (bias)
    operands.push_back(bias);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::ConvTranspose, operands, attrs));
  DNNCC_TRY(addExtraBias(c, y, extra));
  return c.setOutput("output", y);
}

/// The spatial part of a pool's `size` (which lists every axis; batch and channel must be 1).
Expected<IntList> poolKernel(OpContext& c, const Value* x) {
  std::vector<int64_t> size = c.attrInts("size");
  if (size.size() != static_cast<size_t>(x->type.rank()) || x->type.rank() < 3)
    return c.error(
        fmt::format("'size' has {} entries for an input of rank {}", size.size(), x->type.rank()));
  if (size[0] != 1 || size[1] != 1)
    return c.error("a window over the batch or channel axis (size of axes 0-1 > 1) is not "
                   "supported");
  return IntList(size.begin() + 2, size.end());
}

/// avg_pool (`normalize`) or box (a sum unless `normalize`): a mean over the window, where
/// border 'ignore' leaves the padding out of the count and 'constant' counts its zeros.
Status average(OpContext& c, bool normalize) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList kernel, poolKernel(c, x));
  DNNCC_ASSIGN_OR_RETURN(Window win, readWindow(c, x, kernel, true));
  bool countPadding = win.border == "constant";
  if (win.border != "constant" && win.border != "ignore") {
    DNNCC_ASSIGN_OR_RETURN(PadMode mode, borderPadMode(c, win.border));
    DNNCC_ASSIGN_OR_RETURN(x, padExplicitly(c, x, win, mode));
  }
  // A sum counts the padding's zeros either way: the mean over the whole window times its size.
  if (!normalize)
    countPadding = true;
  PoolAttrs attrs{win.kernel, win.strides, win.pads, win.dilations, false, countPadding};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::AvgPool, {x}, attrs));
  if (!normalize) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Mul, {y, c.scalar(DType::f32, numElements(kernel))}));
  }
  return c.setOutput("output", y);
}
Status avgPool(OpContext& c) {
  return average(c, true);
}
Status box(OpContext& c) {
  return average(c, c.attrLogical("normalize"));
}

/// max_pool: border 'ignore' leaves the padding out; 'constant' pads with zeros.
Status maxPool(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(IntList kernel, poolKernel(c, x));
  DNNCC_ASSIGN_OR_RETURN(Window win, readWindow(c, x, kernel, true));
  if (win.border == "constant") {
    DNNCC_ASSIGN_OR_RETURN(x, padExplicitly(c, x, win, PadMode::constant, 0.0));
  } else if (win.border != "ignore") {
    DNNCC_ASSIGN_OR_RETURN(PadMode mode, borderPadMode(c, win.border));
    DNNCC_ASSIGN_OR_RETURN(x, padExplicitly(c, x, win, mode));
  }
  PoolAttrs attrs{win.kernel, win.strides, win.pads, win.dilations, false, false};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::MaxPool, {x}, attrs));
  return c.setOutput("output", y);
}

const ConverterRow kRows[] = {
    {"conv", conv}, {"deconv", deconv}, {"box", box}, {"avg_pool", avgPool}, {"max_pool", maxPool},
};
} // namespace

std::span<const ConverterRow> convConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
