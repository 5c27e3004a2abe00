// ONNX transformer blocks decomposed into IR ops: Attention (opset 23-25: head split, KV cache
// concat, grouped-query head repeat, scaled QK matmul, softcap, additive bias from attn_mask /
// is_causal / windows / nonpad_kv_seqlen, softmax with the fully-masked-row guard, PV matmul),
// RotaryEmbedding and SwiGLU (TensorScatter, the KV cache update, is an IR op: ops/Index.cpp).
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {

Expected<Value*> splitHeads(Composer& b, Value* x, int64_t heads, const char* what) {
  const auto& s = x->type.shape;
  if (heads <= 0 || s[2] % heads != 0)
    return b.context().error(
        fmt::format("{} hidden size {} is not a multiple of {} heads", what, s[2], heads));
  DNNCC_ASSIGN_OR_RETURN(Value * r, b.reshape(x, {s[0], s[1], heads, s[2] / heads}));
  return b.transpose(r, {0, 2, 1, 3});
}

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// [B, Hkv, S, D] -> [B, Hkv * reps, S, D], each head repeated `reps` times in place.
Expected<Value*> repeatHeads(Composer& b, Value* x, int64_t reps) {
  if (reps == 1)
    return x;
  auto s = x->type.shape;
  DNNCC_ASSIGN_OR_RETURN(Value * r, b.reshape(x, {s[0], s[1], 1, s[2], s[3]}));
  DNNCC_ASSIGN_OR_RETURN(r, b.expand(r, {s[0], s[1], reps, s[2], s[3]}));
  return b.reshape(r, {s[0], s[1] * reps, s[2], s[3]});
}

/// Where(disallowed, -inf, 0) as a bias of `dtype`.
Expected<Value*> maskToBias(Composer& b, Value* disallowed, DType dtype) {
  return b.op(OpKind::Where, {disallowed, b.scalar(dtype, kNegInf), b.scalar(dtype, 0)});
}

/// a + b where either may be null (absent bias).
Expected<Value*> addBias(Composer& b, Value* x, Value* y) {
  if (!x)
    return y;
  if (!y)
    return x;
  return b.op(OpKind::Add, {x, y});
}

struct AttentionAttrs {
  bool causal = false;
  int64_t left = -1, right = -1; ///< window sizes, -1 = unbounded (opset 25)
  double softcap = 0;
  int64_t mode = 0;
  std::optional<DType> softmaxType;
};

/// The additive attention bias [.., L, S] of the spec (null when there is none): attn_mask
/// (padded to S keys with -inf / false, bool -> 0 / -inf), the causal frontier j <= i + offset and
/// the window p - left <= j <= p + right (p = offset + i), and with nonpad_kv_seqlen the per-batch
/// offset nonpad - L and the padding mask j < nonpad.
Expected<Value*> attentionBias(Composer& b, const AttentionAttrs& a, Value* mask, Value* nonpad,
                               DType t, int64_t L, int64_t S, int64_t past) {
  NodeContext& c = b.context();
  Value* bias = nullptr;
  if (mask) {
    if (mask->type.rank() < 1 || mask->type.rank() > 4)
      return c.error(fmt::format("attn_mask rank {} is not 1 to 4", mask->type.rank()));
    bool isBool = mask->type.dtype == DType::boolean;
    if (!isBool && mask->type.dtype != t)
      return c.error(fmt::format("attn_mask type {} is neither bool nor the type of Q ({})",
                                 dtypeName(mask->type.dtype), dtypeName(t)));
    int64_t have = mask->type.shape.back();
    if (have > S)
      return c.error(fmt::format("attn_mask has {} keys, more than the {} keys", have, S));
    if (have < S) {
      std::vector<int64_t> padShape = mask->type.shape;
      padShape.back() = S - have;
      int64_t n = numElements(padShape);
      Value* pad = isBool ? b.bools(padShape, std::vector<bool>(n, false))
                          : b.tensor(t, padShape, std::vector<double>(n, kNegInf));
      DNNCC_ASSIGN_OR_RETURN(mask, b.concat({mask, pad}, mask->type.rank() - 1));
    }
    if (isBool) {
      DNNCC_ASSIGN_OR_RETURN(Value * off, b.op(OpKind::Not, {mask}));
      DNNCC_ASSIGN_OR_RETURN(mask, maskToBias(b, off, t));
    }
    bias = mask;
  }
  bool window = a.left >= 0 || a.right >= 0;
  if (!nonpad) {
    if (a.causal || window) { // constant [L, S] with the scalar offset `past`
      std::vector<double> v(L * S, 0);
      for (int64_t i = 0; i < L; ++i)
        for (int64_t j = 0; j < S; ++j) {
          int64_t diff = i + past - j;
          bool allowed = !a.causal || diff >= 0;
          allowed &= a.left < 0 || diff <= a.left;
          allowed &= a.right < 0 || -diff <= a.right;
          v[i * S + j] = allowed ? 0 : kNegInf;
        }
      DNNCC_ASSIGN_OR_RETURN(bias, addBias(b, bias, b.tensor(t, {L, S}, v)));
    }
    return bias;
  }
  // Per-batch offset nonpad[b] - L: each condition compares nonpad with a constant [L, S] table.
  const auto& ns = nonpad->type.shape;
  if (ns.size() != 1)
    return c.error(fmt::format("nonpad_kv_seqlen shape {} is not [batch]", shapeString(ns)));
  DType it = nonpad->type.dtype;
  if (it != DType::i64 && it != DType::i32)
    return c.error("nonpad_kv_seqlen must be int64 or int32");
  DNNCC_ASSIGN_OR_RETURN(Value * n4, b.reshape(nonpad, {ns[0], 1, 1, 1}));
  auto table = [&](auto f) {
    std::vector<double> v(L * S);
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = 0; j < S; ++j)
        v[i * S + j] = static_cast<double>(f(i, j));
    return b.tensor(it, {1, 1, L, S}, v);
  };
  Value* disallowed = nullptr;
  auto orInto = [&](Expected<Value*> cond) -> Status {
    if (!cond)
      return cond.takeStatus();
    if (!disallowed) {
      disallowed = *cond;
      return Status::ok();
    }
    DNNCC_ASSIGN_OR_RETURN(disallowed, b.op(OpKind::Or, {disallowed, *cond}));
    return Status::ok();
  };
  // causal: j <= i + nonpad - L  <=>  nonpad >= j - i + L
  if (a.causal)
    DNNCC_TRY(orInto(
        b.op(OpKind::Greater, {table([&](int64_t i, int64_t j) { return j - i + L; }), n4})));
  // left: i + nonpad - L - j <= left  <=>  nonpad <= left - i + j + L
  if (a.left >= 0)
    DNNCC_TRY(orInto(b.op(OpKind::Greater,
                          {n4, table([&](int64_t i, int64_t j) { return a.left - i + j + L; })})));
  // right: j - (i + nonpad - L) <= right  <=>  nonpad >= j - i + L - right
  if (a.right >= 0)
    DNNCC_TRY(orInto(b.op(OpKind::Less,
                          {n4, table([&](int64_t i, int64_t j) { return j - i + L - a.right; })})));
  // padding: j < nonpad  <=>  j + 1 <= nonpad
  std::vector<double> keyCount(S);
  for (int64_t j = 0; j < S; ++j)
    keyCount[j] = static_cast<double>(j + 1);
  DNNCC_TRY(orInto(b.op(OpKind::Greater, {b.tensor(it, {1, 1, 1, S}, keyCount), n4})));
  DNNCC_ASSIGN_OR_RETURN(Value * padBias, maskToBias(b, disallowed, t));
  return addBias(b, bias, padBias);
}

