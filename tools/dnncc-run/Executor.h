// Where dnncc-run runs a model library: in this process (dlopen) when the library is for this
// machine's architecture, else under qemu-user through dnncc-exec built for the library's
// architecture. Both give the same descriptors, outputs and timings.
#pragma once

#include "TensorIO.h"

#include <memory>
#include <string>
#include <vector>

namespace dnncc::run {

/// Name, element type and shape of one model input or output.
struct TensorDesc {
  std::string name;
  int dtype;
  std::vector<int64_t> shape;
  int64_t sizeBytes;
};

/// One kernel call of the library (dnncc_kernel_info).
struct KernelDesc {
  std::string name, ops, nodes;
  int64_t flops = 0, bytes = 0;
};

/// The per-kernel profile of one run: each kernel call's start (from the run's first kernel) and
/// duration, in nanoseconds, in run order.
struct KernelTimes {
  std::vector<int64_t> startNs, durationNs;
};

/// The outputs of one run, and the durations of the timed runs that followed it.
struct RunResult {
  std::vector<HostTensor> outputs;
  std::vector<double> benchMs;
  std::string device = "cpu"; ///< what the library's <prefix>_device says
  /// Host-to-device and device-to-host copies of the checked run (GPU libraries).
  int64_t copiesToDevice = 0, copiesToHost = 0;
  std::vector<KernelDesc> kernels;   ///< filled when profiled runs were asked for
  std::vector<KernelTimes> profile;  ///< one entry per profiled run
  std::vector<double> profiledRunMs; ///< the profiled runs' own durations
};

class Executor {
public:
  virtual ~Executor() = default;
  virtual const std::vector<TensorDesc>& inputs() const = 0;
  virtual const std::vector<TensorDesc>& outputs() const = 0;
  /// Creates an instance, sets `threads` (kThreadsUnset: the library's default), runs once on
  /// `inputs` (ordered as inputs()), then times `bench` runs after two warm-up runs, then makes
  /// `profiled` runs with the per-kernel profile on. Throws UserError with the runtime's message
  /// on any failure.
  virtual RunResult run(const std::vector<HostTensor>& inputs, int threads, int bench,
                        int profiled) = 0;
};

inline constexpr int kThreadsUnset = -1000000;

/// Opens `library` (API prefix `prefix`) for running here, natively or through qemu-user.
/// `toolDir` is where dnncc-run lives (dnncc-exec is in <toolDir>/../lib/dnncc/).
std::unique_ptr<Executor> openExecutor(const std::string& library, const std::string& prefix,
                                       const std::string& toolDir);

} // namespace dnncc::run
