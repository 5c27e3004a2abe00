// Tests of dnncc-run on the hand-written model library libfake.so (y = relu(x) + 1, x/y f32[2,3]):
// reading .npy/.pb data, comparing, writing outputs, benchmarking, and every user error message.
#include "TensorIO.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using dnncc::run::HostTensor;

namespace {

struct Result {
  int exitCode;
  std::string out, err;
};

class DnnccRun : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dnncc_run_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs dnncc-run with `args` after the library path.
  Result run(const std::string& args, const std::string& library = DNNCC_TEST_LIBFAKE) const {
    std::string cmd = std::string(DNNCC_TEST_DNNCC_RUN) + " " + library + " " + args + " >" +
                      path("stdout") + " 2>" + path("stderr");
    int status = std::system(cmd.c_str());
    auto slurp = [](const std::string& p) {
      std::ifstream in(p);
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    };
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(path("stdout")),
            slurp(path("stderr"))};
  }

  static HostTensor f32(std::vector<int64_t> shape, const std::vector<float>& values) {
    HostTensor t{"", 1, std::move(shape), std::vector<uint8_t>(values.size() * 4)};
    std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    return t;
  }

  // Writes a TensorProto: with raw_data, or with the typed float_data field.
  void writePb(const std::string& name, const std::string& tensorName, std::vector<int64_t> shape,
               const std::vector<float>& values, bool raw) const {
    onnx::TensorProto p;
    p.set_name(tensorName);
    p.set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (int64_t d : shape)
      p.add_dims(d);
    if (raw)
      p.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
    else
      for (float v : values)
        p.add_float_data(v);
    std::ofstream out(path(name), std::ios::binary);
    ASSERT_TRUE(p.SerializeToOstream(&out));
  }

  // One "error: ..." line on stderr and nothing else.
  static void expectOneErrorLine(const Result& r, const std::string& text) {
    EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
    EXPECT_TRUE(r.err.starts_with("error: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << "expected '" << text << "' in: " << r.err;
  }

  fs::path dir_;
  const std::vector<float> x_{-1.0f, 0.5f, 2.0f, -3.0f, 0.0f, 4.0f};
  const std::vector<float> y_{1.0f, 1.5f, 3.0f, 1.0f, 1.0f, 5.0f};
};

TEST_F(DnnccRun, ChecksOnnxTestData) {
  writePb("data/input_0.pb", "", {2, 3}, x_, /*raw=*/false); // unnamed: matched by index
  writePb("data/output_0.pb", "y", {2, 3}, y_, /*raw=*/true);
  Result r = run("--data " + path("data"));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "output 'y': max abs err 0, max rel err 0, mismatches 0/6 ok\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(DnnccRun, ReportsMismatchesWithExitCode2) {
  std::vector<float> wrong = y_;
  wrong[2] = 3.01f;         // rel err 3.3e-3 > rtol 1e-3
  wrong[5] = std::nanf(""); // NaN vs 5: mismatch
  writePb("data/input_0.pb", "x", {2, 3}, x_, true);
  writePb("data/output_0.pb", "y", {2, 3}, wrong, false);
  Result r = run("--data " + path("data"));
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_EQ(r.out, "output 'y': max abs err 0.01, max rel err 0.00332, mismatches 2/6 MISMATCH\n");
  // Loose enough tolerances accept the small error (the NaN still mismatches).
  r = run("--data " + path("data") + " --rtol 0.01");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.out.find("mismatches 1/6 MISMATCH"), std::string::npos) << r.out;
}

