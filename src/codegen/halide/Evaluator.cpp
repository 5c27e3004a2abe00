// JIT evaluation of single ops through their Halide algorithms (see Evaluator.h).
#include "codegen/halide/Evaluator.h"

#include <cstring>

#include <fmt/format.h>

#include "codegen/HostTarget.h"
#include "codegen/halide/Algorithm.h"
#include "codegen/halide/Kernel.h"
#include "ir/Text.h"

namespace dnncc::hl {

struct HalideEvaluator::Compiled {
  std::vector<Halide::ImageParam> params;
  Halide::Pipeline pipeline;
};

Halide::Target jitTarget() { return Halide::Target(hostTargetChoice().halideTarget); }

HalideEvaluator::HalideEvaluator() = default;
HalideEvaluator::~HalideEvaluator() = default;

namespace {
/// The evaluator lowers like a CPU kernel: f16 is Float(16), computed in f32 with exact
/// conversions.
const Lowering kEvaluatorLowering{};

std::vector<int> halideSizes(const TensorType& t) {
  return std::vector<int>(t.shape.rbegin(), t.shape.rend());
}

std::string signature(const Op& op) {
  std::string s = fmt::format("{}{}", opName(op.kind), printAttrs(op.attrs));
  for (const Value* v : op.operands) {
    s += ";" + toString(v->type);
    // Algorithms may specialise on small constant operands (pow's exponent): key on their bytes.
    if (v->isConstant() && v->type.numElements() == 1)
      for (uint8_t b : *v->data)
        s += fmt::format("{:02x}", b);
  }
  return s + "->" + toString(op.result->type);
}
} // namespace

Expected<std::shared_ptr<const std::vector<uint8_t>>> HalideEvaluator::evaluate(const Op& op) {
  std::lock_guard<std::mutex> lock(mutex_);
  setHalideWarningSink(nullptr); // installs the reporter: Halide never prints
  try {
    return evaluateLocked(op);
  } catch (const Halide::Error& e) {
    return Status::error(fmt::format("evaluating {} failed: {}", opName(op.kind), e.what()));
  }
}

Expected<std::shared_ptr<const std::vector<uint8_t>>>
HalideEvaluator::evaluateLocked(const Op& op) {
  std::string key = signature(op);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    auto c = std::make_unique<Compiled>();
    std::vector<TensorFunc> operands;
    for (size_t i = 0; i < op.operands.size(); ++i) {
      const TensorType& t = op.operands[i]->type;
      c->params.emplace_back(halideType(t.dtype, kEvaluatorLowering), t.rank(),
                             fmt::format("in{}", i));
      operands.push_back(wrapFunc(c->params.back(), t));
    }
    DNNCC_ASSIGN_OR_RETURN(TensorFunc result, defineOp(op, operands, kEvaluatorLowering));
    for (Halide::Func& f : result.stages)
      f.compute_root();
    // The JIT looks the output up by its Func's name, which fails for an op named like a C math
    // function (atan, tanh): the pipeline's output is a copy under a name no library uses.
    std::vector<Halide::Var> args = result.func.args();
    Halide::Func output("dnncc_evaluated");
    output(args) = result.func(args);
    c->pipeline = Halide::Pipeline(output);
    ++compilations_;
    it = cache_.emplace(key, std::move(c)).first;
  }
  Compiled& c = *it->second;
  for (size_t i = 0; i < op.operands.size(); ++i) {
    const Value* v = op.operands[i];
    // Halide reads the bytes without writing them; the const_cast is for its buffer type.
    Halide::Buffer<> b(halideType(v->type.dtype, kEvaluatorLowering),
                       const_cast<uint8_t*>(v->data->data()), halideSizes(v->type));
    c.params[i].set(b);
  }
  const TensorType& rt = op.result->type;
  auto out = std::make_shared<std::vector<uint8_t>>(rt.byteSize());
  Halide::Buffer<> ob(halideType(rt.dtype, kEvaluatorLowering), out->data(), halideSizes(rt));
  c.pipeline.realize(Halide::Realization(ob), jitTarget());
  return std::shared_ptr<const std::vector<uint8_t>>(std::move(out));
}

} // namespace dnncc::hl
