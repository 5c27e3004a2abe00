// Formatting of located diagnostics.
#include "support/Status.h"

#include <fmt/format.h>

namespace dnncc {

Status& Status::withDefaults(const Location& outer) {
  if (!error_)
    return *this;
  Location& w = error_->where;
  if (w.file.empty())
    w.file = outer.file;
  if (w.node.empty() && w.op.empty()) {
    w.node = outer.node;
    w.op = outer.op;
    w.opset = outer.opset;
  }
  return *this;
}

std::string Status::format() const {
  if (!error_)
    return "ok";
  const Location& w = error_->where;
  std::string out = "error: ";
  if (!w.file.empty())
    out += w.file + ": ";
  if (!w.node.empty() || !w.op.empty()) {
    out += fmt::format("node '{}'", w.node);
    if (!w.op.empty())
      out += w.opset > 0 ? fmt::format(" ({}, opset {})", w.op, w.opset) : fmt::format(" ({})", w.op);
    out += ": ";
  }
  return out + error_->message;
}

} // namespace dnncc
