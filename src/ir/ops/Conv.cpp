// Type inference of convolution and pooling (ONNX Conv, MaxPool, AveragePool, Global*Pool).
#include <limits>

#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {
Status checkLen(const char* what, const IntList& v, size_t want) {
  if (v.size() != want)
    return Status::error(fmt::format("{} has {} entries, expected {}", what, v.size(), want));
  return Status::ok();
}

Expected<int64_t> windowExtent(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                               int64_t padBegin, int64_t padEnd, bool ceilMode) {
  if (stride <= 0 || dilation <= 0 || kernel <= 0)
    return Status::error(fmt::format("kernel {}, stride {} and dilation {} must be positive",
                                     kernel, stride, dilation));
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0)
    return Status::error(fmt::format("kernel extent {} is larger than the padded input {}",
                                     dilation * (kernel - 1) + 1, in + padBegin + padEnd));
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

int64_t Col2ImAttrs::blockPositions(size_t axis, int64_t image, int64_t extent) const {
  int64_t padBegin = pads[axis], padEnd = pads[pads.size() / 2 + axis];
  // A block that does not fit; checked by division, as dilation * (extent - 1) may overflow.
  if (extent < 1 || extent - 1 > (image + padBegin + padEnd) / dilations[axis])
    return 0;
  Expected<int64_t> n =
      windowExtent(image, extent, strides[axis], dilations[axis], padBegin, padEnd, false);
  return n ? *n : 0;
}

Expected<TensorType> inferConv(const Op& op) {
  const auto& a = op.attr<ConvAttrs>();
  const TensorType& x = op.operands[0]->type;
  const TensorType& w = op.operands[1]->type;
  int k = x.rank() - 2;
  if (k < 1 || w.rank() != x.rank())
    return Status::error(fmt::format("input {} and weights {} must both be [N, C, spatial...]",
                                     shapeString(x.shape), shapeString(w.shape)));
  DNNCC_ASSIGN_OR_RETURN(DType type, productType(x.dtype, w.dtype));
  if (type == DType::i32 && x.dtype != DType::i32) {
    int64_t lo = x.dtype == DType::u8 ? 0 : -128, hi = x.dtype == DType::u8 ? 255 : 127;
    if (a.padValue < lo || a.padValue > hi)
      return Status::error(
          fmt::format("pad_value={} is outside {}", a.padValue, dtypeName(x.dtype)));
  } else if (a.padValue != 0) {
    return Status::error(fmt::format("pad_value={} on a {} conv (only integer convs of 8-bit "
                                     "inputs pad with their zero point)",
                                     a.padValue, dtypeName(x.dtype)));
  }
  DNNCC_TRY(checkLen("strides", a.strides, k));
  DNNCC_TRY(checkLen("dilations", a.dilations, k));
  DNNCC_TRY(checkLen("pads", a.pads, 2 * k));
  if (a.group <= 0 || x.shape[1] % a.group != 0)
    return Status::error(
        fmt::format("group={} does not divide {} input channels", a.group, x.shape[1]));
  if (w.shape[1] * a.group != x.shape[1])
    return Status::error(fmt::format("weights expect {} input channels per group, input has {}",
                                     w.shape[1], x.shape[1] / a.group));
  if (w.shape[0] % a.group != 0)
    return Status::error(
        fmt::format("group={} does not divide {} output channels", a.group, w.shape[0]));
  if (op.operands.size() == 3 && op.operands[2]->type.shape != std::vector<int64_t>{w.shape[0]})
    return Status::error(fmt::format("bias shape {} is not [{}]",
                                     shapeString(op.operands[2]->type.shape), w.shape[0]));
  if (op.operands.size() == 3 && op.operands[2]->type.dtype != type)
    return Status::error(fmt::format("bias of type {} is not {}",
                                     dtypeName(op.operands[2]->type.dtype), dtypeName(type)));
  std::vector<int64_t> shape{x.shape[0], w.shape[0]};
  for (int i = 0; i < k; ++i) {
    DNNCC_ASSIGN_OR_RETURN(int64_t e, windowExtent(x.shape[2 + i], w.shape[2 + i], a.strides[i],
                                                   a.dilations[i], a.pads[i], a.pads[k + i],
                                                   false));
    shape.push_back(e);
  }
  return makeType(type, std::move(shape));
}