/// Rows of `bias` [.., L, S] that are -inf everywhere, as a bool [.., L, 1]; null when `bias` is a
/// constant without such rows.
Expected<Value*> fullyMaskedRows(Composer& b, Value* bias) {
  int last = bias->type.rank() - 1;
  DType t = bias->type.dtype;
  if (bias->isConstant() && (t == DType::f32 || t == DType::f64)) {
    int64_t S = bias->type.shape.back(), rows = bias->type.numElements() / std::max<int64_t>(S, 1);
    bool any = false;
    for (int64_t r = 0; r < rows && !any; ++r) {
      bool all = true;
      for (int64_t j = 0; j < S && all; ++j) {
        double v =
            t == DType::f32 ? bias->dataAs<float>()[r * S + j] : bias->dataAs<double>()[r * S + j];
        all = std::isinf(v) && v < 0;
      }
      any = all;
    }
    if (!any)
      return static_cast<Value*>(nullptr);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * isNegInf, b.op(OpKind::Equal, {bias, b.scalar(t, kNegInf)}));
  DNNCC_ASSIGN_OR_RETURN(Value * asNum, b.cast(isNegInf, t));
  DNNCC_ASSIGN_OR_RETURN(Value * minRow, b.reduce(OpKind::ReduceMin, asNum, {last}, true));
  return b.op(OpKind::Equal, {minRow, b.scalar(t, 1)});
}

