// Kernels: a fused group of ops compiled into one Halide pipeline (NoRuntime object), identified by
// a key so that identical kernels are compiled once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "codegen/Target.h"
#include "codegen/halide/Algorithm.h"
#include "ir/IR.h"

namespace dnncc::hl {

/// One kernel. Arguments are `inputs` in order followed by the output; the symbol takes
/// halide_buffer_t pointers in that order and returns 0 or a Halide error code.
struct KernelSpec {
  std::vector<const Op*> ops;       ///< topological order; the last op's result is the output
  std::vector<const Value*> inputs; ///< values read from outside the group, in argument order
  const Value* output = nullptr;
  /// The output's element strides (bufferDims order) when it is written into a larger tensor
  /// (Placement::strides: a concat's slot); empty for its own layout's.
  std::vector<int64_t> outputStrides;
};

/// Whether kernels for `target` hold f16 tensors as UInt(16) bit patterns (Lowering::halfAsBits):
/// OpenCL targets whose device lacks cl_khr_fp16 (gpu.fp16 false). Others use Halide's Float(16).
bool holdsHalfAsBits(const TargetInfo& target);
/// Whether kernels for `target` compute in half precision (Lowering::nativeHalf): GPU targets whose
/// device has IEEE binary16 arithmetic (gpu.fp16: rk3399-mali's OpenCL with cl_khr_fp16, the CUDA
/// targets, sm_53 and newer) and that hold f16 as Float(16). CPU targets and OpenCL devices
/// without cl_khr_fp16 keep the exact f32 lifting.
bool computesInHalf(const TargetInfo& target);
/// The lowering options of `target`'s kernels: holdsHalfAsBits and computesInHalf.
Lowering loweringFor(const TargetInfo& target);

/// A string that is equal for two kernels exactly when they compile to the same code: ops,
/// attributes, types and layouts of every argument, and the target.
std::string kernelKey(const KernelSpec& k, const TargetInfo& target);
/// A readable, unique symbol for the key: `<anchor>_<dtype>_<specialisation>_<hash>`, e.g.
/// `conv_f32_k3s1g1_relu_9c1a0e3b`.
std::string kernelSymbol(const KernelSpec& k, const std::string& key);

enum class KernelOutput { object, assembly };

/// Compiles one kernel to an object (or assembly) file for `target` (Halide, NoRuntime).
Status compileKernel(const KernelSpec& k, const TargetInfo& target, const std::string& symbol,
                     const std::string& path, KernelOutput kind = KernelOutput::object);
/// Builds (without compiling) the kernel's Halide pipeline: an error names what the code generator
/// does not implement for it. Used by `dnncc --check`.
Status checkKernel(const KernelSpec& k);

/// Where Halide's compile-time warnings go (they are never printed directly): `sink` receives
/// each one; null drops them. Halide errors become Status values in any case.
void setHalideWarningSink(std::function<void(const std::string&)> sink);

/// Compiles the Halide runtime for `target` (once per library).
Status compileHalideRuntime(const TargetInfo& target, const std::string& objectPath);

} // namespace dnncc::hl
