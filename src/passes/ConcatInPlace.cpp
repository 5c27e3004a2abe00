// concat-in-place: a concat whose operands are written by kernels of their own stops being a
// kernel that copies them: each operand's kernel writes its part of the concat's result directly
// (its slot: ir/IR.h, concatSlot), and plan-memory places the operands inside the result. A
// SqueezeNet fire module's concat of its expand1x1 and expand3x3 convs (NHWC, concatenated along
// the channels: each conv writes every other run of channels, through the result's strides), a
// detector neck's concat of conv outputs, a recurrent model's sequence output Y made of the steps'
// hidden states (row-major, concatenated along time: contiguous slots). When the concat's result
// only goes through a reshape to a transpose that is a kernel of its own (ShuffleNet's channel
// shuffle: concat -> reshape [N, 2, C/2, H, W] -> transpose -> reshape), the operands write the
// transposed tensor instead (inPlaceChain), and the transpose is no kernel either.
//
// A concat qualifies when it is a kernel of its own (fused with element-wise consumers, its copy
// costs no pass of its own), is not a model output (an output owns its buffer), every operand has
// a slot (an affine map from its indices into the written tensor's memory; neither is blocked or
// grouped) and at least one operand can be written in place: the output of a kernel, read by this
// concat only, once, no model output or value the runtime reads after the run. Each other operand
// (a model input, a constant, a view of other bytes, a value other ops read too) gets a copy
// kernel (`identity`, named after the concat) that writes its slot: the bytes the concat kernel
// copied for it, while the others are no longer copied (ShuffleNetV2's concat of a channel
// split, a view, and its branch's conv output).
// Not on GPU targets: the runtime gives device memory to views of the same bytes only. Runs after
// make-views (whose views cannot be written in place) and before plan-memory.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {

Status ConcatInPlace::run(Module& m, PassContext& ctx) {
  int placed = 0, copies = 0, shuffles = 0;
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
      // Through a channel shuffle (reshape -> transpose) when the transpose is a kernel of its
      // own: the operands then write the shuffled tensor, and neither kernel remains.
      std::vector<const Op*> chain =
          inPlaceChain(m, *op, [&](const Op& t) { return t.group < 0 || groupSize[t.group] == 1; });
      if (std::find(outputOps.begin(), outputOps.end(), chain.back()) != outputOps.end())
        chain = {op}; // an output owns its buffer
      bool slots = true, anyWritable = false;
      std::vector<bool> inPlace(op->operands.size());
      for (size_t i = 0; i < op->operands.size(); ++i) {
        slots &= concatSlot(chain, i).has_value();
        inPlace[i] = writable(op->operands[i]);
        anyWritable |= inPlace[i];
      }
      if (!slots || !anyWritable)
        continue;
      for (size_t i = 0; i < op->operands.size(); ++i) {
        if (inPlace[i])
          continue;
        Value* v = op->operands[i];
        Expected<Value*> copy =
            m.insertOp(index++, OpKind::Identity, {v}, NoAttrs{}, op->name, &v->type);
        if (!copy)
          return Status(copy.status())
              .withDefaults({m.sourceFile, op->name, std::string(opName(op->kind))});
        (*copy)->producer->group = nextGroup++;
        op->operands[i] = *copy;
        ++copies;
      }
      for (auto& other : m.ops)
        if (other->kind == OpKind::Transpose &&
            std::find(chain.begin(), chain.end(), other.get()) != chain.end()) {
          other->group = -1;
          shuffles += 1;
        }
      op->group = -1;
      ++placed;
    }
  }
  if (ctx.remark)
    ctx.remark(fmt::format("concat-in-place: {} concats written in place by their operands' "
                           "kernels ({} operands copied into their slots, {} transposes "
                           "folded)",
                           placed, copies, shuffles));
  return Status::ok();
}

} // namespace dnncc
