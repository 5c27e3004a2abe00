// Op schema table (expanded from Ops.def), module construction and the verifier.
#include "ir/IR.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {
namespace {
const std::array kSchemas = {
#define DNNCC_OP(Kind, irName, AttrsT, minOps, maxOps, traits, inferFn)                            \
  OpSchema{OpKind::Kind, irName, minOps, maxOps, traits, Attrs(AttrsT{}), &inferFn},
#include "ir/Ops.def"
};
} // namespace

const OpSchema& schema(OpKind kind) { return kSchemas[static_cast<size_t>(kind)]; }
int numOpKinds() { return static_cast<int>(kSchemas.size()); }

const OpSchema* findSchema(std::string_view name) {
  for (const auto& s : kSchemas)
    if (s.name == name)
      return &s;
  return nullptr;
}

Value* Module::newValue(TensorType type, std::string name) {
  values_.push_back(std::make_unique<Value>());
  Value* v = values_.back().get();
  v->id = nextId_++;
  v->type = std::move(type);
  v->name = std::move(name);
  return v;
}

Value* Module::addInput(TensorType type, std::string name) {
  Value* v = newValue(std::move(type), std::move(name));
  inputs.push_back(v);
  return v;
}

Value* Module::addConstant(TensorType type, std::vector<uint8_t> bytes, std::string name) {
  return addConstant(std::move(type),
                     std::make_shared<const std::vector<uint8_t>>(std::move(bytes)),
                     std::move(name));
}

Value* Module::addConstant(TensorType type, std::shared_ptr<const std::vector<uint8_t>> bytes,
                           std::string name) {
  assert(static_cast<int64_t>(bytes->size()) == type.byteSize());
  Value* v = newValue(std::move(type), std::move(name));
  v->data = std::move(bytes);
  constants.push_back(v);
  return v;
}

namespace {
/// The small types (float8, float4, int4, int2) are storage types: only the ops with the
/// kSmallTypes trait (conversions, ops that move elements) take them; arithmetic on them would
/// compute on codes.
Status checkSmallTypes(const Op& op) {
  if (hasTrait(op.kind, kSmallTypes))
    return Status::ok();
  for (const Value* v : op.operands)
    if (isSmallType(v->type.dtype))
      return Status::error(fmt::format("{} on {} is not supported (only casts and data movement "
                                       "compute on this type)",
                                       schema(op.kind).name, dtypeName(v->type.dtype)));
  return Status::ok();
}
} // namespace

Expected<TensorType> inferType(const Op& op) {
  const OpSchema& s = schema(op.kind);
  int n = static_cast<int>(op.operands.size());
  if (n < s.minOperands || (s.maxOperands >= 0 && n > s.maxOperands))
    return Status::error(fmt::format("{} takes {}{} operands, got {}", s.name, s.minOperands,
                                     s.maxOperands == s.minOperands ? ""
                                     : s.maxOperands < 0
                                         ? " or more"
                                         : fmt::format(" to {}", s.maxOperands),
                                     n));
  if (op.attrs.index() != s.defaultAttrs.index())
    return Status::error(fmt::format("{} has attributes of the wrong kind", s.name));
  DNNCC_TRY(checkSmallTypes(op));
  return s.infer(op);
}

Expected<Value*> Module::insertOp(size_t index, OpKind kind, std::vector<Value*> operands,
                                  Attrs attrs, std::string name, const TensorType* resultType) {
  auto op = std::make_unique<Op>();
  op->kind = kind;
  op->operands = std::move(operands);
  op->attrs = std::move(attrs);
  op->name = std::move(name);
  // Ops whose result shape is given (reshape, expand, slice) read it from a provisional result.
  Value provisional;
  if (resultType) {
    provisional.type = *resultType;
    op->result = &provisional;
  }
  DNNCC_ASSIGN_OR_RETURN(TensorType type, inferType(*op));
  if (resultType && !type.sameShapeAndDType(*resultType))
    return Status::error(fmt::format("{}: result type {} does not match the inferred {}",
                                     opName(kind), toString(*resultType), toString(type)));
  if (resultType)
    type.layout = resultType->layout;
  op->result = newValue(std::move(type), "");
  op->result->producer = op.get();
  Value* result = op->result;
  ops.insert(ops.begin() + static_cast<std::ptrdiff_t>(std::min(index, ops.size())), std::move(op));
  return result;
}

