// qdq-to-integer: runs the convs and matrix products of a QDQ model (QuantizeLinear /
// DequantizeLinear pairs around float ops: onnxruntime's quantize_static in QDQ format, QAT
// exports) on the 8-bit integers themselves. With x = sx * (xq - zx) and w = sw[oc] * wq
// (weights with zero point 0; constant weights with another zero point are centred, wq - zw as
// int8, where every value fits),
//   conv(x, w) + b = sx * sw[oc] * (sum xq * wq - zx * sum wq) + b
// so conv(DQ(xq), DQ(wq), b) becomes f32(conv_i32(xq, wq, -zx * sum(wq))) * (sx * sw) + b: an
// exact i32 accumulation, then one multiply per element in f32 (the requantization onnxruntime's
// integer kernels do). The padding of xq holds zx (a real 0). The result is f32 as before: the ops
// that follow (activation, QuantizeLinear) are unchanged and fuse into the conv's kernel as its
// epilogue, so the tensors between kernels are the model's own 8-bit ones. The same for
// matmul(DQ(a), DQ(B)) and gemm with a constant B. A bias given as DQ(bq i32, sx * sw) (how the
// quantizers store it) joins the i32 accumulator; any other bias is added in f32. Where the
// float result's only reader is a QuantizeLinear (scale sy), sy joins the requantization:
// QuantizeLinear(f32(acc) * (sx * sw / sy), 1, zy), one multiply per element instead of a multiply
// and a divide (onnxruntime's requantization; it can differ from the float model's by one step
// where the scaled value lies within an ulp of a rounding tie).
#include <cmath>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {
namespace {

/// The elements of constant `v` as doubles (rowMajor), for the integer and float types.
std::optional<std::vector<double>> values(const Value* v) {
  if (!v->isConstant() || v->type.layout != Layout::rowMajor || v->type.block != 0)
    return std::nullopt;
  size_t n = static_cast<size_t>(v->type.numElements());
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    switch (v->type.dtype) {
    case DType::f32:
      out[i] = v->dataAs<float>()[i];
      break;
    case DType::f64:
      out[i] = v->dataAs<double>()[i];
      break;
    case DType::i8:
      out[i] = v->dataAs<int8_t>()[i];
      break;
    case DType::u8:
      out[i] = v->dataAs<uint8_t>()[i];
      break;
    case DType::i32:
      out[i] = v->dataAs<int32_t>()[i];
      break;
    default:
      return std::nullopt;
    }
  }
  return out;
}

/// A quantization parameter `p` (scale or zero point) broadcast to a tensor of `shape`, as
/// `axis`-many values (one per index of `axis`; -1: one value for the whole tensor), or nothing
/// when p is not a constant or varies along another axis.
std::optional<std::vector<double>> perAxis(const Value* p, const std::vector<int64_t>& shape,
                                           int axis) {
  std::optional<std::vector<double>> v = values(p);
  if (!v)
    return std::nullopt;
  const std::vector<int64_t>& ps = p->type.shape;
  if (ps.size() > shape.size())
    return std::nullopt;
  int offset = static_cast<int>(shape.size() - ps.size()); // numpy broadcasting aligns the ends
  for (size_t i = 0; i < ps.size(); ++i) {
    int a = offset + static_cast<int>(i);
    if (ps[i] != 1 && (a != axis || ps[i] != shape[a]))
      return std::nullopt;
  }
  int64_t n = axis < 0 ? 1 : shape[axis];
  if (static_cast<int64_t>(v->size()) == n)
    return v;
  if (v->size() == 1)
    return std::vector<double>(n, (*v)[0]);
  return std::nullopt;
}

bool allZero(const std::optional<std::vector<double>>& v) {
  return v && std::all_of(v->begin(), v->end(), [](double d) { return d == 0; });
}

bool isInt8(DType t) {
  return t == DType::u8 || t == DType::i8;
}

/// A DequantizeLinear to f32 of an 8-bit tensor, seen as its operands.
struct Dequantized {
  Value* q = nullptr;        ///< the 8-bit tensor
  std::vector<double> scale; ///< per index of the axis (or one value)
  std::vector<double> zeroPoint;
};

