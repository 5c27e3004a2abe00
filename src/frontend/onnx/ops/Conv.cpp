// ONNX Conv, MaxPool, AveragePool, the global pools and Col2Im -> IR. auto_pad is resolved to
// explicit pads here (ONNX Conv spec: SAME_* gives output = ceil(input / stride), the odd pad at
// the end for SAME_UPPER and at the beginning for SAME_LOWER).
#include <limits>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

struct Window {
  IntList kernel, strides, pads, dilations;
};

/// Reads kernel_shape, strides, dilations, pads and auto_pad for `k` spatial axes of `x`.
Expected<Window> window(NodeContext& c, const TensorType& x, IntList kernel) {
  int k = x.rank() - 2;
  if (k < 1)
    return c.error(fmt::format("input {} is not [N, C, spatial...]", shapeString(x.shape)));
  Window w;
  w.kernel = c.attrInts("kernel_shape", kernel);
  if (static_cast<int>(w.kernel.size()) != k)
    return c.error(fmt::format("kernel_shape has {} entries for {} spatial axes",
                               w.kernel.size(), k));
  w.strides = c.attrInts("strides", IntList(k, 1));
  w.dilations = c.attrInts("dilations", IntList(k, 1));
  w.pads = c.attrInts("pads", IntList(2 * k, 0));
  if (static_cast<int>(w.strides.size()) != k || static_cast<int>(w.dilations.size()) != k ||
      static_cast<int>(w.pads.size()) != 2 * k)
    return c.error("strides, dilations and pads must have one entry per spatial axis (pads two)");
  for (int i = 0; i < k; ++i)
    if (w.strides[i] <= 0 || w.dilations[i] <= 0 || w.kernel[i] <= 0)
      return c.error("kernel_shape, strides and dilations must be positive");
  for (int64_t p : w.pads)
    if (p < 0)
      return c.error("pads must not be negative");
  std::string autoPad = c.attrString("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    std::fill(w.pads.begin(), w.pads.end(), 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int i = 0; i < k; ++i) {
      int64_t in = x.shape[2 + i];
      int64_t out = (in + w.strides[i] - 1) / w.strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 - in);
      int64_t small = total / 2;
      w.pads[i] = autoPad == "SAME_UPPER" ? small : total - small;
      w.pads[k + i] = total - w.pads[i];
    }
  } else if (autoPad != "NOTSET") {
    return c.error(fmt::format("auto_pad='{}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID",
                               autoPad));
  }
  return w;
}

Status conv(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * y, convOf(c));
  return c.setOutput(0, y);
}

} // namespace

Expected<Value*> convOf(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input(1));
  Value* b = c.optionalInput(2);
  if (w->type.rank() != x->type.rank() || w->type.rank() < 3)
    return c.error(fmt::format("weights W {} must be [M, C/group, k...] of the rank of input X {}",
                               shapeString(w->type.shape), shapeString(x->type.shape)));
  IntList wk(w->type.shape.begin() + 2, w->type.shape.end());
  DNNCC_ASSIGN_OR_RETURN(Window win, window(c, x->type, wk));
  if (win.kernel != wk)
    return c.error(fmt::format("kernel_shape [{}] differs from the weights' [{}]",
                               fmt::join(win.kernel, ","), fmt::join(wk, ",")));
  ConvAttrs a{win.strides, win.pads, win.dilations, c.attrInt("group", 1)};
  std::vector<Value*> operands{x, w};
  if (b)
    operands.push_back(b);
  return c.emit(OpKind::Conv, operands, a);
}