Expected<Value*> Module::appendOp(OpKind kind, std::vector<Value*> operands, Attrs attrs,
                                  std::string name, const TensorType* resultType) {
  return insertOp(ops.size(), kind, std::move(operands), std::move(attrs), std::move(name),
                  resultType);
}

void Module::replaceAllUses(Value* from, Value* to) {
  for (auto& op : ops)
    for (Value*& v : op->operands)
      if (v == from)
        v = to;
  for (Value*& v : outputs)
    if (v == from)
      v = to;
  for (auto& [index, extent] : runtimeExtents)
    if (extent.length == from)
      extent.length = to;
  for (RunCheck& check : runChecks)
    if (check.ok == from)
      check.ok = to;
}

std::string shapeCheckMessage(const std::string& valueName) {
  return fmt::format("'{}': a shape input's run-time value disagrees with the shape the model "
                     "declares and dnncc compiled in",
                     valueName);
}

std::vector<int> Module::useCounts() const {
  std::vector<int> uses(nextId_, 0);
  for (const auto& op : ops)
    for (const Value* v : op->operands)
      ++uses[v->id];
  for (const Value* v : outputs)
    ++uses[v->id];
  for (const auto& [index, extent] : runtimeExtents)
    ++uses[extent.length->id];
  for (const RunCheck& check : runChecks)
    ++uses[check.ok->id];
  return uses;
}

int Module::removeDeadCode() {
  std::vector<int> uses = useCounts();
  int removed = 0;
  // Walk backwards so that a chain of dead ops goes in one sweep.
  for (size_t i = ops.size(); i-- > 0;) {
    Op* op = ops[i].get();
    if (uses[op->result->id] != 0)
      continue;
    for (Value* v : op->operands)
      --uses[v->id];
    ops[i].reset();
    ++removed;
  }
  std::erase_if(ops, [](const auto& p) { return p == nullptr; });
  std::erase_if(constants, [&](Value* c) { return uses[c->id] == 0; });
  return removed;
}

