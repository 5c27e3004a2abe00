// Checks of one node against its ONNX operator schema (the onnx library's registry): how many
// inputs and outputs it may have and the type of each attribute it sets; and the attribute
// values no operator accepts (no value at all, NaN, a negative epsilon). The converters then see
// only nodes of a well-formed shape; attributes of a wrong type would otherwise read as absent
// or as zero (protobuf defaults) and give silently wrong models.
#include <cmath>

#include <fmt/format.h>
#include <onnx/defs/schema.h>

#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {
namespace {

std::string attributeTypeName(onnx::AttributeProto::AttributeType type) {
  return onnx::AttributeProto::AttributeType_Name(type);
}

/// Whether the field of `a`'s declared type holds a value (list types may be empty).
bool hasValue(const onnx::AttributeProto& a) {
  switch (a.type()) {
  case onnx::AttributeProto::INT:
    return a.has_i();
  case onnx::AttributeProto::FLOAT:
    return a.has_f();
  case onnx::AttributeProto::STRING:
    return a.has_s();
  case onnx::AttributeProto::TENSOR:
    return a.has_t();
  case onnx::AttributeProto::GRAPH:
    return a.has_g();
  case onnx::AttributeProto::SPARSE_TENSOR:
    return a.has_sparse_tensor();
  case onnx::AttributeProto::TYPE_PROTO:
    return a.has_tp();
  case onnx::AttributeProto::UNDEFINED: // IR version 1 wrote no type: any value field will do
    return a.has_i() || a.has_f() || a.has_s() || a.has_t() || a.has_g() || a.ints_size() > 0 ||
           a.floats_size() > 0 || a.strings_size() > 0 || a.tensors_size() > 0 ||
           a.graphs_size() > 0;
  default:
    return true;
  }
}

} // namespace

Status checkNodeSchema(const onnx::NodeProto& n, int opset, std::string_view domain) {
  for (const auto& a : n.attribute()) {
    if (!hasValue(a))
      return Status::error(
          fmt::format("attribute '{}' ({}) has no value", a.name(), attributeTypeName(a.type())));
    // A NaN attribute has no meaning for any operator but Constant (whose value may be NaN);
    // epsilon (the normalizations' stabilizer) must also be non-negative and finite.
    bool isNaN = a.has_f() && std::isnan(a.f());
    for (float f : a.floats())
      isNaN |= std::isnan(f);
    if (isNaN && n.op_type() != "Constant")
      return Status::error(fmt::format("attribute '{}' is NaN", a.name()));
    if (a.name() == "epsilon" && a.has_f() && !(a.f() >= 0 && std::isfinite(a.f())))
      return Status::error(
          fmt::format("attribute 'epsilon' is {}, not a finite number >= 0", a.f()));
  }
  // The onnx library (Debian's 1.12) knows the operator sets up to its release; at a newer
  // opset the schema it returns may be an older version of the operator, so nothing is checked.
  const auto& known = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto range = known.find(std::string(domain));
  if (range == known.end() || opset > range->second.second)
    return Status::ok();
  const onnx::OpSchema* schema =
      onnx::OpSchemaRegistry::Schema(n.op_type(), opset, std::string(domain));
  if (!schema)
    return Status::ok(); // contrib domains: their converters check what they read
  if (n.input_size() > schema->max_input())
    return Status::error(fmt::format("{} inputs, the operator takes at most {}", n.input_size(),
                                     schema->max_input()));
  if (n.input_size() < schema->min_input())
    return Status::error(fmt::format("{} inputs, the operator needs at least {}", n.input_size(),
                                     schema->min_input()));
  if (n.output_size() > schema->max_output())
    return Status::error(fmt::format("{} outputs, the operator has at most {}", n.output_size(),
                                     schema->max_output()));
  if (n.output_size() < schema->min_output())
    return Status::error(fmt::format("{} outputs, the operator needs at least {}", n.output_size(),
                                     schema->min_output()));
  const auto& attributes = schema->attributes();
  for (const auto& a : n.attribute()) {
    auto it = attributes.find(a.name());
    if (it == attributes.end() || a.type() == onnx::AttributeProto::UNDEFINED ||
        a.type() == it->second.type)
      continue; // unknown attributes: the converter reports those it does not read
    return Status::error(fmt::format("attribute '{}' is {}, the operator defines it as {}",
                                     a.name(), attributeTypeName(a.type()),
                                     attributeTypeName(it->second.type)));
  }
  return Status::ok();
}

} // namespace dnncc::onnximport