namespace {

/// CausalConvWithState-27: padded = concat(past_state or zeros [B, C, K-1], input) along time;
/// output = depthwise conv1d(padded, weight [C, 1, K], bias) without padding, then x * sigmoid(x)
/// for activation silu/swish; present_state = the last K-1 steps of padded (ONNX spec and
/// reference implementation).
Status causalConvWithState(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input(1));
  Value* bias = c.optionalInput(2);
  Value* past = c.optionalInput(3);
  std::string activation = c.attrString("activation", "none");
  if (activation != "none" && activation != "silu" && activation != "swish")
    return c.error(fmt::format("activation='{}' is not none, silu or swish", activation));
  if (x->type.rank() != 3 || w->type.rank() != 3 || w->type.shape[0] != x->type.shape[1] ||
      w->type.shape[1] != 1)
    return c.error(fmt::format("input {} and weight {} must be [B, C, L] and [C, 1, K]",
                               shapeString(x->type.shape), shapeString(w->type.shape)));
  int64_t b = x->type.shape[0], ch = x->type.shape[1], len = x->type.shape[2];
  int64_t k = w->type.shape[2];
  Value* padded = x;
  if (k > 1) {
    TensorType st{x->type.dtype, {b, ch, k - 1}};
    if (past) {
      if (past->type.shape != st.shape)
        return c.error(fmt::format("past_state {} is not {}", shapeString(past->type.shape),
                                   shapeString(st.shape)));
    } else {
      past = c.constant(st, std::vector<uint8_t>(st.byteSize(), 0));
    }
    DNNCC_ASSIGN_OR_RETURN(padded, c.emit(OpKind::Concat, {past, x}, AxisAttrs{2}));
  }
  std::vector<Value*> operands{padded, w};
  if (bias)
    operands.push_back(bias);
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.emit(OpKind::Conv, operands, ConvAttrs{{1}, {0, 0}, {1}, ch}));
  if (activation != "none") {
    DNNCC_ASSIGN_OR_RETURN(Value * s, c.emit(OpKind::Sigmoid, {y}));
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Mul, {y, s}));
  }
  DNNCC_TRY(c.setOutput(0, y));
  if (c.hasOutput(1)) {
    TensorType st{x->type.dtype, {b, ch, k - 1}};
    DNNCC_ASSIGN_OR_RETURN(
        Value * present,
        c.emit(OpKind::Slice, {padded}, SliceAttrs{{0, 0, len}, {1, 1, 1}}, &st));
    DNNCC_TRY(c.setOutput(1, present));
  }
  return Status::ok();
}

/// DeformConv-19+ (2-D): the IR op always takes bias (zeros when absent) and mask (ones when
/// absent).
Status deformConv(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * offset, c.input(2));
  if (x->type.rank() != 4 || w->type.rank() != 4 || offset->type.rank() != 4)
    return c.error("only 2-D DeformConv ([N, C, H, W] input) is supported");
  if (!isFloat(x->type.dtype))
    return c.error("DeformConv expects a float input");
  IntList wk(w->type.shape.begin() + 2, w->type.shape.end());
  DNNCC_ASSIGN_OR_RETURN(Window win, window(c, x->type, wk));
  if (win.kernel != wk)
    return c.error(fmt::format("kernel_shape [{}] differs from the weights' [{}]",
                               fmt::join(win.kernel, ","), fmt::join(wk, ",")));
  DeformConvAttrs a{win.strides, win.pads, win.dilations, c.attrInt("group", 1),
                    c.attrInt("offset_group", 1)};
  DType t = x->type.dtype;
  Value* bias = c.optionalInput(3);
  if (!bias)
    bias = c.constant(TensorType{t, {w->type.shape[0]}},
                      std::vector<uint8_t>(w->type.shape[0] * dtypeSize(t), 0));
  Value* mask = c.optionalInput(4);
  if (!mask) {
    TensorType mt{t, offset->type.shape};
    mt.shape[1] /= 2;
    std::vector<uint8_t> one = scalarBytes(t, 1.0), bytes;
    for (int64_t i = 0; i < mt.numElements(); ++i)
      bytes.insert(bytes.end(), one.begin(), one.end());
    mask = c.constant(mt, std::move(bytes));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::DeformConv, {x, w, offset, bias, mask}, a));
  return c.setOutput(0, y);
}

