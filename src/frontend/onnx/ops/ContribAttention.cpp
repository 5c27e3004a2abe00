// onnxruntime's contrib attention operators (domain com.microsoft), which its transformer
// optimizer emits for BERT- and GPT-2-style models, decomposed into IR ops: Attention (the Q, K, V
// projections fused into one weight), MultiHeadAttention (Q, K and V given) and
// EmbedLayerNormalization (the embedding lookups and layer norm of BERT's input), and
// RotaryEmbedding (of LLMs after its optimizer or onnxruntime-genai's builder). Semantics:
// onnxruntime's docs/ContribOperators.md and its CPU kernels, whose mask conventions these follow
// (a finite mask_filter_value added to excluded scores, so a row with every key excluded gets the
// softmax of its unmasked scores, not NaN); tests/models (model_tests.py contrib) checks each
// against those kernels.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

constexpr std::string_view kMicrosoft = "com.microsoft";

/// The additive mask [B|1, 1, S|1, T] added to the scaled scores of S queries over T keys (past
/// ones first), or null when there is none. From `maskIndex` (int32): key lengths [B] (keys
/// j >= length excluded), [2B] end positions then start positions (j >= end or j < start
/// excluded), or a raw mask [B, T] or [B, S, T] (0 excludes); excluded scores get `filter` added.
/// With `causal`, scores of keys j > i + past are set to the type's lowest value instead.
Expected<Value*> additiveMask(Composer& b, Value* maskIndex, int64_t batch, int64_t S, int64_t T,
                              int64_t past, bool causal, double filter, DType t) {
  NodeContext& c = b.context();
  Value* mask = nullptr;
  if (maskIndex) {
    const std::vector<int64_t>& ms = maskIndex->type.shape;
    DType mt = maskIndex->type.dtype;
    Value* excluded = nullptr;
    if (ms.size() == 1 && (ms[0] == batch || ms[0] == 2 * batch)) {
      std::vector<double> iota(T);
      for (int64_t j = 0; j < T; ++j)
        iota[j] = static_cast<double>(j);
      Value* key = b.tensor(mt, {1, 1, 1, T}, iota);
      DNNCC_ASSIGN_OR_RETURN(Value * end, b.slice(maskIndex, 0, 0, batch));
      DNNCC_ASSIGN_OR_RETURN(end, b.reshape(end, {batch, 1, 1, 1}));
      DNNCC_ASSIGN_OR_RETURN(Value * inside, b.op(OpKind::Less, {key, end}));
      DNNCC_ASSIGN_OR_RETURN(excluded, b.op(OpKind::Not, {inside}));
      if (ms[0] == 2 * batch) {
        DNNCC_ASSIGN_OR_RETURN(Value * start, b.slice(maskIndex, 0, batch, batch));
        DNNCC_ASSIGN_OR_RETURN(start, b.reshape(start, {batch, 1, 1, 1}));
        DNNCC_ASSIGN_OR_RETURN(Value * before, b.op(OpKind::Less, {key, start}));
        DNNCC_ASSIGN_OR_RETURN(excluded, b.op(OpKind::Or, {excluded, before}));
      }
    } else if ((ms.size() == 2 && ms[0] == batch && ms[1] == T) ||
               (ms.size() == 3 && ms[0] == batch && ms[1] == S && ms[2] == T)) {
      DNNCC_ASSIGN_OR_RETURN(Value * m,
                             b.reshape(maskIndex, {batch, 1, ms.size() == 3 ? S : 1, T}));
      DNNCC_ASSIGN_OR_RETURN(Value * kept, b.op(OpKind::Greater, {m, b.scalar(mt, 0)}));
      DNNCC_ASSIGN_OR_RETURN(excluded, b.op(OpKind::Not, {kept}));
    } else {
      return c.error(fmt::format("mask {} is not [{}], [{}], [{}, {}] or [{}, {}, {}] (other "
                                 "mask_index forms are not supported)",
                                 shapeString(ms), batch, 2 * batch, batch, T, batch, S, T));
    }
    DNNCC_ASSIGN_OR_RETURN(mask,
                           b.op(OpKind::Where, {excluded, b.scalar(t, filter), b.scalar(t, 0)}));
  }
  if (causal) {
    std::vector<bool> above(S * T);
    for (int64_t i = 0; i < S; ++i)
      for (int64_t j = 0; j < T; ++j)
        above[i * T + j] = j > i + past;
    Value* base = mask ? mask : b.scalar(t, 0);
    DNNCC_ASSIGN_OR_RETURN(
        mask, b.op(OpKind::Where, {b.bools({1, 1, S, T}, above),
                                   b.scalar(t, std::numeric_limits<float>::lowest()), base}));
  }
  return mask;
}

