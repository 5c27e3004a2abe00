// lld invocation (see Linker.h).
#include "codegen/llvm/Linker.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/Support/Program.h>

namespace dnncc {
namespace fs = std::filesystem;

std::string lldPath() { return DNNCC_LLD_PATH; }

namespace {
/// Debian's multiarch directory holding libc.so and libm.so for the target, if installed.
std::string libcDir(const TargetInfo& target) {
  std::string multiarch = target.arch == "x86_64"    ? "x86_64-linux-gnu"
                          : target.arch == "aarch64" ? "aarch64-linux-gnu"
                                                     : "arm-linux-gnueabihf";
  for (std::string dir : {"/usr/lib/" + multiarch, "/usr/" + multiarch + "/lib"})
    if (fs::exists(dir + "/libc.so") && fs::exists(dir + "/libm.so"))
      return dir;
  return "";
}
} // namespace

namespace {
Status runTool(const std::string& tool, const std::vector<std::string>& args,
               const LinkJob& job) {
  std::vector<llvm::StringRef> argv(args.begin(), args.end());
  std::string log = (fs::path(job.workDir) / "lld.log").string();
  llvm::Optional<llvm::StringRef> redirects[] = {llvm::None, llvm::StringRef(log),
                                                 llvm::StringRef(log)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(tool, argv, llvm::None, redirects, 0, 0, &error);
  if (rc != 0) {
    std::ifstream in(log);
    std::string first;
    std::getline(in, first);
    return Status::error(fmt::format("linking {} failed: {}", job.output,
                                     first.empty() ? error : first));
  }
  return Status::ok();
}

Status runLld(const std::vector<std::string>& args, const LinkJob& job) {
  return runTool(lldPath(), args, job);
}
} // namespace

Status linkRelocatable(const LinkJob& job, const TargetInfo&) {
  std::string combined = (fs::path(job.workDir) / "combined.o").string();
  std::vector<std::string> args{lldPath(), "-r", "-o", combined};
  args.insert(args.end(), job.objects.begin(), job.objects.end());
  // Only the archive members the objects need (as in a shared library): the runtime's per-GPU-API
  // members reference a GPU runtime that CPU libraries do not have.
  args.insert(args.end(), job.archives.begin(), job.archives.end());
  DNNCC_TRY(runLld(args, job));
  // Only the model API stays global, so objects of several models link into one program.
  return runTool(DNNCC_OBJCOPY_PATH,
                 {DNNCC_OBJCOPY_PATH, "--wildcard", "--keep-global-symbol=" + job.prefix + "_*",
                  combined, job.output},
                 job);
}

Status linkStaticArchive(const LinkJob& job, const TargetInfo& target) {
  LinkJob object = job;
  object.output = (fs::path(job.workDir) / (job.prefix + ".o")).string();
  DNNCC_TRY(linkRelocatable(object, target));
  std::error_code ec;
  fs::remove(job.output, ec); // llvm-ar adds to an existing archive
  return runTool(DNNCC_AR_PATH, {DNNCC_AR_PATH, "rcs", job.output, object.output}, job);
}

Status linkSharedLibrary(const LinkJob& job, const TargetInfo& target) {
  std::string script = (fs::path(job.workDir) / "exports.map").string();
  {
    std::ofstream out(script);
    out << "{\n  global: " << job.prefix << "_*;\n  local: *;\n};\n";
    if (!out)
      return Status::error(fmt::format("cannot write '{}'", script));
  }
  std::string soname =
      job.soname.empty() ? fs::path(job.output).filename().string() : job.soname;
  std::vector<std::string> args{lldPath(),
                                "-shared",
                                "-soname",
                                soname,
                                "--version-script=" + script,
                                "--gc-sections",
                                "-z",
                                "noexecstack",
                                "-o",
                                job.output};
  args.insert(args.end(), job.objects.begin(), job.objects.end());
  args.insert(args.end(), job.archives.begin(), job.archives.end());
  if (std::string dir = libcDir(target); !dir.empty()) {
    // NEEDED entries for libm and libc, so the library loads into programs that lack them.
    args.insert(args.end(), {"-L" + dir, "--as-needed", "-lm", "-lc"});
  }
  return runLld(args, job);
}

} // namespace dnncc