/// floor(a / 2) for any sign (Python's // in the spec's reference formulas).
int64_t halfFloor(int64_t a) { return a >= 0 ? a / 2 : -((-a + 1) / 2); }

/// ConvTranspose (all opsets): pads come from `pads`, or from `output_shape` / SAME_* auto_pad
/// through total_padding = stride * (in - 1) + output_padding + (kernel - 1) * dilation + 1 -
/// output, split with the larger half at the end for SAME_UPPER and at the beginning otherwise
/// (ONNX ConvTranspose spec). SAME_* targets output = in * stride.
Status convTranspose(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input(1));
  Value* b = c.optionalInput(2);
  int k = x->type.rank() - 2;
  if (k < 1 || w->type.rank() != x->type.rank())
    return c.error(fmt::format("input {} and weights {} must both be [N, C, spatial...]",
                               shapeString(x->type.shape), shapeString(w->type.shape)));
  IntList wk(w->type.shape.begin() + 2, w->type.shape.end());
  IntList kernel = c.attrInts("kernel_shape", wk);
  if (kernel != wk)
    return c.error(fmt::format("kernel_shape [{}] differs from the weights' [{}]",
                               fmt::join(kernel, ","), fmt::join(wk, ",")));
  ConvTransposeAttrs a;
  a.strides = c.attrInts("strides", IntList(k, 1));
  a.dilations = c.attrInts("dilations", IntList(k, 1));
  a.outputPadding = c.attrInts("output_padding", IntList(k, 0));
  a.pads = c.attrInts("pads", IntList(2 * k, 0));
  a.group = c.attrInt("group", 1);
  if (static_cast<int>(a.strides.size()) != k || static_cast<int>(a.dilations.size()) != k ||
      static_cast<int>(a.outputPadding.size()) != k || static_cast<int>(a.pads.size()) != 2 * k)
    return c.error("strides, dilations, output_padding and pads must have one entry per spatial "
                   "axis (pads two)");
  for (int i = 0; i < k; ++i)
    if (a.strides[i] <= 0 || a.dilations[i] <= 0)
      return c.error("strides and dilations must be positive");
  IntList outShape = c.attrInts("output_shape");
  if (static_cast<int>(outShape.size()) == k + 2)
    outShape.erase(outShape.begin(), outShape.begin() + 2);
  if (!outShape.empty() && static_cast<int>(outShape.size()) != k)
    return c.error(fmt::format("output_shape has {} entries for {} spatial axes",
                               outShape.size(), k));
  std::string autoPad = c.attrString("auto_pad", "NOTSET");
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!same && autoPad != "NOTSET" && autoPad != "VALID")
    return c.error(fmt::format("auto_pad='{}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID",
                               autoPad));
  if (autoPad == "VALID" && outShape.empty())
    std::fill(a.pads.begin(), a.pads.end(), 0);
  if (!outShape.empty() || same) {
    for (int i = 0; i < k; ++i) {
      int64_t in = x->type.shape[2 + i];
      int64_t target = outShape.empty() ? in * a.strides[i] : outShape[i];
      int64_t total = a.strides[i] * (in - 1) + a.outputPadding[i] +
                      (kernel[i] - 1) * a.dilations[i] + 1 - target;
      int64_t half = halfFloor(total);
      a.pads[i] = autoPad == "SAME_UPPER" ? half : total - half;
      a.pads[k + i] = total - a.pads[i];
    }
  }
  std::vector<Value*> operands{x, w};
  if (b)
    operands.push_back(b);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::ConvTranspose, operands, a));
  return c.setOutput(0, y);
}

