// The table that maps (ONNX op type, opset range) to a converter, and the context converters use.
#pragma once

#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "frontend/onnx/Importer.h"

namespace dnncc::onnximport {

/// One way the axes of a Reduce-style op known only at run time may reduce its input to the
/// declared output shape (NodeContext::runtimeReduceAxes): the axes to compile, and the bool
/// scalar that is true when the run's axes are these (null when this is the only way).
struct ReduceChoice {
  std::vector<int64_t> axes;
  Value* when = nullptr;
};

class NodeContext;

/// An ONNX sequence value known at compile time (built and consumed inside the model): its
/// element type and its tensors in order. Sequences live only in the importer, never in the IR.
struct Sequence {
  DType dtype = DType::f32;
  std::vector<Value*> items;
};

/// A tensor or a sequence, as subgraphs take and give them: `tensor`, or `sequence` when
/// `tensor` is null.
struct AnyValue {
  Value* tensor = nullptr;
  Sequence sequence;
};
using ConvertFn = Status (*)(NodeContext&);

/// One importer table row: `opType` of `domain` ("" = the default ai.onnx domain, or e.g.
/// "com.microsoft" for onnxruntime's contrib operators), valid for the domain's opsets
/// [since, until].
struct ConverterRow {
  std::string_view opType;
  int since;
  int until;
  ConvertFn convert;
  std::string_view domain = {};
};

// Rows of each op family (ops/*.cpp); the importer concatenates them once.
std::span<const ConverterRow> elementwiseConverters();
std::span<const ConverterRow> convConverters();
std::span<const ConverterRow> linearConverters();
std::span<const ConverterRow> reduceConverters();
std::span<const ConverterRow> shapeConverters();
/// Old forms (opsets 1-7) of ops whose attributes changed later (ops/Legacy.cpp).
std::span<const ConverterRow> legacyConverters();
/// GridSample, RoiAlign, Resize and Upsample (ops/Sample.cpp).
std::span<const ConverterRow> sampleConverters();
std::span<const ConverterRow> quantizeConverters();
std::span<const ConverterRow> einsumConverters();
std::span<const ConverterRow> controlFlowConverters();
std::span<const ConverterRow> sequenceConverters();
std::span<const ConverterRow> indexConverters();
std::span<const ConverterRow> normalizationConverters();
std::span<const ConverterRow> lossConverters();
std::span<const ConverterRow> attentionConverters();
std::span<const ConverterRow> recurrentConverters();
std::span<const ConverterRow> spectralConverters();
/// NonZero, Compress (ops/DataDependent.cpp): outputs with a data-dependent extent.
std::span<const ConverterRow> dataDependentConverters();
/// onnxruntime's contrib operators (domain com.microsoft, and its default-domain ones such as
/// SimplifiedLayerNormalization), decomposed into IR ops (ops/Contrib.cpp).
std::span<const ConverterRow> contribConverters();
/// onnxruntime's contrib Attention, MultiHeadAttention and EmbedLayerNormalization
/// (ops/ContribAttention.cpp).
std::span<const ConverterRow> contribAttentionConverters();
/// onnxruntime's quantized operators (domain com.microsoft: QLinearAdd, QGemm, ...) as
/// DequantizeLinear -> float op -> QuantizeLinear (ops/QuantizedContrib.cpp).
std::span<const ConverterRow> quantizedContribConverters();

/// Checks a quantization's parameters (ops/Quantize.cpp): `scale` of a float type, and, when it
/// is a constant, finite and > 0; the zero point `zp` (may be null) of the quantized type `type`.
/// Errors name `what` (e.g. "y_scale" or "A").
Status checkQuantParams(NodeContext& c, const Value* scale, const Value* zp, DType type,
                        std::string_view what);

/// DynamicQuantizeLinear's three results: y (uint8), its scale and its zero point (scalars).
struct DynamicQuantized {
  Value* y = nullptr;
  Value* scale = nullptr;
  Value* zeroPoint = nullptr;
};
/// DynamicQuantizeLinear-11 of the f32 `x` (ops/Quantize.cpp).
Expected<DynamicQuantized> dynamicQuantize(NodeContext& c, Value* x);

/// The most subgraph nodes one model may import in all: If branches count once, Loop and Scan
/// bodies once per unrolled iteration (a body with no nodes counts as one).
inline constexpr int64_t kMaxUnrolledNodes = 20000;

/// The converter for `opType` at `opset`, or null.
const ConverterRow* findConverter(std::string_view opType, int opset, std::string_view domain = {});

/// Checks node `n` against the ONNX schema of its op at `opset` in `domain` ("" = default), when
/// the onnx library has one (not for contrib domains, nor past the newest opset the library
/// knows): the number of inputs and outputs, and each attribute's type. For every op: an
/// attribute without a value, a NaN attribute (but Constant's), a negative or infinite epsilon.
/// Errors are bare messages (the caller locates them at the node).
Status checkNodeSchema(const onnx::NodeProto& n, int opset, std::string_view domain);

/// The name of an ONNX TensorProto.DataType code ("FLOAT"), or "<code> (not an ONNX data type)".
std::string onnxTypeName(int32_t dataType);

/// Reads a TensorProto (inline or external data) into a constant's type and bytes.
/// `modelDir` is the directory external data paths are relative to; they may not leave it.
Expected<std::pair<TensorType, std::vector<uint8_t>>> readTensor(const onnx::TensorProto& t,
                                                                 const std::string& modelDir);

/// What a converter sees of one node: its inputs as IR values, its attributes (each one read is
/// marked; an attribute left unread is reported as unsupported), and a builder that folds ops on
/// constants as they are created.
class NodeContext {
public:
  /// `maxTensorBytes`: the largest result emit() may create (ImportOptions::maxTensorBytes).
  NodeContext(const onnx::NodeProto& node, int opset, Module& m, ConstantEvaluator& evaluator,
              int64_t maxTensorBytes, std::function<Value*(const std::string&)> lookup,
              Location where)
      : node_(node), opset_(opset), m_(m), evaluator_(evaluator), maxTensorBytes_(maxTensorBytes),
        lookup_(std::move(lookup)), where_(std::move(where)) {}

