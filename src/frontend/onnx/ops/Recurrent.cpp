// ONNX ops that carry a state along the sequence axis, decomposed into IR ops (the static sequence
// length is unrolled): LinearAttention-27 and CausalConvWithState-27.
#include <cmath>

#include <fmt/format.h>

#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

/// Longest sequence LinearAttention unrolls (each step is a handful of IR ops).
constexpr int64_t kMaxUnrolledSteps = 1024;

/// [B, T, H * D] -> [B, H, T, D].
Expected<Value*> toHeads(Composer& b, Value* x, int64_t heads, const char* what) {
  const auto& s = x->type.shape;
  if (x->type.rank() != 3)
    return b.context().error(
        fmt::format("{} must be 3-D [batch, seq, heads * size], got {}", what, shapeString(s)));
  if (s[2] % heads != 0)
    return b.context().error(
        fmt::format("{} last dimension {} is not a multiple of {} heads", what, s[2], heads));
  DNNCC_ASSIGN_OR_RETURN(Value * r, b.reshape(x, {s[0], s[1], heads, s[2] / heads}));
  return b.transpose(r, {0, 2, 1, 3});
}

/// LinearAttention-27 (the spec's reference recurrence, in float32): per step t, with S the
/// [B, Hkv, dk, dv] state, gated rules decay S *= exp(decay_t), delta rules replace v_t by
/// beta_t * (v_t - S^T k_t), then S += k_t v_t^T and o_t = scale * q_t S (query heads share their
/// group's KV head). Outputs [B, T, Hq * dv] and present_state S (in past_state's type, else
/// query's).
Status linearAttention(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * query, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * key, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * value, c.input(2));
  Value* past = c.optionalInput(3);
  Value* decay = c.optionalInput(4);
  Value* beta = c.optionalInput(5);
  c.ignoreAttr("chunk_size"); // a tuning hint without effect on the results
  std::string rule = c.attrString("update_rule", "gated_delta");
  if (rule != "linear" && rule != "gated" && rule != "delta" && rule != "gated_delta")
    return c.error(
        fmt::format("update_rule='{}' is not linear, gated, delta or gated_delta", rule));
  bool gating = rule == "gated" || rule == "gated_delta";
  bool delta = rule == "delta" || rule == "gated_delta";
  if (gating != (decay != nullptr))
    return c.error(
        fmt::format("update_rule '{}' {} the decay input", rule, gating ? "requires" : "forbids"));
  if (delta != (beta != nullptr))
    return c.error(
        fmt::format("update_rule '{}' {} the beta input", rule, delta ? "requires" : "forbids"));
  if (!c.hasAttr("q_num_heads") || !c.hasAttr("kv_num_heads"))
    return c.error("the q_num_heads and kv_num_heads attributes are required");
  int64_t hq = c.attrInt("q_num_heads", 0), hkv = c.attrInt("kv_num_heads", 0);
  if (hq <= 0 || hkv <= 0 || hq % hkv != 0)
    return c.error(
        fmt::format("q_num_heads={} is not a positive multiple of kv_num_heads={}", hq, hkv));
  DType outType = query->type.dtype;
  if (!isFloat(outType))
    return c.error("query must have a floating-point type");
  const DType f = DType::f32;
  DNNCC_ASSIGN_OR_RETURN(Value * q4, toHeads(b, query, hq, "query"));
  DNNCC_ASSIGN_OR_RETURN(Value * k4, toHeads(b, key, hkv, "key"));
  DNNCC_ASSIGN_OR_RETURN(Value * v4, toHeads(b, value, hkv, "value"));
  DNNCC_ASSIGN_OR_RETURN(q4, b.cast(q4, f));
  DNNCC_ASSIGN_OR_RETURN(k4, b.cast(k4, f));
  DNNCC_ASSIGN_OR_RETURN(v4, b.cast(v4, f));
  int64_t batch = q4->type.shape[0], steps = q4->type.shape[2], dk = q4->type.shape[3],
          dv = v4->type.shape[3];
  if (k4->type.shape != std::vector<int64_t>{batch, hkv, steps, dk} || v4->type.shape[0] != batch ||
      v4->type.shape[2] != steps)
    return c.error(fmt::format("query {}, key {} and value {} do not match",
                               shapeString(query->type.shape), shapeString(key->type.shape),
                               shapeString(value->type.shape)));
  if (steps > kMaxUnrolledSteps)
    return c.error(
        fmt::format("sequence length {} exceeds the unrolling limit {}", steps, kMaxUnrolledSteps));
  Value* expDecay = nullptr; // [B, Hkv, T, dk or 1]
  if (decay) {
    const auto& s = decay->type.shape;
    if (decay->type.rank() != 3 || s[0] != batch || s[1] != steps ||
        (s[2] != hkv && s[2] != hkv * dk))
      return c.error(fmt::format("decay shape {} is not [{},{},{} or {}]", shapeString(s), batch,
                                 steps, hkv, hkv * dk));
    DNNCC_ASSIGN_OR_RETURN(Value * d4, toHeads(b, decay, hkv, "decay"));
    DNNCC_ASSIGN_OR_RETURN(d4, b.cast(d4, f));
    DNNCC_ASSIGN_OR_RETURN(expDecay, b.op(OpKind::Exp, {d4}));
  }
  Value* beta4 = nullptr; // [B, Hkv or 1, T, 1]
  if (beta) {
    const auto& s = beta->type.shape;
    if (beta->type.rank() != 3 || s[0] != batch || s[1] != steps || (s[2] != hkv && s[2] != 1))
      return c.error(
          fmt::format("beta shape {} is not [{},{},{} or 1]", shapeString(s), batch, steps, hkv));
    DNNCC_ASSIGN_OR_RETURN(beta4, toHeads(b, beta, s[2], "beta"));
    DNNCC_ASSIGN_OR_RETURN(beta4, b.cast(beta4, f));
  }
  std::vector<int64_t> stateShape{batch, hkv, dk, dv};
  Value* state;
  DType stateType = outType;
  if (past) {
    if (past->type.shape != stateShape)
      return c.error(fmt::format("past_state shape {} is not {}", shapeString(past->type.shape),
                                 shapeString(stateShape)));
    stateType = past->type.dtype;
    DNNCC_ASSIGN_OR_RETURN(state, b.cast(past, f));
  } else {
    state = b.tensor(f, stateShape, std::vector<double>(numElements(stateShape), 0.0));
  }
  double scale = c.attrFloat("scale", 0.0);
  if (scale == 0.0)
    scale = 1.0 / std::sqrt(static_cast<double>(dk));
  Value* scaleValue = b.scalar(f, scale);
  int64_t group = hq / hkv;
  std::vector<Value*> outs;
  for (int64_t t = 0; t < steps; ++t) {
    DNNCC_ASSIGN_OR_RETURN(Value * qt, b.slice(q4, 2, t, 1)); // [B, Hq, 1, dk]
    DNNCC_ASSIGN_OR_RETURN(Value * kt, b.slice(k4, 2, t, 1)); // [B, Hkv, 1, dk]
    DNNCC_ASSIGN_OR_RETURN(Value * vt, b.slice(v4, 2, t, 1)); // [B, Hkv, 1, dv]
    if (expDecay) {
      DNNCC_ASSIGN_OR_RETURN(Value * g, b.slice(expDecay, 2, t, 1));
      DNNCC_ASSIGN_OR_RETURN(g, b.reshape(g, {batch, hkv, g->type.shape[3], 1}));
      DNNCC_ASSIGN_OR_RETURN(state, b.op(OpKind::Mul, {state, g}));
    }
    if (beta4) {
      DNNCC_ASSIGN_OR_RETURN(Value * retrieved, b.op(OpKind::MatMul, {kt, state}));
      DNNCC_ASSIGN_OR_RETURN(Value * diff, b.op(OpKind::Sub, {vt, retrieved}));
      DNNCC_ASSIGN_OR_RETURN(Value * bt, b.slice(beta4, 2, t, 1));
      DNNCC_ASSIGN_OR_RETURN(vt, b.op(OpKind::Mul, {bt, diff}));
    }
    DNNCC_ASSIGN_OR_RETURN(Value * kcol, b.reshape(kt, {batch, hkv, dk, 1}));
    DNNCC_ASSIGN_OR_RETURN(Value * outer, b.op(OpKind::Mul, {kcol, vt}));
    DNNCC_ASSIGN_OR_RETURN(state, b.op(OpKind::Add, {state, outer}));
    // Query head h reads KV head h / group: [B, Hkv, group, dk] x [B, Hkv, dk, dv].
    DNNCC_ASSIGN_OR_RETURN(Value * qg, b.reshape(qt, {batch, hkv, group, dk}));
    DNNCC_ASSIGN_OR_RETURN(Value * read, b.op(OpKind::MatMul, {qg, state}));
    DNNCC_ASSIGN_OR_RETURN(read, b.op(OpKind::Mul, {read, scaleValue}));
    DNNCC_ASSIGN_OR_RETURN(read, b.reshape(read, {batch, hq, 1, dv}));
    outs.push_back(read);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * o, b.concat(outs, 2)); // [B, Hq, T, dv]
  DNNCC_ASSIGN_OR_RETURN(o, b.transpose(o, {0, 2, 1, 3}));
  DNNCC_ASSIGN_OR_RETURN(o, b.reshape(o, {batch, steps, hq * dv}));
  DNNCC_ASSIGN_OR_RETURN(o, b.cast(o, outType));
  DNNCC_TRY(c.setOutput(0, o));
  DNNCC_ASSIGN_OR_RETURN(Value * present, b.cast(state, stateType));
  return c.setOutput(1, present);
}

