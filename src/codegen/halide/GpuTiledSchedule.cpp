// Tiled GPU schedules of the heavy ops (see GpuSchedule.h): matrix products and convolutions.
// Both keep the reduction of every output point in the order of its algorithm (k ascending for
// matmul; for conv the same order as the CPU schedule, input channel innermost), so they only
// change where and by whom a point is computed.
//
// matmul / gemm / 1x1 stride-1 conv (a matmul over the NHWC pixels): a work-group computes a
// TX x TY tile of the output, each thread an RX x RY register tile of it. The reduction over K runs
// in chunks of KC: per chunk the work-group stages the A (TY x KC) and B (KC x TX) slices it needs
// into local (shared) memory, then every thread accumulates its register tile from them, loading
// each step's RX + RY operands into registers first. The accumulators live in the work-group's
// local memory across chunks (Halide 14 has no block-level register storage); within a chunk
// the loops over KC and the register tile are fully unrolled, so the device compiler keeps them
// in registers (in the PTX for sm_80: per step of 16 FMAs, 1 vector + 4 scalar operand loads and
// 4 vector accumulator stores; no accumulator loads).
//
// Other convolutions (direct, strided, grouped, depthwise): each thread
// computes CB output channels x XW output columns in registers, so an input value is reused CB
// times and a weight XW times; neighbouring threads take neighbouring channel blocks (contiguous
// in NHWC, and in the HWIO weights), so their loads coalesce.
//
// Tile extents never exceed the output's extents; edges are covered by shifting the last tile
// inwards (recomputing a few points with identical results), so no load leaves the tensors.
#include "codegen/halide/GpuSchedule.h"

#include <fmt/format.h>

