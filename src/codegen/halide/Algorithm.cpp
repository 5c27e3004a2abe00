// Dispatch from op kind to Halide algorithm, and the helpers the family files share.
#include "codegen/halide/Algorithm.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace dnncc::hl {

Halide::Expr TensorFunc::operator()(const Idx& onnxIdx) const { return func(halideOrder(onnxIdx)); }

Halide::Type halideType(DType t, const Lowering& lw) {
  switch (t) {
  case DType::f32:
    return Halide::Float(32);
  case DType::f16:
    return lw.halfAsBits ? Halide::UInt(16) : Halide::Float(16);
  case DType::bf16:
    return Halide::BFloat(16);
  case DType::f64:
    return Halide::Float(64);
  case DType::i8:
    return Halide::Int(8);
  case DType::i16:
    return Halide::Int(16);
  case DType::i32:
    return Halide::Int(32);
  case DType::i64:
    return Halide::Int(64);
  case DType::u8:
  case DType::boolean:
    return Halide::UInt(8);
  case DType::u16:
    return Halide::UInt(16);
  case DType::u32:
    return Halide::UInt(32);
  case DType::u64:
    return Halide::UInt(64);
  case DType::i4:
  case DType::i2:
    return Halide::Int(8); // sign-extended, one element per byte (ir/SmallTypes.h)
  case DType::u4:
  case DType::u2:
  case DType::f8e4m3fn:
  case DType::f8e4m3fnuz:
  case DType::f8e5m2:
  case DType::f8e5m2fnuz:
  case DType::f8e8m0:
  case DType::f4e2m1:
    return Halide::UInt(8); // the value or the float code, one element per byte
  }
  return Halide::Float(32);
}

std::vector<Halide::Var> makeVars(int rank) {
  std::vector<Halide::Var> v;
  for (int i = 0; i < rank; ++i)
    v.emplace_back(fmt::format("d{}", i));
  return v;
}

Idx halideOrder(const Idx& onnx) { return Idx(onnx.rbegin(), onnx.rend()); }
std::vector<Halide::Var> halideOrder(const std::vector<Halide::Var>& onnx) {
  return std::vector<Halide::Var>(onnx.rbegin(), onnx.rend());
}
Idx asIdx(const std::vector<Halide::Var>& vars) { return Idx(vars.begin(), vars.end()); }

Idx broadcastIdx(const TensorType& operand, const std::vector<int64_t>& outShape, const Idx& out) {
  Idx idx;
  size_t offset = outShape.size() - operand.shape.size();
  for (size_t i = 0; i < operand.shape.size(); ++i)
    idx.push_back(operand.shape[i] == 1 && outShape[offset + i] != 1 ? Halide::Expr(0)
                                                                        : out[offset + i]);
  return idx;
}

TensorFunc pureResult(const Op& op, const std::vector<Halide::Var>& vars, Halide::Expr value) {
  TensorFunc r;
  r.func = Halide::Func(std::string(opName(op.kind)));
  r.func(halideOrder(vars)) = value;
  r.type = op.result->type;
  r.vars = vars;
  r.stages = {r.func};
  return r;
}

TensorFunc reductionResult(const Op& op, Halide::Func f, const std::vector<Halide::Var>& vars,
                           Halide::RDom r) {
  TensorFunc out;
  out.func = f;
  out.type = op.result->type;
  out.vars = vars;
  out.rdom = r;
  out.stages = {f};
  return out;
}

Halide::Region reversedRanges(const std::vector<int64_t>& extents) {
  Halide::Region ranges;
  for (auto it = extents.rbegin(); it != extents.rend(); ++it)
    ranges.emplace_back(0, static_cast<int>(*it));
  return ranges;
}

Halide::Expr at(const Op& op, const std::vector<TensorFunc>& in, size_t i,
                const std::vector<Halide::Var>& v) {
  return in[i](broadcastIdx(in[i].type, op.result->type.shape, asIdx(v)));
}

Halide::Expr roundTiesToEven(Halide::Expr x, const Lowering& lw) {
  return lw.nativeRound ? Halide::round(x) : roundHalfEven(x);
}

