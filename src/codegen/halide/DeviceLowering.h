// A custom Halide lowering pass for GPU kernels: it works around gaps of Halide 14's device code
// generators that give wrong numbers or kernels that do not build (see DeviceLowering.cpp).
#pragma once

#include <Halide.h>

#include "codegen/Target.h"

namespace dnncc::hl {

/// A Halide IR mutator that rewrites, inside the loops that run on the device of `api` (OpenCL or
/// CUDA; anything else is left alone):
///  - (OpenCL) `x % 2^k` with k >= 31 on integers into `x & (2^k - 1)`: Halide 14's C-source code
///    generator prints the mask as the int expression `(1 << k) - 1`, which for k >= 31 overflows
///    (a 64-bit `x & 0x7fffffffffffffff`, which its simplifier turns into `x % 2^63`, became
///    `x & 2147483647`: |x| of a double lost its exponent);
///  - (OpenCL) half constants (Float(16) FloatImm) into `as_half` of their bits: Halide 14 prints
///    them as float expressions (`float_from_bits(..)`, `neg_inf_f32()`), which make OpenCL C
///    built-in calls such as `max(half, float)` ambiguous (a compile error on the device);
///  - the C library's `fmodf` / `fmod` (extern calls of the algorithms, ONNX Mod) into the device's
///    own exact built-ins: OpenCL C `fmod` (overloaded; OpenCL C has no `fmodf`), CUDA libdevice
///    `__nv_fmodf` / `__nv_fmod` (a PTX call of `fmodf` is left unresolved).
/// Both built-ins are exact (OpenCL C 1.2 section 7.4: fmod 0 ulp; CUDA math API: fmod has no
/// error), so the results equal the CPU's C library ones.
Halide::Internal::IRMutator* newDeviceLoweringPass(GpuApi api);

/// Adds the pass of newDeviceLoweringPass to `output`'s pipeline when `target` is a GPU target.
/// Halide runs it after its last simplification (which would undo the mask rewrite) and before it
/// splits the device code off.
void addDeviceLoweringPass(Halide::Func& output, const TargetInfo& target);

} // namespace dnncc::hl
