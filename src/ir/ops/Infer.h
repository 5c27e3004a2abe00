// Type-inference functions of the op families, referenced from the Ops.def table.
#pragma once

#include "ir/IR.h"

namespace dnncc {
// Elementwise.cpp
Expected<TensorType> inferUnary(const Op&);
Expected<TensorType> inferSameType(const Op&);
Expected<TensorType> inferUnaryFloat(const Op&);
Expected<TensorType> inferUnaryBool(const Op&);
Expected<TensorType> inferCast(const Op&);
Expected<TensorType> inferBitCast(const Op&);
Expected<TensorType> inferArith(const Op&);
Expected<TensorType> inferPow(const Op&);
Expected<TensorType> inferCompare(const Op&);
Expected<TensorType> inferLogical(const Op&);
Expected<TensorType> inferWhere(const Op&);
Expected<TensorType> inferAssert(const Op&);
Expected<TensorType> inferFloatPredicate(const Op&);
Expected<TensorType> inferUnaryInt(const Op&);
Expected<TensorType> inferBitwise(const Op&);
Expected<TensorType> inferPRelu(const Op&);
// Conv.cpp
Expected<TensorType> inferConv(const Op&);
Expected<TensorType> inferConvTranspose(const Op&);
Expected<TensorType> inferGridSample(const Op&);
Expected<TensorType> inferRoiAlign(const Op&);
Expected<TensorType> inferDeformConv(const Op&);
Expected<TensorType> inferPoolIndices(const Op&);
Expected<TensorType> inferMaxUnpool(const Op&);
Expected<TensorType> inferPool(const Op&);
Expected<TensorType> inferGlobalPool(const Op&);
// Linear.cpp
Expected<TensorType> inferGemm(const Op&);
Expected<TensorType> inferMatMul(const Op&);
// Reduce.cpp
Expected<TensorType> inferReduce(const Op&);
Expected<TensorType> inferSoftmax(const Op&);
Expected<TensorType> inferLayerNorm(const Op&);
Expected<TensorType> inferBatchNorm(const Op&);
Expected<TensorType> inferArg(const Op&);
Expected<TensorType> inferTopK(const Op&);
Expected<TensorType> inferCum(const Op&);
// Shape.cpp
Expected<TensorType> inferReshape(const Op&);
Expected<TensorType> inferExpand(const Op&);
Expected<TensorType> inferTranspose(const Op&);
Expected<TensorType> inferConcat(const Op&);
Expected<TensorType> inferSlice(const Op&);
Expected<TensorType> inferSliceRuntime(const Op&);
Expected<TensorType> inferGather(const Op&);
Expected<TensorType> inferPad(const Op&);
Expected<TensorType> inferGatherElements(const Op&);
Expected<TensorType> inferGatherND(const Op&);
Expected<TensorType> inferScatterElements(const Op&);
Expected<TensorType> inferScatterND(const Op&);
Expected<TensorType> inferReverseSequence(const Op&);
Expected<TensorType> inferTensorScatter(const Op&);
// DataDependent.cpp
Expected<TensorType> inferNonZero(const Op&);
Expected<TensorType> inferCompress(const Op&);
Expected<TensorType> inferNms(const Op&);
Expected<TensorType> inferUnique(const Op&);
// Quantize.cpp
Expected<TensorType> inferQuantizeLinear(const Op&);
Expected<TensorType> inferDequantizeLinear(const Op&);

/// A TensorType with the given dtype and shape (rowMajor, no quantization).
inline TensorType makeType(DType dtype, std::vector<int64_t> shape) {
  TensorType t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  return t;
}
} // namespace dnncc
