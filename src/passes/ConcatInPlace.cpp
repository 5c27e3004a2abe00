// concat-in-place: a concat whose operands are all written by kernels of their own stops being a
// kernel that copies them: each operand's kernel writes its part of the concat's result directly
// (its slot: ir/IR.h, concatSlot), and plan-memory places the operands inside the result. A
// SqueezeNet fire module's concat of its expand1x1 and expand3x3 convs (NHWC, concatenated along
// the channels: each conv writes every other run of channels, through the result's strides), a
// detector neck's concat of conv outputs, a recurrent model's sequence output Y made of the steps'
// hidden states (row-major, concatenated along time: contiguous slots).
//
// A concat qualifies when it is a kernel of its own (fused with element-wise consumers, its copy
// costs no pass of its own) and is not a model output (an output owns its buffer), and every
// operand
//  - is the output of a kernel (not a constant, a model input or a view of other bytes),
//  - is read by this concat only, once, and is no model output and nothing the runtime reads
//    after the run,
//  - has a slot: the result's dtype, rank and layout, neither blocked nor grouped.
// Not on GPU targets: the runtime gives device memory to views of the same bytes only. Runs after
// make-views (whose views cannot be written in place) and before plan-memory.
#include <map>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {

Status ConcatInPlace::run(Module& m, PassContext& ctx) {
  int placed = 0;
  if (!ctx.gpu) {
    std::map<int, int> groupSize;
    std::map<int, const Op*> lastOfGroup;
    for (const auto& op : m.ops)
      if (op->group >= 0) {
        ++groupSize[op->group];
        lastOfGroup[op->group] = op.get();
      }
    // Reads of each value: by ops, as a model output, by the runtime after the run.
    std::vector<int> reads(m.numValueIds(), 0);
    for (const auto& op : m.ops)
      for (const Value* v : op->operands)
        ++reads[v->id];
    for (const Value* v : m.outputs)
      ++reads[v->id];
    for (const auto& [index, extent] : m.runtimeExtents)
      ++reads[extent.length->id];
    for (const RunCheck& check : m.runChecks)
      ++reads[check.ok->id];
    auto writable = [&](const Op& concat, size_t i) {
      const Value* v = concat.operands[i];
      const Op* p = v->producer;
      return p && p->group >= 0 && lastOfGroup[p->group] == p && reads[v->id] == 1 &&
             v->type.numElements() > 0 && concatSlot(concat, i).has_value();
    };
    std::vector<const Op*> outputOps = outputProducers(m);
    for (auto& op : m.ops) {
      if (op->kind != OpKind::Concat || op->group < 0 || groupSize[op->group] != 1 ||
          std::find(outputOps.begin(), outputOps.end(), op.get()) != outputOps.end())
        continue;
      bool all = true;
      for (size_t i = 0; all && i < op->operands.size(); ++i)
        all = writable(*op, i);
      if (all) {
        op->group = -1;
        ++placed;
      }
    }
  }
  if (ctx.remark)
    ctx.remark(fmt::format("concat-in-place: {} concats written in place by their operands' "
                           "kernels",
                           placed));
  return Status::ok();
}

} // namespace dnncc
