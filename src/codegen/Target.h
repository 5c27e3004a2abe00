// Code-generation targets: the data in targets/<name>.json (embedded into dnncc at build time) or a
// user's own file, plus `host`, which describes the machine dnncc runs on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "support/Status.h"

namespace dnncc {

/// The GPU API a target's kernels run through.
enum class GpuApi { none, opencl, cuda };

/// The GPU of a target (the "gpu" object of its file).
struct GpuInfo {
  GpuApi api = GpuApi::none;
  int maxWorkGroup = 256;            ///< threads per work-group (block) the device allows
  int64_t localMemoryBytes = 32768;  ///< local (shared) memory per work-group
  /// Threads that execute in lockstep: a warp (NVIDIA: 32), a wavefront (AMD GCN: 64, RDNA: 32).
  /// Work-group sizes are multiples of it. A power of two, at most maxWorkGroup.
  int simdWidth = 32;
  bool fp16 = false;                 ///< half-precision arithmetic available (--precision=fp16)
  bool fp64 = false;                 ///< double precision available (OpenCL: cl_khr_fp64)
  int computeCapability = 0;         ///< CUDA only, e.g. 61 for 6.1
};

/// Everything code generation needs to know about a target. Generic codegen reads only this.
struct TargetInfo {
  std::string name;
  std::string description;  ///< one line for --list-targets
  std::string arch;         ///< x86_64, aarch64 or arm: picks the runtime archive
  std::string triple;       ///< LLVM target triple of the entry code
  std::string cpu;          ///< LLVM CPU name
  std::string llvmFeatures; ///< LLVM feature string, e.g. "+avx2,+fma"
  std::string halideTarget; ///< Halide target string (without NoRuntime)
  int vectorBits = 128;     ///< SIMD register width in bits
  int vectorRegisters = 16; ///< SIMD registers available to a kernel's register tile
  int cores = 0;            ///< cores to schedule for; 0 = as many as the machine has at run time
  int64_t l1dBytes = 32768;
  int64_t l2Bytes = 1 << 20;
  GpuInfo gpu;              ///< api none: kernels run on the CPU

  bool isGpu() const { return gpu.api != GpuApi::none; }

  /// f32 lanes per vector.
  int vectorLanes() const { return vectorBits / 32; }
  /// Whether llvmFeatures enables `feature` (LLVM's name without the '+', e.g. "avx512vnni").
  bool hasLlvmFeature(std::string_view feature) const;
};

/// "opencl", "cuda" or "" for GpuApi::none.
const char* gpuApiName(GpuApi api);

/// The target called `nameOrPath`: a built-in name (see builtinTargets), "host", or the path of a
/// JSON file with the same fields as targets/*.json. Unknown names list the valid ones.
Expected<TargetInfo> loadTarget(const std::string& nameOrPath);
/// The built-in targets in name order, `host` included.
std::vector<TargetInfo> builtinTargets();
/// Appends Halide target features (`features`, '-'-separated, e.g. "profile" or "debug") to
/// `target.halideTarget`: kernels and the Halide runtime are then compiled with them. Errors name
/// the features when Halide does not know them.
Status addHalideFeatures(TargetInfo& target, const std::string& features);
/// Parses one target description (JSON text); `origin` names it in errors.
Expected<TargetInfo> parseTarget(const std::string& json, const std::string& origin);

} // namespace dnncc
