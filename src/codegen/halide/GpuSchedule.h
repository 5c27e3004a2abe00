// GPU schedules of kernels (OpenCL and CUDA targets): every stage that is not inlined runs on the
// device in work-groups sized by the target (see GpuSchedule.cpp for the strategy).
#pragma once

#include "codegen/halide/Schedule.h"

namespace dnncc::hl {

/// Schedules every stage of `p` on the GPU of `target`. Always applies; returns true.
bool scheduleGpuGeneric(KernelPipeline& p, const TargetInfo& target);

} // namespace dnncc::hl
