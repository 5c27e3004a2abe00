// ONNX sequence ops -> compile-time lists of IR values (onnximport::Sequence): SequenceEmpty,
// SequenceConstruct, SequenceInsert, SequenceErase, SequenceAt, SequenceLength, SplitToSequence and
// ConcatFromSequence, SequenceMap. Positions and split sizes must be constants; only the tensors
// reach the IR.
// Also OptionalHasElement / OptionalGetElement on plain tensors and sequences (dnncc has no
// optional values: an input is either present or absent at compile time).
#include <cstring>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {
namespace {

/// Input `i` as a constant integer scalar position, checked against [-n, last] and made
/// non-negative (ONNX: "Negative value means counting positions from the back").
Expected<int64_t> position(NodeContext& c, int i, int64_t n, int64_t last) {
  DNNCC_ASSIGN_OR_RETURN(auto ints, c.constInts(i, "position"));
  if (ints.size() != 1)
    return c.error(fmt::format("position must be a scalar, got {} values", ints.size()));
  int64_t p = ints[0];
  if (p < -n || p > last)
    return c.error(fmt::format("position {} is out of range [{}, {}] for a sequence of length {}",
                               p, -n, last, n));
  return p < 0 ? p + n : p;
}

Status checkElement(NodeContext& c, const Sequence& s, const Value& v) {
  if (v.type.dtype != s.dtype)
    return c.error(fmt::format("a tensor of type {} cannot join a sequence of {}", toString(v.type),
                               dtypeName(s.dtype)));
  return Status::ok();
}

/// SequenceEmpty-11: an empty sequence of element type `dtype` (default float).
Status sequenceEmpty(NodeContext& c) {
  int64_t code = c.attrInt("dtype", onnx::TensorProto::FLOAT);
  auto dtype = dtypeFromOnnx(static_cast<int>(code));
  if (!dtype)
    return c.error(fmt::format("dtype {} is not supported", code));
  return c.setSequenceOutput(0, Sequence{*dtype, {}});
}

/// SequenceConstruct-11: the inputs (one element type) in order.
Status sequenceConstruct(NodeContext& c) {
  Sequence s;
  for (int i = 0; i < c.numInputs(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    if (i == 0)
      s.dtype = v->type.dtype;
    DNNCC_TRY(checkElement(c, s, *v));
    s.items.push_back(v);
  }
  if (s.items.empty())
    return c.error("SequenceConstruct needs at least one input");
  return c.setSequenceOutput(0, std::move(s));
}

/// SequenceInsert-11: inserts `tensor` before `position` (default: at the back), in [-n, n].
Status sequenceInsert(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Sequence s, c.sequenceInput(0));
  DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(1));
  DNNCC_TRY(checkElement(c, s, *v));
  int64_t n = static_cast<int64_t>(s.items.size());
  int64_t at = n;
  if (c.hasInput(2)) {
    DNNCC_ASSIGN_OR_RETURN(at, position(c, 2, n, n));
  }
  s.items.insert(s.items.begin() + at, v);
  return c.setSequenceOutput(0, std::move(s));
}

/// SequenceErase-11: removes the element at `position` (default: the last), in [-n, n-1].
Status sequenceErase(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Sequence s, c.sequenceInput(0));
  int64_t n = static_cast<int64_t>(s.items.size());
  if (n == 0)
    return c.error("cannot erase from an empty sequence");
  int64_t at = n - 1;
  if (c.hasInput(1)) {
    DNNCC_ASSIGN_OR_RETURN(at, position(c, 1, n, n - 1));
  }
  s.items.erase(s.items.begin() + at);
  return c.setSequenceOutput(0, std::move(s));
}

/// SequenceAt-11: the element at `position`, in [-n, n-1].
Status sequenceAt(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Sequence s, c.sequenceInput(0));
  int64_t n = static_cast<int64_t>(s.items.size());
  if (n == 0)
    return c.error("cannot take an element of an empty sequence");
  DNNCC_ASSIGN_OR_RETURN(int64_t at, position(c, 1, n, n - 1));
  return c.setOutput(0, s.items[at]);
}

