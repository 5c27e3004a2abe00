// Golden IR tests: every tests/ir/*.ir file is parsed, run through the passes on its first line
// (`// RUN: pass,pass`), printed and matched against its `// CHECK:` / `// CHECK-NOT:` lines in
// order (FileCheck style); the numbers before and after the passes must agree on seeded random
// inputs (reference interpreter). Optional lines: `// PRECISION: fp16` runs the passes at fp16;
// `// TOLERANCE: RTOL ATOL` replaces the default rtol 1e-3 / atol 1e-5 of the comparison.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "ir/Text.h"
#include "test_util.h"

namespace dnncc {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> irFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(DNNCC_TEST_IR_DIR))
    if (e.path().extension() == ".ir")
      files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

struct GoldenFile {
  std::string passes;
  Precision precision = Precision::fp32;
  double rtol = 1e-3, atol = 1e-5;
  std::vector<test::CheckLine> checks;
  std::string module; ///< the text with comment lines blanked (line numbers stay)
};

GoldenFile readGolden(const std::string& path) {
  std::ifstream in(path);
  GoldenFile g;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string_view l = line;
    l.remove_prefix(std::min(l.find_first_not_of(" \t"), l.size()));
    if (!l.starts_with("//")) {
      g.module += line + "\n";
      continue;
    }
    g.module += "\n";
    if (n == 1 && l.starts_with("// RUN: "))
      g.passes = l.substr(8);
    else if (l.starts_with("// CHECK: "))
      g.checks.push_back({false, std::string(l.substr(10))});
    else if (l.starts_with("// CHECK-NOT: "))
      g.checks.push_back({true, std::string(l.substr(14))});
    else if (l == "// PRECISION: fp16")
      g.precision = Precision::fp16;
    else if (l.starts_with("// TOLERANCE: ")) {
      std::istringstream in{std::string(l.substr(14))};
      if (!(in >> g.rtol >> g.atol))
        ADD_FAILURE() << path << ":" << n << ": TOLERANCE needs RTOL ATOL";
    } else if (l.starts_with("// CHECK"))
      ADD_FAILURE() << path << ":" << n << ": unknown directive";
  }
  return g;
}

class IrGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(IrGolden, PassOutputAndNumbers) {
  GoldenFile g = readGolden(GetParam());
  ASSERT_FALSE(g.passes.empty()) << "the first line must be '// RUN: <passes>'";
  ASSERT_FALSE(g.checks.empty()) << "a golden test needs CHECK lines";
  auto before = parseModule(g.module, {.allowElided = false});
  ASSERT_TRUE(before) << GetParam() << ": " << before.status().message();
  ASSERT_TRUE(verify(**before)) << verify(**before).format();
  auto after = parseModule(g.module, {.allowElided = false});
  ASSERT_TRUE(after);
  Status s = test::runPasses(**after, g.passes, g.precision);
  ASSERT_TRUE(s) << s.format();
  EXPECT_TRUE(test::fileCheck(test::printed(**after), g.checks));
  for (uint32_t seed : {1u, 2u, 3u})
    EXPECT_TRUE(test::sameNumbers(**before, **after, seed, g.rtol, g.atol)) << "seed " << seed;
}

std::string testName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, IrGolden, ::testing::ValuesIn(irFiles()), testName);

TEST(IrGoldenDriver, FindsTheFiles) {
  EXPECT_GE(irFiles().size(), 4u);
}

TEST(IrGoldenDriver, FileCheckFailsWhereItShould) {
  std::string text = "a = conv\nb = relu\nc = add\n";
  EXPECT_TRUE(test::fileCheck(text, {"CHECK: conv", "CHECK-NOT: add", "CHECK: relu"}));
  EXPECT_FALSE(test::fileCheck(text, {"CHECK: relu", "CHECK: conv"})) << "order matters";
  EXPECT_FALSE(test::fileCheck(text, {"CHECK: conv", "CHECK-NOT: relu", "CHECK: add"}));
  EXPECT_FALSE(test::fileCheck(text, {"CHECK: relu", "CHECK-NOT: add"})) << "NOT at the end";
  EXPECT_FALSE(test::fileCheck(text, {"CHECK: mul"}));
}

} // namespace
} // namespace dnncc