/// `v` as DQ(q, scale, zero point) with scale and zero point constant along `axis` only (-1:
/// per tensor), or nothing.
std::optional<Dequantized> dequantized(const Value* v, int axis) {
  const Op* dq = v->producer;
  if (!dq || dq->kind != OpKind::DequantizeLinear || v->type.dtype != DType::f32 ||
      !isInt8(dq->operands[0]->type.dtype))
    return std::nullopt;
  Dequantized d;
  d.q = dq->operands[0];
  auto scale = perAxis(dq->operands[1], v->type.shape, axis);
  if (!scale)
    return std::nullopt;
  d.scale = *scale;
  d.zeroPoint.assign(d.scale.size(), 0.0);
  if (dq->operands.size() == 3) {
    auto zp = perAxis(dq->operands[2], v->type.shape, axis);
    if (!zp)
      return std::nullopt;
    d.zeroPoint = *zp;
  }
  return d;
}

/// Constant weights `w` with a non-zero zero point as the same values with zero point 0:
/// wq - zp stored as i8 when every one fits (an asymmetric uint8 quantization with zero point
/// 128 does), with the zero point per index of axis `axis` of w. False when some does not fit.
bool centerWeights(Module& m, Dequantized& w, int axis) {
  if (!w.q->isConstant() || allZero(w.zeroPoint))
    return true;
  auto q = values(w.q);
  const TensorType& t = w.q->type;
  int64_t inner = 1;
  for (int i = axis + 1; i < t.rank(); ++i)
    inner *= t.shape[i];
  std::vector<uint8_t> centered(q->size());
  for (size_t i = 0; i < q->size(); ++i) {
    size_t c = w.zeroPoint.size() == 1 ? 0 : (i / inner) % w.zeroPoint.size();
    double v = (*q)[i] - w.zeroPoint[c];
    if (v < -128 || v > 127)
      return false;
    centered[i] = static_cast<uint8_t>(static_cast<int8_t>(v));
  }
  w.q = m.addConstant(TensorType{DType::i8, t.shape}, std::move(centered), w.q->name + ".centered");
  std::fill(w.zeroPoint.begin(), w.zeroPoint.end(), 0.0);
  return true;
}

/// The shape [1, C, 1...] of rank `rank` with `c` on `axis`: per-channel constants broadcast so.
std::vector<int64_t> channelShape(int rank, int axis, int64_t c) {
  std::vector<int64_t> s(rank, 1);
  s[axis] = c;
  return s;
}

/// Rewrites one op; `at` is its index in m.ops, advanced past the ops inserted before it.
class Rewriter {
public:
  Rewriter(Module& m, size_t& at) : m_(m), at_(at) {}

  /// Inserts an op before the one being rewritten.
  Expected<Value*> emit(OpKind kind, std::vector<Value*> operands, Attrs attrs,
                        const std::string& name) {
    DNNCC_ASSIGN_OR_RETURN(Value * v,
                           m_.insertOp(at_, kind, std::move(operands), std::move(attrs), name));
    ++at_;
    return v;
  }

