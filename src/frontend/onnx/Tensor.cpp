// TensorProto -> constant bytes, including external data files (confined to the model directory).
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "ir/SmallTypes.h"
#include "support/Paths.h"

#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {
namespace fs = std::filesystem;

namespace {
template <class Dst, class Src> void appendAs(std::vector<uint8_t>& out, const Src& values) {
  size_t at = out.size();
  out.resize(at + values.size() * sizeof(Dst));
  for (int i = 0; i < values.size(); ++i) {
    Dst v = static_cast<Dst>(values[i]);
    std::memcpy(out.data() + at + i * sizeof(Dst), &v, sizeof(Dst));
  }
}

/// Resolves an external-data location inside `modelDir`: relative, no "..", no symlink leading out.
Expected<fs::path> externalPath(const std::string& location, const std::string& modelDir) {
  DNNCC_ASSIGN_OR_RETURN(
      std::string full,
      resolveInside(modelDir, location, fmt::format("external data path '{}'", location)));
  std::error_code ec;
  if (!fs::exists(full, ec))
    return Status::error(fmt::format("external data file '{}' does not exist", location));
  if (!fs::is_regular_file(full, ec))
    return Status::error(fmt::format("external data file '{}' is not a regular file", location));
  return fs::path(full);
}

/// An external_data offset or length: decimal digits only (ONNX stores them as strings).
Expected<int64_t> externalNumber(const onnx::TensorProto& t, const std::string& key,
                                 const std::string& text) {
  int64_t value = 0;
  bool ok = !text.empty() && text.size() <= 18; // 18 digits cannot overflow 64 bits
  for (char ch : text) {
    ok &= ch >= '0' && ch <= '9';
    value = value * 10 + (ch - '0');
  }
  if (!ok)
    return Status::error(
        fmt::format("external data of '{}' has {} '{}', not a byte count", t.name(), key, text));
  return value;
}

Status readExternal(const onnx::TensorProto& t, const std::string& modelDir, int64_t want,
                    std::vector<uint8_t>& out) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset") {
      DNNCC_ASSIGN_OR_RETURN(offset, externalNumber(t, kv.key(), kv.value()));
    } else if (kv.key() == "length") {
      DNNCC_ASSIGN_OR_RETURN(length, externalNumber(t, kv.key(), kv.value()));
    }
  }
  if (location.empty())
    return Status::error(fmt::format("external data of '{}' has no location", t.name()));
  DNNCC_ASSIGN_OR_RETURN(fs::path path, externalPath(location, modelDir));
  if (length < 0)
    length = want;
  if (length != want)
    return Status::error(fmt::format("external data of '{}' has {} bytes, its type needs {}",
                                     t.name(), length, want));
  std::error_code ec;
  auto size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec || offset + length > size)
    return Status::error(fmt::format("external data file '{}' is too short for '{}' ({} bytes at "
                                     "offset {})",
                                     location, t.name(), length, offset));
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  out.resize(length);
  in.read(reinterpret_cast<char*>(out.data()), length);
  if (!in)
    return Status::error(fmt::format("cannot read external data file '{}'", location));
  return Status::ok();
}
/// Whether any of the typed data fields (float_data, int32_data, ...) holds values.
bool hasTypedData(const onnx::TensorProto& t) {
  return t.float_data_size() > 0 || t.int32_data_size() > 0 || t.int64_data_size() > 0 ||
         t.double_data_size() > 0 || t.uint64_data_size() > 0 || t.string_data_size() > 0;
}
} // namespace

std::string onnxTypeName(int32_t dataType) {
  const std::string& name =
      onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(dataType));
  return name.empty() ? fmt::format("{} (not an ONNX data type)", dataType) : name;
}

