// The ONNX small element types: formats, decoding, unpacking (see SmallTypes.h).
#include "ir/SmallTypes.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace dnncc {

std::optional<MiniFloatFormat> miniFloatFormat(DType t) {
  switch (t) {
  case DType::f8e4m3fn:
    return MiniFloatFormat{4, 3, 7, false, false, true, true, 448.0};
  case DType::f8e4m3fnuz:
    return MiniFloatFormat{4, 3, 8, false, true, false, true, 240.0};
  case DType::f8e5m2:
    return MiniFloatFormat{5, 2, 15, true, false, false, true, 57344.0};
  case DType::f8e5m2fnuz:
    return MiniFloatFormat{5, 2, 16, false, true, false, true, 57344.0};
  case DType::f4e2m1:
    return MiniFloatFormat{2, 1, 1, false, false, false, false, 6.0};
  default:
    return std::nullopt;
  }
}

bool isSmallFloat(DType t) { return miniFloatFormat(t).has_value() || t == DType::f8e8m0; }

int smallTypeBits(DType t) {
  switch (t) {
  case DType::f4e2m1:
  case DType::u4:
  case DType::i4:
    return 4;
  case DType::u2:
  case DType::i2:
    return 2;
  default:
    return isSmallType(t) ? 8 : 0;
  }
}

double decodeSmallFloat(DType t, uint8_t code) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (t == DType::f8e8m0)
    return code == 0xFF ? nan : std::ldexp(1.0, int(code) - 127);
  auto f = miniFloatFormat(t);
  if (!f)
    return nan;
  int width = 1 + f->expBits + f->mantBits;
  code &= uint8_t((1u << width) - 1);
  unsigned sign = code >> (width - 1);
  unsigned expMax = (1u << f->expBits) - 1, mantMax = (1u << f->mantBits) - 1;
  unsigned exp = (code >> f->mantBits) & expMax, mant = code & mantMax;
  if (f->fnuz && code == (1u << (width - 1)))
    return nan;
  if (f->hasInf && exp == expMax)
    return mant == 0 ? (sign ? -1.0 : 1.0) * std::numeric_limits<double>::infinity() : nan;
  if (f->nanAllOnes && exp == expMax && mant == mantMax)
    return nan;
  double magnitude = exp == 0 ? std::ldexp(double(mant), 1 - f->bias - f->mantBits)
                              : std::ldexp(double(mant + (1u << f->mantBits)),
                                           int(exp) - f->bias - f->mantBits);
  return sign ? -magnitude : magnitude;
}

int64_t packedTensorBytes(DType t, int64_t n) {
  int bits = smallTypeBits(t);
  if (bits == 0 || bits == 8)
    return n * dtypeSize(t);
  return (n * bits + 7) / 8;
}

std::vector<uint8_t> unpackTensorData(DType t, const uint8_t* packed, size_t packedBytes,
                                      int64_t n) {
  int bits = smallTypeBits(t);
  if (bits == 0 || bits == 8)
    return std::vector<uint8_t>(packed, packed + packedBytes);
  std::vector<uint8_t> out(static_cast<size_t>(n));
  unsigned mask = (1u << bits) - 1;
  bool sign = isSignedInt(t);
  for (int64_t i = 0; i < n; ++i) {
    int64_t bit = i * bits;
    unsigned v = (packed[bit / 8] >> (bit % 8)) & mask;
    if (sign && (v >> (bits - 1)))
      v |= ~mask; // sign-extend into the byte
    out[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
  }
  return out;
}

double halfBitsToDouble(uint16_t h, bool bfloat) {
  if (bfloat) {
    uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, sizeof(f));
    return f;
  }
  int e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0    ? std::ldexp(m, -24)
             : e == 31 ? (m ? std::numeric_limits<double>::quiet_NaN()
                            : std::numeric_limits<double>::infinity())
                       : std::ldexp(1024 + m, e - 25);
  return (h & 0x8000) ? -v : v;
}

uint16_t doubleToHalfBits(double value, bool bfloat) {
  if (bfloat) {
    float f = static_cast<float>(value); // through f32, as the kernels do
    uint32_t u;
    std::memcpy(&u, &f, sizeof(u));
    if ((u & 0x7FFFFFFF) > 0x7F800000)
      return static_cast<uint16_t>((u >> 16) | 0x40);
    return static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
  }
  if (std::isnan(value))
    return 0x7E00;
  uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  double a = std::fabs(value);
  if (a >= 65520.0)
    return sign | 0x7C00;
  if (a < std::ldexp(1.0, -14)) // subnormal (or zero): round(a * 2^24), ties to even
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0));
  int e;
  std::frexp(a, &e); // a = f * 2^e, f in [0.5, 1)
  int exponent = e - 1;
  double mant = std::nearbyint((std::ldexp(a, -exponent) - 1.0) * 1024.0); // ties to even
  if (mant == 1024.0) {
    mant = 0;
    ++exponent;
  }
  return sign | static_cast<uint16_t>(((exponent + 15) << 10) | static_cast<int>(mant));
}

} // namespace dnncc
