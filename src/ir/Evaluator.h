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

/// Folding an op whose result is larger than this (64 MiB) and more than four times its
/// operands' bytes is refused: an Expand, Tile or ConstantOfShape of a hostile model would
/// otherwise allocate its whole result at compile time and store it in the library. Such an op
/// stays a kernel. (Casts and transposes of large weights still fold.)
inline constexpr int64_t kMaxFoldExpansionBytes = int64_t{64} << 20;

/// Folds `op` (all operands constant) into a new constant of `m`: alias ops reuse the operand's
/// bytes, everything else goes through `evaluator`. Does not remove the op. Errors: the
/// evaluator cannot run it, or the result is past kMaxFoldExpansionBytes.
Expected<Value*> foldToConstant(Module& m, const Op& op, ConstantEvaluator& evaluator);

/// Appends an op to `m` like Module::appendOp and, when every operand is a constant, folds it at
/// once (what the importers do: torch's Shape -> Gather -> Concat -> Reshape chains become
/// constants). dequantize_linear stays an op (qdq-to-integer computes with the integers of
/// quantized weights; fold-constants folds what it leaves), and so does an op the evaluator
/// cannot run. Errors: those of appendOp, and a result larger than `maxTensorBytes`
/// (checkTensorSize), found before anything is computed.
Expected<Value*> appendAndFold(Module& m, ConstantEvaluator& evaluator, int64_t maxTensorBytes,
                               OpKind kind, std::vector<Value*> operands, Attrs attrs,
                               std::string name, const TensorType* resultType);

} // namespace dnncc
