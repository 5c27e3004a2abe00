// ONNX control flow -> IR by static unrolling: If (a constant condition imports one branch, a
// run-time one both, joined by where), Loop (a constant trip count: the body once per iteration,
// a run-time condition guarding the state with where) and Scan (the static sequence length: the
// body once per element).
#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {
namespace {

Value* scalarConstant(NodeContext& c, DType dtype, double value) {
  return c.constant(TensorType{dtype, {}}, scalarBytes(dtype, value));
}

/// x[..., index, ...] along `axis`, with that axis removed (rank - 1).
Expected<Value*> takeIndex(NodeContext& c, Value* x, int axis, int64_t index) {
  std::vector<int64_t> shape = x->type.shape;
  Value* slice = x;
  if (shape[axis] != 1) {
    IntList starts(x->type.rank(), 0), steps(x->type.rank(), 1);
    starts[axis] = index;
    shape[axis] = 1;
    TensorType t{x->type.dtype, shape};
    DNNCC_ASSIGN_OR_RETURN(slice, c.emit(OpKind::Slice, {x}, SliceAttrs{starts, steps}, &t));
  }
  shape.erase(shape.begin() + axis);
  return reshapeTo(c, slice, shape);
}

/// Stacks equally typed `parts` along a new axis `axis` (rank + 1): parts[i] lands at index i.
Expected<Value*> stack(NodeContext& c, const std::vector<Value*>& parts, int axis) {
  std::vector<Value*> expanded;
  for (Value* p : parts) {
    if (!p->type.sameShapeAndDType(parts[0]->type))
      return c.error(fmt::format("the iterations give scan outputs of different types ({} and "
                                 "{}); they cannot be stacked",
                                 toString(parts[0]->type), toString(p->type)));
    std::vector<int64_t> shape = p->type.shape;
    shape.insert(shape.begin() + axis, 1);
    DNNCC_ASSIGN_OR_RETURN(Value * e, reshapeTo(c, p, shape));
    expanded.push_back(e);
  }
  if (expanded.size() == 1)
    return expanded[0];
  return c.emit(OpKind::Concat, expanded, AxisAttrs{axis});
}

/// The value of a constant bool (or integer) scalar condition.
bool truthy(const Value& v) {
  std::vector<int64_t> ints = constantAsInts(v);
  return !ints.empty() && ints[0] != 0;
}

/// The tensor of `v`, or an error naming `what` when it is a sequence.
Expected<Value*> tensorOf(NodeContext& c, const AnyValue& v, std::string_view what) {
  if (!v.tensor)
    return c.error(fmt::format("{} is a sequence; a tensor is needed", what));
  return v.tensor;
}

/// where(cond, t, e) for one pair of branch results of a run-time If (output `i`).
Expected<Value*> select(NodeContext& c, Value* cond, Value* t, Value* e, size_t i) {
  if (!t->type.sameShapeAndDType(e->type))
    return c.error(fmt::format("If with a condition known only at run time needs branch outputs "
                               "of one type; output {} is {} in the then branch, {} in the else "
                               "branch",
                               i, toString(t->type), toString(e->type)));
  if (t == e)
    return t;
  return c.emit(OpKind::Where, {cond, t, e});
}

Status checkCondition(NodeContext& c, const Value& v, std::string_view what) {
  if (v.type.dtype != DType::boolean || v.type.numElements() != 1)
    return c.error(
        fmt::format("{} must be a bool tensor of one element, got {}", what, toString(v.type)));
  return Status::ok();
}

/// The If node's branches declare as many outputs as each other, at least as many as the node
/// has, and the same element types where both declare one (ONNX If: "the number of outputs ...
/// must match"); checked whichever branch a constant condition takes.
Status checkBranchSignatures(NodeContext& c, const onnx::GraphProto& thenBranch,
                             const onnx::GraphProto& elseBranch) {
  if (thenBranch.output_size() != elseBranch.output_size() ||
      thenBranch.output_size() < c.numOutputs())
    return c.error(fmt::format("the then branch declares {} outputs, the else branch {}, the "
                               "node has {}",
                               thenBranch.output_size(), elseBranch.output_size(), c.numOutputs()));
  for (int i = 0; i < thenBranch.output_size(); ++i) {
    const onnx::TypeProto& t = thenBranch.output(i).type();
    const onnx::TypeProto& e = elseBranch.output(i).type();
    if (t.has_tensor_type() && e.has_tensor_type() && t.tensor_type().elem_type() != 0 &&
        e.tensor_type().elem_type() != 0 &&
        t.tensor_type().elem_type() != e.tensor_type().elem_type())
      return c.error(fmt::format("output {} is {} in the then branch and {} in the else branch", i,
                                 onnxTypeName(t.tensor_type().elem_type()),
                                 onnxTypeName(e.tensor_type().elem_type())));
  }
  return Status::ok();
}

/// If-1+ (ONNX Operators.md, If). A constant `cond` (after import-time folding) imports only the
/// chosen branch inline. A run-time `cond` imports both branches and selects each output with
/// where(cond, then, else), which needs outputs of the same dtype and shape in both branches.
Status ifOp(NodeContext& c) {
  const onnx::GraphProto* thenBranch = c.attrGraph("then_branch");
  const onnx::GraphProto* elseBranch = c.attrGraph("else_branch");
  if (!thenBranch || !elseBranch)
    return c.error("attributes 'then_branch' and 'else_branch' are required");
  DNNCC_TRY(checkBranchSignatures(c, *thenBranch, *elseBranch));
  DNNCC_ASSIGN_OR_RETURN(Value * cond, c.input(0));
  DNNCC_TRY(checkCondition(c, *cond, "the condition"));
  auto bind = [&](std::vector<AnyValue> results, std::string_view branch) -> Status {
    if (static_cast<int>(results.size()) < c.numOutputs())
      return c.error(fmt::format("the {} branch has {} outputs, the node {}", branch,
                                 results.size(), c.numOutputs()));
    for (int i = 0; i < c.numOutputs(); ++i)
      DNNCC_TRY(c.setAnyOutput(i, std::move(results[i])));
    return Status::ok();
  };
  if (cond->isConstant()) {
    bool taken = truthy(*cond);
    DNNCC_ASSIGN_OR_RETURN(auto results, c.importSubgraph(taken ? *thenBranch : *elseBranch, {}));
    return bind(results, taken ? "then" : "else");
  }
  DNNCC_ASSIGN_OR_RETURN(auto thenResults, c.importSubgraph(*thenBranch, {}));
  DNNCC_ASSIGN_OR_RETURN(auto elseResults, c.importSubgraph(*elseBranch, {}));
  if (thenResults.size() != elseResults.size())
    return c.error(fmt::format("the then branch has {} outputs, the else branch {}",
                               thenResults.size(), elseResults.size()));
  DNNCC_ASSIGN_OR_RETURN(Value * scalarCond, reshapeTo(c, cond, {}));
  std::vector<AnyValue> selected;
  for (size_t i = 0; i < thenResults.size() && static_cast<int>(i) < c.numOutputs(); ++i) {
    const AnyValue& t = thenResults[i];
    const AnyValue& e = elseResults[i];
    if (t.tensor && e.tensor) {
      DNNCC_ASSIGN_OR_RETURN(Value * y, select(c, scalarCond, t.tensor, e.tensor, i));
      selected.push_back({y, {}});
      continue;
    }
    // Sequences: the same length and element types in both branches, selected element-wise.
    if (t.tensor || e.tensor || t.sequence.items.size() != e.sequence.items.size() ||
        t.sequence.dtype != e.sequence.dtype)
      return c.error(fmt::format("If with a condition known only at run time needs branch "
                                 "outputs of one type; output {} differs between the branches "
                                 "(tensor or sequence, length, element type)",
                                 i));
    Sequence y{t.sequence.dtype, {}};
    for (size_t k = 0; k < t.sequence.items.size(); ++k) {
      DNNCC_ASSIGN_OR_RETURN(Value * v,
                             select(c, scalarCond, t.sequence.items[k], e.sequence.items[k], i));
      y.items.push_back(v);
    }
    selected.push_back({nullptr, std::move(y)});
  }
  return bind(std::move(selected), "then");
}

/// Loop-1+ (ONNX Operators.md, Loop), unrolled: inputs (M, cond, v_initial...), body inputs
/// (iteration_num, condition, v...), body outputs (condition, v..., scan outputs...), node outputs
/// (v_final..., scan outputs stacked along a new axis 0). The trip count M must be a constant.
/// A condition that folds to constants stops the unrolling; one known only at run time is
/// honoured with where(still running, new, old) on the loop-carried tensors (no scan outputs).
Status loop(NodeContext& c) {
  const onnx::GraphProto* body = c.attrGraph("body");
  if (!body)
    return c.error("attribute 'body' is required");
  int numCarried = c.numInputs() - 2;
  if (numCarried < 0)
    return c.error(fmt::format("Loop needs at least 2 inputs (M, cond), got {}", c.numInputs()));
  if (body->input_size() != 2 + numCarried)
    return c.error(fmt::format("the body has {} inputs, expected 2 + {} loop-carried",
                               body->input_size(), numCarried));
  int numScan = body->output_size() - 1 - numCarried;
  if (numScan < 0)
    return c.error(fmt::format("the body has {} outputs, expected at least 1 + {} loop-carried",
                               body->output_size(), numCarried));
  if (c.numOutputs() > numCarried + numScan)
    return c.error(fmt::format("the node has {} outputs, the body gives {} loop-carried and {} "
                               "scan outputs",
                               c.numOutputs(), numCarried, numScan));

  std::optional<int64_t> tripCount;
  if (c.hasInput(0)) {
    DNNCC_ASSIGN_OR_RETURN(Value * m, c.input(0));
    if (!m->isConstant())
      return c.error("Loop with a trip count known only at run time is not supported");
    std::vector<int64_t> ints = constantAsInts(*m);
    if (ints.size() != 1)
      return c.error(
          fmt::format("the trip count M must be an integer scalar, got {}", toString(m->type)));
    tripCount = std::max<int64_t>(ints[0], 0);
  }
  Value* cond = nullptr;
  if (c.hasInput(1)) {
    DNNCC_ASSIGN_OR_RETURN(cond, c.input(1));
    DNNCC_TRY(checkCondition(c, *cond, "the condition"));
  } else {
    if (!tripCount)
      return c.error("Loop with neither a trip count nor a condition never ends");
    cond = scalarConstant(c, DType::boolean, 1);
  }
  // No check of M up front: a while loop (M = INT64_MAX) ends when its condition folds to false.
  int64_t bodyNodes = std::max(1, body->node_size());

  std::vector<AnyValue> state; // tensors or sequences
  for (int j = 0; j < numCarried; ++j) {
    DNNCC_ASSIGN_OR_RETURN(AnyValue v, c.anyInput(2 + j));
    state.push_back(std::move(v));
  }
  // Once the condition is a run-time value, `active` holds it (a bool scalar): every remaining
  // iteration up to the trip count is imported and its state kept only where `active` is true.
  // Exact without scan outputs (whose length would depend on the condition).
  Value* active = nullptr;
  auto goGuarded = [&](std::string_view why) -> Status {
    if (numScan > 0)
      return c.error(fmt::format("Loop with scan outputs whose condition is known only at run "
                                 "time ({}) is not supported",
                                 why));
    if (!tripCount)
      return c.error(fmt::format("Loop whose condition is known only at run time ({}) needs a "
                                 "constant trip count",
                                 why));
    return Status::ok();
  };
  if (!cond->isConstant()) {
    DNNCC_TRY(goGuarded("the condition input"));
    DNNCC_ASSIGN_OR_RETURN(active, reshapeTo(c, cond, {}));
  }
  std::vector<std::vector<Value*>> scans(numScan);
  int64_t i = 0;
  for (; (!tripCount || i < *tripCount) && (active || truthy(*cond)); ++i) {
    if (i + 1 > kMaxUnrolledNodes / bodyNodes)
      return c.error(fmt::format("Loop unrolls to more than {} iterations of {} nodes, more than "
                                 "the limit of {} unrolled nodes",
                                 i, bodyNodes, kMaxUnrolledNodes));
    std::vector<AnyValue> inputs{{scalarConstant(c, DType::i64, static_cast<double>(i)), {}},
                                 {active ? active : cond, {}}};
    inputs.insert(inputs.end(), state.begin(), state.end());
    DNNCC_ASSIGN_OR_RETURN(auto results, c.importSubgraph(*body, inputs));
    DNNCC_ASSIGN_OR_RETURN(cond, tensorOf(c, results[0], "the condition output of the body"));
    DNNCC_TRY(checkCondition(c, *cond, "the condition output of the body"));
    if (active) {
      for (int j = 0; j < numCarried; ++j) {
        std::string what = fmt::format("loop-carried value {}", j);
        DNNCC_ASSIGN_OR_RETURN(Value * next, tensorOf(c, results[1 + j], what));
        DNNCC_ASSIGN_OR_RETURN(Value * kept, tensorOf(c, state[j], what));
        if (!next->type.sameShapeAndDType(kept->type))
          return c.error(fmt::format("Loop whose condition is known only at run time needs "
                                     "loop-carried values of one type; value {} goes from {} to {}",
                                     j, toString(kept->type), toString(next->type)));
        if (next != kept) {
          DNNCC_ASSIGN_OR_RETURN(next, c.emit(OpKind::Where, {active, next, kept}));
        }
        state[j] = {next, {}};
      }
      DNNCC_ASSIGN_OR_RETURN(Value * scalar, reshapeTo(c, cond, {}));
      DNNCC_ASSIGN_OR_RETURN(active, c.emit(OpKind::And, {active, scalar}));
      continue;
    }
    std::move(results.begin() + 1, results.begin() + 1 + numCarried, state.begin());
    for (int k = 0; k < numScan; ++k) {
      DNNCC_ASSIGN_OR_RETURN(Value * v, tensorOf(c, results[1 + numCarried + k],
                                                 fmt::format("scan output {} of the body", k)));
      scans[k].push_back(v);
    }
    if (!cond->isConstant()) {
      DNNCC_TRY(goGuarded(fmt::format("computed by the body in iteration {}", i)));
      DNNCC_ASSIGN_OR_RETURN(active, reshapeTo(c, cond, {}));
    }
  }
  for (int j = 0; j < numCarried; ++j)
    DNNCC_TRY(c.setAnyOutput(j, std::move(state[j])));
  for (int k = 0; k < numScan; ++k) {
    if (!c.hasOutput(numCarried + k))
      continue;
    if (i == 0) { // no iteration: an empty stack of the body's declared scan output
      const onnx::ValueInfoProto& info = body->output(1 + numCarried + k);
      const auto& tt = info.type().tensor_type();
      std::optional<DType> dtype = dtypeFromOnnx(tt.elem_type());
      std::vector<int64_t> shape{0};
      bool known = dtype && tt.has_shape();
      for (const auto& d : tt.shape().dim()) {
        known &= d.has_dim_value();
        shape.push_back(d.dim_value());
      }
      if (!known)
        return c.error(fmt::format("the Loop runs no iteration and the body declares no static "
                                   "type for scan output '{}', so its empty result has no shape",
                                   info.name()));
      DNNCC_TRY(c.setOutput(numCarried + k, c.constant(TensorType{*dtype, shape}, {})));
      continue;
    }
    DNNCC_ASSIGN_OR_RETURN(Value * y, stack(c, scans[k], 0));
    DNNCC_TRY(c.setOutput(numCarried + k, y));
  }
  return Status::ok();
}

/// What one Scan runs: the body over `scanInputs` sliced along their axes, carrying `state`.
struct ScanSpec {
  const onnx::GraphProto* body = nullptr;
  std::vector<int> inputAxes, inputReverse, outputAxes, outputReverse; // axes normalized
  int numScanOutputs = 0;
};

/// The scan of one (batch element's) inputs, unrolled over the sequence length; returns the final
/// state followed by the stacked scan outputs.
Expected<std::vector<Value*>> runScan(NodeContext& c, const ScanSpec& s, std::vector<Value*> state,
                                      const std::vector<Value*>& scanInputs) {
  int64_t length = -1;
  for (size_t j = 0; j < scanInputs.size(); ++j) {
    int axis = s.inputAxes[j];
    if (axis < 0 || axis >= scanInputs[j]->type.rank())
      return c.error(fmt::format("scan input {} of type {} has no axis {}", j,
                                 toString(scanInputs[j]->type), axis));
    int64_t n = scanInputs[j]->type.shape[axis];
    if (length >= 0 && n != length)
      return c.error(
          fmt::format("the scan inputs have different sequence lengths ({} and {})", length, n));
    length = n;
  }
  if (length <= 0)
    return c.error("Scan needs at least one scan input with a non-empty sequence");
  int64_t bodyNodes = std::max(1, s.body->node_size());
  if (length > kMaxUnrolledNodes / bodyNodes)
    return c.error(fmt::format("Scan unrolls to {} iterations of {} nodes, more than the limit of "
                               "{} unrolled nodes",
                               length, bodyNodes, kMaxUnrolledNodes));
  std::vector<std::vector<Value*>> outs(s.numScanOutputs);
  for (int64_t t = 0; t < length; ++t) {
    std::vector<AnyValue> inputs;
    for (Value* v : state)
      inputs.push_back({v, {}});
    for (size_t j = 0; j < scanInputs.size(); ++j) {
      int64_t index = s.inputReverse[j] ? length - 1 - t : t;
      DNNCC_ASSIGN_OR_RETURN(Value * e, takeIndex(c, scanInputs[j], s.inputAxes[j], index));
      inputs.push_back({e, {}});
    }
    DNNCC_ASSIGN_OR_RETURN(auto results, c.importSubgraph(*s.body, inputs));
    for (size_t j = 0; j < results.size(); ++j) {
      DNNCC_ASSIGN_OR_RETURN(Value * v, tensorOf(c, results[j], fmt::format("body output {}", j)));
      if (j < state.size())
        state[j] = v;
      else
        outs[j - state.size()].push_back(v);
    }
  }
  std::vector<Value*> result = state;
  for (int k = 0; k < s.numScanOutputs; ++k) {
    if (s.outputReverse[k])
      std::reverse(outs[k].begin(), outs[k].end());
    int rank = outs[k][0]->type.rank();
    int axis = s.outputAxes[k] < 0 ? s.outputAxes[k] + rank + 1 : s.outputAxes[k];
    if (axis < 0 || axis > rank)
      return c.error(fmt::format("scan_output_axes entry {} is out of range for scan output {} of "
                                 "rank {}",
                                 s.outputAxes[k], k, rank));
    DNNCC_ASSIGN_OR_RETURN(Value * y, stack(c, outs[k], axis));
    result.push_back(y);
  }
  return result;
}

/// 0/1 flags of length `n` from attribute `name` (default all 0).
Expected<std::vector<int>> flags(NodeContext& c, std::string_view name, int n) {
  std::vector<int64_t> v = c.attrInts(name, std::vector<int64_t>(n, 0));
  if (static_cast<int>(v.size()) != n)
    return c.error(fmt::format("attribute '{}' has {} entries, expected {}", name, v.size(), n));
  std::vector<int> out;
  for (int64_t x : v) {
    if (x != 0 && x != 1)
      return c.error(fmt::format("attribute '{}' entries must be 0 or 1, got {}", name, x));
    out.push_back(static_cast<int>(x));
  }
  return out;
}

/// Checks the body's arity and fills the parts of `s` common to both Scan forms.
Status scanCommon(NodeContext& c, ScanSpec& s, int numState, int numScanInputs) {
  s.body = c.attrGraph("body");
  if (!s.body)
    return c.error("attribute 'body' is required");
  if (s.body->input_size() != numState + numScanInputs)
    return c.error(fmt::format("the body has {} inputs, expected {} state + {} scan inputs",
                               s.body->input_size(), numState, numScanInputs));
  s.numScanOutputs = s.body->output_size() - numState;
  if (s.numScanOutputs < 0)
    return c.error(fmt::format("the body has {} outputs, fewer than the {} state variables",
                               s.body->output_size(), numState));
  if (c.numOutputs() > numState + s.numScanOutputs)
    return c.error(fmt::format("the node has {} outputs, the body gives {}", c.numOutputs(),
                               numState + s.numScanOutputs));
  return Status::ok();
}

/// Scan-9+ (ONNX Operators.md, Scan): inputs (initial states..., scan inputs...), attributes
/// num_scan_inputs, scan_input_axes/directions, scan_output_axes/directions; outputs (final
/// states..., scan outputs...). Unrolled over the static sequence length.
Status scan9(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(int64_t numScanInputs, c.requireInt("num_scan_inputs"));
  int numState = c.numInputs() - static_cast<int>(numScanInputs);
  if (numScanInputs < 1 || numState < 0)
    return c.error(
        fmt::format("num_scan_inputs={} does not fit the {} inputs", numScanInputs, c.numInputs()));
  ScanSpec s;
  DNNCC_TRY(scanCommon(c, s, numState, static_cast<int>(numScanInputs)));
  std::vector<Value*> state, scanInputs;
  for (int i = 0; i < c.numInputs(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    (i < numState ? state : scanInputs).push_back(v);
  }
  std::vector<int64_t> inAxes = c.attrInts("scan_input_axes", IntList(numScanInputs, 0));
  if (inAxes.size() != scanInputs.size())
    return c.error(fmt::format("scan_input_axes has {} entries, expected {}", inAxes.size(),
                               scanInputs.size()));
  for (size_t j = 0; j < inAxes.size(); ++j) {
    Expected<int> a = normalizeAxis(inAxes[j], scanInputs[j]->type.rank());
    if (!a)
      return c.error(fmt::format("scan_input_axes entry {}: {}", j, a.status().message()));
    s.inputAxes.push_back(*a);
  }
  DNNCC_ASSIGN_OR_RETURN(s.inputReverse,
                         flags(c, "scan_input_directions", static_cast<int>(numScanInputs)));
  std::vector<int64_t> outAxes = c.attrInts("scan_output_axes", IntList(s.numScanOutputs, 0));
  if (static_cast<int>(outAxes.size()) != s.numScanOutputs)
    return c.error(fmt::format("scan_output_axes has {} entries, expected {}", outAxes.size(),
                               s.numScanOutputs));
  s.outputAxes.assign(outAxes.begin(), outAxes.end());
  DNNCC_ASSIGN_OR_RETURN(s.outputReverse, flags(c, "scan_output_directions", s.numScanOutputs));
  DNNCC_ASSIGN_OR_RETURN(auto results, runScan(c, s, state, scanInputs));
  for (int i = 0; i < c.numOutputs(); ++i)
    DNNCC_TRY(c.setOutput(i, results[i]));
  return Status::ok();
}

/// Scan-8 (ONNX Operators.md, Scan-8): inputs (sequence_lens, initial states..., scan inputs...)
/// with a leading batch axis on every input and output; scan inputs are scanned along axis 1 in
/// `directions`, scan outputs stacked along axis 1 in iteration order. sequence_lens, when given,
/// must be a constant equal to the full sequence length for every batch element.
Status scan8(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(int64_t numScanInputs, c.requireInt("num_scan_inputs"));
  int numState = c.numInputs() - 1 - static_cast<int>(numScanInputs);
  if (numScanInputs < 1 || numState < 0)
    return c.error(
        fmt::format("num_scan_inputs={} does not fit the {} inputs", numScanInputs, c.numInputs()));
  ScanSpec s;
  DNNCC_TRY(scanCommon(c, s, numState, static_cast<int>(numScanInputs)));
  std::vector<Value*> state, scanInputs;
  for (int i = 1; i < c.numInputs(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * v, c.input(i));
    if (v->type.rank() < (i <= numState ? 1 : 2))
      return c.error(fmt::format("input {} of type {} lacks the batch (and sequence) axes", i,
                                 toString(v->type)));
    (i <= numState ? state : scanInputs).push_back(v);
  }
  int64_t batch = scanInputs[0]->type.shape[0];
  int64_t length = scanInputs[0]->type.shape[1];
  for (Value* v : state)
    if (v->type.shape[0] != batch)
      return c.error(fmt::format("an initial state of type {} has not the batch size {}",
                                 toString(v->type), batch));
  if (c.hasInput(0)) {
    DNNCC_ASSIGN_OR_RETURN(auto lens, c.constInts(0, "sequence_lens"));
    for (int64_t n : lens)
      if (n != length)
        return c.error(fmt::format("sequence_lens entry {} differs from the sequence length {} "
                                   "(shorter sequences are not supported)",
                                   n, length));
  }
  DNNCC_ASSIGN_OR_RETURN(s.inputReverse, flags(c, "directions", static_cast<int>(numScanInputs)));
  s.inputAxes.assign(numScanInputs, 0); // after the batch axis is taken away
  s.outputAxes.assign(s.numScanOutputs, 0);
  s.outputReverse.assign(s.numScanOutputs, 0);
  std::vector<std::vector<Value*>> perBatch(numState + s.numScanOutputs);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Value*> bState, bInputs;
    for (Value* v : state) {
      DNNCC_ASSIGN_OR_RETURN(Value * e, takeIndex(c, v, 0, b));
      bState.push_back(e);
    }
    for (Value* v : scanInputs) {
      if (v->type.shape[0] != batch)
        return c.error(fmt::format("a scan input of type {} has not the batch size {}",
                                   toString(v->type), batch));
      DNNCC_ASSIGN_OR_RETURN(Value * e, takeIndex(c, v, 0, b));
      bInputs.push_back(e);
    }
    DNNCC_ASSIGN_OR_RETURN(auto results, runScan(c, s, bState, bInputs));
    for (size_t k = 0; k < results.size(); ++k)
      perBatch[k].push_back(results[k]);
  }
  for (int i = 0; i < c.numOutputs(); ++i) {
    if (!c.hasOutput(i))
      continue;
    DNNCC_ASSIGN_OR_RETURN(Value * y, stack(c, perBatch[i], 0));
    DNNCC_TRY(c.setOutput(i, y));
  }
  return Status::ok();
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"If", 1, kMax, ifOp},
    {"Loop", 1, kMax, loop},
    {"Scan", 8, 8, scan8},
    {"Scan", 9, kMax, scan9},
};

} // namespace

std::span<const ConverterRow> controlFlowConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