Status verify(const Module& m) {
  std::vector<bool> defined(m.numValueIds(), false);
  for (Value* v : m.inputs)
    defined[v->id] = true;
  for (Value* v : m.constants)
    defined[v->id] = true;
  for (const Value* c : m.constants) {
    const TensorType& t = c->type;
    if (!c->data || static_cast<int64_t>(c->data->size()) != t.byteSize())
      return Status::error(fmt::format("constant @{} has {} bytes, its type {} needs {}", c->id,
                                       c->data ? c->data->size() : 0, toString(t), t.byteSize()),
                           {m.sourceFile});
    if (t.block < 0 || (t.block > 0 && (t.rank() == 0 || t.shape[t.blockedAxis()] % t.block != 0)))
      return Status::error(fmt::format("constant @{} has block {} that does not divide its "
                                       "blocked axis",
                                       c->id, t.block),
                           {m.sourceFile});
    if (t.group < 0 ||
        (t.group > 0 && (t.block == 0 || t.rank() < 2 || t.shape[t.groupedAxis()] % t.group != 0)))
      return Status::error(fmt::format("constant @{} has group {} without a block or that does "
                                       "not divide its grouped axis",
                                       c->id, t.group),
                           {m.sourceFile});
  }
  for (const auto& op : m.ops) {
    Location where{m.sourceFile, op->name, std::string(opName(op->kind)), 0};
    for (Value* v : op->operands)
      if (!defined[v->id])
        return Status::error(fmt::format("operand %{} is used before it is defined", v->id), where);
    if (op->result == nullptr || op->result->producer != op.get())
      return Status::error("result is not linked to its op", where);
    Expected<TensorType> t = inferType(*op);
    if (!t)
      return Status(t.status()).withDefaults(where);
    if (!t->sameShapeAndDType(op->result->type))
      return Status::error(fmt::format("result type {} differs from the inferred {}",
                                       toString(op->result->type), toString(*t)),
                           where);
    defined[op->result->id] = true;
  }
  for (Value* v : m.outputs)
    if (!defined[v->id])
      return Status::error(fmt::format("output %{} is not defined", v->id), {m.sourceFile});
  for (const auto& [index, extent] : m.runtimeExtents) {
    if (index < 0 || index >= static_cast<int>(m.outputs.size()))
      return Status::error(fmt::format("run-time extent of output {}, which does not exist", index),
                           {m.sourceFile});
    const TensorType& t = m.outputs[index]->type;
    const Value* n = extent.length;
    if (extent.axis < 0 || extent.axis >= t.rank() || !n || !defined[n->id] ||
        n->type.dtype != DType::i64 || n->type.rank() != 0)
      return Status::error(fmt::format("run-time extent of output {} needs an axis of its shape "
                                       "and a defined i64 scalar length",
                                       index),
                           {m.sourceFile});
  }
  for (const RunCheck& check : m.runChecks) {
    const Value* ok = check.ok;
    if (!ok || !defined[ok->id] || ok->type.numElements() != 1 || isFloat(ok->type.dtype) ||
        isSmallType(ok->type.dtype))
      return Status::error("a run check needs a defined integer or bool scalar",
                           {m.sourceFile});
  }
  return Status::ok();
}

} // namespace dnncc

// ---- folding helper (ir/Evaluator.h) ----
#include "ir/Evaluator.h"

namespace dnncc {
Expected<Value*> foldToConstant(Module& m, const Op& op, ConstantEvaluator& evaluator) {
  TensorType type = op.result->type;
  type.layout = Layout::rowMajor;
  if (hasTrait(op.kind, kAlias))
    return m.addConstant(type, op.operands[0]->data, op.result->name);
  int64_t operandBytes = 0;
  for (const Value* v : op.operands)
    operandBytes += v->type.byteSize();
  if (type.byteSize() > kMaxFoldExpansionBytes && type.byteSize() > 4 * operandBytes)
    return Status::error(fmt::format("not folded: the result ({} bytes) is past the folding "
                                     "limit",
                                     type.byteSize()));
  DNNCC_ASSIGN_OR_RETURN(auto bytes, evaluator.evaluate(op));
  return m.addConstant(type, std::move(bytes), op.result->name);
}

Expected<Value*> appendAndFold(Module& m, ConstantEvaluator& evaluator, int64_t maxTensorBytes,
                               OpKind kind, std::vector<Value*> operands, Attrs attrs,
                               std::string name, const TensorType* resultType) {
  bool allConstant = !operands.empty();
  for (Value* v : operands)
    allConstant &= v->isConstant();
  DNNCC_ASSIGN_OR_RETURN(Value * v, m.appendOp(kind, std::move(operands), std::move(attrs),
                                               std::move(name), resultType));
  if (Status size = checkTensorSize(v->type.shape, v->type.dtype, maxTensorBytes); !size.isOk()) {
    m.ops.pop_back();
    return Status::error(fmt::format("the result is too large: {}", size.message()));
  }
  if (!allConstant || kind == OpKind::DequantizeLinear)
    return v;
  Expected<Value*> folded = foldToConstant(m, *m.ops.back(), evaluator);
  if (!folded)
    return v; // not foldable here (e.g. a type the evaluator lacks): keep the op
  m.ops.pop_back();
  return folded;
}
} // namespace dnncc
