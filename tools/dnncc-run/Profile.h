// dnncc-run's per-kernel profile: the table `--profile` prints and the Chrome trace
// `--profile-json` writes, from the profiled runs of an Executor (RunResult::profile).
#pragma once

#include "Executor.h"

#include <string>
#include <vector>

namespace dnncc::run {

/// The machine's peaks the achieved rates are compared with; 0 = unknown (no percentage shown).
struct Peaks {
  double gflops = 0; ///< GFLOP/s: e.g. the FMA peak measured by benchmarks/peak.py
  double gbps = 0;   ///< GB/s of memory bandwidth
};

/// One row of the profile: a kernel call and its median time over the profiled runs.
struct ProfileRow {
  int64_t index = 0; ///< the call's position in the run
  const KernelDesc* kernel = nullptr;
  double ms = 0;     ///< median duration
  double share = 0;  ///< ms / the median run time
  double gflops = 0; ///< achieved: kernel->flops / ms
  double gbps = 0;   ///< achieved: kernel->bytes / ms
};

/// The rows of `r` (which has at least one profiled run) sorted by time, longest first.
std::vector<ProfileRow> profileRows(const RunResult& r);

/// The profile as text: a summary line, one line per kernel call (longest first) with its time,
/// share of the run, GFLOP/s and GB/s (and the percentage of `peaks` where known), symbol, IR ops
/// and ONNX nodes, then the time per op pattern (e.g. every "conv+relu" call together).
std::string formatProfile(const RunResult& r, const Peaks& peaks);

/// Writes the profiled runs to `path` in the Chrome trace event format (JSON object form, "X"
/// complete events, microseconds; open with chrome://tracing or https://ui.perfetto.dev): one
/// event per run on thread 1 and one per kernel call on thread 2, the runs one after another.
/// Each kernel event carries its symbol, nodes, flops, bytes and achieved rates as args. Throws
/// UserError naming `path` when it cannot be written.
void writeChromeTrace(const RunResult& r, const std::string& library, const std::string& path);

} // namespace dnncc::run