Halide::Expr roundHalfEven(Halide::Expr x) {
  Halide::Type t = x.type();
  auto c = [&](double v) { return Halide::Internal::make_const(t, v); };
  Halide::Expr f = Halide::floor(x);
  Halide::Expr frac = x - f; // exact: x and floor(x) are within one unit of each other
  Halide::Expr odd = f - c(2) * Halide::floor(f * c(0.5)) != c(0);
  Halide::Expr up = frac > c(0.5) || (frac == c(0.5) && odd);
  Halide::Expr r = Halide::select(up, f + c(1), f);
  // A result keeps x's sign (only a zero result can have lost it: -0.4 -> -0, as rint gives).
  Halide::Type u = Halide::UInt(t.bits());
  Halide::Expr sign =
      Halide::reinterpret(u, x) & Halide::Internal::make_const(u, uint64_t(1) << (t.bits() - 1));
  return Halide::reinterpret(t, Halide::reinterpret(u, r) | sign);
}

TensorFunc wrapFunc(Halide::Func f, TensorType type) {
  TensorFunc t;
  t.func = std::move(f);
  t.type = std::move(type);
  t.vars = makeVars(t.type.rank());
  return t;
}

TensorFunc wrapParam(const Halide::ImageParam& p, const TensorType& type) {
  if (type.block == 0)
    return wrapFunc(p, type);
  int rank = type.rank(), a = type.blockedAxis();
  int g = type.group > 0 ? type.groupedAxis() : -1;
  auto v = makeVars(rank);
  int block = static_cast<int>(type.block), group = static_cast<int>(type.group);
  Idx args;
  for (int i = 0; i < rank; ++i) {
    int axis = rank - 1 - i;
    args.push_back(axis == a   ? Halide::Expr(v[a] % block)
                   : axis == g ? Halide::Expr(v[g] % group)
                               : Halide::Expr(v[axis]));
  }
  args.push_back(v[a] / block);
  if (g >= 0)
    args.push_back(v[g] / group);
  Halide::Func f(p.name() + "_blocked");
  f(halideOrder(v)) = p(args);
  TensorFunc t = wrapFunc(f, type);
  t.vars = v;
  return t;
}

Idx unflatten(Halide::Expr linear, const std::vector<int64_t>& shape) {
  Idx idx(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    int d = static_cast<int>(shape[i]);
    idx[i] = i == 0 ? linear : linear % d;
    linear = linear / d;
  }
  return idx;
}

std::vector<std::span<const AlgorithmRow>> algorithmFamilies() {
  return {elementwiseAlgorithms(), convAlgorithms(),          sampleAlgorithms(),
          linearAlgorithms(),      reduceAlgorithms(),        shapeAlgorithms(),
          indexAlgorithms(),       dataDependentAlgorithms(), quantizeAlgorithms()};
}

const AlgorithmRow& algorithmRow(OpKind kind) {
  static const auto table = [] {
    std::vector<const AlgorithmRow*> t(numOpKinds(), nullptr);
    for (auto family : algorithmFamilies())
      for (const auto& row : family) {
        assert(!t[static_cast<size_t>(row.kind)] && "an op kind has two codegen rows");
        t[static_cast<size_t>(row.kind)] = &row;
      }
    return t;
  }();
  const AlgorithmRow* row = table[static_cast<size_t>(kind)];
  assert(row && "an op kind has no codegen row (codegen/halide/ops)");
  return *row;
}

int64_t workElements(const Op& op) {
  int64_t work = op.result->type.numElements();
  for (const Value* v : op.operands)
    work += v->type.numElements();
  return work;
}

int64_t opFlops(const Op& op) {
  switch (op.kind) {
  case OpKind::Conv:
  case OpKind::ConvTranspose:
  case OpKind::MatMul:
  case OpKind::Gemm:
    return 2 * algorithmRow(op.kind).work(op); // multiply-adds
  case OpKind::MaxPool:
  case OpKind::AvgPool:
    return poolWindowTaps(op);
  default:
    return op.result->type.numElements();
  }
}

Expected<TensorFunc> defineOp(const Op& op, const std::vector<TensorFunc>& operands,
                              const Lowering& lw) {
  DefineFn fn = algorithmRow(op.kind).define;
  auto lowPrecision = [](const Value* v) {
    return v->type.dtype == DType::f16 || v->type.dtype == DType::bf16;
  };
  // f16/bf16 values are computed in f32, except by bitcast, which keeps their bits, and by the
  // ops that compute in half on a device that has it.
  if (lw.nativeHalf && halfArithmetic(op))
    return fn(op, operands, lw);
  if (op.kind != OpKind::BitCast &&
      (lowPrecision(op.result) || std::any_of(op.operands.begin(), op.operands.end(), lowPrecision)))
    return defineLifted(op, operands, fn, lw);
  return fn(op, operands, lw);
}

} // namespace dnncc::hl
