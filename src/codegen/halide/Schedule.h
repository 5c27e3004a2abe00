// Schedules of kernels (CPU here; GPU in GpuSchedule.h). A schedule never changes results: it places the stages of a kernel's
// pipeline (the algorithms of codegen/halide/ops) in loops, vectors and threads.
#pragma once

#include <Halide.h>

#include "codegen/Target.h"
#include "codegen/halide/Algorithm.h"

namespace dnncc::hl {

/// What a schedule strategy sees of one kernel.
struct KernelPipeline {
  Halide::Func output;          ///< the kernel's output Func (a wrapper of the last op's result)
  std::vector<Halide::Var> vars; ///< output variables, ONNX axis order
  TensorType outputType;         ///< shape and storage layout of the output buffer
  const Op* anchor = nullptr;    ///< the kernel's heavy op (conv, matmul, ...), or null
  TensorFunc anchorFunc;         ///< the anchor's lowered stages
  std::vector<TensorFunc> anchorOperands; ///< the anchor's operands as the kernel lowered them
  std::vector<TensorFunc> others; ///< lowered stages of the remaining ops
  std::vector<const Op*> otherOps; ///< the op of each entry of `others`
  /// Estimated work of one call in multiply-adds (or elements for data movement): below
  /// kParallelWork a kernel runs on one thread, as waking the thread pool costs more.
  int64_t work = 0;
};

inline constexpr int64_t kParallelWork = 1 << 20;
/// Bytes a memory-bound kernel streams from above L2 before two cores pay off.
inline constexpr int64_t kParallelBytes = 1 << 20;

/// The stages of a kernel that are not inlined, other than its output: the ones with update
/// definitions (reductions), the anchor's first.
std::vector<Halide::Func> reductionStages(const KernelPipeline& p);

/// Estimated multiply-adds of a kernel's ops (elements for the others).
int64_t estimateWork(const std::vector<const Op*>& ops);

/// Applies the first applicable strategy for the kernel's anchor on `target` (CPU:
/// register-blocked conv and matmul vectorised over output channels, then a generic
/// vectorise-and-parallelise schedule that always applies; GPU targets: GpuSchedule.h). Returns
/// the name of the strategy used.
std::string scheduleKernel(KernelPipeline& p, const TargetInfo& target);

} // namespace dnncc::hl