/// SequenceLength-11: the number of elements, an int64 scalar constant.
Status sequenceLength(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Sequence s, c.sequenceInput(0));
  return c.setOutput(0, c.constant(TensorType{DType::i64, {}},
                                   scalarBytes(DType::i64, static_cast<double>(s.items.size()))));
}

/// SplitToSequence-11: splits along `axis` into parts of the sizes in `split` (1-D), of `split`
/// elements each with a smaller last part (scalar), or of 1 element each (absent; then keepdims=0
/// removes the axis).
Status splitToSequence(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  Expected<int> axis = normalizeAxis(c.attrInt("axis", 0), x->type.rank());
  if (!axis)
    return c.error(axis.status().message());
  bool keepDims = c.attrInt("keepdims", 1) != 0;
  int64_t dim = x->type.shape[*axis];
  IntList sizes;
  if (c.hasInput(1)) {
    DNNCC_ASSIGN_OR_RETURN(Value * split, c.input(1));
    DNNCC_ASSIGN_OR_RETURN(sizes, c.constInts(1, "split"));
    if (split->type.rank() == 0) {
      int64_t part = sizes[0];
      if (part <= 0)
        return c.error(fmt::format("split {} must be positive", part));
      sizes.clear();
      for (int64_t at = 0; at < dim; at += part)
        sizes.push_back(std::min(part, dim - at));
    }
    keepDims = true; // "If input 'split' is specified, this attribute is ignored."
  } else {
    sizes.assign(dim, 1);
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return c.error(fmt::format("split sizes [{}] must not be negative", fmt::join(sizes, ",")));
    total += s;
  }
  if (total != dim)
    return c.error(fmt::format("split sizes [{}] do not sum to the axis extent {}",
                               fmt::join(sizes, ","), dim));
  Sequence seq{x->type.dtype, {}};
  int64_t offset = 0;
  for (int64_t size : sizes) {
    IntList starts(x->type.rank(), 0), steps(x->type.rank(), 1);
    starts[*axis] = offset;
    std::vector<int64_t> shape = x->type.shape;
    shape[*axis] = size;
    Value* part = x;
    if (shape != x->type.shape) {
      TensorType t{x->type.dtype, shape};
      DNNCC_ASSIGN_OR_RETURN(part, c.emit(OpKind::Slice, {x}, SliceAttrs{starts, steps}, &t));
    }
    if (!keepDims) {
      shape.erase(shape.begin() + *axis);
      DNNCC_ASSIGN_OR_RETURN(part, reshapeTo(c, part, shape));
    }
    seq.items.push_back(part);
    offset += size;
  }
  return c.setSequenceOutput(0, std::move(seq));
}

/// ConcatFromSequence-11: concat along `axis` ([-r, r-1]), or with new_axis=1 stack along a new
/// axis ([-r-1, r]).
Status concatFromSequence(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Sequence s, c.sequenceInput(0));
  DNNCC_ASSIGN_OR_RETURN(int64_t axis, c.requireInt("axis"));
  bool newAxis = c.attrInt("new_axis", 0) != 0;
  if (s.items.empty())
    return c.error("cannot concatenate an empty sequence (zero-size tensors are not supported)");
  int rank = s.items[0]->type.rank();
  Expected<int> a = normalizeAxis(axis, newAxis ? rank + 1 : rank);
  if (!a)
    return c.error(a.status().message());
  std::vector<Value*> parts;
  for (Value* v : s.items) {
    if (v->type.rank() != rank)
      return c.error(fmt::format("the sequence holds tensors of different ranks ({} and {})",
                                 toString(s.items[0]->type), toString(v->type)));
    if (newAxis) {
      std::vector<int64_t> shape = v->type.shape;
      shape.insert(shape.begin() + *a, 1);
      DNNCC_ASSIGN_OR_RETURN(v, reshapeTo(c, v, shape));
    }
    parts.push_back(v);
  }
  if (parts.size() == 1)
    return c.setOutput(0, parts[0]);
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Concat, parts, AxisAttrs{*a}));
  return c.setOutput(0, y);
}

