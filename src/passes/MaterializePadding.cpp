// materialize-padding: conv(x) with non-zero pads -> conv(pad(x)) with zero pads, for convs that
// reduce over several input channels per output (not depthwise). The padded tensor is an ordinary
// planned tensor, so the conv kernel's inner loop reads memory without bounds checks and the pad
// kernel (memory-bound, cheap next to the conv) also lays the input out channels-last. Depthwise
// convs keep their padding: they do too little work per input element to pay for a copy; so do
// stride-1 convs on small maps (paysOff; how small depends on the target's vector registers). An
// integer conv whose input channels are not a multiple of 4 (a first conv on RGB) gets the missing
// channels from the pad (holding its zero point) and zero weights for them, so its reduction takes
// the dot-product form (channelsToAdd).
#include <fmt/format.h>

#include "passes/Pass.h"

namespace dnncc {
namespace {
/// Output width from which a stride-1 conv reads a pre-padded copy faster than it handles the
/// borders itself: 28 (56x56 and 28x28 maps are padded, 14x14 and 7x7 are not) where the target
/// has 32 vector registers (AVX-512, AArch64) or is a GPU, 8 where it has 16 (AVX2, ARMv7 NEON:
/// all but 7x7 maps).
int64_t minPaddedWidth(const PassContext& ctx) {
  return !ctx.gpu && ctx.vectorRegisters < 32 ? 8 : 28;
}

/// Whether the copy pays off. The conv algorithm marks in-bounds reads likely(), so Halide splits
/// a padded conv's loops into border parts with the bounds test and a steady state without it;
/// measured per layer on ResNet-50 (`dnncc-run --profile`, with and without the pass), the copy
/// still pays for strided convs and, on a Zen 4 (AVX-512), for maps at least 28 wide (56x56,
/// 28x28: up to 25% faster) but costs more than it saves on 14x14 and 7x7 maps (about 10%
/// slower). With 16 vector registers (a Zen 3, AVX2) the bounds tests stay in the inner loop of
/// small maps: ResNet-50's 14x14 3x3 convs ran at 55 GFLOP/s per thread in place and 84 with the
/// copy, SqueezeNet's 13x13 ones at 44 and about 85 (the whole model 15% faster); 7x7 maps gain
/// nothing (ResNet-50's layer4, ResNet-18: within the noise, 0-3% slower with the copy).
bool paysOff(const Op& conv, const PassContext& ctx) {
  const auto& a = conv.attr<ConvAttrs>();
  bool strided = std::any_of(a.strides.begin(), a.strides.end(), [](int64_t s) { return s != 1; });
  return strided || conv.result->type.shape.back() >= minPaddedWidth(ctx);
}

/// Extra input channels that make an integer conv's input channels a multiple of
/// kDotProductGroup (a model's first conv reads 3 channels: without them its reduction cannot use
/// the dot-product instructions and runs 3-4x slower per multiply-add), or 0.
int64_t channelsToAdd(const Op& conv) {
  const Value* w = conv.operands[1];
  if (conv.result->type.dtype != DType::i32 || conv.attr<ConvAttrs>().group != 1 ||
      !w->isConstant() || dtypeSize(w->type.dtype) != 1 || w->type.layout != Layout::rowMajor)
    return 0;
  int64_t ic = w->type.shape[1];
  return ic % kDotProductGroup == 0 ? 0 : kDotProductGroup - ic % kDotProductGroup;
}

/// `w` [OC, IC, K...] with `extra` input channels of zero weights appended.
Value* widenedWeights(Module& m, const Value* w, int64_t extra) {
  int64_t oc = w->type.shape[0], ic = w->type.shape[1];
  int64_t k = w->type.numElements() / (oc * ic);
  std::vector<uint8_t> bytes(static_cast<size_t>(oc * (ic + extra) * k), 0);
  for (int64_t o = 0; o < oc; ++o)
    std::copy_n(w->data->begin() + o * ic * k, ic * k, bytes.begin() + o * (ic + extra) * k);
  TensorType t = w->type;
  t.shape[1] = ic + extra;
  return m.addConstant(t, std::move(bytes), w->name + ".channels_padded");
}
} // namespace

Status MaterializePadding::run(Module& m, PassContext& ctx) {
  int padded = 0;
  for (size_t i = 0; i < m.ops.size(); ++i) {
    Op* conv = m.ops[i].get();
    if (conv->kind != OpKind::Conv)
      continue;
    auto& a = conv->attr<ConvAttrs>();
    bool anyPad = std::any_of(a.pads.begin(), a.pads.end(), [](int64_t p) { return p != 0; });
    int64_t icPerGroup = conv->operands[1]->type.shape[1];
    int64_t extra = channelsToAdd(*conv);
    if (extra == 0 && (!anyPad || icPerGroup < 4 || !paysOff(*conv, ctx)))
      continue;
    int spatial = conv->operands[0]->type.rank() - 2;
    PadAttrs pa;
    pa.value = static_cast<double>(a.padValue); // an integer conv pads with x's zero point
    pa.pads.assign(2 * (spatial + 2), 0);
    pa.pads[spatial + 2 + 1] = extra; // end of the channel axis: padded channels meet zero weights
    if (extra > 0)
      conv->operands[1] = widenedWeights(m, conv->operands[1], extra);
    for (int k = 0; k < spatial; ++k) {
      pa.pads[2 + k] = a.pads[k];                   // begin of spatial axis k
      pa.pads[spatial + 2 + 2 + k] = a.pads[spatial + k]; // end of spatial axis k
    }
    // The pad is part of the conv's ONNX node: it keeps the node's name (diagnostics, profile).
    DNNCC_ASSIGN_OR_RETURN(Value * x,
                           m.insertOp(i, OpKind::Pad, {conv->operands[0]}, pa, conv->name));
    conv->operands[0] = x;
    std::fill(a.pads.begin(), a.pads.end(), 0);
    a.padValue = 0;
    ++i; // past the inserted pad, back at the conv
    ++padded;
  }
  if (ctx.remark && padded > 0)
    ctx.remark(fmt::format("materialize-padding: {} convs read pre-padded inputs", padded));
  return Status::ok();
}

} // namespace dnncc
