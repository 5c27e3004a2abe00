// onnxruntime's quantized operators (domain com.microsoft), which its quantization tool emits in
// the QOperator format, as DequantizeLinear -> the float op -> QuantizeLinear: the form of a QDQ
// model, which qdq-to-integer turns into integer convs and matrix products and whose other ops
// fuse into one kernel with their neighbours. Semantics: onnxruntime's
// docs/ContribOperators.md (1.31): QLinearAdd, QLinearMul, QLinearSigmoid, QLinearLeakyRelu,
// QLinearConcat, QLinearAveragePool, QLinearGlobalAveragePool, QLinearSoftmax, QGemm,
// MatMulIntegerToFloat, DynamicQuantizeMatMul. The scales and zero points are per tensor except
// those of a matrix product's B (per column). Checked against onnxruntime's CPU kernels by
// tests/models/int8_tests.py.
#include <fmt/format.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

constexpr std::string_view kMicrosoft = "com.microsoft";

/// A per-tensor quantization parameter as a scalar; `what` names it in errors.
Expected<Value*> perTensor(NodeContext& c, Value* p, std::string_view what) {
  if (p->type.numElements() != 1)
    return c.error(
        fmt::format("{} {} is not a per-tensor scalar", what, shapeString(p->type.shape)));
  return reshapeTo(c, p, {});
}

/// DequantizeLinear(x, scale, zero point) to f32; `zp` may be null. Per-tensor parameters unless
/// `axis` >= 0 (then a 1-D parameter runs along x's axis `axis`).
Expected<Value*> dequantize(NodeContext& c, Value* x, Value* scale, Value* zp,
                            std::string_view what, int axis = -1) {
  if (x->type.dtype != DType::u8 && x->type.dtype != DType::i8)
    return c.error(
        fmt::format("{} of type {} is not int8 or uint8", what, dtypeName(x->type.dtype)));
  DNNCC_TRY(checkQuantParams(c, scale, zp, x->type.dtype, what));
  auto shaped = [&](Value* p, std::string_view name) -> Expected<Value*> {
    if (p->type.numElements() == 1 || axis < 0)
      return perTensor(c, p, fmt::format("{} {}", what, name));
    if (p->type.rank() != 1 || p->type.shape[0] != x->type.shape[axis])
      return c.error(fmt::format("{} {} {} is not a scalar or a 1-D tensor of {} elements", what,
                                 name, shapeString(p->type.shape), x->type.shape[axis]));
    std::vector<int64_t> shape(x->type.rank(), 1);
    shape[axis] = p->type.shape[0];
    return reshapeTo(c, p, shape);
  };
  DNNCC_ASSIGN_OR_RETURN(Value * s, shaped(scale, "scale"));
  std::vector<Value*> operands{x, s};
  if (zp) {
    DNNCC_ASSIGN_OR_RETURN(Value * z, shaped(zp, "zero point"));
    operands.push_back(z);
  }
  return c.emit(OpKind::DequantizeLinear, operands, CastAttrs{DType::f32});
}

/// QuantizeLinear(y, scale, zero point) to `to` (the zero point's type when there is one).
Expected<Value*> quantize(NodeContext& c, Value* y, Value* scale, Value* zp, DType to,
                          std::string_view what) {
  if (zp)
    to = zp->type.dtype;
  DNNCC_TRY(checkQuantParams(c, scale, zp, to, what));
  DNNCC_ASSIGN_OR_RETURN(Value * s, perTensor(c, scale, fmt::format("{} scale", what)));
  std::vector<Value*> operands{y, s};
  if (zp) {
    DNNCC_ASSIGN_OR_RETURN(Value * z, perTensor(c, zp, fmt::format("{} zero point", what)));
    operands.push_back(z);
  }
  return c.emit(OpKind::QuantizeLinear, operands, CastAttrs{to});
}

/// Inputs (x, x_scale, x_zero_point) from position `i` dequantized.
Expected<Value*> dequantizedInput(NodeContext& c, int i, std::string_view what) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(i));
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.input(i + 1));
  return dequantize(c, x, s, c.optionalInput(i + 2), what);
}

/// Output 0 = the float `y` quantized with inputs (scale, zero point) at position `i`, to the
/// type of input 0 when the zero point is absent.
Status quantizedOutput(NodeContext& c, Value* y, int i) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.input(i));
  DNNCC_ASSIGN_OR_RETURN(Value * q, quantize(c, y, s, c.optionalInput(i + 1), x->type.dtype, "Y"));
  return c.setOutput(0, q);
}

/// QLinearAdd / QLinearMul: C = Q(DQ(A) op DQ(B)), numpy broadcasting. Inputs A, A_scale,
/// A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point.
template <OpKind K> Status qlinearBinary(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, dequantizedInput(c, 0, "A"));
  DNNCC_ASSIGN_OR_RETURN(Value * b, dequantizedInput(c, 3, "B"));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(K, {a, b}));
  return quantizedOutput(c, y, 6);
}

