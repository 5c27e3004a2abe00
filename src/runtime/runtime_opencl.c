/* The OpenCL side of the dnncc runtime (dnncc_device_api, see dnncc_abi.h): Halide's OpenCL device
 * interface, aliasing a cl_mem between buffers, sub-buffers of the device arena, the profile's
 * marker events, naming the device, and finding the OpenCL library.
 * Linked into a model library only when its entry code references dnncc_rt_device_opencl. */
#include "dnncc_runtime.h"

#include <HalideRuntime.h>
#include <HalideRuntimeOpenCL.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* From the Halide OpenCL runtime (weak definitions in its opencl.cpp, not in its header). */
extern int halide_acquire_cl_context(void *user_context, void **ctx, void **queue, bool create);
extern int halide_release_cl_context(void *user_context);

/* The few OpenCL 1.2 entry points and constants used here (values from the Khronos cl.h, so the
 * runtime builds without OpenCL headers for every architecture). */
typedef int (*ClGetContextInfo)(void *context, unsigned param, size_t size, void *value,
                                size_t *size_ret);
typedef int (*ClGetDeviceInfo)(void *device, unsigned param, size_t size, void *value,
                               size_t *size_ret);
typedef int (*ClGetPlatformInfo)(void *platform, unsigned param, size_t size, void *value,
                                 size_t *size_ret);
typedef void *(*ClCreateSubBuffer)(void *buffer, uint64_t flags, unsigned type, const void *info,
                                   int *err);
typedef int (*ClReleaseMemObject)(void *mem);
typedef void *(*ClCreateCommandQueue)(void *context, void *device, uint64_t properties, int *err);
typedef int (*ClEnqueueMarkerWithWaitList)(void *queue, unsigned count, const void *events,
                                           void **event);
typedef int (*ClWaitForEvents)(unsigned count, void *const *events);
typedef int (*ClGetEventProfilingInfo)(void *event, unsigned param, size_t size, void *value,
                                       size_t *size_ret);
typedef int (*ClReleaseEvent)(void *event);
enum {
  kClQueueProfilingEnable = 1 << 1,
  kClProfilingCommandEnd = 0x1283,
  kClMemReadWrite = 1,
  kClBufferCreateTypeRegion = 0x1220,
  kClContextDevices = 0x1081,
  kClDeviceName = 0x102B,
  kClDevicePlatform = 0x1031,
  kClPlatformName = 0x0902
};

/* Overrides the Halide runtime's weak lookup, which only tries the unversioned libOpenCL.so:
 * boards often ship only libOpenCL.so.1 (the ICD loader) or the vendor's libmali.so. Symbols
 * already in the process (an application linked with -lOpenCL) come first. */
static void *driverSymbol(const char *name) {
  static void *lib = NULL;
  static const char *const kLibraries[] = {"libOpenCL.so", "libOpenCL.so.1", "libmali.so"};
  return dnncc_rt_driver_symbol(&lib, kLibraries, (int)(sizeof kLibraries / sizeof *kLibraries),
                                name);
}

/* Halide's command queue, with profiling enabled: the per-kernel profile reads the device times
 * of marker events in it (markDevice). Timestamping every command costs the driver next to
 * nothing; no marker is enqueued unless the profile is on. */
static void *createCommandQueue(void *context, void *device, uint64_t properties, int *err) {
  ClCreateCommandQueue create = (ClCreateCommandQueue)driverSymbol("clCreateCommandQueue");
  if (!create) {
    if (err)
      *err = -1;
    return NULL;
  }
  return create(context, device, properties | kClQueueProfilingEnable, err);
}

void *halide_opencl_get_symbol(void *user_context, const char *name) {
  (void)user_context;
  if (strcmp(name, "clCreateCommandQueue") == 0)
    return driverSymbol(name) ? (void *)createCommandQueue : NULL;
  return driverSymbol(name);
}

static const struct halide_device_interface_t *deviceInterface(void) {
  return halide_opencl_device_interface();
}

static int share(struct halide_buffer_t *owner, struct halide_buffer_t *view) {
  return halide_opencl_wrap_cl_mem(NULL, view, (uint64_t)halide_opencl_get_cl_mem(NULL, owner));
}

static int unshare(struct halide_buffer_t *view) { return halide_opencl_detach_cl_mem(NULL, view); }

/* A sub-buffer of the blob's cl_mem (OpenCL 1.1), wrapped into view. clCreateSubBuffer fails with
 * CL_MISALIGNED_SUB_BUFFER_OFFSET unless offset is a multiple of CL_DEVICE_MEM_BASE_ADDR_ALIGN. */
