// Small builders for converters that decompose an ONNX op into several IR ops (normalisations,
// losses, attention): constants of any float type, reshapes, reductions, slices, casts.
#pragma once

#include <vector>

#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {

/// Emits IR ops on behalf of one node; every op gets the node's name and errors its location.
class Composer {
public:
  explicit Composer(NodeContext& c) : c_(c) {}

  /// A rank-0 constant of `dtype` holding `value` (rounded to the type; f16/bf16 round to nearest).
  Value* scalar(DType dtype, double value);
  /// A constant of `dtype` and `shape` from row-major `values` (one per element).
  Value* tensor(DType dtype, std::vector<int64_t> shape, const std::vector<double>& values);
  /// A bool constant of `shape` from row-major `values`.
  Value* bools(std::vector<int64_t> shape, const std::vector<bool>& values);

  /// Any op whose result type is inferred from its operands.
  Expected<Value*> op(OpKind kind, std::vector<Value*> operands, Attrs attrs = NoAttrs{});
  /// `x` viewed with `shape` (same element count); `x` itself when the shape is unchanged.
  Expected<Value*> reshape(Value* x, std::vector<int64_t> shape);
  /// `x` broadcast to `shape` (numpy rules); `x` itself when the shape is unchanged.
  Expected<Value*> expand(Value* x, std::vector<int64_t> shape);
  Expected<Value*> transpose(Value* x, IntList perm);
  /// Reduction `kind` over `axes` (normalised, any order; empty = `x` unchanged).
  Expected<Value*> reduce(OpKind kind, Value* x, IntList axes, bool keepdims);
  /// `x` converted to `dtype`; `x` itself when it already has that type.
  Expected<Value*> cast(Value* x, DType dtype);
  /// Elements [start, start + size) of `axis`, the other axes whole.
  Expected<Value*> slice(Value* x, int axis, int64_t start, int64_t size);
  Expected<Value*> concat(std::vector<Value*> parts, int axis);

  NodeContext& context() { return c_; }

private:
  NodeContext& c_;
};

/// An int64 constant of `shape` holding `values` exactly (row-major; Composer::tensor goes through
/// double). Compose.cpp.
Value* i64Constant(NodeContext& c, std::vector<int64_t> shape, const std::vector<int64_t>& values);

/// LayerNormalization-17 with the Mean and InvStdDev outputs (shape [d0..d(axis-1), 1, ...]),
/// decomposed as the spec's function body in the stash type; binds all three node outputs.
/// `bias` may be null. Normalization.cpp.
Status layerNormWithStats(NodeContext& c, Value* x, Value* scale, Value* bias, int axis,
                          double epsilon);

/// RMS normalization over axes [axis, rank): x / sqrt(mean(x^2) + epsilon) * scale, computed in
/// the stash type (attribute `stash_type`, f32 by default). Binds output `yOutput` to the result
/// and `invOutput` (when >= 0) to 1 / sqrt(mean(x^2) + epsilon), shape [d0..d(axis-1), 1, ...].
/// ONNX RMSNormalization-23 and onnxruntime's SimplifiedLayerNormalization. Normalization.cpp.
Status rmsNormWithStats(NodeContext& c, Value* x, Value* scale, int axis, double epsilon,
                        int yOutput, int invOutput);

/// [B, S, N * H] -> [B, N, S, H]: the heads of a 3-D attention input; `what` names the input in
/// the error when its hidden size is not a multiple of `heads`. Attention.cpp.
Expected<Value*> splitHeads(Composer& b, Value* x, int64_t heads, const char* what);

/// Rotary position embedding (RoFormer, Su et al. 2021, as ONNX RotaryEmbedding-23 defines it) of
/// `xh`, [B, H, S, D] when `headsFirst` else [B, S, H, D]: the first `rdim` elements of each head
/// (all when 0) become real = cos * x1 - sin * x2, imag = sin * x1 + cos * x2, with x1 / x2 the two
/// halves (even / odd elements when `interleaved`), the rest unchanged. `cosines` and `sines` are
/// [B or 1, S, rdim / 2]. Errors on an odd or too large rdim and on cache shapes. Attention.cpp.
Expected<Value*> rotate(NodeContext& c, Composer& b, Value* xh, bool headsFirst, Value* cosines,
                        Value* sines, int64_t rdim, bool interleaved);

/// The first of `values` whose flag in `holds` (bool scalars computed at run time) is true: a
/// chain of `where` ops, with the run-time check (NodeContext::checkAtRunTime) that one holds.
/// How a converter picks among the results it compiled for each value a run-time input may take
/// (Col2Im block shapes, DFT axes). `values` and `holds` have the same length, at least 1.
/// Compose.cpp.
Expected<Value*> firstThatHolds(NodeContext& c, const std::vector<Value*>& values,
                                const std::vector<Value*>& holds);

/// Row-major strides of `shape` in elements.
std::vector<int64_t> rowMajorStrides(const std::vector<int64_t>& shape);

} // namespace dnncc::onnximport
