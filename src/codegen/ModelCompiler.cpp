// Whole-model code generation (see ModelCompiler.h).
#include "codegen/ModelCompiler.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include "HeaderEmitter.h"
#include "codegen/ForkedJobs.h"
#include "codegen/halide/Algorithm.h"
#include "codegen/halide/Kernel.h"
#include "codegen/llvm/EntryEmitter.h"
#include "codegen/llvm/Linker.h"
#include "dnncc_abi.h"

namespace dnncc {
namespace fs = std::filesystem;

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// A scratch directory removed on destruction unless kept.
struct WorkDir {
  fs::path path;
  bool keep = false;
  WorkDir() {
    std::string tmpl = (fs::temp_directory_path() / "dnncc-XXXXXX").string();
    if (mkdtemp(tmpl.data()))
      path = tmpl;
  }
  ~WorkDir() {
    std::error_code ec;
    if (!keep && !path.empty())
      fs::remove_all(path, ec);
  }
};

std::vector<hl::KernelSpec> kernelSpecs(const Module& m) {
  std::map<int, hl::KernelSpec> groups;
  std::vector<int> order;
  for (const auto& op : m.ops) {
    if (op->group < 0)
      continue;
    auto [it, fresh] = groups.try_emplace(op->group);
    if (fresh)
      order.push_back(op->group);
    it->second.ops.push_back(op.get());
  }
  std::vector<std::pair<size_t, hl::KernelSpec>> byPosition;
  for (int g : order) {
    hl::KernelSpec& k = groups[g];
    k.output = k.ops.back()->result;
    if (m.plan)
      k.outputStrides = m.plan->byValue[k.output->id].strides;
    for (const Op* op : k.ops)
      for (const Value* v : op->operands) {
        bool inside = v->producer && v->producer->group == g;
        if (!inside && std::find(k.inputs.begin(), k.inputs.end(), v) == k.inputs.end())
          k.inputs.push_back(v);
      }
    size_t pos = 0;
    for (size_t i = 0; i < m.ops.size(); ++i)
      if (m.ops[i].get() == k.ops.back())
        pos = i;
    byPosition.emplace_back(pos, std::move(k));
  }
  std::sort(byPosition.begin(), byPosition.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<hl::KernelSpec> out;
  for (auto& [pos, k] : byPosition)
    out.push_back(std::move(k));
  return out;
}

/// The kernel's row of the profile: IR ops, ONNX nodes, arithmetic and argument bytes.
void describeKernel(const hl::KernelSpec& k, EntryKernelCall& call) {
  std::vector<std::string> nodes;
  for (const Op* op : k.ops) {
    call.ops += fmt::format("{}{}", call.ops.empty() ? "" : "+", opName(op->kind));
    if (!op->name.empty() && std::find(nodes.begin(), nodes.end(), op->name) == nodes.end())
      nodes.push_back(op->name);
    call.flops += hl::opFlops(*op);
  }
  call.nodes = fmt::format("{}", fmt::join(nodes, ", "));
  call.bytes = k.output->type.byteSize();
  for (const Value* v : k.inputs)
    call.bytes += v->type.byteSize();
}

EntryBuffer entryBuffer(const Value* v, const Placement& p, const hl::Lowering& lw) {
  EntryBuffer b;
  switch (p.storage) {
  case Storage::arena:
    b.storage = DNNCC_STORAGE_ARENA;
    break;
  case Storage::weights:
    b.storage = DNNCC_STORAGE_WEIGHTS;
    break;
  case Storage::input:
    b.storage = DNNCC_STORAGE_INPUT;
    break;
  case Storage::output:
    b.storage = DNNCC_STORAGE_OUTPUT;
    break;
  case Storage::none:
    assert(false && "a kernel argument has no placement");
  }
  b.index = p.index;
  b.offset = p.offset;
  Halide::Type t = hl::halideType(v->type.dtype, lw);
  b.typeCode = static_cast<int64_t>(t.code());
  b.typeBits = t.bits();
  for (const BufferDim& d : bufferDims(v->type)) {
    b.extents.push_back(d.extent);
    b.strides.push_back(d.stride);
  }
  if (!p.strides.empty())
    b.strides = p.strides; // written into a concat's slot
  return b;
}

/// Writes constant `v` (rowMajor bytes) into `blob` at `offset` in the value's storage layout.
void writeConstant(const Value* v, std::vector<uint8_t>& blob, int64_t offset) {
  const TensorType& t = v->type;
  int64_t esize = dtypeSize(t.dtype), n = t.numElements();
  uint8_t* dst = blob.data() + offset;
  if (t.layout == Layout::rowMajor && t.block == 0) {
    std::memcpy(dst, v->data->data(), static_cast<size_t>(n * esize));
    return;
  }
  std::vector<int64_t> idx(t.rank(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = storageOffset(t, idx);
    std::memcpy(dst + off * esize, v->data->data() + i * esize, static_cast<size_t>(esize));
    for (int a = t.rank() - 1; a >= 0; --a) {
      if (++idx[a] < t.shape[a])
        break;
      idx[a] = 0;
    }
  }
}

Status halideRuntimeObject(const CodegenOptions& o, const fs::path& work, std::string& path) {
  std::string name = fmt::format("halide_runtime-{}-{:016x}.o", DNNCC_HALIDE_VERSION,
                                 std::hash<std::string>{}(o.target.halideTarget));
  if (!o.cacheDir.empty()) {
    fs::path cached = fs::path(o.cacheDir) / name;
    if (fs::exists(cached)) {
      path = cached.string();
      return Status::ok();
    }
    std::error_code ec;
    fs::create_directories(o.cacheDir, ec);
    if (!ec) {
      fs::path tmp = fs::path(o.cacheDir) / fmt::format("{}.tmp{}", name, getpid());
      DNNCC_TRY(hl::compileHalideRuntime(o.target, tmp.string()));
      fs::rename(tmp, cached, ec);
      path = (ec ? tmp : cached).string();
      return Status::ok();
    }
  }
  path = (work / "halide_runtime.o").string();
  return hl::compileHalideRuntime(o.target, path);
}

Status commit(const fs::path& tmp, const std::string& final) {
  std::error_code ec;
  fs::rename(tmp, final, ec);
  if (ec) {
    fs::copy_file(tmp, final, fs::copy_options::overwrite_existing, ec);
    if (ec)
      return Status::error(fmt::format("cannot write '{}': {}", final, ec.message()));
  }
  return Status::ok();
}
} // namespace

Status generateCode(const Module& m, const CodegenOptions& o) {
  if (!m.plan)
    return Status::error("internal error: code generation needs a memory plan (plan-memory)");
  const MemoryPlan& plan = *m.plan;
  auto log = [&](const std::string& s) {
    if (o.log)
      o.log(s);
  };
  WorkDir work;
  if (work.path.empty())
    return Status::error("cannot create a temporary directory");
  work.keep = o.keepTemps;
  if (o.keepTemps)
    log(fmt::format("work directory: {}", work.path.string()));

  hl::setHalideWarningSink(o.log);
  // The buffer descriptors' element types match the kernels' (f16 as uint16 where held as bits).
  const hl::Lowering lowering = hl::loweringFor(o.target);
  // Kernels, deduplicated by key.
  std::vector<hl::KernelSpec> specs = kernelSpecs(m);
  EntryModule entry;
  entry.prefix = o.prefix;
  entry.arenaSize = plan.arenaSize;
  std::map<std::string, std::string> symbolOfKey;
  std::vector<std::pair<std::string, const hl::KernelSpec*>> unique; // symbol, spec
  for (const hl::KernelSpec& k : specs) {
    std::string key = hl::kernelKey(k, o.target);
    auto [it, fresh] = symbolOfKey.try_emplace(key, hl::kernelSymbol(k, key));
    if (fresh)
      unique.emplace_back(it->second, &k);
    EntryKernelCall call{it->second, {}};
    describeKernel(k, call);
    std::vector<const Value*> args = k.inputs;
    args.push_back(k.output);
    for (const Value* v : args) {
      EntryBuffer b = entryBuffer(v, plan.byValue[v->id], lowering);
      auto found = std::find(entry.buffers.begin(), entry.buffers.end(), b);
      call.buffers.push_back(static_cast<int>(found - entry.buffers.begin()));
      if (found == entry.buffers.end())
        entry.buffers.push_back(std::move(b));
    }
    entry.calls.push_back(std::move(call));
  }
  int jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto t0 = Clock::now();
  bool wantAsm = o.emit == EmitKind::asm_;
  std::vector<std::string> kernelFiles(unique.size());
  for (size_t i = 0; i < unique.size(); ++i)
    kernelFiles[i] = (work.path / fmt::format("kernel{}.{}", i, wantAsm ? "s" : "o")).string();
  // One child process per kernel: the same bytes whatever -j is (see ForkedJobs.h).
  DNNCC_TRY(runForked(
      unique.size(), jobs,
      [&](size_t i) {
        return hl::compileKernel(*unique[i].second, o.target, unique[i].first, kernelFiles[i],
                                 wantAsm ? hl::KernelOutput::assembly : hl::KernelOutput::object);
      },
      [&](size_t i) { return fmt::format("kernel {}", unique[i].first); }));
  log(fmt::format("kernel compile: {} kernels ({} unique) in {:.2f} s, {} at a time", specs.size(),
                  unique.size(), since(t0), jobs));

  // Weights blob in each constant's storage layout.
  entry.weights.assign(static_cast<size_t>(plan.weightsSize), 0);
  for (const Value* c : m.constants)
    if (plan.byValue[c->id].storage == Storage::weights)
      writeConstant(c, entry.weights, plan.byValue[c->id].offset);
  for (const Value* v : m.inputs)
    entry.inputs.push_back({v->name, onnxDTypeCode(v->type.dtype), v->type.shape,
                            v->type.byteSize()});
  for (const Value* v : m.outputs)
    entry.outputs.push_back({v->name, onnxDTypeCode(v->type.dtype), v->type.shape,
                             v->type.byteSize()});
  // Buffers of the scalars the runtime reads after a run.
  auto scalarBuffer = [&](const Value* v) -> int64_t {
    EntryBuffer b = entryBuffer(v, plan.byValue[v->id], lowering);
    auto found = std::find(entry.buffers.begin(), entry.buffers.end(), b);
    int64_t index = found - entry.buffers.begin();
    if (found == entry.buffers.end())
      entry.buffers.push_back(std::move(b));
    return index;
  };
  for (const auto& [index, extent] : m.runtimeExtents) {
    entry.outputs[index].extentAxis = extent.axis;
    entry.outputs[index].extentBuffer = scalarBuffer(extent.length);
  }
  for (const RunCheck& check : m.runChecks)
    entry.runChecks.push_back({scalarBuffer(check.ok), check.message});

  auto t1 = Clock::now();
  fs::path tmpOut = fs::path(o.output).parent_path() /
                    fmt::format(".{}.tmp{}", fs::path(o.output).filename().string(), getpid());
  if (o.emit == EmitKind::llvm) {
    DNNCC_TRY(emitEntry(entry, o.target, tmpOut.string(), EntryOutput::llvmIR));
    return commit(tmpOut, o.output);
  }
  if (o.emit == EmitKind::asm_) {
    // The entry code followed by every kernel's assembly, one file.
    std::string entryAsm = (work.path / "entry.s").string();
    DNNCC_TRY(emitEntry(entry, o.target, entryAsm, EntryOutput::assembly));
    std::ofstream out(tmpOut, std::ios::binary);
    for (const std::string& f : [&] {
           std::vector<std::string> all{entryAsm};
           all.insert(all.end(), kernelFiles.begin(), kernelFiles.end());
           return all;
         }()) {
      std::ifstream in(f, std::ios::binary);
      out << "# ---- " << fs::path(f).filename().string() << " ----\n" << in.rdbuf();
    }
    if (!out)
      return Status::error(fmt::format("cannot write '{}'", tmpOut.string()));
    out.close();
    return commit(tmpOut, o.output);
  }
  std::string entryObj = (work.path / "entry.o").string();
  std::string weightsObj = (work.path / "weights.o").string();
  DNNCC_TRY(emitEntry(entry, o.target, entryObj, EntryOutput::object));
  DNNCC_TRY(emitWeightsObject(entry.weights, o.target, weightsObj));
  std::string runtimeObj;
  DNNCC_TRY(halideRuntimeObject(o, work.path, runtimeObj));
  std::string archive =
      (fs::path(o.runtimeDir) / fmt::format("libdnncc_runtime-{}.a", o.target.arch)).string();
  if (!fs::exists(archive))
    return Status::error(fmt::format("the dnncc runtime for {} is missing ('{}')", o.target.arch,
                                     archive));
  LinkJob job;
  job.objects = {entryObj, weightsObj, runtimeObj};
  job.objects.insert(job.objects.end(), kernelFiles.begin(), kernelFiles.end());
  job.archives = {archive};
  std::string builtins =
      (fs::path(o.runtimeDir) / fmt::format("libdnncc_builtins-{}.a", o.target.arch)).string();
  if (fs::exists(builtins)) // compiler helper routines for cross architectures
    job.archives.push_back(builtins);
  job.output = tmpOut.string();
  job.soname = fs::path(o.output).filename().string(); // not the temporary name
  job.prefix = o.prefix;
  job.workDir = work.path.string();
  if (o.emit == EmitKind::obj) {
    DNNCC_TRY(linkRelocatable(job, o.target));
    return commit(tmpOut, o.output);
  }
  if (o.emit == EmitKind::lib)
    DNNCC_TRY(linkStaticArchive(job, o.target));
  else
    DNNCC_TRY(linkSharedLibrary(job, o.target));
  log(fmt::format("link: {:.2f} s", since(t1)));

  ModelHeaderInfo header;
  header.prefix = o.prefix;
  header.modelFile = o.modelFile;
  header.target = o.target.name;
  header.library = fs::path(o.output).filename().string();
  for (const auto& t : entry.inputs)
    header.inputs.push_back({t.name, t.onnxDType, t.shape, t.sizeBytes});
  for (const auto& t : entry.outputs)
    header.outputs.push_back({t.name, t.onnxDType, t.shape, t.sizeBytes});
  header.arenaSize = plan.arenaSize;
  header.weightsSize = plan.weightsSize;
  if (o.target.isGpu())
    header.deviceApi = o.target.gpu.api == GpuApi::cuda ? "CUDA" : "OpenCL";
  fs::path headerPath = fs::path(o.output).replace_extension(".h");
  fs::path tmpHeader = work.path / "header.h";
  {
    std::ofstream h(tmpHeader);
    h << emitModelHeader(header);
    if (!h)
      return Status::error(fmt::format("cannot write '{}'", tmpHeader.string()));
  }
  DNNCC_TRY(commit(tmpHeader, headerPath.string()));
  return commit(tmpOut, o.output);
}

} // namespace dnncc