  int opset() const { return opset_; }
  const onnx::NodeProto& node() const { return node_; }
  Module& module() { return m_; }

  int numInputs() const { return node_.input_size(); }
  bool hasInput(int i) const { return i < node_.input_size() && !node_.input(i).empty(); }
  /// Input `i`; an error when it is absent.
  Expected<Value*> input(int i);
  /// Input `i`, which must be a sequence; an error when it is absent or a tensor.
  Expected<Sequence> sequenceInput(int i);
  /// Input `i`, a tensor or a sequence; an error when it is absent.
  Expected<AnyValue> anyInput(int i);
  /// Input `i` or null when absent.
  Value* optionalInput(int i);
  /// Input `i`, which must be a constant integer tensor, as int64 values.
  Expected<std::vector<int64_t>> constInts(int i, std::string_view what);
  /// Input `i`, which must be a constant scalar (or one-element tensor) of any numeric type.
  Expected<double> constScalar(int i, std::string_view what);

  // Shape inputs known only at run time (docs/usage.md, "Shape inputs known only at run time"):
  // a converter may compile for the value the node's declared output shape implies, and then
  // checks at run time that the input's value gives that shape.
  using DeclaredShapeLookup = std::function<const std::vector<int64_t>*(const std::string&)>;
  /// Set by the importer driver: the static shape the model declares for a value name (a graph
  /// output or value_info with every dimension known), or null.
  void setDeclaredShapeLookup(DeclaredShapeLookup f) { declared_ = std::move(f); }
  /// The static shape the model declares for output `i`, or null.
  const std::vector<int64_t>* declaredShape(int i) const;
  /// The outputs this node binds afterwards (setOutput) check at run time that every element of
  /// `cond` (a bool tensor) is true; the run fails otherwise, naming the output.
  Status checkAtRunTime(Value* cond);
  /// `v == values` element-wise (values converted to v's type, broadcast like ONNX Equal).
  Expected<Value*> equalsConstant(Value* v, const std::vector<int64_t>& values,
                                  std::vector<int64_t> shape);
  /// Input `i` (an integer tensor known only at run time) as it reads for `axis` operands:
  /// negative entries plus `rank`.
  Expected<Value*> normalizedAxes(int i, int64_t rank);
  /// Whether every element of axes vector `axes` ([n]) is one of `allowed` and, when `required`
  /// is given, every entry of `required` occurs in `axes`: a bool scalar.
  Expected<Value*> axesMatch(Value* axes, const std::vector<int64_t>& allowed,
                             const std::vector<int64_t>& required);
  /// The error for a shape input that is neither a constant nor implied by a declared output.
  Status runtimeShapeInputError(int i, std::string_view what) const;
  /// Whether input `i` is present, non-empty and known only at run time.
  bool isRuntimeInput(int i) const;
  /// `value`, the value input `i` (known only at run time) must have for the declared output
  /// shapes the converter derived it from; registers the run-time check `input == value`.
  Expected<std::vector<int64_t>> impliedInts(int i, std::vector<int64_t> value);
  /// The axes a Reduce-style op with axes input `i` (known only at run time) may reduce for `x`
  /// to become the declared output shape, with `keepdims`: one choice, or several (without
  /// keepdims, [3, 2, 2] -> [3, 2] drops axis 1 or 2) each with the bool scalar that says the
  /// input names its axes (a size-1 axis may be named or not); the converter computes each and
  /// selects. Registers the run-time check that the input names one of them. Errors: no
  /// declared shape, or a declared shape no axes give.
  Expected<std::vector<ReduceChoice>> runtimeReduceAxes(int i, const Value* x, bool keepdims);

