// Typed attribute structs of the IR ops. Each struct exposes its fields once through `visitFields`,
// which the printer, the parser and equality use; strings like "NCHW" never reach the IR.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "ir/Type.h"

namespace dnncc {

using IntList = std::vector<int64_t>;

/// The attribute enumerations (ir/AttrEnums.def), e.g. `enum class PadMode : uint8_t {constant,
/// reflect, edge}`.
#define DNNCC_ENUM(Name, ...) enum class Name : uint8_t { __VA_ARGS__ };
#include "ir/AttrEnums.def"

/// The values of an attribute enumeration, spelled as in AttrEnums.def, in declaration order.
template <class E> struct EnumValueNames;
#define DNNCC_ENUM(Name, ...)                                                                      \
  template <> struct EnumValueNames<Name> {                                                        \
    static constexpr std::string_view list = #__VA_ARGS__;                                         \
  };
#include "ir/AttrEnums.def"

/// The names of E's values in order ("constant", "reflect", "edge" for PadMode).
template <class E> const std::vector<std::string_view>& enumValueNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    std::string_view list = EnumValueNames<E>::list;
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && item.front() == ' ')
        item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ')
        item.remove_suffix(1);
      out.push_back(item);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    return out;
  }();
  return names;
}

/// The IR text name of an enumeration value (printer).
template <class E> std::string_view enumName(E v) {
  const auto& names = enumValueNames<E>();
  size_t i = static_cast<size_t>(v);
  return i < names.size() ? names[i] : std::string_view("?");
}

/// The value of E named `s` (parser); false when none is.
template <class E> bool parseEnum(std::string_view s, E& out) {
  const auto& names = enumValueNames<E>();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == s) {
      out = static_cast<E>(i);
      return true;
    }
  return false;
}

struct NoAttrs {
  template <class V> void visitFields(V&&) {}
  bool operator==(const NoAttrs&) const = default;
};

/// clip: y = min(max(x, min), max). Bounds are +-infinity when absent in the model.
struct ClipAttrs {
  double min = 0, max = 0;
  template <class V> void visitFields(V&& v) { v("min", min); v("max", max); }
  bool operator==(const ClipAttrs&) const = default;
};

/// leaky_relu: y = x < 0 ? alpha * x : x.
struct LeakyReluAttrs {
  double alpha = 0.01;
  template <class V> void visitFields(V&& v) { v("alpha", alpha); }
  bool operator==(const LeakyReluAttrs&) const = default;
};

/// hard_sigmoid: y = max(0, min(1, alpha * x + beta)).
struct HardSigmoidAttrs {
  double alpha = 0.2, beta = 0.5;
  template <class V> void visitFields(V&& v) { v("alpha", alpha); v("beta", beta); }
  bool operator==(const HardSigmoidAttrs&) const = default;
};

struct GeluAttrs {
  GeluApprox approximate = GeluApprox::none;
  template <class V> void visitFields(V&& v) { v("approximate", approximate); }
  bool operator==(const GeluAttrs&) const = default;
};

/// One coefficient: elu (alpha (exp(x) - 1) for x < 0), celu (max(0, x) + min(0, alpha
/// (exp(x / alpha) - 1))), thresholded_relu (x > alpha ? x : 0), swish (x sigmoid(alpha x)).
struct AlphaAttrs {
  double alpha = 1.0;
  template <class V> void visitFields(V&& v) { v("alpha", alpha); }
  bool operator==(const AlphaAttrs&) const = default;
};

/// selu: y = gamma * (x > 0 ? x : alpha * (exp(x) - 1)) (ONNX Selu defaults).
struct SeluAttrs {
  double alpha = 1.67326319217681884765625, gamma = 1.05070102214813232421875;
  template <class V> void visitFields(V&& v) { v("alpha", alpha); v("gamma", gamma); }
  bool operator==(const SeluAttrs&) const = default;
};

/// shrink: y = x < -lambd ? x + bias : x > lambd ? x - bias : 0 (ONNX Shrink).
struct ShrinkAttrs {
  double bias = 0.0, lambd = 0.5;
  template <class V> void visitFields(V&& v) { v("bias", bias); v("lambd", lambd); }
  bool operator==(const ShrinkAttrs&) const = default;
};

/// is_inf: true for +inf when `positive`, for -inf when `negative` (ONNX IsInf detect_*).
struct IsInfAttrs {
  bool negative = true, positive = true;
  template <class V> void visitFields(V&& v) { v("negative", negative); v("positive", positive); }
  bool operator==(const IsInfAttrs&) const = default;
};

