// .npy and TensorProto reading/writing and output comparison for dnncc-run (see TensorIO.h).
// .npy format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#include "TensorIO.h"

#include "HeaderEmitter.h"
#include "ir/SmallTypes.h"

#include <onnx/onnx_pb.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace dnncc::run {
namespace {

static_assert(std::endian::native == std::endian::little, "dnncc-run assumes a little-endian host");

// Bytes of one element of `dtype`, or throws naming `where`.
int64_t elementSize(int dtype, const std::string& where) {
  int64_t size = describeDType(dtype).sizeBytes;
  if (size == 0)
    throw UserError(where, fmt::format("element type {} is not supported",
                                       dtype == 8    ? "string"
                                       : dtype == 14 ? "complex64"
                                       : dtype == 15 ? "complex128"
                                                     : fmt::format("{} (ONNX code)", dtype)));
  return size;
}

// Product of `shape`, or throws on negative dims or overflow.
int64_t numElements(const std::vector<int64_t>& shape, const std::string& where) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > std::numeric_limits<int64_t>::max() / 16 / d))
      throw UserError(where, fmt::format("invalid shape [{}]", fmt::join(shape, ",")));
    n *= d;
  }
  return n;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UserError(path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    throw UserError(path, "read failed");
  return std::move(ss).str();
}

struct NpyType {
  const char* descr;
  int dtype;
};
// What numpy writes for each supported type (bfloat16 has no numpy type).
constexpr NpyType kNpyTypes[] = {
    {"<f4", 1}, {"|u1", 2}, {"|i1", 3},  {"<u2", 4},  {"<i2", 5},  {"<i4", 6},
    {"<i8", 7}, {"|b1", 9}, {"<f2", 10}, {"<f8", 11}, {"<u4", 12}, {"<u8", 13},
};

// The value text of `'key':` in a .npy header dict, from after the colon (spaces skipped); a
// UserError when the key or its value is missing.
size_t findKey(const std::string& header, const std::string& key, const std::string& path) {
  for (const char* quote : {"'", "\""}) {
    size_t pos = header.find(quote + key + quote);
    if (pos == std::string::npos)
      continue;
    pos = header.find(':', pos);
    if (pos == std::string::npos)
      break;
    pos = header.find_first_not_of(' ', pos + 1);
    if (pos == std::string::npos)
      throw UserError(path, fmt::format("malformed .npy header: no value for '{}' in {}", key,
                                        header));
    return pos;
  }
  throw UserError(path, fmt::format("malformed .npy header: no '{}' key in {}", key, header));
}

