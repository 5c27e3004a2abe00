// GPU schedule strategies (see Schedule.h): every stage of a kernel that is not inlined runs on
// the device, so a model's intermediates never leave it. The same schedules serve OpenCL (Mali,
// AMD, Intel, PoCL) and CUDA; work-group sizes come from the target's gpu.max_work_group.
//
// The shape: the output's points, flattened in storage order (innermost first, so neighbouring
// work-items touch neighbouring addresses), are split into work-groups of threads. A reduction
// whose points map one-to-one onto the output's (conv, matmul, pooling, a keepdims reduction)
// runs inside each thread, accumulating in registers over its whole reduction domain (direct
// convolution). Other reductions (softmax's max and sum, a reduction feeding a broadcast) run as
// their own device loop nest over their points first. A stage that writes through computed
// positions (scatter, scan along a reduction axis) runs in one device thread: correct, slow, and
// rare in inference graphs.
#include "codegen/halide/GpuSchedule.h"

#include <fmt/format.h>

namespace dnncc::hl {
namespace {
using Halide::TailStrategy;
using Halide::Var;

/// Threads per work-group: as many as the device allows, at most 256 (enough to hide latency on
/// every GPU dnncc targets; larger groups only constrain the occupancy).
int groupSize(const TargetInfo& target, int64_t points) {
  int64_t t = std::min<int64_t>(256, target.gpu.maxWorkGroup);
  // Small stages: one work-group of whole warps / wavefronts (gpu.simd_width) that covers them:
  // a partly filled wavefront still occupies all its lanes.
  const int64_t w = target.gpu.simdWidth;
  if (points < t)
    t = std::max<int64_t>(1, std::min<int64_t>(t, (points + w - 1) / w * w));
  return static_cast<int>(t);
}

/// Positions (in `f`'s argument list) whose update `u` writes along the pure variable of the same
/// position: those loops are independent across threads.
std::vector<int> pureUpdatePositions(const Halide::Func& f, int u) {
  std::vector<int> out;
  std::vector<Halide::Expr> lhs = f.update_args(u);
  std::vector<Var> args = f.args();
  for (size_t i = 0; i < lhs.size() && i < args.size(); ++i)
    if (const auto* v = lhs[i].as<Halide::Internal::Variable>(); v && v->name == args[i].name())
      out.push_back(static_cast<int>(i));
  return out;
}

/// Flattens `vars` (innermost first) of `stage` into one loop and spreads it over work-groups of
/// `threads` threads. Returns the thread variable.
Var tileFlat(Halide::Stage stage, const std::vector<Var>& vars, int threads,
             const std::string& tag) {
  Var flat = vars.front();
  for (size_t i = 1; i < vars.size(); ++i) {
    Var fused(fmt::format("{}_f{}", tag, i));
    stage.fuse(flat, vars[i], fused);
    flat = fused;
  }
  Var block(tag + "_block"), thread(tag + "_thread");
  stage.gpu_tile(flat, block, thread, threads, TailStrategy::GuardWithIf);
  return thread;
}

/// Runs `f` (a stage with updates, computed at the root of the kernel) on the device: its pure
/// definition and every update over their pure points, the reduction loops inside each thread.
void scheduleRootOnDevice(Halide::Func f, const TargetInfo& target, int64_t points,
                          const std::string& tag) {
  f.compute_root();
  std::vector<Var> args = f.args();
  int threads = groupSize(target, points);
  if (args.empty())
    f.gpu_single_thread();
  else
    tileFlat(f, args, threads, tag + "_p");
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    std::vector<Var> pure;
    for (int i : pureUpdatePositions(f, u))
      pure.push_back(args[static_cast<size_t>(i)]);
    if (pure.empty())
      f.update(u).gpu_single_thread();
    else
      tileFlat(f.update(u), pure, threads, fmt::format("{}_u{}", tag, u));
  }
}

/// True when every update of `f` writes along all of its pure variables at their own positions:
/// one point of `f` is then computed entirely by whoever computes that point.
bool updatesArePointwise(const Halide::Func& f) {
  for (int u = 0; u < f.num_update_definitions(); ++u)
    if (pureUpdatePositions(f, u).size() != f.args().size())
      return false;
  return true;
}

/// Elements of a stage that is an op's result (its TensorType says), or -1 for an op's internal
/// stage (Halide knows its bounds only after bounds inference).
int64_t elementsOf(const KernelPipeline& p, const Halide::Func& f) {
  auto find = [&](const TensorFunc& t) -> int64_t {
    for (const Halide::Func& s : t.stages)
      if (s.name() == f.name() && s.name() == t.func.name())
        return t.type.numElements();
    return -1;
  };
  if (p.anchor)
    if (int64_t n = find(p.anchorFunc); n >= 0)
      return n;
  for (const auto& t : p.others)
    if (int64_t n = find(t); n >= 0)
      return n;
  return -1;
}
} // namespace

bool scheduleGpuGeneric(KernelPipeline& p, const TargetInfo& target) {
  const TensorType& t = p.outputType;
  int64_t points = std::max<int64_t>(1, t.numElements());
  // The output: flattened in storage order, innermost first.
  Var thread;
  bool perThread = false;
  if (t.rank() == 0) {
    p.output.gpu_single_thread();
  } else {
    std::vector<int> order = storageOrder(t.layout, t.rank()); // outer -> inner
    std::vector<Var> vars;
    std::vector<Halide::VarOrRVar> loops;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      vars.emplace_back(fmt::format("d{}", *it));
      loops.emplace_back(vars.back());
    }
    if (p.output.has_update_definition()) {
      // Written once through updates (concat): the output is a root stage like any other.
      scheduleRootOnDevice(p.output, target, points, "out");
    } else {
      if (vars.size() > 1)
        p.output.reorder(loops);
      thread = tileFlat(p.output, vars, groupSize(target, points), "out");
      perThread = true;
    }
  }
  int n = 0;
  for (Halide::Func& f : reductionStages(p)) {
    int64_t elements = elementsOf(p, f);
    bool oneToOne = perThread && elements == t.numElements() && updatesArePointwise(f);
    if (oneToOne)
      f.compute_at(p.output, thread); // registers of the thread that computes the output point
    else
      scheduleRootOnDevice(f, target, elements > 0 ? elements : points, fmt::format("r{}", n++));
  }
  return true;
}

} // namespace dnncc::hl
