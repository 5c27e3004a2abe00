// Element types, storage layouts and TensorType: the type of every SSA value in the IR.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "support/Status.h"

namespace dnncc {

/// Element types. The IR spelling (f32, i64, bool, ...) is what `dtypeName` returns.
/// The last ten are the small types of ONNX (opsets 19-25), held one element per byte in memory
/// and at the model API (see ir/SmallTypes.h): f8e4m3fn, f8e4m3fnuz, f8e5m2, f8e5m2fnuz (8-bit
/// floats, ONNX FLOAT8*), f8e8m0 (power-of-two scale, FLOAT8E8M0), f4e2m1 (4-bit float,
/// FLOAT4E2M1), u4/i4 (UINT4/INT4) and u2/i2 (UINT2/INT2). They are storage types: only casts
/// and data movement compute on them.
enum class DType : uint8_t {
  f32, f16, bf16, f64, i8, i16, i32, i64, u8, u16, u32, u64, boolean,
  f8e4m3fn, f8e4m3fnuz, f8e5m2, f8e5m2fnuz, f8e8m0, f4e2m1, u4, i4, u2, i2
};

std::string_view dtypeName(DType t);
std::optional<DType> parseDType(std::string_view name);
/// Bytes per element in memory (bool is one byte, as in ONNX and numpy).
int64_t dtypeSize(DType t);
/// f32, f16, bf16 or f64 (the small float types are not: see isSmallType).
bool isFloat(DType t);
/// i8..i64 and the signed small integers i4, i2.
bool isSignedInt(DType t);
/// One of the ONNX small types (8-, 4- and 2-bit): a storage type that only casts and data
/// movement compute on.
bool isSmallType(DType t);
/// A type QuantizeLinear produces and DequantizeLinear reads (ONNX QuantizeLinear-25 T2):
/// i8, u8, i16, u16, the 4- and 2-bit integers, the float8 types but f8e8m0, and f4e2m1.
bool isQuantizedType(DType t);
/// [min, max] of an integer type, for the 4- and 2-bit ones their value range ([-8, 7] for i4).
std::pair<int64_t, int64_t> integerRange(DType t);
/// ONNX TensorProto.DataType code of `t` (FLOAT = 1, ..., BFLOAT16 = 16).
int onnxDTypeCode(DType t);
/// The DType of an ONNX TensorProto.DataType code, or nothing for types dnncc does not represent.
std::optional<DType> dtypeFromOnnx(int code);

/// Storage order of a tensor's elements; the logical (ONNX) dimension order never changes.
/// - rowMajor: ONNX's own order, last axis contiguous (NCHW for images).
/// - nhwc: channels last: axis 1 is innermost, then the spatial axes, then N outermost.
/// - hwio: for weights [OC, IC/g, KH, KW]: stored as KH, KW, IC/g, OC (OC contiguous); for a
///   rank-2 [N, K] gemm weight: stored transposed (N contiguous).
enum class Layout : uint8_t { rowMajor, nhwc, hwio };

std::string_view layoutName(Layout l);
std::optional<Layout> parseLayout(std::string_view name);
/// Logical axes from outermost to innermost in memory for a tensor of `rank` with layout `l`.
std::vector<int> storageOrder(Layout l, int rank);

/// Affine quantization parameters: real = scale * (q - zeroPoint) (ONNX QuantizeLinear).
struct QuantParams {
  double scale = 1.0;
  int64_t zeroPoint = 0;
  bool operator==(const QuantParams&) const = default;
};

/// Input channels (a matmul's K) that the integer dot-product instructions (x86 VNNI vpdpbusd,
/// ARM sdot) reduce into one 32-bit lane: the `group` of 8-bit conv and matmul weights.
inline constexpr int64_t kDotProductGroup = 4;

/// The type of a tensor value: element type, static shape (ONNX order), storage layout and optional
/// quantization parameters. A rank-0 shape is a scalar.
struct TensorType {
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  Layout layout = Layout::rowMajor;
  /// When > 0, the innermost storage axis of the layout is split into blocks of `block` elements
  /// and the blocks are stored outermost: e.g. hwio conv weights [OC, IC, KH, KW] with block 16
  /// are stored [OC/16][KH][KW][IC][16], so a kernel streams one block of output channels
  /// sequentially. The axis extent is a multiple of `block`.
  int64_t block = 0;
  /// When > 0 (with block > 0), the storage axis just outside the blocked one (IC of hwio conv
  /// weights, K of a matmul's B) is split into groups of `group` elements stored innermost, inside
  /// the block: hwio weights with block 16 and group 4 are stored [OC/16][KH][KW][IC/4][16][4],
  /// the order AVX-512 VNNI's vpdpbusd and ARM's sdot/udot read (each 32-bit lane holds 4
  /// consecutive input channels of one output channel). The axis extent is a multiple of `group`.
  int64_t group = 0;
  std::optional<QuantParams> quant;

