// Links a model library with lld (run as a program): kernels, entry object, weights object, Halide
// runtime and the dnncc runtime archive -> lib<name>.so exporting only `<prefix>_*`.
#pragma once

#include <string>
#include <vector>

#include "codegen/Target.h"
#include "support/Status.h"

namespace dnncc {

struct LinkJob {
  std::vector<std::string> objects;  ///< object files, all linked whole
  std::vector<std::string> archives; ///< static archives, members pulled as needed
  std::string output;                ///< the .so path (may be a temporary name)
  std::string soname;                ///< DT_SONAME: the final file name (default: output's)
  std::string prefix;                ///< exported symbols are `<prefix>_*`
  std::string workDir;               ///< where the version script is written
};

/// Runs ld.lld. Without a C library for the target on this machine the library's libc symbols
/// stay undefined and resolve in the application that loads it.
Status linkSharedLibrary(const LinkJob& job, const TargetInfo& target);

/// Links the objects and the archives' members into one relocatable object (`ld.lld -r`) in which
/// every defined symbol but `<prefix>_*` is local, so that objects of several models link into one
/// program.
Status linkRelocatable(const LinkJob& job, const TargetInfo& target);

/// Packs the relocatable object of linkRelocatable into a static archive `job.output` (llvm-ar),
/// for firmware-style builds that link the model statically.
Status linkStaticArchive(const LinkJob& job, const TargetInfo& target);

/// The lld executable dnncc uses.
std::string lldPath();

} // namespace dnncc
