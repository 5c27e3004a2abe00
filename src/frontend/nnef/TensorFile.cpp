// NNEF tensor files: a 128-byte little-endian header, then the items (NNEF 1.0.5 section 5.2).
#include "frontend/nnef/TensorFile.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "ir/SmallTypes.h"

namespace dnncc::nnefimport {
namespace {

/// The header as the spec lays it out (all fields little-endian; this reader runs on
/// little-endian hosts only, like the rest of dnncc).
struct Header {
  uint8_t magic[2];
  uint8_t version[2];
  uint32_t dataLength;
  uint32_t rank;
  uint32_t extents[8];
  uint32_t bitsPerItem;
  uint32_t itemType;
  uint32_t reserved[19];
};
static_assert(sizeof(Header) == 128);

/// Item type codes (the low 16 bits; codes with high bits set are vendor-defined).
enum ItemType : uint32_t { kFloat = 0, kUint = 1, kQuint = 2, kQint = 3, kInt = 4, kBool = 5 };

const char* typeName(NnefType t) {
  return t == NnefType::scalar ? "scalar" : t == NnefType::integer ? "integer" : "logical";
}

template <class T> T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

/// Integer items of `bits` (8, 16, 32 or 64) as `Dst`.
template <class Dst>
void convertInts(const uint8_t* src, int64_t n, int bits, bool isSigned, Dst* dst) {
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* p = src + i * (bits / 8);
    int64_t v = 0;
    switch (bits) {
    case 8:
      v = isSigned ? int64_t{load<int8_t>(p)} : int64_t{load<uint8_t>(p)};
      break;
    case 16:
      v = isSigned ? int64_t{load<int16_t>(p)} : int64_t{load<uint16_t>(p)};
      break;
    case 32:
      v = isSigned ? int64_t{load<int32_t>(p)} : int64_t{load<uint32_t>(p)};
      break;
    default:
      v = load<int64_t>(p);
      break;
    }
    dst[i] = static_cast<Dst>(v);
  }
}

} // namespace

Expected<TensorFile> readTensorFile(const std::string& path, NnefType declared,
                                    const std::vector<int64_t>& declaredShape) {
  auto fail = [&](std::string message) { return Status::error(std::move(message), {path}); };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return fail("the tensor file does not exist (or is not a regular file)");
  const uint64_t fileSize = std::filesystem::file_size(path, ec);
  if (ec)
    return fail("cannot read the tensor file's size");
  if (fileSize < sizeof(Header))
    return fail(
        fmt::format("truncated tensor file: {} bytes, shorter than the 128-byte header", fileSize));
  std::ifstream in(path, std::ios::binary);
  Header h;
  if (!in.read(reinterpret_cast<char*>(&h), sizeof h))
    return fail("cannot read the tensor file's header");
  if (h.magic[0] != 0x4E || h.magic[1] != 0xEF)
    return fail(fmt::format("not an NNEF tensor file (magic number {:02x} {:02x}, expected 4e ef)",
                            h.magic[0], h.magic[1]));
  if (h.version[0] != 1 || h.version[1] != 0)
    return fail(fmt::format("tensor file version {}.{}; this importer reads version 1.0",
                            h.version[0], h.version[1]));
  if (h.rank > 8)
    return fail(fmt::format("rank {} in the header; the format allows at most 8", h.rank));
  if (h.rank != declaredShape.size())
    return fail(fmt::format("rank {} in the header, but the graph declares shape {}", h.rank,
                            shapeString(declaredShape)));
  std::vector<int64_t> shape(h.extents, h.extents + h.rank);
  if (shape != declaredShape)
    return fail(fmt::format("shape {} in the header, but the graph declares {}", shapeString(shape),
                            shapeString(declaredShape)));
  if (h.itemType >> 16)
    return fail(fmt::format("vendor-defined item type {:#x} is not supported", h.itemType));
  uint32_t itemType = h.itemType;
  if (itemType == kUint && h.reserved[0] != 0)
    itemType = kInt; // files written before 1.0.1 marked signed integers this way
  const int bits = static_cast<int>(h.bitsPerItem);
  bool bitsOk = false;
  NnefType holds = NnefType::scalar;
  switch (itemType) {
  case kFloat:
    bitsOk = bits == 16 || bits == 32 || bits == 64;
    break;
  case kUint:
  case kInt:
    holds = NnefType::integer;
    bitsOk = bits == 8 || bits == 16 || bits == 32 || bits == 64;
    break;
  case kQuint:
  case kQint:
    bitsOk = bits == 8 || bits == 16 || bits == 32;
    break;
  case kBool:
    holds = NnefType::logical;
    bitsOk = bits == 1 || bits == 8;
    break;
  default:
    return fail(fmt::format("unknown item type code {} (0-5 are defined)", itemType));
  }
  if (!bitsOk)
    return fail(fmt::format("{} bits per item is not supported for item type {}", bits, itemType));
  if (holds != declared)
    return fail(fmt::format("the file holds {} items, but the graph declares variable<{}>",
                            typeName(holds), typeName(declared)));
  int64_t count = 1;
  for (int64_t e : shape) {
    if (e != 0 && count > (int64_t{1} << 40) / e)
      return fail(fmt::format("shape {} is too large", shapeString(shape)));
    count *= e;
  }
  const int64_t dataBytes = (count * bits + 7) / 8;
  if (h.dataLength != static_cast<uint64_t>(dataBytes))
    return fail(fmt::format("data length {} in the header, but {} items of {} bits take {} bytes",
                            h.dataLength, count, bits, dataBytes));
  if (fileSize != sizeof(Header) + static_cast<uint64_t>(dataBytes))
    return fail(fmt::format("the file has {} bytes, but the header announces {} (128 + {})",
                            fileSize, sizeof(Header) + dataBytes, dataBytes));
  std::vector<uint8_t> raw(dataBytes);
  if (!in.read(reinterpret_cast<char*>(raw.data()), dataBytes))
    return fail("cannot read the tensor data");

  TensorFile out;
  out.type.shape = shape;
  switch (itemType) {
  case kFloat: {
    out.type.dtype = DType::f32;
    std::vector<float> v(count);
    for (int64_t i = 0; i < count; ++i)
      v[i] = bits == 32 ? load<float>(&raw[i * 4])
             : bits == 64
                 ? static_cast<float>(load<double>(&raw[i * 8]))
                 : static_cast<float>(halfBitsToDouble(load<uint16_t>(&raw[i * 2]), false));
    out.bytes = bytesOf(v);
    break;
  }
  case kUint:
  case kInt: {
    out.type.dtype = DType::i64;
    std::vector<int64_t> v(count);
    convertInts(raw.data(), count, bits, itemType == kInt, v.data());
    out.bytes = bytesOf(v);
    break;
  }
  case kQuint:
  case kQint: {
    out.quantized = true;
    const bool isSigned = itemType == kQint;
    if (bits == 8) {
      out.type.dtype = isSigned ? DType::i8 : DType::u8;
      out.bytes = std::move(raw);
    } else {
      out.type.dtype = DType::i32;
      std::vector<int32_t> v(count);
      convertInts(raw.data(), count, bits, isSigned, v.data());
      out.bytes = bytesOf(v);
    }
    break;
  }
  default: { // kBool
    out.type.dtype = DType::boolean;
    std::vector<uint8_t> v(count);
    for (int64_t i = 0; i < count; ++i)
      v[i] = bits == 8 ? raw[i] != 0 : (raw[i / 8] >> (7 - i % 8)) & 1;
    out.bytes = std::move(v);
    break;
  }
  }
  return out;
}

} // namespace dnncc::nnefimport