/// softmax(scale * Q K^T + mask + attentionBias) V for Q [B, N, S, H], K [B, N, T, H] and
/// V [B, N, T, Hv], as [B, S, N * Hv]; `mask` and `attentionBias` may be null.
Expected<Value*> attend(Composer& b, Value* q, Value* k, Value* v, double scale, Value* mask,
                        Value* attentionBias) {
  DType t = q->type.dtype;
  DNNCC_ASSIGN_OR_RETURN(Value * kt, b.transpose(k, {0, 1, 3, 2}));
  DNNCC_ASSIGN_OR_RETURN(Value * scores, b.op(OpKind::MatMul, {q, kt}));
  DNNCC_ASSIGN_OR_RETURN(scores, b.op(OpKind::Mul, {scores, b.scalar(t, scale)}));
  for (Value* add : {mask, attentionBias})
    if (add) {
      DNNCC_ASSIGN_OR_RETURN(scores, b.op(OpKind::Add, {scores, add}));
    }
  DNNCC_ASSIGN_OR_RETURN(Value * p, b.op(OpKind::Softmax, {scores}, AxisAttrs{3}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::MatMul, {p, v}));
  DNNCC_ASSIGN_OR_RETURN(y, b.transpose(y, {0, 2, 1, 3}));
  const auto& s = y->type.shape;
  return b.reshape(y, {s[0], s[1], s[2] * s[3]});
}

/// The attention of Q [B, N, S, H] over K and V [B, N, T, H] (T = past + new keys) with the
/// node's scale (default 1/sqrt(H)), mask (input `maskInput`, unidirectional,
/// mask_filter_value) and attention_bias (input 5); binds output 0 [B, S, N * H].
Status attendAndBind(NodeContext& c, Composer& b, Value* q, Value* k, Value* v, int64_t past,
                     int maskInput) {
  const auto& qs = q->type.shape;
  double scale =
      c.hasAttr("scale") ? c.attrFloat("scale", 1.0) : 1.0 / std::sqrt(static_cast<double>(qs[3]));
  DNNCC_ASSIGN_OR_RETURN(Value * mask,
                         additiveMask(b, c.optionalInput(maskInput), qs[0], qs[2], k->type.shape[2],
                                      past, c.attrInt("unidirectional", 0) != 0,
                                      c.attrFloat("mask_filter_value", -10000.0), q->type.dtype));
  DNNCC_ASSIGN_OR_RETURN(Value * y, attend(b, q, k, v, scale, mask, c.optionalInput(5)));
  return c.setOutput(0, y);
}

/// The required num_heads attribute, positive.
Expected<int64_t> numHeads(NodeContext& c) {
  if (!c.hasAttr("num_heads"))
    return c.error("the required attribute num_heads is missing");
  int64_t n = c.attrInt("num_heads", 0);
  if (n <= 0)
    return c.error(fmt::format("num_heads={} is not positive", n));
  return n;
}

