// Type-inference functions of the op families (ir/ops/<Family>.cpp), declared from the Ops.def
// table's inferFn column: a row names its function, the family file defines it.
#pragma once

#include "ir/IR.h"

namespace dnncc {
#define DNNCC_OP(Kind, name, AttrsT, minOps, maxOps, traits, inferFn)                              \
  Expected<TensorType> inferFn(const Op&);
#include "ir/Ops.def"

// Helpers shared by the family files (ir/ops/Conv.cpp).
/// Checks that a per-spatial-axis list `what` has `want` entries (2k for pads).
Status checkLen(const char* what, const IntList& v, size_t want);
/// Output extent of a sliding window (ONNX Conv / Pool):
/// floor or ceil((in + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1; in ceil
/// mode a last window that would start in the end padding is dropped (as onnxruntime and PyTorch).
Expected<int64_t> windowExtent(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                               int64_t padBegin, int64_t padEnd, bool ceilMode);

/// The result type of a product of operands of types `a` and `b` (conv, matmul): their common
/// type, or i32 when both are 8-bit integers (u8 or i8, in any mix: the integer conv and matmul
/// widen each product to i32, as ONNX ConvInteger / MatMulInteger accumulate). Errors otherwise.
Expected<DType> productType(DType a, DType b);

/// A TensorType with the given dtype and shape (rowMajor, no quantization).
inline TensorType makeType(DType dtype, std::vector<int64_t> shape) {
  TensorType t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  return t;
}
} // namespace dnncc
