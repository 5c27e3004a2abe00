// Halide algorithms of the matrix products (ONNX Gemm and MatMul, numpy.matmul broadcasting).
#include "codegen/halide/Algorithm.h"

namespace dnncc::hl {
namespace {
using Halide::Expr;

/// Y[m, n] = beta * C[m, n] + alpha * sum_k A'[m, k] * B'[k, n]   (ONNX Gemm)
Expected<TensorFunc> gemm(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const auto& a = op.attr<GemmAttrs>();
  const TensorFunc& A = in[0];
  const TensorFunc& B = in[1];
  Halide::Type t = halideType(op.result->type.dtype, lw);
  int64_t k = a.transA ? A.type.shape[0] : A.type.shape[1];
  Halide::RDom r(0, static_cast<int>(k), "k");
  auto v = makeVars(2);
  Expr m = v[0], n = v[1];
  Expr init = Halide::cast(t, 0);
  if (in.size() == 3 && a.beta != 0) {
    init = in[2](broadcastIdx(in[2].type, op.result->type.shape, {m, n}));
    if (a.beta != 1)
      init = init * constant(t, a.beta);
  }
  Expr prod = Halide::cast(t, a.transA ? A({r, m}) : A({m, r})) *
              Halide::cast(t, a.transB ? B({n, r}) : B({r, n}));
  if (a.alpha != 1)
    prod = prod * constant(t, a.alpha);
  Halide::Func f("gemm");
  f(n, m) = init;
  f(n, m) += prod;
  return reductionResult(op, f, v, r);
}

Expected<TensorFunc> matmul(const Op& op, const std::vector<TensorFunc>& in, const Lowering& lw) {
  const TensorFunc& A = in[0];
  const TensorFunc& B = in[1];
  Halide::Type t = halideType(op.result->type.dtype, lw); // i32 for 8-bit integer operands
  bool vecA = A.type.rank() == 1, vecB = B.type.rank() == 1;
  int64_t k = A.type.shape.back();
  Halide::RDom r(0, static_cast<int>(k), "k");
  const auto& outShape = op.result->type.shape;
  auto v = makeVars(static_cast<int>(outShape.size()));
  // Output axes: batch..., [m unless vecA], [n unless vecB].
  size_t batchRank = outShape.size() - (vecA ? 0 : 1) - (vecB ? 0 : 1);
  Idx batch(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(batchRank));
  std::vector<int64_t> batchShape(outShape.begin(),
                                  outShape.begin() + static_cast<std::ptrdiff_t>(batchRank));
  Idx ai, bi;
  if (!vecA) {
    TensorType ab{A.type.dtype, std::vector<int64_t>(A.type.shape.begin(), A.type.shape.end() - 2)};
    ai = broadcastIdx(ab, batchShape, batch);
    ai.push_back(v[batchRank]);
  }
  ai.push_back(r);
  if (!vecB) {
    TensorType bb{B.type.dtype, std::vector<int64_t>(B.type.shape.begin(), B.type.shape.end() - 2)};
    bi = broadcastIdx(bb, batchShape, batch);
    bi.push_back(r);
    bi.push_back(v.back());
  } else {
    bi.push_back(r);
  }
  Halide::Func f("matmul");
  auto hv = halideOrder(v);
  f(hv) = Halide::cast(t, 0);
  f(hv) += Halide::cast(t, A(ai)) * Halide::cast(t, B(bi));
  return reductionResult(op, f, v, r);
}

/// Multiply-adds: K per output element.
int64_t workMatMul(const Op& op) {
  return op.result->type.numElements() * op.operands[0]->type.shape.back();
}

int64_t workGemm(const Op& op) {
  const TensorType& a = op.operands[0]->type;
  return op.result->type.numElements() * (op.attr<GemmAttrs>().transA ? a.shape[0] : a.shape[1]);
}

const AlgorithmRow kRows[] = {
    // kind, Halide algorithm, work estimate, half-precision rule (Algorithm.h)
    {OpKind::Gemm, gemm, workGemm, nullptr},
    {OpKind::MatMul, matmul, workMatMul, nullptr},
};
} // namespace

std::span<const AlgorithmRow> linearAlgorithms() { return kRows; }

} // namespace dnncc::hl