HostTensor parseNpy(const std::string& data, const std::string& path) {
  static const char kMagic[] = "\x93NUMPY";
  if (data.size() < 10 || data.compare(0, 6, kMagic, 6) != 0)
    throw UserError(path, "not a .npy file (bad magic)");
  int major = static_cast<unsigned char>(data[6]);
  size_t headerLen = 0, headerStart = 0;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(data[8]) | static_cast<unsigned char>(data[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12)
      throw UserError(path, "truncated .npy header");
    for (int i = 3; i >= 0; --i)
      headerLen = headerLen << 8 | static_cast<unsigned char>(data[8 + i]);
    headerStart = 12;
  } else {
    throw UserError(path, fmt::format(".npy format version {} is not supported", major));
  }
  if (data.size() < headerStart + headerLen)
    throw UserError(path, "truncated .npy header");
  std::string header = data.substr(headerStart, headerLen);

  // descr
  size_t pos = findKey(header, "descr", path);
  if (pos == std::string::npos || (header[pos] != '\'' && header[pos] != '"'))
    throw UserError(path, "malformed .npy header: descr is not a string");
  size_t end = header.find(header[pos], pos + 1);
  if (end == std::string::npos)
    throw UserError(path, "malformed .npy header: unterminated descr");
  std::string descr = header.substr(pos + 1, end - pos - 1);
  HostTensor t;
  std::string alt = descr;
  if (alt.size() == 3 && alt[2] == '1' && (alt[0] == '<' || alt[0] == '='))
    alt[0] = '|'; // 1-byte types have no byte order
  for (const NpyType& nt : kNpyTypes)
    if (alt == nt.descr)
      t.dtype = nt.dtype;
  if (t.dtype == 0)
    throw UserError(path, fmt::format("unsupported .npy dtype '{}'{}", descr,
                                      descr.starts_with('>') ? " (big-endian)" : ""));

  // shape
  pos = findKey(header, "shape", path);
  if (pos == std::string::npos || header[pos] != '(')
    throw UserError(path, "malformed .npy header: shape is not a tuple");
  end = header.find(')', pos);
  if (end == std::string::npos)
    throw UserError(path, "malformed .npy header: unterminated shape");
  std::string dims = header.substr(pos + 1, end - pos - 1);
  std::istringstream ds(dims);
  for (std::string item; std::getline(ds, item, ',');) {
    size_t a = item.find_first_not_of(' ');
    if (a == std::string::npos)
      continue;                             // trailing comma of a 1-tuple
    size_t b = item.find_last_not_of(" L"); // "L": python 2 longs
    std::string digits = item.substr(a, b - a + 1);
    // 18 digits at most: every such number fits int64 (std::stoll would throw past it).
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      throw UserError(path, fmt::format("malformed .npy shape ({})", dims));
    t.shape.push_back(std::stoll(digits));
  }

  // fortran_order
  pos = findKey(header, "fortran_order", path);
  bool fortran = header.compare(pos, 4, "True") == 0;
  if (!fortran && header.compare(pos, 5, "False") != 0)
    throw UserError(path, "malformed .npy header: fortran_order is not True/False");
  int64_t nonUnit = 0;
  for (int64_t d : t.shape)
    nonUnit += d != 1;
  if (fortran && nonUnit > 1)
    throw UserError(path, "Fortran-order (column-major) arrays are not supported; save with "
                          "numpy.ascontiguousarray");

  int64_t bytes = numElements(t.shape, path) * elementSize(t.dtype, path);
  size_t dataStart = headerStart + headerLen;
  if (static_cast<int64_t>(data.size() - dataStart) != bytes)
    throw UserError(path, fmt::format("{} needs {} data bytes, file has {}",
                                      describe(t.dtype, t.shape), bytes, data.size() - dataStart));
  t.bytes.assign(data.begin() + static_cast<std::ptrdiff_t>(dataStart), data.end());
  return t;
}

// Appends `values` converted to `Elem` (the tensor's element type) to `out`.
template <typename Elem, typename Field>
void appendAs(const Field& values, std::vector<uint8_t>& out) {
  for (auto v : values) {
    Elem e = static_cast<Elem>(v);
    const auto* p = reinterpret_cast<const uint8_t*>(&e);
    out.insert(out.end(), p, p + sizeof e);
  }
}

float halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f)
    bits = sign | 0x7f800000u | (mant << 13); // inf / NaN
  else if (exp != 0)
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  else if (mant == 0)
    bits = sign; // zero
  else {         // subnormal: renormalize
    exp = 113;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

template <typename T> T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Element `i` of a floating-point tensor as double.
double floatAt(const HostTensor& t, int64_t i) {
  switch (t.dtype) {
  case 1:
    return load<float>(&t.bytes[i * 4]);
  case 11:
    return load<double>(&t.bytes[i * 8]);
  case 10:
    return halfToFloat(load<uint16_t>(&t.bytes[i * 2]));
  case 16:
    return std::bit_cast<float>(uint32_t(load<uint16_t>(&t.bytes[i * 2])) << 16);
  default: // the small float types, one code per byte
    if (auto d = dtypeFromOnnx(t.dtype); d && isSmallFloat(*d))
      return decodeSmallFloat(*d, t.bytes[i]);
    return 0;
  }
}

// Element `i` of an integer/bool tensor; `isSigned` says how to read the result.
uint64_t intAt(const HostTensor& t, int64_t i, bool& isSigned) {
  isSigned = true;
  switch (t.dtype) {
  case 3:
    return uint64_t(int64_t(load<int8_t>(&t.bytes[i])));
  case 5:
    return uint64_t(int64_t(load<int16_t>(&t.bytes[i * 2])));
  case 6:
    return uint64_t(int64_t(load<int32_t>(&t.bytes[i * 4])));
  case 7:
    return uint64_t(load<int64_t>(&t.bytes[i * 8]));
  case 22: // int4 and int2, sign-extended into a byte
  case 26:
    return uint64_t(int64_t(load<int8_t>(&t.bytes[i])));
  }
  isSigned = false;
  switch (t.dtype) {
  case 2:
  case 9:
  case 21: // uint4, uint2
  case 25:
    return t.bytes[i];
  case 4:
    return load<uint16_t>(&t.bytes[i * 2]);
  case 12:
    return load<uint32_t>(&t.bytes[i * 4]);
  case 13:
    return load<uint64_t>(&t.bytes[i * 8]);
  }
  return 0;
}

} // namespace

