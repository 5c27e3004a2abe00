// Tests of the generated model header (src/codegen/header): its macros, that two model headers
// compile together in C and C++, and that examples/classify builds and runs against it.
#include "HeaderEmitter.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

dnncc::ModelHeaderInfo tinynetInfo() {
  dnncc::ModelHeaderInfo info;
  info.prefix = "tinynet";
  info.modelFile = "models/tinynet/model.onnx";
  info.target = "x86-64-linux-avx2";
  // The shapes of tests/unit/fake_model.c, which the test library libtinynet.so contains.
  info.inputs.push_back({"x", 1, {2, 3}, 24});
  info.outputs.push_back({"y", 1, {2, 3}, 24});
  info.arenaSize = 128;
  info.weightsSize = 64;
  return info;
}

// A second model with awkward names (quotes, comment ends, non-ASCII) and a scalar output.
dnncc::ModelHeaderInfo otherInfo() {
  dnncc::ModelHeaderInfo info;
  info.prefix = "other_net2";
  info.modelFile = "weird */ path/model.onnx";
  info.target = "arm-64-linux";
  info.inputs.push_back({"images:0", 1, {1, 3, 224, 224}, 602112});
  info.inputs.push_back({"ids \"q\" \\ */ \xc3\xa9?", 7, {4}, 32});
  info.outputs.push_back({"score", 11, {}, 8});
  info.arenaSize = 4096;
  info.weightsSize = 0;
  return info;
}