static int view(struct halide_buffer_t *blob, int64_t offset, int64_t bytes,
                struct halide_buffer_t *out) {
  ClCreateSubBuffer create = (ClCreateSubBuffer)halide_opencl_get_symbol(NULL, "clCreateSubBuffer");
  ClReleaseMemObject release =
      (ClReleaseMemObject)halide_opencl_get_symbol(NULL, "clReleaseMemObject");
  if (!create || !release || offset < 0 || bytes <= 0)
    return -1;
  struct {
    size_t origin, size;
  } region = {(size_t)offset, (size_t)bytes};
  int err = 0;
  void *sub = create((void *)(uintptr_t)halide_opencl_get_cl_mem(NULL, blob), kClMemReadWrite,
                     kClBufferCreateTypeRegion, &region, &err);
  if (!sub || err != 0)
    return err != 0 ? err : -1;
  int result = halide_opencl_wrap_cl_mem(NULL, out, (uint64_t)(uintptr_t)sub);
  if (result != 0)
    release(sub);
  return result;
}

/* Detaches the sub-buffer (Halide's wrapper does not own it) and releases it. */
static int unview(struct halide_buffer_t *out) {
  ClReleaseMemObject release =
      (ClReleaseMemObject)halide_opencl_get_symbol(NULL, "clReleaseMemObject");
  void *sub = (void *)(uintptr_t)halide_opencl_get_cl_mem(NULL, out);
  int result = halide_opencl_detach_cl_mem(NULL, out);
  if (release && sub)
    release(sub);
  return result;
}

/* A marker event after everything in Halide's queue (OpenCL 1.2). */
static void *markDevice(void) {
  ClEnqueueMarkerWithWaitList enqueue =
      (ClEnqueueMarkerWithWaitList)driverSymbol("clEnqueueMarkerWithWaitList");
  void *context = NULL, *queue = NULL, *event = NULL;
  if (!enqueue || halide_acquire_cl_context(NULL, &context, &queue, false) != 0)
    return NULL;
  if (queue && enqueue(queue, 0, NULL, &event) != 0)
    event = NULL;
  halide_release_cl_context(NULL);
  return event;
}

/* Each marker's CL_PROFILING_COMMAND_END (the device's clock when everything before it was done),
 * relative to the first marker's. */
static int markerTimes(void *const *markers, int64_t count, int64_t *ns) {
  ClWaitForEvents wait = (ClWaitForEvents)driverSymbol("clWaitForEvents");
  ClGetEventProfilingInfo info = (ClGetEventProfilingInfo)driverSymbol("clGetEventProfilingInfo");
  ClReleaseEvent release = (ClReleaseEvent)driverSymbol("clReleaseEvent");
  if (!wait || !info || !release)
    return -1;
  int status = 0;
  uint64_t first = 0;
  for (int64_t i = 0; i < count; ++i) {
    ns[i] = -1;
    if (!markers[i])
      continue;
    uint64_t end = 0;
    int result = wait(1, &markers[i]);
    if (result == 0)
      result = info(markers[i], kClProfilingCommandEnd, sizeof end, &end, NULL);
    release(markers[i]);
    if (result != 0) {
      status = result;
      continue;
    }
    if (i == 0)
      first = end;
    ns[i] = (int64_t)(end - first);
  }
  return status;
}

/* "OpenCL: <device name> (<platform name>)" of the context Halide created. */
static int describe(char *out, int capacity) {
  ClGetContextInfo contextInfo =
      (ClGetContextInfo)halide_opencl_get_symbol(NULL, "clGetContextInfo");
  ClGetDeviceInfo deviceInfo = (ClGetDeviceInfo)halide_opencl_get_symbol(NULL, "clGetDeviceInfo");
  ClGetPlatformInfo platformInfo =
      (ClGetPlatformInfo)halide_opencl_get_symbol(NULL, "clGetPlatformInfo");
  if (!contextInfo || !deviceInfo || !platformInfo)
    return -1;
  void *context = NULL, *queue = NULL;
  if (halide_acquire_cl_context(NULL, &context, &queue, false) != 0 || !context)
    return -1;
  void *device = NULL, *platform = NULL;
  char deviceName[96] = "?", platformName[64] = "?";
  int status = contextInfo(context, kClContextDevices, sizeof device, &device, NULL);
  halide_release_cl_context(NULL);
  if (status != 0 || !device)
    return -1;
  deviceInfo(device, kClDeviceName, sizeof deviceName - 1, deviceName, NULL);
  if (deviceInfo(device, kClDevicePlatform, sizeof platform, &platform, NULL) == 0 && platform)
    platformInfo(platform, kClPlatformName, sizeof platformName - 1, platformName, NULL);
  snprintf(out, (size_t)capacity, "OpenCL: %s (%s)", deviceName, platformName);
  return 0;
}

const dnncc_device_api dnncc_rt_device_opencl = {
    "OpenCL", deviceInterface, share, unshare, view, unview, markDevice, markerTimes, describe};