/// Attention-23/24/25 (the spec's operator definition and reference implementation).
Status attention(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * q, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * k, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(2));
  Value* mask = c.optionalInput(3);
  Value* pastK = c.optionalInput(4);
  Value* pastV = c.optionalInput(5);
  Value* nonpad = c.opset() >= 24 ? c.optionalInput(6) : nullptr;
  AttentionAttrs a;
  a.causal = c.attrInt("is_causal", 0) != 0;
  a.softcap = c.attrFloat("softcap", 0.0);
  a.mode = c.attrInt("qk_matmul_output_mode", 0);
  if (c.opset() >= 25) {
    a.left = c.attrInt("left_window_size", -1);
    a.right = c.attrInt("right_window_size", -1);
    if (a.left < -1 || a.right < -1)
      return c.error("left_window_size and right_window_size must be -1 or nonnegative");
  }
  if (a.mode < 0 || a.mode > 3)
    return c.error(fmt::format("qk_matmul_output_mode={} is not 0 to 3", a.mode));
  if (c.hasAttr("softmax_precision")) {
    int64_t p = c.attrInt("softmax_precision", 1);
    a.softmaxType = dtypeFromOnnx(static_cast<int>(p));
    if (!a.softmaxType || !isFloat(*a.softmaxType))
      return c.error(fmt::format("softmax_precision={} is not a floating-point type", p));
  }
  if ((pastK == nullptr) != (pastV == nullptr))
    return c.error("past_key and past_value must be given together");
  if (nonpad && pastK)
    return c.error("nonpad_kv_seqlen cannot be combined with past_key / past_value");
  int rank = q->type.rank();
  if ((rank != 3 && rank != 4) || k->type.rank() != rank || v->type.rank() != rank)
    return c.error(fmt::format("Q, K, V must all be 3-D or all 4-D, got {}, {}, {}",
                               shapeString(q->type.shape), shapeString(k->type.shape),
                               shapeString(v->type.shape)));
  DType t = q->type.dtype;
  if (!isFloat(t) || k->type.dtype != t || v->type.dtype != t)
    return c.error("Q, K and V must have the same floating-point type");
  if (rank == 3) {
    if (!c.hasAttr("q_num_heads") || !c.hasAttr("kv_num_heads"))
      return c.error("3-D inputs need the q_num_heads and kv_num_heads attributes");
    DNNCC_ASSIGN_OR_RETURN(q, splitHeads(b, q, c.attrInt("q_num_heads", 0), "Q"));
    DNNCC_ASSIGN_OR_RETURN(k, splitHeads(b, k, c.attrInt("kv_num_heads", 0), "K"));
    DNNCC_ASSIGN_OR_RETURN(v, splitHeads(b, v, c.attrInt("kv_num_heads", 0), "V"));
  } else {
    if (c.opset() >= 25 && (c.hasAttr("q_num_heads") || c.hasAttr("kv_num_heads")))
      return c.error("q_num_heads and kv_num_heads must not be given for 4-D inputs");
    c.ignoreAttr("q_num_heads"); // implied by the 4-D shapes (opset 23/24 allow them)
    c.ignoreAttr("kv_num_heads");
  }
  int64_t batch = q->type.shape[0], hq = q->type.shape[1], L = q->type.shape[2],
          d = q->type.shape[3];
  int64_t past = 0;
  if (pastK) {
    if (pastK->type.rank() != 4 || pastV->type.rank() != 4)
      return c.error("past_key and past_value must be 4-D");
    past = pastK->type.shape[2];
    DNNCC_ASSIGN_OR_RETURN(k, b.concat({pastK, k}, 2));
    DNNCC_ASSIGN_OR_RETURN(v, b.concat({pastV, v}, 2));
  }
  DNNCC_TRY(c.setOutput(1, k));
  DNNCC_TRY(c.setOutput(2, v));
  int64_t hkv = k->type.shape[1], S = k->type.shape[2];
  if (k->type.shape[0] != batch || v->type.shape[0] != batch || v->type.shape[1] != hkv ||
      v->type.shape[2] != S || k->type.shape[3] != d)
    return c.error(fmt::format("K {} and V {} do not match Q {}", shapeString(k->type.shape),
                               shapeString(v->type.shape), shapeString(q->type.shape)));
  if (hkv <= 0 || hq % hkv != 0)
    return c.error(fmt::format("{} query heads are not a multiple of {} key/value heads", hq, hkv));
  DNNCC_ASSIGN_OR_RETURN(k, repeatHeads(b, k, hq / hkv));
  DNNCC_ASSIGN_OR_RETURN(v, repeatHeads(b, v, hq / hkv));

  // QK^T with Q and K each scaled by sqrt(scale) (the spec's overflow-safe form).
  double scale = c.hasAttr("scale") ? c.attrFloat("scale", 1.0) : 1.0 / std::sqrt(double(d));
  Value* rootScale = b.scalar(t, std::sqrt(scale));
  DNNCC_ASSIGN_OR_RETURN(Value * qs, b.op(OpKind::Mul, {q, rootScale}));
  DNNCC_ASSIGN_OR_RETURN(Value * kt, b.transpose(k, {0, 1, 3, 2}));
  DNNCC_ASSIGN_OR_RETURN(Value * kts, b.op(OpKind::Mul, {kt, rootScale}));
  DNNCC_ASSIGN_OR_RETURN(Value * qk, b.op(OpKind::MatMul, {qs, kts}));
  Value* qkOut = qk; // mode 0
  if (a.softcap > 0) {
    Value* cap = b.scalar(t, a.softcap);
    DNNCC_ASSIGN_OR_RETURN(Value * z, b.op(OpKind::Div, {qk, cap}));
    DNNCC_ASSIGN_OR_RETURN(z, b.op(OpKind::Tanh, {z}));
    DNNCC_ASSIGN_OR_RETURN(qk, b.op(OpKind::Mul, {z, cap}));
  }
  if (a.mode == 1)
    qkOut = qk;

  DNNCC_ASSIGN_OR_RETURN(Value * bias, attentionBias(b, a, mask, nonpad, t, L, S, past));
  Value* masked = nullptr;
  if (bias) {
    DNNCC_ASSIGN_OR_RETURN(qk, b.op(OpKind::Add, {qk, bias}));
    DNNCC_ASSIGN_OR_RETURN(masked, fullyMaskedRows(b, bias));
  }
  if (a.mode == 2)
    qkOut = qk;

  DType st = a.softmaxType.value_or(t);
  DNNCC_ASSIGN_OR_RETURN(Value * logits, b.cast(qk, st));
  DNNCC_ASSIGN_OR_RETURN(Value * p, b.op(OpKind::Softmax, {logits}, AxisAttrs{3}));
  if (masked) {
    DNNCC_ASSIGN_OR_RETURN(p, b.op(OpKind::Where, {masked, b.scalar(st, 0), p}));
  }
  DNNCC_ASSIGN_OR_RETURN(p, b.cast(p, t));
  if (a.mode == 3)
    qkOut = p;
  DNNCC_TRY(c.setOutput(3, qkOut));

  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::MatMul, {p, v}));
  if (rank == 3) {
    DNNCC_ASSIGN_OR_RETURN(y, b.transpose(y, {0, 2, 1, 3}));
    DNNCC_ASSIGN_OR_RETURN(y, b.reshape(y, {batch, L, hq * v->type.shape[3]}));
  }
  return c.setOutput(0, y);
}

