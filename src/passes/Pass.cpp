// Pass registry (from Passes.def) and the pipeline driver.
#include "passes/Pass.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "ir/Text.h"

namespace dnncc {
namespace {
struct PassRow {
  std::string_view name;
  std::string_view summary;
  std::unique_ptr<Pass> (*make)();
};
const PassRow kPasses[] = {
#define DNNCC_PASS(Class, passName, passSummary)                                                   \
  {passName, passSummary, []() -> std::unique_ptr<Pass> { return std::make_unique<Class>(); }},
#include "passes/Passes.def"
};
} // namespace

std::vector<const Op*> outputProducers(const Module& m) {
  std::vector<const Op*> ops;
  for (const Value* v : m.outputs) {
    while (v->producer && v->producer->kind == OpKind::Reshape && v->producer->group < 0)
      v = v->producer->operands[0];
    ops.push_back(v->producer);
  }
  return ops;
}

bool isView(const Op* op) {
  if (!op || op->group >= 0)
    return false;
  return op->kind == OpKind::Reshape || op->kind == OpKind::Slice ||
         (op->kind == OpKind::Transpose && transposeKeepsBytes(*op, op->result->type.layout));
}

bool isWrittenInPlace(const Op* op) {
  return op && op->group < 0 &&
         (op->kind == OpKind::Concat || (op->kind == OpKind::Transpose && !isView(op)));
}

std::vector<const Op*> inPlaceChain(const Module& m, const Op& concat,
                                    const std::function<bool(const Op&)>& accept) {
  std::vector<int> uses = m.useCounts();
  std::vector<const Op*> chain{&concat};
  size_t last = 0; // the last op that moves bytes
  for (;;) {
    const Value* v = chain.back()->result;
    if (uses[v->id] != 1)
      break;
    const Op* next = nullptr;
    for (const auto& op : m.ops)
      if (std::find(op->operands.begin(), op->operands.end(), v) != op->operands.end())
        next = op.get();
    bool reshapeView = next && next->kind == OpKind::Reshape && next->group < 0;
    bool transpose = next && next->kind == OpKind::Transpose && accept(*next);
    if (!reshapeView && !transpose)
      break;
    chain.push_back(next);
    if (transpose && !transposeKeepsBytes(*next, next->result->type.layout))
      last = chain.size() - 1;
  }
  chain.resize(last + 1);
  return chain;
}

std::vector<std::pair<std::string_view, std::string_view>> listPasses() {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (const auto& p : kPasses)
    out.emplace_back(p.name, p.summary);
  return out;
}

Expected<std::vector<std::unique_ptr<Pass>>> parsePipeline(std::string_view list) {
  std::vector<std::unique_ptr<Pass>> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view name = list.substr(start, comma == std::string_view::npos ? list.npos
                                                                               : comma - start);
    if (!name.empty()) {
      const PassRow* row = nullptr;
      for (const auto& p : kPasses)
        if (p.name == name)
          row = &p;
      if (!row) {
        std::vector<std::string_view> names;
        for (const auto& p : kPasses)
          names.push_back(p.name);
        return Status::error(fmt::format("unknown pass '{}'; passes: {}", name,
                                         fmt::join(names, ", ")));
      }
      out.push_back(row->make());
    }
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return out;
}

Status runPipeline(Module& m, const std::vector<std::unique_ptr<Pass>>& passes, PassContext& ctx,
                   const PipelineOptions& options) {
  for (const auto& pass : passes) {
    auto start = std::chrono::steady_clock::now();
    Status s = pass->run(m, ctx);
    if (!s.isOk())
      return s.withDefaults({m.sourceFile});
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
    if (options.timePasses && options.out)
      options.out(fmt::format("pass {:<18} {:9.1f} ms", pass->name(), ms));
    if (options.verifyEach) {
      Status v = verify(m);
      if (!v.isOk())
        return Status::error(fmt::format("internal error: the IR is invalid after pass '{}': {}",
                                         pass->name(), v.format()));
    }
    if (options.out && (options.printAfter.count(pass->name()) || options.printAfter.count("all")))
      options.out(fmt::format("// ----- IR after {} -----\n{}", pass->name(), print(m)));
  }
  return Status::ok();
}

} // namespace dnncc
