// dnncc-run: loads a compiled model library, runs it on given inputs, compares the outputs with
// reference data (ONNX test-data directories or .npy/.pb files), writes them out, and benchmarks.
// Needs neither LLVM nor Halide: only the library, libc, protobuf and the ONNX protos.
#include "Executor.h"
#include "HeaderEmitter.h"
#include "Profile.h"
#include "TensorIO.h"
#include "dnncc/runtime_types.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <vector>

namespace fs = std::filesystem;

namespace dnncc::run {
namespace {

constexpr int kExitError = 1;
constexpr int kExitMismatch = 2;

struct Options {
  std::string library;
  std::string name;
  std::string dataDir;
  std::vector<std::string> inputs;
  std::string outputDir;
  double rtol = 1e-3;
  double atol = 1e-5;
  int threads = kThreadsUnset;
  int bench = 0;
  bool profile = false;
  std::string profileJson;
  int profileRuns = 10;
  Peaks peaks;
};

std::string nameList(const std::vector<TensorDesc>& tensors) {
  std::string out;
  for (const TensorDesc& t : tensors)
    out += fmt::format("{}'{}'", out.empty() ? "" : ", ", t.name);
  return out.empty() ? "none" : out;
}

// Index of the tensor of `file` among `tensors`: by its name when it has one, else `position`.
int64_t placeTensor(const HostTensor& t, int64_t position, const std::vector<TensorDesc>& tensors,
                    const std::string& file, const char* kind) {
  if (!t.name.empty()) {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].name == t.name)
        return static_cast<int64_t>(i);
    throw UserError(file, fmt::format("tensor '{}' is not an {} of the model ({}s: {})", t.name,
                                      kind, kind, nameList(tensors)));
  }
  if (position >= static_cast<int64_t>(tensors.size()))
    throw UserError(file, fmt::format("unnamed tensor #{} but the model has {} {}s", position,
                                      tensors.size(), kind));
  return position;
}

// Throws unless `t` (from `source`) has the dtype and shape of `desc`.
void checkMatches(const HostTensor& t, const TensorDesc& desc, const char* kind,
                  const std::string& source) {
  if (t.dtype != desc.dtype || t.shape != desc.shape ||
      static_cast<int64_t>(t.bytes.size()) != desc.sizeBytes)
    throw UserError(fmt::format("{} '{}'", kind, desc.name),
                    fmt::format("expected {}, got {} from {}", describe(desc.dtype, desc.shape),
                                describe(t.dtype, t.shape), source));
}

/// A reference output must have the descriptor's type and rank and fit its shape: a
/// data-dependent output's run (NonZero, Unique, ...) may have fewer entries on one axis than its
/// static upper bound; the shapes themselves are compared after the run.
void checkFits(const HostTensor& t, const TensorDesc& desc, const std::string& source) {
  bool fits = t.dtype == desc.dtype && t.shape.size() == desc.shape.size();
  for (size_t d = 0; fits && d < t.shape.size(); ++d)
    fits = t.shape[d] >= 0 && t.shape[d] <= desc.shape[d];
  if (!fits)
    throw UserError(fmt::format("output '{}'", desc.name),
                    fmt::format("expected {}, got {} from {}", describe(desc.dtype, desc.shape),
                                describe(t.dtype, t.shape), source));
}

HostTensor readTensorFile(const std::string& path) {
  if (path.ends_with(".npy"))
    return readNpy(path);
  if (path.ends_with(".pb"))
    return readTensorProto(path);
  throw UserError(path, "unknown tensor file type (expected .npy or .pb)");
}

std::string fileNameFor(const std::string& tensorName) {
  std::string out = tensorName.empty() ? "unnamed" : tensorName;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      c = '_';
  if (out[0] == '.')
    out[0] = '_';
  return out;
}

