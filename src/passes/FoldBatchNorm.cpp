// fold-batch-norm: batch_norm(conv(x, W, b)) -> conv(x, W', b') and batch_norm(gemm(A, B, C)) ->
// gemm(A, B', C'), with s = scale / sqrt(var + epsilon), W' = W * s (per output channel) and
// b' = (b - mean) * s + bias (Ioffe & Szegedy 2015, inference form). Applies when the producer's
// result has no other use and every parameter is an f32 constant.
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {
namespace {

std::vector<double> floats(const Value* v) {
  std::vector<double> out(v->type.numElements());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = v->dataAs<float>()[i];
  return out;
}

Value* floatConstant(Module& m, const TensorType& type, const std::vector<double>& values,
                     const std::string& name) {
  std::vector<uint8_t> bytes(values.size() * sizeof(float));
  for (size_t i = 0; i < values.size(); ++i) {
    float f = static_cast<float>(values[i]);
    std::memcpy(bytes.data() + i * sizeof(float), &f, sizeof(float));
  }
  TensorType t{DType::f32, type.shape};
  return m.addConstant(t, std::move(bytes), name);
}

bool allF32Constants(const std::vector<Value*>& vs) {
  for (const Value* v : vs)
    if (!v->isConstant() || v->type.dtype != DType::f32)
      return false;
  return true;
}

/// Per-channel factor s and shift t so that batch_norm(y) = y * s + t.
void bnFactors(const Op& bn, std::vector<double>& s, std::vector<double>& t) {
  double eps = bn.attr<BatchNormAttrs>().epsilon;
  std::vector<double> scale = floats(bn.operands[1]), bias = floats(bn.operands[2]),
                      mean = floats(bn.operands[3]), var = floats(bn.operands[4]);
  s.resize(scale.size());
  t.resize(scale.size());
  for (size_t c = 0; c < scale.size(); ++c) {
    s[c] = scale[c] / std::sqrt(var[c] + eps);
    t[c] = bias[c] - mean[c] * s[c];
  }
}

bool foldIntoConv(Module& m, Op& conv, const Op& bn) {
  std::vector<Value*> params(conv.operands.begin() + 1, conv.operands.end());
  if (!allF32Constants(params))
    return false;
  std::vector<double> s, t;
  bnFactors(bn, s, t);
  const Value* w = conv.operands[1];
  std::vector<double> wv = floats(w);
  int64_t oc = w->type.shape[0], per = w->type.numElements() / oc;
  for (int64_t o = 0; o < oc; ++o)
    for (int64_t i = 0; i < per; ++i)
      wv[o * per + i] *= s[o];
  std::vector<double> bv(oc, 0.0);
  if (conv.operands.size() == 3)
    bv = floats(conv.operands[2]);
  for (int64_t o = 0; o < oc; ++o)
    bv[o] = bv[o] * s[o] + t[o];
  conv.operands[1] = floatConstant(m, w->type, wv, w->name + ".bn_folded");
  Value* b = floatConstant(m, TensorType{DType::f32, {oc}}, bv, bn.name + ".bias");
  if (conv.operands.size() == 3)
    conv.operands[2] = b;
  else
    conv.operands.push_back(b);
  return true;
}

bool foldIntoGemm(Module& m, Op& gemm, const Op& bn) {
  std::vector<Value*> params(gemm.operands.begin() + 1, gemm.operands.end());
  if (!allF32Constants(params))
    return false;
  auto& a = gemm.attr<GemmAttrs>();
  int64_t n = gemm.result->type.shape[1], rows = gemm.result->type.shape[0];
  if (gemm.operands.size() == 3) {
    const auto& cs = gemm.operands[2]->type.shape;
    bool perColumn = cs == std::vector<int64_t>{n} || cs == std::vector<int64_t>{1, n};
    if (!perColumn && cs != gemm.result->type.shape)
      return false;
  }
  std::vector<double> s, t;
  bnFactors(bn, s, t);
  const Value* B = gemm.operands[1];
  std::vector<double> bv = floats(B);
  int64_t k = B->type.numElements() / n;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < k; ++i)
      bv[a.transB ? j * k + i : i * n + j] *= s[j];
  gemm.operands[1] = floatConstant(m, B->type, bv, B->name + ".bn_folded");
  // C' = (beta * C) * s + t, then beta = 1.
  bool full = gemm.operands.size() == 3 &&
              gemm.operands[2]->type.shape == gemm.result->type.shape && rows != 1;
  int64_t count = full ? rows * n : n;
  std::vector<double> cv(count, 0.0);
  if (gemm.operands.size() == 3)
    cv = floats(gemm.operands[2]);
  for (int64_t i = 0; i < count; ++i)
    cv[i] = cv[i] * a.beta * s[i % n] + t[i % n];
  TensorType ct{DType::f32, full ? std::vector<int64_t>{rows, n} : std::vector<int64_t>{n}};
  Value* c = floatConstant(m, ct, cv, bn.name + ".bias");
  if (gemm.operands.size() == 3)
    gemm.operands[2] = c;
  else
    gemm.operands.push_back(c);
  a.beta = 1.0;
  return true;
}
} // namespace

Status FoldBatchNorm::run(Module& m, PassContext& ctx) {
  std::vector<int> uses = m.useCounts();
  std::vector<bool> isOutput(m.numValueIds(), false);
  for (Value* v : m.outputs)
    isOutput[v->id] = true;
  int folded = 0;
  for (auto& bn : m.ops) {
    if (bn->kind != OpKind::BatchNorm)
      continue;
    Op* producer = bn->operands[0]->producer;
    if (!producer || uses[producer->result->id] != 1 || isOutput[producer->result->id])
      continue;
    std::vector<Value*> params(bn->operands.begin() + 1, bn->operands.end());
    if (!allF32Constants(params))
      continue;
    bool ok = (producer->kind == OpKind::Conv && foldIntoConv(m, *producer, *bn)) ||
              (producer->kind == OpKind::Gemm && foldIntoGemm(m, *producer, *bn));
    if (!ok)
      continue;
    if (isOutput[bn->result->id]) // the producer's result becomes the output: keep its name
      producer->result->name = bn->result->name;
    m.replaceAllUses(bn->result, producer->result);
    ++folded;
  }
  m.removeDeadCode();
  if (ctx.remark && folded > 0)
    ctx.remark(fmt::format("fold-batch-norm: folded {} batch_norm ops", folded));
  return Status::ok();
}

} // namespace dnncc
