// Building, scheduling and compiling one kernel's Halide pipeline (see Kernel.h).
#include "codegen/halide/Kernel.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Metadata.h>
#include <llvm/IR/Module.h>

#include "codegen/halide/Algorithm.h"
#include "codegen/halide/DeviceLowering.h"
#include "codegen/halide/Schedule.h"
#include "ir/Text.h"

namespace dnncc::hl {
namespace {

/// Fixes a buffer's bounds and strides to the static shape and layout (or to `strides`, in
/// bufferDims order, when given), so Halide specialises on them (and checks them at run time).
template <class Dims>
void constrain(Dims dimOf, const TensorType& t, const std::vector<int64_t>& strides = {}) {
  std::vector<BufferDim> dims = bufferDims(t);
  for (size_t i = 0; i < dims.size(); ++i) {
    dimOf(static_cast<int>(i)).set_bounds(0, static_cast<int>(dims[i].extent));
    dimOf(static_cast<int>(i))
        .set_stride(static_cast<int>(strides.empty() ? dims[i].stride : strides[i]));
  }
}

/// The kernel target: the target's Halide string (with any --halide-features) plus NoRuntime.
Halide::Target halideTarget(const TargetInfo& target) {
  Halide::Target t(target.halideTarget);
  // OpenCL kernels may use `half` only where the device has cl_khr_fp16 (gpu.fp16), `double`
  // only where it has cl_khr_fp64 (gpu.fp64).
  if (target.gpu.api == GpuApi::opencl && target.gpu.fp16)
    t = t.with_feature(Halide::Target::CLHalf);
  if (target.gpu.api == GpuApi::opencl && target.gpu.fp64)
    t = t.with_feature(Halide::Target::CLDoubles);
  return t.with_feature(Halide::Target::NoRuntime);
}

/// Whether Halide should compile kernel `k` with its AVX-512 VNNI patterns: an integer conv or
/// matmul of 8-bit operands on an x86 target whose CPU has VNNI. Halide 14 matches 8-bit dot
/// products to vpdpbusd only under its avx512_sapphirerapids feature, which also makes LLVM
/// compile for the Sapphire Rapids CPU model (with AVX512-FP16 and AMX, which other VNNI CPUs
/// such as AMD Zen 4 lack: see HostTarget.h); such kernels are emitted for the target's own CPU
/// and features instead (emitForCpu).
bool usesVnniPatterns(const KernelSpec& k, const TargetInfo& target, const Halide::Target& ht) {
  if (ht.arch != Halide::Target::X86 || ht.has_feature(Halide::Target::AVX512_SapphireRapids) ||
      !ht.has_feature(Halide::Target::AVX512_Skylake) || !target.hasLlvmFeature("avx512vnni"))
    return false;
  return std::any_of(k.ops.begin(), k.ops.end(), [](const Op* op) {
    return (op->kind == OpKind::Conv || op->kind == OpKind::MatMul) &&
           op->result->type.dtype == DType::i32 && dtypeSize(op->operands[0]->type.dtype) == 1;
  });
}

/// Replaces the string of module flag `key` (Halide keeps the LLVM CPU and attributes it compiles
/// for in the flags "halide_mcpu" and "halide_mattrs", which its object emission reads).
void setModuleFlag(llvm::Module& m, const char* key, const std::string& value) {
  llvm::NamedMDNode* flags = m.getModuleFlagsMetadata();
  for (unsigned i = 0; flags && i < flags->getNumOperands(); ++i) {
    llvm::MDNode* flag = flags->getOperand(i);
    auto* name = llvm::dyn_cast<llvm::MDString>(flag->getOperand(1));
    if (name && name->getString() == key) {
      llvm::Metadata* ops[] = {flag->getOperand(0).get(), name,
                               llvm::MDString::get(m.getContext(), value)};
      flags->setOperand(i, llvm::MDNode::get(m.getContext(), ops));
    }
  }
}

/// Compiles `f` with Halide target `patterns` (the instruction patterns its code generation
/// may match) into an object or assembly file for the target's own LLVM CPU and features.
void emitForCpu(Halide::Func f, const std::vector<Halide::Argument>& args,
                const std::string& symbol, const Halide::Target& patterns, const TargetInfo& target,
                const std::string& path, KernelOutput kind) {
  Halide::Module module = f.compile_to_module(args, symbol, patterns);
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> m = Halide::compile_module_to_llvm_module(module, context);
  setModuleFlag(*m, "halide_mcpu", target.cpu);
  setModuleFlag(*m, "halide_mattrs", target.llvmFeatures);
  auto out = Halide::make_raw_fd_ostream(path);
  if (kind == KernelOutput::assembly)
    Halide::compile_llvm_module_to_assembly(*m, *out);
  else
    Halide::compile_llvm_module_to_object(*m, *out);
}

/// True when a kernel may skip checking its arguments: on CPU targets the generated entry code
/// builds every buffer a kernel gets from the compile-time memory plan, with the types, extents
/// and strides the kernel was compiled for, so Halide's per-argument checks (type, dimensions,
/// bounds, strides, alignment) and its bounds-query mode only cost time: about 70 ns per call,
/// a tenth of lstm_kws's run (5 small kernels per step, measured side by side). Kernels with an
/// assert op keep the checks (their run-time shape check reports through them), and GPU kernels
/// too (their device calls report errors through them). Without checks, a failed heap
/// allocation inside a kernel (large stages computed at root) is not reported as an error.
bool argumentsTrusted(const KernelSpec& k, const TargetInfo& target) {
  if (target.isGpu())
    return false;
  return std::none_of(k.ops.begin(), k.ops.end(),
                      [](const Op* op) { return op->kind == OpKind::Assert; });
}

/// OpenCL devices without cl_khr_fp16 cannot hold bfloat16 tensors (Halide's OpenCL code declares
/// them as `half`; float16 is held as bits there, see Lowering::halfAsBits, bfloat16 is not yet).
Status checkBFloatSupport(const KernelSpec& k, const TargetInfo& target) {
  if (target.gpu.api != GpuApi::opencl || target.gpu.fp16)
    return Status::ok();
  auto isBFloat = [](const Value* v) { return v->type.dtype == DType::bf16; };
  bool bf16 = isBFloat(k.output) || std::any_of(k.inputs.begin(), k.inputs.end(), isBFloat);
  for (const Op* op : k.ops)
    bf16 |= isBFloat(op->result);
  if (!bf16)
    return Status::ok();
  return Status::error(fmt::format("bfloat16 tensors need an OpenCL device with cl_khr_fp16; "
                                   "target '{}' has none (its gpu.fp16 is false)",
                                   target.name));
}

/// True when a definition of `output` or of a Func it calls holds a floating-point constant that is
/// infinite or NaN (a Pad value of -inf, a max-reduction's identity). Halide compiles float
/// arithmetic with LLVM's fast-math flags, which let LLVM assume no operand is infinite or NaN: an
/// add of a compile-time -inf then folds to an arbitrary value. Such kernels compile with
/// StrictFloat (IEEE semantics, no contraction); the others keep the fast flags.
bool hasNonFiniteConstant(const Halide::Func& output) {
  struct Finder : Halide::Internal::IRVisitor {
    bool found = false;
    using Halide::Internal::IRVisitor::visit;
    void visit(const Halide::Internal::FloatImm* op) override {
      if (!std::isfinite(op->value))
        found = true;
    }
  } finder;
  std::map<std::string, Halide::Internal::Function> env =
      Halide::Internal::find_transitive_calls(output.function());
  env.emplace(output.name(), output.function());
  for (const auto& [name, f] : env) {
    f.accept(&finder);
    if (finder.found)
      return true;
  }
  return false;
}

/// Routes Halide's compile-time messages: warnings to the sink, errors to an exception that the
/// callers turn into a Status (Halide must not print or abort).
class Reporter : public Halide::CompileTimeErrorReporter {
public:
  void warning(const char* msg) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (sink_)
      sink_(std::string("halide warning: ") + msg);
  }
  void error(const char* msg) override { throw Halide::CompileError(msg); }
  void setSink(std::function<void(const std::string&)> sink) {
    std::lock_guard<std::mutex> lock(mutex_);
    sink_ = std::move(sink);
  }

private:
  std::mutex mutex_;
  std::function<void(const std::string&)> sink_;
};

Reporter& reporter() {
  static Reporter* r = [] {
    auto* rep = new Reporter;
    Halide::set_custom_compile_time_error_reporter(rep);
    return rep;
  }();
  return *r;
}

/// Halide's messages span several lines; a diagnostic is one.
std::string oneLine(std::string s) {
  for (char& c : s)
    if (c == '\n')
      c = ' ';
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

std::string hex8(size_t h) { return fmt::format("{:08x}", static_cast<uint32_t>(h ^ (h >> 32))); }
} // namespace

bool holdsHalfAsBits(const TargetInfo& target) {
  return target.gpu.api == GpuApi::opencl && !target.gpu.fp16;
}

bool computesInHalf(const TargetInfo& target) {
  return target.isGpu() && target.gpu.fp16 && !holdsHalfAsBits(target);
}

Lowering loweringFor(const TargetInfo& target) {
  Lowering lw;
  lw.halfAsBits = holdsHalfAsBits(target);
  lw.nativeHalf = computesInHalf(target);
  lw.gpu = target.isGpu();
  lw.nativeRound = !lw.gpu && (target.arch == "x86_64" || target.arch == "aarch64");
  lw.roundBySum = !lw.gpu && target.arch == "x86_64" && target.vectorBits >= 512;
  return lw;
}

std::string kernelKey(const KernelSpec& k, const TargetInfo& target) {
  std::map<const Value*, std::string> local;
  std::string key = target.halideTarget + "|";
  for (size_t i = 0; i < k.inputs.size(); ++i) {
    local[k.inputs[i]] = fmt::format("in{}", i);
    key += fmt::format("in{}:{};", i, toString(k.inputs[i]->type));
    // Algorithms may specialise on a scalar constant operand (pow's exponent).
    if (k.inputs[i]->isConstant() && k.inputs[i]->type.numElements() == 1)
      for (uint8_t b : *k.inputs[i]->data)
        key += fmt::format("{:02x}", b);
  }
  for (size_t j = 0; j < k.ops.size(); ++j) {
    const Op* op = k.ops[j];
    std::vector<std::string> operands;
    for (const Value* v : op->operands)
      operands.push_back(local.count(v) ? local[v] : "?");
    local[op->result] = fmt::format("t{}", j);
    key += fmt::format("t{}={}({}){}:{};", j, opName(op->kind), fmt::join(operands, ","),
                       printAttrs(op->attrs), toString(op->result->type));
  }
  if (!k.outputStrides.empty())
    key += fmt::format("strides[{}]", fmt::join(k.outputStrides, ","));
  return key;
}

std::string kernelSymbol(const KernelSpec& k, const std::string& key) {
  const Op* anchor = k.ops.front();
  for (const Op* op : k.ops)
    if (hasTrait(op->kind, kAnchor)) {
      anchor = op;
      break;
    }
  std::string name = fmt::format("{}_{}", opName(anchor->kind), dtypeName(anchor->result->type.dtype));
  if (anchor->kind == OpKind::Conv) {
    const auto& a = anchor->attr<ConvAttrs>();
    const auto& w = anchor->operands[1]->type.shape;
    name += fmt::format("_k{}s{}g{}", w.back(), a.strides.back(), a.group);
  }
  for (const Op* op : k.ops)
    if (op != anchor && k.ops.size() <= 4)
      name += fmt::format("_{}", opName(op->kind));
  if (k.output->type.layout != Layout::rowMajor)
    name += fmt::format("_{}", layoutName(k.output->type.layout));
  return fmt::format("dnncc_{}_{}", name, hex8(std::hash<std::string>{}(key)));
}

void setHalideWarningSink(std::function<void(const std::string&)> sink) {
  reporter().setSink(std::move(sink));
}

Status compileKernel(const KernelSpec& k, const TargetInfo& target, const std::string& symbol,
                     const std::string& path, KernelOutput kind) {
  reporter();
  if (target.isGpu())
    for (const Op* op : k.ops)
      if (op->kind == OpKind::Assert)
        return Status::error(
                   "on a GPU target the run-time check of a shape input known only at run time "
                   "needs the defer-run-checks pass (a GPU kernel cannot report an error)")
            .withDefaults({"", op->name, std::string(opName(op->kind))});
  if (Status bf16 = checkBFloatSupport(k, target); !bf16.isOk())
    return Status(bf16).withDefaults(
        {"", k.ops.front()->name, std::string(opName(k.ops.front()->kind))});
  const Lowering lw = loweringFor(target);
  try {
    std::map<const Value*, TensorFunc> funcs;
    std::vector<Halide::Argument> args;
    std::vector<Halide::ImageParam> params;
    for (size_t i = 0; i < k.inputs.size(); ++i) {
      const TensorType& t = k.inputs[i]->type;
      int dims = static_cast<int>(bufferDims(t).size());
      Halide::ImageParam p(halideType(t.dtype, lw), dims, fmt::format("in{}", i));
      constrain([&](int d) { return p.dim(d); }, t);
      params.push_back(p);
      args.push_back(p);
      funcs[k.inputs[i]] = wrapParam(p, t);
    }
    KernelPipeline pipe;
    for (const Op* op : k.ops) {
      std::vector<TensorFunc> operands;
      for (const Value* v : op->operands)
        operands.push_back(funcs.at(v));
      Expected<TensorFunc> r = defineOp(*op, operands, lw);
      if (!r)
        return Status(r.status()).withDefaults({"", op->name, std::string(opName(op->kind))});
      funcs[op->result] = *r;
      if (!pipe.anchor && hasTrait(op->kind, kAnchor)) {
        pipe.anchor = op;
        pipe.anchorFunc = *r;
        pipe.anchorOperands = operands;
      } else {
        pipe.others.push_back(*r);
        pipe.otherOps.push_back(op);
      }
    }
    const TensorType& ot = k.output->type;
    pipe.outputType = ot;
    pipe.vars = makeVars(ot.rank());
    const TensorFunc& last = funcs.at(k.output);
    if (last.writesOutputOnce) {
      pipe.output = last.func;
    } else {
      pipe.output = Halide::Func("output");
      pipe.output(halideOrder(pipe.vars)) = last(asIdx(pipe.vars));
    }
    constrain([&](int d) { return pipe.output.output_buffer().dim(d); }, ot, k.outputStrides);
    pipe.work = estimateWork(k.ops);
    scheduleKernel(pipe, target);
    addDeviceLoweringPass(pipe.output, target);
    Halide::Target ht = halideTarget(target);
    if (argumentsTrusted(k, target))
      ht = ht.with_feature(Halide::Target::NoAsserts).with_feature(Halide::Target::NoBoundsQuery);
    if (hasNonFiniteConstant(pipe.output))
      ht = ht.with_feature(Halide::Target::StrictFloat);
    if (usesVnniPatterns(k, target, ht))
      emitForCpu(pipe.output, args, symbol, ht.with_feature(Halide::Target::AVX512_SapphireRapids),
                 target, path, kind);
    else if (kind == KernelOutput::assembly)
      pipe.output.compile_to_assembly(path, args, symbol, ht);
    else
      pipe.output.compile_to_object(path, args, symbol, ht);
  } catch (const Halide::Error& e) {
    return Status::error(fmt::format("kernel {} failed to compile: {}", symbol, oneLine(e.what())));
  }
  return Status::ok();
}

Status checkKernel(const KernelSpec& k) {
  const Lowering lw; // the host's: the algorithms are the same on every target
  std::map<const Value*, TensorFunc> funcs;
  try {
    for (size_t i = 0; i < k.inputs.size(); ++i) {
      const TensorType& t = k.inputs[i]->type;
      funcs[k.inputs[i]] = wrapParam(
          Halide::ImageParam(halideType(t.dtype, lw), static_cast<int>(bufferDims(t).size())), t);
    }
    for (const Op* op : k.ops) {
      std::vector<TensorFunc> operands;
      for (const Value* v : op->operands)
        operands.push_back(funcs.at(v));
      Expected<TensorFunc> r = defineOp(*op, operands, lw);
      if (!r)
        return r.status();
      funcs[op->result] = *r;
    }
  } catch (const Halide::Error& e) {
    return Status::error(oneLine(e.what()));
  }
  return Status::ok();
}

Status compileHalideRuntime(const TargetInfo& target, const std::string& objectPath) {
  try {
    Halide::compile_standalone_runtime(objectPath, halideTarget(target).without_feature(
                                                       Halide::Target::NoRuntime));
  } catch (const Halide::Error& e) {
    return Status::error(
        fmt::format("the Halide runtime failed to compile: {}", oneLine(e.what())));
  }
  return Status::ok();
}

} // namespace dnncc::hl