/// CausalConvWithState-27: the input [B, C, L] left-padded with past_state [B, C, k-1] (zeros
/// when absent), a depthwise convolution with weight [C, 1, k] (+ bias [C]) over the valid
/// positions, optionally followed by SiLU (activation silu / swish); present_state is the last
/// k-1 positions of the padded input.
Status causalConvWithState(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input(1));
  Value* bias = c.optionalInput(2);
  Value* past = c.optionalInput(3);
  std::string activation = c.attrString("activation", "none");
  if (activation != "none" && activation != "silu" && activation != "swish")
    return c.error(fmt::format("activation='{}' is not none, silu or swish", activation));
  if (x->type.rank() != 3)
    return c.error(
        fmt::format("input {} is not 3-D [batch, channels, length]", shapeString(x->type.shape)));
  int64_t batch = x->type.shape[0], channels = x->type.shape[1], len = x->type.shape[2];
  if (w->type.rank() != 3 || w->type.shape[0] != channels || w->type.shape[1] != 1)
    return c.error(fmt::format("weight {} is not [{},1,k]", shapeString(w->type.shape), channels));
  int64_t k = w->type.shape[2];
  DType t = x->type.dtype;
  if (bias && bias->type.numElements() != channels)
    return c.error(
        fmt::format("bias {} does not have {} elements", shapeString(bias->type.shape), channels));
  std::vector<int64_t> stateShape{batch, channels, k - 1};
  Value* padded = x;
  if (k > 1) {
    Value* pad = past;
    if (pad && pad->type.shape != stateShape)
      return c.error(fmt::format("past_state {} is not {}", shapeString(pad->type.shape),
                                 shapeString(stateShape)));
    if (!pad)
      pad = b.tensor(t, stateShape, std::vector<double>(numElements(stateShape), 0.0));
    DNNCC_ASSIGN_OR_RETURN(padded, b.concat({pad, x}, 2));
  }
  // y[b, c, i] = sum_j padded[b, c, i + j] * w[c, 0, j] (+ bias[c]).
  DNNCC_ASSIGN_OR_RETURN(Value * w3, b.reshape(w, {1, channels, k}));
  Value* y = nullptr;
  for (int64_t j = 0; j < k; ++j) {
    DNNCC_ASSIGN_OR_RETURN(Value * xs, b.slice(padded, 2, j, len));
    DNNCC_ASSIGN_OR_RETURN(Value * wj, b.slice(w3, 2, j, 1));
    DNNCC_ASSIGN_OR_RETURN(Value * term, b.op(OpKind::Mul, {xs, wj}));
    if (!y) {
      y = term;
    } else {
      DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Add, {y, term}));
    }
  }
  if (bias) {
    DNNCC_ASSIGN_OR_RETURN(Value * b3, b.reshape(bias, {1, channels, 1}));
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Add, {y, b3}));
  }
  if (activation != "none") {
    DNNCC_ASSIGN_OR_RETURN(Value * sig, b.op(OpKind::Sigmoid, {y}));
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Mul, {y, sig}));
  }
  DNNCC_TRY(c.setOutput(0, y));
  if (c.hasOutput(1)) {
    if (k == 1)
      return c.error("present_state is empty for kernel size 1 (zero-size tensors are not "
                     "supported)");
    DNNCC_ASSIGN_OR_RETURN(Value * present,
                           b.slice(padded, 2, padded->type.shape[2] - (k - 1), k - 1));
    return c.setOutput(1, present);
  }
  return Status::ok();
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"LinearAttention", 27, kMax, linearAttention},
    {"CausalConvWithState", 27, kMax, causalConvWithState},
};
} // namespace

std::span<const ConverterRow> recurrentConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
