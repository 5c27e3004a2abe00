// The typed SSA tensor IR: values, ops and the module that owns them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Attrs.h"
#include "ir/Type.h"
#include "support/Status.h"

namespace dnncc {

/// Every op kind, expanded from Ops.def.
enum class OpKind : uint16_t {
#define DNNCC_OP(Kind, name, AttrsT, minOps, maxOps, traits, infer) Kind,
#include "ir/Ops.def"
};

/// Op traits (bit set), see Ops.def.
enum OpTrait : unsigned { kElementwise = 1u, kAlias = 2u, kAnchor = 4u, kSmallTypes = 8u };

struct Op;

/// The bytes of `values` (trivially copyable elements), as Module::addConstant takes them.
template <class T> std::vector<uint8_t> bytesOf(const std::vector<T>& values) {
  std::vector<uint8_t> b(values.size() * sizeof(T));
  if (!b.empty())
    std::memcpy(b.data(), values.data(), b.size());
  return b;
}

/// An SSA value: an op result, a model input, or a constant (initializer or folded result).
struct Value {
  int id = 0;            ///< unique in its module; printed as %id or @id
  TensorType type;
  Op* producer = nullptr; ///< null for inputs and constants
  std::string name;       ///< ONNX tensor name where there is one
  /// Constant payload (byteSize() bytes in rowMajor order); null for non-constants.
  std::shared_ptr<const std::vector<uint8_t>> data;

  bool isConstant() const { return data != nullptr; }
  template <class T> const T* dataAs() const {
    return reinterpret_cast<const T*>(data->data());
  }
};

/// One operation with a single result. Operands may be op results, inputs or constants.
struct Op {
  OpKind kind;
  std::vector<Value*> operands;
  Value* result = nullptr;
  Attrs attrs;
  std::string name; ///< ONNX node name, kept for diagnostics and `loc(...)`
  int group = -1;   ///< fused kernel group (passes/FuseElementwise), -1 = none yet

  template <class A> const A& attr() const { return std::get<A>(attrs); }
  template <class A> A& attr() { return std::get<A>(attrs); }
};

/// Static facts about an op kind (one row of Ops.def).
struct OpSchema {
  OpKind kind;
  std::string_view name;
  int minOperands;
  int maxOperands; ///< -1 = variadic
  unsigned traits;
  Attrs defaultAttrs;
  Expected<TensorType> (*infer)(const Op&);
};

const OpSchema& schema(OpKind kind);
inline std::string_view opName(OpKind kind) { return schema(kind).name; }
inline bool hasTrait(OpKind kind, OpTrait t) { return (schema(kind).traits & t) != 0; }
/// The op kind spelled `name` in the IR text, or nothing.
const OpSchema* findSchema(std::string_view name);
/// Number of op kinds in Ops.def.
int numOpKinds();

/// Where a value's bytes live in a compiled model (passes/PlanMemory).
enum class Storage : uint8_t { none, arena, weights, input, output };

struct Placement {
  Storage storage = Storage::none;
  int64_t offset = 0; ///< bytes into the arena or weights blob
  int index = 0;      ///< input/output index
  /// Element strides of the value's buffer dimensions (bufferDims order) when it lives inside a
  /// larger tensor whose strides differ from its own layout's: an operand that its kernel writes
  /// into its slot of a concat's result or of the channel shuffle after it (passes/ConcatInPlace).
  /// Empty: bufferDims(type)'s.
  std::vector<int64_t> strides;
};

/// The static memory plan: a placement per value id, the arena size, and the sum of all
/// intermediate sizes (what no reuse would cost).
struct MemoryPlan {
  std::vector<Placement> byValue;
  int64_t arenaSize = 0;
  int64_t unsharedSize = 0;
  int64_t weightsSize = 0;
};

/// A data-dependent output extent (NonZero, Compress, Unique, NonMaxSuppression): along `axis`
/// the output holds the run-time value of `length` (an i64 scalar computed by the model) entries
/// of at most the static extent, which is the upper bound the buffer is allocated for. The
/// runtime reads `length` after a run, packs the output's entries to that shape (row-major) and
/// reports it (dnncc_rt_output_shape).
struct RuntimeExtent {
  int axis = 0;
  Value* length = nullptr;
};

/// A check the runtime makes after a run (GPU targets, where a kernel cannot fail a run): the
/// run fails with `message` when the integer or bool scalar `ok` is zero (passes/DeferRunChecks).
struct RunCheck {
  Value* ok = nullptr;
  std::string message;
};

/// The message of a failed run-time check of a shape input (the Assert op, a RunCheck) for the
/// value called `valueName`.
std::string shapeCheckMessage(const std::string& valueName);

/// A whole model: inputs, constants, ops in topological order, outputs.
class Module {
public:
  /// Set by passes/PlanMemory; codegen requires it.
  std::optional<MemoryPlan> plan;

