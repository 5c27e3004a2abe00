/* Types shared by every dnncc model library's API. A generated model header (libmodel.h) embeds a copy
 * of this block under the same include guard, so several model headers can be included together. */
#ifndef DNNCC_RUNTIME_TYPES_H
#define DNNCC_RUNTIME_TYPES_H

#include <stddef.h>
#include <stdint.h>

/** Opaque state of one model instance: arena, prepared buffers, last error message. */
typedef struct dnncc_model dnncc_model;

/** Element types; the values are those of ONNX TensorProto.DataType. The small types (17-26)
 * take one byte per element: float8/float4 codes in the low bits, int4/int2 sign-extended to
 * int8, uint4/uint2 zero-extended (not packed as in ONNX tensor data). */
typedef enum dnncc_dtype {
  DNNCC_FLOAT32 = 1, DNNCC_UINT8 = 2, DNNCC_INT8 = 3, DNNCC_UINT16 = 4, DNNCC_INT16 = 5,
  DNNCC_INT32 = 6, DNNCC_INT64 = 7, DNNCC_BOOL = 9, DNNCC_FLOAT16 = 10, DNNCC_FLOAT64 = 11,
  DNNCC_UINT32 = 12, DNNCC_UINT64 = 13, DNNCC_BFLOAT16 = 16, DNNCC_FLOAT8E4M3FN = 17,
  DNNCC_FLOAT8E4M3FNUZ = 18, DNNCC_FLOAT8E5M2 = 19, DNNCC_FLOAT8E5M2FNUZ = 20, DNNCC_UINT4 = 21,
  DNNCC_INT4 = 22, DNNCC_FLOAT4E2M1 = 23, DNNCC_FLOAT8E8M0 = 24, DNNCC_UINT2 = 25, DNNCC_INT2 = 26
} dnncc_dtype;

/** Status codes returned by every API function (0 = success). */
typedef enum dnncc_status {
  DNNCC_OK = 0,
  DNNCC_ERR_INVALID_ARGUMENT = 1, /**< null pointer, index out of range, wrong byte size */
  DNNCC_ERR_OUT_OF_MEMORY = 2,    /**< arena or instance allocation failed (only in create) */
  DNNCC_ERR_KERNEL = 3,           /**< a kernel reported an error; see the last error message */
  DNNCC_ERR_ABI = 4,              /**< library and runtime disagree on DNNCC_ABI_VERSION */
  DNNCC_ERR_DEVICE = 5            /**< GPU libraries: no OpenCL platform / CUDA driver, or a
                                       device allocation or copy failed; see the last error */
} dnncc_status;

/** Name, element type and shape (ONNX order, row-major) of one model input or output. */
typedef struct dnncc_tensor_info {
  const char *name;
  int64_t dtype;      /**< dnncc_dtype */
  int64_t rank;
  int64_t shape[8];   /**< first `rank` entries used */
  int64_t size_bytes; /**< product(shape) * element size */
} dnncc_tensor_info;

/** One kernel call of the model's run, in run order (the per-kernel profile's rows). The same
 * compiled kernel may be called several times (identical convs share their code); each call is
 * its own entry. */
typedef struct dnncc_kernel_info {
  const char *name;  /**< the kernel's symbol, e.g. "conv_f32_k3s1g1_relu_9c1a0e3b" */
  const char *ops;   /**< the IR ops it computes, in order, '+'-separated: "conv+add+relu" */
  const char *nodes; /**< the ONNX nodes it covers, in graph order, ", "-separated ("" when
                          the model's nodes have no names) */
  int64_t flops;     /**< arithmetic per run: 2 per multiply-add of a conv, matmul or gemm, 1 per
                          pooling window tap, 1 per result element of every other op */
  int64_t bytes;     /**< bytes of its arguments: each input read once, the output written once
                          (the least memory traffic the kernel can have) */
} dnncc_kernel_info;

#endif /* DNNCC_RUNTIME_TYPES_H */
