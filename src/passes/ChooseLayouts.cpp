// choose-layouts: picks each tensor's storage order; kernels read any strides, so this only
// changes speed. Image activations (rank 4, produced by conv/pooling/batch_norm/pad, or
// element-wise and concat ops over such, or an element-wise op in a conv's kernel, slices and
// gathers of such, and a transpose that keeps its operand's bytes in place when stored so) are
// stored NHWC so kernels vectorise across channels; conv weights are stored
// HWIO and the B of gemm with trans_b=1 transposed, both output-channel innermost. Model outputs
// and operands of reshape views are row-major (their bytes are seen as row-major): a kernel with
// a conv that computes one (a detector's head conv feeding a reshape, a segmentation net's last
// conv) still writes NHWC, which its tiled schedule needs (the generic one is 15-20x slower), and
// an `identity` kernel after it converts to row-major, one pass over the tensor. Constant
// weights are further blocked by one or two vectors of output channels (columns of a matmul's B),
// the register tile the conv and matmul schedules use, so a kernel streams each block sequentially;
// the 8-bit weights of integer convs and matmuls also in groups of 4 input channels, the order of
// the integer dot-product instructions (VNNI vpdpbusd, ARM sdot).
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {
namespace {

bool imageProducer(OpKind k) {
  return k == OpKind::Conv || k == OpKind::MaxPool || k == OpKind::AvgPool ||
         k == OpKind::GlobalAvgPool || k == OpKind::GlobalMaxPool || k == OpKind::BatchNorm ||
         k == OpKind::Pad;
}

/// Block size for an output-channel extent: two vectors when there are that many, else one;
/// 0 (no blocking) when the extent is not a multiple.
int64_t blockFor(int64_t channels, int lanes) {
  if (channels >= 2 * lanes && channels % (2 * lanes) == 0)
    return 2 * lanes;
  if (channels >= lanes && channels % lanes == 0)
    return lanes;
  return 0;
}

/// Copies of constants in another layout, by (constant id, layout, block): every op that wants
/// the same layout of a constant shares one copy (an unrolled LSTM reads its recurrence weights
/// once per time step: one copy per step made a 0.9 MB model a 26 MB library whose steps each
/// streamed their own weights from memory).
using LayoutCopies = std::map<std::tuple<int, Layout, int64_t, int64_t>, Value*>;

/// The group of the weights `w` of `op`: kDotProductGroup for the 8-bit weights of an integer
/// conv (not depthwise) or matmul whose reduced axis divides into such groups, else 0.
int64_t groupFor(const Op& op, const Value* w, Layout layout) {
  if (op.result->type.dtype != DType::i32 || dtypeSize(w->type.dtype) != 1)
    return 0;
  TensorType t = w->type;
  t.layout = layout;
  int g = t.groupedAxis();
  return g >= 0 && t.shape[g] % kDotProductGroup == 0 ? kDotProductGroup : 0;
}

/// A constant used by one op stored with `layout` and `block`; a copy (shared with the other ops
/// that want the same) when the constant has other users.
Value* withLayout(Module& m, Value* c, Layout layout, int lanes, const std::vector<int>& uses,
                  LayoutCopies& copies, int64_t group = 0) {
  TensorType t = c->type;
  t.layout = layout;
  t.block = 0;
  t.block = blockFor(t.shape[t.blockedAxis()], lanes);
  // Grouped 8-bit weights take half a vector when a whole one does not divide the channels
  // (MobileNetV2's 24-channel projections on 16-lane AVX-512): the dot-product instructions
  // need the grouped layout.
  if (group > 0 && t.block == 0 && lanes >= 8)
    t.block = blockFor(t.shape[t.blockedAxis()], lanes / 2);
  t.group = t.block > 0 ? group : 0;
  if (c->type == t)
    return c;
  if (uses[c->id] > 1 || c->type.layout != Layout::rowMajor || c->type.block != 0) {
    Value*& copy = copies[{c->id, t.layout, t.block, t.group}];
    if (copy == nullptr)
      copy = m.addConstant(t, c->data, c->name);
    return copy;
  }
  c->type = t;
  return c;
}

/// Gives each NHWC value in `values` a row-major copy (an `identity` kernel of its own, right
/// after the value's producer) that the model outputs and the reshapes reading the value read
/// instead; the copy takes over an output's name.
Status convertToRowMajor(Module& m, const std::vector<Value*>& values) {
  int nextGroup = 0;
  for (const auto& op : m.ops)
    nextGroup = std::max(nextGroup, op->group + 1);
  for (Value* v : values) {
    size_t index = 0;
    while (m.ops[index].get() != v->producer)
      ++index;
    TensorType t = v->type;
    t.layout = Layout::rowMajor;
    Expected<Value*> copy =
        m.insertOp(index + 1, OpKind::Identity, {v}, NoAttrs{}, v->producer->name, &t);
    if (!copy)
      return Status(copy.status())
          .withDefaults({m.sourceFile, v->producer->name, std::string(opName(v->producer->kind))});
    Value* c = *copy;
    c->producer->group = nextGroup++;
    for (Value*& out : m.outputs)
      if (out == v) {
        out = c;
        c->name = v->name;
      }
    for (auto& op : m.ops)
      if (op->kind == OpKind::Reshape && op->operands[0] == v)
        op->operands[0] = c;
  }
  return Status::ok();
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
  // Kernel groups (fuse-elementwise) with a conv: their result is worth converting.
  std::vector<bool> groupHasConv;
  for (const auto& op : m.ops)
    if (op->group >= 0) {
      groupHasConv.resize(std::max<size_t>(groupHasConv.size(), op->group + 1));
      groupHasConv[op->group] = groupHasConv[op->group] || op->kind == OpKind::Conv;
    }
  auto inConvKernel = [&](const Op& op) { return op.group >= 0 && groupHasConv[op.group]; };
  std::vector<Value*> converted; // stored NHWC although row-major is wanted
  int nhwc = 0;
  LayoutCopies copies;
  for (auto& op : m.ops) {
    Value* r = op->result;
    r->type.layout = Layout::rowMajor;
    if (r->type.rank() == 4) {
      bool image = imageProducer(op->kind);
      if (hasTrait(op->kind, kElementwise) || op->kind == OpKind::Concat) {
        bool any = false, all = true;
        for (const Value* v : op->operands) {
          if (v->isConstant() || v->type.rank() != 4)
            continue;
          any = true;
          all &= v->type.layout == Layout::nhwc;
        }
        // In a conv's kernel the conv's NHWC tile writes the result, whatever the layout of
        // another operand (a residual add's skip branch).
        image = any && (all || inConvKernel(*op));
      }
      // Slices and gathers of a map (a CSP block's channel halves, nearest upsampling's row and
      // column gathers) keep their operand's layout.
      if ((op->kind == OpKind::Slice || op->kind == OpKind::Gather) &&
          op->operands[0]->type.rank() == 4)
        image = op->operands[0]->type.layout == Layout::nhwc;
      // A transpose whose result, stored NHWC, keeps its operand's bytes in place (the
      // permute back to [N, C, H, W] of ConvNeXt's channels-last blocks) is stored so:
      // make-views then turns it into a view.
      if (op->kind == OpKind::Transpose && transposeKeepsBytes(*op, Layout::nhwc) &&
          !transposeKeepsBytes(*op, Layout::rowMajor))
        image = true;
      if (image && mustBeRowMajor[r->id])
        image = inConvKernel(*op);
      if (image) {
        r->type.layout = Layout::nhwc;
        ++nhwc;
        if (mustBeRowMajor[r->id])
          converted.push_back(r);
      }
    }
    int lanes = ctx.vectorLanes;
    Value* w = op->operands.size() > 1 ? op->operands[1] : nullptr;
    if (op->kind == OpKind::Conv && w->isConstant() && w->type.rank() >= 3)
      op->operands[1] =
          withLayout(m, w, Layout::hwio, lanes, uses, copies,
                     op->attr<ConvAttrs>().group == 1 ? groupFor(*op, w, Layout::hwio) : 0);
    if (op->kind == OpKind::Gemm && w->isConstant())
      op->operands[1] = withLayout(
          m, w, op->attr<GemmAttrs>().transB ? Layout::hwio : Layout::rowMajor, lanes, uses, copies);
    if (op->kind == OpKind::MatMul && w->isConstant() && w->type.rank() == 2)
      op->operands[1] = withLayout(m, w, Layout::rowMajor, lanes, uses, copies,
                                   groupFor(*op, w, Layout::rowMajor));
  }
  if (Status s = convertToRowMajor(m, converted); !s)
    return s;
  if (ctx.remark)
    ctx.remark(fmt::format("choose-layouts: {} tensors stored nhwc, {} converted to row-major "
                           "for a model output or reshape",
                           nhwc, converted.size()));
  return Status::ok();
}

} // namespace dnncc