/// The two halves of the last axis of `x` [.., 2h]: split in the middle, or interleaved
/// (even / odd elements) when `interleaved`.
Expected<std::pair<Value*, Value*>> halves(Composer& b, Value* x, bool interleaved) {
  std::vector<int64_t> shape = x->type.shape;
  int last = x->type.rank() - 1;
  int64_t half = shape[last] / 2;
  if (!interleaved) {
    DNNCC_ASSIGN_OR_RETURN(Value * x1, b.slice(x, last, 0, half));
    DNNCC_ASSIGN_OR_RETURN(Value * x2, b.slice(x, last, half, half));
    return std::pair{x1, x2};
  }
  std::vector<int64_t> pairs = shape;
  pairs.back() = half;
  pairs.push_back(2);
  DNNCC_ASSIGN_OR_RETURN(Value * xp, b.reshape(x, pairs));
  DNNCC_ASSIGN_OR_RETURN(Value * x1, b.slice(xp, last + 1, 0, 1));
  DNNCC_ASSIGN_OR_RETURN(Value * x2, b.slice(xp, last + 1, 1, 1));
  pairs.pop_back();
  DNNCC_ASSIGN_OR_RETURN(x1, b.reshape(x1, pairs));
  DNNCC_ASSIGN_OR_RETURN(x2, b.reshape(x2, pairs));
  return std::pair{x1, x2};
}

} // namespace

