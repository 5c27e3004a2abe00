/* The dnncc C runtime: creates model instances from a library's dnncc_model_info (arena,
 * input/output buffers, prepared halide_buffer_t array), runs them, and reports errors as status
 * codes plus a message. Linked (as a static archive) into every model library; every function is
 * documented in dnncc_runtime.h. The strong halide_error below lives in this file on purpose: any
 * reference to a dnncc_rt_* function pulls this object out of the archive, so it always overrides
 * the Halide runtime's weak halide_error (which prints to stderr, or aborts on some GPU errors).
 * One file on purpose too: small, and a split could separate halide_error from the rest. The GPU
 * API specifics (device interface, aliasing a device allocation, naming the device) are in
 * runtime_opencl.c and runtime_cuda.c, reached through dnncc_model_info.device. */
#define _POSIX_C_SOURCE 200112L /* posix_memalign, clock_gettime */

#include "dnncc_runtime.h"
#include "thread_pool.h"

#include <HalideRuntime.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DNNCC_ALIGNMENT 64
#define DNNCC_ERROR_CAPACITY 512

/** One instance: everything create allocates. Buffers are separate allocations (not one block) so
 * that memory checkers see overruns of each tensor. */
struct dnncc_model {
  const dnncc_model_info *info; /* the library this instance belongs to */
  uint8_t *arena;               /* info->arena_size bytes, or null when 0 */
  void **inputs;                /* num_inputs buffers of inputs[i].size_bytes */
  void **outputs;               /* num_outputs buffers of outputs[i].size_bytes */
  halide_buffer_t *buffers;     /* num_buffers prepared kernel arguments */
  halide_dimension_t *dims;     /* num_buffers * DNNCC_MAX_RANK dimensions */
  /* GPU libraries: per buffer, the buffer whose device allocation it uses (itself when it owns
   * one, -1 when it has none yet); null on the CPU. */
  int64_t *owner;
  /* GPU libraries: the device arena and the device copy of the weights, one allocation each
   * (kBlobArena, kBlobWeights: 1-D byte buffers, without device memory when empty), and per
   * buffer 1 when its device memory is a view into one of them (device_api.view). */
  halide_buffer_t blobs[2];
  halide_dimension_t blob_dims[2];
  uint8_t *viewed;
  int64_t copies_to_device, copies_to_host; /* made by the last run */
  int64_t *shapes; /* num_outputs * DNNCC_MAX_RANK: output shapes of the last run (ONNX order) */
  char device[128];                         /* what dnncc_rt_device returns */
  /* The per-kernel profile (dnncc_rt_set_profiling): on or off, and per kernel call of the last
   * profiled run its start and duration in ns from the start of the kernels (num_kernels each). */
  int profiling;
  int64_t *kernel_start_ns, *kernel_ns;
  /* GPU libraries: the profiled run's device markers, before the first kernel and after each
   * (num_kernels + 1), and their times (device_api.mark, marker_times). */
  void **markers;
  int64_t *marker_ns;
  int64_t profile_origin_ns, profile_mark_ns; /* start of the run's kernels; end of the last one */
  char last_error[DNNCC_ERROR_CAPACITY];
};

/* Message of the last failure that had no instance to store it in (create, null model). */
static _Thread_local char tlsCreateError[DNNCC_ERROR_CAPACITY];
/* First and last message passed to halide_error on this thread since clearHalideError; run
 * copies them into the instance. */
static _Thread_local char tlsHalideError[DNNCC_ERROR_CAPACITY / 2];
static _Thread_local char tlsHalideLast[DNNCC_ERROR_CAPACITY / 2];

/* Overrides the Halide runtime's weak halide_error: keep the message instead of printing it. */
void halide_error(void *user_context, const char *msg) {
  (void)user_context;
  /* A failure often reports its cause first and its consequence last (OpenCL: no platform, then
   * no context; CUDA: one line per missing driver function, then no system libraries): keep the
   * first message and the last. */
  char *dst = tlsHalideError[0] ? tlsHalideLast : tlsHalideError;
  snprintf(dst, DNNCC_ERROR_CAPACITY / 2, "%s", msg ? msg : "(null message)");
  /* Halide messages often end with a newline; the API's messages never do. */
  size_t n = strlen(dst);
  while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
    dst[--n] = '\0';
}

/* Forgets the Halide messages before a call into kernels or the device. */
static void clearHalideError(void) { tlsHalideError[0] = tlsHalideLast[0] = '\0'; }

/* The Halide messages since clearHalideError: "first; last", or "(no message)". */
static const char *halideMessage(void) {
  static _Thread_local char both[DNNCC_ERROR_CAPACITY + 2];
  if (!tlsHalideError[0])
    return "(no message)";
  snprintf(both, sizeof both, "%s%s%s", tlsHalideError, tlsHalideLast[0] ? "; " : "",
           tlsHalideLast);
  return both;
}

/* Formats a message into the instance's error buffer (or the thread's create error when model is
 * null) and returns `status`, so failures read `return fail(model, STATUS, "fmt", ...);`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(dnncc_model *model, int status, const char *fmt, ...) {
  char *dst = model ? model->last_error : tlsCreateError;
  va_list args;
  va_start(args, fmt);
  vsnprintf(dst, DNNCC_ERROR_CAPACITY, fmt, args);
  va_end(args);
  return status;
}

static const char *plural(int64_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

/* Zero-filled 64-byte aligned allocation; never returns a pointer for size 0 failures. */
static void *allocZeroed(size_t bytes) {
  void *p = NULL;
  if (bytes == 0)
    bytes = DNNCC_ALIGNMENT;
  bytes = (bytes + DNNCC_ALIGNMENT - 1) / DNNCC_ALIGNMENT * DNNCC_ALIGNMENT;
  if (posix_memalign(&p, DNNCC_ALIGNMENT, bytes) != 0)
    return NULL;
  memset(p, 0, bytes);
  return p;
}