int runTool(const Options& opt, const std::string& toolDir) {
  if (!(opt.rtol >= 0) || !(opt.atol >= 0))
    throw UserError("command line", "--rtol and --atol must be >= 0");
  if (opt.bench < 0)
    throw UserError("command line", "--bench needs a run count >= 1");
  if (opt.profileRuns < 1)
    throw UserError("command line", "--profile-runs needs a run count >= 1");
  if (!(opt.peaks.gflops >= 0) || !(opt.peaks.gbps >= 0))
    throw UserError("command line", "--peak-gflops and --peak-gbps must be >= 0");
  bool profiling = opt.profile || !opt.profileJson.empty();
  if (!fs::exists(opt.library))
    throw UserError(opt.library, "no such file");
  std::string prefix = opt.name.empty() ? modelPrefixFromPath(opt.library) : opt.name;
  if (!isValidModelPrefix(prefix))
    throw UserError("--name", fmt::format("'{}' is not a C identifier", prefix));
  std::unique_ptr<Executor> exec = openExecutor(opt.library, prefix, toolDir);
  const std::vector<TensorDesc>& inDescs = exec->inputs();
  const std::vector<TensorDesc>& outDescs = exec->outputs();

  std::vector<std::optional<HostTensor>> inputs(inDescs.size()), expected(outDescs.size());
  std::vector<std::string> inputSources(inDescs.size()), expectedSources(outDescs.size());
  if (!opt.dataDir.empty()) {
    if (!fs::is_directory(opt.dataDir))
      throw UserError(opt.dataDir, "not a directory");
    auto readAll = [&](const char* kind, const std::vector<TensorDesc>& descs,
                       std::vector<std::optional<HostTensor>>& slots,
                       std::vector<std::string>& sources) {
      for (int64_t n = 0;; ++n) {
        std::string file = (fs::path(opt.dataDir) / fmt::format("{}_{}.pb", kind, n)).string();
        if (!fs::exists(file))
          break;
        HostTensor t = readTensorProto(file);
        int64_t index = placeTensor(t, n, descs, file, kind);
        slots[index] = std::move(t);
        sources[index] = file;
      }
    };
    readAll("input", inDescs, inputs, inputSources);
    readAll("output", outDescs, expected, expectedSources);
  }
  for (const std::string& spec : opt.inputs) {
    size_t eq = spec.find('=');
    std::string name, file;
    int64_t index = 0;
    if (eq == std::string::npos) {
      if (inDescs.size() != 1)
        throw UserError("--input " + spec,
                        fmt::format("give NAME=FILE: the model has {} inputs ({})", inDescs.size(),
                                    nameList(inDescs)));
      file = spec;
    } else {
      name = spec.substr(0, eq), file = spec.substr(eq + 1);
      index = -1;
      for (size_t i = 0; i < inDescs.size(); ++i)
        if (inDescs[i].name == name)
          index = static_cast<int64_t>(i);
      if (index < 0)
        throw UserError("--input " + spec, fmt::format("the model has no input '{}' (inputs: {})",
                                                       name, nameList(inDescs)));
    }
    inputs[index] = readTensorFile(file);
    inputSources[index] = file;
  }
  for (size_t i = 0; i < inDescs.size(); ++i) {
    if (!inputs[i] && !opt.dataDir.empty())
      throw UserError(fmt::format("input '{}'", inDescs[i].name),
                      fmt::format("no data ({}; {} has no input_{}.pb for it; or use --input "
                                  "{}=FILE)",
                                  describe(inDescs[i].dtype, inDescs[i].shape), opt.dataDir, i,
                                  inDescs[i].name));
    if (!inputs[i])
      throw UserError(fmt::format("input '{}'", inDescs[i].name),
                      fmt::format("no data ({}; use --data DIR or --input {}=FILE)",
                                  describe(inDescs[i].dtype, inDescs[i].shape), inDescs[i].name));
    checkMatches(*inputs[i], inDescs[i], "input", inputSources[i]);
  }
  for (size_t i = 0; i < outDescs.size(); ++i)
    if (expected[i])
      checkFits(*expected[i], outDescs[i], expectedSources[i]);

  std::vector<HostTensor> in;
  for (auto& t : inputs)
    in.push_back(std::move(*t));
  RunResult result = exec->run(in, opt.threads, opt.bench, profiling ? opt.profileRuns : 0);
  if (result.device != "cpu")
    fmt::print("device: {}; the run copied {} tensor(s) to the device and {} back\n",
               result.device, result.copiesToDevice, result.copiesToHost);

  bool allMatch = true;
  for (size_t i = 0; i < outDescs.size(); ++i) {
    const TensorDesc& d = outDescs[i];
    const HostTensor& out = result.outputs[i];
    if (expected[i] && out.shape != expected[i]->shape) {
      // Only a data-dependent output's shape can differ from its descriptor's.
      allMatch = false;
      fmt::print("output '{}': shape {} but the reference is {} MISMATCH\n", d.name,
                 describe(out.dtype, out.shape), describe(expected[i]->dtype, expected[i]->shape));
    } else if (expected[i]) {
      Comparison c = compare(out, *expected[i], opt.rtol, opt.atol);
      allMatch &= c.mismatches == 0;
      fmt::print("output '{}': max abs err {:.3g}, max rel err {:.3g}, mismatches {}/{} {}\n",
                 d.name, c.maxAbsErr, c.maxRelErr, c.mismatches, c.count,
                 c.mismatches ? "MISMATCH" : "ok");
    } else {
      fmt::print("output '{}': {} (no reference)\n", d.name, describe(d.dtype, d.shape));
    }
    if (!opt.outputDir.empty()) {
      std::error_code ec;
      fs::create_directories(opt.outputDir, ec);
      if (ec)
        throw UserError(opt.outputDir, ec.message());
      if (d.dtype == DNNCC_BFLOAT16)
        fmt::print(stderr, "note: output '{}' is bfloat16, written as uint16 bit patterns\n",
                   d.name);
      writeNpy((fs::path(opt.outputDir) / (fileNameFor(d.name) + ".npy")).string(), out);
    }
  }
  std::fflush(stdout);

  if (opt.bench > 0) {
    std::vector<double> ms = result.benchMs;
    if (ms.empty())
      throw UserError(opt.library, "no timings came back");
    std::sort(ms.begin(), ms.end());
    size_t n = ms.size();
    double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    fmt::print("bench: runs={} median_ms={:.3f} min_ms={:.3f}\n", n, median, ms.front());
  }
  if (profiling && result.profile.empty())
    throw UserError(opt.library, "no profile came back");
  if (opt.profile)
    fmt::print("{}", formatProfile(result, opt.peaks));
  if (!opt.profileJson.empty())
    writeChromeTrace(result, fs::path(opt.library).filename().string(), opt.profileJson);
  return allMatch ? 0 : kExitMismatch;
}

} // namespace
} // namespace dnncc::run

