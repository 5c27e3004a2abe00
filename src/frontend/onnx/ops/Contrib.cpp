// onnxruntime's contrib operators (domain com.microsoft) that its transformer optimizer and
// exporters emit, decomposed into IR ops, plus SimplifiedLayerNormalization, which onnxruntime
// registers in the default domain. Semantics: onnxruntime's docs/ContribOperators.md and the
// operator schemas of onnxruntime 1.31 (attribute defaults: epsilon 1e-12 for the Skip* ops,
// 1e-5 for SimplifiedLayerNormalization, QuickGelu alpha 1.702). Each is checked against
// onnxruntime's CPU kernels by tests/models (model_tests.py contrib).
#include <fmt/format.h>

#include "frontend/onnx/Converters.h"
#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

constexpr std::string_view kMicrosoft = "com.microsoft";

/// Gelu: 0.5 x (1 + erf(x / sqrt 2)).
Status gelu(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Gelu, {x}, GeluAttrs{GeluApprox::none}));
  return c.setOutput(0, y);
}

/// BiasGelu: Gelu(A + B), B broadcast along the last axis.
Status biasGelu(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * bias, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * s, b.op(OpKind::Add, {a, bias}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Gelu, {s}, GeluAttrs{GeluApprox::none}));
  return c.setOutput(0, y);
}

/// FastGelu: the tanh approximation 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) of X + bias.
Status fastGelu(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (Value* bias = c.optionalInput(1)) {
    DNNCC_ASSIGN_OR_RETURN(x, b.op(OpKind::Add, {x, bias}));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Gelu, {x}, GeluAttrs{GeluApprox::tanh}));
  return c.setOutput(0, y);
}

/// QuickGelu: x * sigmoid(alpha x), the IR's swish.
Status quickGelu(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * y,
                         c.emit(OpKind::Swish, {x}, AlphaAttrs{c.attrFloat("alpha", 1.702)}));
  return c.setOutput(0, y);
}

/// BiasAdd: X + bias + skip (X and skip [N, S, C], bias [C]).
Status biasAdd(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * bias, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * skip, c.input(2));
  DNNCC_ASSIGN_OR_RETURN(Value * s, b.op(OpKind::Add, {x, bias}));
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::Add, {s, skip}));
  return c.setOutput(0, y);
}

/// input + skip (+ bias): the sum the Skip* normalizations normalize and give as output 3.
Expected<Value*> skipSum(NodeContext& c, Composer& b, int biasInput) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * skip, c.input(1));
  if (skip->type.shape != x->type.shape)
    return c.error(fmt::format("skip {} must have the input's shape {}",
                               shapeString(skip->type.shape), shapeString(x->type.shape)));
  DNNCC_ASSIGN_OR_RETURN(Value * s, b.op(OpKind::Add, {x, skip}));
  if (Value* bias = c.optionalInput(biasInput)) {
    DNNCC_ASSIGN_OR_RETURN(s, b.op(OpKind::Add, {s, bias}));
  }
  return s;
}

/// SkipLayerNormalization: LayerNorm(input + skip + bias) over the last axis * gamma + beta;
/// outputs output, mean, inv_std_var ([..., 1]) and input_skip_bias_sum.
Status skipLayerNorm(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * s, skipSum(c, b, 4));
  DNNCC_ASSIGN_OR_RETURN(Value * gamma, c.input(2));
  Value* beta = c.optionalInput(3);
  DNNCC_TRY(
      layerNormWithStats(c, s, gamma, beta, s->type.rank() - 1, c.attrFloat("epsilon", 1e-12)));
  return c.setOutput(3, s);
}

/// SkipSimplifiedLayerNormalization: RMSNorm(input + skip + bias) over the last axis * gamma;
/// outputs output, (mean: not defined for the RMS form), inv_std_var and input_skip_bias_sum.
Status skipSimplifiedLayerNorm(NodeContext& c) {
  if (c.hasOutput(1))
    return c.error("output 1 (mean) is not produced by the simplified (RMS) form");
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * s, skipSum(c, b, 3));
  DNNCC_ASSIGN_OR_RETURN(Value * gamma, c.input(2));
  DNNCC_TRY(rmsNormWithStats(c, s, gamma, s->type.rank() - 1, c.attrFloat("epsilon", 1e-12), 0, 2));
  return c.setOutput(3, s);
}