/* Checks the calling library passed the instance it created; returns DNNCC_OK or an error. */
static int checkModel(const dnncc_model_info *info, dnncc_model *model, const char *fn) {
  if (!info)
    return fail(model, DNNCC_ERR_INVALID_ARGUMENT, "%s: model info is null", fn);
  if (!model)
    return fail(NULL, DNNCC_ERR_INVALID_ARGUMENT, "%s: model is null", fn);
  if (model->info != info)
    return fail(model, DNNCC_ERR_INVALID_ARGUMENT,
                "%s: model instance was created by another model library ('%s', not '%s')", fn,
                model->info->name, info->name);
  return DNNCC_OK;
}

static const char *storageName(int64_t storage) {
  switch (storage) {
  case DNNCC_STORAGE_ARENA: return "arena";
  case DNNCC_STORAGE_WEIGHTS: return "weights";
  case DNNCC_STORAGE_INPUT: return "input";
  case DNNCC_STORAGE_OUTPUT: return "output";
  default: return "unknown storage";
  }
}

/* Validates buffer `b` against the storage it points into and returns its host pointer, or sets an
 * error (DNNCC_ERR_ABI: the library's tables are inconsistent, a compiler bug) and returns null. */
static uint8_t *bufferHost(const dnncc_model_info *info, dnncc_model *model, int64_t b,
                           int *status) {
  const dnncc_buffer_info *bi = &info->buffers[b];
  uint8_t *base = NULL;
  int64_t capacity = 0;
  const dnncc_tensor_info *tensors = NULL;
  int64_t count = 0;
  switch (bi->storage) {
  case DNNCC_STORAGE_ARENA: /* model->arena is null in GPU libraries */
    base = model->arena, capacity = info->arena_size;
    break;
  case DNNCC_STORAGE_WEIGHTS:
    /* Halide buffers are not const-qualified; kernels only read weights. */
    base = (uint8_t *)(uintptr_t)info->weights, capacity = info->weights_size;
    break;
  case DNNCC_STORAGE_INPUT: tensors = info->inputs, count = info->num_inputs; break;
  case DNNCC_STORAGE_OUTPUT: tensors = info->outputs, count = info->num_outputs; break;
  default:
    *status = fail(NULL, DNNCC_ERR_ABI,
                   "create: malformed model info: buffer %lld has storage %lld", (long long)b,
                   (long long)bi->storage);
    return NULL;
  }
  if (tensors) {
    if (bi->index < 0 || bi->index >= count) {
      *status = fail(NULL, DNNCC_ERR_ABI,
                     "create: malformed model info: buffer %lld refers to %s %lld (model has %lld)",
                     (long long)b, storageName(bi->storage), (long long)bi->index,
                     (long long)count);
      return NULL;
    }
    base = bi->storage == DNNCC_STORAGE_INPUT ? model->inputs[bi->index]
                                               : model->outputs[bi->index];
    capacity = tensors[bi->index].size_bytes;
  }
  if (bi->rank < 0 || bi->rank > DNNCC_MAX_RANK || bi->type_bits <= 0 || bi->type_bits > 64) {
    *status = fail(NULL, DNNCC_ERR_ABI,
                   "create: malformed model info: buffer %lld has rank %lld, %lld-bit elements",
                   (long long)b, (long long)bi->rank, (long long)bi->type_bits);
    return NULL;
  }
  /* Byte range touched by the buffer: offset + [min, max] element offsets * element size. */
  int64_t lo = 0, hi = 0;
  int empty = 0;
  for (int64_t d = 0; d < bi->rank; ++d) {
    int64_t extent = bi->extent[d], stride = bi->stride[d];
    if (extent < 0 || extent > INT32_MAX || stride < INT32_MIN || stride > INT32_MAX) {
      *status = fail(NULL, DNNCC_ERR_ABI,
                     "create: malformed model info: buffer %lld dimension %lld has extent %lld, "
                     "stride %lld (Halide needs 32-bit values)",
                     (long long)b, (long long)d, (long long)extent, (long long)stride);
      return NULL;
    }
    if (extent == 0)
      empty = 1;
    else if (stride > 0)
      hi += (extent - 1) * stride;
    else
      lo += (extent - 1) * stride;
  }
  int64_t elemBytes = (bi->type_bits + 7) / 8;
  if (!empty && (bi->offset + lo * elemBytes < 0 || bi->offset + (hi + 1) * elemBytes > capacity)) {
    *status = fail(NULL, DNNCC_ERR_ABI,
                   "create: malformed model info: buffer %lld (%s, offset %lld) spans bytes "
                   "[%lld, %lld) outside the %lld bytes of its storage",
                   (long long)b, storageName(bi->storage), (long long)bi->offset,
                   (long long)(bi->offset + lo * elemBytes),
                   (long long)(bi->offset + (hi + 1) * elemBytes), (long long)capacity);
    return NULL;
  }
  return base ? base + bi->offset : NULL;
}

/* ---- GPU libraries: device residency ------------------------------------------------------ */

