/* The kernel thread pool of a model library. Halide compiles each parallel loop of a kernel into
 * a call of halide_do_par_for(task, min, size); this file answers those calls instead of the
 * Halide runtime's pool (halide_set_custom_do_par_for, installed by dnncc_thread_pool_use).
 *
 * Why: a mobile network's run is tens of short kernels (ShuffleNetV2: 56 in 3.5 ms on two
 * threads), and Halide 14's workers go to sleep on a condition variable a few sched_yield calls
 * after their last task, so most kernels started by waking them again (perf: 11% of the run's
 * cycles in the scheduler, sched_yield and the pool's mutex). Here the workers spin on the job
 * counter for kSpinNs after their last task (the gap between kernels of one run is far shorter),
 * then sleep until the next job.
 *
 * One job at a time: the caller that takes `owner` publishes its loop, the workers and the caller
 * take chunks of task indices from one atomic counter, and the caller waits for every task and
 * for every worker to leave the job before it returns (the job lives on its stack). A second
 * caller that finds the pool busy (another thread running a model of this library), and any loop
 * inside a task, runs its tasks itself, in order. The workers are started on first use and joined
 * when the library is unloaded or the process exits. */
#define _POSIX_C_SOURCE 200112L /* clock_gettime, sysconf */

#include "thread_pool.h"

#include <HalideRuntime.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define kMaxWorkers 63
/* How long an idle worker spins before it sleeps, in ns: longer than the gap between two
 * kernels of a run (at most a few single-threaded kernels), short enough not to burn a core
 * between runs. */
#define kSpinNs 200000

typedef struct {
  halide_task_t task;
  void *user_context;
  uint8_t *closure;
  int min, size;
  int workers; /* pool workers that may take tasks: the threads wanted minus the caller */
  int chunk;   /* tasks taken per claim */
  /* The counters every thread writes, on a cache line of their own (the job lives on the
   * caller's stack, whose other lines the caller keeps writing). */
  _Alignas(64) atomic_int next; /* next task index to take */
  atomic_int finished;          /* tasks done (or skipped after a failure) */
  atomic_int result;            /* the first non-zero task result */
  char pad[64 - 3 * sizeof(atomic_int)];
} Job;

static pthread_mutex_t owner = PTHREAD_MUTEX_INITIALIZER; /* held by the caller running a job */
static pthread_mutex_t sleepLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static _Atomic(Job *) current;   /* the published job, null between jobs */
static atomic_uint generation;   /* bumped for every job */
static atomic_int busy;          /* workers that may be reading `current`'s job */
static atomic_int sleepers;      /* workers waiting on `wake` */
static atomic_int stopping;      /* set when the library is unloaded */
static atomic_int wantedThreads; /* dnncc_thread_pool_set_threads; 0 = one per core */
static int started;              /* workers started (under `owner`) */
static unsigned startGeneration; /* `generation` when the workers were started (under `owner`) */
static pthread_t workers[kMaxWorkers];
static _Thread_local int inTask; /* this thread is running a task: nested loops run serially */

static void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t nowNs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Takes the job's tasks `chunk` at a time until none is left. Each claim and each completion is
 * a write to the counters' cache line, which moves between the cores: on a VM whose two vCPUs
 * pass a line in about a microsecond, claiming ShuffleNetV2's 56-task convs one task at a time
 * made them 4.7x slower on two threads than on one (0.197 ms against 0.042). */
static void runTasks(Job *job) {
  inTask = 1;
  for (;;) {
    int first = atomic_fetch_add(&job->next, job->chunk);
    if (first >= job->size)
      break;
    int end = first + job->chunk < job->size ? first + job->chunk : job->size;
    for (int i = first; i < end; ++i)
      if (atomic_load_explicit(&job->result, memory_order_relaxed) == 0) {
        int r = job->task(job->user_context, job->min + i, job->closure);
        int none = 0;
        if (r != 0)
          atomic_compare_exchange_strong(&job->result, &none, r);
      }
    atomic_fetch_add(&job->finished, end - first);
  }
  inTask = 0;
}

/* Waits until `generation` moves past `seen` (spinning, then sleeping) or the pool stops;
 * returns the new generation. */
