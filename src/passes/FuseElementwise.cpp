// fuse-elementwise: assigns every op a kernel group. An element-wise op joins the group of the op
// producing one of its operands when that value is not a model output, has the result's shape, and
// is read only by same-shape element-wise ops (so the kernel computes each output point once:
// conv + bias + relu + residual add, or conv + x * sigmoid(x), becomes one kernel). Groupings in
// which a value other than a kernel's last result is needed outside it are redone without fusing
// through that value. A 1x1 conv takes an element-wise producer of its input that nothing else
// reads and that is a single op into its kernel (a prologue: the squeeze-excitation scale x * s). A
// kernel of element-wise ops only whose result has one reader, an element-wise op of the same
// shape, is then computed in that reader's kernel (consumer-side fusion). A reshape is a view of
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

/// A depthwise 2-D conv: one input channel per output channel (group = C, weights [C, 1, KH, KW]).
bool isDepthwiseConv(const Op& op) {
  if (op.kind != OpKind::Conv || op.result->type.rank() != 4)
    return false;
  const TensorType& w = op.operands[1]->type;
  int64_t channels = op.operands[0]->type.shape[1];
  return op.attr<ConvAttrs>().group == channels && w.shape[0] == channels && w.shape[1] == 1;
}

/// A where whose condition is one element for the whole result (a value selected at run time,
/// as a DFT with a run-time axis selects its transform). In a GPU kernel, Halide makes such a
/// condition the guard of the stages that only the branch it rules out reads (its skip-stages
/// step), tested by the host code, which has no copy of device buffers: with the condition
/// computed by an earlier kernel the run read a null host pointer (a concat whose result a where
/// selected, on PoCL). On GPU targets such a where is a kernel of its own, whose operands are
/// buffers rather than stages.
bool selectsByScalar(const Op& op) {
  return op.kind == OpKind::Where && op.operands[0]->type.numElements() == 1 &&
         op.result->type.numElements() > 1;
}

/// One greedy grouping. An element-wise op joins the group of the op producing one of its
/// operands `v` when `v` is not a model output, has the op's result shape, is not in `barred`, and
/// every use of `v` is a same-shape element-wise op (x * sigmoid(x) uses x twice; both uses join).
int assignGroups(Module& m, const std::vector<std::vector<Op*>>& users,
                 const std::vector<bool>& isOutput, const std::vector<bool>& barred,
                 bool convChains) {
  std::map<int, int> size;
  std::map<int, const Op*> firstOp;
  std::map<int, int> anchors;
  int next = 0;
  for (auto& op : m.ops) {
    op->group = -1;
    if (op->kind == OpKind::Reshape)
      continue;
    if (hasTrait(op->kind, kElementwise) && (convChains || !selectsByScalar(*op))) {
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
    // written out and read back: the conv joins the producer's group. Only a producer that is one
    // op: the conv's schedule computes it again for every block of output channels, which costs
    // more than a round trip through memory once it is a chain (an int8 residual sum,
    // dequantize + add + quantize, read by a 24 -> 144 channel conv: 0.37 ms in that kernel,
    // 0.07 ms in two; dnncc-run --profile, MobileNetV2 QDQ).
    if (op->group < 0 && isPointwiseConv(*op)) {
      Value* x = op->operands[0];
      Op* p = x->producer;
      if (p && p->group >= 0 && !isOutput[x->id] && !barred[x->id] &&
          hasTrait(p->kind, kElementwise) && users[x->id].size() == 1 && anchors[p->group] == 0 &&
          size[p->group] == 1)
        op->group = p->group;
    }
    // Tile-level fusion of an inverted residual block's expansion (MobileNetV2/V3,
    // EfficientNet): a depthwise conv reading the result of a kernel that starts with a 1x1 conv
    // (plus its element-wise epilogue), read by nothing else, joins that kernel. The kernel
    // computes the expanded rows each tile of the depthwise output needs as it goes
    // (Schedule.cpp, conv_chain), so the expanded tensor, the block's largest, never goes
    // through memory. CPU targets only (the GPU schedules tile one conv per kernel).
    if (op->group < 0 && convChains && isDepthwiseConv(*op) &&
        op->result->type.dtype == DType::f32) {
      Value* x = op->operands[0];
      Op* p = x->producer;
      if (p && p->group >= 0 && !isOutput[x->id] && !barred[x->id] && users[x->id].size() == 1 &&
          anchors[p->group] == 1 && isPointwiseConv(*firstOp[p->group]) &&
          firstOp[p->group]->operands[0]->type.rank() == 4 && size[p->group] < kMaxGroupOps)
        op->group = p->group;
    }
    if (op->group < 0)
      op->group = next++;
    firstOp.try_emplace(op->group, op.get());
    anchors[op->group] += hasTrait(op->kind, kAnchor) ? 1 : 0;
    ++size[op->group];
  }
  return next;
}

/// Consumer-side fusion, after the producer-side grouping: a kernel made only of element-wise
/// ops whose result has a single reader, an element-wise op with the same result shape in another
/// kernel, is computed inside that kernel instead (each element still once, read from the same
/// operands; one kernel call and one round trip through memory fewer). An LSTM step's tanh(c)
/// could not join c's kernel, as the next step reads c too; it now joins the output gate's
/// kernel, which multiplies it.
/// Returns the number of kernels merged away.
int mergeIntoConsumers(Module& m, const std::vector<std::vector<Op*>>& users,
                       const std::vector<bool>& isOutput) {
  int merged = 0;
  for (bool changed = true; changed;) {
    changed = false;
    std::map<int, std::vector<Op*>> members;
    for (auto& op : m.ops)
      if (op->group >= 0)
        members[op->group].push_back(op.get());
    for (const auto& [g, ops] : members) {
      bool elementwise = std::all_of(ops.begin(), ops.end(),
                                     [](const Op* op) { return hasTrait(op->kind, kElementwise); });
      const Value* out = ops.back()->result;
      if (!elementwise || isOutput[out->id] || users[out->id].size() != 1)
        continue;
      const Op* u = users[out->id].front();
      if (u->group < 0 || u->group == g || !hasTrait(u->kind, kElementwise) ||
          u->result->type.shape != out->type.shape ||
          members[u->group].size() + ops.size() > kMaxGroupOps)
        continue;
      for (Op* op : ops)
        op->group = u->group;
      ++merged;
      changed = true;
      break;
    }
  }
  return merged;
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
    next = assignGroups(m, users, isOutput, barred, !ctx.gpu);
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
  int kernels = next - mergeIntoConsumers(m, users, isOutput);
  // Model outputs reached only through views of something that cannot be the output's buffer.
  std::vector<const Value*> claimed;
  for (Value* out : m.outputs) {
    const Value* root = viewRoot(out);
    bool shared = std::find(claimed.begin(), claimed.end(), root) != claimed.end();
    if (out->producer && out->producer->kind == OpKind::Reshape &&
        (!root->producer || shared)) {
      out->producer->group = next++;
      ++kernels;
      root = out;
    }
    claimed.push_back(root);
  }
  if (ctx.remark)
    ctx.remark(fmt::format("fuse-elementwise: {} ops in {} kernels", m.ops.size(), kernels));
  return Status::ok();
}

} // namespace dnncc
