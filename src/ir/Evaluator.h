// The interface through which passes and importers fold ops on constants. The implementation is the
// ops' Halide algorithms JIT-compiled for the host (codegen/halide/Evaluator), injected by the tool,
// so ir/ and passes/ never see Halide.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ir/IR.h"

namespace dnncc {

class ConstantEvaluator {
public:
  virtual ~ConstantEvaluator() = default;
  /// Computes the result bytes (rowMajor, op.result->type.byteSize() long) of `op`, all of whose
  /// operands are constants. Errors for ops or types the evaluator cannot run.
  virtual Expected<std::shared_ptr<const std::vector<uint8_t>>> evaluate(const Op& op) = 0;
};

/// Folds `op` (all operands constant) into a new constant of `m`: alias ops reuse the operand's
/// bytes, everything else goes through `evaluator`. Does not remove the op.
Expected<Value*> foldToConstant(Module& m, const Op& op, ConstantEvaluator& evaluator);

} // namespace dnncc