  bool hasAttr(std::string_view name) const;
  int64_t attrInt(std::string_view name, int64_t fallback);
  Expected<int64_t> requireInt(std::string_view name);
  double attrFloat(std::string_view name, double fallback);
  std::vector<int64_t> attrInts(std::string_view name, std::vector<int64_t> fallback = {});
  std::vector<double> attrFloats(std::string_view name);
  std::string attrString(std::string_view name, std::string fallback = "");
  const onnx::TensorProto* attrTensor(std::string_view name);
  /// Graph attribute `name` (an If branch, a Loop or Scan body), or null when absent.
  const onnx::GraphProto* attrGraph(std::string_view name);

  /// Imports the nodes of `g` (a graph attribute of this node) once, with its formal inputs bound
  /// to `inputs` in order; other names resolve in the enclosing scopes (ONNX lexical scoping).
  /// Returns the values of `g`'s outputs in order. Errors: a node of `g` fails (located at that
  /// node), an output is not produced, the kMaxUnrolledNodes limit is passed.
  Expected<std::vector<AnyValue>> importSubgraph(const onnx::GraphProto& g,
                                                 const std::vector<AnyValue>& inputs);
  using SubgraphImporter = std::function<Expected<std::vector<AnyValue>>(
      const onnx::GraphProto&, const std::vector<AnyValue>&)>;
  /// Set by the importer driver; importSubgraph fails without it.
  void setSubgraphImporter(SubgraphImporter f) { subgraph_ = std::move(f); }
  using SequenceLookup = std::function<const Sequence*(const std::string&)>;
  /// Set by the importer driver: finds a sequence value by name (null when there is none).
  void setSequenceLookup(SequenceLookup f) { sequenceLookup_ = std::move(f); }
  /// Marks an attribute as understood although unused (e.g. Dropout's seed in inference).
  void ignoreAttr(std::string_view name) { (void)find(name); }
  /// `consumed_inputs` (opsets 1-5) only marks inputs the old Caffe2 backend could overwrite in
  /// place: it never changes results, so the converters of ops that had it ignore it.
  void ignoreConsumedInputs() { ignoreAttr("consumed_inputs"); }
  /// The attributes present on the node that no converter read.
  std::vector<std::string> unreadAttrs() const;

