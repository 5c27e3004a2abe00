// ONNX quantization ops -> IR: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and the
// integer products MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv. The integer products
// accumulate (x - zero_point) products in i32 (ONNX spec: "accumulation may overflow if and only
// if in 32 bits") and requantize as the ONNX reference does: acc * (scale_a * scale_b / scale_y)
// in f64, plus the zero point, rounded half to even and saturated.
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"
#include "ir/SmallTypes.h"

namespace dnncc::onnximport {
namespace {

Expected<Value*> castTo(NodeContext& c, Value* x, DType to) {
  if (x->type.dtype == to)
    return x;
  return c.emit(OpKind::Cast, {x}, CastAttrs{to});
}

/// The quantized types, as listed in the errors.
constexpr const char* kQuantizedTypes =
    "int8, uint8, int16, uint16, int4, uint4, int2, uint2, float8 but float8e8m0, float4e2m1";

/// The scale or zero point `p` of `x` as an operand that broadcasts to x (ONNX QuantizeLinear-21
/// granularities): a one-element tensor becomes a scalar (per tensor); a 1-D tensor of
/// x.shape[axis] elements becomes [1.., D, ..1] (per axis); with `blockSize` > 0 a tensor of x's
/// rank with ceil(D / blockSize) elements on `axis` is repeated blockSize times along it (blocked:
/// a Gather with the constant indices i / blockSize, i < D).
Expected<Value*> broadcastParam(NodeContext& c, Value* p, const TensorType& x, int64_t axisAttr,
                                int64_t blockSize, std::string_view what) {
  const TensorType& t = p->type;
  if (t.rank() <= 1 && t.numElements() == 1)
    return reshapeTo(c, p, {});
  Expected<int> axis = normalizeAxis(axisAttr, x.rank());
  if (!axis)
    return c.error(fmt::format("axis: {}", axis.status().message()));
  int64_t d = x.shape[*axis];
  if (blockSize <= 0) {
    if (t.rank() != 1 || t.shape[0] != d)
      return c.error(fmt::format("{} {} is not a scalar or a 1-D tensor of {} elements (axis {})",
                                 what, shapeString(t.shape), d, *axis));
    std::vector<int64_t> shape(x.rank(), 1);
    shape[*axis] = d;
    return reshapeTo(c, p, shape);
  }
  std::vector<int64_t> expect = x.shape;
  expect[*axis] = (d + blockSize - 1) / blockSize;
  if (t.shape != expect)
    return c.error(fmt::format("{} {} does not fit x {} with block_size {} on axis {} "
                               "(expected {})",
                               what, shapeString(t.shape), shapeString(x.shape), blockSize, *axis,
                               shapeString(expect)));
  std::vector<int64_t> idx(d);
  for (int64_t i = 0; i < d; ++i)
    idx[i] = i / blockSize;
  std::vector<uint8_t> bytes(idx.size() * 8);
  std::memcpy(bytes.data(), idx.data(), bytes.size());
  Value* indices = c.constant(TensorType{DType::i64, {d}}, std::move(bytes));
  return c.emit(OpKind::Gather, {p, indices}, AxisAttrs{*axis});
}

/// QuantizeLinear-10..25: y = saturate(round(x / y_scale) + y_zero_point), ties to even. The
/// division is in the `precision` type (opset 23+), by default y_scale's type.
Status quantizeLinear(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * scale, c.input(1));
  Value* zp = c.optionalInput(2);
  int64_t axis = c.opset() >= 13 ? c.attrInt("axis", 1) : 1;
  int64_t blockSize = c.opset() >= 21 ? c.attrInt("block_size", 0) : 0;
  if (blockSize < 0)
    return c.error(fmt::format("block_size={} is negative", blockSize));
  bool saturate = c.opset() >= 19 ? c.attrInt("saturate", 1) != 0 : true; // float8 only
  DType to = zp ? zp->type.dtype : DType::u8;
  if (int64_t code = c.opset() >= 21 ? c.attrInt("output_dtype", 0) : 0) {
    auto t = dtypeFromOnnx(static_cast<int>(code));
    if (!t)
      return c.error(fmt::format("output_dtype {} is not supported", code));
    if (zp && *t != zp->type.dtype)
      return c.error(fmt::format("output_dtype {} differs from the zero point type {}",
                                 dtypeName(*t), dtypeName(zp->type.dtype)));
    to = *t;
  }
  if (!isQuantizedType(to))
    return c.error(fmt::format("quantized type {} is not supported ({})", dtypeName(to),
                               kQuantizedTypes));
  DType precision = scale->type.dtype;
  if (int64_t code = c.opset() >= 23 ? c.attrInt("precision", 0) : 0) {
    auto t = dtypeFromOnnx(static_cast<int>(code));
    if (!t || !isFloat(*t))
      return c.error(fmt::format("precision {} is not a supported float type", code));
    precision = *t;
  }
  if (!isFloat(precision))
    return c.error(fmt::format("y_scale of type {} is not supported (float types only)",
                               dtypeName(precision)));
  DNNCC_TRY(checkQuantParams(c, scale, nullptr, to, "y"));
  DNNCC_ASSIGN_OR_RETURN(x, castTo(c, x, precision));
  DNNCC_ASSIGN_OR_RETURN(scale, castTo(c, scale, precision));
  std::vector<Value*> operands{x};
  DNNCC_ASSIGN_OR_RETURN(Value * s, broadcastParam(c, scale, x->type, axis, blockSize, "y_scale"));
  operands.push_back(s);
  if (zp && isSmallFloat(to) && to != DType::f4e2m1) // float8: the zero point is zero (ONNX)
    zp = nullptr;
  if (zp) {
    if (zp->type.shape != scale->type.shape &&
        !(zp->type.numElements() == 1 && scale->type.numElements() == 1)) // both per tensor
      return c.error(fmt::format("y_zero_point {} and y_scale {} have different shapes",
                                 shapeString(zp->type.shape), shapeString(scale->type.shape)));
    DNNCC_ASSIGN_OR_RETURN(Value * z,
                           broadcastParam(c, zp, x->type, axis, blockSize, "y_zero_point"));
    operands.push_back(z);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.emit(OpKind::QuantizeLinear, operands, CastAttrs{to, saturate}));
  return c.setOutput(0, y);
}

/// DequantizeLinear-10..25: y = (x - x_zero_point) * x_scale, of type output_dtype (opset 23+) or
/// x_scale's type.
Status dequantizeLinear(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * scale, c.input(1));
  Value* zp = c.optionalInput(2);
  int64_t axis = c.opset() >= 13 ? c.attrInt("axis", 1) : 1;
  int64_t blockSize = c.opset() >= 21 ? c.attrInt("block_size", 0) : 0;
  if (blockSize < 0)
    return c.error(fmt::format("block_size={} is negative", blockSize));
  if (!isQuantizedType(x->type.dtype) && x->type.dtype != DType::i32)
    return c.error(fmt::format("x of type {} is not supported ({}, int32)",
                               dtypeName(x->type.dtype), kQuantizedTypes));
  // The float8 zero point must be zero and the float4 one is not used (ONNX reference).
  if (zp && isSmallFloat(x->type.dtype)) {
    if (x->type.dtype != DType::f4e2m1 && zp->isConstant())
      for (uint8_t code : *zp->data)
        if (decodeSmallFloat(zp->type.dtype, code) != 0.0)
          return c.error("x_zero_point of a float8 x must be zero");
    zp = nullptr;
  }
  if (!isFloat(scale->type.dtype))
    return c.error(
        fmt::format("x_scale of type {} is not a float type", dtypeName(scale->type.dtype)));
  DNNCC_TRY(checkQuantParams(c, scale, nullptr, x->type.dtype, "x"));
  DType to = scale->type.dtype;
  if (int64_t code = c.opset() >= 23 ? c.attrInt("output_dtype", 0) : 0) {
    auto t = dtypeFromOnnx(static_cast<int>(code));
    if (!t || !isFloat(*t))
      return c.error(fmt::format("output_dtype {} is not a supported float type", code));
    to = *t;
  }
  std::vector<Value*> operands{x};
  DNNCC_ASSIGN_OR_RETURN(Value * s, broadcastParam(c, scale, x->type, axis, blockSize, "x_scale"));
  operands.push_back(s);
  if (zp) {
    if (zp->type.dtype != x->type.dtype)
      return c.error(fmt::format("x_zero_point type {} differs from x's type {}",
                                 dtypeName(zp->type.dtype), dtypeName(x->type.dtype)));
    if (zp->type.shape != scale->type.shape &&
        !(zp->type.numElements() == 1 && scale->type.numElements() == 1)) // both per tensor
      return c.error(fmt::format("x_zero_point {} and x_scale {} have different shapes",
                                 shapeString(zp->type.shape), shapeString(scale->type.shape)));
    DNNCC_ASSIGN_OR_RETURN(Value * z,
                           broadcastParam(c, zp, x->type, axis, blockSize, "x_zero_point"));
    operands.push_back(z);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::DequantizeLinear, operands, CastAttrs{to}));
  return c.setOutput(0, y);
}

