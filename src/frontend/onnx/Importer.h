// The ONNX importer: reads a .onnx file (and its external data) into the dnncc IR.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/Evaluator.h"
#include "ir/IR.h"

namespace dnncc {

/// Oldest and newest default-domain opsets the importer accepts (newest = the pinned onnx release).
inline constexpr int kMinOpset = 1;
inline constexpr int kMaxOpset = 28;

struct ImportOptions {
  /// Static shapes for inputs with symbolic or unknown dimensions, by input name.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Folds ops whose operands are all constants while importing (torch shape subgraphs become
  /// constants this way). Required.
  ConstantEvaluator* evaluator = nullptr;
  /// Receives one line per harmless disagreement between the model and dnncc (e.g. a declared
  /// output or value_info shape that inference contradicts: inference wins). Null: not reported.
  std::function<void(const std::string&)> warn;
};

/// Imports `path`. Errors carry the file, node name, op type and opset; the first one stops.
Expected<std::unique_ptr<Module>> importOnnx(const std::string& path, const ImportOptions& options);

/// Imports `path` collecting every problem instead of stopping at the first: each unsupported op
/// (once per node), invalid or unsupported attribute, and model-level error. Empty = importable.
std::vector<Status> checkOnnx(const std::string& path, const ImportOptions& options);

} // namespace dnncc
