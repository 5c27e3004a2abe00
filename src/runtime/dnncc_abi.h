/* The binary contract between a compiled model library's generated code and the dnncc C runtime.
 * Emitted by src/codegen/llvm (EntryEmitter) as constant globals; read by src/runtime. Every field is
 * 8 bytes wide so the layout is identical on every 64-bit target and trivial to emit from LLVM IR. */
#ifndef DNNCC_ABI_H
#define DNNCC_ABI_H

#include <stdint.h>

#include "dnncc/runtime_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped whenever a struct below changes. */
#define DNNCC_ABI_VERSION 1
/** Largest tensor rank a compiled model may use. */
#define DNNCC_MAX_RANK 8

struct halide_buffer_t;

/** Where the bytes of one kernel argument live. */
enum dnncc_storage {
  DNNCC_STORAGE_ARENA = 0,   /**< intermediate tensor: byte offset into the model's arena */
  DNNCC_STORAGE_WEIGHTS = 1, /**< initializer: byte offset into the read-only weights blob */
  DNNCC_STORAGE_INPUT = 2,   /**< model input `index`: offset into that input's buffer (0) */
  DNNCC_STORAGE_OUTPUT = 3   /**< model output `index`: offset into that output's buffer (0) */
};

/** One halide_buffer_t the runtime builds at model creation. Dimensions are in Halide order
 * (innermost first, i.e. the reverse of ONNX order); strides are in elements. */
typedef struct dnncc_buffer_info {
  int64_t storage;   /**< enum dnncc_storage */
  int64_t index;     /**< input/output index for DNNCC_STORAGE_INPUT/OUTPUT, else 0 */
  int64_t offset;    /**< byte offset inside the storage */
  int64_t type_code; /**< halide_type_code_t: 0 int, 1 uint, 2 float */
  int64_t type_bits; /**< 1 (bool), 8, 16, 32 or 64 */
  int64_t rank;      /**< number of dimensions, 0..DNNCC_MAX_RANK */
  int64_t extent[DNNCC_MAX_RANK];
  int64_t stride[DNNCC_MAX_RANK];
} dnncc_buffer_info;

/** Runs every kernel of the model in order on the prepared buffers; returns 0 or the first non-zero
 * Halide error code. `buffers` has dnncc_model_info.num_buffers entries. */
typedef int (*dnncc_graph_fn)(struct halide_buffer_t *buffers);

/** Everything the runtime needs to know about one compiled model. */
typedef struct dnncc_model_info {
  int64_t abi_version;                /**< DNNCC_ABI_VERSION */
  const char *name;                   /**< the model's API prefix, e.g. "model" */
  int64_t num_inputs;
  int64_t num_outputs;
  const dnncc_tensor_info *inputs;    /**< num_inputs entries */
  const dnncc_tensor_info *outputs;   /**< num_outputs entries */
  int64_t arena_size;                 /**< bytes of the intermediate arena (64-byte aligned) */
  int64_t num_buffers;
  const dnncc_buffer_info *buffers;   /**< num_buffers entries */
  const uint8_t *weights;             /**< read-only initializer blob (64-byte aligned) */
  int64_t weights_size;               /**< bytes */
  dnncc_graph_fn run_graph;
} dnncc_model_info;

#ifdef __cplusplus
}
#endif
#endif /* DNNCC_ABI_H */
