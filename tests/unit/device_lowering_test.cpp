// Tests of the GPU kernels' custom lowering pass (src/codegen/halide/DeviceLowering.cpp): the IR
// rewrites inside and outside device loops, and the OpenCL C that Halide then emits (compiled
// ahead of time in this process; nothing runs on an OpenCL device here).
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "codegen/Target.h"
#include "codegen/halide/DeviceLowering.h"
#include "test_util.h"

namespace dnncc {
namespace {
using namespace Halide::Internal;
using Halide::Expr;

constexpr uint64_t kSignBit = uint64_t(1) << 63;

/// `body` wrapped in a loop that runs on `device` (Host for a CPU loop).
Stmt loopOn(Halide::DeviceAPI device, Stmt body) {
  return For::make("x", 0, 8, ForType::Serial, device, body);
}

/// Applies the pass for `api` to `s`.
Stmt lower(GpuApi api, Stmt s) {
  std::unique_ptr<IRMutator> pass(hl::newDeviceLoweringPass(api));
  return pass->mutate(s);
}

/// The first Expr of `s` (an Evaluate in a For) after lowering.
Expr loweredValue(GpuApi api, Halide::DeviceAPI device, Expr e) {
  Stmt s = lower(api, loopOn(device, Evaluate::make(e)));
  return s.as<For>()->body.as<Evaluate>()->value;
}

TEST(DeviceLowering, WideModOfAPowerOfTwoBecomesAMaskInOpenCLLoops) {
  Expr x = Variable::make(Halide::UInt(64), "bits");
  Expr mod = Mod::make(x, make_const(Halide::UInt(64), kSignBit));
  Expr e = loweredValue(GpuApi::opencl, Halide::DeviceAPI::OpenCL, mod);
  const Call* c = e.as<Call>();
  ASSERT_TRUE(c && c->is_intrinsic(Call::bitwise_and)) << e;
  const uint64_t* mask = as_const_uint(c->args[1]);
  ASSERT_TRUE(mask);
  EXPECT_EQ(*mask, kSignBit - 1);

  // Signed 64-bit (Euclidean mod: the low bits) and unsigned 32-bit with k = 31 too.
  Expr y = Variable::make(Halide::Int(64), "y");
  e = loweredValue(GpuApi::opencl, Halide::DeviceAPI::OpenCL,
                   Mod::make(y, make_const(Halide::Int(64), int64_t(1) << 40)));
  c = e.as<Call>();
  ASSERT_TRUE(c && c->is_intrinsic(Call::bitwise_and)) << e;
  EXPECT_EQ(*as_const_int(c->args[1]), (int64_t(1) << 40) - 1);
  Expr z = Variable::make(Halide::UInt(32), "z");
  e = loweredValue(GpuApi::opencl, Halide::DeviceAPI::OpenCL,
                   Mod::make(z, make_const(Halide::UInt(32), uint64_t(1) << 31)));
  ASSERT_TRUE(e.as<Call>()) << e;
  EXPECT_EQ(*as_const_uint(e.as<Call>()->args[1]), 0x7fffffffu);

  // Left alone: small powers of two (Halide prints them right), non-powers, host and CUDA loops.
  Expr small = Mod::make(x, make_const(Halide::UInt(64), 1024));
  EXPECT_TRUE(loweredValue(GpuApi::opencl, Halide::DeviceAPI::OpenCL, small).as<Mod>());
  Expr odd = Mod::make(x, make_const(Halide::UInt(64), kSignBit + 1));
  EXPECT_TRUE(loweredValue(GpuApi::opencl, Halide::DeviceAPI::OpenCL, odd).as<Mod>());
  EXPECT_TRUE(loweredValue(GpuApi::opencl, Halide::DeviceAPI::Host, mod).as<Mod>());
  EXPECT_TRUE(loweredValue(GpuApi::cuda, Halide::DeviceAPI::CUDA, mod).as<Mod>());
}

TEST(DeviceLowering, CLibraryFmodBecomesTheDeviceBuiltIn) {
  auto fmodCall = [](Halide::Type t, const char* name) {
    Expr a = Variable::make(t, "a"), b = Variable::make(t, "b");
    return Call::make(t, name, {a, b}, Call::PureExtern);
  };
  auto nameAfter = [&](GpuApi api, Halide::DeviceAPI device, Halide::Type t, const char* name) {
    Expr e = loweredValue(api, device, fmodCall(t, name));
    return e.as<Call>() ? e.as<Call>()->name : std::string("?");
  };
  EXPECT_EQ(nameAfter(GpuApi::opencl, Halide::DeviceAPI::OpenCL, Halide::Float(32), "fmodf"),
            "fmod");
  EXPECT_EQ(nameAfter(GpuApi::opencl, Halide::DeviceAPI::OpenCL, Halide::Float(64), "fmod"),
            "fmod");
  EXPECT_EQ(nameAfter(GpuApi::cuda, Halide::DeviceAPI::CUDA, Halide::Float(32), "fmodf"),
            "__nv_fmodf");
  EXPECT_EQ(nameAfter(GpuApi::cuda, Halide::DeviceAPI::CUDA, Halide::Float(64), "fmod"),
            "__nv_fmod");
  // Host loops keep the C library.
  EXPECT_EQ(nameAfter(GpuApi::opencl, Halide::DeviceAPI::Host, Halide::Float(32), "fmodf"),
            "fmodf");
  EXPECT_EQ(nameAfter(GpuApi::cuda, Halide::DeviceAPI::Host, Halide::Float(64), "fmod"), "fmod");
}

/// The OpenCL C source embedded in an object file (from the helper kernel Halide always emits to
/// the end of the string).
std::string embeddedOpenCL(const std::string& objectPath) {
  std::ifstream in(objectPath, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = bytes.find("__kernel void _at_least_one_kernel");
  if (at == std::string::npos)
    return "";
  return bytes.substr(at, bytes.find('\0', at) - at);
}

TEST(DeviceLowering, OpenCLCodeKeepsTheSixtyFourBitMaskAndCallsFmod) {
  // |x| of a double through its bits (the simplifier turns the mask into `% 2^63`), plus an fmod:
  // the patterns of ONNX Mod and of the f64 -> f16 conversion on devices without `half`.
  Halide::ImageParam in(Halide::Float(64), 1, "in");
  Halide::Var x("x"), xo("xo"), xi("xi");
  Halide::Func f("f");
  Expr bits = Halide::reinterpret(Halide::UInt(64), in(x));
  Expr absX = Halide::reinterpret(Halide::Float(64), bits & make_const(Halide::UInt(64),
                                                                       kSignBit - 1));
  Expr rem = Call::make(Halide::Float(64), "fmod", {in(x), absX + make_const(Halide::Float(64), 1.0)}, Call::PureExtern);
  f(x) = absX + rem;
  f.output_buffer().dim(0).set_bounds(0, 64);
  f.gpu_tile(x, xo, xi, 16);
  TargetInfo target;
  target.gpu.api = GpuApi::opencl;
  hl::addDeviceLoweringPass(f, target);
  Halide::Target ht("x86-64-linux-opencl-cl_doubles-no_runtime");
  std::string path = test::testDir() + "/device_lowering_kernel.o";
  f.compile_to_object(path, {in}, "device_lowering_kernel", ht);
  std::string cl = embeddedOpenCL(path);
  ASSERT_FALSE(cl.empty());
  EXPECT_NE(cl.find("9223372036854775807"), std::string::npos) << cl;
  EXPECT_EQ(cl.find("2147483647"), std::string::npos) << cl;
  EXPECT_NE(cl.find("fmod("), std::string::npos) << cl;
}

TEST(DeviceLowering, HalfConstantsBecomeTheirBitsInOpenCLLoopsOnly) {
  // -inf and 0.1 (rounded to binary16, 0x2E66) as Float(16) constants.
  for (double v : {-std::numeric_limits<double>::infinity(), 0.1}) {
    Expr c = make_const(Halide::Float(16), v);
    uint16_t bits = Halide::float16_t(v).to_bits();
    Expr e = loweredValue(GpuApi::opencl, Halide::DeviceAPI::OpenCL, c);
    const Call* call = e.as<Call>();
    ASSERT_TRUE(call && call->is_intrinsic(Call::reinterpret)) << e;
    EXPECT_EQ(call->type, Halide::Float(16));
    const uint64_t* u = as_const_uint(call->args[0]);
    ASSERT_TRUE(u) << e;
    EXPECT_EQ(*u, bits);
    EXPECT_EQ(call->args[0].type(), Halide::UInt(16));
    // Host loops, CUDA loops and f32 constants are left alone.
    EXPECT_TRUE(loweredValue(GpuApi::opencl, Halide::DeviceAPI::Host, c).as<FloatImm>());
    EXPECT_TRUE(loweredValue(GpuApi::cuda, Halide::DeviceAPI::CUDA, c).as<FloatImm>());
  }
  EXPECT_TRUE(loweredValue(GpuApi::opencl, Halide::DeviceAPI::OpenCL,
                           make_const(Halide::Float(32), 0.5))
                  .as<FloatImm>());
}

TEST(DeviceLowering, OpenCLHalfCodeCallsBuiltInsWithHalfArguments) {
  // max(x, -inf) and min(x, 0.1) on half values: Halide 14 alone prints the constants as float
  // expressions, and OpenCL C's max(half, float) is ambiguous (no device compiles it).
  Halide::ImageParam in(Halide::Float(16), 1, "in");
  Halide::Var x("x"), xo("xo"), xi("xi");
  Halide::Func f("f");
  f(x) = Halide::min(Halide::max(in(x), make_const(Halide::Float(16), -INFINITY)),
                     make_const(Halide::Float(16), 0.1));
  f.output_buffer().dim(0).set_bounds(0, 64);
  f.gpu_tile(x, xo, xi, 16);
  TargetInfo target;
  target.gpu.api = GpuApi::opencl;
  target.gpu.fp16 = true;
  hl::addDeviceLoweringPass(f, target);
  Halide::Target ht("arm-64-linux-opencl-cl_half-no_runtime");
  std::string path = test::testDir() + "/device_lowering_half.o";
  f.compile_to_object(path, {in}, "device_lowering_half", ht);
  std::string cl = embeddedOpenCL(path);
  ASSERT_FALSE(cl.empty());
  std::string body = cl.substr(cl.find("__kernel void _kernel"));
  EXPECT_EQ(body.find("neg_inf_f32()"), std::string::npos) << body;
  EXPECT_EQ(body.find("float_from_bits("), std::string::npos) << body;
  EXPECT_NE(body.find("as_half("), std::string::npos) << body;
  EXPECT_NE(body.find("(ushort)(64512"), std::string::npos) << body; // -inf
  EXPECT_NE(body.find("(ushort)(11878"), std::string::npos) << body; // 0x2E66
}

} // namespace
} // namespace dnncc
