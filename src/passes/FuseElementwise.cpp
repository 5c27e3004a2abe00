// fuse-elementwise: assigns every op a kernel group. An element-wise op joins the group of the op
// producing one of its operands when that value has no other use, is not a model output, and has
// the result's shape (so the kernel computes each output point once: conv + bias + relu + residual
// add becomes one kernel). A reshape is a view of its operand (group -1) unless it is a model output
// that cannot own its bytes (its root is an input, a constant or another output): then it copies.
#include <map>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {
namespace {
constexpr int kMaxGroupOps = 8;

const Value* viewRoot(const Value* v) {
  while (v->producer && v->producer->kind == OpKind::Reshape && v->producer->group < 0)
    v = v->producer->operands[0];
  return v;
}
} // namespace

Status FuseElementwise::run(Module& m, PassContext& ctx) {
  std::vector<int> uses = m.useCounts();
  std::vector<bool> isOutput(m.numValueIds(), false);
  for (Value* v : m.outputs)
    isOutput[v->id] = true;
  std::map<int, int> size;
  int next = 0;
  for (auto& op : m.ops) {
    op->group = -1;
    if (op->kind == OpKind::Reshape)
      continue;
    if (hasTrait(op->kind, kElementwise)) {
      for (Value* v : op->operands) {
        Op* p = v->producer;
        if (v->isConstant() || !p || p->group < 0 || uses[v->id] != 1 || isOutput[v->id] ||
            v->type.shape != op->result->type.shape || size[p->group] >= kMaxGroupOps)
          continue;
        op->group = p->group;
        break;
      }
    }
    if (op->group < 0)
      op->group = next++;
    ++size[op->group];
  }
  // Model outputs reached only through views of something that cannot be the output's buffer.
  std::vector<const Value*> claimed;
  for (Value* out : m.outputs) {
    const Value* root = viewRoot(out);
    bool shared = std::find(claimed.begin(), claimed.end(), root) != claimed.end();
    if (out->producer && out->producer->kind == OpKind::Reshape &&
        (!root->producer || shared)) {
      out->producer->group = next++;
      root = out;
    }
    claimed.push_back(root);
  }
  if (ctx.remark)
    ctx.remark(fmt::format("fuse-elementwise: {} ops in {} kernels", m.ops.size(), next));
  return Status::ok();
}

} // namespace dnncc