Status pool(NodeContext& c, OpKind kind) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (!c.hasAttr("kernel_shape"))
    return c.error("attribute 'kernel_shape' is required");
  DNNCC_ASSIGN_OR_RETURN(Window win, window(c, x->type, {}));
  PoolAttrs a{win.kernel, win.strides, win.pads, win.dilations};
  a.ceilMode = c.attrInt("ceil_mode", 0) != 0;
  if (kind == OpKind::AvgPool)
    a.countIncludePad = c.attrInt("count_include_pad", 0) != 0;
  int64_t storageOrder = kind == OpKind::MaxPool ? c.attrInt("storage_order", 0) : 0;
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(kind, {x}, a));
  if (kind == OpKind::MaxPool && c.hasOutput(1)) {
    DNNCC_ASSIGN_OR_RETURN(Value * idx, c.emit(OpKind::MaxPoolIndices, {x}, a));
    if (storageOrder != 0) {
      // Column-major spatial order (ONNX MaxPool storage_order=1, 2-D): with the row-major
      // index i = nc * H * W + h * W + w, the result is nc * H * W + w * H + h.
      if (x->type.rank() != 4)
        return c.error("storage_order=1 is supported for 2-D pooling only");
      int64_t h = x->type.shape[2], w = x->type.shape[3];
      auto k = [&](int64_t v) {
        return c.constant(TensorType{DType::i64, {}},
                          scalarBytes(DType::i64, static_cast<double>(v)));
      };
      DNNCC_ASSIGN_OR_RETURN(Value * nc, c.emit(OpKind::Div, {idx, k(h * w)}));
      DNNCC_ASSIGN_OR_RETURN(Value * base, c.emit(OpKind::Mul, {nc, k(h * w)}));
      DNNCC_ASSIGN_OR_RETURN(Value * rem, c.emit(OpKind::Sub, {idx, base}));
      DNNCC_ASSIGN_OR_RETURN(Value * row, c.emit(OpKind::Div, {rem, k(w)}));
      DNNCC_ASSIGN_OR_RETURN(Value * rowBase, c.emit(OpKind::Mul, {row, k(w)}));
      DNNCC_ASSIGN_OR_RETURN(Value * col, c.emit(OpKind::Sub, {rem, rowBase}));
      DNNCC_ASSIGN_OR_RETURN(Value * colH, c.emit(OpKind::Mul, {col, k(h)}));
      DNNCC_ASSIGN_OR_RETURN(Value * part, c.emit(OpKind::Add, {base, colH}));
      DNNCC_ASSIGN_OR_RETURN(idx, c.emit(OpKind::Add, {part, row}));
    }
    DNNCC_TRY(c.setOutput(1, idx));
  } else if (storageOrder != 0 && storageOrder != 1) {
    return c.error(fmt::format("storage_order={} is not 0 or 1", storageOrder));
  }
  return c.setOutput(0, y);
}

/// MaxUnpool-9/11: y.flat[indices[i]] = x[i] over the unpooled shape (in - 1) * stride -
/// padBegin - padEnd + kernel per spatial axis (ONNX MaxUnpool spec); an output_shape input (a
/// constant, or known only at run time: then the declared output shape, which the run checks it
/// against) larger than that pads it with zeros at the end of each axis, as the ONNX reference
/// (op_max_unpool.py) does.
Status maxUnpool(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * idx, c.input(1));
  if (!c.hasAttr("kernel_shape"))
    return c.error("attribute 'kernel_shape' is required");
  DNNCC_ASSIGN_OR_RETURN(Window win, window(c, x->type, {}));
  int k = x->type.rank() - 2;
  std::vector<int64_t> shape{x->type.shape[0], x->type.shape[1]};
  for (int i = 0; i < k; ++i)
    shape.push_back((x->type.shape[2 + i] - 1) * win.strides[i] - win.pads[i] - win.pads[k + i] +
                    win.kernel[i]);
  std::vector<int64_t> outShape = shape;
  if (c.isRuntimeInput(2)) {
    const std::vector<int64_t>* declared = c.declaredShape(0);
    if (!declared)
      return c.runtimeShapeInputError(2, "output_shape");
    DNNCC_ASSIGN_OR_RETURN(outShape, c.impliedInts(2, *declared));
  } else if (c.hasInput(2)) {
    DNNCC_ASSIGN_OR_RETURN(outShape, c.constInts(2, "output_shape"));
  }
  if (idx->type.dtype != DType::i64)
    return c.error("indices must be int64");
  PadAttrs grow;
  grow.pads.assign(2 * shape.size(), 0);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (outShape.size() != shape.size() || outShape[i] < shape[i])
      return c.error(fmt::format("output_shape {} is not at least the unpooled shape {}",
                                 shapeString(outShape), shapeString(shape)));
    grow.pads[shape.size() + i] = outShape[i] - shape[i];
  }
  TensorType t{x->type.dtype, shape};
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::MaxUnpool, {x, idx}, NoAttrs{}, &t));
  if (outShape != shape) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Pad, {y}, grow));
  }
  return c.setOutput(0, y);
}