Expected<TensorType> inferConvTranspose(const Op& op) {
  const auto& a = op.attr<ConvTransposeAttrs>();
  const TensorType& x = op.operands[0]->type;
  const TensorType& w = op.operands[1]->type;
  int k = x.rank() - 2;
  if (k < 1 || w.rank() != x.rank())
    return Status::error(fmt::format("input {} and weights {} must both be [N, C, spatial...]",
                                     shapeString(x.shape), shapeString(w.shape)));
  if (x.dtype != w.dtype || !isFloat(x.dtype))
    return Status::error("input and weights must have the same float type");
  DNNCC_TRY(checkLen("strides", a.strides, k));
  DNNCC_TRY(checkLen("dilations", a.dilations, k));
  DNNCC_TRY(checkLen("output_padding", a.outputPadding, k));
  DNNCC_TRY(checkLen("pads", a.pads, 2 * k));
  if (a.group <= 0 || x.shape[1] % a.group != 0)
    return Status::error(
        fmt::format("group={} does not divide {} input channels", a.group, x.shape[1]));
  if (w.shape[0] != x.shape[1])
    return Status::error(fmt::format("weights have {} input channels, the input {}", w.shape[0],
                                     x.shape[1]));
  int64_t oc = w.shape[1] * a.group;
  if (op.operands.size() == 3 && op.operands[2]->type.shape != std::vector<int64_t>{oc})
    return Status::error(fmt::format("bias shape {} is not [{}]",
                                     shapeString(op.operands[2]->type.shape), oc));
  std::vector<int64_t> shape{x.shape[0], oc};
  for (int i = 0; i < k; ++i) {
    if (a.strides[i] <= 0 || a.dilations[i] <= 0 || a.outputPadding[i] < 0)
      return Status::error("strides and dilations must be positive, output_padding not negative");
    int64_t e = a.strides[i] * (x.shape[2 + i] - 1) + a.outputPadding[i] +
                (w.shape[2 + i] - 1) * a.dilations[i] + 1 - a.pads[i] - a.pads[k + i];
    if (e <= 0)
      return Status::error(
          fmt::format("output extent {} of spatial axis {} is not positive", e, i));
    shape.push_back(e);
  }
  return makeType(x.dtype, std::move(shape));
}

Expected<TensorType> inferPool(const Op& op) {
  const auto& a = op.attr<PoolAttrs>();
  const TensorType& x = op.operands[0]->type;
  int k = x.rank() - 2;
  if (k < 1)
    return Status::error(fmt::format("input {} is not [N, C, spatial...]", shapeString(x.shape)));
  if (!isFloat(x.dtype) && op.kind == OpKind::AvgPool)
    return Status::error("average pooling expects a float input");
  if (x.dtype == DType::boolean)
    return Status::error("pooling expects a numeric input");
  DNNCC_TRY(checkLen("kernel_shape", a.kernel, k));
  DNNCC_TRY(checkLen("strides", a.strides, k));
  DNNCC_TRY(checkLen("dilations", a.dilations, k));
  DNNCC_TRY(checkLen("pads", a.pads, 2 * k));
  std::vector<int64_t> shape{x.shape[0], x.shape[1]};
  for (int i = 0; i < k; ++i) {
    if (a.pads[i] >= a.kernel[i] || a.pads[k + i] >= a.kernel[i])
      return Status::error(fmt::format("pad {} is not smaller than the kernel {}",
                                       std::max(a.pads[i], a.pads[k + i]), a.kernel[i]));
    DNNCC_ASSIGN_OR_RETURN(int64_t e, windowExtent(x.shape[2 + i], a.kernel[i], a.strides[i],
                                                   a.dilations[i], a.pads[i], a.pads[k + i],
                                                   a.ceilMode));
    shape.push_back(e);
  }
  return makeType(x.dtype, std::move(shape));
}

