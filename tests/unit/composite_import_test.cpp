// Tests of the ONNX ops the importer decomposes into several IR ops (ops/Normalization.cpp,
// ops/Loss.cpp, ops/Attention.cpp, ops/Recurrent.cpp, ops/Spectral.cpp): numbers through the
// reference interpreter against loops written here from the ONNX spec, and error messages.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "frontend/onnx/Importer.h"
#include "test_util.h"

namespace dnncc {
namespace {
using test::allClose;
using test::asFloats;
using test::attrFloat;
using test::attrInt;
using test::attrString;
using test::Bytes;
using test::floatBytes;
using test::int64Bytes;
using test::OnnxBuilder;

Expected<std::unique_ptr<Module>> importModel(const OnnxBuilder& b, std::string* path = nullptr) {
  ImportOptions o;
  o.evaluator = &test::referenceEvaluator();
  std::string p = b.write(test::testDir());
  if (path)
    *path = p;
  return importOnnx(p, o);
}

/// The import error of `b` as the CLI prints it, with the model path replaced by "<file>".
std::string importError(const OnnxBuilder& b) {
  std::string path;
  auto m = importModel(b, &path);
  if (m)
    return "imported";
  std::string s = m.status().format();
  size_t at = s.find(path);
  return at == std::string::npos ? s : s.replace(at, path.size(), "<file>");
}

/// Imports `b`, runs it on `inputs` (raw bytes) and returns every output as floats.
std::vector<std::vector<float>> runModel(const OnnxBuilder& b, const std::vector<Bytes>& inputs) {
  auto m = importModel(b);
  EXPECT_TRUE(m) << m.status().format();
  if (!m)
    return {};
  EXPECT_TRUE(verify(**m)) << verify(**m).format();
  auto out = test::interpret(**m, inputs);
  EXPECT_TRUE(out) << out.status().format();
  std::vector<std::vector<float>> res;
  if (out)
    for (const auto& o : *out)
      res.push_back(asFloats(o));
  return res;
}

std::vector<float> ramp(int n, float scale = 0.25f, float offset = -1.0f) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = offset + scale * static_cast<float>((i * 7) % 11);
  return v;
}

// ---- losses ----

/// NegativeLogLikelihoodLoss reference (spec): -x[n, t, d] * w[t], 0 at ignore_index.
TEST(ImportLoss, NllMeanWithWeightAndIgnoreIndex) {
  const int n = 2, c = 3, d = 2;
  OnnxBuilder b(22);
  b.input("x", {n, c, d});
  b.input("t", {n, d}, onnx::TensorProto::INT64);
  b.initializer("w", {c}, {0.5f, 2.0f, 1.5f});
  auto& node = b.node("NegativeLogLikelihoodLoss", {"x", "t", "w"}, {"loss"}, "nll");
  attrInt(node, "ignore_index", 1);
  attrString(node, "reduction", "mean");
  b.output("loss");
  std::vector<float> x = ramp(n * c * d);
  std::vector<int64_t> t = {0, 1, 2, 0};
  std::vector<float> w = {0.5f, 2.0f, 1.5f};
  double sum = 0, wsum = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) {
      int64_t cls = t[i * d + j];
      if (cls == 1)
        continue;
      sum += -x[(i * c + cls) * d + j] * w[cls];
      wsum += w[cls];
    }
  auto out = runModel(b, {floatBytes(x), int64Bytes(t)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(out[0], {static_cast<float>(sum / wsum)}));
}

TEST(ImportLoss, SoftmaxCrossEntropyNoneWithLogProb) {
  const int n = 3, c = 4;
  OnnxBuilder b(13);
  b.input("x", {n, c});
  b.input("t", {n}, onnx::TensorProto::INT64);
  attrString(b.node("SoftmaxCrossEntropyLoss", {"x", "t"}, {"loss", "logp"}, "sce"), "reduction",
             "none");
  b.output("loss");
  b.output("logp");
  std::vector<float> x = ramp(n * c, 0.5f);
  std::vector<int64_t> t = {3, -7, 0}; // an out-of-range class contributes 0
  std::vector<float> logp(n * c), loss(n, 0.0f);
  for (int i = 0; i < n; ++i) {
    double mx = -1e30, s = 0;
    for (int j = 0; j < c; ++j)
      mx = std::max(mx, double(x[i * c + j]));
    for (int j = 0; j < c; ++j)
      s += std::exp(x[i * c + j] - mx);
    for (int j = 0; j < c; ++j)
      logp[i * c + j] = static_cast<float>(x[i * c + j] - mx - std::log(s));
    if (t[i] >= 0 && t[i] < c)
      loss[i] = -logp[i * c + t[i]];
  }
  auto out = runModel(b, {floatBytes(x), int64Bytes(t)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(allClose(out[0], loss));
  EXPECT_TRUE(allClose(out[1], logp));
}

// ---- normalisations ----

TEST(ImportNormalization, RmsNormalizationOverTrailingAxes) {
  OnnxBuilder b(23);
  b.input("x", {2, 2, 3});
  b.initializer("s", {2, 3}, ramp(6, 0.5f, 0.25f));
  attrInt(b.node("RMSNormalization", {"x", "s"}, {"y"}, "rms"), "axis", 1);
  b.output("y");
  std::vector<float> x = ramp(12), s = ramp(6, 0.5f, 0.25f), y(12);
  for (int i = 0; i < 2; ++i) {
    double ms = 0;
    for (int j = 0; j < 6; ++j)
      ms += x[i * 6 + j] * x[i * 6 + j] / 6.0;
    for (int j = 0; j < 6; ++j)
      y[i * 6 + j] = static_cast<float>(x[i * 6 + j] / std::sqrt(ms + 1e-5) * s[j]);
  }
  auto out = runModel(b, {floatBytes(x)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(out[0], y));
}

TEST(ImportNormalization, LayerNormalizationMeanAndInvStdDev) {
  OnnxBuilder b(17);
  b.input("x", {2, 4});
  b.initializer("s", {4}, {1, 2, 3, 4});
  b.node("LayerNormalization", {"x", "s"}, {"y", "mean", "inv"}, "ln");
  b.output("y");
  b.output("mean");
  b.output("inv");
  std::vector<float> x = ramp(8), y(8), mean(2), inv(2);
  for (int i = 0; i < 2; ++i) {
    double m = 0, v = 0;
    for (int j = 0; j < 4; ++j)
      m += x[i * 4 + j] / 4.0;
    for (int j = 0; j < 4; ++j)
      v += (x[i * 4 + j] - m) * (x[i * 4 + j] - m) / 4.0;
    mean[i] = static_cast<float>(m);
    inv[i] = static_cast<float>(1 / std::sqrt(v + 1e-5));
    for (int j = 0; j < 4; ++j)
      y[i * 4 + j] = static_cast<float>((x[i * 4 + j] - m) * inv[i] * (j + 1));
  }
  auto out = runModel(b, {floatBytes(x)});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(allClose(out[0], y));
  EXPECT_TRUE(allClose(out[1], mean));
  EXPECT_TRUE(allClose(out[2], inv));
}

TEST(ImportNormalization, GroupNormalizationOpset18PerGroupScale) {
  const int n = 1, c = 4, hw = 3, g = 2;
  OnnxBuilder b(18);
  b.input("x", {n, c, hw});
  b.initializer("s", {g}, {2.0f, -1.0f});
  b.initializer("bias", {g}, {0.5f, 1.0f});
  attrInt(b.node("GroupNormalization", {"x", "s", "bias"}, {"y"}, "gn"), "num_groups", g);
  b.output("y");
  std::vector<float> x = ramp(n * c * hw), y(x.size());
  const int per = c / g * hw;
  float s[] = {2.0f, -1.0f}, bias[] = {0.5f, 1.0f};
  for (int grp = 0; grp < g; ++grp) {
    double m = 0, v = 0;
    for (int i = 0; i < per; ++i)
      m += x[grp * per + i] / per;
    for (int i = 0; i < per; ++i)
      v += (x[grp * per + i] - m) * (x[grp * per + i] - m) / per;
    for (int i = 0; i < per; ++i)
      y[grp * per + i] =
          static_cast<float>((x[grp * per + i] - m) / std::sqrt(v + 1e-5) * s[grp] + bias[grp]);
  }
  auto out = runModel(b, {floatBytes(x)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(out[0], y));
}

TEST(ImportNormalization, LrnSumsNeighbouringChannels) {
  const int c = 5, hw = 2, size = 4; // even size: window [c - 1, c + 2]
  OnnxBuilder b(13);
  b.input("x", {1, c, hw});
  auto& node = b.node("LRN", {"x"}, {"y"}, "lrn");
  attrInt(node, "size", size);
  attrFloat(node, "alpha", 0.5f);
  attrFloat(node, "beta", 0.75f);
  attrFloat(node, "bias", 2.0f);
  b.output("y");
  std::vector<float> x = ramp(c * hw), y(x.size());
  for (int ch = 0; ch < c; ++ch)
    for (int p = 0; p < hw; ++p) {
      double sq = 0;
      for (int k = std::max(0, ch - 1); k <= std::min(c - 1, ch + 2); ++k)
        sq += x[k * hw + p] * x[k * hw + p];
      y[ch * hw + p] = static_cast<float>(x[ch * hw + p] / std::pow(2.0 + 0.5 / size * sq, 0.75));
    }
  auto out = runModel(b, {floatBytes(x)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(out[0], y));
}

// ---- attention ----

/// Naive Attention for 4-D inputs: GQA by head groups, causal with offset `past`, bool mask [L, S].
std::vector<float> attentionRef(const std::vector<float>& q, const std::vector<float>& k,
                                const std::vector<float>& v, const std::vector<uint8_t>& mask,
                                int batch, int hq, int hkv, int L, int S, int d, bool causal,
                                int past) {
  std::vector<float> y(batch * hq * L * d, 0.0f);
  double scale = 1 / std::sqrt(double(d));
  for (int bi = 0; bi < batch; ++bi)
    for (int h = 0; h < hq; ++h) {
      int kh = h / (hq / hkv);
      for (int i = 0; i < L; ++i) {
        std::vector<double> logit(S);
        bool any = false;
        double mx = -1e300;
        for (int j = 0; j < S; ++j) {
          bool allowed = (mask.empty() || mask[i * S + j]) && (!causal || j <= i + past);
          double dot = 0;
          for (int e = 0; e < d; ++e)
            dot += q[((bi * hq + h) * L + i) * d + e] * k[((bi * hkv + kh) * S + j) * d + e];
          logit[j] = allowed ? dot * scale : -INFINITY;
          any |= allowed;
          if (allowed)
            mx = std::max(mx, logit[j]);
        }
        if (!any)
          continue; // a fully masked row is zero
        double sum = 0;
        for (int j = 0; j < S; ++j)
          sum += std::exp(logit[j] - mx);
        for (int j = 0; j < S; ++j) {
          double p = std::exp(logit[j] - mx) / sum;
          for (int e = 0; e < d; ++e)
            y[((bi * hq + h) * L + i) * d + e] +=
                static_cast<float>(p * v[((bi * hkv + kh) * S + j) * d + e]);
        }
      }
    }
  return y;
}

TEST(ImportAttention, GroupedQueryCausalWithPastAndPresent) {
  const int batch = 1, hq = 4, hkv = 2, L = 2, P = 2, S = P + L, d = 3;
  OnnxBuilder b(23);
  b.input("q", {batch, hq, L, d});
  b.input("k", {batch, hkv, L, d});
  b.input("v", {batch, hkv, L, d});
  b.input("pk", {batch, hkv, P, d});
  b.input("pv", {batch, hkv, P, d});
  attrInt(b.node("Attention", {"q", "k", "v", "", "pk", "pv"}, {"y", "presk", "presv"}, "att"),
          "is_causal", 1);
  b.output("y");
  b.output("presk");
  b.output("presv");
  std::vector<float> q = ramp(batch * hq * L * d, 0.3f), k = ramp(batch * hkv * L * d, 0.2f, -0.5f),
                     v = ramp(batch * hkv * L * d, 0.4f, 0.1f),
                     pk = ramp(batch * hkv * P * d, -0.1f),
                     pv = ramp(batch * hkv * P * d, 0.15f, 0.3f);
  std::vector<float> fullK(batch * hkv * S * d), fullV(fullK.size());
  for (int h = 0; h < hkv; ++h)
    for (int j = 0; j < S; ++j)
      for (int e = 0; e < d; ++e) {
        bool isPast = j < P;
        int src = isPast ? (h * P + j) * d + e : (h * L + j - P) * d + e;
        fullK[(h * S + j) * d + e] = isPast ? pk[src] : k[src];
        fullV[(h * S + j) * d + e] = isPast ? pv[src] : v[src];
      }
  auto out =
      runModel(b, {floatBytes(q), floatBytes(k), floatBytes(v), floatBytes(pk), floatBytes(pv)});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(
      allClose(out[0], attentionRef(q, fullK, fullV, {}, batch, hq, hkv, L, S, d, true, P)));
  EXPECT_TRUE(allClose(out[1], fullK));
  EXPECT_TRUE(allClose(out[2], fullV));
}

TEST(ImportAttention, BoolMaskFullyMaskedRowIsZero) {
  const int L = 2, S = 3, d = 2;
  OnnxBuilder b(23);
  b.input("q", {1, 1, L, d});
  b.input("k", {1, 1, S, d});
  b.input("v", {1, 1, S, d});
  b.input("m", {L, 2}, onnx::TensorProto::BOOL); // padded to S keys with false
  b.node("Attention", {"q", "k", "v", "m"}, {"y"}, "att");
  b.output("y");
  std::vector<float> q = ramp(L * d), k = ramp(S * d, 0.5f), v = ramp(S * d, 0.3f, 0.2f);
  std::vector<uint8_t> mask = {1, 0, 0, 0}; // row 1 masks everything
  std::vector<uint8_t> padded = {1, 0, 0, 0, 0, 0};
  auto out = runModel(b, {floatBytes(q), floatBytes(k), floatBytes(v), Bytes(mask)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(out[0], attentionRef(q, k, v, padded, 1, 1, 1, L, S, d, false, 0)));
  EXPECT_EQ(out[0][2], 0.0f);
  EXPECT_EQ(out[0][3], 0.0f);
}

// ---- rotary embedding ----

TEST(ImportRotaryEmbedding, InterleavedPartialWithPositionIds) {
  const int batch = 1, heads = 2, seq = 2, d = 6, rdim = 4, half = rdim / 2, maxPos = 3;
  OnnxBuilder b(23);
  b.input("x", {batch, heads, seq, d});
  b.input("cos", {maxPos, half});
  b.input("sin", {maxPos, half});
  b.input("pos", {batch, seq}, onnx::TensorProto::INT64);
  auto& node = b.node("RotaryEmbedding", {"x", "cos", "sin", "pos"}, {"y"}, "rope");
  attrInt(node, "interleaved", 1);
  attrInt(node, "rotary_embedding_dim", rdim);
  b.output("y");
  std::vector<float> x = ramp(batch * heads * seq * d), cs = ramp(maxPos * half, 0.1f, 0.2f),
                     sn = ramp(maxPos * half, -0.1f, 0.5f);
  std::vector<int64_t> pos = {2, 0};
  std::vector<float> y = x;
  for (int h = 0; h < heads; ++h)
    for (int s = 0; s < seq; ++s)
      for (int i = 0; i < half; ++i) {
        int base = (h * seq + s) * d;
        float c = cs[pos[s] * half + i], sv = sn[pos[s] * half + i];
        float x1 = x[base + 2 * i], x2 = x[base + 2 * i + 1];
        y[base + 2 * i] = c * x1 - sv * x2;
        y[base + 2 * i + 1] = sv * x1 + c * x2;
      }
  auto out = runModel(b, {floatBytes(x), floatBytes(cs), floatBytes(sn), int64Bytes(pos)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(out[0], y));
}

// ---- recurrent ops ----

void attrStrings(onnx::NodeProto& n, const std::string& name, std::vector<std::string> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRINGS);
  for (auto& s : v)
    a->add_strings(s);
}

double sigmoid(double v) {
  return 1 / (1 + std::exp(-v));
}

/// GRU (spec equations, gates z, r, h) with linear_before_reset=1, activations (Sigmoid, Relu)
/// and sequence_lens honoured: steps past a batch entry's length keep the state, output zeros.
TEST(ImportRecurrent, GruLinearBeforeResetWithSequenceLengths) {
  const int steps = 3, batch = 2, in = 2, hid = 2;
  OnnxBuilder b(22);
  b.input("x", {steps, batch, in});
  b.input("lens", {batch}, onnx::TensorProto::INT32);
  std::vector<float> w = ramp(3 * hid * in, 0.3f, -0.6f), r = ramp(3 * hid * hid, 0.2f, -0.4f),
                     bias = ramp(6 * hid, 0.1f, -0.2f);
  b.initializer("w", {1, 3 * hid, in}, w);
  b.initializer("r", {1, 3 * hid, hid}, r);
  b.initializer("b", {1, 6 * hid}, bias);
  auto& node = b.node("GRU", {"x", "w", "r", "b", "lens"}, {"y", "yh"}, "gru");
  attrInt(node, "hidden_size", hid);
  attrInt(node, "linear_before_reset", 1);
  attrStrings(node, "activations", {"Sigmoid", "Relu"});
  b.output("y");
  b.output("yh");
  std::vector<float> x = ramp(steps * batch * in, 0.4f);
  std::vector<int32_t> lens = {3, 1};
  std::vector<float> y(steps * batch * hid, 0.0f), h(batch * hid, 0.0f);
  for (int t = 0; t < steps; ++t)
    for (int n = 0; n < batch; ++n) {
      if (t >= lens[n])
        continue;
      double g[3][2];
      for (int gate = 0; gate < 3; ++gate)
        for (int j = 0; j < hid; ++j) {
          double xw = bias[gate * hid + j], hr = bias[(3 + gate) * hid + j];
          for (int k = 0; k < in; ++k)
            xw += x[(t * batch + n) * in + k] * w[(gate * hid + j) * in + k];
          for (int k = 0; k < hid; ++k)
            hr += h[n * hid + k] * r[(gate * hid + j) * hid + k];
          // z and r: sigmoid(xW + hR); h (linear_before_reset): relu(xW + r * (hR + Rb))
          g[gate][j] = gate < 2 ? sigmoid(xw + hr) : std::max(0.0, xw + g[1][j] * hr);
        }
      for (int j = 0; j < hid; ++j) {
        double hn = (1 - g[0][j]) * g[2][j] + g[0][j] * h[n * hid + j];
        y[(t * batch + n) * hid + j] = static_cast<float>(hn);
      }
      for (int j = 0; j < hid; ++j)
        h[n * hid + j] = y[(t * batch + n) * hid + j];
    }
  Bytes lensBytes(reinterpret_cast<const uint8_t*>(lens.data()),
                  reinterpret_cast<const uint8_t*>(lens.data() + lens.size()));
  auto out = runModel(b, {floatBytes(x), lensBytes});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(allClose(out[0], y)); // [S, 1, B, H]
  EXPECT_TRUE(allClose(out[1], h));
}

TEST(ImportRecurrent, CausalConvWithStateSiluAndPastState) {
  const int batch = 1, ch = 2, len = 3, k = 3;
  OnnxBuilder b(27);
  b.input("x", {batch, ch, len});
  b.input("w", {ch, 1, k});
  b.input("bias", {ch});
  b.input("past", {batch, ch, k - 1});
  attrString(b.node("CausalConvWithState", {"x", "w", "bias", "past"}, {"y", "state"}, "cc"),
             "activation", "silu");
  b.output("y");
  b.output("state");
  std::vector<float> x = ramp(ch * len), w = ramp(ch * k, 0.3f, -0.5f), bias = {0.25f, -0.5f},
                     past = ramp(ch * (k - 1), -0.2f, 0.1f);
  std::vector<float> y(ch * len), state(ch * (k - 1));
  for (int c = 0; c < ch; ++c) {
    std::vector<float> padded(past.begin() + c * (k - 1), past.begin() + (c + 1) * (k - 1));
    padded.insert(padded.end(), x.begin() + c * len, x.begin() + (c + 1) * len);
    for (int i = 0; i < len; ++i) {
      double acc = bias[c];
      for (int j = 0; j < k; ++j)
        acc += padded[i + j] * w[c * k + j];
      y[c * len + i] = static_cast<float>(acc * sigmoid(acc));
    }
    for (int j = 0; j < k - 1; ++j)
      state[c * (k - 1) + j] = padded[len + j];
  }
  auto out = runModel(b, {floatBytes(x), floatBytes(w), floatBytes(bias), floatBytes(past)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(allClose(out[0], y));
  EXPECT_TRUE(allClose(out[1], state));
}

TEST(ImportRecurrent, TensorScatterCircularWraps) {
  const int batch = 2, maxLen = 4, len = 3, d = 2;
  OnnxBuilder b(24);
  b.input("cache", {batch, maxLen, d});
  b.input("upd", {batch, len, d});
  b.input("idx", {batch}, onnx::TensorProto::INT64);
  attrString(b.node("TensorScatter", {"cache", "upd", "idx"}, {"y"}, "ts"), "mode", "circular");
  b.output("y");
  std::vector<float> cache = ramp(batch * maxLen * d), upd = ramp(batch * len * d, 0.5f, 3.0f);
  std::vector<int64_t> idx = {3, 0};
  std::vector<float> y = cache;
  for (int n = 0; n < batch; ++n)
    for (int u = 0; u < len; ++u)
      for (int e = 0; e < d; ++e)
        y[(n * maxLen + (idx[n] + u) % maxLen) * d + e] = upd[(n * len + u) * d + e];
  auto out = runModel(b, {floatBytes(cache), floatBytes(upd), int64Bytes(idx)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(out[0], y));
}

// ---- DFT ----

TEST(ImportSpectral, DftForwardComplexAndIrfft) {
  const int n = 5;
  OnnxBuilder b(17);
  b.input("x", {1, n, 2});
  b.node("DFT", {"x"}, {"y"}, "dft");
  b.output("y");
  std::vector<float> x = ramp(2 * n, 0.3f);
  std::vector<float> y(2 * n);
  for (int k = 0; k < n; ++k) {
    double re = 0, im = 0;
    for (int j = 0; j < n; ++j) {
      double th = -2 * M_PI * j * k / n;
      re += x[2 * j] * std::cos(th) - x[2 * j + 1] * std::sin(th);
      im += x[2 * j] * std::sin(th) + x[2 * j + 1] * std::cos(th);
    }
    y[2 * k] = static_cast<float>(re);
    y[2 * k + 1] = static_cast<float>(im);
  }
  auto out = runModel(b, {floatBytes(x)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(allClose(out[0], y, 1e-3, 1e-5));

  // The inverse one-sided transform of the first n/2 + 1 bins of a real signal's spectrum gives
  // the signal back (n = 2 (bins - 1) = 4 here).
  OnnxBuilder inv(17);
  inv.input("s", {1, 3, 2});
  auto& node = inv.node("DFT", {"s"}, {"r"}, "irfft");
  attrInt(node, "inverse", 1);
  attrInt(node, "onesided", 1);
  inv.output("r");
  std::vector<float> signal = {0.5f, -1.0f, 2.0f, 0.25f}, spectrum(6);
  for (int k = 0; k < 3; ++k) {
    double re = 0, im = 0;
    for (int j = 0; j < 4; ++j) {
      re += signal[j] * std::cos(-2 * M_PI * j * k / 4);
      im += signal[j] * std::sin(-2 * M_PI * j * k / 4);
    }
    spectrum[2 * k] = static_cast<float>(re);
    spectrum[2 * k + 1] = static_cast<float>(im);
  }
  auto back = runModel(inv, {floatBytes(spectrum)});
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(allClose(back[0], signal, 1e-3, 1e-5));
}

// DFT-20 with the axis a graph input: the transform along each axis that gives the declared
// output shape, the one the run names selected; an axis naming none of them fails the run.
TEST(ImportSpectral, DftAxisKnownOnlyAtRunTime) {
  OnnxBuilder b(20);
  b.input("x", {1, 2, 3, 1});
  b.input("axis", {}, onnx::TensorProto::INT64);
  b.node("DFT", {"x", "", "axis"}, {"y"}, "dft");
  b.output("y");
  auto* t = b.graph->mutable_output(0)->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {1, 2, 3, 2})
    t->mutable_shape()->add_dim()->set_dim_value(d);
  auto m = importModel(b);
  ASSERT_TRUE(m) << m.status().format();
  std::vector<float> x = {1, 2, 4, -1, 0.5f, 3}; // [2, 3] real
  auto dftAlong = [&](int axis) {                // numpy.fft.fft of x along axis 1 or 2
    std::vector<float> y(12);
    for (int r = 0; r < 2; ++r)
      for (int q = 0; q < 3; ++q) {
        int n = axis == 1 ? 2 : 3, k = axis == 1 ? r : q;
        double re = 0, im = 0;
        for (int j = 0; j < n; ++j) {
          float v = axis == 1 ? x[j * 3 + q] : x[r * 3 + j];
          re += v * std::cos(-2 * M_PI * j * k / n);
          im += v * std::sin(-2 * M_PI * j * k / n);
        }
        y[(r * 3 + q) * 2] = static_cast<float>(re);
        y[(r * 3 + q) * 2 + 1] = static_cast<float>(im);
      }
    return y;
  };
  for (auto [given, axis] : {std::pair{1, 1}, {2, 2}, {-3, 1}, {-2, 2}}) {
    SCOPED_TRACE(given);
    auto out = test::interpret(**m, {floatBytes(x), int64Bytes({given})});
    ASSERT_TRUE(out) << out.status().format();
    EXPECT_TRUE(allClose(asFloats((*out)[0]), dftAlong(axis), 1e-3, 1e-5));
  }
  EXPECT_FALSE(test::interpret(**m, {floatBytes(x), int64Bytes({3})}));
}

// ---- errors: one test per message ----

TEST(ImportCompositeErrors, AttentionThreeDNeedsHeadCounts) {
  OnnxBuilder b(23);
  for (const char* n : {"q", "k", "v"})
    b.input(n, {1, 2, 8});
  b.node("Attention", {"q", "k", "v"}, {"y"}, "att");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'att' (Attention, opset 23): 3-D inputs need the "
                            "q_num_heads and kv_num_heads attributes");
}

TEST(ImportCompositeErrors, AttentionHeadsNotAMultiple) {
  OnnxBuilder b(23);
  b.input("q", {1, 3, 2, 4});
  b.input("k", {1, 2, 2, 4});
  b.input("v", {1, 2, 2, 4});
  b.node("Attention", {"q", "k", "v"}, {"y"}, "att");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'att' (Attention, opset 23): 3 query heads are "
                            "not a multiple of 2 key/value heads");
}

TEST(ImportCompositeErrors, AttentionMaskLongerThanKeys) {
  OnnxBuilder b(23);
  for (const char* n : {"q", "k", "v"})
    b.input(n, {1, 1, 2, 4});
  b.input("m", {2, 3});
  b.node("Attention", {"q", "k", "v", "m"}, {"y"}, "att");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'att' (Attention, opset 23): attn_mask has 3 "
                            "keys, more than the 2 keys");
}

TEST(ImportCompositeErrors, LossReductionUnknown) {
  OnnxBuilder b(22);
  b.input("x", {2, 3});
  b.input("t", {2}, onnx::TensorProto::INT64);
  attrString(b.node("NegativeLogLikelihoodLoss", {"x", "t"}, {"l"}, "nll"), "reduction", "avg");
  b.output("l");
  EXPECT_EQ(importError(b), "error: <file>: node 'nll' (NegativeLogLikelihoodLoss, opset 22): "
                            "reduction='avg' is not none, sum or mean");
}

TEST(ImportCompositeErrors, LossTargetShape) {
  OnnxBuilder b(22);
  b.input("x", {2, 3, 4});
  b.input("t", {2, 3}, onnx::TensorProto::INT64);
  b.node("NegativeLogLikelihoodLoss", {"x", "t"}, {"l"}, "nll");
  b.output("l");
  EXPECT_EQ(importError(b), "error: <file>: node 'nll' (NegativeLogLikelihoodLoss, opset 22): "
                            "target shape [2,3] is not [2,4]");
}

TEST(ImportCompositeErrors, GroupNormalizationGroupsDoNotDivideChannels) {
  OnnxBuilder b(21);
  b.input("x", {1, 4, 2});
  b.input("s", {4});
  b.input("bias", {4});
  attrInt(b.node("GroupNormalization", {"x", "s", "bias"}, {"y"}, "gn"), "num_groups", 3);
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'gn' (GroupNormalization, opset 21): "
                            "num_groups=3 does not divide 4 channels");
}

TEST(ImportCompositeErrors, RotaryEmbeddingOddDim) {
  OnnxBuilder b(23);
  b.input("x", {1, 1, 2, 8});
  b.input("cos", {1, 2, 4});
  b.input("sin", {1, 2, 4});
  attrInt(b.node("RotaryEmbedding", {"x", "cos", "sin"}, {"y"}, "rope"), "rotary_embedding_dim", 3);
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'rope' (RotaryEmbedding, opset 23): "
                            "rotary_embedding_dim=3 is not an even size up to 8");
}

TEST(ImportCompositeErrors, SwiGluShapesDiffer) {
  OnnxBuilder b(28);
  b.input("a", {2, 4});
  b.input("g", {2, 1});
  b.node("SwiGLU", {"a", "g"}, {"y"}, "glu");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'glu' (SwiGLU, opset 28): A f32[2,4] and B "
                            "f32[2,1] must have the same shape and type");
}

TEST(ImportCompositeErrors, RecurrentActivationUnsupported) {
  OnnxBuilder b(22);
  b.input("x", {1, 1, 2});
  b.input("w", {1, 2, 2});
  b.input("r", {1, 2, 2});
  auto& node = b.node("RNN", {"x", "w", "r"}, {"y"}, "rnn");
  attrInt(node, "hidden_size", 2);
  attrStrings(node, "activations", {"Elu"});
  b.output("y");
  EXPECT_EQ(importError(b),
            "error: <file>: node 'rnn' (RNN, opset 22): activation 'Elu' is not supported");
}

TEST(ImportCompositeErrors, LinearAttentionRuleForbidsDecay) {
  OnnxBuilder b(27);
  for (const char* n : {"q", "k", "v"})
    b.input(n, {1, 2, 8});
  b.input("decay", {1, 2, 2});
  auto& node = b.node("LinearAttention", {"q", "k", "v", "", "decay"}, {"y"}, "la");
  attrString(node, "update_rule", "linear");
  attrInt(node, "q_num_heads", 2);
  attrInt(node, "kv_num_heads", 2);
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'la' (LinearAttention, opset 27): update_rule "
                            "'linear' forbids the decay input");
}

TEST(ImportCompositeErrors, TensorScatterUpdateDoesNotFit) {
  OnnxBuilder b(24);
  b.input("cache", {2, 4, 3});
  b.input("upd", {2, 5, 3});
  b.node("TensorScatter", {"cache", "upd"}, {"y"}, "ts");
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'ts' (TensorScatter, opset 24): update "
                            "f32[2,5,3] does not fit cache f32[2,4,3] along axis 1");
}

TEST(ImportCompositeErrors, DftOnTheComplexAxis) {
  OnnxBuilder b(17);
  b.input("x", {4, 2});
  attrInt(b.node("DFT", {"x"}, {"y"}, "dft"), "axis", -1);
  b.output("y");
  EXPECT_EQ(importError(b), "error: <file>: node 'dft' (DFT, opset 17): axis must not be the last "
                            "(real / imaginary) axis");
}

} // namespace
} // namespace dnncc
