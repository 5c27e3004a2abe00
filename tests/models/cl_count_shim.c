/* An LD_PRELOAD shim of the OpenCL library for tests/models/model_tests.py (copies): counts the
 * host-to-device (clEnqueueWriteBuffer[Rect]) and device-to-host (clEnqueueReadBuffer[Rect])
 * transfers, the device allocations (clCreateBuffer), sub-buffers (clCreateSubBuffer) and marker
 * events (clEnqueueMarkerWithWaitList, the profile's device clock) of a process and writes
 * "writes reads buffers sub-buffers markers" to $DNNCC_CL_COUNT_FILE at exit. Every call
 * is forwarded to the real ICD loader (libOpenCL.so.1). Test code only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static long writes, reads, buffers, subBuffers, markers;

static void *real(const char *name) {
  static void *lib;
  if (!lib)
    lib = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
  void *fn = lib ? dlsym(lib, name) : NULL;
  if (!fn) {
    fprintf(stderr, "cl_count_shim: cannot forward %s\n", name);
    abort();
  }
  return fn;
}

/* The argument lists are passed through unchanged: these four entry points take at most 12
 * pointer-sized or 32-bit arguments (OpenCL 1.2, cl.h), forwarded as pointer-sized slots. */
typedef int (*Fn)(void *, void *, void *, void *, void *, void *, void *, void *, void *, void *,
                  void *, void *, void *, void *);
#define FORWARD(name, counter)                                                                   \
  int name(void *a, void *b, void *c, void *d, void *e, void *f, void *g, void *h, void *i,      \
           void *j, void *k, void *l, void *m, void *n) {                                        \
    ++counter;                                                                                   \
    return ((Fn)real(#name))(a, b, c, d, e, f, g, h, i, j, k, l, m, n);                          \
  }
FORWARD(clEnqueueWriteBuffer, writes)
FORWARD(clEnqueueWriteBufferRect, writes)
FORWARD(clEnqueueReadBuffer, reads)
FORWARD(clEnqueueReadBufferRect, reads)
FORWARD(clEnqueueMarkerWithWaitList, markers)

/* Device allocations (clCreateBuffer) and views into them (clCreateSubBuffer), which return a
 * cl_mem: at most 5 arguments. */
typedef void* (*MemFn)(void*, void*, void*, void*, void*);
#define FORWARD_MEM(name, counter)                                                                 \
  void* name(void* a, void* b, void* c, void* d, void* e) {                                        \
    ++counter;                                                                                     \
    return ((MemFn)real(#name))(a, b, c, d, e);                                                    \
  }
FORWARD_MEM(clCreateBuffer, buffers)
FORWARD_MEM(clCreateSubBuffer, subBuffers)

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("DNNCC_CL_COUNT_FILE");
  FILE *f = path ? fopen(path, "w") : NULL;
  if (f) {
    fprintf(f, "%ld %ld %ld %ld %ld\n", writes, reads, buffers, subBuffers, markers);
    fclose(f);
  }
}
