// ONNX losses decomposed into IR ops: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. The
// run-time target selects its class by comparison with a constant iota along the class axis.
#include <fmt/format.h>

#include "frontend/onnx/ops/Compose.h"

namespace dnncc::onnximport {
namespace {

/// NegativeLogLikelihoodLoss-13+ on log-probabilities `x` [N, C, d1..dk] and targets [N, d1..dk]
/// (the reference implementation of the spec): loss[n, d] = -x[n, t, d] * w[t] with t =
/// target[n, d], and 0 where t == ignore_index; reduction none keeps that shape, sum adds it up,
/// mean divides the sum by the sum of the selected weights (the count without `weight`).
Status nllLoss(NodeContext& c, Composer& b, Value* x, int outputIndex) {
  DNNCC_ASSIGN_OR_RETURN(Value * target, c.input(1));
  Value* weight = c.optionalInput(2);
  std::string reduction = c.attrString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return c.error(fmt::format("reduction='{}' is not none, sum or mean", reduction));
  const auto& xs = x->type.shape;
  if (xs.size() < 2)
    return c.error(fmt::format("input rank {} is below 2", xs.size()));
  int64_t n = xs[0], classes = xs[1], d = x->type.numElements() / (n * classes);
  std::vector<int64_t> expectTarget(xs);
  expectTarget.erase(expectTarget.begin() + 1);
  if (target->type.shape != expectTarget)
    return c.error(fmt::format("target shape {} is not {}", shapeString(target->type.shape),
                               shapeString(expectTarget)));
  if (target->type.dtype != DType::i32 && target->type.dtype != DType::i64)
    return c.error("target must be int32 or int64");
  if (weight && weight->type.shape != std::vector<int64_t>{classes})
    return c.error(
        fmt::format("weight shape {} is not [{}]", shapeString(weight->type.shape), classes));
  DType t = x->type.dtype;
  DNNCC_ASSIGN_OR_RETURN(Value * x3, b.reshape(x, {n, classes, d}));
  DNNCC_ASSIGN_OR_RETURN(Value * t3, b.reshape(target, {n, 1, d}));
  std::vector<double> iota(classes);
  for (int64_t i = 0; i < classes; ++i)
    iota[i] = static_cast<double>(i);
  Value* classIds = b.tensor(target->type.dtype, {1, classes, 1}, iota);
  DNNCC_ASSIGN_OR_RETURN(Value * onehot, b.op(OpKind::Equal, {t3, classIds}));
  if (c.hasAttr("ignore_index")) {
    int64_t ii = c.attrInt("ignore_index", 0);
    if (ii >= 0 && ii < classes) { // an out-of-range ignore_index matches no class anyway
      Value* iiValue = b.scalar(target->type.dtype, static_cast<double>(ii));
      DNNCC_ASSIGN_OR_RETURN(Value * ignored, b.op(OpKind::Equal, {t3, iiValue}));
      DNNCC_ASSIGN_OR_RETURN(Value * kept, b.op(OpKind::Not, {ignored}));
      DNNCC_ASSIGN_OR_RETURN(onehot, b.op(OpKind::And, {onehot, kept}));
    }
  }
  Value* zero = b.scalar(t, 0);
  DNNCC_ASSIGN_OR_RETURN(Value * sel, b.op(OpKind::Where, {onehot, x3, zero}));
  DNNCC_ASSIGN_OR_RETURN(Value * picked, b.reduce(OpKind::ReduceSum, sel, {1}, false));
  Value* w3 = b.scalar(t, 1);
  if (weight) {
    DNNCC_ASSIGN_OR_RETURN(w3, b.reshape(weight, {1, classes, 1}));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * wsel, b.op(OpKind::Where, {onehot, w3, zero}));
  DNNCC_ASSIGN_OR_RETURN(Value * wt, b.reduce(OpKind::ReduceSum, wsel, {1}, false));
  DNNCC_ASSIGN_OR_RETURN(Value * neg, b.op(OpKind::Neg, {picked}));
  DNNCC_ASSIGN_OR_RETURN(Value * loss, b.op(OpKind::Mul, {neg, wt}));
  if (reduction == "none") {
    DNNCC_ASSIGN_OR_RETURN(loss, b.reshape(loss, target->type.shape));
    return c.setOutput(outputIndex, loss);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * sum, b.reduce(OpKind::ReduceSum, loss, {0, 1}, false));
  if (reduction == "mean") {
    DNNCC_ASSIGN_OR_RETURN(Value * wsum, b.reduce(OpKind::ReduceSum, wt, {0, 1}, false));
    DNNCC_ASSIGN_OR_RETURN(sum, b.op(OpKind::Div, {sum, wsum}));
  }
  return c.setOutput(outputIndex, sum);
}

Status negativeLogLikelihoodLoss(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  return nllLoss(c, b, x, 0);
}

/// SoftmaxCrossEntropyLoss-13+: log_prob = LogSoftmax(scores, axis 1) (optional output 1), then
/// the loss is NegativeLogLikelihoodLoss of log_prob with the same attributes.
Status softmaxCrossEntropyLoss(NodeContext& c) {
  Composer b(c);
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  if (x->type.rank() < 2)
    return c.error(fmt::format("scores rank {} is below 2", x->type.rank()));
  int64_t n = x->type.shape[0], classes = x->type.shape[1];
  DNNCC_ASSIGN_OR_RETURN(Value * x3,
                         b.reshape(x, {n, classes, x->type.numElements() / (n * classes)}));
  DNNCC_ASSIGN_OR_RETURN(Value * logp3, b.op(OpKind::LogSoftmax, {x3}, AxisAttrs{1}));
  DNNCC_ASSIGN_OR_RETURN(Value * logp, b.reshape(logp3, x->type.shape));
  DNNCC_TRY(c.setOutput(1, logp));
  return nllLoss(c, b, logp, 0);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"NegativeLogLikelihoodLoss", 12, kMax, negativeLogLikelihoodLoss},
    {"SoftmaxCrossEntropyLoss", 12, kMax, softmaxCrossEntropyLoss},
};
} // namespace

std::span<const ConverterRow> lossConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