/// SequenceMap-17: the body once per element of the first input (a sequence); sequence inputs
/// give it their element at that position, tensor inputs themselves; output k collects the k-th
/// body output of every position.
Status sequenceMap(NodeContext& c) {
  const onnx::GraphProto* body = c.attrGraph("body");
  if (!body)
    return c.error("attribute 'body' is required");
  std::vector<AnyValue> inputs;
  for (int i = 0; i < c.numInputs(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(AnyValue v, c.anyInput(i));
    inputs.push_back(std::move(v));
  }
  if (inputs.empty() || inputs[0].tensor)
    return c.error("the first input of SequenceMap must be a sequence");
  size_t n = inputs[0].sequence.items.size();
  for (size_t i = 1; i < inputs.size(); ++i)
    if (!inputs[i].tensor && inputs[i].sequence.items.size() != n)
      return c.error(fmt::format("input {} is a sequence of {} elements, input 0 has {}", i,
                                 inputs[i].sequence.items.size(), n));
  if (body->output_size() < c.numOutputs())
    return c.error(
        fmt::format("the body has {} outputs, the node {}", body->output_size(), c.numOutputs()));
  std::vector<Sequence> outs(body->output_size());
  for (int k = 0; k < body->output_size(); ++k) {
    const auto& type = body->output(k).type();
    auto dtype = dtypeFromOnnx(type.has_tensor_type() ? type.tensor_type().elem_type() : 0);
    if (dtype)
      outs[k].dtype = *dtype; // the element type even when the result is empty
  }
  for (size_t pos = 0; pos < n; ++pos) {
    std::vector<AnyValue> args;
    for (const AnyValue& v : inputs)
      args.push_back({v.tensor ? v.tensor : v.sequence.items[pos], {}});
    DNNCC_ASSIGN_OR_RETURN(auto results, c.importSubgraph(*body, args));
    for (size_t k = 0; k < results.size(); ++k) {
      if (!results[k].tensor)
        return c.error(fmt::format("body output {} is a sequence; a tensor is needed", k));
      outs[k].dtype = results[k].tensor->type.dtype;
      outs[k].items.push_back(results[k].tensor);
    }
  }
  for (int k = 0; k < c.numOutputs(); ++k)
    DNNCC_TRY(c.setSequenceOutput(k, std::move(outs[k])));
  return Status::ok();
}

/// OptionalHasElement-18: true when the input is given (a tensor or a sequence), false when it is
/// absent.
Status optionalHasElement(NodeContext& c) {
  bool present = c.hasInput(0);
  if (present) {
    Value* v = c.optionalInput(0);
    if (!v) {
      Expected<Sequence> seq = c.sequenceInput(0); // an error unless it is a sequence
      if (!seq)
        return seq.status();
    }
  }
  return c.setOutput(
      0, c.constant(TensorType{DType::boolean, {}}, scalarBytes(DType::boolean, present ? 1 : 0)));
}

/// OptionalGetElement-18: a tensor or sequence input is returned as it is.
Status optionalGetElement(NodeContext& c) {
  if (Value* v = c.optionalInput(0))
    return c.setOutput(0, v);
  DNNCC_ASSIGN_OR_RETURN(Sequence s, c.sequenceInput(0));
  return c.setSequenceOutput(0, std::move(s));
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"SequenceEmpty", 11, kMax, sequenceEmpty},
    {"SequenceConstruct", 11, kMax, sequenceConstruct},
    {"SequenceInsert", 11, kMax, sequenceInsert},
    {"SequenceErase", 11, kMax, sequenceErase},
    {"SequenceAt", 11, kMax, sequenceAt},
    {"SequenceLength", 11, kMax, sequenceLength},
    {"SplitToSequence", 11, kMax, splitToSequence},
    {"ConcatFromSequence", 11, kMax, concatFromSequence},
    {"SequenceMap", 17, kMax, sequenceMap},
    {"OptionalHasElement", 15, kMax, optionalHasElement},
    {"OptionalGetElement", 15, kMax, optionalGetElement},
};

} // namespace

std::span<const ConverterRow> sequenceConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
