/* dnncc-exec: the part of dnncc-run that runs on the model's own CPU. dnncc-run starts it (under
 * qemu-user for a foreign architecture) for a library it cannot load itself; it reads and writes
 * raw tensor bytes, so it needs nothing but libc and the model library.
 *
 *   dnncc-exec LIB PREFIX describe
 *     one line per tensor: "input|output <dtype> <size_bytes> <rank> <d0> ... <name>"
 *   dnncc-exec LIB PREFIX run THREADS BENCH PROFILE OUTDIR IN0 [IN1 ...]
 *     runs once on the raw inputs, writes OUTDIR/output_<i>.bin and prints
 *     "device <copies to device> <copies to host> <device name>" (of that run), then times BENCH
 *     runs after two warm-ups and prints "bench_ms <t1> <t2> ...". THREADS < 0 keeps the
 *     library's default. With PROFILE > 0 it then prints one line per kernel call
 *     "kernel <flops> <bytes> <name>\t<ops>\t<nodes>" and makes PROFILE runs with the per-kernel
 *     profile on (after one warm-up), one line each: "profile <run ms> <start ns> <ns> ..." with
 *     a start and a duration per kernel call.
 * Errors: one line "error: <what>: <detail>" on stderr, exit status 1. */
#define _POSIX_C_SOURCE 200809L
#include "dnncc/runtime_types.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  int (*create)(dnncc_model **);
  void (*destroy)(dnncc_model *);
  int (*run)(dnncc_model *);
  int (*set_num_threads)(dnncc_model *, int32_t);
  int64_t (*num_inputs)(void);
  int64_t (*num_outputs)(void);
  const dnncc_tensor_info *(*input_info)(int64_t);
  const dnncc_tensor_info *(*output_info)(int64_t);
  void *(*input_data)(dnncc_model *, int64_t);
  const void *(*output_data)(dnncc_model *, int64_t);
  const char *(*last_error)(dnncc_model *);
  const char *(*device)(dnncc_model *);
  int (*copy_counts)(dnncc_model *, int64_t *, int64_t *);
  int (*output_shape)(dnncc_model *, int64_t, int64_t *);
  int (*set_profiling)(dnncc_model*, int32_t);
  int64_t (*num_kernels)(void);
  const dnncc_kernel_info *(*kernel_info)(int64_t);
  int (*kernel_times)(dnncc_model*, int64_t*, int64_t*);
} Api;

