/* The CUDA side of the dnncc runtime (dnncc_device_api, see dnncc_abi.h): Halide's CUDA device
 * interface, aliasing a device pointer between buffers, naming the device, and finding the driver
 * library. Linked into a model library only when its entry code references dnncc_rt_device_cuda. */
#include "dnncc_runtime.h"

#include <HalideRuntime.h>
#include <HalideRuntimeCuda.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* From the Halide CUDA runtime (weak definitions in its cuda.cpp, not in its header). */
extern int halide_cuda_acquire_context(void *user_context, void **ctx, bool create);
extern int halide_cuda_release_context(void *user_context);

/* The CUDA driver API entry points used here (cuda.h; the _v2 names are the ABI symbols). */
typedef int (*CuCtxPushCurrent)(void *ctx);
typedef int (*CuCtxPopCurrent)(void **ctx);
typedef int (*CuCtxGetDevice)(int *device);
typedef int (*CuDeviceGetName)(char *name, int len, int device);

/* Overrides the Halide runtime's weak lookup, which only tries the unversioned libcuda.so: a
 * driver installation without the development symlink has only libcuda.so.1. */
void *halide_cuda_get_symbol(void *user_context, const char *name) {
  (void)user_context;
  static void *lib = NULL;
  static const char *const kLibraries[] = {"libcuda.so", "libcuda.so.1"};
  return dnncc_rt_driver_symbol(&lib, kLibraries, (int)(sizeof kLibraries / sizeof *kLibraries),
                                name);
}

static const struct halide_device_interface_t *deviceInterface(void) {
  return halide_cuda_device_interface();
}

static int share(struct halide_buffer_t *owner, struct halide_buffer_t *view) {
  return halide_cuda_wrap_device_ptr(NULL, view, (uint64_t)halide_cuda_get_device_ptr(NULL, owner));
}

static int unshare(struct halide_buffer_t *view) { return halide_cuda_detach_device_ptr(NULL, view); }

/* CUDA device pointers are plain addresses: the blob's plus offset (any offset works; the plan's
 * are 512-byte aligned). */
static int view(struct halide_buffer_t *blob, int64_t offset, int64_t bytes,
                struct halide_buffer_t *out) {
  if (offset < 0 || bytes <= 0)
    return -1;
  return halide_cuda_wrap_device_ptr(
      NULL, out, (uint64_t)halide_cuda_get_device_ptr(NULL, blob) + (uint64_t)offset);
}

/* "CUDA: <device name>" of the context Halide created. */
static int describe(char *out, int capacity) {
  CuCtxPushCurrent push = (CuCtxPushCurrent)halide_cuda_get_symbol(NULL, "cuCtxPushCurrent_v2");
  CuCtxPopCurrent pop = (CuCtxPopCurrent)halide_cuda_get_symbol(NULL, "cuCtxPopCurrent_v2");
  CuCtxGetDevice ctxGetDevice = (CuCtxGetDevice)halide_cuda_get_symbol(NULL, "cuCtxGetDevice");
  CuDeviceGetName deviceGetName = (CuDeviceGetName)halide_cuda_get_symbol(NULL, "cuDeviceGetName");
  if (!push || !pop || !ctxGetDevice || !deviceGetName)
    return -1;
  void *context = NULL;
  if (halide_cuda_acquire_context(NULL, &context, false) != 0 || !context)
    return -1;
  int device = 0;
  char name[96] = "?";
  int status = push(context);
  if (status == 0) {
    status = ctxGetDevice(&device);
    if (status == 0)
      status = deviceGetName(name, (int)sizeof name - 1, device);
    void *popped = NULL;
    pop(&popped);
  }
  halide_cuda_release_context(NULL);
  if (status != 0)
    return -1;
  snprintf(out, (size_t)capacity, "CUDA: %s", name);
  return 0;
}

const dnncc_device_api dnncc_rt_device_cuda = {"CUDA", deviceInterface, share,   unshare,
                                               view,   unshare,         describe};