/// `k` and `v` ([B, N, L, H]) with the past keys and values in front along the sequence axis;
/// `past` is [2, B, N, P, H] (Attention) when `pastV` is null, else `past` and `pastV` are the
/// past keys and values [B, N, P, H] (MultiHeadAttention). Returns P.
Expected<int64_t> prependPast(Composer& b, Value* past, Value* pastV, Value*& k, Value*& v) {
  if (!past)
    return int64_t{0};
  NodeContext& c = b.context();
  const auto& ks = k->type.shape;
  Value* pk = past;
  Value* pv = pastV;
  if (!pastV) {
    const auto& ps = past->type.shape;
    if (ps.size() != 5 || ps[0] != 2 || ps[1] != ks[0] || ps[2] != ks[1] || ps[4] != ks[3])
      return c.error(
          fmt::format("past {} is not [2, {}, {}, P, {}]", shapeString(ps), ks[0], ks[1], ks[3]));
    std::vector<int64_t> half{ks[0], ks[1], ps[3], ks[3]};
    DNNCC_ASSIGN_OR_RETURN(pk, b.slice(past, 0, 0, 1));
    DNNCC_ASSIGN_OR_RETURN(pk, b.reshape(pk, half));
    DNNCC_ASSIGN_OR_RETURN(pv, b.slice(past, 0, 1, 1));
    DNNCC_ASSIGN_OR_RETURN(pv, b.reshape(pv, half));
  }
  for (auto [p, x] : {std::pair{pk, k}, std::pair{pv, v}}) {
    const auto& s = p->type.shape;
    if (s.size() != 4 || s[0] != x->type.shape[0] || s[1] != x->type.shape[1] ||
        s[3] != x->type.shape[3] || s[2] != pk->type.shape[2])
      return c.error(fmt::format("past {} does not match the new keys or values {}", shapeString(s),
                                 shapeString(x->type.shape)));
  }
  DNNCC_ASSIGN_OR_RETURN(k, b.concat({pk, k}, 2));
  DNNCC_ASSIGN_OR_RETURN(v, b.concat({pv, v}, 2));
  return pk->type.shape[2];
}

/// Attention: input [B, S, Din] projected by weights [Din, Dq + Dk + Dv] (+ bias) into Q, K and V
/// (qkv_hidden_sizes, or three equal parts), num_heads heads; optional mask_index, past
/// [2, B, N, P, H] (present = past and new keys/values [2, B, N, P + S, H]), attention_bias
/// [B|1, N|1, S, T]; scale 1/sqrt(head size) by default; unidirectional = causal.
Status attention(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(int64_t heads, numHeads(c));
  if (c.attrInt("do_rotary", 0) != 0 || c.attrInt("past_present_share_buffer", 0) != 0 ||
      c.hasInput(6))
    return c.error("do_rotary, past_present_share_buffer and past_sequence_length are not "
                   "supported");
  c.ignoreAttr("rotary_embedding_dim"); // read only with do_rotary
  if (x->type.rank() != 3 || w->type.rank() != 2 || w->type.shape[0] != x->type.shape[2])
    return c.error(fmt::format("input {} and weights {} must be [B, S, D] and [D, Dq + Dk + Dv]",
                               shapeString(x->type.shape), shapeString(w->type.shape)));
  int64_t batch = x->type.shape[0], total = w->type.shape[1];
  std::vector<int64_t> sizes(3, total / 3);
  if (c.hasAttr("qkv_hidden_sizes"))
    sizes = c.attrInts("qkv_hidden_sizes");
  if (sizes.size() != 3 || sizes[0] != sizes[1] || sizes[0] + sizes[1] + sizes[2] != total ||
      sizes[0] % heads != 0 || sizes[2] % heads != 0)
    return c.error(fmt::format("qkv sizes [{}] do not split the weights' {} columns into Q and K "
                               "of one size and V, each a multiple of {} heads",
                               fmt::join(sizes, ","), total, heads));
  DNNCC_ASSIGN_OR_RETURN(Value * proj, b.op(OpKind::MatMul, {x, w}));
  if (Value* bias = c.optionalInput(2)) {
    DNNCC_ASSIGN_OR_RETURN(proj, b.op(OpKind::Add, {proj, bias}));
  }
  std::vector<Value*> qkv;
  int64_t at = 0;
  for (int64_t size : sizes) {
    DNNCC_ASSIGN_OR_RETURN(Value * part, b.slice(proj, 2, at, size));
    DNNCC_ASSIGN_OR_RETURN(part, splitHeads(b, part, heads, "Q/K/V"));
    qkv.push_back(part);
    at += size;
  }
  Value *q = qkv[0], *k = qkv[1], *v = qkv[2];
  DNNCC_ASSIGN_OR_RETURN(int64_t past, prependPast(b, c.optionalInput(4), nullptr, k, v));
  if (c.hasOutput(1)) {
    std::vector<int64_t> one{1, batch, heads, k->type.shape[2], k->type.shape[3]};
    DNNCC_ASSIGN_OR_RETURN(Value * pk, b.reshape(k, one));
    DNNCC_ASSIGN_OR_RETURN(Value * pv, b.reshape(v, one));
    DNNCC_ASSIGN_OR_RETURN(Value * present, b.concat({pk, pv}, 0));
    DNNCC_TRY(c.setOutput(1, present));
  }
  return attendAndBind(c, b, q, k, v, past, 3);
}