void *dnncc_rt_driver_symbol(void **lib, const char *const *libraries, int count,
                             const char *name) {
  void *symbol = halide_get_library_symbol(NULL, name); /* null: the whole process */
  if (symbol)
    return symbol;
  for (int i = 0; !*lib && i < count; ++i)
    *lib = halide_load_library(libraries[i]);
  return *lib ? halide_get_library_symbol(*lib, name) : NULL;
}

/* Bytes a buffer spans from its first element (0 when it is empty). */
static int64_t spanBytes(const dnncc_buffer_info *bi) {
  int64_t last = 0;
  for (int64_t d = 0; d < bi->rank; ++d) {
    if (bi->extent[d] == 0)
      return 0;
    last += (bi->extent[d] - 1) * (bi->stride[d] > 0 ? bi->stride[d] : -bi->stride[d]);
  }
  return (last + 1) * ((bi->type_bits + 7) / 8);
}

/* Device errors name the API and carry Halide's message. */
static int deviceFail(const dnncc_model_info *info, dnncc_model *model, const char *what,
                      int result) {
  const char *hint = "";
  if (strcmp(info->device->name, "OpenCL") == 0)
    hint = " (is an OpenCL driver installed? the ICD loader looks in /etc/OpenCL/vendors)";
  else if (strcmp(info->device->name, "CUDA") == 0)
    hint = " (is the NVIDIA driver installed? the runtime loads libcuda.so)";
  return fail(model, DNNCC_ERR_DEVICE, "%s: %s failed with Halide error %d: %s%s", what,
              info->device->name, result, halideMessage(), hint);
}

enum { kBlobArena = 0, kBlobWeights = 1 };

/* Allocates blob `which` of `bytes` bytes on the device (a 1-D byte buffer over `host`, which may
 * be null); nothing when bytes is 0 or past a Halide extent (the buffers then get their own). */
static int allocateBlob(const dnncc_model_info *info, dnncc_model *m, int which, int64_t bytes,
                        const uint8_t *host) {
  if (bytes <= 0 || bytes > INT32_MAX)
    return DNNCC_OK;
  halide_buffer_t *blob = &m->blobs[which];
  blob->host = (uint8_t *)(uintptr_t)host; /* the weights: only ever read */
  blob->type.code = halide_type_uint;
  blob->type.bits = 8;
  blob->type.lanes = 1;
  blob->dimensions = 1;
  blob->dim = &m->blob_dims[which];
  blob->dim->extent = (int32_t)bytes;
  blob->dim->stride = 1;
  int result = halide_device_malloc(NULL, blob, info->device->device_interface());
  if (result != 0) {
    char what[96];
    snprintf(what, sizeof what, "create: device memory for the %s (%lld bytes)",
             which == kBlobArena ? "arena" : "weights", (long long)bytes);
    return deviceFail(info, NULL, what, result);
  }
  return DNNCC_OK;
}

/* Gives every buffer device memory and uploads the weights, once per instance. The arena and the
 * weights are one device allocation each (the weights uploaded in one copy), and each of their
 * tensors is a view of its planned bytes there; buffers over the same bytes of the same storage (a
 * Reshape's views; tensors that reuse the bytes of a dead one) share one view. Inputs and outputs
 * get their own allocations, and so does a tensor the API cannot view (see device_api.view).
 * Kernels then never copy: inputs are copied in and outputs out by run, through the owner buffers
 * only. */
static int prepareDevice(const dnncc_model_info *info, dnncc_model *m) {
  const dnncc_device_api *api = info->device;
  const struct halide_device_interface_t *iface = api->device_interface();
  clearHalideError();
  halide_reuse_device_allocations(NULL, 1); /* kernels' own scratch stages */
  int status = allocateBlob(info, m, kBlobArena, info->arena_size, NULL);
  if (status == DNNCC_OK)
    status = allocateBlob(info, m, kBlobWeights, info->weights_size, info->weights);
  if (status != DNNCC_OK)
    return status;
  if (m->blobs[kBlobWeights].device) {
    m->blobs[kBlobWeights].flags |= halide_buffer_flag_host_dirty;
    int result = halide_copy_to_device(NULL, &m->blobs[kBlobWeights], iface);
    if (result != 0)
      return deviceFail(info, NULL, "create: uploading the weights", result);
  }
  for (int64_t b = 0; b < info->num_buffers; ++b) {
    const dnncc_buffer_info *bi = &info->buffers[b];
    int64_t bytes = spanBytes(bi);
    m->owner[b] = -1;
    if (bytes == 0)
      continue;
    for (int64_t o = 0; o < b && m->owner[b] < 0; ++o) {
      const dnncc_buffer_info *oi = &info->buffers[o];
      if (m->owner[o] == o && oi->storage == bi->storage && oi->index == bi->index &&
          oi->offset == bi->offset && spanBytes(oi) == bytes)
        m->owner[b] = o;
    }
    int result;
    halide_buffer_t *blob = bi->storage == DNNCC_STORAGE_ARENA     ? &m->blobs[kBlobArena]
                            : bi->storage == DNNCC_STORAGE_WEIGHTS ? &m->blobs[kBlobWeights]
                                                                   : NULL;
    if (m->owner[b] >= 0) {
      result = api->share(&m->buffers[m->owner[b]], &m->buffers[b]);
    } else {
      m->owner[b] = b;
      m->viewed[b] =
          blob && blob->device && api->view(blob, bi->offset, bytes, &m->buffers[b]) == 0;
      result = m->viewed[b] ? 0 : halide_device_malloc(NULL, &m->buffers[b], iface);
    }
    if (result != 0) {
      m->owner[b] = -1;
      char what[96];
      snprintf(what, sizeof what, "create: device memory for buffer %lld (%s, %lld bytes)",
               (long long)b, storageName(bi->storage), (long long)bytes);
      return deviceFail(info, NULL, what, result);
    }
  }
  if (api->describe(m->device, (int)sizeof m->device) != 0)
    snprintf(m->device, sizeof m->device, "%s", api->name);
  for (int64_t b = 0; b < info->num_buffers; ++b)
    if (info->buffers[b].storage == DNNCC_STORAGE_WEIGHTS && m->owner[b] == b && !m->viewed[b]) {
      m->buffers[b].flags |= halide_buffer_flag_host_dirty;
      int result = halide_copy_to_device(NULL, &m->buffers[b], iface);
      if (result != 0)
        return deviceFail(info, NULL, "create: uploading the weights", result);
    }
  return DNNCC_OK;
}