/// cast: converts to `to` with ONNX Cast semantics (float->int truncates toward zero).
/// cast to `to` (ONNX Cast). `saturate` (Cast-19+): float8 results clamp to the type's finite
/// range instead of becoming inf/NaN; `round` (Cast-24+): rounding of f8e8m0 results.
struct CastAttrs {
  DType to = DType::f32;
  bool saturate = true;
  CastRound round = CastRound::up;
  template <class V> void visitFields(V&& v) {
    v("to", to);
    v("saturate", saturate);
    v("round", round);
  }
  bool operator==(const CastAttrs&) const = default;
};

/// conv over N-d images: x [N, C, D1..Dk], w [OC, C/group, K1..Kk], optional bias [OC].
/// `pads` is [begin_1..begin_k, end_1..end_k] (ONNX order), explicit (auto_pad resolved on import).
/// Integer form (passes/QdqToInteger): x u8 or i8, w i8 or u8, bias i32, result i32, each product
/// widened to i32 and summed exactly; the padding holds `pad_value` (x's zero point, so that it
/// stands for a real 0; the bias carries -zero_point * sum(w)). Float convs pad with 0.
struct ConvAttrs {
  IntList strides, pads, dilations;
  int64_t group = 1;
  int64_t padValue = 0;
  template <class V> void visitFields(V&& v) {
    v("strides", strides); v("pads", pads); v("dilations", dilations); v("group", group);
    v("pad_value", padValue);
  }
  bool operator==(const ConvAttrs&) const = default;
};

/// conv_transpose (ONNX ConvTranspose): x [N, C, D1..Dk], w [C, OC/group, K1..Kk], bias [OC].
/// y[n, oc, o] = bias[oc] + sum over the group's input channels c and taps k with
/// o = i * stride + k * dilation - padBegin of x[n, c, i] * w[c, oc % (OC/group), k].
/// Output extent: stride * (in - 1) + outputPadding + (kernel - 1) * dilation + 1 - padBegin -
/// padEnd. `pads` ([begin..., end...]) may be negative (an output_shape larger than the natural
/// one).
struct ConvTransposeAttrs {
  IntList strides, pads, dilations, outputPadding;
  int64_t group = 1;
  template <class V> void visitFields(V&& v) {
    v("strides", strides); v("pads", pads); v("dilations", dilations);
    v("output_padding", outputPadding); v("group", group);
  }
  bool operator==(const ConvTransposeAttrs&) const = default;
};

/// col2im (ONNX Col2Im-18): x [N, C * prod(block), L] of column blocks, L = prod over the spatial
/// axes of the block positions (image + padBegin + padEnd - dilation * (block - 1) - 1) / stride
/// + 1; result [N, C, image...] (its shape given on creation): each column entry added into the
/// pixel its block position and kernel offset cover.
struct Col2ImAttrs {
  IntList block, strides, pads, dilations;
  template <class V> void visitFields(V&& v) {
    v("block", block);
    v("strides", strides);
    v("pads", pads);
    v("dilations", dilations);
  }
  bool operator==(const Col2ImAttrs&) const = default;
  /// Positions of a block of `extent` elements on image axis `axis` of extent `image`: the
  /// sliding-window count (windowExtent), 0 when the block does not fit the padded image. The
  /// image, strides, dilations and pads are below 2^31 (inferCol2Im checks them).
  int64_t blockPositions(size_t axis, int64_t image, int64_t extent) const;
};

/// grid_sample (ONNX GridSample): x [N, C, D1..Dk], grid [N, O1..Ok, k] with normalised
/// coordinates in [-1, 1], innermost axis first (x, y, z); result [N, C, O1..Ok].
struct GridSampleAttrs {
  GridSampleMode mode = GridSampleMode::linear;
  GridPadding padding = GridPadding::zeros;
  bool alignCorners = false;
  template <class V> void visitFields(V&& v) {
    v("mode", mode); v("padding", padding); v("align_corners", alignCorners);
  }
  bool operator==(const GridSampleAttrs&) const = default;
};

/// deform_conv (ONNX DeformConv, 2-D): x [N, C, H, W], w [OC, C/group, KH, KW], offset
/// [N, offsetGroup * KH * KW * 2, OH, OW] ((dh, dw) per tap), bias [OC], mask
/// [N, offsetGroup * KH * KW, OH, OW]. `pads` as in ConvAttrs.
struct DeformConvAttrs {
  IntList strides, pads, dilations;
  int64_t group = 1, offsetGroup = 1;
  template <class V> void visitFields(V&& v) {
    v("strides", strides); v("pads", pads); v("dilations", dilations); v("group", group);
    v("offset_group", offsetGroup);
  }
  bool operator==(const DeformConvAttrs&) const = default;
};

