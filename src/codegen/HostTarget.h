// The `host` target: the running CPU's instruction-set extensions, read from cpuid (through LLVM),
// mapped to the Halide target features whose instruction sets are all present.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace dnncc {

/// The Halide target chosen for a CPU, and why each Halide feature was taken or left out.
struct HostTargetChoice {
  std::string halideTarget;         ///< e.g. "x86-64-linux-avx-avx2-f16c-fma-sse41"
  std::vector<std::string> reasons; ///< one line per Halide feature considered, for -v
};

/// The Halide target for a CPU of `base` (Halide's arch-bits-os, e.g. "x86-64-linux" or
/// "arm-64-linux") with the extensions `cpuFeatures`, in LLVM's feature names as
/// `llvm::sys::getHostCPUFeatures` reports them ("avx2", "avx512fp16", "amx-tile", "dotprod").
///
/// A Halide feature is taken only when every extension its code generation may use is present:
/// Halide 14 compiles a feature as an LLVM CPU model plus attributes (CodeGen_X86::mcpu/mattrs),
/// and the CPU model brings its whole instruction set. `avx512_sapphirerapids` becomes
/// `-mcpu=sapphirerapids`, which includes AVX512-FP16 and AMX: it needs those, which AMD Zen 4
/// and Zen 5 lack (Halide 14's own host detection claims it from VNNI and BF16 alone, and its
/// code then dies with SIGILL there: LLVM loads 16-bit elements with AVX512-FP16's vmovw). The rules are the table in HostTarget.cpp; features build
/// on one another (avx2 needs avx, avx512_cannonlake needs avx512_skylake, ...).
/// An architecture other than x86 or ARM keeps `base` alone.
HostTargetChoice chooseHalideTarget(const std::string& base,
                                    const std::set<std::string>& cpuFeatures);

/// The running machine's extensions (LLVM's cpuid-based detection), in LLVM's feature names.
std::set<std::string> hostCpuFeatures();

/// chooseHalideTarget for the running machine: the target of `--target=host` and of every JIT
/// compilation (the reference evaluator). Computed once.
const HostTargetChoice& hostTargetChoice();

} // namespace dnncc
