// LLVM IR for a model library's entry code (see EntryEmitter.h). LLVM 14: typed pointers and the
// legacy pass manager for object emission.
#include "codegen/llvm/EntryEmitter.h"

#include <mutex>

#include <fmt/format.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>

#include "HeaderEmitter.h"
#include "dnncc_abi.h"

namespace dnncc {
namespace {

void initializeLlvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
}

Expected<std::unique_ptr<llvm::TargetMachine>> targetMachine(const TargetInfo& target) {
  initializeLlvm();
  std::string error;
  const llvm::Target* t = llvm::TargetRegistry::lookupTarget(target.triple, error);
  if (!t)
    return Status::error(fmt::format("LLVM has no target '{}': {}", target.triple, error));
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> tm(t->createTargetMachine(
      target.triple, target.cpu, target.llvmFeatures, options, llvm::Reloc::PIC_));
  if (!tm)
    return Status::error(fmt::format("cannot create an LLVM target machine for '{}'",
                                     target.triple));
  return tm;
}

Status writeModule(llvm::Module& mod, llvm::TargetMachine& tm, const std::string& path,
                   EntryOutput kind) {
  std::string verifyErrors;
  llvm::raw_string_ostream vs(verifyErrors);
  if (llvm::verifyModule(mod, &vs))
    return Status::error("internal error: invalid entry IR: " + vs.str());
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return Status::error(fmt::format("cannot write '{}': {}", path, ec.message()));
  if (kind == EntryOutput::llvmIR) {
    mod.print(out, nullptr);
    return Status::ok();
  }
  llvm::legacy::PassManager pm;
  auto fileType = kind == EntryOutput::object ? llvm::CGFT_ObjectFile : llvm::CGFT_AssemblyFile;
  if (tm.addPassesToEmitFile(pm, out, nullptr, fileType))
    return Status::error("LLVM cannot emit this file type for the target");
  pm.run(mod);
  out.flush();
  return Status::ok();
}

/// LLVM type of a C type spelled in the API table ("int", "int64_t", "size_t", "T *", "void") on
/// the target of `dl` (size_t is pointer-sized: 32 bits on armv7).
llvm::Type* cType(llvm::LLVMContext& ctx, const llvm::DataLayout& dl, std::string_view spelling) {
  if (spelling.find('*') != std::string_view::npos)
    return llvm::Type::getInt8PtrTy(ctx);
  if (spelling.starts_with("size_t"))
    return dl.getIntPtrType(ctx);
  if (spelling.starts_with("int64_t"))
    return llvm::Type::getInt64Ty(ctx);
  if (spelling.starts_with("int32_t") || spelling.starts_with("int"))
    return llvm::Type::getInt32Ty(ctx);
  return llvm::Type::getVoidTy(ctx);
}

/// Parameter types of a comma-separated C parameter list ("void" = none).
std::vector<llvm::Type*> cParams(llvm::LLVMContext& ctx, const llvm::DataLayout& dl,
                                 std::string_view params) {
  std::vector<llvm::Type*> out;
  if (params == "void")
    return out;
  size_t start = 0;
  while (start <= params.size()) {
    size_t comma = params.find(',', start);
    std::string_view one = params.substr(start, comma == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : comma - start);
    while (!one.empty() && one.front() == ' ')
      one.remove_prefix(1);
    out.push_back(cType(ctx, dl, one));
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return out;
}

class Builder {
public:
  Builder(llvm::Module& mod)
      : mod_(mod), ctx_(mod.getContext()), i8p_(llvm::Type::getInt8PtrTy(ctx_)),
        i64_(llvm::Type::getInt64Ty(ctx_)), i32_(llvm::Type::getInt32Ty(ctx_)) {
    // halide_buffer_t: device, device_interface, host, flags, type (4 bytes), dimensions, dim,
    // padding; 56 bytes on 64-bit targets.
    buffer_ = llvm::StructType::create(ctx_, {i64_, i8p_, i8p_, i64_, i32_, i32_, i8p_, i8p_},
                                       "halide_buffer_t");
    tensorInfo_ = llvm::StructType::create(
        ctx_, {i8p_, i64_, i64_, llvm::ArrayType::get(i64_, 8), i64_}, "dnncc_tensor_info");
    bufferInfo_ = llvm::ArrayType::get(i64_, 6 + 2 * DNNCC_MAX_RANK);
  }

  llvm::Constant* string(const std::string& s) {
    llvm::Constant* data = llvm::ConstantDataArray::getString(ctx_, s);
    auto* g = new llvm::GlobalVariable(mod_, data->getType(), true,
                                       llvm::GlobalValue::PrivateLinkage, data, ".str");
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return llvm::ConstantExpr::getBitCast(g, i8p_);
  }

  llvm::Constant* i64(int64_t v) { return llvm::ConstantInt::get(i64_, v, true); }

  llvm::Constant* array(llvm::Type* elem, std::vector<llvm::Constant*> items, const char* name) {
    if (items.empty())
      return llvm::ConstantPointerNull::get(i8p_);
    auto* type = llvm::ArrayType::get(elem, items.size());
    auto* g = new llvm::GlobalVariable(mod_, type, true, llvm::GlobalValue::InternalLinkage,
                                       llvm::ConstantArray::get(type, items), name);
    g->setAlignment(llvm::Align(8));
    return llvm::ConstantExpr::getBitCast(g, i8p_);
  }

  llvm::Constant* tensors(const std::vector<EntryTensor>& ts, const char* name) {
    std::vector<llvm::Constant*> items;
    for (const EntryTensor& t : ts) {
      std::vector<llvm::Constant*> shape;
      for (int i = 0; i < 8; ++i)
        shape.push_back(i64(i < static_cast<int>(t.shape.size()) ? t.shape[i] : 0));
      items.push_back(llvm::ConstantStruct::get(
          tensorInfo_, {string(t.name), i64(t.onnxDType), i64(static_cast<int64_t>(t.shape.size())),
                        llvm::ConstantArray::get(llvm::ArrayType::get(i64_, 8), shape),
                        i64(t.sizeBytes)}));
    }
    return array(tensorInfo_, items, name);
  }

  llvm::Constant* buffers(const std::vector<EntryBuffer>& bs) {
    std::vector<llvm::Constant*> items;
    for (const EntryBuffer& b : bs) {
      std::vector<llvm::Constant*> f{i64(b.storage), i64(b.index),    i64(b.offset),
                                     i64(b.typeCode), i64(b.typeBits),
                                     i64(static_cast<int64_t>(b.extents.size()))};
      for (int i = 0; i < DNNCC_MAX_RANK; ++i)
        f.push_back(i64(i < static_cast<int>(b.extents.size()) ? b.extents[i] : 0));
      for (int i = 0; i < DNNCC_MAX_RANK; ++i)
        f.push_back(i64(i < static_cast<int>(b.strides.size()) ? b.strides[i] : 0));
      items.push_back(llvm::ConstantArray::get(bufferInfo_, f));
    }
    return array(bufferInfo_, items, "dnncc_buffers");
  }

  /// dnncc_kernel_info per call (the profile's rows).
  llvm::Constant* kernels(const std::vector<EntryKernelCall>& calls) {
    auto* type = llvm::StructType::get(ctx_, {i8p_, i8p_, i8p_, i64_, i64_});
    std::vector<llvm::Constant*> items;
    for (const EntryKernelCall& c : calls)
      items.push_back(llvm::ConstantStruct::get(
          type, {string(c.symbol), string(c.ops), string(c.nodes), i64(c.flops), i64(c.bytes)}));
    return array(type, items, "dnncc_kernels");
  }

  /// i32 run_graph(halide_buffer_t* buffers, hook, context): each kernel in order, stop at the
  /// first error; after each kernel `hook(context, i)` when the hook is not null (the profile).
  llvm::Function* runGraph(const std::vector<EntryKernelCall>& calls) {
    auto* bufPtr = buffer_->getPointerTo();
    auto* hookType = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx_), {i8p_, i64_}, false);
    auto* fnType = llvm::FunctionType::get(i32_, {bufPtr, hookType->getPointerTo(), i8p_}, false);
    auto* fn = llvm::Function::Create(fnType, llvm::GlobalValue::InternalLinkage, "dnncc_run_graph",
                                      mod_);
    llvm::Value* base = fn->getArg(0);
    llvm::Value* hook = fn->getArg(1);
    llvm::Value* context = fn->getArg(2);
    auto* entry = llvm::BasicBlock::Create(ctx_, "entry", fn);
    auto* fail = llvm::BasicBlock::Create(ctx_, "fail", fn);
    llvm::IRBuilder<> b(fail);
    llvm::PHINode* code = b.CreatePHI(i32_, static_cast<unsigned>(calls.size()), "code");
    b.CreateRet(code);
    b.SetInsertPoint(entry);
    llvm::Value* profiled = b.CreateIsNotNull(hook, "profiled");
    for (size_t i = 0; i < calls.size(); ++i) {
      const EntryKernelCall& call = calls[i];
      std::vector<llvm::Type*> params(call.buffers.size(), bufPtr);
      llvm::FunctionCallee kernel =
          mod_.getOrInsertFunction(call.symbol, llvm::FunctionType::get(i32_, params, false));
      std::vector<llvm::Value*> args;
      for (int idx : call.buffers)
        args.push_back(b.CreateInBoundsGEP(buffer_, base, b.getInt64(idx)));
      llvm::Value* r = b.CreateCall(kernel, args);
      auto* done = llvm::BasicBlock::Create(ctx_, fmt::format("after{}", i), fn);
      b.CreateCondBr(b.CreateICmpNE(r, b.getInt32(0)), fail, done);
      code->addIncoming(r, b.GetInsertBlock());
      b.SetInsertPoint(done);
      auto* mark = llvm::BasicBlock::Create(ctx_, fmt::format("profile{}", i), fn);
      auto* next = llvm::BasicBlock::Create(ctx_, fmt::format("next{}", i), fn);
      b.CreateCondBr(profiled, mark, next);
      b.SetInsertPoint(mark);
      b.CreateCall(hookType, hook, {context, b.getInt64(static_cast<int64_t>(i))});
      b.CreateBr(next);
      b.SetInsertPoint(next);
    }
    b.CreateRet(b.getInt32(0));
    if (calls.empty())
      fail->eraseFromParent();
    return fn;
  }