fs::path makeTempDir(const std::string& name) {
  fs::path dir =
      fs::temp_directory_path() / ("dnncc_header_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Runs `command`; returns its exit status and puts stdout+stderr into `output`.
int runCommand(const std::string& command, std::string& output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe)
    return -1;
  char buf[4096];
  output.clear();
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;)
    output.append(buf, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(HeaderEmitter, StatesSizesAndShapes) {
  std::string h = dnncc::emitModelHeader(tinynetInfo());
  for (const char* line :
       {"#define TINYNET_NUM_INPUTS 1\n", "#define TINYNET_INPUT_0_NAME \"x\"\n",
        "#define TINYNET_INPUT_0_DTYPE 1 /* DNNCC_FLOAT32 */\n", "#define TINYNET_INPUT_0_RANK 2\n",
        "#define TINYNET_INPUT_0_SHAPE {2, 3}\n", "#define TINYNET_INPUT_0_SIZE_BYTES 24\n",
        "#define TINYNET_NUM_OUTPUTS 1\n", "#define TINYNET_OUTPUT_0_NUM_ELEMENTS 6\n",
        "#define TINYNET_ARENA_SIZE 128\n", "#define TINYNET_WEIGHTS_SIZE 64\n",
        "int tinynet_create(dnncc_model **out);\n",
        "const dnncc_tensor_info *tinynet_input_info(int64_t index);\n",
        "int64_t tinynet_num_inputs(void);\n", "#ifndef DNNCC_RUNTIME_TYPES_H\n",
        "int tinynet_set_profiling(dnncc_model *model, int32_t enabled);\n",
        "const dnncc_kernel_info *tinynet_kernel_info(int64_t index);\n", "} dnncc_kernel_info;\n",
        " * Model:  models/tinynet/model.onnx\n"})
    EXPECT_NE(h.find(line), std::string::npos) << "missing: " << line << "in:\n" << h;
  EXPECT_EQ(dnncc::modelApiFunctions().size(), 23u);
  EXPECT_EQ(h.find("DEVICE_MEMORY_SIZE"), std::string::npos)
      << "a CPU library has no device memory";
}

TEST(HeaderEmitter, StatesTheDeviceMemoryOfAGpuLibrary) {
  dnncc::ModelHeaderInfo info = tinynetInfo();
  info.deviceApi = "OpenCL";
  std::string h = dnncc::emitModelHeader(info);
  // Arena 128 + weights 64 + input 24 + output 24 bytes.
  EXPECT_NE(h.find("#define TINYNET_DEVICE_MEMORY_SIZE 240\n"), std::string::npos) << h;
  EXPECT_NE(h.find("/* OpenCL device memory per instance"), std::string::npos) << h;
}

TEST(HeaderEmitter, EscapesNamesAndComments) {
  std::string h = dnncc::emitModelHeader(otherInfo());
  EXPECT_NE(h.find("#define OTHER_NET2_INPUT_1_NAME \"ids \\\"q\\\" \\\\ */ \\303\\251\\077\"\n"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("#define OTHER_NET2_OUTPUT_0_SHAPE {0} /* rank 0: no dimensions */\n"),
            std::string::npos);
  EXPECT_NE(h.find(" * Model:  weird * / path/model.onnx\n"), std::string::npos);
}

TEST(HeaderEmitter, TwoModelHeadersCompileTogetherInCAndCxx) {
  fs::path dir = makeTempDir("compile");
  writeFile(dir / "libtinynet.h", dnncc::emitModelHeader(tinynetInfo()));
  writeFile(dir / "libother_net2.h", dnncc::emitModelHeader(otherInfo()));
  writeFile(dir / "app.c", R"(
#include "libtinynet.h"
#include "libother_net2.h"
#include "libtinynet.h"
#include "libother_net2.h"
static const int64_t kShape[] = TINYNET_INPUT_0_SHAPE;
static const int64_t kImages[] = OTHER_NET2_INPUT_0_SHAPE;
static const char kName[] = OTHER_NET2_INPUT_1_NAME;
#if TINYNET_INPUT_0_DTYPE != 1 || OTHER_NET2_OUTPUT_0_RANK != 0
#error "macros must work in #if"
#endif
_Static_assert(sizeof kShape / sizeof kShape[0] == TINYNET_INPUT_0_RANK, "rank");
_Static_assert(sizeof kImages / sizeof kImages[0] == 4, "rank");
_Static_assert(OTHER_NET2_INPUT_0_SIZE_BYTES == 602112, "size");
_Static_assert(TINYNET_INPUT_0_DTYPE == DNNCC_FLOAT32 && OTHER_NET2_INPUT_1_DTYPE == DNNCC_INT64,
               "dtype");
_Static_assert(sizeof kName == 17, "escaped name");
int use(void) {
  dnncc_model *a = 0, *b = 0;
  int s = tinynet_create(&a) | other_net2_create(&b);
  const dnncc_tensor_info *i = other_net2_input_info(0);
  s |= tinynet_set_input(a, 0, kShape, sizeof kShape) | tinynet_run(a) |
       other_net2_set_num_threads(0, 2);
  tinynet_destroy(a);
  other_net2_destroy(b);
  return s + (int)i->rank + (int)tinynet_arena_size() + (int)kName[0] + (int)kImages[0];
}
)");
  std::string out;
  std::string flags = " -Wall -Wextra -Werror -pedantic -fsyntax-only -I" + dir.string() + " ";
  EXPECT_EQ(
      runCommand(std::string(DNNCC_TEST_CC) + " -std=c11" + flags + (dir / "app.c").string(), out),
      0)
      << out;
  // C++: the same file minus C-only _Static_assert spelling.
  EXPECT_EQ(runCommand(std::string(DNNCC_TEST_CXX) +
                           " -std=c++17 -x c++ -D_Static_assert=static_assert" + flags +
                           (dir / "app.c").string(),
                       out),
            0)
      << out;
  fs::remove_all(dir);
}

TEST(HeaderEmitter, ClassifyExampleBuildsAndRuns) {
  fs::path dir = makeTempDir("classify");
  writeFile(dir / "libtinynet.h", dnncc::emitModelHeader(tinynetInfo()));
  std::string lib = DNNCC_TEST_TINYNET_DIR, out;
  fs::path exe = dir / "classify";
  // Exactly how the example's build script compiles it, plus the build's C flags (the asan and
  // tsan presets' sanitizers, whose runtime the library's instrumented runtime needs).
  ASSERT_EQ(runCommand(std::string(DNNCC_TEST_CC) + " " + DNNCC_TEST_C_FLAGS +
                           " -std=c11 -Wall -Wextra -Werror " + DNNCC_TEST_CLASSIFY_C + " -I" +
                           dir.string() + " -L" + lib + " -ltinynet -Wl,-rpath," + lib + " -o " +
                           exe.string(),
                       out),
            0)
      << out;
  // Default pattern: x = {-1, -0.63, -0.26, 0.11, 0.48, 0.85}, y = relu(x) + 1 -> class 5.
  ASSERT_EQ(runCommand(exe.string(), out), 0) << out;
  // The fake library computes relu(x) + 1 of classify's deterministic input pattern.
  EXPECT_NE(out.find("top-1: class 5 (p=1.8500)"), std::string::npos) << out;
  EXPECT_NE(out.find("probabilities: 1.0000 1.0000 1.0000 1.1100 1.4800 1.8500\n"),
            std::string::npos)
      << out;
  // A raw float32 input file: the sentinel value makes the fake kernel fail.
  const float x[6] = {0, 1, 2, -999.0f, 0, 0};
  std::ofstream(dir / "in.f32", std::ios::binary).write(reinterpret_cast<const char*>(x), sizeof x);
  EXPECT_EQ(runCommand(exe.string() + " " + (dir / "in.f32").string(), out), 1);
  EXPECT_NE(out.find("error 3: run: kernel failed with Halide error"), std::string::npos) << out;
  std::ofstream(dir / "short.f32", std::ios::binary).write(reinterpret_cast<const char*>(x), 8);
  EXPECT_EQ(runCommand(exe.string() + " " + (dir / "short.f32").string(), out), 1);
  EXPECT_NE(out.find("expected exactly 24 bytes of float32 data (input 'x')"), std::string::npos)
      << out;
  fs::remove_all(dir);
}

TEST(HeaderEmitter, DerivesPrefixesFromLibraryPaths) {
  EXPECT_EQ(dnncc::modelPrefixFromPath("libmodel.so"), "model");
  EXPECT_EQ(dnncc::modelPrefixFromPath("out/dir.x/libtinynet.so"), "tinynet");
  EXPECT_EQ(dnncc::modelPrefixFromPath("libres-net.v2.so"), "res_net_v2");
  EXPECT_EQ(dnncc::modelPrefixFromPath("3d.so"), "_3d");
  EXPECT_EQ(dnncc::modelPrefixFromPath("lib.so"), "model");
  EXPECT_EQ(dnncc::modelPrefixFromPath("model"), "model");
  EXPECT_TRUE(dnncc::isValidModelPrefix("_a1"));
  EXPECT_FALSE(dnncc::isValidModelPrefix("1a"));
  EXPECT_FALSE(dnncc::isValidModelPrefix("a-b"));
  EXPECT_FALSE(dnncc::isValidModelPrefix(""));
}

} // namespace