TEST_F(DnnccRun, ReadsNpyWritesOutputsAndBenchmarks) {
  dnncc::run::writeNpy(path("x.npy"), f32({2, 3}, x_));
  Result r =
      run("--input x=" + path("x.npy") + " --output-dir " + path("out") + " --threads 1 --bench 5");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(
      std::regex_search(r.out, std::regex("^output 'y': float32\\[2,3\\] \\(no reference\\)\n"
                                          "bench: runs=5 median_ms=[0-9]+\\.[0-9]{3} "
                                          "min_ms=[0-9]+\\.[0-9]{3}\n$")))
      << r.out;
  HostTensor y = dnncc::run::readNpy(path("out/y.npy"));
  EXPECT_EQ(y.dtype, 1);
  EXPECT_EQ(y.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(y.bytes, f32({2, 3}, y_).bytes);
  // A single-input model takes --input FILE; the output written before is a valid reference.
  writePb("data/output_0.pb", "y", {2, 3}, y_, true);
  r = run("--input " + path("x.npy") + " --data " + path("data"));
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST_F(DnnccRun, NpyRoundTripsEveryLayout) {
  HostTensor scalar = f32({}, {7.0f});
  dnncc::run::writeNpy(path("s.npy"), scalar);
  HostTensor back = dnncc::run::readNpy(path("s.npy"));
  EXPECT_EQ(back.shape.size(), 0u);
  EXPECT_EQ(back.bytes, scalar.bytes);
  HostTensor v{"", 7, {3}, std::vector<uint8_t>(24, 1)};
  dnncc::run::writeNpy(path("v.npy"), v);
  back = dnncc::run::readNpy(path("v.npy"));
  EXPECT_EQ(back.dtype, 7);
  EXPECT_EQ(back.shape, (std::vector<int64_t>{3}));
  std::ifstream in(path("v.npy"), std::ios::binary);
  std::string header(128, '\0');
  in.read(header.data(), 128);
  EXPECT_NE(header.find("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"),
            std::string::npos);
  EXPECT_EQ(fs::file_size(path("v.npy")) % 64, 24u % 64); // header padded to 64 bytes
}

TEST_F(DnnccRun, ErrorsAreOneLine) {
  dnncc::run::writeNpy(path("x.npy"), f32({2, 3}, x_));
  dnncc::run::writeNpy(path("x32.npy"), f32({3, 2}, x_));
  HostTensor i64{"", 7, {2, 3}, std::vector<uint8_t>(48)};
  dnncc::run::writeNpy(path("xi64.npy"), i64);
  std::ofstream(path("garbage.pb")) << "\xff\xff\xff not a protobuf";
  std::ofstream(path("notalib.so")) << "hello";
  std::ofstream(path("x.txt")) << "1 2 3";

  expectOneErrorLine(run(""), "error: input 'x': no data (float32[2,3]; use --data DIR or --input "
                              "x=FILE)");
  expectOneErrorLine(run("--input x=" + path("x32.npy")),
                     "error: input 'x': expected float32[2,3], got float32[3,2] from " +
                         path("x32.npy"));
  expectOneErrorLine(run("--input x=" + path("xi64.npy")), "expected float32[2,3], got int64[2,3]");
  expectOneErrorLine(run("--input nope=" + path("x.npy")),
                     "error: --input nope=" + path("x.npy") +
                         ": the model has no input 'nope' (inputs: 'x')");
  expectOneErrorLine(run("--input x=" + path("missing.npy")),
                     "error: " + path("missing.npy") + ": No such file or directory");
  expectOneErrorLine(run("--input x=" + path("garbage.pb")),
                     "error: " + path("garbage.pb") + ": not a valid ONNX TensorProto");
  expectOneErrorLine(run("--input x=" + path("x.txt")), "unknown tensor file type");
  // A header key with nothing but spaces after it (found by fuzzing tensor_io).
  std::string header = "{'descr': '<f4', 'shape': (2, 3), 'fortran_order':   ";
  std::ofstream(path("cut.npy"), std::ios::binary)
      << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(header.size())
      << static_cast<char>(0) << header;
  expectOneErrorLine(run("--input x=" + path("cut.npy")),
                     "malformed .npy header: no value for 'fortran_order'");
  expectOneErrorLine(run("--input x=" + path("x.npy"), path("missing.so")),
                     "error: " + path("missing.so") + ": no such file");
  expectOneErrorLine(run("--input x=" + path("x.npy"), path("notalib.so")),
                     "error: " + path("notalib.so") + ": cannot load the library: ");
  expectOneErrorLine(run("--input x=" + path("x.npy") + " --name other"),
                     "symbol 'other_create' not found");
  expectOneErrorLine(run("--data " + path("nodir")),
                     "error: " + path("nodir") + ": not a directory");
  expectOneErrorLine(run("--bench"), "error: command line: ");
  expectOneErrorLine(run("--input x=" + path("x.npy") + " --threads -3"),
                     "set_num_threads: -3 threads requested");

  writePb("data/input_0.pb", "x", {2, 3}, x_, true);
  writePb("data/output_0.pb", "z", {2, 3}, y_, true);
  expectOneErrorLine(run("--data " + path("data")),
                     "output_0.pb: tensor 'z' is not an output of the model (outputs: 'y')");
  writePb("data/output_0.pb", "y", {6}, y_, true);
  expectOneErrorLine(run("--data " + path("data")),
                     "error: output 'y': expected float32[2,3], got float32[6] from");
  writePb("data/output_0.pb", "y", {2, 3}, {1.0f, 2.0f}, false);
  expectOneErrorLine(run("--data " + path("data")),
                     "output_0.pb: float_data has 2 values, float32[2,3] needs 6");
}

TEST_F(DnnccRun, ProfilesEveryKernelCall) {
  dnncc::run::writeNpy(path("x.npy"), f32({2, 3}, x_));
  Result r = run("--input x=" + path("x.npy") + " --profile --profile-runs 4 --peak-gflops 10 " +
                 "--profile-json " + path("trace.json"));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("\nprofile: 2 kernel calls, median of 4 profiled runs: run [0-9.]+ ms, "
                        "kernels [0-9.]+ ms \\([0-9.]+%\\), outside kernels [0-9.]+ ms; "
                        "0\\.000 GFLOP per run, [0-9.]+ GFLOP/s \\([0-9]+% of 10\\.0\\)\n")))
      << r.out;
  // One row per kernel call: index, time, share, rates, symbol, ops, nodes.
  for (const char* row : {"\\n +0 +[0-9.]+ +[0-9.]+% .* fake_relu  relu  \\[relu_node\\]\\n",
                          "\\n +1 +[0-9.]+ +[0-9.]+% .* fake_add  add  \\[add_node\\]\\n"})
    EXPECT_TRUE(std::regex_search(r.out, std::regex(row))) << row << " in\n" << r.out;
  EXPECT_NE(r.out.find("by ops:\n"), std::string::npos) << r.out;
  // The trace: JSON with a run event and two kernel events per profiled run.
  std::ifstream in(path("trace.json"));
  std::stringstream trace;
  trace << in.rdbuf();
  std::string t = trace.str();
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = t.find(what); at != std::string::npos; at = t.find(what, at + 1))
      ++n;
    return n;
  };
  EXPECT_TRUE(t.starts_with("{")) << t;
  EXPECT_EQ(count("\"cat\": \"kernel\""), 8u) << t;
  EXPECT_EQ(count("\"cat\": \"run\""), 4u) << t;
  EXPECT_EQ(count("\"kernel\": \"fake_add\""), 4u) << t;
  EXPECT_EQ(count("\"nodes\": \"relu_node\""), 4u) << t;
  // Without --profile nothing is profiled or printed.
  r = run("--input x=" + path("x.npy"));
  EXPECT_EQ(r.out.find("profile"), std::string::npos) << r.out;
}

TEST_F(DnnccRun, ProfileErrorsAreOneLine) {
  dnncc::run::writeNpy(path("x.npy"), f32({2, 3}, x_));
  expectOneErrorLine(run("--input x=" + path("x.npy") + " --profile --profile-runs 0"),
                     "error: command line: --profile-runs needs a run count >= 1");
  expectOneErrorLine(run("--input x=" + path("x.npy") + " --profile --peak-gflops -1"),
                     "error: command line: --peak-gflops and --peak-gbps must be >= 0");
  expectOneErrorLine(
      run("--input x=" + path("x.npy") + " --profile-json " + path("nodir/trace.json")),
      "error: " + path("nodir/trace.json") + ": cannot write the profile trace");
}

TEST_F(DnnccRun, KernelFailuresCarryTheRuntimeMessage) {
  std::vector<float> x = x_;
  x[1] = -999.0f; // the fake kernel's failure sentinel
  dnncc::run::writeNpy(path("x.npy"), f32({2, 3}, x));
  expectOneErrorLine(run("--input x=" + path("x.npy")),
                     std::string("error: ") + DNNCC_TEST_LIBFAKE +
                         ": run: kernel failed with Halide error");
}

} // namespace
