// The reference evaluator: an op's Halide algorithm JIT-compiled for the host with a plain
// schedule. It folds constants and checks rewrites; it never decides how fast anything runs.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "ir/Evaluator.h"

namespace Halide {
struct Target;
}

namespace dnncc::hl {

/// The target of every JIT compilation (this evaluator, the unit tests): the `host` target of
/// hostTargetChoice() (codegen/HostTarget.h), which uses no extension the running CPU lacks.
/// Halide's own default JIT target (get_jit_target_from_environment) may, on AMD Zen 4.
Halide::Target jitTarget();

class HalideEvaluator : public ConstantEvaluator {
public:
  HalideEvaluator();
  ~HalideEvaluator() override;
  /// See ConstantEvaluator. Compiled pipelines are cached by op signature (kind, attributes,
  /// operand and result types), so repeated shape arithmetic compiles once.
  Expected<std::shared_ptr<const std::vector<uint8_t>>> evaluate(const Op& op) override;
  /// Number of JIT compilations so far (for -v and tests).
  int compilations() const { return compilations_; }

private:
  struct Compiled;
  Expected<std::shared_ptr<const std::vector<uint8_t>>> evaluateLocked(const Op& op);
  std::map<std::string, std::unique_ptr<Compiled>> cache_;
  std::mutex mutex_;
  int compilations_ = 0;
};

} // namespace dnncc::hl