  int rank() const { return static_cast<int>(shape.size()); }
  int64_t numElements() const;
  int64_t byteSize() const { return numElements() * dtypeSize(dtype); }
  /// Element strides (ONNX axis order) implied by shape and layout. Not for blocked types.
  std::vector<int64_t> strides() const;
  /// The logical axis that `block` splits (the innermost storage axis).
  int blockedAxis() const;
  /// The logical axis that `group` splits (the storage axis outside the blocked one).
  int groupedAxis() const;
  /// Same dtype and shape; layout and quantization are ignored.
  bool sameShapeAndDType(const TensorType& o) const {
    return dtype == o.dtype && shape == o.shape;
  }
  bool operator==(const TensorType&) const = default;
};

/// One dimension of a tensor's memory as a Halide buffer sees it (extent, stride in elements).
struct BufferDim {
  int64_t extent;
  int64_t stride;
};
/// Buffer dimensions in Halide order: dims 0..rank-1 are the logical axes reversed (dim i is ONNX
/// axis rank-1-i); for a blocked type the blocked axis's dim holds the position inside a block and
/// one extra dim the block index; for a grouped type (TensorType::group) the grouped axis's dim
/// holds the position inside a group and one more last dim the group index.
std::vector<BufferDim> bufferDims(const TensorType& t);
/// Element offset of the logical index `idx` (ONNX order) in the tensor's memory.
int64_t storageOffset(const TensorType& t, const std::vector<int64_t>& idx);

/// IR spelling: `f32[1,3,224,224]`, with `{nhwc}` appended for a non-default layout.
std::string toString(const TensorType& t);
/// `[1,3,224,224]`
std::string shapeString(const std::vector<int64_t>& shape);

/// Number of elements of a shape (1 for a scalar).
int64_t numElements(const std::vector<int64_t>& shape);

/// Normalises a possibly negative ONNX axis into [0, rank); an error when out of range.
Expected<int> normalizeAxis(int64_t axis, int rank);

/// The largest tensor any limit may allow (1 TiB): past it, element counts and byte offsets come
/// close to overflowing 64 bits, and no device holds such a tensor anyway.
inline constexpr int64_t kMaxTensorBytes = int64_t{1} << 40;
/// The default of `--max-tensor-bytes` (ImportOptions::maxTensorBytes): the largest input,
/// weight or intermediate tensor a model may have (16 GiB).
inline constexpr int64_t kDefaultMaxTensorBytes = int64_t{16} << 30;

/// Checks a shape: no negative extent, and the tensor at most `maxBytes` (at most
/// kMaxTensorBytes) with elements of `dtype`, computed without overflow. Errors name the shape
/// and the limit.
Status checkTensorSize(const std::vector<int64_t>& shape, DType dtype,
                       int64_t maxBytes = kMaxTensorBytes);

/// Multidirectional (numpy) broadcasting of two shapes, ONNX "Broadcasting in ONNX" rules.
Expected<std::vector<int64_t>> broadcastShapes(const std::vector<int64_t>& a,
                                               const std::vector<int64_t>& b);

} // namespace dnncc
