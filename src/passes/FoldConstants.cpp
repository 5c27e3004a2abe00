// fold-constants: replaces every op whose operands are all constants by a constant computed with
// the reference evaluator (the op's own Halide algorithm, JIT-compiled for the host).
#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {

Status FoldConstants::run(Module& m, PassContext& ctx) {
  if (!ctx.evaluator)
    return Status::error("fold-constants needs a constant evaluator");
  int folded = 0;
  std::vector<bool> isOutput(m.numValueIds(), false);
  for (Value* v : m.outputs)
    isOutput[v->id] = true;
  for (auto& op : m.ops) {
    if (isOutput[op->result->id])
      continue; // an output keeps its op, so that it is computed into its own buffer
    bool allConstant = !op->operands.empty();
    for (Value* v : op->operands)
      allConstant &= v->isConstant();
    if (!allConstant)
      continue;
    Expected<Value*> c = foldToConstant(m, *op, *ctx.evaluator);
    if (!c)
      continue; // an op the evaluator cannot run stays a kernel
    m.replaceAllUses(op->result, *c);
    ++folded;
  }
  m.removeDeadCode();
  if (ctx.remark && folded > 0)
    ctx.remark(fmt::format("fold-constants: folded {} ops", folded));
  return Status::ok();
}

} // namespace dnncc