/// max_pool_indices: the shape of max_pool, int64 flat row-major indices into the input.
Expected<TensorType> inferPoolIndices(const Op& op) {
  DNNCC_ASSIGN_OR_RETURN(TensorType t, inferPool(op));
  return makeType(DType::i64, t.shape);
}

/// max_unpool(x, indices): the result type (its shape given on creation) holds zeros except
/// y.flat[indices[i]] = x[i] (ONNX MaxUnpool).
Expected<TensorType> inferMaxUnpool(const Op& op) {
  if (op.result == nullptr)
    return Status::error("max_unpool needs its result type");
  const TensorType& x = op.operands[0]->type;
  const TensorType& idx = op.operands[1]->type;
  const TensorType& r = op.result->type;
  if (idx.shape != x.shape || idx.dtype != DType::i64)
    return Status::error(fmt::format("indices {} must be int64 of the input's shape {}",
                                     shapeString(idx.shape), shapeString(x.shape)));
  if (r.rank() != x.rank() || x.rank() < 3 || r.shape[0] != x.shape[0] || r.shape[1] != x.shape[1])
    return Status::error(fmt::format("result {} must be [N, C, spatial...] of the input {}",
                                     shapeString(r.shape), shapeString(x.shape)));
  return makeType(x.dtype, r.shape);
}

/// col2im(x): x [N, C * prod(block), L] with L the number of block positions the attributes give
/// for the result's image (ONNX Col2Im-18); the result type [N, C, image...] is given on creation.
Expected<TensorType> inferCol2Im(const Op& op) {
  if (op.result == nullptr)
    return Status::error("col2im needs its result type");
  const auto& a = op.attr<Col2ImAttrs>();
  const TensorType& x = op.operands[0]->type;
  const TensorType& r = op.result->type;
  size_t k = a.block.size();
  if (k == 0 || a.strides.size() != k || a.dilations.size() != k || a.pads.size() != 2 * k ||
      r.rank() != static_cast<int>(k) + 2 || x.rank() != 3)
    return Status::error(fmt::format("input {} must be [N, C * prod(block), L] and the result {} "
                                     "[N, C, image...] with one block, stride, dilation and two "
                                     "pads per image axis",
                                     shapeString(x.shape), shapeString(r.shape)));
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max(); // Halide indexes in 32 bits
  int64_t kernel = 1, positions = 1, channels = 0;
  for (size_t i = 0; i < k; ++i) {
    for (int64_t v : {a.block[i], a.strides[i], a.dilations[i], a.pads[i], a.pads[k + i]})
      if (v < 0 || v > kMax)
        return Status::error(fmt::format("attribute value {} is out of range", v));
    if (a.block[i] < 1 || a.strides[i] < 1 || a.dilations[i] < 1)
      return Status::error("block, strides and dilations must be positive");
    int64_t n = a.blockPositions(i, r.shape[2 + i], a.block[i]);
    if (n == 0)
      return Status::error(fmt::format("the block does not fit the padded image on axis {}", i));
    if (__builtin_mul_overflow(kernel, a.block[i], &kernel) ||
        __builtin_mul_overflow(positions, n, &positions))
      return Status::error("the block or the number of block positions overflows");
  }
  if (x.shape[0] != r.shape[0] || __builtin_mul_overflow(r.shape[1], kernel, &channels) ||
      x.shape[1] != channels || x.shape[2] != positions)
    return Status::error(fmt::format("input {} must be [{}, {} * {}, {}] for the result {}",
                                     shapeString(x.shape), r.shape[0], r.shape[1], kernel,
                                     positions, shapeString(r.shape)));
  return makeType(x.dtype, r.shape);
}

Expected<TensorType> inferGlobalPool(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  if (x.rank() < 3)
    return Status::error(fmt::format("input {} is not [N, C, spatial...]", shapeString(x.shape)));
  std::vector<int64_t> shape(x.rank(), 1);
  shape[0] = x.shape[0];
  shape[1] = x.shape[1];
  return makeType(x.dtype, std::move(shape));
}

} // namespace dnncc