Value* f32Scalar(NodeContext& c, double v) {
  return c.constant(TensorType{DType::f32, {}}, scalarBytes(DType::f32, v));
}

} // namespace

/// DynamicQuantizeLinear-11 (uint8), as the ONNX function body and reference:
///   lo = min(0, min(x)), hi = max(0, max(x)), y_scale = (hi == lo ? 1 : hi - lo) / 255,
///   y_zero_point = saturate(round(-lo / y_scale)), y = saturate(round(x / y_scale) +
///   y_zero_point).
Expected<DynamicQuantized> dynamicQuantize(NodeContext& c, Value* x) {
  if (x->type.dtype != DType::f32)
    return c.error(fmt::format("x of type {} is not float", dtypeName(x->type.dtype)));
  IntList all(x->type.rank());
  for (int i = 0; i < x->type.rank(); ++i)
    all[i] = i;
  Value* zero = f32Scalar(c, 0.0);
  Value *hi = x, *lo = x;
  if (!all.empty()) {
    DNNCC_ASSIGN_OR_RETURN(hi, c.emit(OpKind::ReduceMax, {x}, ReduceAttrs{all, false}));
    DNNCC_ASSIGN_OR_RETURN(lo, c.emit(OpKind::ReduceMin, {x}, ReduceAttrs{all, false}));
  }
  DNNCC_ASSIGN_OR_RETURN(hi, c.emit(OpKind::Max, {hi, zero}));
  DNNCC_ASSIGN_OR_RETURN(lo, c.emit(OpKind::Min, {lo, zero}));
  DNNCC_ASSIGN_OR_RETURN(Value * range, c.emit(OpKind::Sub, {hi, lo}));
  DNNCC_ASSIGN_OR_RETURN(Value * same, c.emit(OpKind::Equal, {hi, lo}));
  DNNCC_ASSIGN_OR_RETURN(range, c.emit(OpKind::Where, {same, f32Scalar(c, 1.0), range}));
  DNNCC_ASSIGN_OR_RETURN(Value * scale, c.emit(OpKind::Div, {range, f32Scalar(c, 255.0)}));
  DNNCC_ASSIGN_OR_RETURN(Value * negLo, c.emit(OpKind::Neg, {lo}));
  DNNCC_ASSIGN_OR_RETURN(Value * zp,
                         c.emit(OpKind::QuantizeLinear, {negLo, scale}, CastAttrs{DType::u8}));
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.emit(OpKind::QuantizeLinear, {x, scale, zp}, CastAttrs{DType::u8}));
  return DynamicQuantized{y, scale, zp};
}