Expected<Value*> rotate(NodeContext& c, Composer& b, Value* xh, bool headsFirst, Value* cosines,
                        Value* sines, int64_t rdim, bool interleaved) {
  const std::vector<int64_t>& shape = xh->type.shape; // [B, H, S, D] or [B, S, H, D]
  int64_t batch = shape[0], seq = shape[headsFirst ? 2 : 1], d = shape[3];
  if (rdim == 0)
    rdim = d;
  if (rdim < 0 || rdim > d || rdim % 2 != 0)
    return c.error(fmt::format("rotary_embedding_dim={} is not an even size up to {}", rdim, d));
  int64_t half = rdim / 2;
  const std::vector<int64_t>& cs = cosines->type.shape;
  if (cs.size() != 3 || (cs[0] != batch && cs[0] != 1) || cs[1] != seq || cs[2] != half ||
      sines->type.shape != cs)
    return c.error(fmt::format("cos_cache / sin_cache give {} and {}, expected [{},{},{}]",
                               shapeString(cs), shapeString(sines->type.shape), batch, seq, half));
  // Broadcast over heads: [B, 1, S, h] for [B, H, S, D], [B, S, 1, h] for [B, S, H, D].
  std::vector<int64_t> bshape = headsFirst ? std::vector<int64_t>{cs[0], 1, seq, half}
                                           : std::vector<int64_t>{cs[0], seq, 1, half};
  DNNCC_ASSIGN_OR_RETURN(Value * cosB, b.reshape(cosines, bshape));
  DNNCC_ASSIGN_OR_RETURN(Value * sinB, b.reshape(sines, bshape));
  DNNCC_ASSIGN_OR_RETURN(Value * xr, b.slice(xh, 3, 0, rdim));
  DNNCC_ASSIGN_OR_RETURN(auto parts, halves(b, xr, interleaved));
  auto [x1, x2] = parts;
  DNNCC_ASSIGN_OR_RETURN(Value * c1, b.op(OpKind::Mul, {cosB, x1}));
  DNNCC_ASSIGN_OR_RETURN(Value * s2, b.op(OpKind::Mul, {sinB, x2}));
  DNNCC_ASSIGN_OR_RETURN(Value * real, b.op(OpKind::Sub, {c1, s2}));
  DNNCC_ASSIGN_OR_RETURN(Value * s1, b.op(OpKind::Mul, {sinB, x1}));
  DNNCC_ASSIGN_OR_RETURN(Value * c2, b.op(OpKind::Mul, {cosB, x2}));
  DNNCC_ASSIGN_OR_RETURN(Value * imag, b.op(OpKind::Add, {s1, c2}));
  Value* rotated = nullptr;
  if (interleaved) {
    std::vector<int64_t> pairs = real->type.shape;
    pairs.push_back(1);
    DNNCC_ASSIGN_OR_RETURN(Value * r1, b.reshape(real, pairs));
    DNNCC_ASSIGN_OR_RETURN(Value * i1, b.reshape(imag, pairs));
    DNNCC_ASSIGN_OR_RETURN(Value * ri, b.concat({r1, i1}, 4));
    DNNCC_ASSIGN_OR_RETURN(rotated, b.reshape(ri, xr->type.shape));
  } else {
    DNNCC_ASSIGN_OR_RETURN(rotated, b.concat({real, imag}, 3));
  }
  if (rdim == d)
    return rotated;
  DNNCC_ASSIGN_OR_RETURN(Value * rest, b.slice(xh, 3, rdim, d - rdim));
  return b.concat({rotated, rest}, 3);
}

