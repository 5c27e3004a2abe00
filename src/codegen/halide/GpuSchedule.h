// GPU schedules of kernels (OpenCL and CUDA targets): every stage that is not inlined runs on the
// device in work-groups sized by the target (see GpuSchedule.cpp for the strategy).
#pragma once

#include "codegen/halide/Schedule.h"

namespace dnncc::hl {

/// matmul / gemm with a row-major output and an element-wise epilogue: work-group tiles, a
/// register tile per thread, K chunks staged in local memory (GpuTiledSchedule.cpp). Returns
/// false (nothing scheduled) for other kernels or when the target's local memory is too small.
bool scheduleGpuMatMul(KernelPipeline& p, const TargetInfo& target);

/// 2-D conv with an element-wise epilogue: 1x1 stride-1 convs as a staged matmul of pixels by
/// weights, the others with a register tile of output channels x columns per thread (made for
/// the NHWC activations ChooseLayouts picks; a row-major model output works the same, with
/// strided stores) (GpuTiledSchedule.cpp). Returns false (nothing scheduled) for other kernels.
bool scheduleGpuConv(KernelPipeline& p, const TargetInfo& target);

/// Schedules every stage of `p` on the GPU of `target`. Always applies; returns true.
bool scheduleGpuGeneric(KernelPipeline& p, const TargetInfo& target);

} // namespace dnncc::hl