namespace dnncc::hl {
namespace {
using Halide::MemoryType;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;

Var axisVar(int axis) { return Var(fmt::format("d{}", axis)); }

/// The largest power of two <= max(1, v).
int pow2Floor(int64_t v) {
  int p = 1;
  while (2 * static_cast<int64_t>(p) <= v)
    p *= 2;
  return p;
}

/// True when the kernel's stages besides the anchor are all pure (an element-wise epilogue) and
/// the anchor's result has the output's shape: an output point then needs exactly the anchor's
/// point at the same coordinates.
bool anchorWithEpilogue(const KernelPipeline& p) {
  if (!p.anchor || p.output.name() == p.anchorFunc.func.name() ||
      p.anchorFunc.type.shape != p.outputType.shape || !p.anchorFunc.rdom)
    return false;
  for (const TensorFunc& t : p.others)
    for (const Halide::Func& f : t.stages)
      if (f.has_update_definition())
        return false;
  for (const Halide::Func& f : p.anchorFunc.stages)
    if (f.has_update_definition() && f.name() != p.anchorFunc.func.name())
      return false;
  return true;
}

/// The Funcs that update 0 of `f` calls and its pure definition does not (the operands read along
/// the reduction): the ones worth staging per reduction chunk.
std::vector<Halide::Func> updateOnlyCallees(const Halide::Func& f) {
  struct Collector : Halide::Internal::IRVisitor {
    std::map<std::string, Halide::Internal::Function> calls;
    using Halide::Internal::IRVisitor::visit;
    void visit(const Halide::Internal::Call* op) override {
      if (op->call_type == Halide::Internal::Call::Halide && op->func.defined())
        calls.emplace(op->name, Halide::Internal::Function(op->func));
      Halide::Internal::IRVisitor::visit(op);
    }
  };
  Collector pure, update;
  Halide::Tuple pureValues = f.values(), updateValues = f.update_values(0);
  for (const Halide::Expr& e : pureValues.as_vector())
    e.accept(&pure);
  for (const Halide::Expr& e : updateValues.as_vector())
    e.accept(&update);
  for (const Halide::Expr& e : f.update_args(0))
    e.accept(&update);
  std::vector<Halide::Func> out;
  for (const auto& [name, fn] : update.calls)
    if (name != f.name() && !pure.calls.count(name))
      out.emplace_back(fn);
  return out;
}

/// A matrix product seen in the output's variables: C[m, n] = sum_k A[m, k] B[k, n] per point of
/// `outer` (batch axes, or the rows and images of a 1x1 conv).
struct GemmView {
  Var n, m;               ///< output columns (contiguous in memory) and rows
  int64_t nExt = 0, mExt = 0;
  std::vector<Var> outer; ///< the other output variables, innermost first
  RVar k;                 ///< the reduction variable summed over
  int64_t kExt = 0;
  std::vector<RVar> unit; ///< the anchor's other reduction variables (extent 1)
};

/// Schedules a kernel whose anchor is the product `g` (see the file comment). Returns false when
/// the target's local memory cannot hold even the smallest staged tile.
bool scheduleStagedGemm(KernelPipeline& p, const TargetInfo& target, const GemmView& g) {
  int tx = pow2Floor(std::min<int64_t>(64, g.nExt));
  int ty = pow2Floor(std::min<int64_t>(32, g.mExt));
  int rx = std::min(4, tx), ry = std::min(4, ty);
  while ((tx / rx) * (ty / ry) > target.gpu.maxWorkGroup) {
    if (ty > ry)
      ty /= 2;
    else if (tx > rx)
      tx /= 2;
    else
      return false;
  }
  int kc = 16;
  while (g.kExt % kc != 0)
    kc /= 2;
  int64_t bytes = static_cast<int64_t>(dtypeSize(p.anchorFunc.type.dtype));
  auto localBytes = [&] { return (int64_t{tx} * ty + int64_t{kc} * (tx + ty)) * bytes; };
  while (localBytes() > target.gpu.localMemoryBytes && kc > 1)
    kc /= 2;
  if (localBytes() > target.gpu.localMemoryBytes)
    return false;
  int threadsX = tx / rx, threadsY = ty / ry;

  // The output: blocks over tiles, threads over register tiles.
  Var nb("nb"), ni("ni"), nt("nt"), nr("nr"), mb("mb"), mi("mi"), mt("mt"), mr("mr");
  Halide::Func out = p.output;
  out.split(g.n, nb, ni, tx, TailStrategy::ShiftInwards)
      .split(g.m, mb, mi, ty, TailStrategy::ShiftInwards)
      .split(ni, nt, nr, rx, TailStrategy::ShiftInwards)
      .split(mi, mt, mr, ry, TailStrategy::ShiftInwards);
  std::vector<Halide::VarOrRVar> loops{nr, mr, nt, mt, nb, mb};
  for (const Var& v : g.outer)
    loops.emplace_back(v);
  out.reorder(loops);
  if (g.outer.empty()) {
    out.gpu_blocks(nb, mb);
  } else {
    Var batch = g.outer.front();
    for (size_t i = 1; i < g.outer.size(); ++i) {
      Var fused(fmt::format("batch{}", i));
      out.fuse(batch, g.outer[i], fused);
      batch = fused;
    }
    out.gpu_blocks(nb, mb, batch);
  }
  out.gpu_threads(nt, mt).unroll(mr);
  // Neighbouring columns of a register tile are neighbours in memory: one vector load or store.
  if (rx > 1)
    out.vectorize(nr);

  // The accumulators: the work-group's tile, in local memory, each thread its register tile.
  Halide::Func mm = p.anchorFunc.func;
  std::vector<Halide::VarOrRVar> pureLoops{nr, mr, nt, mt};
  for (const Var& v : g.outer)
    pureLoops.emplace_back(v);
  // Stored columns innermost (as the output is), so a thread's vector of columns is contiguous.
  std::vector<Var> storage{g.n, g.m};
  storage.insert(storage.end(), g.outer.begin(), g.outer.end());
  mm.compute_at(out, nb)
      .store_in(MemoryType::GPUShared)
      .reorder_storage(storage)
      .split(g.n, nt, nr, rx)
      .split(g.m, mt, mr, ry)
      .reorder(pureLoops)
      .gpu_threads(nt, mt)
      .unroll(mr);
  RVar ko("ko"), ki("ki");
  Halide::Stage upd = mm.update();
  upd.split(g.k, ko, ki, kc, TailStrategy::GuardWithIf)
      .split(g.n, nt, nr, rx, TailStrategy::GuardWithIf)
      .split(g.m, mt, mr, ry, TailStrategy::GuardWithIf);
  std::vector<Halide::VarOrRVar> updLoops{nr, mr};
  for (const RVar& r : g.unit)
    updLoops.emplace_back(r);
  updLoops.insert(updLoops.end(), {ki, nt, mt, ko});
  for (const Var& v : g.outer)
    updLoops.emplace_back(v);
  // Scalar accumulators, every loop of a chunk unrolled: the device compiler then keeps them in
  // registers through the chunk (vector read-modify-writes of local memory defeat that).
  upd.reorder(updLoops).gpu_threads(nt, mt).unroll(nr).unroll(mr).unroll(ki);
  mm.unroll(nr);

  // Per chunk of K, the operand slices the work-group reads, staged by all its threads.
  int n = 0;
  for (Halide::Func callee : updateOnlyCallees(mm)) {
    Halide::Func w = callee.in(mm);
    w.compute_at(mm, ko).store_in(MemoryType::GPUShared);
    std::vector<Var> args = w.args();
    Var flat = args.front();
    for (size_t i = 1; i < args.size(); ++i) {
      Var fused(fmt::format("s{}_f{}", n, i));
      w.fuse(flat, args[i], fused);
      flat = fused;
    }
    Var sx(fmt::format("s{}_x", n)), so(fmt::format("s{}_o", n)), sy(fmt::format("s{}_y", n)),
        sz(fmt::format("s{}_z", n));
    w.split(flat, so, sx, threadsX, TailStrategy::GuardWithIf)
        .split(so, sz, sy, threadsY, TailStrategy::GuardWithIf)
        .gpu_threads(sx, sy);
    // Each thread's operands of one step of the chunk, in registers: loaded once, then used by
    // the whole register tile.
    Halide::Func regs = w.in(mm);
    regs.compute_at(mm, ki);
    for (const Var& v : regs.args())
      regs.unroll(v);
    ++n;
  }
  return true;
}

/// True when `op` is a 2-D convolution of one group with a 1x1 kernel, unit strides and no
/// padding: in NHWC it is a matmul of the pixels (rows) by the weights.
bool isPointwiseConv(const Op& op) {
  const auto& a = op.attr<ConvAttrs>();
  const auto& w = op.operands[1]->type.shape;
  if (a.group != 1 || w.size() != 4 || w[2] != 1 || w[3] != 1)
    return false;
  for (int64_t s : a.strides)
    if (s != 1)
      return false;
  for (int64_t pad : a.pads)
    if (pad != 0)
      return false;
  return true;
}

/// Direct convolution: CB channels x XW columns per thread (file comment).
void scheduleConvRegisterTiles(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  int64_t oc = t.shape[1], h = t.shape[2], w = t.shape[3];
  // A vector's lanes must read the same input channels (OpenCL C has no gathers: Halide's OpenCL
  // code generator fails on the shuffle): a grouped conv with several output channels per group
  // keeps one channel per thread, as a vector could straddle two groups. Depthwise convs (one
  // output channel per group) read lane c's own channel, a plain vector load.
  const int64_t group = p.anchor->attr<ConvAttrs>().group;
  const bool lanesShareInput = group == 1 || group == oc;
  int cb = lanesShareInput ? std::min(4, pow2Floor(oc)) : 1;
  int tc = pow2Floor(std::min<int64_t>(16, oc / cb));
  int xw = std::min(4, pow2Floor(w));
  int txt = pow2Floor(std::min<int64_t>(8, w / xw));
  int tyt = pow2Floor(std::min<int64_t>(h, std::max(1, 64 / (tc * txt))));
  while (tc * txt * tyt > target.gpu.maxWorkGroup) {
    if (tyt > 1)
      tyt /= 2;
    else if (txt > 1)
      txt /= 2;
    else
      tc /= 2;
  }
  Var n = axisVar(0), c = axisVar(1), y = axisVar(2), x = axisVar(3);
  Var cob("cob"), ci("ci"), ct("ct"), cr("cr"), xob("xob"), xi("xi"), xt("xt"), xr("xr");
  Var yob("yob"), yt("yt"), yn("yn");
  p.output.split(c, cob, ci, cb * tc, TailStrategy::ShiftInwards)
      .split(ci, ct, cr, cb, TailStrategy::ShiftInwards)
      .split(x, xob, xi, xw * txt, TailStrategy::ShiftInwards)
      .split(xi, xt, xr, xw, TailStrategy::ShiftInwards)
      .split(y, yob, yt, tyt, TailStrategy::ShiftInwards)
      .reorder(cr, xr, ct, xt, yt, cob, xob, yob, n)
      .fuse(yob, n, yn)
      .gpu_blocks(cob, xob, yn)
      .gpu_threads(ct, xt, yt)
      .unroll(xr);
  Halide::Func conv = p.anchorFunc.func;
  Halide::RDom r = *p.anchorFunc.rdom; // r[0] = kw, r[1] = kh, r[2] = ic
  conv.compute_at(p.output, ct).reorder(c, x, y, n).unroll(x);
  conv.update().reorder(c, x, r[2], r[0], r[1], y, n).unroll(x);
  // The CB channels of a thread are neighbours in NHWC and in the blocked HWIO weights: vectors.
  if (cb > 1) {
    p.output.vectorize(cr);
    conv.vectorize(c, cb);
    conv.update().vectorize(c, cb);
  }
}
} // namespace

bool scheduleGpuMatMul(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  if (!p.anchor || (p.anchor->kind != OpKind::MatMul && p.anchor->kind != OpKind::Gemm) ||
      t.rank() < 2 || t.layout != Layout::rowMajor || !anchorWithEpilogue(p))
    return false;
  int rank = t.rank();
  GemmView g;
  g.n = axisVar(rank - 1);
  g.m = axisVar(rank - 2);
  g.nExt = t.shape[rank - 1];
  g.mExt = t.shape[rank - 2];
  for (int i = rank - 3; i >= 0; --i)
    g.outer.push_back(axisVar(i));
  Halide::RDom r = *p.anchorFunc.rdom;
  const auto* k = r.x.extent().as<Halide::Internal::IntImm>();
  if (k == nullptr)
    return false;
  g.k = r.x;
  g.kExt = k->value;
  return scheduleStagedGemm(p, target, g);
}

bool scheduleGpuConv(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  if (!p.anchor || p.anchor->kind != OpKind::Conv || t.rank() != 4 || !anchorWithEpilogue(p))
    return false;
  Halide::RDom r = *p.anchorFunc.rdom;
  if (isPointwiseConv(*p.anchor)) {
    GemmView g;
    g.n = axisVar(1);
    g.m = axisVar(3);
    g.nExt = t.shape[1];
    g.mExt = t.shape[3];
    g.outer = {axisVar(2), axisVar(0)};
    g.k = r[2];
    g.kExt = p.anchor->operands[1]->type.shape[1];
    g.unit = {r[0], r[1]};
    if (scheduleStagedGemm(p, target, g))
      return true;
  }
  scheduleConvRegisterTiles(p, target);
  return true;
}

} // namespace dnncc::hl
