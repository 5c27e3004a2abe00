// Code generation for a whole planned module: kernels (deduplicated, compiled in parallel), the
// entry code, the weights blob, the Halide runtime and the dnncc runtime, linked into a shared
// library with its generated header (or another artefact chosen by --emit).
#pragma once

#include <functional>
#include <string>

#include "codegen/Target.h"
#include "ir/IR.h"

namespace dnncc {

enum class EmitKind { so, lib, obj, asm_, llvm };

struct CodegenOptions {
  TargetInfo target;
  std::string output;     ///< the file to produce
  std::string prefix;     ///< API prefix of the library
  std::string modelFile;  ///< for the header's comment
  EmitKind emit = EmitKind::so;
  int jobs = 0;           ///< parallel kernel compiles; 0 = one per core
  std::string runtimeDir; ///< holds libdnncc_runtime-<arch>.a
  std::string cacheDir;   ///< Halide runtime objects are cached here ("" = no cache)
  bool keepTemps = false; ///< keep the work directory (its path is logged)
  /// Receives progress lines (phase timings, kernel counts) when set.
  std::function<void(const std::string&)> log;
};

/// Generates `options.output` from `m`, which must carry a memory plan (passes/PlanMemory). For
/// EmitKind::so and EmitKind::lib the header (the output path with extension .h) is written next to it. Outputs are written under
/// temporary names and renamed at the end, so a failure leaves no half-written file.
Status generateCode(const Module& m, const CodegenOptions& options);

} // namespace dnncc
