// NNEF matrix multiplication (NNEF 1.0 section 4.6): matmul and linear.
#include <fmt/format.h>

#include "frontend/nnef/Converters.h"

namespace dnncc::nnefimport {
namespace {

/// `x` with its last two axes swapped.
Expected<Value*> swapLastTwo(OpContext& c, Value* x) {
  const int rank = x->type.rank();
  if (rank < 2)
    return c.error(fmt::format("cannot transpose a tensor of rank {}", rank));
  IntList perm(rank);
  for (int i = 0; i < rank; ++i)
    perm[i] = i;
  std::swap(perm[rank - 1], perm[rank - 2]);
  return c.emit(OpKind::Transpose, {x}, TransposeAttrs{perm});
}

/// matmul: C = op(A) op(B) over the last two axes (batched over the leading ones).
Status matmul(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input("A"));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input("B"));
  if (a->type.rank() == 2 && b->type.rank() == 2) {
    GemmAttrs g{c.attrLogical("transposeA"), c.attrLogical("transposeB"), 1.0, 1.0};
    DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Gemm, {a, b}, g));
    return c.setOutput("C", y);
  }
  if (c.attrLogical("transposeA")) {
    DNNCC_ASSIGN_OR_RETURN(a, swapLastTwo(c, a));
  }
  if (c.attrLogical("transposeB")) {
    DNNCC_ASSIGN_OR_RETURN(b, swapLastTwo(c, b));
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::MatMul, {a, b}));
  return c.setOutput("C", y);
}

/// linear: input [N, K] times filter [O, K] transposed, plus bias [1, O].
Status linear(OpContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input("input"));
  DNNCC_ASSIGN_OR_RETURN(Value * w, c.input("filter"));
  if (x->type.rank() != 2 || w->type.rank() != 2)
    return c.error(fmt::format("linear needs a rank-2 input and filter, got {} and {}",
                               toString(x->type), toString(w->type)));
  std::vector<Value*> operands = {x, w};
  if (!c.isLiteral("bias", 0.0)) {
    DNNCC_ASSIGN_OR_RETURN(Value * b, c.input("bias"));
    DNNCC_ASSIGN_OR_RETURN(b, c.padRank(b, 2));
    operands.push_back(b);
  }
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Gemm, operands, GemmAttrs{false, true, 1, 1}));
  return c.setOutput("output", y);
}

const ConverterRow kRows[] = {
    {"matmul", matmul},
    {"linear", linear},
};
} // namespace

std::span<const ConverterRow> linearConverters() {
  return kRows;
}

} // namespace dnncc::nnefimport