static void fail(const char *what, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  fprintf(stderr, "error: %s: ", what);
  vfprintf(stderr, fmt, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

static void *symbol(void *lib, const char *libPath, const char *prefix, const char *name) {
  char full[256];
  snprintf(full, sizeof full, "%s_%s", prefix, name);
  void *p = dlsym(lib, full);
  if (!p)
    fail(libPath, "symbol '%s' not found (pass its prefix with --name)", full);
  return p;
}

static Api load(const char *path, const char *prefix) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    fail(path, "cannot load: %s", dlerror());
  Api a;
  *(void **)&a.create = symbol(lib, path, prefix, "create");
  *(void **)&a.destroy = symbol(lib, path, prefix, "destroy");
  *(void **)&a.run = symbol(lib, path, prefix, "run");
  *(void **)&a.set_num_threads = symbol(lib, path, prefix, "set_num_threads");
  *(void **)&a.num_inputs = symbol(lib, path, prefix, "num_inputs");
  *(void **)&a.num_outputs = symbol(lib, path, prefix, "num_outputs");
  *(void **)&a.input_info = symbol(lib, path, prefix, "input_info");
  *(void **)&a.output_info = symbol(lib, path, prefix, "output_info");
  *(void **)&a.input_data = symbol(lib, path, prefix, "input_data");
  *(void **)&a.output_data = symbol(lib, path, prefix, "output_data");
  *(void **)&a.last_error = symbol(lib, path, prefix, "last_error");
  *(void **)&a.device = symbol(lib, path, prefix, "device");
  *(void **)&a.copy_counts = symbol(lib, path, prefix, "copy_counts");
  *(void **)&a.output_shape = symbol(lib, path, prefix, "output_shape");
  *(void**)&a.set_profiling = symbol(lib, path, prefix, "set_profiling");
  *(void**)&a.num_kernels = symbol(lib, path, prefix, "num_kernels");
  *(void**)&a.kernel_info = symbol(lib, path, prefix, "kernel_info");
  *(void**)&a.kernel_times = symbol(lib, path, prefix, "kernel_times");
  return a;
}

static void describe(const char *kind, const dnncc_tensor_info *t) {
  printf("%s %lld %lld %lld", kind, (long long)t->dtype, (long long)t->size_bytes,
         (long long)t->rank);
  for (int64_t d = 0; d < t->rank; ++d)
    printf(" %lld", (long long)t->shape[d]);
  printf(" %s\n", t->name);
}

static double nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void check(const Api *a, dnncc_model *m, const char *lib, int status) {
  if (status != DNNCC_OK)
    fail(lib, "%s", a->last_error(m));
}

/* The "kernel" and "profile" lines of PROFILE runs with the per-kernel profile on. */
static void profile(const Api *a, dnncc_model *m, const char *lib, int runs) {
  int64_t n = a->num_kernels();
  for (int64_t k = 0; k < n; ++k) {
    const dnncc_kernel_info *info = a->kernel_info(k);
    if (!info)
      fail(lib, "the library has no descriptor of kernel %lld", (long long)k);
    printf("kernel %lld %lld %s\t%s\t%s\n", (long long)info->flops, (long long)info->bytes,
           info->name, info->ops, info->nodes);
  }
  int64_t *start = calloc((size_t)n + 1, sizeof *start), *ns = calloc((size_t)n + 1, sizeof *ns);
  if (!start || !ns)
    fail(lib, "out of memory");
  check(a, m, lib, a->set_profiling(m, 1));
  check(a, m, lib, a->run(m)); /* a warm-up */
  for (int r = 0; r < runs; ++r) {
    double t0 = nowMs();
    int status = a->run(m);
    double t1 = nowMs();
    check(a, m, lib, status);
    check(a, m, lib, a->kernel_times(m, start, ns));
    printf("profile %.4f", t1 - t0);
    for (int64_t k = 0; k < n; ++k)
      printf(" %lld %lld", (long long)start[k], (long long)ns[k]);
    printf("\n");
  }
  free(start);
  free(ns);
}

int main(int argc, char **argv) {
  if (argc < 4)
    fail("command line",
         "usage: dnncc-exec LIB PREFIX describe | run THREADS BENCH PROFILE OUTDIR IN...");
  const char *lib = argv[1];
  Api a = load(lib, argv[2]);
  if (strcmp(argv[3], "describe") == 0) {
    for (int64_t i = 0; i < a.num_inputs(); ++i)
      describe("input", a.input_info(i));
    for (int64_t i = 0; i < a.num_outputs(); ++i)
      describe("output", a.output_info(i));
    return 0;
  }
  if (strcmp(argv[3], "run") != 0 || argc != 8 + a.num_inputs())
    fail("command line", "expected: run THREADS BENCH PROFILE OUTDIR and %lld input files",
         (long long)a.num_inputs());
  int threads = atoi(argv[4]), bench = atoi(argv[5]), profiled = atoi(argv[6]);
  const char *outDir = argv[7];
  dnncc_model *m = NULL;
  check(&a, NULL, lib, a.create(&m));
  if (threads >= 0)
    check(&a, m, lib, a.set_num_threads(m, threads));
  for (int64_t i = 0; i < a.num_inputs(); ++i) {
    const char *file = argv[8 + i];
    FILE *f = fopen(file, "rb");
    if (!f)
      fail(file, "cannot open");
    size_t want = (size_t)a.input_info(i)->size_bytes;
    size_t got = fread(a.input_data(m, i), 1, want, f);
    fclose(f);
    if (got != want)
      fail(file, "has %zu bytes, input %lld needs %zu", got, (long long)i, want);
  }
  check(&a, m, lib, a.run(m));
  int64_t toDevice = 0, toHost = 0;
  check(&a, m, lib, a.copy_counts(m, &toDevice, &toHost));
  printf("device %lld %lld %s\n", (long long)toDevice, (long long)toHost, a.device(m));
  for (int64_t i = 0; i < a.num_outputs(); ++i) {
    char path[4096];
    snprintf(path, sizeof path, "%s/output_%lld.bin", outDir, (long long)i);
    FILE *f = fopen(path, "wb");
    /* The run's shape: a data-dependent output's extent is the run's (at most the static one). */
    const dnncc_tensor_info *t = a.output_info(i);
    int64_t shape[8], elements = 1; /* the capacity of dnncc_tensor_info.shape */
    check(&a, m, lib, a.output_shape(m, i, shape));
    printf("shape %lld", (long long)i);
    for (int64_t d = 0; d < t->rank; ++d) {
      printf(" %lld", (long long)shape[d]);
      elements *= shape[d];
    }
    printf("\n");
    size_t bytes = 1;
    for (int64_t d = 0; d < t->rank; ++d)
      bytes *= (size_t)t->shape[d];
    bytes = bytes == 0 ? 0 : (size_t)t->size_bytes / bytes * (size_t)elements;
    if (!f || fwrite(a.output_data(m, i), 1, bytes, f) != bytes)
      fail(path, "cannot write");
    fclose(f);
  }
  if (bench > 0) {
    for (int i = 0; i < 2; ++i)
      check(&a, m, lib, a.run(m));
    printf("bench_ms");
    for (int i = 0; i < bench; ++i) {
      double start = nowMs();
      int status = a.run(m);
      double stop = nowMs();
      check(&a, m, lib, status);
      printf(" %.4f", stop - start);
    }
    printf("\n");
  }
  if (profiled > 0)
    profile(&a, m, lib, profiled);
  a.destroy(m);
  return 0;
}