/// QLinearSigmoid / QLinearLeakyRelu (attribute alpha, default 0.01): Y = Q(f(DQ(X))). Inputs
/// X, X_scale, X_zero_point, Y_scale, Y_zero_point.
template <OpKind K> Status qlinearUnary(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, dequantizedInput(c, 0, "X"));
  Expected<Value*> y = K == OpKind::LeakyRelu
                           ? c.emit(K, {x}, LeakyReluAttrs{c.attrFloat("alpha", 0.01)})
                           : c.emit(K, {x});
  if (!y)
    return y.status();
  return quantizedOutput(c, *y, 3);
}

/// `x` [N, spatial..., C] as [N, C, spatial...] (channels_last=1 of the quantized pools) and back.
Expected<Value*> channelsFirst(Composer& b, Value* x, bool back) {
  int rank = x->type.rank();
  IntList perm{0};
  if (back) {
    for (int i = 2; i < rank; ++i)
      perm.push_back(i);
    perm.push_back(1);
  } else {
    perm.push_back(rank - 1);
    for (int i = 1; i < rank - 1; ++i)
      perm.push_back(i);
  }
  return b.transpose(x, perm);
}

/// QLinearGlobalAveragePool / QLinearAveragePool (AveragePool's attributes): Y = Q(pool(DQ(X)))
/// over [N, C, spatial...], or [N, spatial..., C] with channels_last=1. Inputs X, x_scale,
/// x_zero_point, y_scale, y_zero_point.
template <OpKind K> Status qlinearPool(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, dequantizedInput(c, 0, "X"));
  bool last = c.attrInt("channels_last", 0) != 0;
  if (x->type.rank() < 3)
    return c.error(fmt::format("X {} is not [N, C, spatial...]", shapeString(x->type.shape)));
  if (last) {
    DNNCC_ASSIGN_OR_RETURN(x, channelsFirst(b, x, false));
  }
  Value* y = nullptr;
  if (K == OpKind::AvgPool) {
    if (!c.hasAttr("kernel_shape"))
      return c.error("attribute 'kernel_shape' is required");
    DNNCC_ASSIGN_OR_RETURN(ConvWindow win, convWindow(c, x->type, {}));
    PoolAttrs a{win.kernel, win.strides, win.pads, win.dilations};
    a.ceilMode = c.attrInt("ceil_mode", 0) != 0;
    a.countIncludePad = c.attrInt("count_include_pad", 0) != 0;
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::AvgPool, {x}, a));
  } else {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::GlobalAvgPool, {x}));
  }
  if (last) {
    DNNCC_ASSIGN_OR_RETURN(y, channelsFirst(b, y, true));
  }
  return quantizedOutput(c, y, 3);
}

/// QLinearSoftmax: Y = Q(Softmax(DQ(X), axis)). The `opset` attribute selects Softmax's
/// semantics; before 13 (2-D coercion at axis) only the last axis is supported, where both agree.
Status qlinearSoftmax(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, dequantizedInput(c, 0, "X"));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", -1), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  if (c.attrInt("opset", 13) < 13 && *axis != x->type.rank() - 1)
    return c.error(fmt::format("axis={} with opset {} (Softmax before 13 flattens the trailing "
                               "axes) is not supported; only the last axis",
                               *axis, c.attrInt("opset", 13)));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Softmax, {x}, AxisAttrs{*axis}));
  return quantizedOutput(c, y, 3);
}

/// QLinearConcat (attribute axis): inputs Y_scale, Y_zero_point, then (X, X_scale,
/// X_zero_point) per input; Y = Q(concat(DQ(X_i))).
Status qlinearConcat(NodeContext& c) {
  int n = c.numInputs();
  if (n < 5 || (n - 2) % 3 != 0)
    return c.error(fmt::format("{} inputs: expected Y_scale, Y_zero_point and (X, X_scale, "
                               "X_zero_point) triples",
                               n));
  std::vector<Value*> parts;
  for (int i = 2; i < n; i += 3) {
    DNNCC_ASSIGN_OR_RETURN(Value * x, dequantizedInput(c, i, fmt::format("input {}", i)));
    parts.push_back(x);
  }
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 0), parts[0]->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Concat, parts, AxisAttrs{*axis}));
  DNNCC_ASSIGN_OR_RETURN(Value * x0, c.input(2));
  DNNCC_ASSIGN_OR_RETURN(Value * s, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * q, quantize(c, y, s, c.optionalInput(1), x0->type.dtype, "Y"));
  return c.setOutput(0, q);
}

/// DQ(B) of a matrix product with per-column parameters: B [K, N], or [N, K] when `trans`.
Expected<Value*> dequantizedB(NodeContext& c, Value* b, Value* scale, Value* zp, bool trans) {
  if (b->type.rank() < 2)
    return c.error(fmt::format("B {} is not a matrix", shapeString(b->type.shape)));
  return dequantize(c, b, scale, zp, "B", trans ? b->type.rank() - 2 : b->type.rank() - 1);
}