/// MultiHeadAttention: query [B, S, D], key [B, L, D] and value [B, L, Dv] (each + its part of
/// bias [D + D + Dv]), num_heads heads; optional key_padding_mask (the forms of Attention's
/// mask_index), attention_bias [B|1, N|1, S, T], past_key / past_value [B, N, P, H] (outputs
/// present_key / present_value [B, N, P + L, H]); unidirectional = causal. The packed Q/K/V and
/// K/V forms and keys and values given per head ([B, N, L, H]) are not supported.
Status multiHeadAttention(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * q, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(int64_t heads, numHeads(c));
  Value* k = c.optionalInput(1);
  Value* v = c.optionalInput(2);
  if (!k || !v || q->type.rank() != 3 || k->type.rank() != 3 || v->type.rank() != 3)
    return c.error("query, key and value must each be given as [batch, sequence, hidden] (packed "
                   "and per-head forms are not supported)");
  if (c.hasInput(8) || c.hasInput(9) || c.hasOutput(3))
    return c.error("past_sequence_length, cache_indirection and the qk output are not supported");
  int64_t batch = q->type.shape[0], d = q->type.shape[2];
  int64_t dv = v->type.shape[2];
  if (k->type.shape[0] != batch || v->type.shape[0] != batch ||
      k->type.shape[1] != v->type.shape[1] || k->type.shape[2] != d)
    return c.error(fmt::format("query {}, key {} and value {} do not match",
                               shapeString(q->type.shape), shapeString(k->type.shape),
                               shapeString(v->type.shape)));
  if (Value* bias = c.optionalInput(3)) {
    if (bias->type.shape != std::vector<int64_t>{d + d + dv})
      return c.error(fmt::format("bias {} is not [{}]", shapeString(bias->type.shape), d + d + dv));
    int64_t at = 0;
    for (Value** x : {&q, &k, &v}) {
      int64_t size = (*x)->type.shape[2];
      DNNCC_ASSIGN_OR_RETURN(Value * part, b.slice(bias, 0, at, size));
      DNNCC_ASSIGN_OR_RETURN(*x, b.op(OpKind::Add, {*x, part}));
      at += size;
    }
  }
  DNNCC_ASSIGN_OR_RETURN(q, splitHeads(b, q, heads, "query"));
  DNNCC_ASSIGN_OR_RETURN(k, splitHeads(b, k, heads, "key"));
  DNNCC_ASSIGN_OR_RETURN(v, splitHeads(b, v, heads, "value"));
  Value* pastK = c.optionalInput(6);
  Value* pastV = c.optionalInput(7);
  if ((pastK == nullptr) != (pastV == nullptr))
    return c.error("past_key and past_value must be given together");
  DNNCC_ASSIGN_OR_RETURN(int64_t past, prependPast(b, pastK, pastV, k, v));
  DNNCC_TRY(c.setOutput(1, k));
  DNNCC_TRY(c.setOutput(2, v));
  return attendAndBind(c, b, q, k, v, past, 4);
}

