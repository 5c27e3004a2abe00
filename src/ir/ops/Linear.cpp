// Type inference of matrix products (ONNX Gemm, MatMul with numpy-style batch broadcasting).
#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {

Expected<DType> productType(DType a, DType b) {
  auto int8 = [](DType t) { return t == DType::u8 || t == DType::i8; };
  if (int8(a) && int8(b))
    return DType::i32;
  if (a != b)
    return Status::error(fmt::format("operands of types {} and {} (the same type, or 8-bit "
                                     "integers with an i32 result)",
                                     dtypeName(a), dtypeName(b)));
  return a;
}

Expected<TensorType> inferGemm(const Op& op) {
  const auto& a = op.attr<GemmAttrs>();
  const TensorType& A = op.operands[0]->type;
  const TensorType& B = op.operands[1]->type;
  if (A.rank() != 2 || B.rank() != 2)
    return Status::error(fmt::format("A {} and B {} must be matrices", shapeString(A.shape),
                                     shapeString(B.shape)));
  DNNCC_ASSIGN_OR_RETURN(DType type, productType(A.dtype, B.dtype));
  int64_t m = a.transA ? A.shape[1] : A.shape[0];
  int64_t kA = a.transA ? A.shape[0] : A.shape[1];
  int64_t kB = a.transB ? B.shape[1] : B.shape[0];
  int64_t n = a.transB ? B.shape[0] : B.shape[1];
  if (kA != kB)
    return Status::error(fmt::format("inner dimensions {} and {} differ", kA, kB));
  if (op.operands.size() == 3) {
    Expected<std::vector<int64_t>> c = broadcastShapes(op.operands[2]->type.shape, {m, n});
    if (!c || *c != std::vector<int64_t>{m, n})
      return Status::error(fmt::format("C {} does not broadcast to [{},{}]",
                                       shapeString(op.operands[2]->type.shape), m, n));
  }
  if (op.operands.size() == 3 && op.operands[2]->type.dtype != type)
    return Status::error(fmt::format("C of type {} is not {}",
                                     dtypeName(op.operands[2]->type.dtype), dtypeName(type)));
  return makeType(type, {m, n});
}

Expected<TensorType> inferMatMul(const Op& op) {
  std::vector<int64_t> a = op.operands[0]->type.shape;
  std::vector<int64_t> b = op.operands[1]->type.shape;
  if (a.empty() || b.empty())
    return Status::error("matmul operands must have rank >= 1");
  DNNCC_ASSIGN_OR_RETURN(DType type,
                         productType(op.operands[0]->type.dtype, op.operands[1]->type.dtype));
  // numpy.matmul: 1-d operands get a dimension prepended (A) / appended (B), removed afterwards.
  bool vecA = a.size() == 1, vecB = b.size() == 1;
  if (vecA)
    a.insert(a.begin(), 1);
  if (vecB)
    b.push_back(1);
  int64_t m = a[a.size() - 2], k = a.back(), k2 = b[b.size() - 2], n = b.back();
  if (k != k2)
    return Status::error(fmt::format("inner dimensions {} and {} differ", k, k2));
  DNNCC_ASSIGN_OR_RETURN(auto batch,
                         broadcastShapes(std::vector<int64_t>(a.begin(), a.end() - 2),
                                         std::vector<int64_t>(b.begin(), b.end() - 2)));
  if (!vecA)
    batch.push_back(m);
  if (!vecB)
    batch.push_back(n);
  return makeType(type, std::move(batch));
}

} // namespace dnncc