/// roi_align (ONNX RoiAlign): x [N, C, H, W], rois [R, 4] (x1, y1, x2, y2), batch indices [R];
/// result [R, C, outputHeight, outputWidth]; samplingRatio x samplingRatio bilinear samples per
/// bin, averaged (or their maximum with `max`). halfPixel shifts the roi by -0.5.
struct RoiAlignAttrs {
  bool max = false;
  int64_t outputHeight = 1, outputWidth = 1, samplingRatio = 1;
  double spatialScale = 1;
  bool halfPixel = true;
  template <class V> void visitFields(V&& v) {
    v("max", max); v("output_height", outputHeight); v("output_width", outputWidth);
    v("sampling_ratio", samplingRatio); v("spatial_scale", spatialScale);
    v("half_pixel", halfPixel);
  }
  bool operator==(const RoiAlignAttrs&) const = default;
};

/// gemm: Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A (ONNX Gemm).
struct GemmAttrs {
  bool transA = false, transB = false;
  double alpha = 1, beta = 1;
  template <class V> void visitFields(V&& v) {
    v("trans_a", transA); v("trans_b", transB); v("alpha", alpha); v("beta", beta);
  }
  bool operator==(const GemmAttrs&) const = default;
};

/// max_pool / avg_pool over the spatial axes of [N, C, D1..Dk]. `pads` as in ConvAttrs.
struct PoolAttrs {
  IntList kernel, strides, pads, dilations;
  bool ceilMode = false;
  bool countIncludePad = false; ///< avg_pool only
  template <class V> void visitFields(V&& v) {
    v("kernel", kernel); v("strides", strides); v("pads", pads); v("dilations", dilations);
    v("ceil_mode", ceilMode); v("count_include_pad", countIncludePad);
  }
  bool operator==(const PoolAttrs&) const = default;
};

/// reduce_*: `axes` normalised, sorted and non-empty (an empty ONNX axes list is resolved on import).
struct ReduceAttrs {
  IntList axes;
  bool keepdims = true;
  template <class V> void visitFields(V&& v) { v("axes", axes); v("keepdims", keepdims); }
  bool operator==(const ReduceAttrs&) const = default;
};

/// One normalised axis: softmax, log_softmax, concat, gather.
struct AxisAttrs {
  int64_t axis = 0;
  template <class V> void visitFields(V&& v) { v("axis", axis); }
  bool operator==(const AxisAttrs&) const = default;
};

/// layer_norm over axes [axis, rank) (ONNX LayerNormalization); scale and bias have those dims.
struct LayerNormAttrs {
  int64_t axis = -1;
  double epsilon = 1e-5;
  template <class V> void visitFields(V&& v) { v("axis", axis); v("epsilon", epsilon); }
  bool operator==(const LayerNormAttrs&) const = default;
};

/// batch_norm (inference form): y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel.
struct BatchNormAttrs {
  double epsilon = 1e-5;
  template <class V> void visitFields(V&& v) { v("epsilon", epsilon); }
  bool operator==(const BatchNormAttrs&) const = default;
};

struct TransposeAttrs {
  IntList perm;
  template <class V> void visitFields(V&& v) { v("perm", perm); }
  bool operator==(const TransposeAttrs&) const = default;
};

/// slice: for every axis, output index i reads input index starts[a] + i * steps[a]. Normalised on
/// import: one entry per axis, starts within the input, the output extent in the result type.
struct SliceAttrs {
  IntList starts, steps;
  template <class V> void visitFields(V&& v) { v("starts", starts); v("steps", steps); }
  bool operator==(const SliceAttrs&) const = default;
};

/// pad: `pads` is [begin_0..begin_{r-1}, end_0..end_{r-1}] (ONNX Pad), may be negative (crop).
struct PadAttrs {
  IntList pads;
  PadMode mode = PadMode::constant;
  double value = 0;
  template <class V> void visitFields(V&& v) { v("pads", pads); v("mode", mode); v("value", value); }
  bool operator==(const PadAttrs&) const = default;
};

/// arg_max / arg_min along `axis` (normalised); int64 result. With `selectLastIndex` ties pick
/// the last position, otherwise the first (ONNX ArgMax/ArgMin).
struct ArgAttrs {
  int64_t axis = 0;
  bool keepdims = true;
  bool selectLastIndex = false;
  template <class V> void visitFields(V&& v) {
    v("axis", axis); v("keepdims", keepdims); v("select_last_index", selectLastIndex);
  }
  bool operator==(const ArgAttrs&) const = default;
};