std::string describe(int dtype, const std::vector<int64_t>& shape) {
  std::string_view name = describeDType(dtype).name;
  std::string out = name.empty() ? fmt::format("type{}", dtype) : std::string(name);
  out += "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += fmt::format("{}{}", i ? "," : "", shape[i]);
  return out + "]";
}

HostTensor readNpy(const std::string& path) {
  return parseNpy(readFile(path), path);
}

void writeNpy(const std::string& path, const HostTensor& t) {
  std::string descr;
  for (const NpyType& nt : kNpyTypes)
    if (nt.dtype == t.dtype)
      descr = nt.descr;
  if (t.dtype == 16)
    descr = "<u2";
  if (descr.empty())
    throw UserError(path, fmt::format("cannot write element type {} as .npy", t.dtype));
  std::string shape;
  for (int64_t d : t.shape)
    shape += fmt::format("{}, ", d);
  if (t.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (t.shape.size() == 1)
    shape.pop_back(); // "(3,)"
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, shape);
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out)
    throw UserError(path, std::strerror(errno));
  out.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {char(header.size() & 0xff), char(header.size() >> 8)};
  out.write(len, 2);
  out << header;
  out.write(reinterpret_cast<const char*>(t.bytes.data()),
            static_cast<std::streamsize>(t.bytes.size()));
  if (!out.flush())
    throw UserError(path, "write failed");
}

