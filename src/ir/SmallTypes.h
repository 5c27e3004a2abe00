// The ONNX small element types (float8, float8e8m0, float4, int4, int2): bit formats, decoding and
// the packing of their tensor data.
//
// In dnncc a tensor of a small type holds one element per byte, in memory and at the model API:
// the 8-bit and 4-bit float codes in the low bits, i4/i2 sign-extended to int8, u4/u2 as uint8.
// ONNX TensorProto data packs the 4-bit types two to a byte and the 2-bit types four to a byte,
// first element in the lowest bits (onnx.proto, TensorProto.DataType); `unpackTensorData` turns
// that into dnncc's form.
//
// Formats (ONNX docs/Float8.md and docs/Float4.md, OCP Microscaling Formats v1.0):
//   f8e4m3fn    1.4.3, bias 7,  no inf, NaN = S.1111.111, max 448
//   f8e4m3fnuz  1.4.3, bias 8,  no inf, no -0, NaN = 0x80, max 240
//   f8e5m2      1.5.2, bias 15, inf = S.11111.00, NaN = S.11111.{01,10,11}, max 57344
//   f8e5m2fnuz  1.5.2, bias 16, no inf, no -0, NaN = 0x80, max 57344
//   f4e2m1      1.2.1, bias 1,  no inf, no NaN, max 6
//   f8e8m0      8 exponent bits, value 2^(code - 127), NaN = 0xFF, no sign, no zero
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ir/Type.h"

namespace dnncc {

/// Sign/exponent/mantissa layout of a small float type with a sign bit (not f8e8m0).
struct MiniFloatFormat {
  int expBits;
  int mantBits;
  int bias;
  bool hasInf;      ///< all-ones exponent with a zero mantissa is +-inf (f8e5m2)
  bool fnuz;        ///< the negative-zero code 0x80 is the only NaN; no -0 (the *fnuz types)
  bool nanAllOnes;  ///< S.1111.111 is NaN (f8e4m3fn); with hasInf: any non-zero mantissa
  bool hasNaN;      ///< false for f4e2m1
  double maxFinite; ///< the largest finite value
};

/// The format of f8e4m3fn, f8e4m3fnuz, f8e5m2, f8e5m2fnuz or f4e2m1; nothing for other types.
std::optional<MiniFloatFormat> miniFloatFormat(DType t);

/// Whether `t` is a small float type (the five above or f8e8m0).
bool isSmallFloat(DType t);

/// Width in bits of a small type's element in ONNX tensor data (8, 4 or 2); 0 for other types.
int smallTypeBits(DType t);

/// The value of IEEE binary16 (or, with `bfloat`, bfloat16) bits.
double halfBitsToDouble(uint16_t bits, bool bfloat);
/// `value` as binary16 (or bfloat16) bits, rounded to nearest even (IEEE 754-2008 section 4.3.1);
/// NaN stays NaN, magnitudes past the largest finite value round to inf, subnormals are exact.
/// The importer (constants) and convert-to-fp16 (weights) round with it.
uint16_t doubleToHalfBits(double value, bool bfloat);

/// The real value of the code `code` (low bits) of small float type `t`; NaN for NaN codes.
double decodeSmallFloat(DType t, uint8_t code);

/// ONNX packed data of `n` elements of a 4- or 2-bit type (`packed` has ceil(n * bits / 8) bytes)
/// as one byte per element, sign-extended for i4/i2. Other types: the bytes unchanged.
std::vector<uint8_t> unpackTensorData(DType t, const uint8_t* packed, size_t packedBytes,
                                      int64_t n);

/// Bytes of ONNX tensor data for `n` elements of `t` (packed for the 4- and 2-bit types).
int64_t packedTensorBytes(DType t, int64_t n);

} // namespace dnncc
