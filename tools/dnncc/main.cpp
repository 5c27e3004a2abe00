// dnncc: compiles an ONNX or NNEF model into a native shared library (see docs/usage.md).
//   dnncc model.onnx --target=x86-64 -o libmodel.so
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "Calibration.h"
#include "HeaderEmitter.h"
#include "codegen/HostTarget.h"
#include "codegen/ModelCompiler.h"
#include "codegen/Target.h"
#include "codegen/halide/Evaluator.h"
#include "codegen/halide/Kernel.h"
#include "frontend/nnef/Importer.h"
#include "frontend/onnx/Importer.h"
#include "ir/Text.h"
#include "passes/Pass.h"

namespace fs = std::filesystem;
using namespace dnncc;

namespace {
using Clock = std::chrono::steady_clock;

int fail(const Status& s) {
  std::cerr << s.format() << "\n";
  return 1;
}

std::string exeDir() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : p.parent_path().string();
}

std::string cacheDir() {
  if (const char* d = std::getenv("DNNCC_CACHE_DIR"))
    return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return (fs::path(x) / "dnncc").string();
  if (const char* h = std::getenv("HOME"); h && *h)
    return (fs::path(h) / ".cache" / "dnncc").string();
  return "";
}

/// `name=1x3x224x224` -> (name, {1,3,224,224}).
Expected<std::pair<std::string, std::vector<int64_t>>> parseShape(const std::string& spec) {
  size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return Status::error(fmt::format("--input-shape '{}' is not NAME=D1xD2x...", spec));
  std::vector<int64_t> dims;
  std::string rest = spec.substr(eq + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t x = rest.find('x', start);
    std::string d = rest.substr(start, x == std::string::npos ? std::string::npos : x - start);
    char* end = nullptr;
    long long v = std::strtoll(d.c_str(), &end, 10);
    if (d.empty() || *end != '\0' || v < 1)
      return Status::error(fmt::format("--input-shape '{}': '{}' is not a positive dimension",
                                       spec, d));
    dims.push_back(v);
    if (x == std::string::npos)
      break;
    start = x + 1;
  }
  return std::make_pair(spec.substr(0, eq), dims);
}

/// The Halide target `host` stands for on this machine and why each extension is in or out.
void printHostTarget(std::ostream& out, const std::string& linePrefix = "") {
  const HostTargetChoice& host = hostTargetChoice();
  out << fmt::format("{}host target: {} (from the CPU's cpuid features)\n", linePrefix,
                     host.halideTarget);
  for (const std::string& reason : host.reasons)
    out << linePrefix << "  " << reason << "\n";
}

/// The model's format: `flag` (onnx, nnef) or, for `auto`, NNEF where isNnefModel says so (a
/// directory, a graph.nnef file, a .tgz archive, a path ending in .nnef), else ONNX.
bool isNnef(const std::string& model, const std::string& flag) {
  return flag == "nnef" || (flag == "auto" && isNnefModel(model));
}

/// The model's name for default output names: the file or directory name without .onnx, .nnef,
/// .tgz or .tar.gz (a trailing '/' ignored; graph.nnef names its directory).
std::string modelStem(const std::string& model) {
  fs::path p = fs::path(model).lexically_normal();
  if (p.filename().empty())
    p = p.parent_path();
  if (p.filename() == "graph.nnef")
    p = p.parent_path();
  std::string name = p.filename().string();
  for (std::string_view suffix : {".tar.gz", ".tgz", ".nnef", ".onnx"})
    if (name.size() > suffix.size() && name.ends_with(suffix))
      name.resize(name.size() - suffix.size());
  return name.empty() ? "model" : name;
}

Expected<std::unique_ptr<Module>> importModel(const std::string& model, bool nnef,
                                              const ImportOptions& importOptions) {
  return nnef ? importNnef(model, importOptions) : importOnnx(model, importOptions);
}

/// Lists every problem of a model at once: importer errors, then (if it imports) ops the code
/// generator cannot build. Returns the number of problems printed.
int listProblems(const std::string& model, bool nnef, const ImportOptions& importOptions) {
  std::vector<Status> problems =
      nnef ? checkNnef(model, importOptions) : checkOnnx(model, importOptions);
  if (problems.empty()) {
    auto m = importModel(model, nnef, importOptions);
    if (!m) {
      problems.push_back(m.status());
    } else {
      for (const auto& op : (*m)->ops) {
        hl::KernelSpec k;
        k.ops = {op.get()};
        k.inputs.assign(op->operands.begin(), op->operands.end());
        k.output = op->result;
        Status s = hl::checkKernel(k);
        if (!s.isOk())
          problems.push_back(s.withDefaults({model, op->name, std::string(opName(op->kind))}));
      }
    }
  }
  for (const Status& s : problems)
    std::cerr << s.format() << "\n";
  return static_cast<int>(problems.size());
}
} // namespace

