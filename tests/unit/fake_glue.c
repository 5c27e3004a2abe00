/* The exported wrappers dnncc emits for a model library, written by hand for the fake model:
 * <FAKE_PREFIX>_<fn>(args) calls dnncc_rt_<fn>(&fake_model_info, args). Compiled with
 * -DFAKE_PREFIX=fake or =tinynet into test libraries that dnncc-run and classify.c load. */
#include "dnncc_runtime.h"
#include "fake_model.h"

#ifndef FAKE_PREFIX
#error "define FAKE_PREFIX"
#endif
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define API(fn) CAT(FAKE_PREFIX, fn)
#define EXPORT __attribute__((visibility("default")))

#define I (&fake_model_info)
EXPORT int API(create)(dnncc_model **out) { return dnncc_rt_create(I, out); }
EXPORT void API(destroy)(dnncc_model *m) { dnncc_rt_destroy(I, m); }
EXPORT int API(run)(dnncc_model *m) { return dnncc_rt_run(I, m); }
EXPORT int API(set_num_threads)(dnncc_model *m, int32_t n) {
  return dnncc_rt_set_num_threads(I, m, n);
}
EXPORT int64_t API(num_inputs)(void) { return dnncc_rt_num_inputs(I); }
EXPORT int64_t API(num_outputs)(void) { return dnncc_rt_num_outputs(I); }
EXPORT const dnncc_tensor_info *API(input_info)(int64_t i) { return dnncc_rt_input_info(I, i); }
EXPORT const dnncc_tensor_info *API(output_info)(int64_t i) { return dnncc_rt_output_info(I, i); }
EXPORT int64_t API(input_index)(const char *name) { return dnncc_rt_input_index(I, name); }
EXPORT int64_t API(output_index)(const char *name) { return dnncc_rt_output_index(I, name); }
EXPORT void *API(input_data)(dnncc_model *m, int64_t i) { return dnncc_rt_input_data(I, m, i); }
EXPORT const void *API(output_data)(dnncc_model *m, int64_t i) {
  return dnncc_rt_output_data(I, m, i);
}
EXPORT int API(set_input)(dnncc_model *m, int64_t i, const void *d, size_t n) {
  return dnncc_rt_set_input(I, m, i, d, n);
}
EXPORT int API(get_output)(dnncc_model *m, int64_t i, void *d, size_t n) {
  return dnncc_rt_get_output(I, m, i, d, n);
}
EXPORT const char *API(last_error)(dnncc_model *m) { return dnncc_rt_last_error(I, m); }
EXPORT int64_t API(arena_size)(void) { return dnncc_rt_arena_size(I); }
EXPORT const char *API(device)(dnncc_model *m) { return dnncc_rt_device(I, m); }
EXPORT int API(copy_counts)(dnncc_model *m, int64_t *to_device, int64_t *to_host) {
  return dnncc_rt_copy_counts(I, m, to_device, to_host);
}
EXPORT int API(output_shape)(dnncc_model *m, int64_t i, int64_t *shape) {
  return dnncc_rt_output_shape(I, m, i, shape);
}
EXPORT int API(set_profiling)(dnncc_model *m, int32_t enabled) {
  return dnncc_rt_set_profiling(I, m, enabled);
}
EXPORT int64_t API(num_kernels)(void) {
  return dnncc_rt_num_kernels(I);
}
EXPORT const dnncc_kernel_info *API(kernel_info)(int64_t i) {
  return dnncc_rt_kernel_info(I, i);
}
EXPORT int API(kernel_times)(dnncc_model *m, int64_t *start_ns, int64_t *duration_ns) {
  return dnncc_rt_kernel_times(I, m, start_ns, duration_ns);
}
