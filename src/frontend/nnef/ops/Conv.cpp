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

/// The window of a transposed convolution over the spatial axes (deconv lists them per spatial
/// axis, debox per axis with the batch and channel entries trivial) and its output extents.
struct TransposedWindow {
  IntList strides, dilations;
  std::vector<std::pair<int64_t, int64_t>> padding;
  std::vector<int64_t> outputShape; ///< all axes, or empty
};

/// The transpose of conv over `x` with filter `w` [C, O / groups, k...]. With output_shape the
/// output extents are as given, else in * stride (automatic padding) or as the explicit padding
/// implies.
Expected<Value*> transposedConv(OpContext& c, Value* x, Value* w, Value* bias, int64_t groups,
                                const TransposedWindow& win) {
  const int rank = x->type.rank(), n = rank - 2;
  IntList kernel(w->type.shape.begin() + 2, w->type.shape.end());
  IntList strides = spatialOr(win.strides, n, 1), dilations = spatialOr(win.dilations, n, 1);
  if (strides.size() != static_cast<size_t>(n) || dilations.size() != static_cast<size_t>(n) ||
      (!win.padding.empty() && win.padding.size() != static_cast<size_t>(n)) ||
      (!win.outputShape.empty() && win.outputShape.size() != static_cast<size_t>(rank)))
    return c.error("'stride', 'dilation', 'padding' need one entry per spatial axis and "
                   "'output_shape' one per axis");
  std::vector<int64_t> out(n);
  for (int i = 0; i < n; ++i) {
    const int64_t in = x->type.shape[2 + i], window = (kernel[i] - 1) * dilations[i] + 1;
    out[i] = !win.outputShape.empty() ? win.outputShape[2 + i]
             : win.padding.empty()
                 ? in * strides[i]
                 : (in - 1) * strides[i] + window - win.padding[i].first - win.padding[i].second;
  }
  ConvTransposeAttrs attrs;
  attrs.strides = strides;
  attrs.dilations = dilations;
  attrs.pads = resolvePadding(win.padding, out, kernel, strides, dilations);
  attrs.group = groups;
  attrs.outputPadding.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    const int64_t in = x->type.shape[2 + i], window = (kernel[i] - 1) * dilations[i] + 1;
    const int64_t natural = (in - 1) * strides[i] + window - attrs.pads[i] - attrs.pads[n + i];
    attrs.outputPadding[i] = out[i] - natural;
    if (attrs.outputPadding[i] < 0 || attrs.outputPadding[i] >= std::max(strides[i], dilations[i]))
      return c.error(fmt::format("output extent {} of spatial axis {} is not reachable from the "
                                 "input extent {}",
                                 out[i], i, in));
  }
  std::vector<Value*> operands = {x, w};
  if (bias)
    operands.push_back(bias);
  return c.emit(OpKind::ConvTranspose, operands, attrs);
}

Status deconv(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input("filter"));
  if (w->type.rank() != x->type.rank() || x->type.rank() < 3)
    return c.error(fmt::format("filter {} and input {} must have one rank >= 3", toString(w->type),
                               toString(x->type)));
  if (c.attrString("border") != "constant" && c.attrString("border") != "ignore")
    return c.error(fmt::format("deconv with border '{}' is not supported (constant is)",
                               c.attrString("border")));
  int64_t groups = c.attrInt("groups");
  if (groups == 0)
    groups = x->type.shape[1];
  Value *bias, *extra;
  DNNCC_TRY(readBias(c, w->type.shape[1] * groups, bias, extra));
  TransposedWindow win{c.attrInts("stride"), c.attrInts("dilation"), c.attrPairs("padding"),
                       c.attrInts("output_shape")};
  DNNCC_ASSIGN_OR_RETURN(Value * y, transposedConv(c, x, w, bias, groups, win));
  DNNCC_TRY(addExtraBias(c, y, extra));
  return c.setOutput("output", y);
}