  /// acc (i32, output channels on `axis` of rank `rank`) -> f32(acc) * scale[c] (+ bias): the
  /// value that replaces the float op's result.
  Expected<Value*> requantize(Value* acc, const std::vector<double>& scale, int axis,
                              Value* floatBias, const std::string& name) {
    int rank = acc->type.rank();
    int64_t c = acc->type.shape[axis];
    std::vector<float> s(c);
    for (int64_t i = 0; i < c; ++i)
      s[i] = static_cast<float>(scale.size() == 1 ? scale[0] : scale[i]);
    Value* sc = m_.addConstant(TensorType{DType::f32, channelShape(rank, axis, c)}, bytesOf(s),
                               name + ".requant_scale");
    // In f32, as onnxruntime's integer kernels requantize (an i32 beyond 2^24 rounds).
    DNNCC_ASSIGN_OR_RETURN(Value * f, emit(OpKind::Cast, {acc}, CastAttrs{DType::f32}, name));
    DNNCC_ASSIGN_OR_RETURN(Value * y, emit(OpKind::Mul, {f, sc}, NoAttrs{}, name));
    if (!floatBias)
      return y;
    if (floatBias->type.rank() == 1 && rank > 1) { // [C] -> [1, C, 1...]
      TensorType t{floatBias->type.dtype, channelShape(rank, axis, c)};
      if (floatBias->isConstant()) {
        floatBias = m_.addConstant(t, floatBias->data, floatBias->name);
      } else {
        DNNCC_ASSIGN_OR_RETURN(floatBias,
                               m_.insertOp(at_, OpKind::Reshape, {floatBias}, NoAttrs{}, name, &t));
        ++at_;
      }
    }
    return emit(OpKind::Add, {y, floatBias}, NoAttrs{}, name);
  }

  Module& m_;
  size_t& at_;
};

/// The QuantizeLinear that is the only reader of `v` (from position `from` of m.ops on), when `v`
/// is not a model output and the scale is a constant f32 scalar: its scale then joins the
/// requantization (f32(acc) * (sx * sw / sy), one multiply instead of a multiply and a divide
/// per element, as onnxruntime requantizes), and the QuantizeLinear divides by 1.
struct OutputQuantize {
  Op* op = nullptr;
  double scale = 1;
};

OutputQuantize soleQuantizeUser(Module& m, const Value* v, size_t from) {
  if (std::find(m.outputs.begin(), m.outputs.end(), v) != m.outputs.end())
    return {};
  Op* user = nullptr;
  for (size_t i = from; i < m.ops.size(); ++i)
    for (const Value* o : m.ops[i]->operands)
      if (o == v) {
        if (user)
          return {};
        user = m.ops[i].get();
      }
  if (!user || user->kind != OpKind::QuantizeLinear || user->operands[0] != v)
    return {};
  const Value* s = user->operands[1];
  if (!s->isConstant() || s->type.dtype != DType::f32 || s->type.numElements() != 1)
    return {};
  double sy = s->dataAs<float>()[0];
  if (!std::isfinite(sy) || sy <= 0)
    return {};
  return {user, sy};
}

/// Makes `q` divide by 1 (its scale moved into the requantization).
void unitScale(Module& m, Op* q) {
  std::vector<float> one{1.0f};
  q->operands[1] = m.addConstant(TensorType{DType::f32, {}}, bytesOf(one), "one");
}

/// `b` / `sy` as a new constant (b constant f32), or null.
Value* scaledBias(Module& m, Value* b, double sy) {
  auto v = values(b);
  if (!v || b->type.dtype != DType::f32)
    return nullptr;
  std::vector<float> out(v->size());
  for (size_t i = 0; i < v->size(); ++i)
    out[i] = static_cast<float>((*v)[i] / sy);
  return m.addConstant(TensorType{DType::f32, b->type.shape}, bytesOf(out), b->name + ".requant");
}

/// The bias of a rewritten op: an i32 constant to add to the accumulator when it is
/// DQ(bq i32, scale) with scale == the accumulator's scale in f32 (so the integer sum is what the
/// float model computes), else the float bias itself (or null).
struct Bias {
  std::vector<double> integer; ///< per channel, empty when the bias stays float
  Value* floatBias = nullptr;
};

Bias splitBias(Value* b, const std::vector<double>& accScale, int64_t channels) {
  Bias out;
  if (!b)
    return out;
  out.floatBias = b;
  const Op* dq = b->producer;
  if (!dq || dq->kind != OpKind::DequantizeLinear || dq->operands[0]->type.dtype != DType::i32 ||
      b->type.rank() != 1 || b->type.shape[0] != channels)
    return out;
  auto bq = values(dq->operands[0]);
  auto scale = perAxis(dq->operands[1], b->type.shape, 0);
  if (!bq || !scale ||
      (dq->operands.size() == 3 && !allZero(perAxis(dq->operands[2], b->type.shape, 0))))
    return out;
  for (int64_t c = 0; c < channels; ++c)
    if (static_cast<float>((*scale)[c]) != static_cast<float>(accScale[c]))
      return out;
  out.integer = *bq;
  out.floatBias = nullptr;
  return out;
}

