// The IR printer (textual form described in Text.h and docs/ir.md).
#include <fmt/format.h>

#include "ir/Text.h"

namespace dnncc {
namespace {
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string ref(const Value* v) { return fmt::format("{}{}", v->isConstant() ? '@' : '%', v->id); }

struct AttrPrinter {
  std::vector<std::string> parts;
  void operator()(const char* name, const int64_t& v) { parts.push_back(fmt::format("{}={}", name, v)); }
  void operator()(const char* name, const double& v) { parts.push_back(fmt::format("{}={}", name, v)); }
  void operator()(const char* name, const bool& v) { parts.push_back(fmt::format("{}={}", name, v)); }
  void operator()(const char* name, const IntList& v) {
    parts.push_back(fmt::format("{}=[{}]", name, fmt::join(v, ",")));
  }
  void operator()(const char* name, const DType& v) {
    parts.push_back(fmt::format("{}={}", name, dtypeName(v)));
  }
  template <class E> void operator()(const char* name, const E& v) {
    parts.push_back(fmt::format("{}={}", name, enumName(v)));
  }
};
} // namespace

std::string printAttrs(const Attrs& attrs) {
  AttrPrinter p;
  std::visit([&](auto a) { a.visitFields(p); }, attrs);
  if (p.parts.empty())
    return "";
  return fmt::format("{{{}}}", fmt::join(p.parts, ", "));
}

std::string opListMarkdown() {
  std::string out = "| op | operands | attributes (defaults) | traits |\n|---|---|---|---|\n";
  for (int k = 0; k < numOpKinds(); ++k) {
    const OpSchema& s = schema(static_cast<OpKind>(k));
    std::string operands = s.maxOperands == -1 ? fmt::format("{} or more", s.minOperands)
                           : s.minOperands == s.maxOperands
                               ? fmt::format("{}", s.minOperands)
                               : fmt::format("{} to {}", s.minOperands, s.maxOperands);
    std::vector<std::string> traits;
    if (s.traits & kElementwise)
      traits.push_back("element-wise");
    if (s.traits & kAnchor)
      traits.push_back("anchor");
    if (s.traits & kAlias)
      traits.push_back("alias");
    if (s.traits & kSmallTypes)
      traits.push_back("small types");
    std::string attrs = printAttrs(s.defaultAttrs);
    out += fmt::format("| `{}` | {} | {} | {} |\n", s.name, operands,
                       attrs.empty() ? "" : fmt::format("`{}`", attrs), fmt::join(traits, ", "));
  }
  return out;
}

std::string printOp(const Op& op) {
  std::vector<std::string> operands;
  for (const Value* v : op.operands)
    operands.push_back(ref(v));
  std::string line = fmt::format("%{} = {}({})", op.result->id, opName(op.kind),
                                 fmt::join(operands, ", "));
  std::string attrs = printAttrs(op.attrs);
  if (!attrs.empty())
    line += " " + attrs;
  line += " : " + toString(op.result->type);
  if (op.group >= 0)
    line += fmt::format(" #g{}", op.group);
  if (!op.name.empty())
    line += fmt::format(" loc({})", quoted(op.name));
  return line;
}

std::string print(const Module& m, const PrintOptions& options) {
  std::string out = fmt::format("module {} {{\n", quoted(m.name));
  for (const Value* v : m.inputs)
    out += fmt::format("  input %{} {} : {}\n", v->id, quoted(v->name), toString(v->type));
  for (const Value* c : m.constants) {
    out += fmt::format("  const @{} {} : {} = ", c->id, quoted(c->name), toString(c->type));
    if (options.elideConstants && c->type.numElements() > options.elideAbove) {
      out += "elided\n";
      continue;
    }
    out += "dense<\"";
    for (uint8_t b : *c->data)
      out += fmt::format("{:02x}", b);
    out += "\">\n";
  }
  for (const auto& op : m.ops)
    out += "  " + printOp(*op) + "\n";
  for (size_t i = 0; i < m.outputs.size(); ++i) {
    out += fmt::format("  output {} {}", ref(m.outputs[i]), quoted(m.outputs[i]->name));
    auto extent = m.runtimeExtents.find(static_cast<int>(i));
    if (extent != m.runtimeExtents.end())
      out += fmt::format(" extent({}, {})", extent->second.axis, ref(extent->second.length));
    out += "\n";
  }
  for (const RunCheck& check : m.runChecks)
    out += fmt::format("  check {} {}\n", ref(check.ok), quoted(check.message));
  return out + "}\n";
}

} // namespace dnncc
