// OpContext: what NNEF converters see of one operation (arguments, attributes, an op builder).
#include <fmt/format.h>
#include <nnef.h>

#include "frontend/nnef/Converters.h"

namespace dnncc::nnefimport {

Expected<DType> irType(const std::string& nnefType) {
  if (nnefType == "scalar" || nnefType.empty())
    return DType::f32;
  if (nnefType == "integer")
    return DType::i64;
  if (nnefType == "logical")
    return DType::boolean;
  return Status::error(fmt::format("tensors of type '{}' are not supported", nnefType));
}

OpContext::OpContext(const nnef::Operation& op, Module& m, ConstantEvaluator& evaluator,
                     int64_t maxTensorBytes, std::function<Value*(const std::string&)> lookup,
                     Location where)
    : op_(op), m_(m), evaluator_(evaluator), maxTensorBytes_(maxTensorBytes),
      lookup_(std::move(lookup)), where_(std::move(where)) {}

DType OpContext::dtype() const {
  Expected<DType> t = irType(op_.dtype);
  return t ? *t : DType::f32;
}

const nnef::Value& OpContext::attr(std::string_view name) const {
  static const nnef::Value none;
  for (const auto& [key, value] : op_.attribs)
    if (key == name)
      return value;
  return none;
}

namespace {
double number(const nnef::Value& v) {
  switch (v.kind()) {
  case nnef::Value::Integer:
    return v.integer();
  case nnef::Value::Scalar:
    return v.scalar();
  case nnef::Value::Logical:
    return v.logical() ? 1 : 0;
  default:
    throw std::runtime_error("a number was expected");
  }
}

const nnef::Value* findIn(const nnef::ValueDict& dict, std::string_view name) {
  for (const auto& [key, value] : dict)
    if (key == name)
      return &value;
  return nullptr;
}
} // namespace

int64_t OpContext::attrInt(std::string_view name) const {
  return static_cast<int64_t>(number(attr(name)));
}
double OpContext::attrScalar(std::string_view name) const {
  return number(attr(name));
}
bool OpContext::attrLogical(std::string_view name) const {
  return attr(name).logical();
}
std::string OpContext::attrString(std::string_view name) const {
  return attr(name).string();
}

std::vector<int64_t> OpContext::attrInts(std::string_view name) const {
  const nnef::Value& v = attr(name);
  std::vector<int64_t> out;
  if (v.kind() == nnef::Value::None)
    return out;
  for (size_t i = 0; i < v.size(); ++i)
    out.push_back(static_cast<int64_t>(number(v[i])));
  return out;
}

std::vector<std::pair<int64_t, int64_t>> OpContext::attrPairs(std::string_view name) const {
  const nnef::Value& v = attr(name);
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t i = 0; i < v.size(); ++i)
    out.emplace_back(static_cast<int64_t>(number(v[i][0])), static_cast<int64_t>(number(v[i][1])));
  return out;
}

namespace {
/// A literal as a rank-0 constant of `type` (or the literal's own type).
Value* literal(Module& m, const nnef::Value& v, std::optional<DType> type) {
  DType t = type                               ? *type
            : v.kind() == nnef::Value::Integer ? DType::i64
            : v.kind() == nnef::Value::Logical ? DType::boolean
                                               : DType::f32;
  const double x = number(v);
  std::vector<uint8_t> bytes;
  switch (t) {
  case DType::i64:
    bytes = bytesOf(std::vector<int64_t>{static_cast<int64_t>(x)});
    break;
  case DType::boolean:
    bytes = {static_cast<uint8_t>(x != 0)};
    break;
  default:
    t = DType::f32;
    bytes = bytesOf(std::vector<float>{static_cast<float>(x)});
    break;
  }
  return m.addConstant(TensorType{t, {}}, std::move(bytes));
}
} // namespace

Expected<Value*> OpContext::input(std::string_view name, std::optional<DType> literalType) {
  const nnef::Value* v = findIn(op_.inputs, name);
  if (!v)
    return error(fmt::format("argument '{}' is missing", name));
  if (v->kind() == nnef::Value::Identifier) {
    Value* found = lookup_(v->identifier());
    if (!found)
      return error(fmt::format("argument '{}': tensor '{}' is not defined before its use", name,
                               v->identifier()));
    return found;
  }
  if (v->kind() == nnef::Value::Integer || v->kind() == nnef::Value::Scalar ||
      v->kind() == nnef::Value::Logical)
    return literal(m_, *v, literalType);
  return error(fmt::format("argument '{}' must be a tensor or a literal", name));
}

