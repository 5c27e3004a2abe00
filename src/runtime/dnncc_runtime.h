/* The dnncc C runtime's entry points. A model library exports thin wrappers `<prefix>_<fn>` (emitted by
 * src/codegen/llvm) that call these with the library's own dnncc_model_info; nothing here is exported
 * from the library itself, so several model libraries can live in one process. */
#ifndef DNNCC_RUNTIME_H
#define DNNCC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "dnncc_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Allocates an instance: arena, input and output buffers, prepared halide buffers; on GPU
 * libraries also the device memory of every tensor, and uploads the weights. The only function
 * that allocates. Returns DNNCC_OK, DNNCC_ERR_OUT_OF_MEMORY, DNNCC_ERR_DEVICE or DNNCC_ERR_ABI. */
int dnncc_rt_create(const dnncc_model_info *info, dnncc_model **out);
/** Frees an instance; null is ignored. */
void dnncc_rt_destroy(const dnncc_model_info *info, dnncc_model *model);
/** Runs the model on the current input buffers; allocates nothing. On GPU libraries: one copy
 * to the device per input, the kernels, one copy back per output. */
int dnncc_rt_run(const dnncc_model_info *info, dnncc_model *model);
/** Sets the size of the library's kernel thread pool (shared by all instances of this library). */
int dnncc_rt_set_num_threads(const dnncc_model_info *info, dnncc_model *model, int32_t threads);
/** Turns the per-kernel profile of later runs on (non-zero) or off (0, the default) and clears
 * the recorded times. While on, run records each kernel call's start and duration: on the host's
 * monotonic clock, or for GPU libraries on the device's (an OpenCL marker event or CUDA event after
 * each kernel, read once the kernels are done; where the API has no such clock, the host's after
 * waiting for each kernel). */
int dnncc_rt_set_profiling(const dnncc_model_info *info, dnncc_model *model, int32_t enabled);
/** Number of kernel calls in a run (the profile's rows). */
int64_t dnncc_rt_num_kernels(const dnncc_model_info *info);
/** Descriptor of kernel call `index` (run order), or null when out of range. */
const dnncc_kernel_info *dnncc_rt_kernel_info(const dnncc_model_info *info, int64_t index);
/** The last profiled run's times, num_kernels entries each, in nanoseconds: when each kernel call
 * started, counted from the start of the run's first kernel, and how long it took. Zeros when no
 * run was profiled since set_profiling; a failed run leaves the kernels after the failure at 0. */
int dnncc_rt_kernel_times(const dnncc_model_info *info, dnncc_model *model, int64_t *start_ns,
                          int64_t *duration_ns);
int64_t dnncc_rt_num_inputs(const dnncc_model_info *info);
int64_t dnncc_rt_num_outputs(const dnncc_model_info *info);
/** Descriptor of input/output `index`, or null when out of range. */
const dnncc_tensor_info *dnncc_rt_input_info(const dnncc_model_info *info, int64_t index);
const dnncc_tensor_info *dnncc_rt_output_info(const dnncc_model_info *info, int64_t index);
/** Index of the input/output called `name`, or -1. */
int64_t dnncc_rt_input_index(const dnncc_model_info *info, const char *name);
int64_t dnncc_rt_output_index(const dnncc_model_info *info, const char *name);
/** The instance's own buffer of input/output `index` (size_bytes long), or null. */
void *dnncc_rt_input_data(const dnncc_model_info *info, dnncc_model *model, int64_t index);
const void *dnncc_rt_output_data(const dnncc_model_info *info, dnncc_model *model, int64_t index);
/** Copies `bytes` (must equal size_bytes) into / out of the instance's buffer. */
int dnncc_rt_set_input(const dnncc_model_info *info, dnncc_model *model, int64_t index,
                       const void *data, size_t bytes);
int dnncc_rt_get_output(const dnncc_model_info *info, dnncc_model *model, int64_t index,
                        void *data, size_t bytes);
/** Shape of output `index` after the last run (rank entries, ONNX order): the static shape, or
 * for a data-dependent output the run's, whose extent on one axis is at most the static one. */
int dnncc_rt_output_shape(const dnncc_model_info *info, dnncc_model *model, int64_t index,
                          int64_t *shape);
/** Message of the last failure on `model` ("" when none); for a null model, of the last create. */
const char *dnncc_rt_last_error(const dnncc_model_info *info, dnncc_model *model);
int64_t dnncc_rt_arena_size(const dnncc_model_info *info);
/** "cpu", or "<API>: <device>" for GPU libraries; null on a bad argument. */
const char *dnncc_rt_device(const dnncc_model_info *info, dnncc_model *model);
/** Copies made by the last run between host and device (0 and 0 on the CPU). */
int dnncc_rt_copy_counts(const dnncc_model_info *info, dnncc_model *model, int64_t *to_device,
                         int64_t *to_host);

/** For the per-API files' driver lookups: `name` from the process if an application already
 * loaded the driver, else from the first of `libraries` (count entries) that loads; `*lib` keeps
 * that library's handle between calls. Null when none has it. */
void *dnncc_rt_driver_symbol(void **lib, const char *const *libraries, int count,
                             const char *name);

#ifdef __cplusplus
}
#endif
#endif /* DNNCC_RUNTIME_H */
