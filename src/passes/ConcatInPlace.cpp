// concat-in-place: a concat whose operands are all written by kernels of their own stops being a
// kernel that copies them: each operand's kernel writes its part of the concat's result directly
// (its slot: ir/IR.h, concatSlot), and plan-memory places the operands inside the result. A
// SqueezeNet fire module's concat of its expand1x1 and expand3x3 convs (NHWC, concatenated along
// the channels: each conv writes every other run of channels, through the result's strides), a
// detector neck's concat of conv outputs, a recurrent model's sequence output Y made of the steps'
// hidden states (row-major, concatenated along time: contiguous slots).
//
// A concat qualifies when it is a kernel of its own (fused with element-wise consumers, its copy
// costs no pass of its own), is not a model output (an output owns its buffer) and at least one
// operand can be written in place: the output of a kernel, read by this concat only, once, no
// model output or value the runtime reads after the run, with a slot (the result's layout,
// neither blocked nor grouped). Each other operand (a model input, a constant, a view of other
// bytes, a value other ops read too, one in another layout) gets a copy kernel (`identity`, named
// after the concat, its result in the concat's layout) that writes its slot: the bytes the concat
// kernel copied for it, while the others are no longer copied (ShuffleNetV2's concat of a channel
// split, a view, and its branch's conv output).
// Not on GPU targets: the runtime gives device memory to views of the same bytes only. Runs after
// make-views (whose views cannot be written in place) and before plan-memory.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {

Status ConcatInPlace::run(Module& m, PassContext& ctx) {
  int placed = 0, copies = 0;
  if (!ctx.gpu) {
    std::map<int, int> groupSize;
    std::map<int, const Op*> lastOfGroup;
    int nextGroup = 0;
    for (const auto& op : m.ops)
      if (op->group >= 0) {
        ++groupSize[op->group];
        lastOfGroup[op->group] = op.get();
        nextGroup = std::max(nextGroup, op->group + 1);
      }
    std::vector<int> uses = m.useCounts();
    auto writable = [&](const Value* v) {
      const Op* p = v->producer;
      return p && p->group >= 0 && lastOfGroup[p->group] == p && uses[v->id] == 1;
    };
    std::vector<const Op*> outputOps = outputProducers(m);
    for (size_t index = 0; index < m.ops.size(); ++index) {
      Op* op = m.ops[index].get();
      if (op->kind != OpKind::Concat || op->group < 0 || groupSize[op->group] != 1 ||
          op->result->type.numElements() == 0 ||
          std::find(outputOps.begin(), outputOps.end(), op) != outputOps.end())
        continue;
      const TensorType& r = op->result->type;
      std::vector<bool> inPlace(op->operands.size());
      for (size_t i = 0; i < op->operands.size(); ++i)
        inPlace[i] = writable(op->operands[i]) && concatSlot(*op, i).has_value();
      if (r.block != 0 || r.group != 0 ||
          std::find(inPlace.begin(), inPlace.end(), true) == inPlace.end())
        continue;
      for (size_t i = 0; i < op->operands.size(); ++i) {
        if (inPlace[i])
          continue;
        // The copy stores the operand in the result's layout: it has a slot.
        Value* v = op->operands[i];
        TensorType t = v->type;
        t.layout = r.layout;
        Expected<Value*> copy = m.insertOp(index++, OpKind::Identity, {v}, NoAttrs{}, op->name, &t);
        if (!copy)
          return Status(copy.status())
              .withDefaults({m.sourceFile, op->name, std::string(opName(op->kind))});
        (*copy)->type.block = (*copy)->type.group = 0;
        (*copy)->producer->group = nextGroup++;
        op->operands[i] = *copy;
        ++copies;
      }
      op->group = -1;
      ++placed;
    }
  }
  if (ctx.remark)
    ctx.remark(fmt::format("concat-in-place: {} concats written in place by their operands' "
                           "kernels ({} operands copied into their slots)",
                           placed, copies));
  return Status::ok();
}

} // namespace dnncc
