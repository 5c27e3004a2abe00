// Shared pieces of the fuzz targets (tests/fuzz/*.cpp): the readers under test take paths, so
// each input is written to a file in a per-process temporary directory first; and the importers
// get an evaluator that folds nothing (the real one JIT-compiles each folded op, far too slow
// for fuzzing; an op it cannot fold simply stays an op).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "frontend/ImportOptions.h"
#include "ir/Evaluator.h"

namespace dnncc::fuzz {

/// Writes `size` bytes to `<per-process temporary directory>/<name>` and returns the path.
std::string writeInput(const uint8_t* data, size_t size, const std::string& name);

/// The per-process temporary directory writeInput uses (created on first use, removed at exit).
const std::string& scratchDir();

/// A ConstantEvaluator that refuses every op, so nothing is folded.
class NoFoldEvaluator final : public ConstantEvaluator {
public:
  Expected<std::shared_ptr<const std::vector<uint8_t>>> evaluate(const Op&) override {
    return Status::error("not folded while fuzzing");
  }
};

/// Import options for fuzzing: a process-wide NoFoldEvaluator, and `maxTensorBytes` (what a
/// fuzzing process can afford) instead of the default limit.
ImportOptions fuzzImportOptions(int64_t maxTensorBytes);

} // namespace dnncc::fuzz