Status checkQuantParams(NodeContext& c, const Value* scale, const Value* zp, DType type,
                        std::string_view what) {
  if (!isFloat(scale->type.dtype))
    return c.error(fmt::format("the scale of {} has type {}, not a float type", what,
                               dtypeName(scale->type.dtype)));
  if (scale->isConstant() && scale->type.layout == Layout::rowMajor) {
    const uint8_t* p = scale->data->data();
    for (int64_t i = 0; i < scale->type.numElements(); ++i) {
      double s = scale->type.dtype == DType::f32   ? reinterpret_cast<const float*>(p)[i]
                 : scale->type.dtype == DType::f64 ? reinterpret_cast<const double*>(p)[i]
                                                   : 1.0; // f16/bf16 scales: not checked
      if (!std::isfinite(s) || s <= 0)
        return c.error(fmt::format("the scale of {} is {} (element {}): a scale must be finite "
                                   "and positive",
                                   what, s, i));
    }
  }
  if (zp && zp->type.dtype != type)
    return c.error(fmt::format("the zero point of {} has type {}, not {}", what,
                               dtypeName(zp->type.dtype), dtypeName(type)));
  return Status::ok();
}

namespace {

Status dynamicQuantizeLinear(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(DynamicQuantized q, dynamicQuantize(c, x));
  DNNCC_TRY(c.setOutput(0, q.y));
  DNNCC_TRY(c.setOutput(1, q.scale));
  return c.setOutput(2, q.zeroPoint);
}

/// A 1-D parameter of M > 1 elements of the left matmul operand `a` [.., M, K] as [M, 1] (ONNX
/// MatMulInteger / QLinearMatMul: "an M element vector for per row quantization").
Expected<Value*> perRowParam(NodeContext& c, Value* p, const Value* a) {
  if (p->type.rank() == 1 && p->type.numElements() > 1 && a->type.rank() >= 2)
    return reshapeTo(c, p, {p->type.shape[0], 1});
  return p;
}

/// A 1-D per-output-channel parameter of OC > 1 elements of a conv as [OC, 1, ...] (rank
/// `rank`), which broadcasts over the spatial axes of [N, OC, ...] and [OC, C/g, ...].
Expected<Value*> perChannelParam(NodeContext& c, Value* p, int rank) {
  if (p->type.rank() == 1 && p->type.numElements() > 1) {
    std::vector<int64_t> shape(rank, 1);
    shape[0] = p->type.shape[0];
    return reshapeTo(c, p, shape);
  }
  return p;
}

/// Whether `zp` (a zero point) is absent or a constant whose elements are all 0.
bool zeroOrAbsent(const Value* zp) {
  if (!zp)
    return true;
  if (!zp->isConstant())
    return false;
  std::vector<int64_t> v = constantAsInts(*zp);
  return std::all_of(v.begin(), v.end(), [](int64_t z) { return z == 0; });
}

/// Checks that `x` is 8-bit and its zero point `zp` (if any) has its type.
Status checkInt8(NodeContext& c, const Value* x, const Value* zp, std::string_view what) {
  if (x->type.dtype != DType::i8 && x->type.dtype != DType::u8)
    return c.error(
        fmt::format("{} of type {} is not int8 or uint8", what, dtypeName(x->type.dtype)));
  if (zp && zp->type.dtype != x->type.dtype)
    return c.error(fmt::format("the zero point type {} of {} differs from its type {}",
                               dtypeName(zp->type.dtype), what, dtypeName(x->type.dtype)));
  return Status::ok();
}

/// x - zero_point in i32 for an int8/uint8 `x` (zero point absent: just the cast). `zp` already
/// has a shape that broadcasts to x.
Expected<Value*> centered(NodeContext& c, Value* x, Value* zp, std::string_view what) {
  DNNCC_TRY(checkInt8(c, x, zp, what));
  DNNCC_ASSIGN_OR_RETURN(Value * xi, castTo(c, x, DType::i32));
  if (!zp)
    return xi;
  DNNCC_ASSIGN_OR_RETURN(Value * z, castTo(c, zp, DType::i32));
  return c.emit(OpKind::Sub, {xi, z});
}

/// -zp * sum of i32(w) over `axes` (the correction for the zero point of the other operand):
/// sum (x - zp) * w = sum x * w - zp * sum w.
Expected<Value*> zeroPointCorrection(NodeContext& c, Value* zp, Value* w, IntList axes,
                                     bool keepdims) {
  DNNCC_ASSIGN_OR_RETURN(Value * wi, castTo(c, w, DType::i32));
  DNNCC_ASSIGN_OR_RETURN(Value * sum, c.emit(OpKind::ReduceSum, {wi}, ReduceAttrs{axes, keepdims}));
  DNNCC_ASSIGN_OR_RETURN(Value * z, castTo(c, zp, DType::i32));
  DNNCC_ASSIGN_OR_RETURN(z, c.emit(OpKind::Neg, {z}));
  return c.emit(OpKind::Mul, {sum, z});
}

/// (a - a_zero_point) @ (b - b_zero_point) in i32, numpy.matmul batching (ONNX MatMulInteger-10).
/// With b's zero point 0 the integer matmul takes the 8-bit operands themselves (each product
/// widened to i32) and a's zero point becomes -za * colsum(b), added after.
Expected<Value*> integerMatMul(NodeContext& c, Value* a, Value* azp, Value* b, Value* bzp) {
  if (azp) {
    DNNCC_ASSIGN_OR_RETURN(azp, perRowParam(c, azp, a));
  }
  if (zeroOrAbsent(bzp) && b->type.rank() >= 2) {
    DNNCC_TRY(checkInt8(c, a, azp, "A"));
    DNNCC_TRY(checkInt8(c, b, bzp, "B"));
    DNNCC_ASSIGN_OR_RETURN(Value * acc, c.emit(OpKind::MatMul, {a, b}));
    if (zeroOrAbsent(azp))
      return acc;
    DNNCC_ASSIGN_OR_RETURN(Value * corr,
                           zeroPointCorrection(c, azp, b, {b->type.rank() - 2}, true));
    return c.emit(OpKind::Add, {acc, corr});
  }
  DNNCC_ASSIGN_OR_RETURN(Value * ai, centered(c, a, azp, "A"));
  DNNCC_ASSIGN_OR_RETURN(Value * bi, centered(c, b, bzp, "B"));
  return c.emit(OpKind::MatMul, {ai, bi});
}

/// conv(x - x_zero_point, w - w_zero_point) + bias in i32 (ONNX ConvInteger-10 / QLinearConv-10):
/// the padding is zero after the zero point is subtracted, i.e. x is padded with its zero point.
Expected<Value*> integerConv(NodeContext& c, Value* x, Value* xzp, Value* w, Value* wzp,
                             Value* bias) {
  if (w->type.rank() < 3 || x->type.rank() != w->type.rank())
    return c.error(fmt::format("x {} and w {} are not [N, C, spatial...] and [OC, C/group, "
                               "kernel...]",
                               shapeString(x->type.shape), shapeString(w->type.shape)));
  if (xzp && xzp->type.numElements() != 1)
    return c.error(fmt::format("x_zero_point {} is not a scalar", shapeString(xzp->type.shape)));
  if (xzp) {
    DNNCC_ASSIGN_OR_RETURN(xzp, reshapeTo(c, xzp, {}));
  }
  if (wzp) {
    if (wzp->type.numElements() != 1 &&
        (wzp->type.rank() != 1 || wzp->type.shape[0] != w->type.shape[0]))
      return c.error(fmt::format("w_zero_point {} is not a scalar or a 1-D tensor of {} elements",
                                 shapeString(wzp->type.shape), w->type.shape[0]));
    DNNCC_ASSIGN_OR_RETURN(wzp, wzp->type.numElements() == 1
                                    ? reshapeTo(c, wzp, {})
                                    : perChannelParam(c, wzp, w->type.rank()));
  }
  IntList kernel(w->type.shape.begin() + 2, w->type.shape.end());
  DNNCC_ASSIGN_OR_RETURN(ConvWindow win, convWindow(c, x->type, kernel));
  if (win.kernel != kernel)
    return c.error(fmt::format("kernel_shape [{}] differs from the weights' [{}]",
                               fmt::join(win.kernel, ","), fmt::join(kernel, ",")));
  ConvAttrs a{win.strides, win.pads, win.dilations, c.attrInt("group", 1)};
  if (bias && bias->type.dtype != DType::i32)
    return c.error(fmt::format("B of type {} is not int32", dtypeName(bias->type.dtype)));
  // With w's zero point 0 and x's a constant, the integer conv takes the 8-bit tensors
  // themselves, padding x with its zero point; the bias carries -zx * sum(w) per output channel.
  if (zeroOrAbsent(wzp) && (!xzp || xzp->isConstant())) {
    DNNCC_TRY(checkInt8(c, x, xzp, "x"));
    DNNCC_TRY(checkInt8(c, w, wzp, "w"));
    int64_t zx = xzp ? constantAsInts(*xzp)[0] : 0;
    if (zx != 0) {
      IntList axes;
      for (int i = 1; i < w->type.rank(); ++i)
        axes.push_back(i);
      DNNCC_ASSIGN_OR_RETURN(Value * corr, zeroPointCorrection(c, xzp, w, axes, false));
      if (bias) {
        DNNCC_ASSIGN_OR_RETURN(bias, c.emit(OpKind::Add, {bias, corr}));
      } else {
        bias = corr;
      }
    }
    a.padValue = zx;
    std::vector<Value*> operands{x, w};
    if (bias)
      operands.push_back(bias);
    return c.emit(OpKind::Conv, operands, a);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * xi, centered(c, x, xzp, "x"));
  DNNCC_ASSIGN_OR_RETURN(Value * wi, centered(c, w, wzp, "w"));
  std::vector<Value*> operands{xi, wi};
  if (bias)
    operands.push_back(bias);
  return c.emit(OpKind::Conv, operands, a);
}

/// y = saturate(round(acc * (sa * sb / sy)) + zy): the multiplier in the scales' float type, the
/// product with the i32 accumulator in f64, as the ONNX reference QLinearMatMul / QLinearConv.
Expected<Value*> requantize(NodeContext& c, Value* acc, Value* sa, Value* sb, Value* sy,
                            Value* zy) {
  if (!isFloat(sa->type.dtype) || sb->type.dtype != sa->type.dtype ||
      sy->type.dtype != sa->type.dtype)
    return c.error("the scales must have one float type");
  if (zy->type.dtype != DType::i8 && zy->type.dtype != DType::u8)
    return c.error(
        fmt::format("y_zero_point of type {} is not int8 or uint8", dtypeName(zy->type.dtype)));
  DNNCC_ASSIGN_OR_RETURN(Value * m, c.emit(OpKind::Mul, {sa, sb}));
  DNNCC_ASSIGN_OR_RETURN(m, c.emit(OpKind::Div, {m, sy}));
  DNNCC_ASSIGN_OR_RETURN(m, castTo(c, m, DType::f64));
  DNNCC_ASSIGN_OR_RETURN(Value * d, castTo(c, acc, DType::f64));
  DNNCC_ASSIGN_OR_RETURN(d, c.emit(OpKind::Mul, {d, m}));
  Value* one = c.constant(TensorType{DType::f64, {}}, scalarBytes(DType::f64, 1.0));
  return c.emit(OpKind::QuantizeLinear, {d, one, zy}, CastAttrs{zy->type.dtype});
}

Status matMulInteger(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * y, integerMatMul(c, a, c.optionalInput(2), b, c.optionalInput(3)));
  return c.setOutput(0, y);
}

