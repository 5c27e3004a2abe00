// view-slices: a slice that reads one contiguous run of its operand's bytes (ir/IR.h,
// contiguousSliceOffset: x[t] of a recurrent model's [T, B, H] projections, a channel split of a
// [1, C, H, W] map in row-major order) stops being a kernel that copies the run and becomes a view
// of it, like a reshape: plan-memory places it at its root's bytes plus the run's offset, and the
// kernels reading it read the operand's bytes directly. Runs after choose-layouts (the layouts
// decide contiguity). A slice stays a copy when it is not a kernel of its own, when a model
// output is (a view of) it (an output owns its buffer), or on GPU targets (the runtime gives
// device memory to views of the same bytes only, not of a part of them).
#include <map>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {
namespace {
bool isReshapeView(const Op* op) {
  return op && op->kind == OpKind::Reshape && op->group < 0;
}
} // namespace

Status ViewSlices::run(Module& m, PassContext& ctx) {
  if (ctx.gpu)
    return Status::ok();
  std::map<int, int> groupSize;
  for (const auto& op : m.ops)
    if (op->group >= 0)
      ++groupSize[op->group];
  // Slices that a model output is, through reshape views.
  std::vector<const Op*> outputSlices;
  for (const Value* v : m.outputs) {
    while (isReshapeView(v->producer))
      v = v->producer->operands[0];
    outputSlices.push_back(v->producer);
  }
  int views = 0;
  for (auto& op : m.ops) {
    if (op->kind != OpKind::Slice || op->group < 0 || groupSize[op->group] != 1 ||
        std::find(outputSlices.begin(), outputSlices.end(), op.get()) != outputSlices.end() ||
        op->operands[0]->isConstant() || !contiguousSliceOffset(*op))
      continue;
    op->group = -1;
    ++views;
  }
  if (ctx.remark)
    ctx.remark(fmt::format("view-slices: {} slices are views", views));
  return Status::ok();
}

} // namespace dnncc
