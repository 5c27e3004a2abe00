// convert-to-fp16: with --precision=fp16, every f32 value of the graph but its inputs and outputs
// becomes f16. f32 constants (weights) are rounded to nearest even; a cast to f16 follows each f32
// input (and each bitcast to f32) and a cast to f32 precedes each f32 output, so the library's API
// keeps f32; casts and dequantize_linear ops that produce f32 produce f16. The kernels compute
// ops on f16 values in f32 and round each result once (codegen/halide/LowPrecision.cpp), so
// convolutions, matrix products, reductions, softmax and normalisations accumulate in f32; on
// devices with half arithmetic the element-wise ops whose result that rounding cannot change
// (add, mul, max, ...: hl::halfArithmetic) compute in half. At fp32 the pass does nothing.
#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "ir/SmallTypes.h"
#include "passes/Pass.h"

namespace dnncc {

namespace {

/// The f16 copy of an f32 constant, same shape and layout, elements rounded to nearest even.
Value* halfConstant(Module& m, const Value* c) {
  TensorType t = c->type;
  t.dtype = DType::f16;
  int64_t n = c->type.numElements();
  std::vector<uint8_t> bytes(static_cast<size_t>(n) * 2);
  const float* src = c->dataAs<float>();
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h = doubleToHalfBits(src[i], /*bfloat=*/false);
    std::memcpy(bytes.data() + i * 2, &h, 2);
  }
  return m.addConstant(t, std::move(bytes), c->name);
}

CastAttrs castTo(DType to) {
  CastAttrs a;
  a.to = to;
  return a;
}
} // namespace

Status ConvertToFp16::run(Module& m, PassContext& ctx) {
  if (ctx.precision != Precision::fp16)
    return Status::ok();
  std::vector<bool> f32Output(m.outputs.size());
  for (size_t i = 0; i < m.outputs.size(); ++i)
    f32Output[i] = m.outputs[i]->type.dtype == DType::f32;
  // 1. Op results and the result types the attributes name. A bitcast keeps its f32 result (its
  // bits are the point) and gets a cast to f16, like an input.
  int converted = 0;
  for (auto& op : m.ops) {
    if (op->result->type.dtype != DType::f32 || op->kind == OpKind::BitCast)
      continue;
    op->result->type.dtype = DType::f16;
    if (op->kind == OpKind::Cast || op->kind == OpKind::DequantizeLinear)
      op->attr<CastAttrs>().to = DType::f16;
    ++converted;
  }
  // 2. Constants: an f16 copy replaces every use of an f32 constant.
  std::vector<Value*> halfOf(m.numValueIds(), nullptr);
  std::vector<Value*> f32Constants;
  for (Value* c : m.constants)
    if (c->type.dtype == DType::f32)
      f32Constants.push_back(c);
  for (Value* c : f32Constants)
    halfOf[c->id] = halfConstant(m, c);
  // 3. f32 inputs and bitcast results: a cast to f16 after each (inputs first in the op list),
  // which their readers read instead.
  std::vector<const Op*> casts;
  auto castAfter = [&](size_t index, Value* v, std::string name) -> Status {
    DNNCC_ASSIGN_OR_RETURN(
        Value * h, m.insertOp(index, OpKind::Cast, {v}, castTo(DType::f16), std::move(name)));
    halfOf.resize(m.numValueIds(), nullptr);
    halfOf[v->id] = h;
    casts.push_back(h->producer);
    return Status::ok();
  };
  size_t inputCasts = 0;
  for (Value* in : m.inputs)
    if (in->type.dtype == DType::f32)
      DNNCC_TRY(castAfter(inputCasts++, in, in->name + ".to_f16"));
  for (size_t i = 0; i < m.ops.size(); ++i)
    if (m.ops[i]->kind == OpKind::BitCast && m.ops[i]->result->type.dtype == DType::f32) {
      DNNCC_TRY(castAfter(i + 1, m.ops[i]->result, m.ops[i]->name)); // part of the same node
      ++i;
    }
  for (auto& op : m.ops) {
    if (std::find(casts.begin(), casts.end(), op.get()) != casts.end())
      continue;
    for (Value*& v : op->operands)
      if (v->id < static_cast<int>(halfOf.size()) && halfOf[v->id])
        v = halfOf[v->id];
  }
  // 4. Outputs: an output produced by a cast (used nowhere else) casts to f32 directly; any other
  // value computed in f16 gets a cast back to f32 that takes its name. An input or constant that
  // is itself an output stays as it is.
  std::vector<int> uses = m.useCounts();
  for (size_t i = 0; i < m.outputs.size(); ++i) {
    Value*& out = m.outputs[i];
    if (!f32Output[i] || !out->producer || out->type.dtype == DType::f32)
      continue;
    if (out->producer->kind == OpKind::Cast && uses[out->id] == 1) {
      out->type.dtype = DType::f32;
      out->producer->attr<CastAttrs>().to = DType::f32;
      continue;
    }
    std::string name = out->name;
    out->name = name + ".f16";
    DNNCC_ASSIGN_OR_RETURN(Value * f,
                           m.appendOp(OpKind::Cast, {out}, castTo(DType::f32), name + ".to_f32"));
    f->name = name;
    out = f;
  }
  m.removeDeadCode();
  // Every op must accept f16 where it had f32.
  for (const auto& op : m.ops) {
    Expected<TensorType> t = inferType(*op);
    if (!t)
      return Status::error(fmt::format("convert-to-fp16: op '{}' ({}) does not accept f16: {}",
                                       op->name, opName(op->kind), t.status().message()));
    if (t->dtype != op->result->type.dtype)
      return Status::error(fmt::format("convert-to-fp16: op '{}' ({}) computes {}, not {}",
                                       op->name, opName(op->kind), dtypeName(t->dtype),
                                       dtypeName(op->result->type.dtype)));
  }
  if (ctx.remark)
    ctx.remark(fmt::format("convert-to-fp16: {} op results and {} constants are f16, {} inputs "
                           "cast",
                           converted, f32Constants.size(), inputCasts));
  return Status::ok();
}

} // namespace dnncc