/// The output QuantizeLinear of `op` whose scale sy joins the requantization: divides `scale`
/// and the float bias (replaced by a scaled copy) by sy. None when the bias is not a constant.
OutputQuantize withOutputScale(Module& m, const Op& op, size_t at, std::vector<double>& scale,
                               Value*& floatBias) {
  OutputQuantize q = soleQuantizeUser(m, op.result, at + 1);
  if (!q.op)
    return q;
  if (floatBias) {
    Value* b = scaledBias(m, floatBias, q.scale);
    if (!b)
      return {};
    floatBias = b;
  }
  for (double& s : scale)
    s /= q.scale;
  return q;
}

/// conv(DQ(xq), DQ(wq const), bias) -> f32(conv_i32(xq, wq, bias_i32)) * (sx * sw) [+ bias].
Expected<bool> rewriteConv(Module& m, size_t& at) {
  Op& op = *m.ops[at];
  if (op.result->type.dtype != DType::f32)
    return false;
  auto x = dequantized(op.operands[0], -1);
  auto w = dequantized(op.operands[1], 0);
  if (!x || !w || !w->q->isConstant() || !centerWeights(m, *w, 0))
    return false;
  const TensorType& wt = w->q->type;
  int64_t oc = wt.shape[0], per = wt.numElements() / oc;
  std::vector<double> scale(oc);
  for (int64_t c = 0; c < oc; ++c)
    scale[c] = x->scale[0] * (w->scale.size() == 1 ? w->scale[0] : w->scale[c]);
  Bias bias = splitBias(op.operands.size() == 3 ? op.operands[2] : nullptr, scale, oc);
  // The accumulator's bias: -zx * sum(wq) per output channel (the padding reads zx too), plus
  // the integer bias.
  auto wq = values(w->q);
  std::vector<int32_t> acc0(oc);
  for (int64_t c = 0; c < oc; ++c) {
    double sum = 0;
    for (int64_t i = 0; i < per; ++i)
      sum += (*wq)[c * per + i];
    acc0[c] = static_cast<int32_t>(-x->zeroPoint[0] * sum +
                                   (bias.integer.empty() ? 0.0 : bias.integer[c]));
  }
  Value* b = m.addConstant(TensorType{DType::i32, {oc}}, bytesOf(acc0), op.name + ".acc_bias");
  ConvAttrs attrs = op.attr<ConvAttrs>();
  attrs.padValue = static_cast<int64_t>(x->zeroPoint[0]);
  std::string name = op.name;
  Value* result = op.result;
  OutputQuantize q = withOutputScale(m, op, at, scale, bias.floatBias);
  Rewriter r(m, at);
  DNNCC_ASSIGN_OR_RETURN(Value * acc, r.emit(OpKind::Conv, {x->q, w->q, b}, attrs, name));
  DNNCC_ASSIGN_OR_RETURN(Value * y, r.requantize(acc, scale, 1, bias.floatBias, name));
  y->name = result->name; // the ONNX tensor name (a model output keeps its name)
  m.replaceAllUses(result, y);
  if (q.op)
    unitScale(m, q.op);
  return true;
}