int main(int argc, char** argv) {
  using namespace dnncc::run;
  Options opt;
  CLI::App app{"dnncc-run: run a dnncc model library, check its outputs, and benchmark it."};
  app.footer("Inputs come from --data (ONNX test data: input_N.pb/output_N.pb, matched by tensor\n"
             "name, else by N) and --input (overrides). Outputs with a reference are compared:\n"
             "floats match when |a-b| <= atol + rtol*|b| (NaN matches NaN), integers exactly; the\n"
             "relative error is taken over references != 0.\n"
             "Exit status: 0 every output matches (or has no reference), 1 error (one line\n"
             "'error: <what>: <detail>' on stderr), 2 an output does not match.\n");
  app.add_option("library", opt.library, "model library (libNAME.so)")->required();
  app.add_option("--name", opt.name,
                 "API prefix of the library (default: file stem without 'lib', non-alphanumerics "
                 "as '_')");
  app.add_option("--data", opt.dataDir, "ONNX test-data directory with input_N.pb / output_N.pb");
  app.add_option("--input", opt.inputs, "NAME=FILE.npy|FILE.pb (FILE alone for a single input)")
      ->allow_extra_args(false); // one value per --input, so LIB may come after it
  app.add_option("--output-dir", opt.outputDir, "write every output there as NAME.npy");
  app.add_option("--rtol", opt.rtol, "relative tolerance (default 1e-3)");
  app.add_option("--atol", opt.atol, "absolute tolerance (default 1e-5)");
  app.add_option("--threads", opt.threads, "kernel threads (0 = one per core)");
  app.add_option("--bench", opt.bench, "time N runs after 2 warm-up runs");
  app.add_flag("--profile", opt.profile,
               "print the per-kernel profile: each kernel call's time, share of the run, "
               "GFLOP/s, GB/s, IR ops and ONNX nodes (median of --profile-runs runs)");
  app.add_option("--profile-json", opt.profileJson,
                 "write the profiled runs as a Chrome trace (chrome://tracing, Perfetto)");
  app.add_option("--profile-runs", opt.profileRuns, "profiled runs after one warm-up (default 10)");
  app.add_option("--peak-gflops", opt.peaks.gflops,
                 "the machine's peak GFLOP/s, for the profile's percentages (benchmarks/peak.py)");
  app.add_option("--peak-gbps", opt.peaks.gbps, "the machine's memory bandwidth in GB/s, likewise");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "error: command line: {} (see --help)\n", e.what());
    return kExitError;
  }
  try {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return runTool(opt, ec ? "." : self.parent_path().string());
  } catch (const UserError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "error: out of memory\n");
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
  }
  return kExitError;
}
