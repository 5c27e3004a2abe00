// choose-layouts: picks each tensor's storage order; kernels read any strides, so this only
// changes speed. Image activations (rank 4, produced by conv/pooling/batch_norm/pad, or element-wise
// and concat ops over such) are stored NHWC so kernels vectorise across channels; conv weights are
// stored HWIO and the B of gemm with trans_b=1 transposed, both output-channel innermost. Model
// outputs and operands of reshape views stay row-major (their bytes are seen as row-major).
#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {
namespace {

bool imageProducer(OpKind k) {
  return k == OpKind::Conv || k == OpKind::MaxPool || k == OpKind::AvgPool ||
         k == OpKind::GlobalAvgPool || k == OpKind::GlobalMaxPool || k == OpKind::BatchNorm ||
         k == OpKind::Pad;
}

/// A constant used by `op` stored with `layout`; a copy when the constant has other users.
Value* withLayout(Module& m, Value* c, Layout layout, const std::vector<int>& uses) {
  if (c->type.layout == layout)
    return c;
  if (uses[c->id] > 1 || c->type.layout != Layout::rowMajor) {
    TensorType t = c->type;
    t.layout = layout;
    return m.addConstant(t, c->data, c->name);
  }
  c->type.layout = layout;
  return c;
}
} // namespace

Status ChooseLayouts::run(Module& m, PassContext& ctx) {
  std::vector<int> uses = m.useCounts();
  std::vector<bool> mustBeRowMajor(m.numValueIds(), false);
  for (Value* v : m.outputs)
    mustBeRowMajor[v->id] = true;
  for (const auto& op : m.ops)
    if (op->kind == OpKind::Reshape)
      mustBeRowMajor[op->operands[0]->id] = true;
  int nhwc = 0;
  for (auto& op : m.ops) {
    Value* r = op->result;
    r->type.layout = Layout::rowMajor;
    if (r->type.rank() == 4 && !mustBeRowMajor[r->id]) {
      bool image = imageProducer(op->kind);
      if (hasTrait(op->kind, kElementwise) || op->kind == OpKind::Concat) {
        bool any = false, all = true;
        for (const Value* v : op->operands) {
          if (v->isConstant() || v->type.rank() != 4)
            continue;
          any = true;
          all &= v->type.layout == Layout::nhwc;
        }
        image = any && all;
      }
      if (image) {
        r->type.layout = Layout::nhwc;
        ++nhwc;
      }
    }
    if (op->kind == OpKind::Conv && op->operands[1]->isConstant() &&
        op->operands[1]->type.rank() >= 3)
      op->operands[1] = withLayout(m, op->operands[1], Layout::hwio, uses);
    if (op->kind == OpKind::Gemm && op->attr<GemmAttrs>().transB && op->operands[1]->isConstant())
      op->operands[1] = withLayout(m, op->operands[1], Layout::hwio, uses);
  }
  if (ctx.remark)
    ctx.remark(fmt::format("choose-layouts: {} tensors stored nhwc", nhwc));
  return Status::ok();
}

} // namespace dnncc
