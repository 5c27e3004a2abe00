// The ONNX importer: reads a .onnx file (and its external data) into the dnncc IR.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "frontend/ImportOptions.h"
#include "ir/IR.h"

namespace dnncc {

/// Oldest and newest default-domain opsets the importer accepts (newest = the pinned onnx release).
inline constexpr int kMinOpset = 1;
inline constexpr int kMaxOpset = 28;

/// Imports `path`. Errors carry the file, node name, op type and opset; the first one stops.
Expected<std::unique_ptr<Module>> importOnnx(const std::string& path, const ImportOptions& options);

/// Imports `path` collecting every problem instead of stopping at the first: each unsupported op
/// (once per node), invalid or unsupported attribute, and model-level error. Empty = importable.
std::vector<Status> checkOnnx(const std::string& path, const ImportOptions& options);

} // namespace dnncc