int main(int argc, char** argv) {
  CLI::App app{"dnncc: compiles an ONNX or NNEF model into a native shared library", "dnncc"};
  std::string model, output, targetName = "host", emit = "so", prefix, passes(kDefaultPipeline),
                             precision = "fp32", halideFeatures, quantize = "none", calibration,
                             calibrationMethod = "minmax", inputFormat = "auto";
  std::vector<std::string> shapes, printAfter;
  bool check = false, listTargets = false, listPassesFlag = false, listOps = false, version = false,
       verbose = false, timePasses = false, verifyEach = false, keepTemps = false,
       keepFloatEnds = false;
  int jobs = 0;
  ImportOptions limits; // the resource limits' defaults (docs/security.md)
  app.add_option("model", model,
                 "the model: an ONNX file, or an NNEF model (a directory with graph.nnef, or "
                 "a .tgz of one)");
  app.add_option("--input-format", inputFormat,
                 "the model's format; auto: NNEF for a directory, a graph.nnef file, a .tgz or "
                 "a path ending in .nnef, else ONNX")
      ->check(CLI::IsMember({"auto", "onnx", "nnef"}))
      ->capture_default_str();
  app.add_option("--max-archive-bytes", limits.maxArchiveBytes,
                 "the most bytes an NNEF .tgz archive may expand into")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-tensor-bytes", limits.maxTensorBytes,
                 "the largest tensor (input, weight or intermediate) a model may have")
      ->check(CLI::Range(int64_t{1}, kMaxTensorBytes))
      ->capture_default_str();
  app.add_option("--max-model-bytes", limits.maxModelBytes,
                 "the largest ONNX file read (weights in external data not counted)")
      ->check(CLI::Range(int64_t{1}, (int64_t{2} << 30) - 1))
      ->capture_default_str();
  app.add_option("--max-graph-depth", limits.maxGraphDepth,
                 "how deep ONNX subgraphs (If, Loop, Scan bodies) may nest")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("-o,--output", output, "the output file (default: lib<model>.so; '-' = stdout "
                                        "for --emit=ir)");
  app.add_option("--target", targetName, "target name (see --list-targets) or a target .json file")
      ->capture_default_str();
  app.add_option("--emit", emit,
                 "what to produce: so (shared library + header), lib (static archive + header), "
                 "obj, asm, llvm (entry code), ir")
      ->check(CLI::IsMember({"ir", "llvm", "asm", "obj", "so", "lib"}))
      ->capture_default_str();
  app.add_option("--precision", precision,
                 "fp16: activations and weights in half precision between the f32 inputs and "
                 "outputs, each op computed in f32 (GPU targets)")
      ->check(CLI::IsMember({"fp32", "fp16"}))
      ->capture_default_str();
  app.add_option("--quantize", quantize,
                 "int8: post-training quantization of the convs and matmuls (per-channel int8 "
                 "weights, u8 activations calibrated on --calibration samples)")
      ->check(CLI::IsMember({"none", "int8"}))
      ->capture_default_str();
  app.add_option("--calibration", calibration,
                 "directory of calibration samples for --quantize: test_data_set_*/input_<i>.pb "
                 "directories, or .npy / .pb files of a one-input model");
  app.add_option("--calibration-method", calibrationMethod,
                 "activation ranges: minmax (all values seen) or percentile (99.99th, outliers "
                 "clipped)")
      ->check(CLI::IsMember({"minmax", "percentile"}))
      ->capture_default_str();
  app.add_flag("--quantize-keep-float-ends", keepFloatEnds,
               "keep the first and the last conv or matmul in f32 (--quantize)");
  app.add_option("--name", prefix, "API prefix of the library (default: from the output name)");
  app.add_option("--input-shape", shapes, "static shape of an input, NAME=1x3x224x224");
  app.add_flag("--check", check, "list every unsupported op and attribute of the model, then exit");
  app.add_flag("--list-targets", listTargets, "list the built-in targets");
  app.add_flag("--list-passes", listPassesFlag, "list the passes");
  app.add_flag("--list-ops", listOps, "print the IR's op list (markdown, as in docs/ir.md)");
  app.add_flag("--version", version, "print the version");
  app.add_flag("-v,--verbose", verbose, "print per-phase timings");
  app.add_option("--passes", passes, "the pass pipeline, comma-separated")->capture_default_str();
  app.add_option("--print-after", printAfter, "print the IR after these passes ('all')")
      ->delimiter(',');
  app.add_flag("--time-passes", timePasses, "print the time each pass takes");
  app.add_flag("--verify-each", verifyEach, "verify the IR after every pass");
  app.add_option("-j,--jobs", jobs,
                 "kernels compiled at once, each in its own process (default: one per core); the "
                 "output is the same for any value");
  app.add_flag("--keep-temps", keepTemps, "keep the work directory");
  app.add_option("--halide-features", halideFeatures,
                 "extra Halide target features for the kernels and the Halide runtime, "
                 "'-'-separated (e.g. profile, debug); a debugging aid")
      ->envname("DNNCC_HALIDE_FEATURES");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: command line: " << e.what() << "\n";
    return 2;
  }
  if (version) {
    std::cout << fmt::format("dnncc {} (Halide {}, LLVM {})\n", DNNCC_VERSION,
                             DNNCC_HALIDE_VERSION, DNNCC_LLVM_VERSION);
    return 0;
  }
  if (listTargets) {
    std::vector<TargetInfo> targets = builtinTargets();
    size_t width = 0;
    for (const TargetInfo& t : targets)
      width = std::max(width, t.name.size());
    for (const TargetInfo& t : targets)
      std::cout << fmt::format("{:<{}} {}\n", t.name, width, t.description);
    printHostTarget(std::cout);
    return 0;
  }
  if (listOps) {
    std::cout << opListMarkdown();
    return 0;
  }
  if (listPassesFlag) {
    for (auto [name, summary] : listPasses())
      std::cout << fmt::format("{:<18} {}\n", name, summary);
    return 0;
  }
  if (model.empty()) {
    std::cerr << "error: command line: no model file given (dnncc MODEL.onnx -o libmodel.so)\n";
    return 2;
  }
  auto log = [&](const std::string& s) {
    if (verbose)
      std::cerr << "dnncc: " << s << "\n";
  };
  Expected<TargetInfo> target = loadTarget(targetName);
  if (!target)
    return fail(target.status());
  if (!halideFeatures.empty())
    if (Status s = addHalideFeatures(*target, halideFeatures); !s.isOk())
      return fail(s);
  if (verbose && target->name == "host")
    printHostTarget(std::cerr, "dnncc: ");
  if (precision == "fp16" && !target->isGpu())
    return fail(Status::error(
        fmt::format("--precision=fp16 needs a GPU target; '{}' is a CPU target", target->name)));
  if (quantize != "none" && precision != "fp32")
    return fail(Status::error("--quantize=int8 and --precision=fp16 cannot be combined"));
  if (quantize != "none" && calibration.empty())
    return fail(Status::error("--quantize=int8 needs --calibration DIR (sample inputs)"));
  if (quantize == "none" && !calibration.empty())
    return fail(Status::error("--calibration is only read with --quantize=int8"));
  if (quantize != "none" && !app.count("--passes"))
    passes = std::string(kInt8Pipeline);
  const bool nnef = isNnef(model, inputFormat);
  ImportOptions importOptions = limits;
  for (const std::string& s : shapes) {
    auto parsed = parseShape(s);
    if (!parsed)
      return fail(parsed.status());
    importOptions.inputShapes[parsed->first] = parsed->second;
  }
  hl::HalideEvaluator evaluator;
  importOptions.evaluator = &evaluator;
  if (verbose)
    importOptions.warn = [](const std::string& line) { std::cerr << line << "\n"; };
  if (check) {
    int n = listProblems(model, nnef, importOptions);
    if (n == 0)
      std::cout << fmt::format("{}: every op is supported on {}\n", model, target->name);
    return n == 0 ? 0 : 1;
  }
  EmitKind emitKind = emit == "lib"    ? EmitKind::lib
                      : emit == "obj"  ? EmitKind::obj
                      : emit == "asm"  ? EmitKind::asm_
                      : emit == "llvm" ? EmitKind::llvm
                                       : EmitKind::so;
  if (output.empty()) {
    std::string stem = modelStem(model);
    output = emit == "ir"    ? "-"
             : emit == "so"  ? "lib" + stem + ".so"
             : emit == "lib" ? "lib" + stem + ".a"
             : emit == "obj" ? stem + ".o"
             : emit == "asm" ? stem + ".s"
                             : stem + ".ll";
  }
  if (prefix.empty())
    prefix = modelPrefixFromPath(output == "-" ? modelStem(model) : output);
  if (!isValidModelPrefix(prefix))
    return fail(Status::error(fmt::format("--name '{}' is not a C identifier", prefix)));
  if (output != "-" && !fs::path(output).parent_path().empty() &&
      !fs::is_directory(fs::path(output).parent_path()))
    return fail(Status::error(fmt::format("output directory '{}' does not exist",
                                          fs::path(output).parent_path().string())));

  auto t0 = Clock::now();
  auto imported = importModel(model, nnef, importOptions);
  if (!imported) {
    // Report every problem of the model at once, not only the first.
    int n = listProblems(model, nnef, importOptions);
    if (n == 0)
      return fail(imported.status());
    return 1;
  }
  Module& m = **imported;
  log(fmt::format("import: {:.2f} s ({} ops, {} constants, {} evaluator compiles)",
                  std::chrono::duration<double>(Clock::now() - t0).count(), m.ops.size(),
                  m.constants.size(), evaluator.compilations()));

  auto t1 = Clock::now();
  auto pipeline = parsePipeline(passes);
  if (!pipeline)
    return fail(pipeline.status());
  QuantizeOptions quantizeOptions;
  PassContext ctx;
  if (quantize != "none") {
    auto t2 = Clock::now();
    if (Status s = loadCalibration(calibration, m, quantizeOptions); !s.isOk())
      return fail(s);
    quantizeOptions.method = calibrationMethod == "percentile" ? QuantizeOptions::Method::percentile
                                                               : QuantizeOptions::Method::minmax;
    quantizeOptions.keepFirstAndLast = keepFloatEnds;
    // ARM's sdot multiplies int8 by int8 (no uint8 x int8 form before ARMv8.6's usdot).
    if (target->hasLlvmFeature("dotprod"))
      quantizeOptions.activationType = DType::i8;
    ctx.quantize = &quantizeOptions;
    log(fmt::format("calibration: {} samples read in {:.2f} s", quantizeOptions.samples.size(),
                    std::chrono::duration<double>(Clock::now() - t2).count()));
  }
  ctx.evaluator = &evaluator;
  ctx.vectorLanes = target->vectorLanes();
  ctx.vectorRegisters = target->vectorRegisters;
  ctx.precision = precision == "fp16" ? Precision::fp16 : Precision::fp32;
  ctx.gpu = target->isGpu();
  ctx.remark = log;
  PipelineOptions po;
  po.verifyEach = verifyEach;
  po.timePasses = timePasses;
  po.printAfter.insert(printAfter.begin(), printAfter.end());
  po.out = [](const std::string& s) { std::cerr << s << "\n"; };
  Status ps = runPipeline(m, *pipeline, ctx, po);
  if (!ps.isOk())
    return fail(ps);
  log(fmt::format("passes: {:.2f} s", std::chrono::duration<double>(Clock::now() - t1).count()));

  if (emit == "ir") {
    std::string text = print(m);
    if (m.plan)
      text += fmt::format("// arena: {} bytes ({} without reuse), weights: {} bytes\n",
                          m.plan->arenaSize, m.plan->unsharedSize, m.plan->weightsSize);
    if (output == "-") {
      std::cout << text;
      return 0;
    }
    std::ofstream out(output);
    out << text;
    return out ? 0 : fail(Status::error(fmt::format("cannot write '{}'", output)));
  }
  CodegenOptions co;
  co.target = *target;
  co.output = output;
  co.prefix = prefix;
  co.modelFile = model;
  co.emit = emitKind;
  co.jobs = jobs;
  co.runtimeDir = (fs::path(exeDir()) / ".." / "lib" / "dnncc").string();
  co.cacheDir = cacheDir();
  co.keepTemps = keepTemps;
  co.log = log;
  Status gs = generateCode(m, co);
  if (!gs.isOk())
    return fail(gs.withDefaults({model}));
  log(fmt::format("total: {:.2f} s", std::chrono::duration<double>(Clock::now() - t0).count()));
  return 0;
}
