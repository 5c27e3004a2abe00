// quantize-int8: post-training quantization of a float model (dnncc --quantize=int8). The model
// runs on the calibration samples through the reference evaluator (each op's Halide algorithm,
// JIT-compiled for the host), which records the range of every activation a conv or matmul
// reads; then each such op with constant f32 weights gets QDQ pairs:
//   x -> QuantizeLinear(x, sx, zx) u8 -> DequantizeLinear   (per tensor, asymmetric: the range
//        [min(0, lo), max(0, hi)] onto [0, 255]; ONNX QuantizeLinear rounding; i8 onto
//        [-128, 127] on targets whose dot products take int8 x int8: ARM sdot)
//   W -> int8 constant Wq -> DequantizeLinear(Wq, sw)       (per output channel, symmetric:
//        sw = max|W| / 127, Wq = round(W / sw) in [-127, 127], zero point 0)
// which qdq-to-integer then computes on the integers. The bias stays f32 (added after the
// requantization), as do the ops that are not convs or matmuls (softmax, normalizations,
// activations run in f32 inside the fused kernels; the tensors between kernels become 8-bit where
// a kernel ends in a QuantizeLinear).
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {
namespace {

/// At most this many values of one tensor are kept for the percentile method (a strided subset).
constexpr size_t kMaxKeptValues = 1 << 20;

/// What calibration saw of one activation.
struct Observed {
  float lo = INFINITY, hi = -INFINITY;
  std::vector<float> kept; ///< the percentile method's subset of the values
};

/// A conv / matmul / gemm this pass quantizes: its activation operand is 0, its constant f32
/// weights operand 1, and `axis` the weights' output-channel axis.
struct Candidate {
  Op* op;
  int axis;
};

std::optional<Candidate> candidate(Op& op) {
  if (op.result->type.dtype != DType::f32 || op.operands.size() < 2)
    return std::nullopt;
  const Value* x = op.operands[0];
  const Value* w = op.operands[1];
  if (x->isConstant() || x->type.dtype != DType::f32 || !w->isConstant() ||
      w->type.dtype != DType::f32)
    return std::nullopt;
  if (op.kind == OpKind::Conv && w->type.rank() >= 3)
    return Candidate{&op, 0};
  if (op.kind == OpKind::MatMul && w->type.rank() == 2 && x->type.rank() >= 2)
    return Candidate{&op, 1};
  if (op.kind == OpKind::Gemm) {
    const auto& g = op.attr<GemmAttrs>();
    if (g.transA || (op.operands.size() == 3 && g.beta != 1))
      return std::nullopt;
    return Candidate{&op, g.transB ? 0 : 1};
  }
  return std::nullopt;
}

/// Runs `m` on every sample with `ev`, recording the values of `watched` (value ids).
Status calibrate(const Module& m, const QuantizeOptions& q, ConstantEvaluator& ev,
                 std::map<int, Observed>& watched) {
  using Bytes = std::shared_ptr<const std::vector<uint8_t>>;
  auto observe = [&](const Value* v, const std::vector<uint8_t>& bytes, size_t sampleCount) {
    auto it = watched.find(v->id);
    if (it == watched.end())
      return;
    Observed& o = it->second;
    const float* f = reinterpret_cast<const float*>(bytes.data());
    size_t n = bytes.size() / sizeof(float);
    size_t stride = std::max<size_t>(1, n * sampleCount / kMaxKeptValues);
    for (size_t i = 0; i < n; ++i) {
      if (std::isnan(f[i]))
        continue;
      o.lo = std::min(o.lo, f[i]);
      o.hi = std::max(o.hi, f[i]);
      if (q.method == QuantizeOptions::Method::percentile && i % stride == 0)
        o.kept.push_back(f[i]);
    }
  };
  for (const auto& sample : q.samples) {
    std::vector<Bytes> values(m.numValueIds());
    for (const Value* c : m.constants)
      values[c->id] = c->data;
    for (size_t i = 0; i < m.inputs.size(); ++i) {
      values[m.inputs[i]->id] = std::make_shared<const std::vector<uint8_t>>(sample[i]);
      observe(m.inputs[i], sample[i], q.samples.size());
    }
    for (const auto& op : m.ops) {
      if (hasTrait(op->kind, kAlias)) { // a view: the operand's bytes
        values[op->result->id] = values[op->operands[0]->id];
        observe(op->result, *values[op->result->id], q.samples.size());
        continue;
      }
      // The op on stand-in constants holding this sample's operand values.
      std::vector<Value> operands(op->operands.size());
      Op run{op->kind, {}, op->result, op->attrs, op->name};
      for (size_t i = 0; i < op->operands.size(); ++i) {
        operands[i].type = op->operands[i]->type;
        operands[i].data = values[op->operands[i]->id];
        if (!operands[i].data)
          return Status::error(
              fmt::format("calibration: the operand {} of node '{}' has no value", i, op->name));
        run.operands.push_back(&operands[i]);
      }
      Expected<Bytes> r = ev.evaluate(run);
      if (!r)
        return Status::error(fmt::format("calibration: node '{}' ({}) could not be evaluated: {}",
                                         op->name, opName(op->kind), r.status().message()));
      values[op->result->id] = *r;
      observe(op->result, **r, q.samples.size());
    }
  }
  return Status::ok();
}

/// The range calibration gives `o`, widened to include 0 (so that 0 is exact: padding, ReLU).
std::pair<double, double> range(Observed& o, const QuantizeOptions& q) {
  double lo = o.lo, hi = o.hi;
  if (q.method == QuantizeOptions::Method::percentile && !o.kept.empty()) {
    auto at = [&](double p) {
      size_t k = static_cast<size_t>(std::llround(p / 100.0 * (o.kept.size() - 1)));
      std::nth_element(o.kept.begin(), o.kept.begin() + k, o.kept.end());
      return static_cast<double>(o.kept[k]);
    };
    lo = at(100.0 - q.percentile);
    hi = at(q.percentile);
  }
  if (!(lo <= hi)) // nothing seen
    lo = hi = 0;
  return {std::min(lo, 0.0), std::max(hi, 0.0)};
}

/// The 8-bit quantization of an activation: the ONNX QuantizeLinear of x = (q - zp) * scale.
struct ActivationQuant {
  Value* dequantized = nullptr;
  double scale = 1;
  int zeroPoint = 0;
};

/// `x` quantized to `type` (u8 or i8, asymmetric: [lo, hi] onto the type's 256 codes).
Expected<ActivationQuant> quantizeActivation(Module& m, Value* x, size_t at, double lo, double hi,
                                             DType type) {
  ActivationQuant a;
  double qmin = type == DType::u8 ? 0 : -128;
  a.scale = hi > lo ? (hi - lo) / 255.0 : 1.0;
  a.zeroPoint =
      static_cast<int>(std::clamp<double>(qmin + std::nearbyint(-lo / a.scale), qmin, qmin + 255));
  std::vector<float> s{static_cast<float>(a.scale)};
  std::vector<uint8_t> z{static_cast<uint8_t>(a.zeroPoint)}; // i8: its two's complement byte
  std::string name = x->name.empty() ? fmt::format("v{}", x->id) : x->name;
  Value* sc = m.addConstant(TensorType{DType::f32, {}}, bytesOf(s), name + "_scale");
  Value* zp = m.addConstant(TensorType{type, {}}, z, name + "_zero_point");
  DNNCC_ASSIGN_OR_RETURN(Value * xq, m.insertOp(at, OpKind::QuantizeLinear, {x, sc, zp},
                                                CastAttrs{type}, name + "_QuantizeLinear"));
  xq->type.quant = QuantParams{s[0], a.zeroPoint};
  DNNCC_ASSIGN_OR_RETURN(a.dequantized,
                         m.insertOp(at + 1, OpKind::DequantizeLinear, {xq, sc, zp},
                                    CastAttrs{DType::f32}, name + "_DequantizeLinear"));
  return a;
}

/// Per-channel symmetric int8 weights (channels on `axis`) and their dequantization, inserted at
/// `at`; `scales` receives the channel scales.
Expected<Value*> quantizeWeights(Module& m, const Value* w, int axis, size_t at,
                                 std::vector<float>& scales) {
  const TensorType& t = w->type;
  int64_t channels = t.shape[axis], inner = 1;
  for (int i = axis + 1; i < t.rank(); ++i)
    inner *= t.shape[i];
  const float* f = w->dataAs<float>();
  int64_t n = t.numElements();
  auto channelOf = [&](int64_t i) { return (i / inner) % channels; };
  std::vector<float> maxAbs(channels, 0.0f);
  for (int64_t i = 0; i < n; ++i)
    maxAbs[channelOf(i)] = std::max(maxAbs[channelOf(i)], std::fabs(f[i]));
  scales.assign(channels, 1.0f);
  for (int64_t c = 0; c < channels; ++c)
    if (maxAbs[c] > 0)
      scales[c] = maxAbs[c] / 127.0f;
  std::vector<int8_t> q(n);
  for (int64_t i = 0; i < n; ++i)
    q[i] = static_cast<int8_t>(
        std::clamp<float>(std::nearbyint(f[i] / scales[channelOf(i)]), -127.0f, 127.0f));
  Value* wq = m.addConstant(TensorType{DType::i8, t.shape}, bytesOf(q), w->name + "_quantized");
  std::vector<int64_t> shape(t.rank(), 1);
  shape[axis] = channels;
  Value* ws = m.addConstant(TensorType{DType::f32, shape}, bytesOf(scales), w->name + "_scale");
  return m.insertOp(at, OpKind::DequantizeLinear, {wq, ws}, CastAttrs{DType::f32},
                    w->name + "_DequantizeLinear");
}

} // namespace

Status QuantizeInt8::run(Module& m, PassContext& ctx) {
  if (!ctx.quantize || ctx.quantize->samples.empty())
    return Status::error("quantize-int8 needs calibration samples (dnncc --quantize=int8 "
                         "--calibration DIR)");
  if (!ctx.evaluator)
    return Status::error("quantize-int8 needs a constant evaluator");
  const QuantizeOptions& q = *ctx.quantize;
  std::vector<Candidate> candidates;
  for (auto& op : m.ops)
    if (auto c = candidate(*op))
      candidates.push_back(*c);
  if (q.keepFirstAndLast && !candidates.empty()) {
    candidates.erase(candidates.begin());
    if (!candidates.empty())
      candidates.pop_back();
  }
  std::map<int, Observed> watched;
  for (const Candidate& c : candidates)
    watched[c.op->operands[0]->id];
  DNNCC_TRY(calibrate(m, q, *ctx.evaluator, watched));

  std::map<int, ActivationQuant> quantized; // activation id -> its QDQ
  size_t at = 0; // candidates are in op order: each one's position is past the previous one's
  for (const Candidate& c : candidates) {
    while (m.ops[at].get() != c.op)
      ++at;
    Value* x = c.op->operands[0];
    auto it = quantized.find(x->id);
    if (it == quantized.end()) {
      auto [lo, hi] = range(watched[x->id], q);
      DNNCC_ASSIGN_OR_RETURN(ActivationQuant a,
                             quantizeActivation(m, x, at, lo, hi, q.activationType));
      at += 2;
      it = quantized.emplace(x->id, a).first;
      if (ctx.remark)
        ctx.remark(fmt::format("quantize-int8: '{}' [{:.6g}, {:.6g}] -> {} scale {:.6g} zero "
                               "point {}",
                               x->name.empty() ? fmt::format("%{}", x->id) : x->name, lo, hi,
                               dtypeName(q.activationType), a.scale, a.zeroPoint));
    }
    std::vector<float> scales;
    DNNCC_ASSIGN_OR_RETURN(Value * wd, quantizeWeights(m, c.op->operands[1], c.axis, at, scales));
    c.op->operands[0] = it->second.dequantized;
    c.op->operands[1] = wd;
    if (ctx.remark) {
      auto [mn, mx] = std::minmax_element(scales.begin(), scales.end());
      ctx.remark(fmt::format("quantize-int8: {} '{}': int8 weights, {} channel scales in "
                             "[{:.6g}, {:.6g}]",
                             opName(c.op->kind), c.op->name, scales.size(), *mn, *mx));
    }
  }
  m.removeDeadCode();
  if (ctx.remark)
    ctx.remark(fmt::format("quantize-int8: {} convs and matmuls quantized ({} samples, {})",
                           candidates.size(), q.samples.size(),
                           q.method == QuantizeOptions::Method::minmax ? "min-max" : "percentile"));
  return Status::ok();
}

} // namespace dnncc