  /// `<prefix>_<name>(args)` -> `dnncc_rt_<name>(&info, args)` for every API function.
  void wrappers(const std::string& prefix, llvm::Constant* info) {
    for (const ModelApiFunction& api : modelApiFunctions()) {
      const llvm::DataLayout& dl = mod_.getDataLayout();
      llvm::Type* ret = cType(ctx_, dl, api.returnType);
      std::vector<llvm::Type*> params = cParams(ctx_, dl, api.params);
      auto* type = llvm::FunctionType::get(ret, params, false);
      auto* fn = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                        fmt::format("{}_{}", prefix, api.name), mod_);
      std::vector<llvm::Type*> rtParams{i8p_};
      rtParams.insert(rtParams.end(), params.begin(), params.end());
      llvm::FunctionCallee rt = mod_.getOrInsertFunction(
          fmt::format("dnncc_rt_{}", api.name), llvm::FunctionType::get(ret, rtParams, false));
      llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx_, "entry", fn));
      std::vector<llvm::Value*> args{info};
      for (auto& a : fn->args())
        args.push_back(&a);
      llvm::Value* r = b.CreateCall(rt, args);
      if (ret->isVoidTy())
        b.CreateRetVoid();
      else
        b.CreateRet(r);
    }
  }

  llvm::Module& mod_;
  llvm::LLVMContext& ctx_;
  llvm::PointerType* i8p_;
  llvm::IntegerType* i64_;
  llvm::IntegerType* i32_;
  llvm::StructType* buffer_;
  llvm::StructType* tensorInfo_;
  llvm::ArrayType* bufferInfo_;
};
} // namespace