/// EmbedLayerNormalization: e = word_embedding[input_ids] + position_embedding[position_ids, or
/// 0..S-1] (+ segment_embedding[segment_ids]); output = LayerNorm(e) over the hidden axis * gamma
/// + beta (epsilon 1e-12 by default); mask_index = the number of non-zero entries of each mask
/// row (int32 [B], zeros without a mask, as onnxruntime's CPU kernel); embedding_sum = e.
Status embedLayerNorm(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * ids, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * word, c.input(2));
  DNNCC_ASSIGN_OR_RETURN(Value * position, c.input(3));
  DNNCC_ASSIGN_OR_RETURN(Value * gamma, c.input(5));
  DNNCC_ASSIGN_OR_RETURN(Value * beta, c.input(6));
  c.ignoreAttr("mask_index_type"); // a shape-inference hint
  if (ids->type.rank() != 2 || word->type.rank() != 2 || position->type.rank() != 2 ||
      position->type.shape[1] != word->type.shape[1])
    return c.error(fmt::format("input_ids {}, word_embedding {} and position_embedding {} must be "
                               "[B, S], [V, H] and [P, H]",
                               shapeString(ids->type.shape), shapeString(word->type.shape),
                               shapeString(position->type.shape)));
  int64_t batch = ids->type.shape[0], S = ids->type.shape[1];
  DNNCC_ASSIGN_OR_RETURN(Value * e, b.op(OpKind::Gather, {word, ids}, AxisAttrs{0}));
  Value* pos = nullptr;
  if (Value* positionIds = c.optionalInput(8)) {
    DNNCC_ASSIGN_OR_RETURN(pos, b.op(OpKind::Gather, {position, positionIds}, AxisAttrs{0}));
  } else {
    if (position->type.shape[0] < S)
      return c.error(fmt::format("position_embedding has {} rows for a sequence of {}",
                                 position->type.shape[0], S));
    DNNCC_ASSIGN_OR_RETURN(pos, b.slice(position, 0, 0, S));
  }
  DNNCC_ASSIGN_OR_RETURN(e, b.op(OpKind::Add, {e, pos}));
  Value* segmentIds = c.optionalInput(1);
  Value* segment = c.optionalInput(4);
  if ((segmentIds == nullptr) != (segment == nullptr))
    return c.error("segment_ids and segment_embedding must be given together");
  if (segment) {
    DNNCC_ASSIGN_OR_RETURN(Value * s, b.op(OpKind::Gather, {segment, segmentIds}, AxisAttrs{0}));
    DNNCC_ASSIGN_OR_RETURN(e, b.op(OpKind::Add, {e, s}));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::LayerNorm, {e, gamma, beta},
                                         LayerNormAttrs{2, c.attrFloat("epsilon", 1e-12)}));
  DNNCC_TRY(c.setOutput(0, y));
  if (c.hasOutput(1)) {
    Value* count = nullptr;
    if (Value* mask = c.optionalInput(7)) {
      DNNCC_ASSIGN_OR_RETURN(Value * zero,
                             b.op(OpKind::Equal, {mask, b.scalar(mask->type.dtype, 0)}));
      DNNCC_ASSIGN_OR_RETURN(Value * one, b.op(OpKind::Not, {zero}));
      DNNCC_ASSIGN_OR_RETURN(one, b.cast(one, DType::i32));
      DNNCC_ASSIGN_OR_RETURN(count, b.reduce(OpKind::ReduceSum, one, {1}, false));
    } else {
      count = b.tensor(DType::i32, {batch}, std::vector<double>(batch, 0.0));
    }
    DNNCC_TRY(c.setOutput(1, count));
  }
  return c.setOutput(2, e);
}