/* One host-to-device copy per input (through its owner buffer; aliases see the same bytes). */
static int copyInputsToDevice(const dnncc_model_info *info, dnncc_model *model) {
  const struct halide_device_interface_t *iface = info->device->device_interface();
  for (int64_t b = 0; b < info->num_buffers; ++b)
    if (info->buffers[b].storage == DNNCC_STORAGE_INPUT && model->owner[b] == b) {
      model->buffers[b].flags |= halide_buffer_flag_host_dirty;
      int result = halide_copy_to_device(NULL, &model->buffers[b], iface);
      if (result != 0)
        return deviceFail(info, model, "run: copying an input to the device", result);
      ++model->copies_to_device;
    }
  return DNNCC_OK;
}

/* One device-to-host copy per output, whichever alias the kernel wrote through. */
static int copyOutputsToHost(const dnncc_model_info *info, dnncc_model *model) {
  for (int64_t b = 0; b < info->num_buffers; ++b)
    if (info->buffers[b].storage == DNNCC_STORAGE_OUTPUT && model->owner[b] != b)
      model->buffers[b].flags &= ~(uint64_t)halide_buffer_flag_device_dirty;
  for (int64_t b = 0; b < info->num_buffers; ++b)
    if (info->buffers[b].storage == DNNCC_STORAGE_OUTPUT && model->owner[b] == b) {
      model->buffers[b].flags = (model->buffers[b].flags &
                                 ~(uint64_t)halide_buffer_flag_host_dirty) |
                                halide_buffer_flag_device_dirty;
      int result = halide_copy_to_host(NULL, &model->buffers[b]);
      if (result != 0)
        return deviceFail(info, model, "run: copying an output to the host", result);
      ++model->copies_to_host;
    }
  /* Kernels run asynchronously: wait for all of them, so that run returns with every result
   * final (an output may be empty and copy nothing) and nothing is in flight at destroy or exit. */
  for (int64_t b = 0; b < info->num_buffers; ++b)
    if (model->owner[b] == b) {
      int result = halide_device_sync(NULL, &model->buffers[b]);
      if (result != 0)
        return deviceFail(info, model, "run: waiting for the kernels", result);
      break;
    }
  return DNNCC_OK;
}

