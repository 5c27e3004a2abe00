/* The machine's peaks, to compare a model's kernels with (dnncc-run --peak-gflops/--peak-gbps,
 * benchmarks/bench.py's "% of peak" column):
 *   - FMA peak: independent chains of fused multiply-adds on the widest vectors the compiler
 *     targets (build with -O2 -march=native), on THREADS threads; 2 FLOP per multiply-add lane.
 *   - memory bandwidth: a STREAM-style triad a[i] = b[i] + s*c[i] over three 64 MiB arrays
 *     (McCalpin's STREAM; bytes counted as 3 x 4 per element, no write-allocate), on THREADS
 *     threads.
 * Usage: peak THREADS. Prints "fma_gflops X" and "stream_gbps Y" (best of several repetitions).
 * benchmarks/peak.py builds and runs it. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define VECTOR_BYTES 64
#elif defined(__AVX__)
#define VECTOR_BYTES 32
#else
#define VECTOR_BYTES 16 /* SSE, NEON */
#endif
typedef float vec __attribute__((vector_size(VECTOR_BYTES)));
#define LANES (VECTOR_BYTES / 4)
/* Independent chains (fmaThread's a0..a11): enough to cover FMA latency x throughput (4 cycles
 * x 2 pipes on current cores) without spilling 16 vector registers. */
#define CHAINS 12
#define FMA_ITERATIONS 20000000L

#define STREAM_ELEMENTS (16L * 1024 * 1024) /* 64 MiB per array */

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *fmaThread(void *arg) {
  vec x, y;
  for (int l = 0; l < LANES; ++l) {
    x[l] = 0.999999f;
    y[l] = 1e-7f;
  }
  /* CHAINS accumulators in registers; each statement is one FMA (GCC contracts a*b+c by
   * default, -ffp-contract=fast). */
  vec a0 = x, a1 = x * 2, a2 = x * 3, a3 = x * 4, a4 = x * 5, a5 = x * 6, a6 = x * 7, a7 = x * 8,
      a8 = x * 9, a9 = x * 10, a10 = x * 11, a11 = x * 12;
  for (long i = 0; i < FMA_ITERATIONS; ++i) {
    a0 = a0 * x + y, a1 = a1 * x + y, a2 = a2 * x + y, a3 = a3 * x + y;
    a4 = a4 * x + y, a5 = a5 * x + y, a6 = a6 * x + y, a7 = a7 * x + y;
    a8 = a8 * x + y, a9 = a9 * x + y, a10 = a10 * x + y, a11 = a11 * x + y;
  }
  vec total = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
  float sum = 0;
  for (int l = 0; l < LANES; ++l)
    sum += total[l];
  *(float*)arg = sum;
  return NULL;
}

typedef struct {
  float *a, *b, *c;
  long begin, end;
} Slice;

static void *triadThread(void *arg) {
  Slice *s = arg;
  for (long i = s->begin; i < s->end; ++i)
    s->a[i] = s->b[i] + 3.0f * s->c[i];
  return NULL;
}

/* Runs `fn` on `threads` threads with per-thread arguments `args` (stride `size` bytes). */
static double timed(int threads, void *(*fn)(void *), void *args, size_t size) {
  pthread_t tid[256];
  double t0 = seconds();
  for (int t = 0; t < threads; ++t)
    pthread_create(&tid[t], NULL, fn, (char*)args + t * size);
  for (int t = 0; t < threads; ++t)
    pthread_join(tid[t], NULL);
  return seconds() - t0;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "error: command line: usage: peak THREADS (1..256)\n");
    return 1;
  }
  float sums[256];
  double best = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    double t = timed(threads, fmaThread, sums, sizeof sums[0]);
    best = t < best ? t : best;
  }
  double flops = 2.0 * LANES * CHAINS * FMA_ITERATIONS * threads;
  printf("fma_gflops %.1f\n", flops / best / 1e9);

  float *a = malloc(STREAM_ELEMENTS * sizeof(float)), *b = malloc(STREAM_ELEMENTS * sizeof(float)),
        *c = malloc(STREAM_ELEMENTS * sizeof(float));
  if (!a || !b || !c) {
    fprintf(stderr, "error: peak: out of memory\n");
    return 1;
  }
  for (long i = 0; i < STREAM_ELEMENTS; ++i)
    a[i] = 0, b[i] = 1, c[i] = 2;
  Slice slices[256];
  for (int t = 0; t < threads; ++t)
    slices[t] =
        (Slice){a, b, c, STREAM_ELEMENTS * t / threads, STREAM_ELEMENTS * (t + 1) / threads};
  best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    double t = timed(threads, triadThread, slices, sizeof slices[0]);
    best = t < best ? t : best;
  }
  printf("stream_gbps %.1f\n", 3.0 * sizeof(float) * STREAM_ELEMENTS / best / 1e9);
  free(a), free(b), free(c);
  return sums[0] == 12345.0f; /* uses the results */
}
