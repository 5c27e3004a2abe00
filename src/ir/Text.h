// The IR's textual form: a printer and a parser, one deterministic line per op, e.g.
//   %7 = conv(%3, @4, @5) {strides=[2,2], pads=[3,3,3,3], dilations=[1,1], group=1} : f32[1,64,112,112]
// See docs/ir.md for the grammar. `parse(print(m, {.elideConstants=false}))` reproduces `m`.
#pragma once

#include <string>
#include <string_view>

#include "ir/IR.h"

namespace dnncc {

struct PrintOptions {
  /// Print constants with more than this many elements as `elided` instead of their bytes.
  int64_t elideAbove = 16;
  bool elideConstants = true;
};

std::string print(const Module& m, const PrintOptions& options = {});
/// One op line, without indentation or newline (for diagnostics and -print-after).
std::string printOp(const Op& op);
/// `{a=1, b=[2,3]}` or "" when the op has no attributes.
std::string printAttrs(const Attrs& attrs);

/// The op list of docs/ir.md, generated from Ops.def: a markdown table with one row per op kind
/// (IR name, operand count, attributes with their defaults, traits), in Ops.def order.
std::string opListMarkdown();

struct ParseOptions {
  /// Accept `elided` constants and fill them with zeros (otherwise an error).
  bool allowElided = false;
};

/// Parses the textual form. Errors name the line and column.
Expected<std::unique_ptr<Module>> parseModule(std::string_view text, const ParseOptions& o = {});

} // namespace dnncc
