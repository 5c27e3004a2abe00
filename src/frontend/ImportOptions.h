// What every importer (ONNX, NNEF) takes besides the model's path.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/Evaluator.h"

namespace dnncc {

struct ImportOptions {
  /// Static shapes for inputs with symbolic or unknown dimensions, by input name.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Folds ops whose operands are all constants while importing (torch shape subgraphs become
  /// constants this way). Required.
  ConstantEvaluator* evaluator = nullptr;
  /// Receives one line per harmless disagreement between the model and dnncc (e.g. a declared
  /// output or value_info shape that inference contradicts: inference wins). Null: not reported.
  std::function<void(const std::string&)> warn;
  /// The most bytes an NNEF model archive (.tgz) may expand into; past it the import fails.
  int64_t maxArchiveBytes = int64_t{8} << 30;
};

} // namespace dnncc
