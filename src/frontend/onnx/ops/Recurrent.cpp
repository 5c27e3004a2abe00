// ONNX ops that carry a state along the sequence axis, decomposed into IR ops (the static sequence
// length is unrolled): LinearAttention-27, RNN, GRU and LSTM
// (CausalConvWithState is a depthwise conv: ops/Conv.cpp).
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

/// The recurrent cell kinds of ONNX RNN, GRU and LSTM (opset 7+ forms).
enum class Cell { rnn, gru, lstm };

/// One activation function of the `activations` attribute (Sigmoid, Tanh, Relu).
Expected<Value*> activate(Composer& b, const std::string& name, Value* x) {
  if (name == "Sigmoid")
    return b.op(OpKind::Sigmoid, {x});
  if (name == "Tanh")
    return b.op(OpKind::Tanh, {x});
  if (name == "Relu")
    return b.op(OpKind::Relu, {x});
  return b.context().error(fmt::format("activation '{}' is not supported", name));
}

/// Rows [gate * hidden, (gate + 1) * hidden) of `m` [dirs, G * hidden, n] for direction `dir`,
/// transposed to [n, hidden] (the right operand of x * W^T; gate 0 with G * hidden rows: all
/// gates).
Expected<Value*> gateMatrix(Composer& b, Value* m, int64_t dir, int64_t gate, int64_t hidden) {
  DNNCC_ASSIGN_OR_RETURN(Value * d, b.slice(m, 0, dir, 1));
  DNNCC_ASSIGN_OR_RETURN(d, b.slice(d, 1, gate * hidden, hidden));
  DNNCC_ASSIGN_OR_RETURN(d, b.reshape(d, {hidden, m->type.shape[2]}));
  return b.transpose(d, {1, 0});
}

/// Elements [offset, offset + hidden) of row `dir` of `v` [dirs, n], as [hidden].
Expected<Value*> rowPart(Composer& b, Value* v, int64_t dir, int64_t offset, int64_t hidden) {
  DNNCC_ASSIGN_OR_RETURN(Value * r, b.slice(v, 0, dir, 1));
  DNNCC_ASSIGN_OR_RETURN(r, b.slice(r, 1, offset, hidden));
  return b.reshape(r, {hidden});
}

