/* The CUDA side of the dnncc runtime (dnncc_device_api, see dnncc_abi.h): Halide's CUDA device
 * interface, aliasing a device pointer between buffers (whole or at an offset of the device arena),
 * the profile's events, naming the device, and finding the driver library. Linked into a model library only when its entry code references dnncc_rt_device_cuda. */
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
typedef int (*CuEventCreate)(void **event, unsigned flags);
typedef int (*CuEventRecord)(void *event, void *stream);
typedef int (*CuEventSynchronize)(void *event);
typedef int (*CuEventElapsedTime)(float *ms, void *start, void *end);
typedef int (*CuEventDestroy)(void *event);

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

/* Makes Halide's CUDA context current for the calls that follow (0), or fails (-1). */
static int pushContext(void) {
  CuCtxPushCurrent push = (CuCtxPushCurrent)halide_cuda_get_symbol(NULL, "cuCtxPushCurrent_v2");
  void *context = NULL;
  if (!push || halide_cuda_acquire_context(NULL, &context, false) != 0)
    return -1;
  if (!context || push(context) != 0) {
    halide_cuda_release_context(NULL);
    return -1;
  }
  return 0;
}

static void popContext(void) {
  CuCtxPopCurrent pop = (CuCtxPopCurrent)halide_cuda_get_symbol(NULL, "cuCtxPopCurrent_v2");
  void *popped = NULL;
  if (pop)
    pop(&popped);
  halide_cuda_release_context(NULL);
}

/* An event recorded in the default stream, which Halide's kernels and copies use. */
static void *markDevice(void) {
  CuEventCreate create = (CuEventCreate)halide_cuda_get_symbol(NULL, "cuEventCreate");
  CuEventRecord record = (CuEventRecord)halide_cuda_get_symbol(NULL, "cuEventRecord");
  CuEventDestroy destroy = (CuEventDestroy)halide_cuda_get_symbol(NULL, "cuEventDestroy_v2");
  if (!create || !record || !destroy || pushContext() != 0)
    return NULL;
  void *event = NULL;
  if (create(&event, 0) != 0) {
    event = NULL;
  } else if (record(event, NULL) != 0) {
    destroy(event);
    event = NULL;
  }
  popContext();
  return event;
}

/* Each event's time after the first (cuEventElapsedTime: ms as a float, about 0.5 us steps). */
static int markerTimes(void *const *markers, int64_t count, int64_t *ns) {
  CuEventSynchronize sync = (CuEventSynchronize)halide_cuda_get_symbol(NULL, "cuEventSynchronize");
  CuEventElapsedTime elapsed =
      (CuEventElapsedTime)halide_cuda_get_symbol(NULL, "cuEventElapsedTime");
  CuEventDestroy destroy = (CuEventDestroy)halide_cuda_get_symbol(NULL, "cuEventDestroy_v2");
  if (!sync || !elapsed || !destroy || pushContext() != 0)
    return -1;
  int status = 0;
  for (int64_t i = 0; i < count; ++i) {
    float ms = 0.0f;
    int result = markers[i] && markers[0] ? sync(markers[i]) : -1;
    if (result == 0)
      result = elapsed(&ms, markers[0], markers[i]);
    ns[i] = result == 0 ? (int64_t)((double)ms * 1e6) : -1;
    if (markers[i] && result != 0)
      status = result;
  }
  for (int64_t i = 0; i < count; ++i)
    if (markers[i])
      destroy(markers[i]);
  popContext();
  return status;
}

/* "CUDA: <device name>" of the context Halide created. */
static int describe(char *out, int capacity) {
  CuCtxGetDevice ctxGetDevice = (CuCtxGetDevice)halide_cuda_get_symbol(NULL, "cuCtxGetDevice");
  CuDeviceGetName deviceGetName = (CuDeviceGetName)halide_cuda_get_symbol(NULL, "cuDeviceGetName");
  if (!ctxGetDevice || !deviceGetName || pushContext() != 0)
    return -1;
  int device = 0;
  char name[96] = "?";
  int status = ctxGetDevice(&device);
  if (status == 0)
    status = deviceGetName(name, (int)sizeof name - 1, device);
  popContext();
  if (status != 0)
    return -1;
  snprintf(out, (size_t)capacity, "CUDA: %s", name);
  return 0;
}

const dnncc_device_api dnncc_rt_device_cuda = {
    "CUDA", deviceInterface, share, unshare, view, unshare, markDevice, markerTimes, describe};
