// make-views: ops that only relabel bytes stop being kernels that copy them and become views of
// their operand, like a reshape: plan-memory places a view at its root's bytes (plus an offset),
// and the kernels reading it read the operand's bytes directly. Two kinds:
//  - a slice that reads one contiguous run of its operand's bytes (ir/IR.h,
//    contiguousSliceOffset: x[t] of a recurrent model's [T, B, H] projections, a channel split of
//    a [1, C, H, W] map in row-major order), when it is a kernel of its own (fused with
//    element-wise consumers, its copy costs no pass of its own); not on GPU targets (the runtime
//    gives device memory to views of the same bytes only, not of a part of them);
//  - a transpose whose result, in the layout choose-layouts gave it, stores the elements in the
//    operand's order (transposeKeepsBytes: ConvNeXt's permutes between NHWC-stored [N, C, H, W]
//    maps and row-major [N, H, W, C]); element-wise ops fused after it stay a kernel that now
//    reads its operand's bytes in order.
// Runs after choose-layouts (the layouts decide both). An op stays a copy when a model output is
// (a reshape view of) it: an output owns its buffer.
#include <map>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {

Status MakeViews::run(Module& m, PassContext& ctx) {
  std::map<int, int> groupSize;
  for (const auto& op : m.ops)
    if (op->group >= 0)
      ++groupSize[op->group];
  std::vector<const Op*> outputOps = outputProducers(m);
  int slices = 0, transposes = 0;
  for (auto& op : m.ops) {
    if (op->group < 0 || op->operands.empty() || op->operands[0]->isConstant() ||
        std::find(outputOps.begin(), outputOps.end(), op.get()) != outputOps.end())
      continue;
    if (op->kind == OpKind::Slice && !ctx.gpu && groupSize[op->group] == 1 &&
        contiguousSliceOffset(*op)) {
      op->group = -1;
      ++slices;
    } else if (op->kind == OpKind::Transpose && transposeKeepsBytes(*op, op->result->type.layout)) {
      op->group = -1;
      ++transposes;
    }
  }
  if (ctx.remark)
    ctx.remark(
        fmt::format("make-views: {} slices and {} transposes are views", slices, transposes));
  return Status::ok();
}

} // namespace dnncc