namespace {

/// RotaryEmbedding-23 (the spec's reference implementation): X is [B, H, S, D], or [B, S, N * D]
/// with num_heads; cos / sin come from the caches at position_ids, or are given per [batch, seq]
/// when position_ids is absent.
Status rotaryEmbedding(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * cosCache, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * sinCache, c.input(2));
  Value* positions = c.optionalInput(3);
  int64_t heads = c.attrInt("num_heads", 0);
  std::vector<int64_t> shape = x->type.shape;
  int rank = x->type.rank();
  Value* xh = x; // 4-D [B, H, S, D], or [B, S, H, D] from a 3-D input
  if (rank == 3) {
    if (heads <= 0 || shape[2] % heads != 0)
      return c.error(
          fmt::format("3-D input needs num_heads dividing the hidden size {}", shape[2]));
    DNNCC_ASSIGN_OR_RETURN(xh, b.reshape(x, {shape[0], shape[1], heads, shape[2] / heads}));
  } else if (rank != 4) {
    return c.error(fmt::format("input rank {} is not 3 or 4", rank));
  }
  int64_t batch = shape[0], seq = rank == 4 ? shape[2] : shape[1];
  if (positions) {
    if (positions->type.shape != std::vector<int64_t>{batch, seq})
      return c.error(fmt::format("position_ids shape {} is not [{},{}]",
                                 shapeString(positions->type.shape), batch, seq));
    DNNCC_ASSIGN_OR_RETURN(cosCache, b.op(OpKind::Gather, {cosCache, positions}, AxisAttrs{0}));
    DNNCC_ASSIGN_OR_RETURN(sinCache, b.op(OpKind::Gather, {sinCache, positions}, AxisAttrs{0}));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, rotate(c, b, xh, rank == 4, cosCache, sinCache,
                                           c.attrInt("rotary_embedding_dim", 0),
                                           c.attrInt("interleaved", 0) != 0));
  DNNCC_ASSIGN_OR_RETURN(y, b.reshape(y, shape));
  return c.setOutput(0, y);
}

/// SwiGLU: Y = A * sigmoid(alpha * A) * B (A and B of one shape, alpha default 1).
Status swiglu(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * gate, c.input(1));
  if (!x->type.sameShapeAndDType(gate->type))
    return c.error(fmt::format("A {} and B {} must have the same shape and type", toString(x->type),
                               toString(gate->type)));
  double alpha = c.attrFloat("alpha", 1.0);
  Value* ax = x;
  if (alpha != 1.0) {
    DNNCC_ASSIGN_OR_RETURN(ax, b.op(OpKind::Mul, {x, b.scalar(x->type.dtype, alpha)}));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * sig, b.op(OpKind::Sigmoid, {ax}));
  DNNCC_ASSIGN_OR_RETURN(Value * swish, b.op(OpKind::Mul, {x, sig}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Mul, {swish, gate}));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"Attention", 23, kMax, attention},
    {"RotaryEmbedding", 23, kMax, rotaryEmbedding},
    {"SwiGLU", 28, kMax, swiglu},
};
} // namespace

std::span<const ConverterRow> attentionConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