/// top_k / top_k_indices: the `k` largest (or smallest) elements along `axis` (normalised), in
/// sorted order; equal elements keep their input order (ONNX TopK).
struct TopKAttrs {
  int64_t axis = -1;
  int64_t k = 1;
  bool largest = true;
  template <class V> void visitFields(V&& v) { v("axis", axis); v("k", k); v("largest", largest); }
  bool operator==(const TopKAttrs&) const = default;
};

/// cum_sum / cum_prod along `axis` (normalised); `exclusive` leaves out the element itself,
/// `reverse` scans from the end (ONNX CumSum, CumProd). With a second operand (a runtime integer
/// scalar, negative counting from the end) the axis comes from it and `axis` is unused (0).
struct CumAttrs {
  int64_t axis = 0;
  bool exclusive = false;
  bool reverse = false;
  template <class V> void visitFields(V&& v) {
    v("axis", axis); v("exclusive", exclusive); v("reverse", reverse);
  }
  bool operator==(const CumAttrs&) const = default;
};

/// gather_nd: the first `batchDims` axes of data and indices are shared batch axes (ONNX GatherND).
struct GatherNDAttrs {
  int64_t batchDims = 0;
  template <class V> void visitFields(V&& v) { v("batch_dims", batchDims); }
  bool operator==(const GatherNDAttrs&) const = default;
};

/// scatter_elements (along `axis`, normalised) and scatter_nd (axis unused, 0).
struct ScatterAttrs {
  int64_t axis = 0;
  ScatterReduction reduction = ScatterReduction::none;
  template <class V> void visitFields(V&& v) { v("axis", axis); v("reduction", reduction); }
  bool operator==(const ScatterAttrs&) const = default;
};

/// reverse_sequence: axes of the batch and of the time steps (ONNX ReverseSequence).
struct ReverseSequenceAttrs {
  int64_t batchAxis = 1;
  int64_t timeAxis = 0;
  template <class V> void visitFields(V&& v) { v("batch_axis", batchAxis); v("time_axis", timeAxis); }
  bool operator==(const ReverseSequenceAttrs&) const = default;
};

/// tensor_scatter: writes `update` into the cache along `axis` (normalised, >= 1) from the
/// per-batch position write_indices[b]; `circular` wraps positions modulo the cache length
/// (ONNX TensorScatter-24 `mode`).
struct TensorScatterAttrs {
  int64_t axis = 0;
  bool circular = false;
  template <class V> void visitFields(V&& v) { v("axis", axis); v("circular", circular); }
  bool operator==(const TensorScatterAttrs&) const = default;
};

/// non_max_suppression(_count): ONNX NonMaxSuppression's center_point_box (boxes as
/// [x_center, y_center, width, height] instead of corners), and whether a score threshold operand
/// filters the boxes (without one every box is a candidate).
struct NmsAttrs {
  bool centerPointBox = false;
  bool scoreThreshold = false;
  template <class V> void visitFields(V&& v) {
    v("center_point_box", centerPointBox);
    v("score_threshold", scoreThreshold);
  }
  bool operator==(const NmsAttrs&) const = default;
};

/// unique*: the axis whose slices are compared (the importer flattens x when the node has none)
/// and whether the unique slices are sorted (else in order of first occurrence).
struct UniqueAttrs {
  int64_t axis = 0;
  bool sorted = true;
  template <class V> void visitFields(V&& v) { v("axis", axis); v("sorted", sorted); }
  bool operator==(const UniqueAttrs&) const = default;
};

/// slice_runtime(_check): the output shape the model declares for a Slice whose starts, ends,
/// axes or steps are known only at run time.
struct RuntimeSliceAttrs {
  IntList shape;
  template <class V> void visitFields(V&& v) { v("shape", shape); }
  bool operator==(const RuntimeSliceAttrs&) const = default;
};

namespace detail {
/// std::variant of the distinct types of Ts, in order of first appearance.
template <class Variant, class... Ts> struct UniqueVariant { using type = Variant; };
template <class... Vs, class T, class... Ts>
struct UniqueVariant<std::variant<Vs...>, T, Ts...>
    : UniqueVariant<std::conditional_t<(std::is_same_v<T, Vs> || ...), std::variant<Vs...>,
                                       std::variant<Vs..., T>>,
                    Ts...> {};
} // namespace detail

/// The attributes of any op: a variant of the attribute structs named in Ops.def (each once); the
/// alternative is fixed by the op kind.
using Attrs = detail::UniqueVariant<std::variant<>
#define DNNCC_OP(Kind, name, AttrsT, minOps, maxOps, traits, infer) , AttrsT
#include "ir/Ops.def"
                                    >::type;

} // namespace dnncc