int dnncc_rt_create(const dnncc_model_info *info, dnncc_model **out) {
  if (out)
    *out = NULL;
  tlsCreateError[0] = '\0';
  if (!info || !out)
    return fail(NULL, DNNCC_ERR_INVALID_ARGUMENT, "create: %s is null",
                info ? "output pointer" : "model info");
  if (info->abi_version != DNNCC_ABI_VERSION)
    return fail(NULL, DNNCC_ERR_ABI,
                "create: model library '%s' has ABI version %lld, the runtime expects %d",
                info->name ? info->name : "?", (long long)info->abi_version, DNNCC_ABI_VERSION);
  if (info->num_inputs < 0 || info->num_outputs < 0 || info->num_buffers < 0 ||
      info->num_run_checks < 0 || info->arena_size < 0 || !info->run_graph ||
      info->num_kernels < 0 || (info->num_kernels > 0 && !info->kernels))
    return fail(NULL, DNNCC_ERR_ABI, "create: malformed model info for '%s'", info->name);

  dnncc_model *m = allocZeroed(sizeof *m);
  if (!m)
    return fail(NULL, DNNCC_ERR_OUT_OF_MEMORY, "create: cannot allocate the model instance");
  m->info = info;
  dnncc_thread_pool_use();
  int status = DNNCC_OK;
  /* GPU libraries keep intermediates on the device only: no host arena (a kernel stage that ran
   * on the host would then fail instead of copying silently). */
  int hostArena = info->arena_size > 0 && !info->device;
  m->arena = hostArena ? allocZeroed((size_t)info->arena_size) : NULL;
  m->inputs = allocZeroed(sizeof(void *) * (size_t)info->num_inputs);
  m->outputs = allocZeroed(sizeof(void *) * (size_t)info->num_outputs);
  m->buffers = allocZeroed(sizeof(halide_buffer_t) * (size_t)info->num_buffers);
  m->dims = allocZeroed(sizeof(halide_dimension_t) * DNNCC_MAX_RANK * (size_t)info->num_buffers);
  m->owner = info->device ? allocZeroed(sizeof(int64_t) * (size_t)info->num_buffers) : NULL;
  m->viewed = info->device ? allocZeroed((size_t)info->num_buffers + 1) : NULL;
  m->shapes = allocZeroed(sizeof(int64_t) * DNNCC_MAX_RANK * ((size_t)info->num_outputs + 1));
  m->kernel_start_ns = allocZeroed(sizeof(int64_t) * (size_t)info->num_kernels);
  m->kernel_ns = allocZeroed(sizeof(int64_t) * (size_t)info->num_kernels);
  if (info->device) {
    m->markers = allocZeroed(sizeof(void *) * ((size_t)info->num_kernels + 1));
    m->marker_ns = allocZeroed(sizeof(int64_t) * ((size_t)info->num_kernels + 1));
  }
  int ok = m->inputs && m->outputs && m->buffers && m->dims && (m->arena || !hostArena) &&
           ((m->owner && m->viewed && m->markers && m->marker_ns) || !info->device) && m->shapes &&
           m->kernel_start_ns && m->kernel_ns;
  for (int64_t i = 0; ok && i < info->num_inputs; ++i)
    ok = (m->inputs[i] = allocZeroed((size_t)info->inputs[i].size_bytes)) != NULL;
  for (int64_t i = 0; ok && i < info->num_outputs; ++i) {
    ok = (m->outputs[i] = allocZeroed((size_t)info->outputs[i].size_bytes)) != NULL;
    for (int64_t d = 0; d < info->outputs[i].rank && d < DNNCC_MAX_RANK; ++d)
      m->shapes[i * DNNCC_MAX_RANK + d] = info->outputs[i].shape[d];
  }
  if (!ok) {
    status = fail(NULL, DNNCC_ERR_OUT_OF_MEMORY,
                  "create: cannot allocate %lld bytes of arena and the input/output buffers of "
                  "model '%s'",
                  (long long)info->arena_size, info->name);
    goto failed;
  }

  for (int64_t b = 0; b < info->num_buffers; ++b) {
    const dnncc_buffer_info *bi = &info->buffers[b];
    halide_buffer_t *hb = &m->buffers[b];
    hb->host = bufferHost(info, m, b, &status);
    if (status != DNNCC_OK)
      goto failed;
    hb->type.code = (uint8_t)bi->type_code;
    hb->type.bits = (uint8_t)bi->type_bits;
    hb->type.lanes = 1;
    hb->dimensions = (int32_t)bi->rank;
    hb->dim = &m->dims[b * DNNCC_MAX_RANK];
    for (int64_t d = 0; d < bi->rank; ++d) {
      hb->dim[d].min = 0;
      hb->dim[d].extent = (int32_t)bi->extent[d];
      hb->dim[d].stride = (int32_t)bi->stride[d];
      hb->dim[d].flags = 0;
    }
  }
  for (int64_t i = 0; info->output_extents && i < info->num_outputs; ++i) {
    const dnncc_output_extent *e = &info->output_extents[i];
    if (e->axis >= 0 && (e->axis >= info->outputs[i].rank || e->buffer < 0 ||
                         e->buffer >= info->num_buffers ||
                         info->buffers[e->buffer].type_bits != 64 ||
                         info->buffers[e->buffer].rank != 0)) {
      status = fail(NULL, DNNCC_ERR_ABI,
                    "create: malformed model info: output %lld has a run-time extent on axis %lld "
                    "in buffer %lld",
                    (long long)i, (long long)e->axis, (long long)e->buffer);
      goto failed;
    }
  }
  for (int64_t i = 0; i < info->num_run_checks; ++i) {
    int64_t b = info->run_checks[i].buffer;
    if (b < 0 || b >= info->num_buffers || info->buffers[b].rank != 0 ||
        info->buffers[b].type_bits > 64 || !info->run_checks[i].message) {
      status = fail(NULL, DNNCC_ERR_ABI, "create: malformed model info: run check %lld",
                    (long long)i);
      goto failed;
    }
  }
  if (info->device) {
    status = prepareDevice(info, m);
    if (status != DNNCC_OK)
      goto failed;
  } else {
    snprintf(m->device, sizeof m->device, "cpu");
  }
  *out = m;
  return DNNCC_OK;

failed:
  dnncc_rt_destroy(info, m);
  return status;
}

void dnncc_rt_destroy(const dnncc_model_info *info, dnncc_model *model) {
  if (!model)
    return;
  const dnncc_model_info *mi = model->info; /* trust the instance's own tables */
  if (model->buffers && model->owner && model->viewed) {
    /* Aliases first, then views and the allocations they alias, then the blobs viewed. */
    for (int64_t b = 0; b < mi->num_buffers; ++b)
      if (model->buffers[b].device && model->owner[b] != b)
        mi->device->unshare(&model->buffers[b]);
    for (int64_t b = 0; b < mi->num_buffers; ++b)
      if (model->buffers[b].device && model->viewed[b])
        mi->device->unview(&model->buffers[b]);
      else if (model->buffers[b].device)
        halide_device_free(NULL, &model->buffers[b]);
    for (int i = 0; i < 2; ++i)
      if (model->blobs[i].device)
        halide_device_free(NULL, &model->blobs[i]);
  }
  free(model->owner);
  free(model->viewed);
  free(model->shapes);
  free(model->kernel_start_ns);
  free(model->kernel_ns);
  free(model->markers);
  free(model->marker_ns);
  if (model->inputs)
    for (int64_t i = 0; i < mi->num_inputs; ++i)
      free(model->inputs[i]);
  if (model->outputs)
    for (int64_t i = 0; i < mi->num_outputs; ++i)
      free(model->outputs[i]);
  free(model->inputs);
  free(model->outputs);
  free(model->buffers);
  free(model->dims);
  free(model->arena);
  free(model);
  (void)info;
}