Expected<std::pair<TensorType, std::vector<uint8_t>>> readTensor(const onnx::TensorProto& t,
                                                                 const std::string& modelDir) {
  std::optional<DType> dtype = dtypeFromOnnx(t.data_type());
  if (!dtype)
    return Status::error(fmt::format("tensor '{}' has unsupported data type {}", t.name(),
                                     onnxTypeName(t.data_type())));
  TensorType type;
  type.dtype = *dtype;
  for (int64_t d : t.dims()) {
    if (d < 0)
      return Status::error(fmt::format("tensor '{}' has a negative dimension", t.name()));
    type.shape.push_back(d);
  }
  if (Status size = checkTensorSize(type.shape, type.dtype); !size.isOk())
    return Status::error(fmt::format("tensor '{}': {}", t.name(), size.message()));
  bool external = t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL;
  if (int(external) + int(t.has_raw_data()) + int(hasTypedData(t)) > 1)
    return Status::error(fmt::format("tensor '{}' holds its data in more than one of raw_data, "
                                     "the typed *_data fields and external data",
                                     t.name()));
  // ONNX packs the 4- and 2-bit types; dnncc holds one element per byte (ir/SmallTypes.h).
  int64_t want = packedTensorBytes(type.dtype, type.numElements());
  std::vector<uint8_t> bytes;
  if (external) {
    DNNCC_TRY(readExternal(t, modelDir, want, bytes));
  } else if (t.has_raw_data()) {
    bytes.assign(t.raw_data().begin(), t.raw_data().end());
  } else {
    switch (*dtype) {
    case DType::f32:
      appendAs<float>(bytes, t.float_data());
      break;
    case DType::f64:
      appendAs<double>(bytes, t.double_data());
      break;
    case DType::i64:
      appendAs<int64_t>(bytes, t.int64_data());
      break;
    case DType::i32:
      appendAs<int32_t>(bytes, t.int32_data());
      break;
    case DType::i16:
      appendAs<int16_t>(bytes, t.int32_data());
      break;
    case DType::i8:
      appendAs<int8_t>(bytes, t.int32_data());
      break;
    case DType::u8:
    case DType::boolean:
    case DType::f8e4m3fn: // one element, or for the 4- and 2-bit types one packed byte, per int32
    case DType::f8e4m3fnuz:
    case DType::f8e5m2:
    case DType::f8e5m2fnuz:
    case DType::f8e8m0:
    case DType::f4e2m1:
    case DType::u4:
    case DType::i4:
    case DType::u2:
    case DType::i2:
      appendAs<uint8_t>(bytes, t.int32_data());
      break;
    case DType::u16:
    case DType::f16:
    case DType::bf16:
      appendAs<uint16_t>(bytes, t.int32_data());
      break;
    case DType::u32:
      appendAs<uint32_t>(bytes, t.uint64_data());
      break;
    case DType::u64:
      appendAs<uint64_t>(bytes, t.uint64_data());
      break;
    }
  }
  if (static_cast<int64_t>(bytes.size()) != want)
    return Status::error(fmt::format("tensor '{}' has {} bytes of data, its type {} needs {}",
                                     t.name(), bytes.size(), toString(type), want));
  if (smallTypeBits(type.dtype) < 8 && smallTypeBits(type.dtype) > 0)
    bytes = unpackTensorData(type.dtype, bytes.data(), bytes.size(), type.numElements());
  return std::make_pair(std::move(type), std::move(bytes));
}

std::vector<int64_t> constantAsInts(const Value& v) {
  std::vector<int64_t> out;
  int64_t n = v.type.numElements();
  for (int64_t i = 0; i < n; ++i) {
    switch (v.type.dtype) {
    case DType::i64:
      out.push_back(v.dataAs<int64_t>()[i]);
      break;
    case DType::i32:
      out.push_back(v.dataAs<int32_t>()[i]);
      break;
    case DType::i8:
      out.push_back(v.dataAs<int8_t>()[i]);
      break;
    case DType::u8:
    case DType::boolean:
      out.push_back(v.dataAs<uint8_t>()[i]);
      break;
    default:
      return {};
    }
  }
  return out;
}

std::vector<uint8_t> scalarBytes(DType dtype, double value) {
  std::vector<uint8_t> out(dtypeSize(dtype));
  putScalar(out.data(), dtype, value);
  return out;
}

void putScalar(uint8_t* dst, DType dtype, double value) {
  auto put = [&](auto v) { std::memcpy(dst, &v, sizeof(v)); };
  switch (dtype) {
  case DType::f32:
    put(static_cast<float>(value));
    break;
  case DType::f64:
    put(value);
    break;
  case DType::i64:
    put(static_cast<int64_t>(value));
    break;
  case DType::i32:
    put(static_cast<int32_t>(value));
    break;
  case DType::i16:
    put(static_cast<int16_t>(value));
    break;
  case DType::i8:
    put(static_cast<int8_t>(value));
    break;
  case DType::u8:
  case DType::boolean:
    put(static_cast<uint8_t>(value));
    break;
  case DType::u16:
    put(static_cast<uint16_t>(value));
    break;
  case DType::u32:
    put(static_cast<uint32_t>(value));
    break;
  case DType::u64:
    put(static_cast<uint64_t>(value));
    break;
  case DType::f16:
  case DType::bf16:
    put(doubleToHalfBits(value, dtype == DType::bf16));
    break;
  default: // the small types: not produced by the importer
    break;
  }
}

} // namespace dnncc::onnximport
