// Running independent compile jobs in child processes, a few at a time.
#pragma once
#include <cstddef>
#include <functional>

#include "support/Status.h"

namespace dnncc {

/// Runs `job(i)` for every i in [0, n), each in a child process forked from this one, at most
/// `jobs` (>= 1) children at a time; returns the Status of the lowest failing i, else ok.
///
/// Why processes and not threads: Halide names functions, loops, parallel-for closures and GPU
/// kernels through process-global counters (`Halide::Internal::unique_name`), so kernels compiled
/// one after another, or on threads in one process, get symbol names that depend on what the
/// process compiled before and in which order; the library's bytes would then change with `-j`.
/// A child starts from the parent's state each time, so each kernel's object depends only on the
/// kernel. It also isolates the parent from a crash inside Halide or LLVM: a child killed by a
/// signal becomes an error naming the job (`describe(i)`), not a dead compiler.
///
/// `job` runs in the child and must communicate through files only (its memory is the child's);
/// the child reports the returned Status (message and location) to the parent over a pipe and
/// ends with `_exit`, running no destructors or exit handlers. Call it while this process runs no
/// other threads (a child has only the thread that forked). Errors of fork/pipe themselves are
/// returned as a Status.
Status runForked(size_t n, int jobs, const std::function<Status(size_t)>& job,
                 const std::function<std::string(size_t)>& describe);

} // namespace dnncc