/* The integer scalar in buffer `b` (a data-dependent output's length, a run check), sign-extended
 * from its width; on GPU libraries read with one small device-to-host copy, counted in
 * copies_to_host. */
static int readScalar(const dnncc_model_info *info, dnncc_model *model, int64_t b,
                      const char *what, int64_t *value) {
  int64_t bytes = (info->buffers[b].type_bits + 7) / 8;
  union {
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
  } v = {0};
  if (!info->device) {
    memcpy(&v, model->buffers[b].host, (size_t)bytes);
  } else {
    halide_buffer_t view = model->buffers[b]; /* the same device memory, a host pointer of ours */
    view.host = (uint8_t *)&v;
    view.flags = halide_buffer_flag_device_dirty;
    int result = halide_copy_to_host(NULL, &view);
    if (result != 0)
      return deviceFail(info, model, what, result);
    ++model->copies_to_host;
  }
  *value = bytes == 1 ? v.i8 : bytes == 2 ? v.i16 : bytes == 4 ? v.i32 : v.i64;
  return DNNCC_OK;
}

/* The checks the runtime makes after a run (dnncc_run_check), in order. */
static int runChecks(const dnncc_model_info *info, dnncc_model *model) {
  for (int64_t i = 0; i < info->num_run_checks; ++i) {
    int64_t ok = 0;
    int status = readScalar(info, model, info->run_checks[i].buffer, "run: reading a run check",
                            &ok);
    if (status != DNNCC_OK)
      return status;
    if (ok == 0)
      return fail(model, DNNCC_ERR_KERNEL, "run: %s", info->run_checks[i].message);
  }
  return DNNCC_OK;
}

/* Data-dependent outputs: the kernels wrote the tensor with the static (upper-bound) extent along
 * the run-time axis; move its entries together so that the buffer holds the run's shape in
 * row-major order, and record that shape for output_shape. */
static int packRuntimeExtents(const dnncc_model_info *info, dnncc_model *model) {
  for (int64_t i = 0; info->output_extents && i < info->num_outputs; ++i) {
    const dnncc_output_extent *e = &info->output_extents[i];
    if (e->axis < 0)
      continue;
    const dnncc_tensor_info *t = &info->outputs[i];
    int64_t length = 0;
    int status = readScalar(info, model, e->buffer,
                            "run: reading the length of a data-dependent output", &length);
    if (status != DNNCC_OK)
      return status;
    int64_t bound = t->shape[e->axis];
    if (length < 0 || length > bound)
      return fail(model, DNNCC_ERR_KERNEL,
                  "run: output %lld ('%s') has %lld entries on axis %lld, outside [0, %lld] "
                  "(a compiler bug)",
                  (long long)i, t->name, (long long)length, (long long)e->axis, (long long)bound);
    int64_t outer = 1, inner = t->rank > 0 && bound > 0 ? t->size_bytes / bound : 0;
    for (int64_t d = 0; d < e->axis; ++d)
      outer *= t->shape[d];
    if (outer > 0)
      inner /= outer; /* bytes of one entry along the axis */
    uint8_t *data = model->outputs[i];
    for (int64_t o = 1; o < outer; ++o) /* destinations never pass their sources */
      memmove(data + o * length * inner, data + o * bound * inner, (size_t)(length * inner));
    model->shapes[i * DNNCC_MAX_RANK + e->axis] = length;
  }
  return DNNCC_OK;
}