Status emitEntry(const EntryModule& m, const TargetInfo& target, const std::string& path,
                 EntryOutput kind) {
  DNNCC_ASSIGN_OR_RETURN(auto tm, targetMachine(target));
  llvm::LLVMContext ctx;
  llvm::Module mod("dnncc_entry_" + m.prefix, ctx);
  mod.setTargetTriple(target.triple);
  mod.setDataLayout(tm->createDataLayout());
  Builder b(mod);
  // The weights blob lives in its own object (emitWeightsObject); here it is only declared.
  auto* weights = new llvm::GlobalVariable(mod, llvm::ArrayType::get(b.i64_->getInt8Ty(ctx), 0),
                                           true, llvm::GlobalValue::ExternalLinkage, nullptr,
                                           "dnncc_weights");
  weights->setVisibility(llvm::GlobalValue::HiddenVisibility);
  llvm::Function* run = b.runGraph(m.calls);
  // The GPU API table of the runtime (runtime_<api>.c), null for CPU targets.
  llvm::Constant* device = llvm::ConstantPointerNull::get(b.i8p_);
  if (target.isGpu()) {
    auto* api = new llvm::GlobalVariable(
        mod, b.i8p_, true, llvm::GlobalValue::ExternalLinkage, nullptr,
        fmt::format("dnncc_rt_device_{}", gpuApiName(target.gpu.api)));
    api->setVisibility(llvm::GlobalValue::HiddenVisibility);
    device = llvm::ConstantExpr::getBitCast(api, b.i8p_);
  }
  // dnncc_output_extent per output, when one output has a data-dependent extent.
  llvm::Constant* extents = llvm::ConstantPointerNull::get(b.i8p_);
  if (std::any_of(m.outputs.begin(), m.outputs.end(),
                  [](const EntryTensor& t) { return t.extentAxis >= 0; })) {
    auto* pair = llvm::ArrayType::get(b.i64_, 2);
    std::vector<llvm::Constant*> items;
    for (const EntryTensor& t : m.outputs)
      items.push_back(llvm::ConstantArray::get(pair, {b.i64(t.extentAxis), b.i64(t.extentBuffer)}));
    extents = b.array(pair, items, "dnncc_output_extents");
  }
  std::vector<llvm::Constant*> checks;
  auto* checkType = llvm::StructType::get(ctx, {b.i64_, b.i8p_});
  for (const EntryRunCheck& c : m.runChecks)
    checks.push_back(llvm::ConstantStruct::get(checkType, {b.i64(c.buffer), b.string(c.message)}));
  llvm::Constant* runChecks = b.array(checkType, checks, "dnncc_run_checks");
  std::vector<llvm::Type*> fields(18, b.i64_);
  for (int i : {1, 4, 5, 8, 9, 11, 12, 13, 15, 17})
    fields[i] = b.i8p_;
  auto* infoType = llvm::StructType::create(ctx, fields, "dnncc_model_info");
  llvm::Constant* infoValue = llvm::ConstantStruct::get(
      infoType,
      {b.i64(DNNCC_ABI_VERSION), b.string(m.prefix), b.i64(static_cast<int64_t>(m.inputs.size())),
       b.i64(static_cast<int64_t>(m.outputs.size())), b.tensors(m.inputs, "dnncc_inputs"),
       b.tensors(m.outputs, "dnncc_outputs"), b.i64(m.arenaSize),
       b.i64(static_cast<int64_t>(m.buffers.size())), b.buffers(m.buffers),
       llvm::ConstantExpr::getBitCast(weights, b.i8p_),
       b.i64(static_cast<int64_t>(m.weights.size())), llvm::ConstantExpr::getBitCast(run, b.i8p_),
       device, extents, b.i64(static_cast<int64_t>(m.runChecks.size())), runChecks,
       b.i64(static_cast<int64_t>(m.calls.size())), b.kernels(m.calls)});
  auto* info = new llvm::GlobalVariable(mod, infoType, true, llvm::GlobalValue::InternalLinkage,
                                        infoValue, "dnncc_model_info");
  info->setAlignment(llvm::Align(8));
  b.wrappers(m.prefix, llvm::ConstantExpr::getBitCast(info, b.i8p_));
  return writeModule(mod, *tm, path, kind);
}

Status emitWeightsObject(const std::vector<uint8_t>& weights, const TargetInfo& target,
                         const std::string& path) {
  DNNCC_ASSIGN_OR_RETURN(auto tm, targetMachine(target));
  llvm::LLVMContext ctx;
  llvm::Module mod("dnncc_weights", ctx);
  mod.setTargetTriple(target.triple);
  mod.setDataLayout(tm->createDataLayout());
  llvm::Constant* data = llvm::ConstantDataArray::getRaw(
      llvm::StringRef(reinterpret_cast<const char*>(weights.data()), weights.size()),
      weights.size(), llvm::Type::getInt8Ty(ctx));
  auto* g = new llvm::GlobalVariable(mod, data->getType(), true,
                                     llvm::GlobalValue::ExternalLinkage, data, "dnncc_weights");
  g->setVisibility(llvm::GlobalValue::HiddenVisibility);
  g->setAlignment(llvm::Align(64));
  return writeModule(mod, *tm, path, EntryOutput::object);
}

} // namespace dnncc