/// The divisors of `n` (n >= 1) in increasing order.
IntList divisorsOf(int64_t n) {
  IntList small, large;
  for (int64_t d = 1; d <= n / d; ++d)
    if (n % d == 0) {
      small.push_back(d);
      if (d != n / d)
        large.push_back(n / d);
    }
  small.insert(small.end(), large.rbegin(), large.rend());
  return small;
}

/// Every block shape (one extent per image axis, from `axis` on) whose elements number `kernel`
/// and whose block positions number `positions`: the shapes an input [N, C * kernel, positions]
/// allows. Extents are taken from `divisors` (of the whole block's element count); appended to
/// `out` with `prefix` before them. Each extent tried costs one of `budget`'s steps.
void blockShapes(const Col2ImAttrs& a, const IntList& image, size_t axis, int64_t kernel,
                 int64_t positions, const IntList& divisors, IntList& prefix,
                 std::vector<IntList>& out, int64_t& budget) {
  size_t k = image.size();
  if (axis == k) {
    if (kernel == 1 && positions == 1)
      out.push_back(prefix);
    return;
  }
  for (int64_t b : divisors) {
    if (b > kernel || out.size() > 16 || --budget < 0)
      return;
    if (kernel % b != 0)
      continue;
    int64_t n = a.blockPositions(axis, image[axis], b);
    if (n == 0)
      return; // larger blocks do not fit either
    if (positions % n != 0)
      continue;
    prefix.push_back(b);
    blockShapes(a, image, axis + 1, kernel / b, positions / n, divisors, prefix, out, budget);
    prefix.pop_back();
  }
}

