// The table that maps NNEF operation names to converters, and the context converters use.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/nnef/Importer.h"

namespace nnef {
struct Operation;
class Value;
} // namespace nnef

namespace dnncc::nnefimport {

class OpContext;
using ConvertFn = Status (*)(OpContext&);

/// One importer table row: the NNEF operation `op` and its converter.
struct ConverterRow {
  std::string_view op;
  ConvertFn convert;
};

// Rows of each operation family (ops/*.cpp); the importer concatenates them once.
std::span<const ConverterRow> elementwiseConverters();
std::span<const ConverterRow> convConverters();
std::span<const ConverterRow> linearConverters();
std::span<const ConverterRow> reduceConverters();
std::span<const ConverterRow> shapeConverters();
std::span<const ConverterRow> normalizationConverters();
std::span<const ConverterRow> sampleConverters();
std::span<const ConverterRow> quantizeConverters();

/// The converter for `op`, or null: a standard operation without a row is lowered by the parser
/// into the operations its standard-library fragment is made of.
const ConverterRow* findConverter(std::string_view op);

/// Every operation of the NNEF 1.0 standard library (section 4 of the spec), in its order.
std::span<const std::string_view> standardOperations();

/// The IR element type of an NNEF tensor type name: scalar -> f32, integer -> i64,
/// logical -> bool; an error for anything else.
Expected<DType> irType(const std::string& nnefType);

/// What a converter sees of one operation: its tensor arguments as IR values (identifiers looked
/// up, literals made constants), its attributes, and a builder that folds constant operations.
class OpContext {
public:
  /// `maxTensorBytes`: the largest result emit() may create (ImportOptions::maxTensorBytes).
  OpContext(const nnef::Operation& op, Module& m, ConstantEvaluator& evaluator,
            int64_t maxTensorBytes, std::function<Value*(const std::string&)> lookup,
            Location where);

  const nnef::Operation& op() const { return op_; }
  /// The operation's generic type argument (`cast<integer>`, `constant<logical>`), f32 when none.
  DType dtype() const;

  /// Tensor argument `name`: an identifier's value, or a literal as a rank-0 constant (of the
  /// type `literalType`, by default the literal's own: scalar f32, integer i64, logical bool).
  Expected<Value*> input(std::string_view name, std::optional<DType> literalType = {});
  /// Tensor-array argument `name` (concat's `values`, add_n's `x`), each element as input().
  Expected<std::vector<Value*>> inputs(std::string_view name);
  /// Whether tensor argument `name` is the literal `value` (conv's default bias 0.0).
  bool isLiteral(std::string_view name, double value) const;

  int64_t attrInt(std::string_view name) const;
  double attrScalar(std::string_view name) const;
  bool attrLogical(std::string_view name) const;
  std::string attrString(std::string_view name) const;
  std::vector<int64_t> attrInts(std::string_view name) const;
  /// An array of (integer, integer) tuples, e.g. padding: [(1, 1), (2, 2)].
  std::vector<std::pair<int64_t, int64_t>> attrPairs(std::string_view name) const;

  /// Creates an op (folding it at once when every operand is a constant).
  Expected<Value*> emit(OpKind kind, std::vector<Value*> operands, Attrs attrs = NoAttrs{},
                        const TensorType* resultType = nullptr);
  /// A rank-0 constant.
  Value* scalar(DType dtype, double value);
  /// A constant of `type` holding `bytes` (row-major).
  Value* constant(TensorType type, std::vector<uint8_t> bytes) {
    return m_.addConstant(std::move(type), std::move(bytes));
  }
  /// An i64 constant of shape [values.size()].
  Value* ints(const std::vector<int64_t>& values);
  /// `x` viewed with `shape` (same element count); `x` itself when the shape is unchanged.
  Expected<Value*> reshape(Value* x, std::vector<int64_t> shape);
  /// `x` with trailing singleton dimensions up to `rank`: NNEF broadcasting aligns shapes from
  /// the left (a [1, C] bias against [N, C, H, W]), where the IR's ops align them from the right.
  Expected<Value*> padRank(Value* x, int rank);
  /// `a` and `b` brought to one rank by padRank, ready for a broadcasting IR op.
  Expected<std::pair<Value*, Value*>> alignRanks(Value* a, Value* b);

  /// Binds result `name` (a tensor result) to `v`.
  Status setOutput(std::string_view name, Value* v);
  /// Binds the tensor-array result `name` (split, unstack, copy_n) to `values`, in order.
  Status setOutputs(std::string_view name, const std::vector<Value*>& values);
  /// The number of tensors the tensor-array result `name` names.
  size_t outputCount(std::string_view name) const;

  /// An error located at this operation.
  Status error(std::string message) const { return Status::error(std::move(message), where_); }
  const Location& where() const { return where_; }

  std::vector<std::pair<std::string, Value*>> outputs; ///< filled by setOutput(s)

private:
  const nnef::Value& attr(std::string_view name) const;
  const nnef::Operation& op_;
  Module& m_;
  ConstantEvaluator& evaluator_;
  int64_t maxTensorBytes_;
  std::function<Value*(const std::string&)> lookup_;
  Location where_;
};

/// The padding of a windowed operation (conv, box, pools) for input extents `input`: the explicit
/// `padding` pairs, or, when empty, NNEF's automatic padding (total = max(0, (ceil(in / stride) -
/// 1) * stride + (k - 1) * dilation + 1 - in), the smaller half in front). Returns ONNX-style
/// pads [begin..., end...].
IntList resolvePadding(const std::vector<std::pair<int64_t, int64_t>>& padding,
                       const std::vector<int64_t>& input, const std::vector<int64_t>& kernel,
                       const std::vector<int64_t>& stride, const std::vector<int64_t>& dilation);

/// A quantization as NNEF states it (graph.quant entries, or a quantization operation's
/// arguments): `algorithm` is zero_point_linear_quantize, min_max_linear_quantize,
/// linear_quantize or logarithmic_quantize; the tensors are f32 (zeroPoint: any integer type)
/// and broadcast to the quantized tensor; those an algorithm does not use are null.
struct Quantization {
  std::string algorithm;
  Value* scale = nullptr;
  Value* zeroPoint = nullptr;
  Value* min = nullptr;
  Value* max = nullptr;
  int64_t bits = 8;
  bool isSigned = false, symmetric = false;
};

/// The value the f32 tensor `x` has once quantized by `q` and read back: the formulas of the
/// standard library's quantization fragments (NNEF 1.0.5 section 4.10). 8-bit zero-point and
/// unsigned min-max quantization with constant per-tensor parameters become quantize_linear ->
/// dequantize_linear (exact for those, and what qdq-to-integer turns into integer kernels);
/// the rest is computed in f32. ops/Quantize.cpp.
Expected<Value*> fakeQuantize(OpContext& c, Value* x, const Quantization& q);

} // namespace dnncc::nnefimport
