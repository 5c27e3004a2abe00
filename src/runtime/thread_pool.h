/* The kernel thread pool of a model library (thread_pool.c): replaces the Halide runtime's, so
 * that the threads of a run stay awake between its kernels. Internal to the runtime. */
#ifndef DNNCC_THREAD_POOL_H
#define DNNCC_THREAD_POOL_H

/** Makes the library's kernels run their parallel loops on this pool (Halide's
 * halide_set_custom_do_par_for); idempotent, cheap, called by every create. */
void dnncc_thread_pool_use(void);
/** Threads that run a parallel loop, the caller included: 0 = one per online core. */
void dnncc_thread_pool_set_threads(int threads);

#endif
