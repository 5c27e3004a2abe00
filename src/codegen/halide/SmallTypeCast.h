// ONNX Cast to and from the small types (float8, float8e8m0, float4, int4, int2) as Halide
// expressions; the formats are described in ir/SmallTypes.h.
#pragma once

#include <Halide.h>

#include "codegen/halide/Algorithm.h"
#include "ir/Attrs.h"
#include "support/Status.h"

namespace dnncc::hl {

/// `x`, an element of type `from`, cast as ONNX Cast with attributes `a`, where `from` or `a.to`
/// is a small type (the element of a small type is its byte: a float code or a sign-extended
/// integer). Semantics of the ONNX reference (onnx/reference/ops/op_cast.py, ml_dtypes):
/// - to a float8 type: round to nearest even; with `saturate` values beyond the finite range
///   and +-inf become +-max, without it +-inf (f8e5m2) or NaN (the other float8 types);
/// - to f4e2m1: round to nearest even, always saturating (the type has no inf or NaN);
/// - to f8e8m0: the exponent of |x| rounded by `a.round` (onnx.numpy_helper.to_float8e8m0);
/// - to u4/i4/u2/i2: floats truncate toward zero (NaN and inf give 0), then the value wraps
///   modulo 2^bits;
/// - from a small float type: its exact value as f32, then the ordinary cast.
Expected<Halide::Expr> castSmallType(Halide::Expr x, DType from, const CastAttrs& a,
                                     const Lowering& lw);

} // namespace dnncc::hl
