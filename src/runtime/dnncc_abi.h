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
#define DNNCC_ABI_VERSION 4
/** Largest tensor rank a compiled model may use. */
#define DNNCC_MAX_RANK 8

struct halide_buffer_t;
struct halide_device_interface_t;

/** The GPU API of a library whose kernels run on a GPU, defined by the runtime's per-API file
 * (runtime_opencl.c, runtime_cuda.c) and referenced by the entry code of GPU targets only, so
 * CPU libraries never link a GPU runtime. */
typedef struct dnncc_device_api {
  const char *name; /**< "OpenCL" or "CUDA", for messages */
  /** Halide's device interface of the API (kernels use the same one). */
  const struct halide_device_interface_t *(*device_interface)(void);
  /** Makes `view`, which has no device allocation, an alias of `owner`'s device allocation: the
   * same bytes seen with view's own shape (a Reshape, or a tensor reusing the bytes of another
   * whose lifetime has ended). Returns 0 or a Halide error code. */
  int (*share)(struct halide_buffer_t *owner, struct halide_buffer_t *view);
  /** Undoes share (the allocation stays with its owner). */
  int (*unshare)(struct halide_buffer_t *view);
  /** Makes `view`, which has no device allocation, the bytes [offset, offset + bytes) of `blob`'s
   * device allocation (the device arena, the weights): an OpenCL sub-buffer, a CUDA device pointer
   * plus offset. Returns 0, or non-zero when the API cannot (an OpenCL offset that is not a
   * multiple of the device's base address alignment): the caller then allocates `view` itself. */
  int (*view)(struct halide_buffer_t *blob, int64_t offset, int64_t bytes,
              struct halide_buffer_t *view);
  /** Undoes view, releasing what it created (the blob's allocation stays). */
  int (*unview)(struct halide_buffer_t *view);
  /** The per-kernel profile's device clock: a marker placed in the device's queue after every
   * command issued so far (an OpenCL marker event, a CUDA event), without waiting; null when the
   * API cannot (the runtime then times on the host, waiting for each kernel). */
  void *(*mark)(void);
  /** Waits for `count` markers, writes each one's device time in ns relative to the first into
   * `ns`, and releases them (null entries skipped, their time -1). Returns 0 or an error code. */
  int (*marker_times)(void *const *markers, int64_t count, int64_t *ns);
  /** Writes a one-line description of the device in use into `out` (`capacity` bytes, always
   * terminated). Call after a device allocation succeeded. Returns 0 or a Halide error code. */
  int (*describe)(char *out, int capacity);
} dnncc_device_api;

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

/** A data-dependent output extent (NonZero, Compress, Unique, NonMaxSuppression): the output's
 * extent along `axis` (ONNX order) is the int64 value in buffer `buffer` after a run, at most the
 * static extent in dnncc_tensor_info.shape, which the output buffer is allocated for. */
typedef struct dnncc_output_extent {
  int64_t axis;   /**< -1: the output's shape is static */
  int64_t buffer; /**< index into dnncc_model_info.buffers of an int64 scalar */
} dnncc_output_extent;

/** A check the runtime makes after each run (GPU libraries: the run-time check of a shape input
 * known only at run time, which a GPU kernel cannot report itself): the run fails with
 * DNNCC_ERR_KERNEL and `message` when the integer scalar in buffer `buffer` is zero. */
typedef struct dnncc_run_check {
  int64_t buffer;      /**< index into dnncc_model_info.buffers of an integer or bool scalar */
  const char *message; /**< what the failed run reports */
} dnncc_run_check;

/** Called by run_graph after kernel call `kernel` (index into dnncc_model_info.kernels) returned
 * 0, when the instance's profile is on; `context` is run_graph's. */
typedef void (*dnncc_kernel_hook)(void *context, int64_t kernel);

/** Runs every kernel of the model in order on the prepared buffers; returns 0 or the first non-zero
 * Halide error code. `buffers` has dnncc_model_info.num_buffers entries. When `hook` is not null
 * it is called after each kernel (the per-kernel profile); when null the only cost is one
 * comparison per kernel. */
typedef int (*dnncc_graph_fn)(struct halide_buffer_t *buffers, dnncc_kernel_hook hook,
                              void *context);

/** Everything the runtime needs to know about one compiled model. */
typedef struct dnncc_model_info {
  int64_t abi_version;                /**< DNNCC_ABI_VERSION */
  const char *name;                   /**< the model's API prefix, e.g. "model" */
  int64_t num_inputs;
  int64_t num_outputs;
  const dnncc_tensor_info *inputs;    /**< num_inputs entries */
  const dnncc_tensor_info *outputs;   /**< num_outputs entries */
  int64_t arena_size; /**< bytes of the intermediate arena (64-byte aligned; GPU: 512) */
  int64_t num_buffers;
  const dnncc_buffer_info *buffers;   /**< num_buffers entries */
  const uint8_t *weights;             /**< read-only initializer blob (64-byte aligned; GPU: 512) */
  int64_t weights_size;               /**< bytes */
  dnncc_graph_fn run_graph;
  const dnncc_device_api *device;     /**< null: kernels run on the CPU */
  /** num_outputs entries, or null when every output's shape is static. */
  const dnncc_output_extent *output_extents;
  int64_t num_run_checks;
  const dnncc_run_check *run_checks; /**< num_run_checks entries, in order */
  int64_t num_kernels;               /**< kernel calls run_graph makes */
  const dnncc_kernel_info *kernels;  /**< num_kernels entries, in call order */
} dnncc_model_info;

#ifdef __cplusplus
}
#endif
#endif /* DNNCC_ABI_H */
