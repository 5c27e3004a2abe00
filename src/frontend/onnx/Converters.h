// The table that maps (ONNX op type, opset range) to a converter, and the context converters use.
#pragma once

#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "frontend/onnx/Importer.h"

namespace dnncc::onnximport {

class NodeContext;
using ConvertFn = Status (*)(NodeContext&);

/// One importer table row: `opType` in the default domain, valid for opsets [since, until].
struct ConverterRow {
  std::string_view opType;
  int since;
  int until;
  ConvertFn convert;
};

// Rows of each op family (ops/*.cpp); the importer concatenates them once.
std::span<const ConverterRow> elementwiseConverters();
std::span<const ConverterRow> convConverters();
std::span<const ConverterRow> linearConverters();
std::span<const ConverterRow> reduceConverters();
std::span<const ConverterRow> shapeConverters();
/// Old forms (opsets 1-7) of ops whose attributes changed later (ops/Legacy.cpp).
std::span<const ConverterRow> legacyConverters();
/// Resize and Upsample (ops/Resize.cpp).
std::span<const ConverterRow> resizeConverters();

/// The converter for `opType` at `opset`, or null.
const ConverterRow* findConverter(std::string_view opType, int opset);

/// Reads a TensorProto (inline or external data) into a constant's type and bytes.
/// `modelDir` is the directory external data paths are relative to; they may not leave it.
Expected<std::pair<TensorType, std::vector<uint8_t>>> readTensor(const onnx::TensorProto& t,
                                                                 const std::string& modelDir);

/// What a converter sees of one node: its inputs as IR values, its attributes (each one read is
/// marked; an attribute left unread is reported as unsupported), and a builder that folds ops on
/// constants as they are created.
class NodeContext {
public:
  NodeContext(const onnx::NodeProto& node, int opset, Module& m, ConstantEvaluator& evaluator,
              std::function<Value*(const std::string&)> lookup, Location where)
      : node_(node), opset_(opset), m_(m), evaluator_(evaluator), lookup_(std::move(lookup)),
        where_(std::move(where)) {}

  int opset() const { return opset_; }
  const onnx::NodeProto& node() const { return node_; }
  Module& module() { return m_; }

  int numInputs() const { return node_.input_size(); }
  bool hasInput(int i) const { return i < node_.input_size() && !node_.input(i).empty(); }
  /// Input `i`; an error when it is absent.
  Expected<Value*> input(int i);
  /// Input `i` or null when absent.
  Value* optionalInput(int i);
  /// Input `i`, which must be a constant integer tensor, as int64 values.
  Expected<std::vector<int64_t>> constInts(int i, std::string_view what);
  /// Input `i`, which must be a constant scalar (or one-element tensor) of any numeric type.
  Expected<double> constScalar(int i, std::string_view what);

  bool hasAttr(std::string_view name) const;
  int64_t attrInt(std::string_view name, int64_t fallback);
  Expected<int64_t> requireInt(std::string_view name);
  double attrFloat(std::string_view name, double fallback);
  std::vector<int64_t> attrInts(std::string_view name, std::vector<int64_t> fallback = {});
  std::vector<double> attrFloats(std::string_view name);
  std::string attrString(std::string_view name, std::string fallback = "");
  const onnx::TensorProto* attrTensor(std::string_view name);
  /// Marks an attribute as understood although unused (e.g. Dropout's seed in inference).
  void ignoreAttr(std::string_view name) { (void)find(name); }
  /// The attributes present on the node that no converter read.
  std::vector<std::string> unreadAttrs() const;

  /// Creates an op (folding it at once when every operand is a constant).
  Expected<Value*> emit(OpKind kind, std::vector<Value*> operands, Attrs attrs = NoAttrs{},
                        const TensorType* resultType = nullptr);
  /// A new constant.
  Value* constant(TensorType type, std::vector<uint8_t> bytes);
  /// Binds ONNX output `i` of the node to `v`.
  Status setOutput(int i, Value* v);
  int numOutputs() const { return node_.output_size(); }
  bool hasOutput(int i) const { return i < node_.output_size() && !node_.output(i).empty(); }

  /// An error located at this node.
  Status error(std::string message) const { return Status::error(std::move(message), where_); }
  const Location& where() const { return where_; }

  std::vector<std::pair<std::string, Value*>> outputs; ///< filled by setOutput

private:
  const onnx::AttributeProto* find(std::string_view name);
  const onnx::NodeProto& node_;
  int opset_;
  Module& m_;
  ConstantEvaluator& evaluator_;
  std::function<Value*(const std::string&)> lookup_;
  Location where_;
  std::set<std::string, std::less<>> read_;
};

/// Reads the values of a constant integer tensor as int64.
std::vector<int64_t> constantAsInts(const Value& v);
/// Converts a value of `dtype` to bytes, e.g. for a scalar constant.
std::vector<uint8_t> scalarBytes(DType dtype, double value);

} // namespace dnncc::onnximport
