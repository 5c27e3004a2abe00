// defer-run-checks: on GPU targets, every assert op (the run-time check that a shape input known
// only at run time gives the shape dnncc compiled in; see docs/usage.md) becomes an identity of
// its value, and its condition a Module::runChecks entry: the kernels compute the condition on the
// device and the runtime reads it after the run, failing the run with the check's message. A GPU
// kernel cannot fail a run itself. Every buffer has its static size whatever the shape input
// says, so computing the run before the check is read is safe; the run's results are then
// discarded with the error. CPU targets keep the assert op, which fails inside the kernel.
#include <algorithm>

#include "passes/Pass.h"

namespace dnncc {

Status DeferRunChecks::run(Module& m, PassContext& ctx) {
  if (!ctx.gpu)
    return Status::ok();
  for (auto& op : m.ops) {
    if (op->kind != OpKind::Assert)
      continue;
    Value* ok = op->operands[1];
    bool alwaysTrue = false;
    if (ok->isConstant()) { // a check folded at compile time that holds needs no run-time read
      const auto& bytes = *ok->data;
      alwaysTrue = std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
    }
    if (!alwaysTrue)
      m.runChecks.push_back({ok, shapeCheckMessage(op->result->name)});
    op->kind = OpKind::Identity;
    op->attrs = NoAttrs{};
    op->operands.resize(1);
  }
  return Status::ok();
}

} // namespace dnncc
