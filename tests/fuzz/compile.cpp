// Fuzz target: the whole compile of a small model from bytes, up to the Halide pipeline
// definitions: ONNX import, the default pass pipeline (folding nothing), the verifier, and each
// op's Halide algorithm and schedule built without the slow LLVM backend (checkKernel). Any
// outcome but a crash is fine.
#include "FuzzSupport.h"
#include "codegen/halide/Kernel.h"
#include "frontend/onnx/Importer.h"
#include "passes/Pass.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnncc;
  std::string path = fuzz::writeInput(data, size, "model.onnx");
  ImportOptions options = fuzz::fuzzImportOptions(int64_t{1} << 28); // small models only
  auto m = importOnnx(path, options);
  if (!m)
    return 0;
  auto passes = parsePipeline(kDefaultPipeline);
  PassContext ctx;
  ctx.evaluator = options.evaluator;
  if (!passes || !runPipeline(**m, *passes, ctx).isOk() || !verify(**m).isOk())
    return 0;
  for (const auto& op : (*m)->ops) {
    hl::KernelSpec k;
    k.ops = {op.get()};
    k.inputs.assign(op->operands.begin(), op->operands.end());
    k.output = op->result;
    (void)hl::checkKernel(k);
  }
  return 0;
}