/// Col2Im-18: input [N, C * prod(block_shape), L] to [N, C, image_shape...]; dilations and strides
/// default to 1 and pads to 0 per image axis (ONNX Col2Im spec). image_shape and block_shape
/// (inputs 1 and 2) are constants, or known only at run time: then the node's declared output
/// shape gives the image and the channels C, the input's shape the block shapes that fit it
/// (blockShapes), and a run-time check that the inputs hold those values; with several block
/// shapes each is computed and the run selects the one block_shape holds. The block count L is
/// checked by the IR (inferCol2Im).
Status col2im(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (x->type.rank() != 3)
    return c.error(
        fmt::format("input {} is not [N, C * prod(block_shape), L]", shapeString(x->type.shape)));
  if (x->type.dtype == DType::boolean)
    return c.error("input element type bool cannot be summed");
  const std::vector<int64_t>* declared = c.declaredShape(0);
  bool runtimeImage = c.isRuntimeInput(1), runtimeBlock = c.isRuntimeInput(2);
  if ((runtimeImage || runtimeBlock) && (!declared || declared->size() < 3))
    return c.runtimeShapeInputError(runtimeImage ? 1 : 2,
                                    runtimeImage ? "image_shape" : "block_shape");
  IntList image;
  if (runtimeImage) {
    image.assign(declared->begin() + 2, declared->end());
  } else {
    DNNCC_ASSIGN_OR_RETURN(image, c.constInts(1, "image_shape"));
  }
  size_t k = image.size();
  Col2ImAttrs a{{},
                c.attrInts("strides", IntList(k, 1)),
                c.attrInts("pads", IntList(2 * k, 0)),
                c.attrInts("dilations", IntList(k, 1))};
  if (k == 0 || a.strides.size() != k || a.dilations.size() != k || a.pads.size() != 2 * k)
    return c.error("image_shape, strides and dilations must have one entry per image axis, pads "
                   "two");
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max(); // Halide indexes in 32 bits
  for (size_t i = 0; i < k; ++i)
    for (int64_t v : {image[i], a.strides[i], a.dilations[i], a.pads[i], a.pads[k + i]})
      if (v < 0 || v > kMax || image[i] < 1 || a.strides[i] < 1 || a.dilations[i] < 1)
        return c.error(fmt::format("image_shape [{}] must be positive, strides and dilations "
                                   "positive and pads non-negative (each below 2^31)",
                                   fmt::join(image, ",")));
  std::vector<IntList> blocks;
  if (runtimeBlock) {
    DNNCC_ASSIGN_OR_RETURN(Value * blockInput, c.input(2));
    if (blockInput->type.numElements() != static_cast<int64_t>(k))
      return c.error(fmt::format("block_shape (input 2) has {} elements for {} image axes",
                                 blockInput->type.numElements(), k));
    int64_t channels = (*declared)[1];
    if (channels < 1 || x->type.shape[1] % channels != 0)
      return c.error(fmt::format("input {} has no multiple of the declared output's {} channels",
                                 shapeString(x->type.shape), channels));
    int64_t kernel = x->type.shape[1] / channels, budget = int64_t{1} << 16;
    IntList prefix;
    blockShapes(a, image, 0, kernel, x->type.shape[2], divisorsOf(kernel), prefix, blocks, budget);
    if (blocks.empty() || blocks.size() > 16 || budget < 0)
      return c.error(fmt::format("block_shape (input 2) is known only at run time and {} block "
                                 "shapes fit input {} for the declared output {}",
                                 blocks.empty() && budget >= 0 ? "no" : "too many",
                                 shapeString(x->type.shape), shapeString(*declared)));
  } else {
    DNNCC_ASSIGN_OR_RETURN(IntList block, c.constInts(2, "block_shape"));
    blocks.push_back(block);
  }
  if (runtimeImage) {
    DNNCC_ASSIGN_OR_RETURN(image, c.impliedInts(1, image));
  }
  std::vector<Value*> candidates, holds;
  for (const IntList& block : blocks) {
    int64_t kernel = 1;
    for (int64_t b : block)
      if (b < 1 || __builtin_mul_overflow(kernel, b, &kernel))
        return c.error(fmt::format("block_shape [{}] must be positive", fmt::join(block, ",")));
    if (block.size() != k || x->type.shape[1] % kernel != 0)
      return c.error(fmt::format("block_shape [{}] must have one entry per image axis and its "
                                 "elements divide the input's {} channels",
                                 fmt::join(block, ","), x->type.shape[1]));
    std::vector<int64_t> shape{x->type.shape[0], x->type.shape[1] / kernel};
    shape.insert(shape.end(), image.begin(), image.end());
    TensorType t{x->type.dtype, shape};
    a.block = block;
    DNNCC_ASSIGN_OR_RETURN(Value * candidate, c.emit(OpKind::Col2Im, {x}, a, &t));
    if (blocks.size() == 1) {
      if (runtimeBlock) {
        DNNCC_ASSIGN_OR_RETURN(a.block, c.impliedInts(2, block));
      }
      return c.setOutput(0, candidate);
    }
    // block_shape == block, as a bool scalar; the first block shape it holds is selected.
    DNNCC_ASSIGN_OR_RETURN(Value * in, c.input(2));
    DNNCC_ASSIGN_OR_RETURN(Value * eq, c.equalsConstant(in, block, in->type.shape));
    DNNCC_ASSIGN_OR_RETURN(Value * flag, c.emit(OpKind::Cast, {eq}, CastAttrs{DType::i32}));
    DNNCC_ASSIGN_OR_RETURN(flag, c.emit(OpKind::ReduceMin, {flag}, ReduceAttrs{{0}, false}));
    DNNCC_ASSIGN_OR_RETURN(Value * named, c.emit(OpKind::Cast, {flag}, CastAttrs{DType::boolean}));
    candidates.push_back(candidate);
    holds.push_back(named);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, firstThatHolds(c, candidates, holds));
  return c.setOutput(0, y);
}

