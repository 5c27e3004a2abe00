// Schedule strategies (see Schedule.h), tried in order, the generic one last: CPU ones here, GPU
// ones in GpuSchedule.cpp.
//
// The register-blocked strategies follow the shape that reaches a large fraction of peak in Halide's
// own apps/conv_layer and sgemm: vectorise across output channels (contiguous thanks to the NHWC /
// HWIO layouts chosen by passes/ChooseLayouts), accumulate a small tile of outputs (a few x
// positions times one or two vectors of channels) in registers over the whole reduction, and run
// rows in parallel.
#include "codegen/halide/Schedule.h"

#include "codegen/halide/GpuSchedule.h"

#include <limits>
#include <map>

#include <fmt/format.h>

namespace dnncc::hl {
namespace {
using Halide::TailStrategy;
using Halide::Var;

Var axisVar(int axis) { return Var(fmt::format("d{}", axis)); }

bool hasArg(const Halide::Func& f, const std::string& name) {
  for (const Var& v : f.args())
    if (v.name() == name)
      return true;
  return false;
}

/// True when update `u` of `f` writes along pure variable `name` (not through an RVar).
bool updateHasVar(const Halide::Func& f, int u, const std::string& name) {
  for (const Halide::Expr& e : f.update_args(u))
    if (const auto* v = e.as<Halide::Internal::Variable>(); v && v->name == name)
      return true;
  return false;
}

/// True when an update of `f` writes through something other than `f`'s own pure variables (a
/// scan along an RVar, a scatter to computed positions): such a stage touches positions that do
/// not follow the consumer's loop, so computing it per iteration of that loop would repeat it.
bool writesThroughComputedIndex(const Halide::Func& f) {
  for (int u = 0; u < f.num_update_definitions(); ++u)
    for (const Halide::Expr& e : f.update_args(u)) {
      const auto* v = e.as<Halide::Internal::Variable>();
      if (v == nullptr || !hasArg(f, v->name))
        return true;
    }
  return false;
}

/// Vector lanes for elements of `t` on `target`.
int lanes(const TargetInfo& target, DType t) {
  return std::max<int>(1, target.vectorBits / (8 * static_cast<int>(dtypeSize(t))));
}

/// Position in `order` (storage order, outer -> inner) of the innermost axis before `before`
/// with extent > 1, or -1.
int innermostNonTrivial(const TensorType& t, const std::vector<int>& order, int before) {
  for (int i = before - 1; i >= 0; --i)
    if (t.shape[order[i]] > 1)
      return i;
  return -1;
}

/// The output's loops in storage order (`order`, outer -> inner).
void loopsInStorageOrder(KernelPipeline& p, const std::vector<int>& order) {
  std::vector<Halide::VarOrRVar> loops;
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    loops.emplace_back(axisVar(*it));
  p.output.reorder(loops);
}

/// Threads over the outermost axis before position `before` of `order` with extent > 1, for
/// kernels with enough work.
void parallelOutermost(KernelPipeline& p, const std::vector<int>& order, int before) {
  for (int i = 0; i < before; ++i)
    if (p.outputType.shape[order[i]] > 1 && p.work >= kParallelWork) {
      p.output.parallel(axisVar(order[i]));
      return;
    }
}

/// Generic: loops in storage order, the innermost non-trivial storage axis vectorised, the
/// outermost non-trivial one parallel; reductions computed per iteration of the loop just outside
/// the vector loop, vectorised along the same axis where they have it. Always applies.
/// Whether reduction stage `f` belongs to an op whose loads are all clamped (TensorFunc::
/// readsClamped).
bool readsClamped(const KernelPipeline& p, const Halide::Func& f) {
  auto in = [&](const TensorFunc& t) {
    if (!t.readsClamped)
      return false;
    for (const Halide::Func& s : t.stages)
      if (s.name() == f.name())
        return true;
    return false;
  };
  if (p.anchor && in(p.anchorFunc))
    return true;
  for (const auto& t : p.others)
    if (in(t))
      return true;
  return false;
}

bool scheduleGeneric(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  int rank = t.rank();
  std::vector<Halide::Func> reductions = reductionStages(p);
  if (rank == 0) {
    for (auto& f : reductions)
      f.compute_root();
    return true;
  }
  std::vector<int> order = storageOrder(t.layout, rank); // outer -> inner
  loopsInStorageOrder(p, order);
  // The vector axis: innermost storage axis with extent > 1.
  int vecPos = innermostNonTrivial(t, order, rank);
  int vw = lanes(target, t.dtype);
  std::string vecName;
  // A kernel without reductions whose innermost axis is shorter than a vector (14x14 feature
  // maps, small heads) would run scalar: the innermost storage axes, contiguous in the output,
  // are fused until they fill a vector (a channel shuffle's [.., 14, 14] becomes one axis of 196).
  // Dense inputs index the fused axis affinely (their strides are compile-time constants), so
  // their loads stay dense vectors too.
  int fusedFrom = vecPos;
  if (vecPos > 0 && reductions.empty() && t.block == 0 && t.shape[order[vecPos]] < vw) {
    int64_t extent = t.shape[order[vecPos]];
    while (fusedFrom > 0 && extent < vw)
      extent *= t.shape[order[--fusedFrom]];
    if (extent >= vw) {
      Halide::Var fused = axisVar(order[vecPos]);
      for (int i = vecPos - 1; i >= fusedFrom; --i) {
        Halide::Var next(fmt::format("{}_{}", fused.name(), order[i]));
        p.output.fuse(fused, axisVar(order[i]), next);
        fused = next;
      }
      p.output.vectorize(fused, vw, TailStrategy::ShiftInwards);
    } else {
      fusedFrom = vecPos; // too small even fused: scalar, as before
    }
  } else if (vecPos >= 0) {
    int axis = order[vecPos];
    vecName = axisVar(axis).name();
    if (t.shape[axis] >= vw)
      p.output.vectorize(axisVar(axis), vw, TailStrategy::ShiftInwards);
  }
  // The loop reductions are computed in: next non-trivial axis outside the vector axis.
  int computePos = innermostNonTrivial(t, order, vecPos);
  // Threads over the outermost non-trivial axis outside the fused ones.
  parallelOutermost(p, order, fusedFrom);
  // Stages are listed producers first: one computed at root (a scan or scatter) may read the
  // stages before it, so those are computed at root too.
  size_t rootedPrefix = 0;
  for (size_t i = 0; i < reductions.size(); ++i)
    if (writesThroughComputedIndex(reductions[i]))
      rootedPrefix = i + 1;
  for (size_t i = 0; i < reductions.size(); ++i) {
    Halide::Func& f = reductions[i];
    if (computePos >= 0 && i >= rootedPrefix)
      f.compute_at(p.output, axisVar(order[computePos]));
    else
      f.compute_root();
    if (!vecName.empty() && hasArg(f, vecName)) {
      Var v(vecName);
      // Stages whose loads are all clamped compute whole vectors past the region needed (the
      // row buffer is allocated that large); the others guard the last one.
      TailStrategy tail = TailStrategy::GuardWithIf;
      if (readsClamped(p, f)) {
        f.align_bounds(v, vw);
        tail = TailStrategy::RoundUp;
      }
      f.vectorize(v, vw, tail);
      for (int u = 0; u < f.num_update_definitions(); ++u) {
        if (updateHasVar(f, u, vecName))
          f.update(u).vectorize(v, vw, tail);
        else
          f.update(u).unscheduled(); // writes along the vector axis through an RVar
      }
    }
  }
  return true;
}

/// The channel block of a register tile (a conv's output channels, a matmul's columns) over
/// `extent` channels: two vectors where there are that many, else one. With weights blocked by
/// `block` (ChooseLayouts), whole blocks: a block of two vectors; two blocks of one vector
/// (40 or 1000 channels, a multiple of a vector but not of two: a tile of one vector has as
/// many loads as multiply-adds, 50-60% of the FMA peak; a tile starting at a block boundary,
/// which ShiftInwards keeps for an extent that is a multiple of the block, reads two whole
/// blocks); exactly three vectors (24 channels on AVX2) as one tile of three blocks, which
/// computes no channel twice (ShuffleNetV2's first conv, 3 -> 24 channels: 29% -> 69% of the FMA
/// peak; MobileNetV2's 24-channel projections 49-54% -> 73-77%; dnncc-run --profile, one
/// thread); the block itself when the weights are 8-bit in groups (half a vector).
int channelBlock(int64_t extent, int64_t block, int64_t group, int vw) {
  if (block == vw && group == 0 && extent == 3 * vw)
    return 3 * vw;
  if (block == vw && group == 0 && extent >= 2 * vw)
    return 2 * vw;
  if (block > 0)
    return static_cast<int>(block);
  return extent >= 2 * vw ? 2 * vw : vw;
}

/// Width of a register tile with `accumulatorVectors` vectors per output position, at most as
/// wide as the registers allow (keeping four for the weight vectors, the broadcast input and
/// addresses) and `cap`: the width that covers `extent` (ShiftInwards recomputes the overlap of
/// the last tile) at the least cost. A tile's cost per reduction step, in half cycles of a core
/// with two FMA and two load ports: its multiply-adds (width x vectors), its loads (width
/// broadcasts + the weight vectors), or the FMA latency its accumulator chains wait for (4-5
/// cycles), whichever is largest. On ties the wider tile. With 16 registers and two vectors: 13
/// columns in 3 tiles 5 wide (not 6), 7 in 2 tiles 4 wide, 56 in 10 tiles 6 wide (measured per
/// layer with dnncc-run --profile on MobileNetV2, SqueezeNet and ResNet-50).
int tileWidth(const TargetInfo& target, int accumulatorVectors, int64_t extent, int cap) {
  int regs = std::max(4, target.vectorRegisters - 4);
  int widest = static_cast<int>(std::min<int64_t>({regs / accumulatorVectors, cap, extent}));
  widest = std::max(widest, 1);
  constexpr int64_t kLatency = 9; // half cycles
  int best = widest;
  int64_t bestCost = std::numeric_limits<int64_t>::max();
  for (int t = widest; t >= 1; --t) {
    int64_t step = std::max<int64_t>(
        {int64_t{t} * accumulatorVectors, int64_t{t} + accumulatorVectors, kLatency});
    int64_t cost = (extent + t - 1) / t * step;
    if (cost < bestCost) {
      best = t;
      bestCost = cost;
    }
  }
  return best;
}

/// A conv's accumulator tile (NHWC, output channels innermost like the vectors, small enough to
/// live in registers) computed per iteration of `loop` of `consumer`, accumulating over the whole
/// reduction `r` (r[0] = kw, r[1] = kh, r[2] = ic). With `group` > 0 (the 8-bit weights of an
/// integer conv stored in groups of input channels, TensorType::group) each step reduces `group`
/// input channels at once into every i32 lane: Halide matches that vector reduction of widening
/// 8-bit products to the dot-product instructions (vpdpbusd on AVX-512 VNNI; pmaddwd pairs
/// without it; sdot/udot on ARM with the dot-product extension).
void accumulatorTile(Halide::Func conv, const Halide::RDom& r, Halide::Func consumer,
                     const Var& loop, int vw, int group = 0) {
  Var n = axisVar(0), c = axisVar(1), y = axisVar(2), x = axisVar(3);
  conv.compute_at(consumer, loop)
      .reorder_storage(c, x, y, n)
      .reorder(c, x, y, n)
      .vectorize(c, vw)
      .unroll(c)
      .unroll(x);
  if (group > 0) {
    Halide::RVar ico("ico"), ici("ici");
    conv.update()
        .split(r[2], ico, ici, group)
        .reorder(ici, c, x, ico, r[0], r[1], y, n)
        .atomic()
        .vectorize(ici)
        .vectorize(c, vw)
        .unroll(c)
        .unroll(x);
    return;
  }
  conv.update().reorder(c, x, r[2], r[0], r[1], y, n).vectorize(c, vw).unroll(c).unroll(x);
}

/// A conv whose input is a row-major (NCHW) kernel argument of at least a vector of channels
/// (ShuffleNetV2's channel-shuffled maps, which must stay row-major so that the shuffle and the
/// channel split are views; a model input) reads it through an NHWC copy that the kernel makes
/// first, vectorised over channels. Reading NCHW, each step of a register tile loads its
/// columns' channel from another cache line, and a task's input rows (one line per channel) and
/// weights no longer fit in L1: ShuffleNetV2's last 1x1 conv (464 -> 1024 channels on 7x7)
/// reached 41% of the FMA peak reading NCHW and 69% reading NHWC (dnncc-run --profile, one
/// thread). The copy costs one pass over the input per call.
void repackInputNHWC(KernelPipeline& p, int vw) {
  const Value* in = p.anchor->operands[0];
  const TensorType& t = in->type;
  if (t.rank() != 4 || t.layout != Layout::rowMajor || t.shape[1] < vw ||
      p.anchor->attr<ConvAttrs>().group != 1 || p.anchorOperands.empty())
    return;
  // Computed in this kernel: a view (the reshapes of a channel shuffle) is repacked like an
  // argument; an element-wise prologue is computed per tile by the conv's schedule.
  for (const Op* op : p.otherOps)
    if (op->result == in && !hasTrait(op->kind, kAlias))
      return;
  Halide::Func copy = p.anchorOperands[0].func.in();
  std::vector<Var> a = copy.args(); // Halide order: innermost (W) first
  Var x = a[0], y = a[1], c = a[2], n = a[3];
  copy.compute_root()
      .reorder_storage(c, x, y, n)
      .reorder(c, x, y, n)
      .vectorize(c, vw, TailStrategy::GuardWithIf);
  if (t.numElements() >= kParallelBytes / 4)
    copy.parallel(y);
}

/// 2-D conv with an NHWC output: tile CB output channels (1-2 vectors) x TW output columns.
bool scheduleConvNHWC(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  if (!p.anchor || p.anchor->kind != OpKind::Conv || t.rank() != 4 || t.layout != Layout::nhwc)
    return false;
  // f32, or the i32 accumulators of an integer conv (whose epilogue may requantize the kernel's
  // output to 8 bits).
  DType acc = p.anchor->result->type.dtype;
  if (acc != DType::f32 && acc != DType::i32)
    return false;
  int vw = lanes(target, acc);
  int64_t oc = t.shape[1], w = t.shape[3];
  if (oc < vw)
    return false;
  const TensorType& wt = p.anchor->operands[1]->type;
  int cb = channelBlock(oc, wt.block, wt.group, vw);
  vw = std::min(vw, cb); // a block of half a vector (grouped 8-bit weights, ChooseLayouts.cpp)
  int tw = tileWidth(target, cb / vw, w, 8);
  Var n = axisVar(0), c = axisVar(1), y = axisVar(2), x = axisVar(3);
  Var co("co"), ci("ci"), xo("xo"), xi("xi");
  Halide::Func conv = p.anchorFunc.func;
  Halide::RDom r = *p.anchorFunc.rdom; // r[0] = kw, r[1] = kh, r[2] = ic
  // Channel blocks outermost: one block's weights (KH*KW*IC*CB floats) stay in L2 while every
  // row uses them; threads take (row, block) pairs.
  Var task("task");
  p.output.split(c, co, ci, cb, TailStrategy::ShiftInwards)
      .split(x, xo, xi, tw, TailStrategy::ShiftInwards)
      .reorder(ci, xi, xo, y, co, n)
      .fuse(y, co, task);
  if (p.work >= kParallelWork)
    p.output.parallel(task);
  p.output.vectorize(ci, vw).unroll(ci).unroll(xi);
  // An element-wise prologue the conv reads (fuse-elementwise puts one before a 1x1 conv: the
  // squeeze-excitation scale x * s) is computed per tile into a small buffer, IC channels x TW
  // columns vectorised over channels, which the tile's inner loop then loads like the input.
  std::map<std::string, Halide::Internal::Function> called =
      Halide::Internal::find_direct_calls(conv.function());
  for (TensorFunc& other : p.others)
    if (Halide::Func stage = other.func;
        called.count(stage.name()) && !stage.has_update_definition()) {
      stage.compute_at(p.output, xo).reorder_storage(c, x, y, n).reorder(c, x, y, n);
      if (p.anchor->operands[0]->type.shape[1] >= vw)
        stage.vectorize(c, vw, TailStrategy::GuardWithIf);
    }
  repackInputNHWC(p, vw);
  accumulatorTile(conv, r, p.output, xo, vw, static_cast<int>(p.anchor->operands[1]->type.group));
  return true;
}

/// A 1x1 conv (with its element-wise epilogue E) feeding a depthwise conv, in one kernel
/// (fuse-elementwise puts them together: an inverted residual block's expansion). Output NHWC,
/// tiled like scheduleConvNHWC: channel blocks of CB x TW columns. Each task takes one channel
/// block and a strip of output rows; walking down the strip it computes the rows of E that the
/// next output row needs and keeps the last KH of them (Halide's sliding window and storage
/// folding: a strip of a stride-1 conv computes each expanded row once, plus KH - 1 rows of
/// halo at its start). E is computed for the block's CB channels only (a depthwise conv reads
/// channel c for channel c), with the 1x1 conv's own register tile. The expanded tensor never
/// goes through memory: per task it lives in KH rows x W x CB floats.
bool scheduleConvChain(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  if (!p.anchor || p.anchor->kind != OpKind::Conv || t.rank() != 4 || t.layout != Layout::nhwc ||
      t.dtype != DType::f32)
    return false;
  int dwIndex = -1;
  for (size_t i = 0; i < p.otherOps.size(); ++i)
    if (p.otherOps[i]->kind == OpKind::Conv)
      dwIndex = static_cast<int>(i);
  if (dwIndex < 0)
    return false;
  const Op* dw = p.otherOps[dwIndex];
  const Value* expanded = dw->operands[0];
  // E: the Func of the value the depthwise conv reads (the 1x1 conv itself when it has no
  // epilogue: then a wrapper, so that the conv's accumulator tile can sit inside E's loops).
  Halide::Func conv1 = p.anchorFunc.func;
  Halide::Func e;
  if (expanded == p.anchor->result) {
    e = conv1.in();
  } else {
    for (size_t i = 0; i < p.otherOps.size(); ++i)
      if (p.otherOps[i]->result == expanded)
        e = p.others[i].func;
  }
  if (!e.defined() || e.has_update_definition())
    return false;
  int vw = lanes(target, t.dtype);
  int64_t channels = t.shape[1], rows = t.shape[2], w = t.shape[3];
  int64_t inWidth = expanded->type.shape[3];
  if (channels < vw)
    return false;
  int cb = channelBlock(channels, dw->operands[1]->type.block, 0, vw);
  int tw = tileWidth(target, cb / vw, w, 8);
  int ew = tileWidth(target, cb / vw, inWidth, 8);
  // Rows per task: whole columns of the output when there are enough channel blocks to keep
  // the threads busy, else strips (each recomputing KH - 1 halo rows of E).
  int64_t blocks = (channels + cb - 1) / cb;
  constexpr int64_t kMinTasks = 8;
  int64_t strips = std::min(rows, (kMinTasks + blocks - 1) / blocks);
  int strip = static_cast<int>((rows + strips - 1) / strips);
  Var n = axisVar(0), c = axisVar(1), y = axisVar(2), x = axisVar(3);
  Var co("co"), ci("ci"), yo("yo"), yi("yi"), xo("xo"), xi("xi"), task("task");
  p.output.split(c, co, ci, cb, TailStrategy::ShiftInwards)
      .split(y, yo, yi, strip, TailStrategy::ShiftInwards)
      .split(x, xo, xi, tw, TailStrategy::ShiftInwards)
      .reorder(ci, xi, xo, yi, yo, co, n)
      .fuse(yo, co, task);
  if (p.work >= kParallelWork)
    p.output.parallel(task);
  p.output.vectorize(ci, vw).unroll(ci).unroll(xi);
  // The depthwise accumulators: a TW x CB tile in registers, as in scheduleConvNHWC.
  accumulatorTile(p.others[dwIndex].func, *p.others[dwIndex].rdom, p.output, xo, vw);
  // E: rows computed as the strip advances, kept for the whole task (sliding window).
  Var ex("ex"), exi("exi");
  e.store_at(p.output, task)
      .compute_at(p.output, yi)
      .reorder_storage(c, x, y, n)
      .split(x, ex, exi, ew, TailStrategy::ShiftInwards)
      .reorder(c, exi, ex, y, n)
      .vectorize(c, vw)
      .unroll(c)
      .unroll(exi);
  // The 1x1 conv's accumulators: CB channels x EW columns of E per tile.
  repackInputNHWC(p, vw);
  accumulatorTile(conv1, *p.anchorFunc.rdom, e, ex, vw);
  return true;
}

/// matmul / gemm with a row-major output: tile NB columns (1-2 vectors) x TM rows.
bool scheduleMatMul(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  if (!p.anchor || (p.anchor->kind != OpKind::MatMul && p.anchor->kind != OpKind::Gemm) ||
      t.rank() < 2 || t.layout != Layout::rowMajor)
    return false;
  // f32, or the i32 accumulators of an integer matmul (requantized by the epilogue).
  DType acc = p.anchor->result->type.dtype;
  if (acc != DType::f32 && acc != DType::i32)
    return false;
  int rank = t.rank();
  int vw = lanes(target, acc);
  int64_t nExt = t.shape[rank - 1], mExt = t.shape[rank - 2];
  const TensorType& bt = p.anchor->operands[1]->type;
  if (nExt < std::min<int64_t>(vw, bt.block > 0 ? bt.block : vw))
    return false;
  int nb = channelBlock(nExt, bt.block, bt.group, vw);
  vw = std::min(vw, nb); // a block of half a vector (grouped 8-bit weights, ChooseLayouts.cpp)
  int tm = tileWidth(target, nb / vw, mExt, 6);
  Var n = axisVar(rank - 1), m = axisVar(rank - 2);
  Var no("no"), ni("ni"), mo("mo"), mi("mi");
  Halide::Func mm = p.anchorFunc.func;
  Halide::RDom r = *p.anchorFunc.rdom;
  // Column panels outermost: one panel of B (K x NB) stays in L2 while every row tile uses it.
  std::vector<Halide::VarOrRVar> outLoops{ni, mi, mo};
  for (int i = rank - 3; i >= 0; --i)
    outLoops.emplace_back(axisVar(i));
  outLoops.emplace_back(no);
  p.output.split(n, no, ni, nb, TailStrategy::ShiftInwards)
      .split(m, mo, mi, tm, TailStrategy::ShiftInwards)
      .reorder(outLoops)
      .vectorize(ni, vw)
      .unroll(ni)
      .unroll(mi);
  bool batched = t.numElements() / (nExt * mExt) > 1;
  Var task("task");
  // A matmul with fewer rows than a register tile (a classifier's [1, K] x [K, N]) streams B
  // once with no reuse: it is bound by the bytes of B, not by multiply-adds, and two cores read
  // them faster than one (shufflenet_v2's 1024x1000 classifier, 1.02M multiply-adds: 0.12-0.16
  // ms on one core, 0.07 ms on two, measured with dnncc-run --profile).
  bool streamsB = mExt <= tm && p.anchor->operands[1]->type.byteSize() >= kParallelBytes;
  bool threads = p.work >= kParallelWork || streamsB;
  if (!batched) {
    p.output.fuse(mo, no, task);
    if (threads)
      p.output.parallel(task);
  } else if (threads) {
    p.output.parallel(no);
  }
  Var tile = batched ? mo : task; // the loop over register tiles
  std::vector<Halide::VarOrRVar> mmLoops{n, m};
  for (int i = rank - 3; i >= 0; --i)
    mmLoops.emplace_back(axisVar(i));
  mm.compute_at(p.output, tile).reorder(mmLoops).vectorize(n, vw).unroll(n).unroll(m);
  if (bt.group > 0 && bt.rank() == 2) {
    // 8-bit B in groups of K (TensorType::group): each step reduces a group into every i32 lane,
    // the dot-product instructions' form (see accumulatorTile).
    Halide::RVar ko("ko"), ki("ki");
    std::vector<Halide::VarOrRVar> updLoops{ki, n, m, ko};
    for (int i = rank - 3; i >= 0; --i)
      updLoops.emplace_back(axisVar(i));
    mm.update()
        .split(r.x, ko, ki, static_cast<int>(bt.group))
        .reorder(updLoops)
        .atomic()
        .vectorize(ki)
        .vectorize(n, vw)
        .unroll(n)
        .unroll(m);
    return true;
  }
  std::vector<Halide::VarOrRVar> updLoops{n, m, r.x};
  for (int i = rank - 3; i >= 0; --i)
    updLoops.emplace_back(axisVar(i));
  mm.update().reorder(updLoops).vectorize(n, vw).unroll(n).unroll(m);
  return true;
}

/// The axis a row-wise normalisation reduces over (softmax, log_softmax, layer_norm over one
/// axis), or -1 for any other op.
int rowReductionAxis(const Op& op) {
  if (op.kind == OpKind::Softmax || op.kind == OpKind::LogSoftmax)
    return static_cast<int>(op.attr<AxisAttrs>().axis);
  if (op.kind == OpKind::LayerNorm && op.attr<LayerNormAttrs>().axis == op.result->type.rank() - 1)
    return op.result->type.rank() - 1;
  return -1;
}

/// softmax / log_softmax / layer_norm over the innermost storage axis (attention scores
/// [B, H, S, S], a transformer's or ConvNeXt's channels): rows in storage order, each row's
/// reductions (max and sum; sum and sum of squares) computed in vectors (rfactor: VW partial
/// results, then a horizontal step), and full-rank intermediate stages (softmax's exponentials)
/// computed once per element, vectorised, into a row buffer. The generic schedule reduced each
/// row with scalar code and computed every exponential twice: bert_tiny's four softmaxes took 17%
/// of its run.
bool scheduleRowReductions(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  if (!p.anchor || t.block != 0 || t.rank() == 0 || !isFloat(t.dtype) || t.dtype == DType::f64)
    return false;
  int axis = rowReductionAxis(*p.anchor);
  int rank = t.rank();
  if (axis < 0 || p.anchor->result->type.layout != t.layout)
    return false;
  std::vector<int> order = storageOrder(t.layout, rank);
  int vw = lanes(target, t.dtype);
  int64_t extent = t.shape[axis];
  if (order.back() != axis || extent < vw || extent % vw != 0)
    return false;
  loopsInStorageOrder(p, order);
  p.output.vectorize(axisVar(axis), vw, TailStrategy::ShiftInwards);
  // The row loop: the next non-trivial axis outside the reduced one (none: one row, at root).
  int rowPos = innermostNonTrivial(t, order, rank - 1);
  parallelOutermost(p, order, rowPos);
  auto at = [&](Halide::Func f) {
    if (rowPos >= 0)
      f.compute_at(p.output, axisVar(order[rowPos]));
    else
      f.compute_root();
  };
  Halide::RDom r = *p.anchorFunc.rdom;
  const std::string vecName = axisVar(axis).name();
  for (Halide::Func f : p.anchorFunc.stages) {
    if (f.name() == p.anchorFunc.func.name())
      continue; // the result: inlined into the output
    if (f.has_update_definition()) {
      Halide::RVar ro("ro"), ri("ri");
      Var u("u");
      Halide::Func partial = f.update().split(r.x, ro, ri, vw).rfactor(ri, u);
      at(f);
      partial.compute_at(f, Halide::Var::outermost()).vectorize(u);
      partial.update().vectorize(u);
    } else if (hasArg(f, vecName)) {
      at(f);
      f.vectorize(axisVar(axis), vw);
    }
  }
  return true;
}

/// softmax / log_softmax over an axis other than the innermost storage axis (a detector's box
/// distributions: [1, 4, 16, A] over the 16 bins): vectors along the innermost storage axis, and
/// per vector of VW positions the max, the exponentials (extent x VW) and the sum computed once
/// (at that vector's loop) before the extent x VW results. The generic schedule computed them per
/// output element along the axis: extent times the work (YOLO's box decoding at 0.1 GFLOP/s).
bool scheduleAxisReductions(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  if (!p.anchor || t.block != 0 || t.rank() < 2 || !isFloat(t.dtype) || t.dtype == DType::f64 ||
      (p.anchor->kind != OpKind::Softmax && p.anchor->kind != OpKind::LogSoftmax))
    return false;
  int axis = rowReductionAxis(*p.anchor);
  int rank = t.rank();
  std::vector<int> order = storageOrder(t.layout, rank);
  int inner = order.back();
  int vw = lanes(target, t.dtype);
  if (p.anchor->result->type.layout != t.layout || axis == inner || t.shape[inner] < vw)
    return false;
  // Loops, inner -> outer: the vector, the reduced axis, the vectors, the other axes.
  Var xo("xo"), xi("xi");
  p.output.split(axisVar(inner), xo, xi, vw, TailStrategy::ShiftInwards);
  std::vector<Halide::VarOrRVar> loops{xi, axisVar(axis), xo};
  for (auto it = order.rbegin() + 1; it != order.rend(); ++it)
    if (*it != axis)
      loops.emplace_back(axisVar(*it));
  p.output.reorder(loops).vectorize(xi);
  // Threads over the outermost axis with more than one index (else over the vectors).
  if (p.work >= kParallelWork) {
    auto outer = std::find_if(order.begin(), order.end() - 1,
                              [&](int a) { return a != axis && t.shape[a] > 1; });
    p.output.parallel(outer != order.end() - 1 ? Halide::VarOrRVar(axisVar(*outer))
                                               : Halide::VarOrRVar(xo));
  }
  const std::string vecName = axisVar(inner).name();
  for (Halide::Func f : p.anchorFunc.stages) {
    if (f.name() == p.anchorFunc.func.name() || !hasArg(f, vecName))
      continue; // the result: inlined into the output
    Var v(vecName);
    f.compute_at(p.output, xo).vectorize(v, vw);
    for (int u = 0; u < f.num_update_definitions(); ++u)
      f.update(u).vectorize(v, vw);
  }
  return true;
}

/// A kernel whose output is written once through update definitions (concat): each update is
/// vectorised along the innermost storage axis where it writes along it, and run in parallel over
/// the outermost non-trivial axis it writes along.
bool scheduleUpdatesOnly(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  if (!p.output.has_update_definition() || p.output.name() == "output" || t.rank() == 0)
    return false;
  std::vector<int> order = storageOrder(t.layout, t.rank());
  int vw = lanes(target, t.dtype);
  for (int u = 0; u < p.output.num_update_definitions(); ++u) {
    Halide::Stage s = p.output.update(u);
    std::vector<Halide::VarOrRVar> loops;
    for (auto it = order.rbegin(); it != order.rend(); ++it)
      if (updateHasVar(p.output, u, axisVar(*it).name()))
        loops.emplace_back(axisVar(*it));
    // Pure axes in storage order, innermost first, then the RVar axis outermost.
    if (loops.size() > 1)
      s.reorder(loops);
    int inner = order.back();
    // As in scheduleGeneric: inner axes shorter than a vector are fused with the next ones
    // (contiguous in the output) that the update also writes along.
    std::vector<int> fusedAxes{inner};
    if (updateHasVar(p.output, u, axisVar(inner).name()) && t.block == 0) {
      int64_t extent = t.shape[inner];
      for (int i = static_cast<int>(order.size()) - 2; i >= 0 && extent < vw; --i) {
        if (!updateHasVar(p.output, u, axisVar(order[i]).name()))
          break;
        extent *= t.shape[order[i]];
        fusedAxes.push_back(order[i]);
      }
      if (extent < vw)
        fusedAxes.resize(1);
    }
    Halide::Var vec = axisVar(inner);
    for (size_t i = 1; i < fusedAxes.size(); ++i) {
      Halide::Var next(fmt::format("{}_{}", vec.name(), fusedAxes[i]));
      s.fuse(vec, axisVar(fusedAxes[i]), next);
      vec = next;
    }
    int64_t vecExtent = 1;
    for (int axis : fusedAxes)
      vecExtent *= t.shape[axis];
    if (updateHasVar(p.output, u, axisVar(inner).name()) && vecExtent >= vw)
      s.vectorize(vec, vw, TailStrategy::GuardWithIf);
    for (int axis : order)
      if (std::find(fusedAxes.begin(), fusedAxes.end(), axis) == fusedAxes.end() &&
          t.shape[axis] > 1 && updateHasVar(p.output, u, axisVar(axis).name())) {
        if (p.work >= kParallelWork)
          s.parallel(axisVar(axis));
        break;
      }
  }
  return true;
}

struct Strategy {
  const char* name;
  bool (*apply)(KernelPipeline&, const TargetInfo&);
};
// Ordered by priority; the generic strategy always applies and comes last.
// clang-format off
const Strategy kStrategies[] = {
    {"conv_chain", scheduleConvChain},
    {"conv_nhwc_tiled", scheduleConvNHWC},
    {"matmul_tiled", scheduleMatMul},
    {"row_reductions", scheduleRowReductions},
    {"axis_reductions", scheduleAxisReductions},
    {"updates_only", scheduleUpdatesOnly},
    {"generic", scheduleGeneric},
};
// clang-format on
// GPU targets: every stage on the device; the generic strategy always applies.
const Strategy kGpuStrategies[] = {
    {"gpu_conv_tiled", scheduleGpuConv},
    {"gpu_matmul_tiled", scheduleGpuMatMul},
    {"gpu_generic", scheduleGpuGeneric},
};
} // namespace

std::vector<Halide::Func> reductionStages(const KernelPipeline& p) {
  std::vector<Halide::Func> out;
  auto add = [&](const TensorFunc& t) {
    for (const Halide::Func& f : t.stages)
      if (f.has_update_definition() && f.name() != p.output.name())
        out.push_back(f);
  };
  if (p.anchor)
    add(p.anchorFunc);
  for (const auto& t : p.others)
    add(t);
  return out;
}

int64_t estimateWork(const std::vector<const Op*>& ops) {
  int64_t work = 0;
  for (const Op* op : ops)
    work += algorithmRow(op->kind).work(*op);
  return work;
}

std::string scheduleKernel(KernelPipeline& p, const TargetInfo& target) {
  if (target.isGpu()) {
    for (const Strategy& s : kGpuStrategies)
      if (s.apply(p, target))
        return s.name;
    return "none";
  }
  for (const Strategy& s : kStrategies)
    if (s.apply(p, target))
      return s.name;
  return "none";
}

} // namespace dnncc::hl