/// com.microsoft RotaryEmbedding: input [B, S, N * H] or [B, N, S, H]; position_ids [B, S], or
/// one element: the position of the first token (positions offset + 0 .. S - 1); cos_cache and
/// sin_cache [max positions, rotary_embedding_dim / 2]. Without rotary_embedding_dim the head size
/// is twice the caches' width and num_heads, when not given, the hidden size over it (onnxruntime's
/// rotary_embedding_helper.h). The rotation is ONNX RotaryEmbedding-23's (rotate()).
Status rotaryEmbedding(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * positions, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * cosCache, c.input(2));
  DNNCC_ASSIGN_OR_RETURN(Value * sinCache, c.input(3));
  if (c.attrInt("is_packed_batching", 0) != 0)
    return c.error("is_packed_batching=1 (packed sequences) is not supported");
  int64_t rdim = c.attrInt("rotary_embedding_dim", 0);
  int64_t heads = c.attrInt("num_heads", 0);
  const std::vector<int64_t>& shape = x->type.shape;
  const std::vector<int64_t>& cs = cosCache->type.shape;
  if (cs.size() != 2 || sinCache->type.shape != cs)
    return c.error(fmt::format("cos_cache {} and sin_cache {} must be the same 2-D shape",
                               shapeString(cs), shapeString(sinCache->type.shape)));
  if (rdim > 0 && heads <= 0)
    return c.error("rotary_embedding_dim needs num_heads");
  int rank = x->type.rank();
  if (rank != 3 && rank != 4)
    return c.error(fmt::format("input rank {} is not 3 or 4", rank));
  int64_t batch = shape[0], seq = shape[rank == 4 ? 2 : 1];
  Value* xh = x;
  if (rank == 3) {
    int64_t headSize = rdim == 0 ? 2 * cs[1] : (heads > 0 ? shape[2] / heads : 0);
    if (heads <= 0 && headSize > 0)
      heads = shape[2] / headSize;
    if (headSize <= 0 || heads <= 0 || heads * headSize != shape[2])
      return c.error(fmt::format("hidden size {} is not num_heads={} heads of {} elements",
                                 shape[2], heads, headSize));
    DNNCC_ASSIGN_OR_RETURN(xh, b.reshape(x, {batch, seq, heads, headSize}));
  }
  if (rdim == 0)
    rdim = 2 * cs[1];
  Value* indices = positions;
  if (positions->type.numElements() == 1) {
    std::vector<double> steps(static_cast<size_t>(seq));
    for (int64_t s = 0; s < seq; ++s)
      steps[static_cast<size_t>(s)] = static_cast<double>(s);
    DNNCC_ASSIGN_OR_RETURN(Value * first, b.reshape(positions, {1}));
    DNNCC_ASSIGN_OR_RETURN(first, b.cast(first, DType::i64));
    DNNCC_ASSIGN_OR_RETURN(indices,
                           b.op(OpKind::Add, {b.tensor(DType::i64, {1, seq}, steps), first}));
  } else if (positions->type.shape != std::vector<int64_t>{batch, seq}) {
    return c.error(fmt::format("position_ids shape {} is not [{},{}] or one element",
                               shapeString(positions->type.shape), batch, seq));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * cosines, b.op(OpKind::Gather, {cosCache, indices}, AxisAttrs{0}));
  DNNCC_ASSIGN_OR_RETURN(Value * sines, b.op(OpKind::Gather, {sinCache, indices}, AxisAttrs{0}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, rotate(c, b, xh, rank == 4, cosines, sines, rdim,
                                           c.attrInt("interleaved", 0) != 0));
  DNNCC_ASSIGN_OR_RETURN(y, b.reshape(y, shape));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"RotaryEmbedding", 1, kMax, rotaryEmbedding, kMicrosoft},
    {"Attention", 1, kMax, attention, kMicrosoft},
    {"MultiHeadAttention", 1, kMax, multiHeadAttention, kMicrosoft},
    {"EmbedLayerNormalization", 1, kMax, embedLayerNorm, kMicrosoft},
};

} // namespace

std::span<const ConverterRow> contribAttentionConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
