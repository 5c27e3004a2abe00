// Element types, layouts and TensorType helpers.
#include "ir/Type.h"

#include <algorithm>
#include <array>
#include <cassert>

#include <fmt/format.h>

namespace dnncc {
namespace {
struct DTypeRow {
  DType type;
  std::string_view name;
  int64_t size;
  int onnx;
};
constexpr std::array kDTypes = {
    DTypeRow{DType::f32, "f32", 4, 1},     DTypeRow{DType::f16, "f16", 2, 10},
    DTypeRow{DType::bf16, "bf16", 2, 16},  DTypeRow{DType::f64, "f64", 8, 11},
    DTypeRow{DType::i8, "i8", 1, 3},       DTypeRow{DType::i16, "i16", 2, 5},
    DTypeRow{DType::i32, "i32", 4, 6},     DTypeRow{DType::i64, "i64", 8, 7},
    DTypeRow{DType::u8, "u8", 1, 2},       DTypeRow{DType::u16, "u16", 2, 4},
    DTypeRow{DType::u32, "u32", 4, 12},    DTypeRow{DType::u64, "u64", 8, 13},
    DTypeRow{DType::boolean, "bool", 1, 9},
    DTypeRow{DType::f8e4m3fn, "f8e4m3fn", 1, 17}, DTypeRow{DType::f8e4m3fnuz, "f8e4m3fnuz", 1, 18},
    DTypeRow{DType::f8e5m2, "f8e5m2", 1, 19}, DTypeRow{DType::f8e5m2fnuz, "f8e5m2fnuz", 1, 20},
    DTypeRow{DType::f8e8m0, "f8e8m0", 1, 24}, DTypeRow{DType::f4e2m1, "f4e2m1", 1, 23},
    DTypeRow{DType::u4, "u4", 1, 21},      DTypeRow{DType::i4, "i4", 1, 22},
    DTypeRow{DType::u2, "u2", 1, 25},      DTypeRow{DType::i2, "i2", 1, 26}};

const DTypeRow& row(DType t) { return kDTypes[static_cast<size_t>(t)]; }
} // namespace

std::string_view dtypeName(DType t) { return row(t).name; }
int64_t dtypeSize(DType t) { return row(t).size; }
int onnxDTypeCode(DType t) { return row(t).onnx; }

std::optional<DType> parseDType(std::string_view name) {
  for (const auto& r : kDTypes)
    if (r.name == name)
      return r.type;
  return std::nullopt;
}

std::optional<DType> dtypeFromOnnx(int code) {
  for (const auto& r : kDTypes)
    if (r.onnx == code)
      return r.type;
  return std::nullopt;
}

bool isFloat(DType t) {
  return t == DType::f32 || t == DType::f16 || t == DType::bf16 || t == DType::f64;
}
bool isSignedInt(DType t) {
  return t == DType::i8 || t == DType::i16 || t == DType::i32 || t == DType::i64 ||
         t == DType::i4 || t == DType::i2;
}
bool isSmallType(DType t) { return t >= DType::f8e4m3fn; }

bool isQuantizedType(DType t) {
  switch (t) {
  case DType::i8:
  case DType::u8:
  case DType::i16:
  case DType::u16:
  case DType::f8e4m3fn:
  case DType::f8e4m3fnuz:
  case DType::f8e5m2:
  case DType::f8e5m2fnuz:
  case DType::f4e2m1:
  case DType::u4:
  case DType::i4:
  case DType::u2:
  case DType::i2:
    return true;
  default:
    return false;
  }
}

std::pair<int64_t, int64_t> integerRange(DType t) {
  switch (t) {
  case DType::i4:
    return {-8, 7};
  case DType::u4:
    return {0, 15};
  case DType::i2:
    return {-2, 1};
  case DType::u2:
    return {0, 3};
  default: {
    int bits = static_cast<int>(dtypeSize(t)) * 8;
    if (isSignedInt(t))
      return {bits == 64 ? INT64_MIN : -(int64_t(1) << (bits - 1)),
              bits == 64 ? INT64_MAX : (int64_t(1) << (bits - 1)) - 1};
    return {0, bits == 64 ? INT64_MAX : (int64_t(1) << bits) - 1};
  }
  }
}

std::string_view layoutName(Layout l) {
  switch (l) {
  case Layout::rowMajor:
    return "rowmajor";
  case Layout::nhwc:
    return "nhwc";
  case Layout::hwio:
    return "hwio";
  }
  return "?";
}

std::optional<Layout> parseLayout(std::string_view name) {
  for (Layout l : {Layout::rowMajor, Layout::nhwc, Layout::hwio})
    if (layoutName(l) == name)
      return l;
  return std::nullopt;
}

std::vector<int> storageOrder(Layout l, int rank) {
  std::vector<int> order;
  if (l == Layout::nhwc && rank >= 3) {
    order.push_back(0);
    for (int i = 2; i < rank; ++i)
      order.push_back(i);
    order.push_back(1);
  } else if (l == Layout::hwio && rank >= 2) {
    for (int i = 2; i < rank; ++i)
      order.push_back(i);
    order.push_back(1);
    order.push_back(0);
  } else {
    for (int i = 0; i < rank; ++i)
      order.push_back(i);
  }
  return order;
}

int64_t numElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t TensorType::numElements() const { return dnncc::numElements(shape); }

Status checkTensorSize(const std::vector<int64_t>& shape, DType dtype, int64_t maxBytes) {
  maxBytes = std::min(maxBytes, kMaxTensorBytes);
  for (int64_t d : shape)
    if (d < 0)
      return Status::error(fmt::format("shape {} has a negative extent", shapeString(shape)));
  int64_t bytes = dtypeSize(dtype);
  for (int64_t d : shape) {
    if (d == 0)
      return Status::ok();
    if (bytes > maxBytes / d)
      return Status::error(fmt::format("shape {} is too large: over {} bytes (--max-tensor-bytes)",
                                       shapeString(shape), maxBytes));
    bytes *= d;
  }
  if (bytes > maxBytes)
    return Status::error(fmt::format("shape {} is too large: over {} bytes (--max-tensor-bytes)",
                                     shapeString(shape), maxBytes));
  return Status::ok();
}

std::vector<int64_t> TensorType::strides() const {
  assert(block == 0 && "blocked types have no per-axis strides; use bufferDims");
  std::vector<int64_t> s(shape.size(), 1);
  std::vector<int> order = storageOrder(layout, rank());
  int64_t stride = 1;
  for (int i = rank() - 1; i >= 0; --i) {
    s[order[i]] = stride;
    stride *= shape[order[i]];
  }
  return s;
}

int TensorType::blockedAxis() const {
  std::vector<int> order = storageOrder(layout, rank());
  return order.empty() ? 0 : order.back();
}

int TensorType::groupedAxis() const {
  std::vector<int> order = storageOrder(layout, rank());
  return order.size() < 2 ? -1 : order[order.size() - 2];
}

std::vector<BufferDim> bufferDims(const TensorType& t) {
  int rank = t.rank();
  std::vector<BufferDim> dims(rank + (t.block > 0 ? 1 : 0) + (t.group > 0 ? 1 : 0));
  std::vector<int> order = storageOrder(t.layout, rank); // outer -> inner
  int64_t stride = 1;
  if (t.group > 0) {
    // Innermost first: position in the group, in the block, group index, the other axes, block
    // index (see TensorType::group).
    int a = order[rank - 1], g = order[rank - 2];
    dims[rank - 1 - g] = {t.group, 1};
    dims[rank - 1 - a] = {t.block, t.group};
    stride = t.group * t.block;
    dims[rank + 1] = {t.shape[g] / t.group, stride};
    stride *= t.shape[g] / t.group;
    for (int i = rank - 3; i >= 0; --i) {
      dims[rank - 1 - order[i]] = {t.shape[order[i]], stride};
      stride *= t.shape[order[i]];
    }
    dims[rank] = {t.shape[a] / t.block, stride};
    return dims;
  }
  if (t.block > 0) {
    int a = order.back();
    dims[rank - 1 - a] = {t.block, 1};
    stride = t.block;
    for (int i = rank - 2; i >= 0; --i) {
      dims[rank - 1 - order[i]] = {t.shape[order[i]], stride};
      stride *= t.shape[order[i]];
    }
    dims[rank] = {t.shape[a] / t.block, stride};
    return dims;
  }
  for (int i = rank - 1; i >= 0; --i) {
    dims[rank - 1 - order[i]] = {t.shape[order[i]], stride};
    stride *= t.shape[order[i]];
  }
  return dims;
}

int64_t storageOffset(const TensorType& t, const std::vector<int64_t>& idx) {
  std::vector<BufferDim> dims = bufferDims(t);
  int rank = t.rank();
  int64_t off = 0;
  int a = t.block > 0 ? t.blockedAxis() : -1;
  int g = t.group > 0 ? t.groupedAxis() : -1;
  for (int i = 0; i < rank; ++i) {
    int64_t v = i == a ? idx[i] % t.block : i == g ? idx[i] % t.group : idx[i];
    off += v * dims[rank - 1 - i].stride;
  }
  if (a >= 0)
    off += idx[a] / t.block * dims[rank].stride;
  if (g >= 0)
    off += idx[g] / t.group * dims[rank + 1].stride;
  return off;
}

std::string shapeString(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

std::string toString(const TensorType& t) {
  std::string s = fmt::format("{}{}", dtypeName(t.dtype), shapeString(t.shape));
  if (t.layout != Layout::rowMajor || t.block > 0)
    s += t.block > 0 ? fmt::format("{{{},b{}{}}}", layoutName(t.layout), t.block,
                                   t.group > 0 ? fmt::format(",g{}", t.group) : "")
                     : fmt::format("{{{}}}", layoutName(t.layout));
  if (t.quant)
    s += fmt::format("<q {}, {}>", t.quant->scale, t.quant->zeroPoint);
  return s;
}

Expected<int> normalizeAxis(int64_t axis, int rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= std::max(rank, 1))
    return Status::error(fmt::format("axis {} is out of range for rank {}", axis, rank));
  return static_cast<int>(a);
}

Expected<std::vector<int64_t>> broadcastShapes(const std::vector<int64_t>& a,
                                               const std::vector<int64_t>& b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return Status::error(fmt::format("shapes {} and {} do not broadcast", shapeString(a),
                                       shapeString(b)));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

} // namespace dnncc