/// QGemm: Y = alpha * A' @ B' + C in the dequantized domain, A' = DQ(A) (transA), B' = DQ(B)
/// (transB, per-column parameters), C an i32 bias of scale A_scale * B_scale; quantized with
/// (y_scale, y_zero_point) when y_scale is given, else f32. Inputs A, a_scale, a_zero_point, B,
/// b_scale, b_zero_point, C, y_scale, y_zero_point.
Status qgemm(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, dequantizedInput(c, 0, "A"));
  DNNCC_ASSIGN_OR_RETURN(Value * bq, c.input(3));
  DNNCC_ASSIGN_OR_RETURN(Value * bs, c.input(4));
  bool transB = c.attrInt("transB", 0) != 0;
  DNNCC_ASSIGN_OR_RETURN(Value * b, dequantizedB(c, bq, bs, c.optionalInput(5), transB));
  GemmAttrs g;
  g.transA = c.attrInt("transA", 0) != 0;
  g.transB = transB;
  g.alpha = c.attrFloat("alpha", 1.0);
  std::vector<Value*> operands{a, b};
  if (Value* bias = c.optionalInput(6)) {
    if (bias->type.dtype != DType::i32)
      return c.error(fmt::format("C of type {} is not int32", dtypeName(bias->type.dtype)));
    // C's scale is A_scale * B_scale (per column when B's is).
    DNNCC_ASSIGN_OR_RETURN(Value * as, c.input(1));
    DNNCC_ASSIGN_OR_RETURN(as, perTensor(c, as, "A scale"));
    DNNCC_ASSIGN_OR_RETURN(Value * cs, c.emit(OpKind::Mul, {as, bs}));
    DNNCC_ASSIGN_OR_RETURN(Value * cf,
                           c.emit(OpKind::DequantizeLinear, {bias, cs}, CastAttrs{DType::f32}));
    operands.push_back(cf);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Gemm, operands, g));
  Value* ys = c.optionalInput(7);
  if (!ys)
    return c.setOutput(0, y);
  DNNCC_ASSIGN_OR_RETURN(Value * aq, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * q, quantize(c, y, ys, c.optionalInput(8), aq->type.dtype, "Y"));
  return c.setOutput(0, q);
}

/// MatMulIntegerToFloat: Y = DQ(A) @ DQ(B) (+ bias), numpy.matmul batching; A per tensor, B per
/// column. Inputs A, B, a_scale, b_scale, a_zero_point, b_zero_point, bias.
Status matMulIntegerToFloat(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * aq, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * bq, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * as, c.input(2));
  DNNCC_ASSIGN_OR_RETURN(Value * bs, c.input(3));
  DNNCC_ASSIGN_OR_RETURN(Value * a, dequantize(c, aq, as, c.optionalInput(4), "A"));
  DNNCC_ASSIGN_OR_RETURN(Value * b, dequantizedB(c, bq, bs, c.optionalInput(5), false));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::MatMul, {a, b}));
  if (Value* bias = c.optionalInput(6)) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Add, {y, bias}));
  }
  return c.setOutput(0, y);
}

/// DynamicQuantizeMatMul: A (f32) quantized to uint8 at run time as DynamicQuantizeLinear does,
/// then MatMulIntegerToFloat with B, b_scale, b_zero_point and bias. Inputs A, B, b_scale,
/// b_zero_point, bias.
Status dynamicQuantizeMatMul(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(DynamicQuantized q, dynamicQuantize(c, x));
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.emit(OpKind::DequantizeLinear, {q.y, q.scale, q.zeroPoint},
                                           CastAttrs{DType::f32}));
  DNNCC_ASSIGN_OR_RETURN(Value * bq, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * bs, c.input(2));
  DNNCC_ASSIGN_OR_RETURN(Value * b, dequantizedB(c, bq, bs, c.optionalInput(3), false));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::MatMul, {a, b}));
  if (Value* bias = c.optionalInput(4)) {
    DNNCC_ASSIGN_OR_RETURN(y, c.emit(OpKind::Add, {y, bias}));
  }
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"QLinearAdd", 1, kMax, qlinearBinary<OpKind::Add>, kMicrosoft},
    {"QLinearMul", 1, kMax, qlinearBinary<OpKind::Mul>, kMicrosoft},
    {"QLinearSigmoid", 1, kMax, qlinearUnary<OpKind::Sigmoid>, kMicrosoft},
    {"QLinearLeakyRelu", 1, kMax, qlinearUnary<OpKind::LeakyRelu>, kMicrosoft},
    {"QLinearGlobalAveragePool", 1, kMax, qlinearPool<OpKind::GlobalAvgPool>, kMicrosoft},
    {"QLinearAveragePool", 1, kMax, qlinearPool<OpKind::AvgPool>, kMicrosoft},
    {"QLinearSoftmax", 1, kMax, qlinearSoftmax, kMicrosoft},
    {"QLinearConcat", 1, kMax, qlinearConcat, kMicrosoft},
    {"QGemm", 1, kMax, qgemm, kMicrosoft},
    {"MatMulIntegerToFloat", 1, kMax, matMulIntegerToFloat, kMicrosoft},
    {"DynamicQuantizeMatMul", 1, kMax, dynamicQuantizeMatMul, kMicrosoft},
};

} // namespace

std::span<const ConverterRow> quantizedContribConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
