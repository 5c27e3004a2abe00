// The `host` target: CPU extensions -> Halide features (HostTarget.h), as a table over known CPUs,
// and the running machine's choice checked against cpuid read directly (not through LLVM).
#include <set>
#include <string>

#include <Halide.h>
#include <gtest/gtest.h>

#include "codegen/HostTarget.h"
#include "codegen/Target.h"
#include "codegen/halide/Evaluator.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace dnncc {
namespace {

std::set<std::string> operator+(std::set<std::string> a, const std::set<std::string>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

// LLVM feature names as llvm::sys::getHostCPUFeatures reports them on each CPU (the vector and
// bit-manipulation extensions; the others do not change the choice).
const std::set<std::string> kSandyBridge = {"sse", "sse2", "sse3", "ssse3", "sse4.1", "sse4.2",
                                            "popcnt", "avx", "aes", "pclmul", "cx16", "xsave"};
const std::set<std::string> kHaswell =
    kSandyBridge + std::set<std::string>{"avx2", "fma", "f16c", "bmi", "bmi2", "lzcnt", "movbe",
                                         "rdrnd", "fsgsbase", "invpcid"};
const std::set<std::string> kZen3 =
    kHaswell + std::set<std::string>{"adx", "rdseed", "sha", "clflushopt", "clwb", "clzero",
                                     "sse4a", "vaes", "vpclmulqdq", "xsavec", "xsaves", "prfchw"};
// AMD Zen 4: AVX-512 with VNNI, BF16, VBMI2, BITALG, VPOPCNTDQ, GFNI; no AVX512-FP16, no AMX.
const std::set<std::string> kZen4 =
    kZen3 + std::set<std::string>{"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl",
                                  "avx512ifma", "avx512vbmi", "avx512vbmi2", "avx512bitalg",
                                  "avx512vpopcntdq", "avx512vnni", "avx512bf16", "gfni"};
// Intel Sapphire Rapids: Zen 4's AVX-512 set plus AVX512-FP16, AVX-VNNI and AMX.
const std::set<std::string> kSapphireRapids =
    kZen4 + std::set<std::string>{"avx512fp16", "avxvnni", "amx-tile", "amx-int8", "amx-bf16"};

bool sameTarget(const std::string& got, const std::string& want) {
  return Halide::Target(got) == Halide::Target(want);
}

// Whole feature names: avxvnni is not avx512vnni, a feature turned off ('-') is not present.
TEST(TargetInfo, HasLlvmFeatureMatchesWholeNames) {
  TargetInfo t;
  t.llvmFeatures = "+avx2,+avxvnni,-avx512fp16,+avx512vnni";
  EXPECT_TRUE(t.hasLlvmFeature("avx512vnni"));
  EXPECT_TRUE(t.hasLlvmFeature("avx2"));
  EXPECT_FALSE(t.hasLlvmFeature("vnni"));
  EXPECT_FALSE(t.hasLlvmFeature("avx512fp16"));
  t.llvmFeatures = "+neon,+v8.2a,+dotprod";
  EXPECT_TRUE(t.hasLlvmFeature("dotprod"));
  EXPECT_FALSE(t.hasLlvmFeature("avx512vnni"));
}

TEST(HostTarget, KnownCpusMapToTheHalideFeaturesTheyCanRun) {
  struct Case {
    const char* cpu;
    std::set<std::string> features;
    const char* want;
  };
  const Case cases[] = {
      {"Sandy Bridge", kSandyBridge, "x86-64-linux-avx-sse41"},
      {"Haswell", kHaswell, "x86-64-linux-avx-avx2-f16c-fma-sse41"},
      {"Zen 3", kZen3, "x86-64-linux-avx-avx2-f16c-fma-sse41"},
      {"Zen 4", kZen4,
       "x86-64-linux-avx-avx2-avx512-avx512_skylake-avx512_cannonlake-f16c-fma-sse41"},
      {"Sapphire Rapids", kSapphireRapids,
       "x86-64-linux-avx-avx2-avx512-avx512_skylake-avx512_cannonlake-avx512_sapphirerapids-f16c-"
       "fma-sse41"},
      {"no extensions", {}, "x86-64-linux"},
  };
  for (const Case& c : cases) {
    HostTargetChoice choice = chooseHalideTarget("x86-64-linux", c.features);
    EXPECT_TRUE(sameTarget(choice.halideTarget, c.want))
        << c.cpu << ": got " << choice.halideTarget << ", want " << c.want;
  }
}

TEST(HostTarget, Zen4IsNotSapphireRapidsAndSaysWhy) {
  HostTargetChoice choice = chooseHalideTarget("x86-64-linux", kZen4);
  EXPECT_FALSE(Halide::Target(choice.halideTarget)
                   .has_feature(Halide::Target::AVX512_SapphireRapids));
  bool said = false;
  for (const std::string& r : choice.reasons)
    said |= r == "avx512_sapphirerapids: no (the CPU lacks avx512fp16, avxvnni, amx-tile, "
                 "amx-int8, amx-bf16)";
  EXPECT_TRUE(said);
}

TEST(HostTarget, AFeatureNeedsTheOneItBuildsOn) {
  // AVX-512 registers without AVX2's bit-manipulation set: no avx2, so none of the avx512 ones.
  std::set<std::string> f = kZen4;
  f.erase("bmi2");
  HostTargetChoice choice = chooseHalideTarget("x86-64-linux", f);
  EXPECT_TRUE(sameTarget(choice.halideTarget, "x86-64-linux-avx-f16c-fma-sse41"))
      << choice.halideTarget;
  // Sapphire Rapids without AMX (as a hypervisor may hide it): cannonlake, not sapphirerapids.
  std::set<std::string> noAmx = kSapphireRapids;
  noAmx.erase("amx-tile");
  EXPECT_FALSE(Halide::Target(chooseHalideTarget("x86-64-linux", noAmx).halideTarget)
                   .has_feature(Halide::Target::AVX512_SapphireRapids));
}

TEST(HostTarget, ArmFeatures) {
  EXPECT_TRUE(sameTarget(chooseHalideTarget("arm-64-linux", {"neon", "fp-armv8"}).halideTarget,
                         "arm-64-linux"));
  EXPECT_TRUE(sameTarget(
      chooseHalideTarget("arm-64-linux", {"neon", "dotprod", "fullfp16"}).halideTarget,
      "arm-64-linux-arm_dot_prod-arm_fp16"));
}

TEST(HostTarget, HostAndJitUseTheChoice) {
  Expected<TargetInfo> host = loadTarget("host");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->halideTarget, hostTargetChoice().halideTarget);
  EXPECT_EQ(hl::jitTarget(), Halide::Target(hostTargetChoice().halideTarget));
}

#if defined(__x86_64__) || defined(__i386__)
/// One cpuid bit: leaf, subleaf, register (0 = EAX .. 3 = EDX), bit.
struct CpuidBit {
  unsigned leaf, subleaf, reg, bit;
};

bool cpuidHas(CpuidBit b) {
  unsigned r[4] = {0, 0, 0, 0};
  if (!__get_cpuid_count(b.leaf, b.subleaf, &r[0], &r[1], &r[2], &r[3]))
    return false;
  return (r[b.reg] >> b.bit) & 1;
}

// Intel SDM vol. 2A, CPUID: the bits each Halide feature's instructions are announced by.
const std::vector<std::pair<Halide::Target::Feature, std::vector<CpuidBit>>> kCpuidOfFeature = {
    {Halide::Target::SSE41, {{1, 0, 2, 19}}},
    {Halide::Target::AVX, {{1, 0, 2, 28}}},
    {Halide::Target::F16C, {{1, 0, 2, 29}}},
    {Halide::Target::FMA, {{1, 0, 2, 12}}},
    {Halide::Target::AVX2, {{7, 0, 1, 5}, {7, 0, 1, 3}, {7, 0, 1, 8}}},            // + BMI1, BMI2
    {Halide::Target::AVX512, {{7, 0, 1, 16}, {7, 0, 1, 28}}},                       // F, CD
    {Halide::Target::AVX512_Skylake, {{7, 0, 1, 30}, {7, 0, 1, 17}, {7, 0, 1, 31}}}, // BW DQ VL
    {Halide::Target::AVX512_Cannonlake, {{7, 0, 1, 21}, {7, 0, 2, 1}}},             // IFMA VBMI
    // AVX512-FP16 (EDX 23), AMX-TILE (EDX 24), AMX-INT8 (EDX 25), AVX512-BF16 (leaf 7.1 EAX 5).
    {Halide::Target::AVX512_SapphireRapids,
     {{7, 0, 3, 23}, {7, 0, 3, 24}, {7, 0, 3, 25}, {7, 1, 0, 5}}},
};

TEST(HostTarget, HostFeaturesAreASubsetOfCpuid) {
  Halide::Target host(hostTargetChoice().halideTarget);
  for (const auto& [feature, bits] : kCpuidOfFeature) {
    if (!host.has_feature(feature))
      continue;
    for (const CpuidBit& b : bits)
      EXPECT_TRUE(cpuidHas(b)) << Halide::Target::feature_to_name(feature) << " is in the host "
                               << "target, but cpuid leaf " << b.leaf << "." << b.subleaf
                               << " register " << b.reg << " bit " << b.bit << " is clear";
  }
  // And the choice is not empty where the CPU has the basics (every x86-64 CPU dnncc meets).
  if (cpuidHas({7, 0, 1, 5}) && cpuidHas({1, 0, 2, 12}))
    EXPECT_TRUE(host.has_feature(Halide::Target::AVX2)) << host.to_string();
}
#endif

} // namespace
} // namespace dnncc