/// SimplifiedLayerNormalization (default domain, onnxruntime): RMSNorm of X over axes
/// [axis, rank) * scale; outputs Y and inv_std_var.
Status simplifiedLayerNorm(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * scale, c.input(1));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", -1), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  return rmsNormWithStats(c, x, scale, *axis, c.attrFloat("epsilon", 1e-5), 0, 1);
}

/// `x` with its last two axes swapped.
Expected<Value*> swapLastTwo(Composer& b, Value* x) {
  IntList perm;
  for (int i = 0; i < x->type.rank(); ++i)
    perm.push_back(i);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return b.transpose(x, perm);
}

/// FusedMatMul: alpha * op(A) @ op(B), op transposing the last two axes when transA / transB
/// is set (numpy.matmul otherwise). transBatchA / transBatchB (moving the batch axes) are not
/// supported.
Status fusedMatMul(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input(1));
  if (c.attrInt("transBatchA", 0) != 0 || c.attrInt("transBatchB", 0) != 0)
    return c.error("transBatchA and transBatchB are not supported");
  for (auto [v, attr] : {std::pair{&a, "transA"}, std::pair{&w, "transB"}}) {
    if (c.attrInt(attr, 0) == 0)
      continue;
    if ((*v)->type.rank() < 2)
      return c.error(fmt::format("{}=1 needs an operand of rank 2 or more", attr));
    DNNCC_ASSIGN_OR_RETURN(*v, swapLastTwo(b, *v));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, b.op(OpKind::MatMul, {a, w}));
  double alpha = c.attrFloat("alpha", 1.0);
  if (alpha != 1.0) {
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Mul, {y, b.scalar(y->type.dtype, alpha)}));
  }
  return c.setOutput(0, y);
}

/// FusedConv: activation(Conv(X, W, B) + Z), Z optional (onnxruntime's conv + activation fusion;
/// activation Relu, Tanh, Sigmoid, LeakyRelu [alpha], Clip [min, max] or HardSigmoid [alpha,
/// beta], the bracketed values from activation_params; no activation attribute: none).
Status fusedConv(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * y, convOf(c));
  if (Value* z = c.optionalInput(3)) {
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Add, {y, z}));
  }
  std::string act = c.attrString("activation", "");
  std::vector<double> params = c.attrFloats("activation_params");
  auto needs = [&](size_t n) -> Status {
    if (params.size() != n)
      return c.error(
          fmt::format("activation '{}' takes {} activation_params, got {}", act, n, params.size()));
    return Status::ok();
  };
  if (act == "Relu") {
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Relu, {y}));
  } else if (act == "Tanh") {
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Tanh, {y}));
  } else if (act == "Sigmoid") {
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Sigmoid, {y}));
  } else if (act == "LeakyRelu") {
    DNNCC_TRY(needs(1));
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::LeakyRelu, {y}, LeakyReluAttrs{params[0]}));
  } else if (act == "Clip") {
    DNNCC_TRY(needs(2));
    DNNCC_ASSIGN_OR_RETURN(y, b.op(OpKind::Clip, {y}, ClipAttrs{params[0], params[1]}));
  } else if (act == "HardSigmoid") {
    DNNCC_TRY(needs(2));
    DNNCC_ASSIGN_OR_RETURN(y,
                           b.op(OpKind::HardSigmoid, {y}, HardSigmoidAttrs{params[0], params[1]}));
  } else if (!act.empty()) {
    return c.error(fmt::format("activation '{}' is not Relu, Tanh, Sigmoid, LeakyRelu, Clip or "
                               "HardSigmoid",
                               act));
  }
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"Gelu", 1, kMax, gelu, kMicrosoft},
    {"BiasGelu", 1, kMax, biasGelu, kMicrosoft},
    {"FastGelu", 1, kMax, fastGelu, kMicrosoft},
    {"QuickGelu", 1, kMax, quickGelu, kMicrosoft},
    {"BiasAdd", 1, kMax, biasAdd, kMicrosoft},
    {"SkipLayerNormalization", 1, kMax, skipLayerNorm, kMicrosoft},
    {"SkipSimplifiedLayerNormalization", 1, kMax, skipSimplifiedLayerNorm, kMicrosoft},
    {"FusedMatMul", 1, kMax, fusedMatMul, kMicrosoft},
    {"FusedConv", 1, kMax, fusedConv, kMicrosoft},
    {"SimplifiedLayerNormalization", 1, kMax, simplifiedLayerNorm},
};

} // namespace

std::span<const ConverterRow> contribConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
