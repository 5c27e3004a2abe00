// plan-memory: the static memory plan. Every kernel output that is not a model output gets a
// place in one arena; two tensors share bytes when their lifetimes (from the kernel that writes
// them to the last kernel that reads them, through views: reshapes, and make-views' slices and
// transposes) do not overlap. Placement is greedy by size, largest first, each at the lowest
// 64-byte aligned offset free during its lifetime (the "greedy by size" offset planner of Pisarchyk
// & Lee, "Efficient Memory Management for Deep Neural Net Inference", 2020); on GPU targets
// 512-byte aligned, so that the runtime can give each tensor its bytes of one device allocation (an
// OpenCL sub-buffer's origin must be a multiple of CL_DEVICE_MEM_BASE_ADDR_ALIGN: 1024 bits on Mali
// and PoCL, 2048 on AMD, 4096 on NVIDIA). Constants read by kernels are laid out in the weights
// blob. The length of a run-time output extent (Module::runtimeExtents) and each run check live
// until the end of the run. The operands of a concat that concat-in-place made no kernel live
// inside the tensor they write (the concat's result, or the transpose after it: inPlaceChain): it
// lives from the first of their kernels on, and each is placed at its slot (ir/IR.h, concatSlot).
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {
namespace {
constexpr int64_t kCpuAlign = 64;  // a cache line; AVX-512 vector loads
constexpr int64_t kGpuAlign = 512; // the largest OpenCL base address alignment (see above)

/// Bytes from the start of a view's root to the view's first byte.
int64_t viewOffset(const Value* v) {
  int64_t offset = 0;
  for (; isView(v->producer); v = v->producer->operands[0])
    if (v->producer->kind == OpKind::Slice)
      offset += contiguousSliceOffset(*v->producer).value_or(0);
  return offset;
}

const Value* viewRoot(const Value* v) {
  while (isView(v->producer))
    v = v->producer->operands[0];
  return v;
}

/// Where a concat operand that concat-in-place lets its kernel write lives: in `root`'s bytes, at
/// `slot`.
struct Inside {
  const Value* root;
  ConcatSlot slot;
};

struct Buffer {
  const Value* value;
  int64_t size;
  int first, last; // kernel positions
  int64_t offset = -1;
};
} // namespace

Status PlanMemory::run(Module& m, PassContext& ctx) {
  const int64_t align = ctx.gpu ? kGpuAlign : kCpuAlign;
  auto alignUp = [align](int64_t n) { return (n + align - 1) / align * align; };
  // The operands of in-place concats: the tensor whose bytes they write and their slots in it.
  std::map<const Value*, Inside> insideOf;
  for (const auto& op : m.ops) {
    if (op->kind == OpKind::Concat && isWrittenInPlace(op.get())) {
      std::vector<const Op*> chain = inPlaceChain(m, *op, [](const Op& t) { return t.group < 0; });
      for (size_t i = 0; i < op->operands.size(); ++i) {
        std::optional<ConcatSlot> slot = concatSlot(chain, i);
        if (!slot)
          return Status::error("internal error: a concat operand written in place has no slot",
                               {m.sourceFile, op->name, std::string(opName(op->kind))});
        insideOf[op->operands[i]] = {chain.back()->result, *slot};
      }
    }
    if (op->group < 0 && !isView(op.get()) && !isWrittenInPlace(op.get()))
      return Status::error("plan-memory needs kernel groups: run fuse-elementwise before it",
                           {m.sourceFile, op->name, std::string(opName(op->kind))});
  }
  MemoryPlan plan;
  plan.byValue.assign(m.numValueIds(), Placement{});
  // Kernel position of each group: the index of its last op (where the kernel runs).
  std::map<int, int> position;
  for (size_t i = 0; i < m.ops.size(); ++i)
    if (m.ops[i]->group >= 0)
      position[m.ops[i]->group] = static_cast<int>(i);
  for (size_t i = 0; i < m.inputs.size(); ++i)
    plan.byValue[m.inputs[i]->id] = {Storage::input, 0, static_cast<int>(i)};
  for (size_t i = 0; i < m.outputs.size(); ++i) {
    const Value* root = viewRoot(m.outputs[i]);
    if (!root->producer)
      return Status::error(fmt::format("internal error: output {} has no kernel", i));
    plan.byValue[root->id] = {Storage::output, 0, static_cast<int>(i)};
  }
  // Lifetimes of kernel outputs; constants used by kernels go to the weights blob.
  std::map<const Value*, Buffer> buffers;
  for (const auto& op : m.ops) {
    if (isView(op.get()) || isWrittenInPlace(op.get()))
      continue;
    int pos = position.at(op->group);
    for (const Value* v : op->operands) {
      if (v->isConstant()) {
        Placement& p = plan.byValue[v->id];
        if (p.storage == Storage::none) {
          p = {Storage::weights, plan.weightsSize, 0};
          plan.weightsSize = alignUp(plan.weightsSize + v->type.byteSize());
        }
        continue;
      }
      const Value* root = viewRoot(v);
      auto it = buffers.find(root);
      if (it != buffers.end() && root->producer->group != op->group)
        it->second.last = std::max(it->second.last, pos);
    }
    const Value* r = op->result;
    if (auto in = insideOf.find(r); in != insideOf.end()) {
      // The written tensor's bytes are live from the first kernel writing a part of them (in the
      // arena unless it has a place already).
      const Value* c = in->second.root;
      if (plan.byValue[c->id].storage == Storage::none)
        buffers.try_emplace(c, Buffer{c, alignUp(c->type.byteSize()), pos, pos});
    } else if (plan.byValue[r->id].storage == Storage::none) {
      buffers.emplace(r, Buffer{r, alignUp(r->type.byteSize()), pos, pos});
    }
  }
  // The runtime reads each run-time extent's length and each run check after the last kernel.
  std::vector<const Value*> readAfterRun;
  for (const auto& [index, extent] : m.runtimeExtents)
    readAfterRun.push_back(extent.length);
  for (const RunCheck& check : m.runChecks)
    readAfterRun.push_back(check.ok);
  std::set<const Value*> lengths;
  for (const Value* v : readAfterRun) {
    if (v->isConstant() && plan.byValue[v->id].storage == Storage::none) {
      plan.byValue[v->id] = {Storage::weights, plan.weightsSize, 0};
      plan.weightsSize = alignUp(plan.weightsSize + v->type.byteSize());
    }
    auto it = buffers.find(viewRoot(v));
    if (it != buffers.end()) {
      it->second.last = std::numeric_limits<int>::max();
      lengths.insert(it->first);
    }
  }
  // Values used only inside their own kernel need no memory.
  std::vector<Buffer*> order;
  for (auto& [v, b] : buffers) {
    bool external = lengths.count(v) != 0;
    for (const auto& op : m.ops)
      for (const Value* o : op->operands)
        external |= viewRoot(o) == v && (isView(op.get()) || op->group != v->producer->group);
    if (external)
      order.push_back(&b);
  }
  std::sort(order.begin(), order.end(), [](const Buffer* a, const Buffer* b) {
    return a->size != b->size ? a->size > b->size : a->value->id < b->value->id;
  });
  std::vector<const Buffer*> placed;
  for (Buffer* b : order) {
    std::vector<const Buffer*> live;
    for (const Buffer* p : placed)
      if (p->first <= b->last && b->first <= p->last)
        live.push_back(p);
    std::sort(live.begin(), live.end(),
              [](const Buffer* x, const Buffer* y) { return x->offset < y->offset; });
    int64_t offset = 0;
    for (const Buffer* p : live) {
      if (offset + b->size <= p->offset)
        break;
      offset = std::max(offset, p->offset + p->size);
    }
    b->offset = offset;
    placed.push_back(b);
    plan.byValue[b->value->id] = {Storage::arena, offset, 0};
    plan.arenaSize = std::max(plan.arenaSize, offset + b->size);
    plan.unsharedSize += b->size;
  }
  // Operands of in-place concats lie at their slots of the written tensor's bytes.
  for (const auto& [v, in] : insideOf) {
    Placement& p = plan.byValue[v->id];
    p = plan.byValue[in.root->id];
    p.offset += in.slot.offset;
    std::vector<BufferDim> own = bufferDims(v->type);
    for (size_t d = 0; d < own.size(); ++d)
      if (own[d].extent > 1 && own[d].stride != in.slot.strides[d])
        p.strides = in.slot.strides;
  }
  // Views share their root's placement, a slice's from its offset on.
  for (const auto& op : m.ops)
    if (isView(op.get())) {
      Placement& p = plan.byValue[op->result->id];
      p = plan.byValue[viewRoot(op->result)->id];
      p.offset += viewOffset(op->result);
    }
  if (ctx.remark)
    ctx.remark(fmt::format("plan-memory: arena {} bytes ({} without reuse), weights {} bytes",
                           plan.arenaSize, plan.unsharedSize, plan.weightsSize));
  m.plan = std::move(plan);
  return Status::ok();
}

} // namespace dnncc
