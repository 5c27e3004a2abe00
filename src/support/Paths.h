// Paths that a model names relative to its own directory (ONNX external data, NNEF tensor files).
#pragma once

#include <string>
#include <string_view>

#include "support/Status.h"

namespace dnncc {

/// `dir / relative` with links resolved, when it stays inside `dir`: `relative` must not be
/// absolute nor contain "..", and no link may lead out of `dir`. The file need not exist. `what`
/// names the path in errors (e.g. "external data path 'w.bin'"): "<what> must be relative to the
/// model directory", "<what> must not contain '..'", "<what> leaves the model directory
/// (symlink)", "cannot resolve the model directory '<dir>'".
Expected<std::string> resolveInside(const std::string& dir, const std::string& relative,
                                    std::string_view what);

} // namespace dnncc
