// Passes and pipelines. A pass is a class with a kebab-case name, a one-line summary and
// `Status run(Module&, PassContext&)`; pipelines are data (a comma-separated list of names).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Evaluator.h"
#include "ir/IR.h"

namespace dnncc {

/// The precision the model computes in (dnncc --precision): fp16 makes convert-to-fp16 turn the
/// f32 values between the model's inputs and outputs into f16.
enum class Precision { fp32, fp16 };

/// Post-training quantization (dnncc --quantize=int8, passes/QuantizeInt8): calibration samples
/// and how activation ranges are taken from them.
struct QuantizeOptions {
  /// One entry per sample: the row-major bytes of each module input, in Module::inputs order.
  std::vector<std::vector<std::vector<uint8_t>>> samples;
  /// minmax: the range of all values seen; percentile: the `percentile`-th and
  /// (100 - percentile)-th percentiles (outliers clipped), both widened to include 0.
  enum class Method { minmax, percentile } method = Method::minmax;
  double percentile = 99.99;
  /// Convs and matmuls that stay f32: the first and the last of the model (by position) when set.
  bool keepFirstAndLast = false;
  /// The activations' type: u8 (x86's VNNI and vpmaddubsw multiply u8 by i8), or i8 where the
  /// target's dot product multiplies int8 by int8 (ARM sdot: dnncc picks it for targets with
  /// +dotprod).
  DType activationType = DType::u8;
};

/// What passes may use besides the module.
struct PassContext {
  /// Folds ops on constants (fold-constants); may be null for pipelines that do not fold.
  ConstantEvaluator* evaluator = nullptr;
  /// f32 lanes of the target's vectors: choose-layouts blocks weights to one or two vectors.
  int vectorLanes = 8;
  /// The target's vector registers (16: AVX2, ARMv7 NEON; 32: AVX-512, AArch64):
  /// materialize-padding pre-pads more convs' inputs with fewer.
  int vectorRegisters = 16;
  /// convert-to-fp16 converts only at fp16.
  Precision precision = Precision::fp32;
  /// The target's kernels run on a GPU (defer-run-checks acts only then).
  bool gpu = false;
  /// quantize-int8's calibration samples; null when not quantizing.
  const QuantizeOptions* quantize = nullptr;
  /// Receives one line per remark a pass makes (e.g. the arena size), if set.
  std::function<void(const std::string&)> remark;
};

class Pass {
public:
  virtual ~Pass() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view summary() const = 0;
  virtual Status run(Module& m, PassContext& ctx) = 0;
};

// One class per pass, expanded from Passes.def.
#define DNNCC_PASS(Class, passName, passSummary)                                                   \
  class Class final : public Pass {                                                                \
  public:                                                                                          \
    std::string_view name() const override { return passName; }                                    \
    std::string_view summary() const override { return passSummary; }                              \
    Status run(Module& m, PassContext& ctx) override;                                              \
  };
#include "passes/Passes.def"

/// The pipeline `dnncc` runs by default.
inline constexpr std::string_view kDefaultPipeline =
    "elide-empty,qdq-to-integer,fold-batch-norm,fold-constants,convert-to-fp16,defer-run-checks,"
    "dce,materialize-padding,fuse-elementwise,choose-layouts,make-views,concat-in-place,"
    "plan-memory";

/// The pipeline of `dnncc --quantize=int8`: batch norms folded into the weights first, then
/// quantize-int8 (calibration and QDQ pairs) and qdq-to-integer, then the default passes.
inline constexpr std::string_view kInt8Pipeline =
    "elide-empty,fold-batch-norm,fold-constants,quantize-int8,qdq-to-integer,fold-constants,"
    "convert-to-fp16,defer-run-checks,dce,materialize-padding,fuse-elementwise,choose-layouts,"
    "make-views,concat-in-place,plan-memory";

/// The ops whose results are the model's outputs, through reshape views (reshapes that are no
/// kernel: group -1), in Module::outputs order; null for an output that no op makes. Passes that
/// turn kernels into views leave these alone: an output owns its buffer.
std::vector<const Op*> outputProducers(const Module& m);

/// A reshape, slice or transpose that is no kernel (fuse-elementwise, make-views): its result is
/// its operand's bytes, from the start (a reshape; a transpose that keeps them in place,
/// transposeKeepsBytes) or from a slice's contiguous offset.
bool isView(const Op* op);
/// A concat, or a transpose that moves bytes, that concat-in-place made no kernel: the kernels of
/// the concat's operands write the bytes of the last op of its inPlaceChain.
bool isWrittenInPlace(const Op* op);

/// The ops through which concat-in-place places the operands of `concat` (ir/IR.h, concatSlot):
/// the concat, then, while the latest result has exactly one use (no model output, nothing the
/// runtime reads) and that use is a reshape that is no kernel or a transpose that `accept`s, that
/// op; then cut after the last transpose that moves bytes (one that transposeKeepsBytes does not
/// describe): the ops after it are views of its result. The last op's result is the tensor whose
/// bytes the operands' kernels write. concat-in-place accepts transposes that are kernels of their
/// own (and makes them no kernel); plan-memory accepts those that are no kernel.
std::vector<const Op*> inPlaceChain(const Module& m, const Op& concat,
                                    const std::function<bool(const Op&)>& accept);

/// Name and summary of every pass.
std::vector<std::pair<std::string_view, std::string_view>> listPasses();
/// Builds the passes of a comma-separated list; unknown names are an error listing valid ones.
Expected<std::vector<std::unique_ptr<Pass>>> parsePipeline(std::string_view list);

struct PipelineOptions {
  std::set<std::string, std::less<>> printAfter; ///< pass names, or "all"
  bool verifyEach = false;
  bool timePasses = false;
  /// Where --print-after and --time-passes write.
  std::function<void(const std::string&)> out;
};

/// Runs `passes` in order. With verifyEach the verifier runs after every pass and a failure names
/// the pass.
Status runPipeline(Module& m, const std::vector<std::unique_ptr<Pass>>& passes, PassContext& ctx,
                   const PipelineOptions& options = {});

} // namespace dnncc