Status convInteger(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         integerConv(c, x, c.optionalInput(2), w, c.optionalInput(3), nullptr));
  return c.setOutput(0, y);
}

/// QLinearMatMul-10/21: inputs a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale,
/// y_zero_point; per-row parameters of a and per-column parameters of b broadcast.
Status qlinearMatMul(NodeContext& c) {
  std::vector<Value*> in(8);
  for (int i = 0; i < 8; ++i) {
    DNNCC_ASSIGN_OR_RETURN(in[i], c.input(i));
  }
  Value* a = in[0];
  DNNCC_ASSIGN_OR_RETURN(Value * acc, integerMatMul(c, a, in[2], in[3], in[5]));
  DNNCC_ASSIGN_OR_RETURN(Value * sa, perRowParam(c, in[1], a));
  DNNCC_ASSIGN_OR_RETURN(Value * y, requantize(c, acc, sa, in[4], in[6], in[7]));
  return c.setOutput(0, y);
}

/// QLinearConv-10: inputs x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale,
/// y_zero_point and an optional i32 bias B (quantized with scale x_scale * w_scale, zero point 0).
Status qlinearConv(NodeContext& c) {
  std::vector<Value*> in(8);
  for (int i = 0; i < 8; ++i) {
    DNNCC_ASSIGN_OR_RETURN(in[i], c.input(i));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * acc,
                         integerConv(c, in[0], in[2], in[3], in[5], c.optionalInput(8)));
  Value* sw = in[4];
  if (sw->type.numElements() != 1 &&
      (sw->type.rank() != 1 || sw->type.shape[0] != in[3]->type.shape[0]))
    return c.error(fmt::format("w_scale {} is not a scalar or a 1-D tensor of {} elements",
                               shapeString(sw->type.shape), in[3]->type.shape[0]));
  DNNCC_ASSIGN_OR_RETURN(sw, perChannelParam(c, sw, acc->type.rank() - 1));
  DNNCC_ASSIGN_OR_RETURN(Value * y, requantize(c, acc, in[1], sw, in[6], in[7]));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"QuantizeLinear", 10, kMax, quantizeLinear},
    {"DequantizeLinear", 10, kMax, dequantizeLinear},
    {"DynamicQuantizeLinear", 11, kMax, dynamicQuantizeLinear},
    {"MatMulInteger", 10, kMax, matMulInteger},
    {"ConvInteger", 10, kMax, convInteger},
    {"QLinearMatMul", 10, kMax, qlinearMatMul},
    {"QLinearConv", 10, kMax, qlinearConv},
};
} // namespace

std::span<const ConverterRow> quantizeConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
