/* robustness: a model library in a long-lived, multi-threaded process (docs/security.md,
 * "Runtime robustness"). tinynet compiled twice (prefixes net_a and net_b) and linked together.
 *
 *   robustness [RUNS [CYCLES [THREAD_RUNS]]]      (defaults 10000, 1000, 200)
 *
 * 1. Bad arguments: a null instance, an index out of range, a null buffer, a buffer of the wrong
 *    size, an unknown name, an instance of the other library: every call returns an error code
 *    and leaves a message, none crashes.
 * 2. Non-finite inputs: all-NaN and all-infinity images run without trapping; NaN propagates to
 *    every output (as in onnxruntime: conv, pooling and softmax of NaN are NaN).
 * 3. Lifetime: CYCLES create/run/destroy cycles, then RUNS runs of one instance; the resident
 *    memory may not grow between the first hundred runs and the last (a leak of even a few
 *    bytes per run would show under valgrind / LeakSanitizer, which the tests also use).
 * 4. Concurrency: four threads, two with their own net_a instance and two with net_b, each
 *    running THREAD_RUNS times on its own input; every output must equal the single-threaded result
 *    bit for bit (ThreadSanitizer build: the tsan preset).
 * Exit 0 on success, 1 with a message otherwise. */
#include "libnet_a.h"
#include "libnet_b.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IN_ELEMS NET_A_INPUT_0_NUM_ELEMENTS
#define OUT_ELEMS NET_A_OUTPUT_0_NUM_ELEMENTS

static int failures = 0;
#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "FAIL (line %d): ", __LINE__);                                               \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fprintf(stderr, "\n");                                                                       \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

static void fill(float* x, int seed) {
  for (int i = 0; i < IN_ELEMS; ++i)
    x[i] = (float)(((i + 7 * seed) * 37) % 200) / 100.0f - 1.0f;
}

/* Resident set size in KiB, from /proc/self/statm. */
static long rss_kib(void) {
  long pages = 0, resident = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return resident * 4;
}

static void bad_arguments(void) {
  static float in[IN_ELEMS], out[OUT_ELEMS];
  dnncc_model *a = NULL, *b = NULL;
  CHECK(net_a_create(NULL) == DNNCC_ERR_INVALID_ARGUMENT, "create(NULL) accepted");
  CHECK(strlen(net_a_last_error(NULL)) > 0, "create(NULL) left no message");
  CHECK(net_a_create(&a) == DNNCC_OK && net_b_create(&b) == DNNCC_OK, "create failed");
  CHECK(net_a_run(NULL) == DNNCC_ERR_INVALID_ARGUMENT, "run(NULL) accepted");
  CHECK(net_a_set_input(a, 1, in, sizeof in) != DNNCC_OK, "input index 1 of 1 accepted");
  CHECK(net_a_set_input(a, -1, in, sizeof in) != DNNCC_OK, "input index -1 accepted");
  CHECK(net_a_set_input(a, 0, NULL, sizeof in) != DNNCC_OK, "null input buffer accepted");
  CHECK(net_a_set_input(a, 0, in, sizeof in - 4) != DNNCC_OK, "short input buffer accepted");
  CHECK(net_a_set_input(a, 0, in, sizeof in + 4) != DNNCC_OK, "long input buffer accepted");
  CHECK(strlen(net_a_last_error(a)) > 0, "a rejected set_input left no message");
  CHECK(net_a_get_output(a, 0, out, sizeof out - 1) != DNNCC_OK, "short output buffer accepted");
  CHECK(net_a_get_output(a, 3, out, sizeof out) != DNNCC_OK, "output index 3 accepted");
  CHECK(net_a_input_index("no_such_input") == -1, "unknown input name found");
  CHECK(net_a_input_index(NULL) == -1, "null input name found");
  CHECK(net_a_output_shape(a, 0, NULL) != DNNCC_OK, "null shape pointer accepted");
  CHECK(net_a_input_data(a, 5) == NULL, "input_data of index 5 not null");
  CHECK(net_a_run(b) == DNNCC_ERR_INVALID_ARGUMENT, "net_a ran an instance of net_b");
  CHECK(net_a_set_num_threads(a, -3) != DNNCC_OK, "-3 threads accepted");
  /* After all that the instance still works. */
  fill(in, 0);
  CHECK(net_a_set_input(a, 0, in, sizeof in) == DNNCC_OK && net_a_run(a) == DNNCC_OK,
        "the instance does not run after rejected calls: %s", net_a_last_error(a));
  net_a_destroy(a);
  net_b_destroy(b);
  net_a_destroy(NULL);
}

static void non_finite_inputs(void) {
  static float in[IN_ELEMS], out[OUT_ELEMS];
  dnncc_model* a = NULL;
  CHECK(net_a_create(&a) == DNNCC_OK, "create failed");
  for (int i = 0; i < IN_ELEMS; ++i)
    in[i] = NAN;
  CHECK(net_a_set_input(a, 0, in, sizeof in) == DNNCC_OK && net_a_run(a) == DNNCC_OK &&
            net_a_get_output(a, 0, out, sizeof out) == DNNCC_OK,
        "NaN input: %s", net_a_last_error(a));
  for (int i = 0; i < OUT_ELEMS; ++i)
    CHECK(isnan(out[i]), "NaN input gave output[%d] = %g, not NaN", i, out[i]);
  for (int i = 0; i < IN_ELEMS; ++i)
    in[i] = (i % 2) ? INFINITY : -INFINITY;
  CHECK(net_a_set_input(a, 0, in, sizeof in) == DNNCC_OK && net_a_run(a) == DNNCC_OK,
        "infinite input: %s", net_a_last_error(a));
  net_a_destroy(a);
}