Expected<std::vector<Value*>> OpContext::inputs(std::string_view name) {
  const nnef::Value* v = findIn(op_.inputs, name);
  if (!v || v->kind() != nnef::Value::Array)
    return error(fmt::format("argument '{}' must be an array of tensors", name));
  std::vector<Value*> out;
  for (size_t i = 0; i < v->size(); ++i) {
    const nnef::Value& item = (*v)[i];
    if (item.kind() == nnef::Value::Identifier) {
      Value* found = lookup_(item.identifier());
      if (!found)
        return error(fmt::format("argument '{}': tensor '{}' is not defined before its use", name,
                                 item.identifier()));
      out.push_back(found);
    } else {
      out.push_back(literal(m_, item, {}));
    }
  }
  return out;
}

bool OpContext::isLiteral(std::string_view name, double value) const {
  const nnef::Value* v = findIn(op_.inputs, name);
  return v && (v->kind() == nnef::Value::Scalar || v->kind() == nnef::Value::Integer) &&
         number(*v) == value;
}

Expected<Value*> OpContext::emit(OpKind kind, std::vector<Value*> operands, Attrs attrs,
                                 const TensorType* resultType) {
  Expected<Value*> v = appendAndFold(m_, evaluator_, maxTensorBytes_, kind, std::move(operands),
                                     std::move(attrs), where_.node, resultType);
  if (!v)
    return Status(v.status()).withDefaults(where_);
  return v;
}

Value* OpContext::scalar(DType dtype, double value) {
  return literal(m_, nnef::Value::scalar(static_cast<float>(value)), dtype);
}

Value* OpContext::ints(const std::vector<int64_t>& values) {
  return m_.addConstant(TensorType{DType::i64, {static_cast<int64_t>(values.size())}},
                        bytesOf(values));
}

Expected<Value*> OpContext::reshape(Value* x, std::vector<int64_t> shape) {
  if (x->type.shape == shape)
    return x;
  if (numElements(shape) != x->type.numElements())
    return error(fmt::format("cannot reshape {} to {}", toString(x->type), shapeString(shape)));
  TensorType t{x->type.dtype, std::move(shape)};
  return emit(OpKind::Reshape, {x}, NoAttrs{}, &t);
}

Expected<Value*> OpContext::padRank(Value* x, int rank) {
  if (x->type.rank() >= rank)
    return x;
  std::vector<int64_t> shape = x->type.shape;
  shape.resize(rank, 1);
  return reshape(x, std::move(shape));
}

Expected<std::pair<Value*, Value*>> OpContext::alignRanks(Value* a, Value* b) {
  const int rank = std::max(a->type.rank(), b->type.rank());
  DNNCC_ASSIGN_OR_RETURN(a, padRank(a, rank));
  DNNCC_ASSIGN_OR_RETURN(b, padRank(b, rank));
  return std::make_pair(a, b);
}

Status OpContext::setOutput(std::string_view name, Value* v) {
  const nnef::Value* out = findIn(op_.outputs, name);
  if (!out || out->kind() != nnef::Value::Identifier)
    return error(fmt::format("result '{}' must be one tensor", name));
  outputs.emplace_back(out->identifier(), v);
  return Status::ok();
}

size_t OpContext::outputCount(std::string_view name) const {
  const nnef::Value* out = findIn(op_.outputs, name);
  return out && out->kind() == nnef::Value::Array ? out->size() : 0;
}

Status OpContext::setOutputs(std::string_view name, const std::vector<Value*>& values) {
  const nnef::Value* out = findIn(op_.outputs, name);
  if (!out || out->kind() != nnef::Value::Array || out->size() != values.size())
    return error(fmt::format("result '{}' must be an array of {} tensors", name, values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    if ((*out)[i].kind() != nnef::Value::Identifier)
      return error(fmt::format("result '{}' must be an array of tensor names", name));
    outputs.emplace_back((*out)[i].identifier(), values[i]);
  }
  return Status::ok();
}

IntList resolvePadding(const std::vector<std::pair<int64_t, int64_t>>& padding,
                       const std::vector<int64_t>& input, const std::vector<int64_t>& kernel,
                       const std::vector<int64_t>& stride, const std::vector<int64_t>& dilation) {
  const size_t n = input.size();
  IntList pads(2 * n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (!padding.empty()) {
      pads[i] = padding[i].first;
      pads[n + i] = padding[i].second;
      continue;
    }
    const int64_t s = stride.empty() ? 1 : stride[i], d = dilation.empty() ? 1 : dilation[i];
    const int64_t out = (input[i] + s - 1) / s;
    const int64_t total = std::max<int64_t>(0, (out - 1) * s + (kernel[i] - 1) * d + 1 - input[i]);
    pads[i] = total / 2;
    pads[n + i] = total - total / 2;
  }
  return pads;
}

} // namespace dnncc::nnefimport