static int64_t monotonicNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* GPU libraries: waits until every kernel issued so far has finished (kernels run
 * asynchronously; Halide's sync of any device buffer waits for the whole queue). */
static void waitForDevice(dnncc_model *model) {
  for (int64_t b = 0; b < model->info->num_buffers; ++b)
    if (model->buffers[b].device) {
      halide_device_sync(NULL, &model->buffers[b]);
      return;
    }
}

/* dnncc_kernel_hook of a profiled run: kernel `kernel` took the time since the previous mark. */
static void profileKernel(void *context, int64_t kernel) {
  dnncc_model *model = context;
  if (model->info->device)
    waitForDevice(model);
  int64_t now = monotonicNs();
  if (kernel >= 0 && kernel < model->info->num_kernels) {
    model->kernel_start_ns[kernel] = model->profile_mark_ns - model->profile_origin_ns;
    model->kernel_ns[kernel] = now - model->profile_mark_ns;
  }
  model->profile_mark_ns = now;
}

/* dnncc_kernel_hook of a profiled run of a GPU library on the device's clock: a marker after
 * kernel `kernel`, without waiting. */
static void markKernel(void *context, int64_t kernel) {
  dnncc_model *model = context;
  if (kernel >= 0 && kernel < model->info->num_kernels)
    model->markers[kernel + 1] = model->info->device->mark();
}

/* A profiled run of a GPU library timed by the device: markers before the first kernel and after
 * each, resolved once the kernels are done. Returns run_graph's result, or -1 (nothing run) when
 * the API has no device clock. */
static int runGraphOnDeviceClock(const dnncc_model_info *info, dnncc_model *model) {
  int64_t n = info->num_kernels;
  memset(model->markers, 0, sizeof(void *) * (size_t)(n + 1));
  model->markers[0] = info->device->mark();
  if (!model->markers[0])
    return -1;
  int result = info->run_graph(model->buffers, markKernel, model);
  info->device->marker_times(model->markers, n + 1, model->marker_ns);
  /* A kernel's time runs from the marker before it (the last one placed) to its own. */
  int64_t last = 0;
  for (int64_t k = 0; k < n; ++k) {
    if (model->marker_ns[k + 1] < 0)
      continue;
    model->kernel_start_ns[k] = last;
    model->kernel_ns[k] = model->marker_ns[k + 1] - last;
    last = model->marker_ns[k + 1];
  }
  return result;
}

/* Runs the kernels, with the profile's hook when it is on. */
static int runGraph(const dnncc_model_info *info, dnncc_model *model) {
  if (!model->profiling)
    return info->run_graph(model->buffers, NULL, NULL);
  memset(model->kernel_start_ns, 0, sizeof(int64_t) * (size_t)info->num_kernels);
  memset(model->kernel_ns, 0, sizeof(int64_t) * (size_t)info->num_kernels);
  if (info->device) {
    int result = runGraphOnDeviceClock(info, model);
    if (result != -1 || model->markers[0])
      return result;
    waitForDevice(model); /* no device clock: the host's; the input copies are not counted */
  }
  model->profile_origin_ns = model->profile_mark_ns = monotonicNs();
  return info->run_graph(model->buffers, profileKernel, model);
}

int dnncc_rt_run(const dnncc_model_info *info, dnncc_model *model) {
  int status = checkModel(info, model, "run");
  if (status != DNNCC_OK)
    return status;
  clearHalideError();
  model->copies_to_device = model->copies_to_host = 0;
  if (info->device) {
    status = copyInputsToDevice(info, model);
    if (status != DNNCC_OK)
      return status;
  }
  int result = runGraph(info, model);
  if (result != 0)
    return fail(model, DNNCC_ERR_KERNEL, "run: kernel failed with Halide error %d: %s", result,
                halideMessage());
  status = info->device ? copyOutputsToHost(info, model) : DNNCC_OK;
  if (status == DNNCC_OK)
    status = runChecks(info, model);
  return status == DNNCC_OK ? packRuntimeExtents(info, model) : status;
}

int dnncc_rt_set_num_threads(const dnncc_model_info *info, dnncc_model *model, int32_t threads) {
  /* The thread pool belongs to the library, so a null model is accepted. */
  if (model) {
    int status = checkModel(info, model, "set_num_threads");
    if (status != DNNCC_OK)
      return status;
  }
  if (threads < 0)
    return fail(model, DNNCC_ERR_INVALID_ARGUMENT,
                "set_num_threads: %d threads requested (0 = one per core, or a positive count)",
                (int)threads);
  dnncc_thread_pool_set_threads(threads);
  return DNNCC_OK;
}

int dnncc_rt_set_profiling(const dnncc_model_info *info, dnncc_model *model, int32_t enabled) {
  int status = checkModel(info, model, "set_profiling");
  if (status != DNNCC_OK)
    return status;
  model->profiling = enabled != 0;
  memset(model->kernel_start_ns, 0, sizeof(int64_t) * (size_t)info->num_kernels);
  memset(model->kernel_ns, 0, sizeof(int64_t) * (size_t)info->num_kernels);
  return DNNCC_OK;
}

int64_t dnncc_rt_num_kernels(const dnncc_model_info *info) {
  return info ? info->num_kernels : 0;
}

const dnncc_kernel_info *dnncc_rt_kernel_info(const dnncc_model_info *info, int64_t index) {
  return info && index >= 0 && index < info->num_kernels ? &info->kernels[index] : NULL;
}

int dnncc_rt_kernel_times(const dnncc_model_info *info, dnncc_model *model, int64_t *start_ns,
                          int64_t *duration_ns) {
  int status = checkModel(info, model, "kernel_times");
  if (status != DNNCC_OK)
    return status;
  if (info->num_kernels > 0 && (!start_ns || !duration_ns))
    return fail(model, DNNCC_ERR_INVALID_ARGUMENT, "kernel_times: %s pointer is null",
                start_ns ? "duration" : "start");
  for (int64_t k = 0; k < info->num_kernels; ++k) {
    start_ns[k] = model->kernel_start_ns[k];
    duration_ns[k] = model->kernel_ns[k];
  }
  return DNNCC_OK;
}

int64_t dnncc_rt_num_inputs(const dnncc_model_info *info) { return info ? info->num_inputs : 0; }

int64_t dnncc_rt_num_outputs(const dnncc_model_info *info) { return info ? info->num_outputs : 0; }

const dnncc_tensor_info *dnncc_rt_input_info(const dnncc_model_info *info, int64_t index) {
  return info && index >= 0 && index < info->num_inputs ? &info->inputs[index] : NULL;
}

const dnncc_tensor_info *dnncc_rt_output_info(const dnncc_model_info *info, int64_t index) {
  return info && index >= 0 && index < info->num_outputs ? &info->outputs[index] : NULL;
}

static int64_t findTensor(const dnncc_tensor_info *tensors, int64_t count, const char *name) {
  for (int64_t i = 0; name && i < count; ++i)
    if (tensors[i].name && strcmp(tensors[i].name, name) == 0)
      return i;
  return -1;
}

int64_t dnncc_rt_input_index(const dnncc_model_info *info, const char *name) {
  return info ? findTensor(info->inputs, info->num_inputs, name) : -1;
}

int64_t dnncc_rt_output_index(const dnncc_model_info *info, const char *name) {
  return info ? findTensor(info->outputs, info->num_outputs, name) : -1;
}

/* Checks `index` against `count` tensors of `kind` ("input"/"output") for function `fn`. */
static int checkIndex(dnncc_model *model, const char *fn, const char *kind, int64_t index,
                      int64_t count) {
  if (index >= 0 && index < count)
    return DNNCC_OK;
  return fail(model, DNNCC_ERR_INVALID_ARGUMENT, "%s: %s %lld out of range (model has %lld %s%s)",
              fn, kind, (long long)index, (long long)count, kind, plural(count, "", "s"));
}

void *dnncc_rt_input_data(const dnncc_model_info *info, dnncc_model *model, int64_t index) {
  if (checkModel(info, model, "input_data") != DNNCC_OK ||
      checkIndex(model, "input_data", "input", index, info->num_inputs) != DNNCC_OK)
    return NULL;
  return model->inputs[index];
}

const void *dnncc_rt_output_data(const dnncc_model_info *info, dnncc_model *model, int64_t index) {
  if (checkModel(info, model, "output_data") != DNNCC_OK ||
      checkIndex(model, "output_data", "output", index, info->num_outputs) != DNNCC_OK)
    return NULL;
  return model->outputs[index];
}

/* Bytes of output `index` in the shape of the last run. */
static int64_t currentOutputBytes(const dnncc_model_info *info, dnncc_model *model,
                                  int64_t index) {
  const dnncc_tensor_info *t = &info->outputs[index];
  if (!info->output_extents || info->output_extents[index].axis < 0)
    return t->size_bytes;
  int64_t axis = info->output_extents[index].axis, bound = t->shape[axis];
  return bound == 0 ? 0 : t->size_bytes / bound * model->shapes[index * DNNCC_MAX_RANK + axis];
}

/* Shared checks of set_input/get_output: instance, index, data pointer and byte count. */
static int checkCopy(const dnncc_model_info *info, dnncc_model *model, const char *fn,
                     const char *kind, int64_t index, int64_t count,
                     const dnncc_tensor_info *tensors, const void *data, size_t bytes) {
  int status = checkModel(info, model, fn);
  if (status == DNNCC_OK)
    status = checkIndex(model, fn, kind, index, count);
  if (status != DNNCC_OK)
    return status;
  const dnncc_tensor_info *t = &tensors[index];
  /* A data-dependent output may also be read with the size of its last run's shape. */
  int64_t current = tensors == info->outputs ? currentOutputBytes(info, model, index) : -1;
  if ((int64_t)bytes != t->size_bytes && (int64_t)bytes != current)
    return fail(model, DNNCC_ERR_INVALID_ARGUMENT,
                "%s: %s %lld ('%s') takes %lld bytes, got %zu", fn, kind, (long long)index,
                t->name, (long long)(current >= 0 ? current : t->size_bytes), bytes);
  if (!data && bytes > 0)
    return fail(model, DNNCC_ERR_INVALID_ARGUMENT, "%s: data pointer of %s %lld ('%s') is null",
                fn, kind, (long long)index, t->name);
  return DNNCC_OK;
}

int dnncc_rt_output_shape(const dnncc_model_info *info, dnncc_model *model, int64_t index,
                          int64_t *shape) {
  int status = checkModel(info, model, "output_shape");
  if (status == DNNCC_OK)
    status = checkIndex(model, "output_shape", "output", index, info->num_outputs);
  if (status != DNNCC_OK)
    return status;
  if (!shape && info->outputs[index].rank > 0)
    return fail(model, DNNCC_ERR_INVALID_ARGUMENT, "output_shape: shape pointer is null");
  for (int64_t d = 0; d < info->outputs[index].rank; ++d)
    shape[d] = model->shapes[index * DNNCC_MAX_RANK + d];
  return DNNCC_OK;
}

int dnncc_rt_set_input(const dnncc_model_info *info, dnncc_model *model, int64_t index,
                       const void *data, size_t bytes) {
  int status = checkCopy(info, model, "set_input", "input", index, info ? info->num_inputs : 0,
                         info ? info->inputs : NULL, data, bytes);
  if (status == DNNCC_OK && bytes > 0)
    memcpy(model->inputs[index], data, bytes);
  return status;
}

int dnncc_rt_get_output(const dnncc_model_info *info, dnncc_model *model, int64_t index,
                        void *data, size_t bytes) {
  int status = checkCopy(info, model, "get_output", "output", index, info ? info->num_outputs : 0,
                         info ? info->outputs : NULL, data, bytes);
  if (status == DNNCC_OK && bytes > 0)
    memcpy(data, model->outputs[index], bytes);
  return status;
}

const char *dnncc_rt_last_error(const dnncc_model_info *info, dnncc_model *model) {
  (void)info;
  return model ? model->last_error : tlsCreateError;
}

int64_t dnncc_rt_arena_size(const dnncc_model_info *info) { return info ? info->arena_size : 0; }

const char *dnncc_rt_device(const dnncc_model_info *info, dnncc_model *model) {
  return checkModel(info, model, "device") == DNNCC_OK ? model->device : NULL;
}

int dnncc_rt_copy_counts(const dnncc_model_info *info, dnncc_model *model, int64_t *to_device,
                         int64_t *to_host) {
  int status = checkModel(info, model, "copy_counts");
  if (status != DNNCC_OK)
    return status;
  if (to_device)
    *to_device = model->copies_to_device;
  if (to_host)
    *to_host = model->copies_to_host;
  return DNNCC_OK;
}