/// RNN / GRU / LSTM (ONNX opset 7-22 forms; the spec's equations), unrolled over the static
/// sequence length. Gate order: GRU z, r, h; LSTM i, o, f, c; peepholes P = [Pi, Po, Pf].
/// sequence_lens is honoured at run time: steps at or past a batch entry's length keep its state
/// and give zero outputs, so a reverse direction starts at step length - 1 from the initial state.
template <Cell K> Status recurrent(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * r, c.input(2));
  Value* bias = c.optionalInput(3);
  Value* seqLens = c.optionalInput(4);
  Value* initH = c.optionalInput(5);
  Value* initC = K == Cell::lstm ? c.optionalInput(6) : nullptr;
  Value* peep = K == Cell::lstm ? c.optionalInput(7) : nullptr;
  const int gates = K == Cell::rnn ? 1 : K == Cell::gru ? 3 : 4;
  DNNCC_ASSIGN_OR_RETURN(int64_t hidden, c.requireInt("hidden_size"));
  std::string direction = c.attrString("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return c.error(
        fmt::format("direction='{}' is not forward, reverse or bidirectional", direction));
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  bool batchFirst = c.opset() >= 14 && c.attrInt("layout", 0) != 0;
  bool linearBeforeReset = K == Cell::gru && c.attrInt("linear_before_reset", 0) != 0;
  if (K == Cell::lstm && c.attrInt("input_forget", 0) != 0)
    return c.error("input_forget=1 is not supported");
  if (!c.attrFloats("activation_alpha").empty() || !c.attrFloats("activation_beta").empty())
    return c.error("activation_alpha / activation_beta are not supported");
  std::vector<std::string> acts;
  for (int64_t d = 0; d < dirs; ++d)
    for (const char* a : K == Cell::rnn   ? std::vector<const char*>{"Tanh"}
                         : K == Cell::gru ? std::vector<const char*>{"Sigmoid", "Tanh"}
                                          : std::vector<const char*>{"Sigmoid", "Tanh", "Tanh"})
      acts.push_back(a);
  if (c.hasAttr("activations")) {
    const onnx::AttributeProto* attr = nullptr;
    for (const auto& a : c.node().attribute())
      if (a.name() == "activations")
        attr = &a;
    c.ignoreAttr("activations");
    if (static_cast<size_t>(attr->strings_size()) != acts.size())
      return c.error(fmt::format("activations has {} entries, expected {}", attr->strings_size(),
                                 acts.size()));
    for (int i = 0; i < attr->strings_size(); ++i)
      acts[i] = attr->strings(i);
  }
  std::optional<double> clip;
  if (c.hasAttr("clip"))
    clip = c.attrFloat("clip", 0.0);

  if (x->type.rank() != 3)
    return c.error(fmt::format("X {} is not 3-D", shapeString(x->type.shape)));
  DType t = x->type.dtype;
  if (batchFirst) {
    DNNCC_ASSIGN_OR_RETURN(x, b.transpose(x, {1, 0, 2}));
  }
  int64_t steps = x->type.shape[0], batch = x->type.shape[1], inputSize = x->type.shape[2];
  if (steps > kMaxUnrolledSteps)
    return c.error(
        fmt::format("sequence length {} exceeds the unrolling limit {}", steps, kMaxUnrolledSteps));
  if (w->type.shape != std::vector<int64_t>{dirs, gates * hidden, inputSize} ||
      r->type.shape != std::vector<int64_t>{dirs, gates * hidden, hidden})
    return c.error(fmt::format("W {} / R {} do not match [{},{},{}] / [{},{},{}]",
                               shapeString(w->type.shape), shapeString(r->type.shape), dirs,
                               gates * hidden, inputSize, dirs, gates * hidden, hidden));
  if (bias && bias->type.shape != std::vector<int64_t>{dirs, 2 * gates * hidden})
    return c.error(fmt::format("B {} is not [{},{}]", shapeString(bias->type.shape), dirs,
                               2 * gates * hidden));
  if (peep && peep->type.shape != std::vector<int64_t>{dirs, 3 * hidden})
    return c.error(
        fmt::format("P {} is not [{},{}]", shapeString(peep->type.shape), dirs, 3 * hidden));
  auto initial = [&](Value* v, const char* what) -> Expected<Value*> {
    if (!v)
      return b.tensor(t, {dirs, batch, hidden}, std::vector<double>(dirs * batch * hidden, 0.0));
    if (batchFirst) {
      DNNCC_ASSIGN_OR_RETURN(v, b.transpose(v, {1, 0, 2}));
    }
    if (v->type.shape != std::vector<int64_t>{dirs, batch, hidden})
      return c.error(fmt::format("{} {} is not [{},{},{}]", what, shapeString(v->type.shape), dirs,
                                 batch, hidden));
    return v;
  };
  DNNCC_ASSIGN_OR_RETURN(Value * h0, initial(initH, "initial_h"));
  DNNCC_ASSIGN_OR_RETURN(Value * c0, initial(initC, "initial_c"));
  Value* lenMask = nullptr; // [B, 1] lengths, when they can differ from the sequence length
  if (seqLens) {
    bool allFull = seqLens->isConstant();
    if (allFull)
      for (int64_t n : constantAsInts(*seqLens))
        allFull &= n == steps;
    if (!allFull) {
      DNNCC_ASSIGN_OR_RETURN(lenMask, b.reshape(seqLens, {batch, 1}));
    }
  }
  auto preact = [&](Value* v) -> Expected<Value*> {
    if (!clip)
      return v;
    return b.op(OpKind::Clip, {v}, ClipAttrs{-*clip, *clip});
  };

  std::vector<Value*> yDirs, hLast, cLast;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    // x W^T + Wb for all steps and gates at once: one [S*B, I] x [I, G*H] product (a 2-D matmul
    // tiles the S*B rows and is large enough for threads; per-gate or batched products would
    // redo small ones), stored [S*G, B, H] so that each step's gate is one contiguous slice (a
    // view, not a copy); R_g^T and Rb_g per gate, as each step's gate kernel reads them.
    DNNCC_ASSIGN_OR_RETURN(Value * rows, b.reshape(x, {steps * batch, inputSize}));
    DNNCC_ASSIGN_OR_RETURN(Value * wAll, gateMatrix(b, w, d, 0, gates * hidden));
    DNNCC_ASSIGN_OR_RETURN(Value * xw, b.op(OpKind::MatMul, {rows, wAll}));
    if (bias) {
      DNNCC_ASSIGN_OR_RETURN(Value * wb, rowPart(b, bias, d, 0, gates * hidden));
      DNNCC_ASSIGN_OR_RETURN(xw, b.op(OpKind::Add, {xw, wb}));
    }
    DNNCC_ASSIGN_OR_RETURN(xw, b.reshape(xw, {steps, batch, gates, hidden}));
    if (batch > 1) {
      DNNCC_ASSIGN_OR_RETURN(xw, b.transpose(xw, {0, 2, 1, 3}));
    }
    DNNCC_ASSIGN_OR_RETURN(xw, b.reshape(xw, {steps * gates, batch, hidden}));
    std::vector<Value*> rT(gates), rb(gates, nullptr);
    for (int g = 0; g < gates; ++g) {
      DNNCC_ASSIGN_OR_RETURN(rT[g], gateMatrix(b, r, d, g, hidden));
      if (bias) {
        DNNCC_ASSIGN_OR_RETURN(rb[g], rowPart(b, bias, d, (gates + g) * hidden, hidden));
      }
    }
    std::vector<Value*> p(3, nullptr);
    if (peep)
      for (int i = 0; i < 3; ++i) {
        DNNCC_ASSIGN_OR_RETURN(p[i], rowPart(b, peep, d, i * hidden, hidden));
      }
    const std::string* fAct = &acts[d * (gates == 1 ? 1 : gates == 3 ? 2 : 3)];
    DNNCC_ASSIGN_OR_RETURN(Value * h, b.slice(h0, 0, d, 1));
    DNNCC_ASSIGN_OR_RETURN(h, b.reshape(h, {batch, hidden}));
    DNNCC_ASSIGN_OR_RETURN(Value * cell, b.slice(c0, 0, d, 1));
    DNNCC_ASSIGN_OR_RETURN(cell, b.reshape(cell, {batch, hidden}));
    std::vector<Value*> ys(steps);
    for (int64_t i = 0; i < steps; ++i) {
      int64_t step = reverse ? steps - 1 - i : i;
      // gate g pre-activation: x_t W_g^T + Wb_g + h R_g^T + Rb_g
      auto xPart = [&](int g) -> Expected<Value*> {
        DNNCC_ASSIGN_OR_RETURN(Value * v, b.slice(xw, 0, step * gates + g, 1));
        return b.reshape(v, {batch, hidden});
      };
      auto hPart = [&](int g, Value* state) -> Expected<Value*> {
        DNNCC_ASSIGN_OR_RETURN(Value * v, b.op(OpKind::MatMul, {state, rT[g]}));
        if (rb[g]) {
          DNNCC_ASSIGN_OR_RETURN(v, b.op(OpKind::Add, {v, rb[g]}));
        }
        return v;
      };
      auto gate = [&](int g, Value* extra) -> Expected<Value*> {
        DNNCC_ASSIGN_OR_RETURN(Value * a, xPart(g));
        DNNCC_ASSIGN_OR_RETURN(Value * hr, hPart(g, h));
        DNNCC_ASSIGN_OR_RETURN(a, b.op(OpKind::Add, {a, hr}));
        if (extra) {
          DNNCC_ASSIGN_OR_RETURN(a, b.op(OpKind::Add, {a, extra}));
        }
        return preact(a);
      };
      Value* hNew = nullptr;
      Value* cNew = cell;
      if constexpr (K == Cell::rnn) {
        DNNCC_ASSIGN_OR_RETURN(Value * a, gate(0, nullptr));
        DNNCC_ASSIGN_OR_RETURN(hNew, activate(b, fAct[0], a));
      } else if constexpr (K == Cell::gru) {
        DNNCC_ASSIGN_OR_RETURN(Value * za, gate(0, nullptr));
        DNNCC_ASSIGN_OR_RETURN(Value * z, activate(b, fAct[0], za));
        DNNCC_ASSIGN_OR_RETURN(Value * ra, gate(1, nullptr));
        DNNCC_ASSIGN_OR_RETURN(Value * rg, activate(b, fAct[0], ra));
        DNNCC_ASSIGN_OR_RETURN(Value * ha, xPart(2));
        Value* hr;
        if (linearBeforeReset) { // r * (h R_h^T + Rb_h)
          DNNCC_ASSIGN_OR_RETURN(hr, hPart(2, h));
          DNNCC_ASSIGN_OR_RETURN(hr, b.op(OpKind::Mul, {rg, hr}));
        } else { // (r * h) R_h^T + Rb_h
          DNNCC_ASSIGN_OR_RETURN(Value * rh, b.op(OpKind::Mul, {rg, h}));
          DNNCC_ASSIGN_OR_RETURN(hr, hPart(2, rh));
        }
        DNNCC_ASSIGN_OR_RETURN(ha, b.op(OpKind::Add, {ha, hr}));
        DNNCC_ASSIGN_OR_RETURN(ha, preact(ha));
        DNNCC_ASSIGN_OR_RETURN(Value * hc, activate(b, fAct[1], ha));
        // H = (1 - z) * hc + z * H_prev
        DNNCC_ASSIGN_OR_RETURN(Value * oneMinus, b.op(OpKind::Sub, {b.scalar(t, 1), z}));
        DNNCC_ASSIGN_OR_RETURN(Value * keep, b.op(OpKind::Mul, {z, h}));
        DNNCC_ASSIGN_OR_RETURN(hNew, b.op(OpKind::Mul, {oneMinus, hc}));
        DNNCC_ASSIGN_OR_RETURN(hNew, b.op(OpKind::Add, {hNew, keep}));
      } else {
        Value* pi = nullptr;
        Value* pf = nullptr;
        if (peep) {
          DNNCC_ASSIGN_OR_RETURN(pi, b.op(OpKind::Mul, {p[0], cell}));
          DNNCC_ASSIGN_OR_RETURN(pf, b.op(OpKind::Mul, {p[2], cell}));
        }
        DNNCC_ASSIGN_OR_RETURN(Value * ia, gate(0, pi));
        DNNCC_ASSIGN_OR_RETURN(Value * ig, activate(b, fAct[0], ia));
        DNNCC_ASSIGN_OR_RETURN(Value * fa, gate(2, pf));
        DNNCC_ASSIGN_OR_RETURN(Value * fg, activate(b, fAct[0], fa));
        DNNCC_ASSIGN_OR_RETURN(Value * ca, gate(3, nullptr));
        DNNCC_ASSIGN_OR_RETURN(Value * cg, activate(b, fAct[1], ca));
        DNNCC_ASSIGN_OR_RETURN(Value * fc, b.op(OpKind::Mul, {fg, cell}));
        DNNCC_ASSIGN_OR_RETURN(Value * ic, b.op(OpKind::Mul, {ig, cg}));
        DNNCC_ASSIGN_OR_RETURN(cNew, b.op(OpKind::Add, {fc, ic}));
        Value* po = nullptr;
        if (peep) {
          DNNCC_ASSIGN_OR_RETURN(po, b.op(OpKind::Mul, {p[1], cNew}));
        }
        DNNCC_ASSIGN_OR_RETURN(Value * oa, gate(1, po));
        DNNCC_ASSIGN_OR_RETURN(Value * og, activate(b, fAct[0], oa));
        DNNCC_ASSIGN_OR_RETURN(Value * hc, activate(b, fAct[2], cNew));
        DNNCC_ASSIGN_OR_RETURN(hNew, b.op(OpKind::Mul, {og, hc}));
      }
      Value* y = hNew;
      if (lenMask) { // steps at or past a batch entry's length keep the state, output 0
        Value* stepValue = b.scalar(lenMask->type.dtype, static_cast<double>(step));
        DNNCC_ASSIGN_OR_RETURN(Value * live, b.op(OpKind::Less, {stepValue, lenMask}));
        DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Where, {live, hNew, b.scalar(t, 0)}));
        DNNCC_ASSIGN_OR_RETURN(hNew, b.op(OpKind::Where, {live, hNew, h}));
        DNNCC_ASSIGN_OR_RETURN(cNew, b.op(OpKind::Where, {live, cNew, cell}));
      }
      h = hNew;
      cell = cNew;
      DNNCC_ASSIGN_OR_RETURN(ys[step], b.reshape(y, {1, 1, batch, hidden}));
    }
    DNNCC_ASSIGN_OR_RETURN(Value * yd, b.concat(ys, 0));
    yDirs.push_back(yd);
    DNNCC_ASSIGN_OR_RETURN(Value * hl, b.reshape(h, {1, batch, hidden}));
    hLast.push_back(hl);
    DNNCC_ASSIGN_OR_RETURN(Value * cl, b.reshape(cell, {1, batch, hidden}));
    cLast.push_back(cl);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.concat(yDirs, 1));  // [S, D, B, H]
  DNNCC_ASSIGN_OR_RETURN(Value * yh, b.concat(hLast, 0)); // [D, B, H]
  DNNCC_ASSIGN_OR_RETURN(Value * yc, b.concat(cLast, 0));
  if (batchFirst) {
    DNNCC_ASSIGN_OR_RETURN(y, b.transpose(y, {2, 0, 1, 3}));
    DNNCC_ASSIGN_OR_RETURN(yh, b.transpose(yh, {1, 0, 2}));
    DNNCC_ASSIGN_OR_RETURN(yc, b.transpose(yc, {1, 0, 2}));
  }
  DNNCC_TRY(c.setOutput(0, y));
  DNNCC_TRY(c.setOutput(1, yh));
  if (K == Cell::lstm)
    return c.setOutput(2, yc);
  return Status::ok();
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"LinearAttention", 27, kMax, linearAttention},
    {"RNN", 7, kMax, recurrent<Cell::rnn>},
    {"GRU", 7, kMax, recurrent<Cell::gru>},
    {"LSTM", 7, kMax, recurrent<Cell::lstm>},
};
} // namespace

std::span<const ConverterRow> recurrentConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
