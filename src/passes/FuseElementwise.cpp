// fuse-elementwise: assigns every op a kernel group. An element-wise op joins the group of the op
// producing one of its operands when that value is not a model output, has the result's shape, and
// is read only by same-shape element-wise ops (so the kernel computes each output point once:
// conv + bias + relu + residual add, or conv + x * sigmoid(x), becomes one kernel). Groupings in
// which a value other than a kernel's last result is needed outside it are redone without fusing
// through that value. A 1x1 conv takes an element-wise producer of its input that nothing else
// reads into its kernel (a prologue: the squeeze-excitation scale x * s). A reshape is a view of
// its operand (group -1) unless it is a model output that cannot own its bytes (its root is an
// input, a constant or another output): then it copies.
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

namespace {
/// A conv with 1x1 kernels, unit strides and no padding: output position p reads input position p.
bool isPointwiseConv(const Op& op) {
  if (op.kind != OpKind::Conv)
    return false;
  const auto& a = op.attr<ConvAttrs>();
  const TensorType& w = op.operands[1]->type;
  for (int i = 2; i < w.rank(); ++i)
    if (w.shape[i] != 1)
      return false;
  return std::all_of(a.strides.begin(), a.strides.end(), [](int64_t s) { return s == 1; }) &&
         std::all_of(a.pads.begin(), a.pads.end(), [](int64_t p) { return p == 0; });
}

/// One greedy grouping. An element-wise op joins the group of the op producing one of its
/// operands `v` when `v` is not a model output, has the op's result shape, is not in `barred`, and
/// every use of `v` is a same-shape element-wise op (x * sigmoid(x) uses x twice; both uses join).
int assignGroups(Module& m, const std::vector<std::vector<Op*>>& users,
                 const std::vector<bool>& isOutput, const std::vector<bool>& barred) {
  std::map<int, int> size;
  std::map<int, bool> hasAnchor;
  int next = 0;
  for (auto& op : m.ops) {
    op->group = -1;
    if (op->kind == OpKind::Reshape)
      continue;
    if (hasTrait(op->kind, kElementwise)) {
      for (Value* v : op->operands) {
        Op* p = v->producer;
        if (v->isConstant() || !p || p->group < 0 || isOutput[v->id] || barred[v->id] ||
            v->type.shape != op->result->type.shape || size[p->group] >= kMaxGroupOps)
          continue;
        bool allElementwise = true;
        for (const Op* u : users[v->id])
          allElementwise &= hasTrait(u->kind, kElementwise) &&
                            u->result->type.shape == v->type.shape;
        if (!allElementwise)
          continue;
        op->group = p->group;
        break;
      }
    }
    // A 1x1 conv reads its input once per output position: an element-wise producer of that
    // input read by nothing else (the squeeze-excitation scale x * s of EfficientNet and
    // MobileNetV3) is computed inside the conv's kernel, as it loads the input, instead of being
    // written out and read back: the conv joins the producer's group.
    if (op->group < 0 && isPointwiseConv(*op)) {
      Value* x = op->operands[0];
      Op* p = x->producer;
      if (p && p->group >= 0 && !isOutput[x->id] && !barred[x->id] &&
          hasTrait(p->kind, kElementwise) && users[x->id].size() == 1 && !hasAnchor[p->group] &&
          size[p->group] < kMaxGroupOps)
        op->group = p->group;
    }
    if (op->group < 0)
      op->group = next++;
    hasAnchor[op->group] = hasAnchor[op->group] || hasTrait(op->kind, kAnchor);
    ++size[op->group];
  }
  return next;
}
} // namespace

Status FuseElementwise::run(Module& m, PassContext& ctx) {
  std::vector<bool> isOutput(m.numValueIds(), false);
  for (Value* v : m.outputs)
    isOutput[v->id] = true;
  std::vector<std::vector<Op*>> users(m.numValueIds());
  for (auto& op : m.ops)
    for (Value* v : op->operands)
      users[v->id].push_back(op.get());
  // A kernel has one output: its last op's result. A grouping in which another value of a group
  // is read outside it (or is a model output) is redone with that value barred from fusion.
  std::vector<bool> barred(m.numValueIds(), false);
  int next = 0;
  for (bool valid = false; !valid;) {
    next = assignGroups(m, users, isOutput, barred);
    std::map<int, const Op*> last;
    for (auto& op : m.ops)
      if (op->group >= 0)
        last[op->group] = op.get();
    valid = true;
    bool progress = false;
    for (auto& op : m.ops) {
      if (op->group < 0 || last[op->group] == op.get())
        continue;
      bool escapes = isOutput[op->result->id];
      for (const Op* u : users[op->result->id])
        escapes |= u->group != op->group;
      if (escapes) {
        progress |= !barred[op->result->id];
        barred[op->result->id] = true;
        valid = false;
      }
    }
    if (!valid && !progress) // fall back to fusing only through single-use values
      for (size_t id = 0; id < users.size(); ++id)
        barred[id] = barred[id] || users[id].size() > 1;
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
