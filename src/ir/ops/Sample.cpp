// Type inference of the sampling ops: grid_sample (ONNX GridSample), deform_conv (DeformConv) and
// roi_align (RoiAlign).
#include <fmt/format.h>

#include "ir/ops/Infer.h"

namespace dnncc {

Expected<TensorType> inferGridSample(const Op& op) {
  const TensorType& x = op.operands[0]->type;
  const TensorType& g = op.operands[1]->type;
  int k = x.rank() - 2;
  if (k < 1 || g.rank() != x.rank() || g.shape.back() != k || g.shape[0] != x.shape[0])
    return Status::error(fmt::format("input {} and grid {} must be [N, C, D1..Dk] and "
                                     "[N, O1..Ok, k]",
                                     shapeString(x.shape), shapeString(g.shape)));
  if (!isFloat(x.dtype) || !isFloat(g.dtype))
    return Status::error("grid_sample needs a float input and grid");
  std::vector<int64_t> shape{x.shape[0], x.shape[1]};
  shape.insert(shape.end(), g.shape.begin() + 1, g.shape.end() - 1);
  return makeType(x.dtype, std::move(shape));
}

Expected<TensorType> inferDeformConv(const Op& op) {
  const auto& a = op.attr<DeformConvAttrs>();
  const TensorType& x = op.operands[0]->type;
  const TensorType& w = op.operands[1]->type;
  if (x.rank() != 4 || w.rank() != 4)
    return Status::error(fmt::format("input {} and weights {} must be [N, C, H, W] (2-D only)",
                                     shapeString(x.shape), shapeString(w.shape)));
  DNNCC_TRY(checkLen("strides", a.strides, 2));
  DNNCC_TRY(checkLen("dilations", a.dilations, 2));
  DNNCC_TRY(checkLen("pads", a.pads, 4));
  if (a.group <= 0 || w.shape[1] * a.group != x.shape[1] || w.shape[0] % a.group != 0)
    return Status::error(fmt::format("group={} does not fit input {} and weights {}", a.group,
                                     shapeString(x.shape), shapeString(w.shape)));
  if (a.offsetGroup <= 0 || x.shape[1] % a.offsetGroup != 0)
    return Status::error(fmt::format("offset_group={} does not divide {} input channels",
                                     a.offsetGroup, x.shape[1]));
  std::vector<int64_t> shape{x.shape[0], w.shape[0]};
  for (int i = 0; i < 2; ++i) {
    DNNCC_ASSIGN_OR_RETURN(int64_t e,
                           windowExtent(x.shape[2 + i], w.shape[2 + i], a.strides[i],
                                        a.dilations[i], a.pads[i], a.pads[2 + i], false));
    shape.push_back(e);
  }
  int64_t taps = a.offsetGroup * w.shape[2] * w.shape[3];
  auto expect = [&](int i, int64_t channels) {
    std::vector<int64_t> want{x.shape[0], channels, shape[2], shape[3]};
    return op.operands[i]->type.shape == want && op.operands[i]->type.dtype == x.dtype;
  };
  if (!expect(2, 2 * taps) || !expect(4, taps) ||
      op.operands[3]->type.shape != std::vector<int64_t>{w.shape[0]})
    return Status::error(fmt::format("offset {}, bias {} or mask {} do not fit output {}",
                                     shapeString(op.operands[2]->type.shape),
                                     shapeString(op.operands[3]->type.shape),
                                     shapeString(op.operands[4]->type.shape), shapeString(shape)));
  return makeType(x.dtype, std::move(shape));
}

Expected<TensorType> inferRoiAlign(const Op& op) {
  const auto& a = op.attr<RoiAlignAttrs>();
  const TensorType& x = op.operands[0]->type;
  const TensorType& rois = op.operands[1]->type;
  const TensorType& idx = op.operands[2]->type;
  if (x.rank() != 4 || rois.rank() != 2 || rois.shape[1] != 4 ||
      idx.shape != std::vector<int64_t>{rois.shape[0]} || idx.dtype != DType::i64)
    return Status::error(fmt::format("input {}, rois {} and batch indices {} must be [N, C, H, W], "
                                     "[R, 4] and int64 [R]",
                                     shapeString(x.shape), shapeString(rois.shape),
                                     shapeString(idx.shape)));
  if (!isFloat(x.dtype) || rois.dtype != x.dtype)
    return Status::error("roi_align needs float input and rois of the same type");
  if (a.outputHeight <= 0 || a.outputWidth <= 0 || a.samplingRatio <= 0)
    return Status::error("output_height, output_width and sampling_ratio must be positive");
  return makeType(x.dtype, {rois.shape[0], x.shape[1], a.outputHeight, a.outputWidth});
}

} // namespace dnncc