  std::string name = "model";
  std::string sourceFile; ///< model file, for diagnostics

  std::vector<Value*> inputs;
  std::vector<Value*> outputs;
  /// By output index: the outputs whose extent is known only at run time (absent: static).
  std::map<int, RuntimeExtent> runtimeExtents;
  /// Checks the runtime makes after each run, in order.
  std::vector<RunCheck> runChecks;
  std::vector<Value*> constants;
  std::vector<std::unique_ptr<Op>> ops; ///< topological order

  Value* addInput(TensorType type, std::string name);
  /// A constant; `bytes` must hold type.byteSize() bytes in rowMajor order.
  Value* addConstant(TensorType type, std::vector<uint8_t> bytes, std::string name = "");
  Value* addConstant(TensorType type, std::shared_ptr<const std::vector<uint8_t>> bytes,
                     std::string name = "");

  /// Appends an op after checking arity and inferring its result type. `resultType` is required
  /// for ops whose result shape is not derivable from operands and attributes (reshape, expand,
  /// slice) and is otherwise checked against the inferred type when given.
  Expected<Value*> appendOp(OpKind kind, std::vector<Value*> operands, Attrs attrs,
                            std::string name = "", const TensorType* resultType = nullptr);
  /// Like appendOp but inserts before position `index` of `ops`.
  Expected<Value*> insertOp(size_t index, OpKind kind, std::vector<Value*> operands, Attrs attrs,
                            std::string name = "", const TensorType* resultType = nullptr);

  /// Makes every use of `from` (operands and outputs) refer to `to`.
  void replaceAllUses(Value* from, Value* to);
  /// Removes ops whose results are unused, and unused constants (dead-code elimination).
  int removeDeadCode();
  /// Number of ops reading each value, plus one per appearance in `outputs`, per run-time extent
  /// length and per run check. Indexed by Value::id.
  std::vector<int> useCounts() const;
  int numValueIds() const { return nextId_; }
  /// Gives `v` the id `id`, which no other value of the module may have (the parser keeps the ids
  /// of the text, so that print(parse(print(m))) == print(m)).
  void setValueId(Value* v, int id) {
    v->id = id;
    nextId_ = std::max(nextId_, id + 1);
  }

private:
  Value* newValue(TensorType type, std::string name);
  std::vector<std::unique_ptr<Value>> values_;
  int nextId_ = 0;
};

/// Checks the module: arity, operand definitions before use, result types equal the inferred ones,
/// outputs defined. Returns the first violation, naming the op.
Status verify(const Module& m);

/// For a slice that reads one contiguous run of its operand's bytes, the run's offset in bytes;
/// nothing for any other op. Contiguous: operand and result row-major and unblocked, the axes
/// inside the sliced one taken whole, the axes outside it one index each, the sliced axis read
/// with step 1 (x[t] of a [T, B, H] sequence, a channel range of a [1, C, H, W] map). Such a slice
/// can be a view of its operand's bytes instead of a copy (passes/MakeViews).
std::optional<int64_t> contiguousSliceOffset(const Op& slice);

/// True when `layout` for the result of `transpose` stores its elements in the same order as the
/// operand's storage: memory holds the same bytes, so the transpose need not move any (ConvNeXt's
/// permute of an NHWC-stored [N, C, H, W] map to a row-major [N, H, W, C]). Axes of extent 1 are
/// ignored; blocked types never qualify. False for any other op.
bool transposeKeepsBytes(const Op& transpose, Layout layout);

/// Where a concat operand's elements lie in the memory of a tensor computed from the concat:
/// the byte offset of its first element and the element strides of its buffer dimensions
/// (bufferDims order). A kernel that writes the operand through these strides from that offset
/// writes its part of that tensor in place (passes/ConcatInPlace).
struct ConcatSlot {
  int64_t offset = 0;
  std::vector<int64_t> strides;
};
/// The slot of operand `i` of the concat `chain[0]` in the memory of `chain.back()`'s result,
/// where each op of `chain` after the concat is a reshape or transpose of the previous one's
/// result (a channel shuffle: concat -> reshape -> transpose). The map from the operand's
/// indices to that memory (in its layout) must be affine: it is checked for every element.
/// Nothing when it is not, when the operand or the result is blocked or grouped
/// (TensorType::block, group), or, through reshapes and transposes, for an operand of more than
/// 2^22 elements (the check's cost).
std::optional<ConcatSlot> concatSlot(const std::vector<const Op*>& chain, size_t i);

/// Re-runs type inference for one op (used by verify and by passes that change operands).
Expected<TensorType> inferType(const Op& op);

} // namespace dnncc
