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
  /// The largest tensor (input, weight, or any op's result) a model may have, in bytes
  /// (`--max-tensor-bytes`); past it the import fails naming the tensor or node.
  int64_t maxTensorBytes = kDefaultMaxTensorBytes;
  /// The largest model file the ONNX importer reads (`--max-model-bytes`). Protobuf cannot
  /// parse a message of 2 GiB or more, so that is the default and the most; larger models keep
  /// their weights in external data.
  int64_t maxModelBytes = (int64_t{2} << 30) - 1;
  /// How deep subgraphs (If branches, Loop and Scan bodies) may nest (`--max-graph-depth`).
  int maxGraphDepth = 32;
};

} // namespace dnncc
