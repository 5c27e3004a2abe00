// The NNEF importer: reads a Khronos NNEF 1.0 model (a directory with graph.nnef, its .dat tensor
// files and an optional graph.quant, or the same packed as a .tgz archive) into the dnncc IR.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "frontend/ImportOptions.h"
#include "ir/IR.h"

namespace dnncc {

/// Whether `path` names an NNEF model: a directory (which should hold graph.nnef), a file called
/// graph.nnef, a .tgz / .tar.gz / .nnef.tgz archive, or a path ending in .nnef (so that a missing
/// model directory gets the NNEF importer's error). Anything else is left to the ONNX importer.
bool isNnefModel(const std::string& path);

/// Imports the NNEF model at `path` (any form isNnefModel accepts). Every standard operation the
/// importer has no row for is lowered by the Khronos parser into the primitives it is defined by
/// (NNEF 1.0 section 4, the compound fragments of the standard library). Errors name the file
/// (`graph.nnef:line:column` where the parser or the assignment gives one), the operation and
/// its first result tensor; the first one stops.
Expected<std::unique_ptr<Module>> importNnef(const std::string& path, const ImportOptions& options);

/// Imports `path` collecting every unsupported operation (one error each) instead of stopping at
/// the first; a syntax or file error is the only entry. Empty = importable.
std::vector<Status> checkNnef(const std::string& path, const ImportOptions& options);

} // namespace dnncc