HostTensor readTensorProto(const std::string& path) {
  std::string data = readFile(path);
  onnx::TensorProto proto;
  if (!proto.ParseFromString(data))
    throw UserError(path, "not a valid ONNX TensorProto (protobuf parse failed)");
  if (proto.data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
    throw UserError(path, "tensors with external data are not supported");
  // A SequenceProto/OptionalProto parses as a TensorProto too: its elements land in `segment`.
  if (proto.has_segment() || proto.data_type() == onnx::TensorProto_DataType_UNDEFINED)
    throw UserError(path, "not a tensor (sequence, optional and map data are not supported)");
  HostTensor t;
  t.name = proto.name();
  t.dtype = proto.data_type();
  t.shape.assign(proto.dims().begin(), proto.dims().end());
  int64_t elemSize = elementSize(t.dtype, path);
  int64_t n = numElements(t.shape, path);
  // The small types: ONNX packs the 4- and 2-bit ones; dnncc takes one element per byte.
  std::optional<DType> small = dtypeFromOnnx(t.dtype);
  if (small && !isSmallType(*small))
    small.reset();
  if (proto.has_raw_data()) {
    int64_t want = small ? packedTensorBytes(*small, n) : n * elemSize;
    if (static_cast<int64_t>(proto.raw_data().size()) != want)
      throw UserError(path, fmt::format("raw_data has {} bytes, {} needs {}",
                                        proto.raw_data().size(), describe(t.dtype, t.shape), want));
    const auto* raw = reinterpret_cast<const uint8_t*>(proto.raw_data().data());
    t.bytes = small ? unpackTensorData(*small, raw, proto.raw_data().size(), n)
                    : std::vector<uint8_t>(raw, raw + proto.raw_data().size());
    return t;
  }
  if (small) { // int32_data: one 8-bit element, or one packed byte of 4- or 2-bit ones, each
    int64_t want = packedTensorBytes(*small, n);
    if (proto.int32_data_size() != want)
      throw UserError(path, fmt::format("int32_data has {} values, {} needs {}",
                                        proto.int32_data_size(), describe(t.dtype, t.shape), want));
    std::vector<uint8_t> packed;
    appendAs<uint8_t>(proto.int32_data(), packed);
    t.bytes = unpackTensorData(*small, packed.data(), packed.size(), n);
    return t;
  }
  int64_t count = 0;
  const char* field = "";
  switch (t.dtype) { // the field each type is stored in (ONNX TensorProto docs)
  case 1:
    field = "float_data", count = proto.float_data_size();
    break;
  case 11:
    field = "double_data", count = proto.double_data_size();
    break;
  case 7:
    field = "int64_data", count = proto.int64_data_size();
    break;
  case 12:
  case 13:
    field = "uint64_data", count = proto.uint64_data_size();
    break;
  default:
    field = "int32_data", count = proto.int32_data_size();
    break;
  }
  if (count != n) // before allocating: a corrupt shape must not trigger a huge allocation
    throw UserError(path, fmt::format("{} has {} values, {} needs {}", field, count,
                                      describe(t.dtype, t.shape), n));
  t.bytes.reserve(static_cast<size_t>(n * elemSize));
  switch (t.dtype) {
  case 1:
    appendAs<float>(proto.float_data(), t.bytes);
    break;
  case 11:
    appendAs<double>(proto.double_data(), t.bytes);
    break;
  case 7:
    appendAs<int64_t>(proto.int64_data(), t.bytes);
    break;
  case 12:
    appendAs<uint32_t>(proto.uint64_data(), t.bytes);
    break;
  case 13:
    appendAs<uint64_t>(proto.uint64_data(), t.bytes);
    break;
  case 6:
    appendAs<int32_t>(proto.int32_data(), t.bytes);
    break;
  case 2:
  case 3:
  case 9:
    appendAs<uint8_t>(proto.int32_data(), t.bytes);
    break;
  // int16/uint16, and float16/bfloat16 whose int32_data hold the 16-bit patterns.
  default:
    appendAs<uint16_t>(proto.int32_data(), t.bytes);
    break;
  }
  return t;
}

Comparison compare(const HostTensor& actual, const HostTensor& expected, double rtol, double atol) {
  Comparison c;
  int64_t elemSize = describeDType(expected.dtype).sizeBytes;
  c.count = elemSize ? static_cast<int64_t>(expected.bytes.size()) / elemSize : 0;
  std::optional<DType> dtype = dtypeFromOnnx(expected.dtype);
  bool isFloat = dtype && (dnncc::isFloat(*dtype) || isSmallFloat(*dtype));
  for (int64_t i = 0; i < c.count; ++i) {
    double a, b;
    bool match;
    if (isFloat) {
      a = floatAt(actual, i), b = floatAt(expected, i);
      if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b)) {
        // Only NaN vs NaN and equal infinities match; no error figures for them.
        match = (std::isnan(a) && std::isnan(b)) || a == b;
        c.mismatches += !match;
        continue;
      }
      match = std::fabs(a - b) <= atol + rtol * std::fabs(b);
    } else {
      bool sa, sb;
      uint64_t ia = intAt(actual, i, sa), ib = intAt(expected, i, sb);
      match = ia == ib;
      a = sa ? double(int64_t(ia)) : double(ia);
      b = sb ? double(int64_t(ib)) : double(ib);
    }
    double abs = std::fabs(a - b);
    c.maxAbsErr = std::max(c.maxAbsErr, abs);
    if (b != 0)
      c.maxRelErr = std::max(c.maxRelErr, abs / std::fabs(b));
    c.mismatches += !match;
  }
  return c;
}

} // namespace dnncc::run