Status maxPool(NodeContext& c) { return pool(c, OpKind::MaxPool); }
Status avgPool(NodeContext& c) { return pool(c, OpKind::AvgPool); }

/// LpPool: y = (sum over the window of |x|^p)^(1/p), zero padding (ONNX LpPool spec), as
/// pow(conv(pow(abs(x), p), ones [C, 1, K...], group = C), 1 / p): the depthwise convolution with a
/// kernel of ones is the window sum. `p` is a float before opset 2, an int after.
Status lpPool(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (!c.hasAttr("kernel_shape"))
    return c.error("attribute 'kernel_shape' is required");
  if (!isFloat(x->type.dtype))
    return c.error("LpPool expects a float input");
  DNNCC_ASSIGN_OR_RETURN(Window win, window(c, x->type, {}));
  if (c.attrInt("ceil_mode", 0) != 0)
    return c.error("ceil_mode=1 is not supported");
  double p = c.opset() < 2 ? c.attrFloat("p", 2.0) : static_cast<double>(c.attrInt("p", 2));
  if (p <= 0)
    return c.error(fmt::format("p={} is not positive", p));
  DType t = x->type.dtype;
  int64_t channels = x->type.shape[1];
  TensorType wt{t, {channels, 1}};
  wt.shape.insert(wt.shape.end(), win.kernel.begin(), win.kernel.end());
  std::vector<uint8_t> ones;
  std::vector<uint8_t> one = scalarBytes(t, 1.0);
  for (int64_t i = 0; i < wt.numElements(); ++i)
    ones.insert(ones.end(), one.begin(), one.end());
  Value* w = c.constant(wt, std::move(ones));
  Value* pv = c.constant(TensorType{t, {}}, scalarBytes(t, p));
  Value* inv = c.constant(TensorType{t, {}}, scalarBytes(t, 1.0 / p));
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.emit(OpKind::Abs, {x}));
  DNNCC_ASSIGN_OR_RETURN(Value * ap, c.emit(OpKind::Pow, {a, pv}));
  ConvAttrs ca{win.strides, win.pads, win.dilations, channels};
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.emit(OpKind::Conv, {ap, w}, ca));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Pow, {s, inv}));
  return c.setOutput(0, y);
}

template <OpKind K> Status globalPool(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {x}));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"Conv", 1, kMax, conv},
    {"ConvTranspose", 1, kMax, convTranspose},
    {"DeformConv", 19, kMax, deformConv},
    {"CausalConvWithState", 27, kMax, causalConvWithState},
    {"MaxPool", 1, kMax, maxPool},
    {"AveragePool", 1, kMax, avgPool},
    {"LpPool", 1, kMax, lpPool},
    {"MaxUnpool", 9, kMax, maxUnpool},
    {"Col2Im", 18, kMax, col2im},
    {"GlobalAveragePool", 1, kMax, globalPool<OpKind::GlobalAvgPool>},
    {"GlobalMaxPool", 1, kMax, globalPool<OpKind::GlobalMaxPool>},
};
} // namespace

std::span<const ConverterRow> convConverters() { return kRows; }

} // namespace dnncc::onnximport

namespace dnncc::onnximport {

Expected<ConvWindow> convWindow(NodeContext& c, const TensorType& x, IntList kernel) {
  DNNCC_ASSIGN_OR_RETURN(Window w, window(c, x, std::move(kernel)));
  return ConvWindow{w.kernel, w.strides, w.pads, w.dilations};
}

} // namespace dnncc::onnximport