  /// Creates an op (folding it at once when every operand is a constant).
  Expected<Value*> emit(OpKind kind, std::vector<Value*> operands, Attrs attrs = NoAttrs{},
                        const TensorType* resultType = nullptr);
  /// A new constant.
  Value* constant(TensorType type, std::vector<uint8_t> bytes);
  /// Binds ONNX output `i` of the node to `v`.
  Status setOutput(int i, Value* v);
  /// Binds ONNX output `i` to a data-dependent tensor: `v` has the static upper-bound shape and
  /// its extent along `axis` is the run-time value of `length` (an i64 scalar); its entries past
  /// that are unspecified. Such a value may only be a graph output (the importer rejects nodes
  /// reading it); the runtime packs and reports its shape (Module::runtimeExtents). A constant
  /// `length` gives an ordinary static output, `v` sliced to it.
  Status setDataDependentOutput(int i, Value* v, int axis, Value* length);
  int numOutputs() const { return node_.output_size(); }
  bool hasOutput(int i) const { return i < node_.output_size() && !node_.output(i).empty(); }

  /// An error located at this node.
  Status error(std::string message) const { return Status::error(std::move(message), where_); }
  /// checkTensorSize against the import's --max-tensor-bytes, located at this node: for
  /// converters that build tables or constants per output element before emit() sees the type.
  Status checkSize(const std::vector<int64_t>& shape, DType dtype) const {
    Status s = checkTensorSize(shape, dtype, maxTensorBytes_);
    return s.isOk() ? s : error(fmt::format("the result is too large: {}", s.message()));
  }
  const Location& where() const { return where_; }

  /// Binds ONNX output `i` of the node to the sequence `s`.
  Status setSequenceOutput(int i, Sequence s);
  /// Binds ONNX output `i` of the node to a tensor or a sequence.
  Status setAnyOutput(int i, AnyValue v) {
    return v.tensor ? setOutput(i, v.tensor) : setSequenceOutput(i, std::move(v.sequence));
  }

  std::vector<std::pair<std::string, Value*>> outputs; ///< filled by setOutput
  /// Filled by setDataDependentOutput: the outputs' values whose extent is known at run time.
  std::vector<std::pair<Value*, RuntimeExtent>> runtimeExtents;
  std::vector<std::pair<std::string, Sequence>> sequenceOutputs; ///< filled by setSequenceOutput

private:
  const onnx::AttributeProto* find(std::string_view name);
  const onnx::NodeProto& node_;
  int opset_;
  Module& m_;
  ConstantEvaluator& evaluator_;
  int64_t maxTensorBytes_;
  DeclaredShapeLookup declared_;
  Value* runtimeCheck_ = nullptr; ///< i32 scalar: 1 when every run-time check holds
  std::function<Value*(const std::string&)> lookup_;
  SubgraphImporter subgraph_;
  SequenceLookup sequenceLookup_;
  Location where_;
  std::set<std::string, std::less<>> read_;
};

/// The window of a convolution-like node (ONNX Conv attributes): kernel_shape (default `kernel`),
/// strides, dilations and pads, with auto_pad resolved into explicit pads for input `x`.
struct ConvWindow {
  IntList kernel, strides, pads, dilations;
};
/// Reads the window attributes of the node for `x` [N, C, spatial...]; errors name the attribute.
Expected<ConvWindow> convWindow(NodeContext& c, const TensorType& x, IntList kernel);

/// The ONNX Conv of the node's inputs X, W and optional B with its window attributes
/// (kernel_shape, strides, dilations, pads, auto_pad) and group; shared by Conv and onnxruntime's
/// FusedConv. ops/Conv.cpp.
Expected<Value*> convOf(NodeContext& c);

/// `axes` normalised against `rank` (each in [-rank, rank)), or every axis when `axes` is empty;
/// the error names the first axis out of range.
Expected<std::vector<int>> axesOrAll(NodeContext& c, const IntList& axes, int rank);

/// `x` reshaped to `shape` (same element count), or `x` itself when it has that shape.
Expected<Value*> reshapeTo(NodeContext& c, Value* x, std::vector<int64_t> shape);
/// Reads the values of a constant integer tensor as int64.
std::vector<int64_t> constantAsInts(const Value& v);
/// Converts a value of `dtype` to bytes, e.g. for a scalar constant.
std::vector<uint8_t> scalarBytes(DType dtype, double value);
/// Writes `value` as one element of `dtype` at `dst` (dtypeSize(dtype) bytes): scalarBytes without
/// the allocation, for filling large constants.
void putScalar(uint8_t* dst, DType dtype, double value);

} // namespace dnncc::onnximport