static void lifetime(long runs, long cycles) {
  static float in[IN_ELEMS];
  fill(in, 1);
  for (long i = 0; i < cycles; ++i) {
    dnncc_model* a = NULL;
    if (net_a_create(&a) != DNNCC_OK || net_a_set_input(a, 0, in, sizeof in) != DNNCC_OK ||
        net_a_run(a) != DNNCC_OK) {
      CHECK(0, "create/run cycle %ld failed: %s", i, net_a_last_error(a));
      net_a_destroy(a);
      return;
    }
    net_a_destroy(a);
  }
  dnncc_model* a = NULL;
  CHECK(net_a_create(&a) == DNNCC_OK, "create failed");
  long before = 0;
  for (long r = 0; r < runs; ++r) {
    if (net_a_set_input(a, 0, in, sizeof in) != DNNCC_OK || net_a_run(a) != DNNCC_OK) {
      CHECK(0, "run %ld failed: %s", r, net_a_last_error(a));
      break;
    }
    if (r == 99)
      before = rss_kib();
  }
  long after = rss_kib();
  printf("resident memory after 100 runs %ld KiB, after %ld runs %ld KiB\n", before, runs, after);
  CHECK(runs < 200 || after - before <= 256, "resident memory grew by %ld KiB over %ld runs",
        after - before, runs);
  net_a_destroy(a);
}

struct worker {
  int use_b, seed;
  long runs;
  float reference[OUT_ELEMS];
  int mismatches, errors;
};

static int run_once(int use_b, dnncc_model* m, const float* in, float* out) {
  size_t in_bytes = IN_ELEMS * sizeof(float), out_bytes = OUT_ELEMS * sizeof(float);
  if (use_b)
    return net_b_set_input(m, 0, in, in_bytes) || net_b_run(m) ||
           net_b_get_output(m, 0, out, out_bytes);
  return net_a_set_input(m, 0, in, in_bytes) || net_a_run(m) ||
         net_a_get_output(m, 0, out, out_bytes);
}

static void* work(void* arg) {
  struct worker* w = arg;
  float in[IN_ELEMS], out[OUT_ELEMS];
  fill(in, w->seed);
  dnncc_model* m = NULL;
  if ((w->use_b ? net_b_create(&m) : net_a_create(&m)) != DNNCC_OK) {
    w->errors = 1;
    return NULL;
  }
  for (long r = 0; r < w->runs; ++r) {
    if (run_once(w->use_b, m, in, out) != 0) {
      ++w->errors;
      break;
    }
    w->mismatches += memcmp(out, w->reference, sizeof out) != 0;
  }
  if (w->use_b)
    net_b_destroy(m);
  else
    net_a_destroy(m);
  return NULL;
}

static void concurrency(long runs) {
  enum { kThreads = 4 };
  static struct worker workers[kThreads];
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; ++t) { /* single-threaded references first */
    workers[t].use_b = t % 2;
    workers[t].seed = 10 + t;
    workers[t].runs = runs;
    float in[IN_ELEMS];
    fill(in, workers[t].seed);
    dnncc_model* m = NULL;
    CHECK((t % 2 ? net_b_create(&m) : net_a_create(&m)) == DNNCC_OK, "create failed");
    CHECK(run_once(t % 2, m, in, workers[t].reference) == 0, "reference run failed");
    if (t % 2)
      net_b_destroy(m);
    else
      net_a_destroy(m);
  }
  for (int t = 0; t < kThreads; ++t)
    CHECK(pthread_create(&threads[t], NULL, work, &workers[t]) == 0, "pthread_create failed");
  for (int t = 0; t < kThreads; ++t)
    pthread_join(threads[t], NULL);
  for (int t = 0; t < kThreads; ++t)
    CHECK(workers[t].errors == 0 && workers[t].mismatches == 0,
          "thread %d (%s): %d failed runs, %d outputs differ from the single-threaded one", t,
          workers[t].use_b ? "net_b" : "net_a", workers[t].errors, workers[t].mismatches);
}

int main(int argc, char** argv) {
  long runs = argc > 1 ? atol(argv[1]) : 10000;
  long cycles = argc > 2 ? atol(argv[2]) : 1000;
  long threadRuns = argc > 3 ? atol(argv[3]) : 200;
  bad_arguments();
  non_finite_inputs();
  lifetime(runs, cycles);
  concurrency(threadRuns);
  if (failures)
    return 1;
  printf("ok: bad arguments, non-finite inputs, %ld create/destroy cycles, %ld runs, 4 threads x "
         "%ld runs\n",
         cycles, runs, threadRuns);
  return 0;
}