/// debox: the transpose of box, a depthwise deconv with a filter of ones (1 / the window's
/// volume when `normalize`).
Status debox(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  const int rank = x->type.rank();
  std::vector<int64_t> size = c.attrInts("size");
  if (rank < 3 || size.size() != static_cast<size_t>(rank) || size[0] != 1 || size[1] != 1)
    return c.error("debox needs 'size' for every axis of [N, C, spatial...], 1 for N and C");
  if (c.attrString("border") != "constant")
    return c.error(fmt::format("debox with border '{}' is not supported (constant is)",
                               c.attrString("border")));
  TransposedWindow win{c.attrInts("stride"), c.attrInts("dilation"), c.attrPairs("padding"),
                       c.attrInts("output_shape")};
  auto dropBatchAndChannel = [&](auto& v, auto unit) -> Status {
    if (v.empty())
      return Status::ok();
    if (v.size() != static_cast<size_t>(rank) || v[0] != unit || v[1] != unit)
      return c.error("debox: 'stride', 'dilation' and 'padding' list every axis, trivial for N "
                     "and C");
    v.erase(v.begin(), v.begin() + 2);
    return Status::ok();
  };
  DNNCC_TRY(dropBatchAndChannel(win.strides, int64_t{1}));
  DNNCC_TRY(dropBatchAndChannel(win.dilations, int64_t{1}));
  DNNCC_TRY(dropBatchAndChannel(win.padding, std::pair<int64_t, int64_t>{0, 0}));
  const int64_t channels = x->type.shape[1];
  std::vector<int64_t> filterShape = {channels, 1};
  filterShape.insert(filterShape.end(), size.begin() + 2, size.end());
  const int64_t volume = numElements(filterShape) / channels;
  const bool normalize = c.attrLogical("normalize");
  std::vector<float> ones(numElements(filterShape), normalize ? 1.0f / volume : 1.0f);
  Value* w = c.constant(TensorType{DType::f32, filterShape}, bytesOf(ones));
  DNNCC_ASSIGN_OR_RETURN(Value * y, transposedConv(c, x, w, nullptr, channels, win));
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

/// Whether the window of a pool slides along the channel axis only (local_response_normalization's
/// box): size [1, n, 1, ...], unit strides and dilations, no padding but on the channel axis.
bool channelWindow(OpContext& c, const Value* x) {
  std::vector<int64_t> size = c.attrInts("size"), stride = c.attrInts("stride"),
                       dilation = c.attrInts("dilation");
  const int rank = x->type.rank();
  if (rank < 3 || size.size() != static_cast<size_t>(rank) || size[0] != 1 || size[1] == 1)
    return false;
  for (int i = 2; i < rank; ++i)
    if (size[i] != 1 || (!stride.empty() && stride[i] != 1) ||
        (!dilation.empty() && dilation[i] != 1))
      return false;
  std::vector<std::pair<int64_t, int64_t>> padding = c.attrPairs("padding");
  for (size_t i = 2; i < padding.size(); ++i)
    if (padding[i] != std::make_pair<int64_t, int64_t>(0, 0))
      return false;
  return (stride.empty() || stride[0] == 1) && (dilation.empty() || dilation[0] == 1) &&
         (padding.empty() || padding[0] == std::make_pair<int64_t, int64_t>(0, 0));
}

/// A box along the channel axis: [N, C, spatial...] viewed as [N, 1, C, spatial product], where
/// the window is an ordinary 2-D pool window [n, 1].
Status channelAverage(OpContext& c, Value* x, bool normalize) {
  const std::vector<int64_t> in = x->type.shape;
  const int64_t size = c.attrInts("size")[1];
  std::vector<int64_t> stride = c.attrInts("stride"), dilation = c.attrInts("dilation");
  const int64_t s = stride.empty() ? 1 : stride[1], d = dilation.empty() ? 1 : dilation[1];
  std::vector<std::pair<int64_t, int64_t>> padding = c.attrPairs("padding");
  IntList pads = resolvePadding(padding.empty() ? padding : decltype(padding){padding[1]}, {in[1]},
                                {size}, {s}, {d});
  const std::string border = c.attrString("border");
  if (border != "constant" && border != "ignore")
    return c.error(fmt::format("a window along the channel axis with border '{}' is not "
                               "supported (constant and ignore are)",
                               border));
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.reshape(x, {in[0], 1, in[1], x->type.numElements() / (in[0] * in[1])}));
  PoolAttrs attrs{{size, 1}, {s, 1}, {pads[0], 0, pads[1], 0},
                  {d, 1},    false,  border == "constant" || !normalize};
  DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::AvgPool, {y}, attrs));
  if (!normalize) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Mul, {y, c.scalar(DType::f32, size)}));
  }
  std::vector<int64_t> out = in;
  out[1] = y->type.shape[2];
  DNNCC_ASSIGN_OR_RETURN(y, c.reshape(y, out));
  return c.setOutput("output", y);
}

/// avg_pool (`normalize`) or box (a sum unless `normalize`): a mean over the window, where
/// border 'ignore' leaves the padding out of the count and 'constant' counts its zeros.
Status average(OpContext& c, bool normalize) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  if (channelWindow(c, x))
    return channelAverage(c, x, normalize);
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
    {"conv", conv}, {"deconv", deconv},    {"debox", debox},
    {"box", box},   {"avg_pool", avgPool}, {"max_pool", maxPool},
};
} // namespace

std::span<const ConverterRow> convConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