/// B [K, N] of an 8-bit constant, transposed from [N, K] when `trans`.
Value* columnsLast(Module& m, Value* b, bool trans) {
  if (!trans)
    return b;
  int64_t n = b->type.shape[0], k = b->type.shape[1];
  std::vector<uint8_t> t(b->data->size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      t[j * n + i] = (*b->data)[i * k + j];
  return m.addConstant(TensorType{b->type.dtype, {k, n}}, std::move(t), b->name + ".t");
}

/// matmul(DQ(a), DQ(B const)) and gemm(DQ(A), DQ(B const), C) (no trans_a, beta 1) ->
/// f32(matmul_i32(a, B) - za * colsum(B) [+ C_i32]) * (alpha * sa * sB) [+ C].
Expected<bool> rewriteMatMul(Module& m, size_t& at) {
  Op& op = *m.ops[at];
  if (op.result->type.dtype != DType::f32 || op.operands[1]->type.rank() != 2 ||
      op.operands[0]->type.rank() < 2)
    return false;
  bool trans = false;
  double alpha = 1;
  Value* c = nullptr;
  if (op.kind == OpKind::Gemm) {
    const auto& g = op.attr<GemmAttrs>();
    if (g.transA || (op.operands.size() == 3 && g.beta != 1))
      return false;
    trans = g.transB;
    alpha = g.alpha;
    c = op.operands.size() == 3 ? op.operands[2] : nullptr;
  }
  auto a = dequantized(op.operands[0], -1);
  auto b = dequantized(op.operands[1], trans ? 0 : 1);
  if (!a || !b || !b->q->isConstant() || !centerWeights(m, *b, trans ? 0 : 1))
    return false;
  Value* bq = columnsLast(m, b->q, trans);
  int64_t k = bq->type.shape[0], n = bq->type.shape[1];
  std::vector<double> scale(n);
  for (int64_t j = 0; j < n; ++j)
    scale[j] = alpha * a->scale[0] * (b->scale.size() == 1 ? b->scale[0] : b->scale[j]);
  Bias bias;
  bias.floatBias = c;
  if (c && c->type.rank() == 1)
    bias = splitBias(c, scale, n);
  auto bv = values(bq);
  std::vector<int32_t> acc0(n);
  bool any = false;
  for (int64_t j = 0; j < n; ++j) {
    double sum = 0;
    for (int64_t i = 0; i < k; ++i)
      sum += (*bv)[i * n + j];
    acc0[j] = static_cast<int32_t>(-a->zeroPoint[0] * sum +
                                   (bias.integer.empty() ? 0.0 : bias.integer[j]));
    any |= acc0[j] != 0;
  }
  std::string name = op.name;
  Value* result = op.result;
  OutputQuantize q = withOutputScale(m, op, at, scale, bias.floatBias);
  Rewriter r(m, at);
  DNNCC_ASSIGN_OR_RETURN(Value * acc, r.emit(OpKind::MatMul, {a->q, bq}, NoAttrs{}, name));
  if (any) {
    Value* b0 = m.addConstant(TensorType{DType::i32, {n}}, bytesOf(acc0), name + ".acc_bias");
    DNNCC_ASSIGN_OR_RETURN(acc, r.emit(OpKind::Add, {acc, b0}, NoAttrs{}, name));
  }
  int rank = acc->type.rank();
  DNNCC_ASSIGN_OR_RETURN(Value * y, r.requantize(acc, scale, rank - 1, nullptr, name));
  if (bias.floatBias) {
    DNNCC_ASSIGN_OR_RETURN(y, r.emit(OpKind::Add, {y, bias.floatBias}, NoAttrs{}, name));
  }
  y->name = result->name; // the ONNX tensor name (a model output keeps its name)
  m.replaceAllUses(result, y);
  if (q.op)
    unitScale(m, q.op);
  return true;
}

} // namespace

Status QdqToInteger::run(Module& m, PassContext& ctx) {
  int rewritten = 0;
  for (size_t i = 0; i < m.ops.size(); ++i) {
    OpKind k = m.ops[i]->kind;
    Expected<bool> done = false;
    if (k == OpKind::Conv)
      done = rewriteConv(m, i);
    else if (k == OpKind::MatMul || k == OpKind::Gemm)
      done = rewriteMatMul(m, i);
    if (!done)
      return done.status();
    rewritten += *done ? 1 : 0;
  }
  m.removeDeadCode();
  if (ctx.remark && rewritten > 0)
    ctx.remark(fmt::format("qdq-to-integer: {} convs and matrix products compute in 8-bit "
                           "integers",
                           rewritten));
  return Status::ok();
}

} // namespace dnncc