static unsigned waitForJob(unsigned seen) {
  int64_t start = nowNs();
  unsigned g;
  for (int spins = 1; (g = atomic_load(&generation)) == seen; ++spins) {
    if (atomic_load_explicit(&stopping, memory_order_relaxed))
      return g;
    relax();
    if (spins % 64 == 0 && nowNs() - start > kSpinNs) {
      /* Sleep. A job published after the check below has its caller see sleepers > 0 (both
       * sequentially consistent), and it broadcasts under sleepLock. */
      pthread_mutex_lock(&sleepLock);
      atomic_fetch_add(&sleepers, 1);
      while ((g = atomic_load(&generation)) == seen && !atomic_load(&stopping))
        pthread_cond_wait(&wake, &sleepLock);
      atomic_fetch_sub(&sleepers, 1);
      pthread_mutex_unlock(&sleepLock);
      return g;
    }
  }
  return g;
}

static void *worker(void *arg) {
  int index = (int)(intptr_t)arg;
  unsigned seen = startGeneration; /* read after pthread_create, which orders it */
  for (;;) {
    seen = waitForJob(seen);
    if (atomic_load(&stopping))
      return NULL;
    /* The caller waits for busy == 0 after clearing `current`, so the job read here is alive. */
    atomic_fetch_add(&busy, 1);
    Job *job = atomic_load(&current);
    if (job && index < job->workers)
      runTasks(job);
    atomic_fetch_sub(&busy, 1);
  }
}

/* The set_num_threads count, else HL_NUM_THREADS (the Halide runtime's variable, which the
 * libraries have always honoured), else the online cores. */
static int threadsWanted(void) {
  int t = atomic_load_explicit(&wantedThreads, memory_order_relaxed);
  if (t > 0)
    return t;
  static atomic_int fallback;
  int c = atomic_load_explicit(&fallback, memory_order_relaxed);
  if (c == 0) {
    const char *env = getenv("HL_NUM_THREADS");
    long n = env ? strtol(env, NULL, 10) : 0;
    if (n <= 0)
      n = sysconf(_SC_NPROCESSORS_ONLN);
    c = n > 0 ? (n < 256 ? (int)n : 256) : 1;
    atomic_store_explicit(&fallback, c, memory_order_relaxed);
  }
  return c;
}

static int runSerially(void *user_context, halide_task_t task, int min, int size,
                       uint8_t *closure) {
  for (int i = 0; i < size; ++i) {
    int r = task(user_context, min + i, closure);
    if (r != 0)
      return r;
  }
  return 0;
}

static int doParFor(void *user_context, halide_task_t task, int min, int size, uint8_t *closure) {
  int threads = threadsWanted();
  if (size <= 1 || threads <= 1 || inTask || pthread_mutex_trylock(&owner) != 0)
    return runSerially(user_context, task, min, size, closure);
  int want = threads - 1 < kMaxWorkers ? threads - 1 : kMaxWorkers;
  if (started < want) {
    startGeneration = atomic_load(&generation);
    while (started < want &&
           pthread_create(&workers[started], NULL, worker, (void *)(intptr_t)started) == 0)
      ++started;
  }
  Job job;
  job.task = task;
  job.user_context = user_context;
  job.closure = closure;
  job.min = min;
  job.size = size;
  job.workers = want < started ? want : started;
  /* About four claims per thread: few enough writes to the shared counters, enough for the
   * threads to even out tasks of unequal length. */
  job.chunk = size / (4 * (job.workers + 1));
  if (job.chunk < 1)
    job.chunk = 1;
  atomic_init(&job.next, 0);
  atomic_init(&job.finished, 0);
  atomic_init(&job.result, 0);
  atomic_store(&current, &job);
  atomic_fetch_add(&generation, 1);
  if (atomic_load(&sleepers) > 0) {
    pthread_mutex_lock(&sleepLock);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&sleepLock);
  }
  runTasks(&job);
  atomic_store(&current, NULL);
  while (atomic_load(&job.finished) < size || atomic_load(&busy) > 0)
    relax();
  pthread_mutex_unlock(&owner);
  return atomic_load(&job.result);
}

void dnncc_thread_pool_use(void) { halide_set_custom_do_par_for(doParFor); }

void dnncc_thread_pool_set_threads(int threads) {
  atomic_store(&wantedThreads, threads > 0 ? threads : 0);
}

/* The workers run this library's code: stop and join them before it is unmapped. */
__attribute__((destructor)) static void stopPool(void) {
  if (started == 0)
    return;
  atomic_store(&stopping, 1);
  pthread_mutex_lock(&sleepLock);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&sleepLock);
  for (int i = 0; i < started; ++i)
    pthread_join(workers[i], NULL);
  started = 0;
}
