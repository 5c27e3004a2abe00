// The `host` target from the CPU's real extensions (see HostTarget.h): a table of Halide features
// and the LLVM extensions each one's code may use.
#include "codegen/HostTarget.h"

#include <Halide.h>
#include <fmt/format.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/Support/Host.h>

namespace dnncc {
namespace {

/// One Halide feature: the CPU extensions (LLVM names) its code may use, and the Halide feature
/// it builds on (taken first; nullptr for none).
struct FeatureRule {
  const char* halide;
  std::vector<const char*> needs;
  const char* after;
};

// x86: what each Halide 14 feature turns into (CodeGen_X86::mcpu and mattrs), and so needs:
//   sse41 -> penryn; avx -> corei7-avx (Sandy Bridge); avx2 -> haswell (with BMI1/2, LZCNT,
//   MOVBE); avx512 -> +avx512f,+avx512cd; avx512_skylake -> skylake-avx512; avx512_cannonlake ->
//   cannonlake (+IFMA, VBMI); avx512_sapphirerapids -> sapphirerapids (Ice Lake's VBMI2, BITALG,
//   VPOPCNTDQ, GFNI, VAES, VPCLMULQDQ, plus AVX-VNNI, AVX512-FP16, BF16, VNNI and AMX, which
//   Halide 14 also lowers matrix products to).
const std::vector<FeatureRule> kX86Rules = {
    {"sse41", {"ssse3", "sse4.1"}, nullptr},
    {"avx", {"avx", "sse4.2", "popcnt"}, "sse41"},
    {"f16c", {"f16c"}, "avx"},
    {"fma", {"fma"}, "avx"},
    {"avx2", {"avx2", "fma", "f16c", "bmi", "bmi2", "lzcnt", "movbe"}, "avx"},
    {"avx512", {"avx512f", "avx512cd"}, "avx2"},
    {"avx512_skylake", {"avx512bw", "avx512dq", "avx512vl"}, "avx512"},
    {"avx512_cannonlake", {"avx512ifma", "avx512vbmi"}, "avx512_skylake"},
    {"avx512_sapphirerapids",
     {"avx512fp16", "avx512bf16", "avx512vnni", "avx512vbmi2", "avx512bitalg", "avx512vpopcntdq",
      "gfni", "vaes", "vpclmulqdq", "avxvnni", "amx-tile", "amx-int8", "amx-bf16"},
     "avx512_cannonlake"},
};

// ARM: Halide 14 adds +dotprod for arm_dot_prod and +fullfp16 for arm_fp16.
const std::vector<FeatureRule> kArmRules = {
    {"arm_dot_prod", {"dotprod"}, nullptr},
    {"arm_fp16", {"fullfp16"}, nullptr},
};

} // namespace

HostTargetChoice chooseHalideTarget(const std::string& base,
                                    const std::set<std::string>& cpuFeatures) {
  HostTargetChoice choice;
  Halide::Target target(base);
  const std::vector<FeatureRule>* rules = nullptr;
  if (target.arch == Halide::Target::X86)
    rules = &kX86Rules;
  else if (target.arch == Halide::Target::ARM)
    rules = &kArmRules;
  else
    choice.reasons.push_back(fmt::format("{}: no instruction-set extensions are detected for this "
                                         "architecture",
                                         base));
  std::set<std::string> taken;
  for (const FeatureRule& rule : rules ? *rules : std::vector<FeatureRule>{}) {
    std::vector<std::string> missing;
    for (const char* need : rule.needs)
      if (!cpuFeatures.count(need))
        missing.push_back(need);
    if (rule.after && !taken.count(rule.after)) {
      choice.reasons.push_back(fmt::format("{}: no (needs {})", rule.halide, rule.after));
      continue;
    }
    if (!missing.empty()) {
      choice.reasons.push_back(
          fmt::format("{}: no (the CPU lacks {})", rule.halide, fmt::join(missing, ", ")));
      continue;
    }
    taken.insert(rule.halide);
    choice.reasons.push_back(
        fmt::format("{}: yes (the CPU has {})", rule.halide, fmt::join(rule.needs, ", ")));
    target = target.with_feature(Halide::Target::feature_from_name(rule.halide));
  }
  choice.halideTarget = target.to_string();
  return choice;
}

std::set<std::string> hostCpuFeatures() {
  std::set<std::string> on;
  llvm::StringMap<bool> features;
  if (llvm::sys::getHostCPUFeatures(features))
    for (const auto& f : features)
      if (f.second)
        on.insert(f.first().str());
  return on;
}

const HostTargetChoice& hostTargetChoice() {
  static const HostTargetChoice choice = [] {
    // Halide's host target is trusted for the architecture, bits and OS only, not its features.
    Halide::Target h = Halide::get_host_target();
    std::string base = Halide::Target(h.os, h.arch, h.bits).to_string();
    return chooseHalideTarget(base, hostCpuFeatures());
  }();
  return choice;
}

} // namespace dnncc
