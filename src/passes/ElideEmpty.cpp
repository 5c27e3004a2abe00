// elide-empty: zero-size tensors (a dimension of 0, which ONNX allows) cost no kernel. The result
// of an op with no element is a constant (its value is its shape alone), and a concat drops its
// empty operands, so that no kernel reads or writes an empty buffer. Model outputs keep their op
// (each output owns its buffer; the kernel of an empty output runs no iteration).
#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {

Status ElideEmpty::run(Module& m, PassContext& ctx) {
  std::vector<bool> isOutput(m.numValueIds(), false);
  for (Value* v : m.outputs)
    isOutput[v->id] = true;
  for (const auto& [index, extent] : m.runtimeExtents)
    isOutput[extent.length->id] = true; // the runtime reads it
  int elided = 0, dropped = 0;
  for (auto& op : m.ops) {
    if (op->kind == OpKind::Concat && op->result->type.numElements() > 0) {
      std::vector<Value*> kept;
      for (Value* v : op->operands)
        if (v->type.numElements() > 0)
          kept.push_back(v);
      dropped += static_cast<int>(op->operands.size() - kept.size());
      op->operands = std::move(kept); // a concat with a non-empty result keeps one at least
    }
    if (op->result->type.numElements() > 0 || isOutput[op->result->id])
      continue;
    m.replaceAllUses(op->result,
                     m.addConstant(op->result->type, std::vector<uint8_t>{}, op->result->name));
    ++elided;
  }
  m.removeDeadCode();
  if (ctx.remark && elided + dropped > 0)
    ctx.remark(fmt::format("elide-empty: {} ops with empty results, {} empty concat operands",
                           elided, dropped));
  return Status::ok();
}

} // namespace dnncc
