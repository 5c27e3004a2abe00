// The custom lowering pass of GPU kernels (see DeviceLowering.h): fixes of Halide 14's device
// code generators applied to the device loops after the last simplification.
#include "codegen/halide/DeviceLowering.h"

#include <cstdint>
#include <string>

namespace dnncc::hl {
namespace {
using namespace Halide::Internal;
using Halide::DeviceAPI;
using Halide::Expr;

class DeviceLowering : public IRMutator {
public:
  explicit DeviceLowering(DeviceAPI device) : device_(device) {}

  using IRMutator::visit;

  Stmt visit(const For* op) override {
    if (inside_ || op->device_api != device_)
      return IRMutator::visit(op);
    inside_ = true;
    Stmt s = IRMutator::visit(op);
    inside_ = false;
    return s;
  }

  Expr visit(const Mod* op) override {
    Expr e = IRMutator::visit(op);
    const Mod* m = e.as<Mod>();
    int bits = 0;
    if (!inside_ || device_ != DeviceAPI::OpenCL || !m || m->type.is_float() ||
        !is_const_power_of_two_integer(m->b, &bits) || bits < 31)
      return e;
    // Halide's Mod of integers is Euclidean: with a power-of-two divisor it is the low bits, for
    // signed x too (two's complement).
    Expr mask = make_const(m->type, (uint64_t(1) << bits) - 1);
    return Call::make(m->type, Call::bitwise_and, {m->a, mask}, Call::PureIntrinsic);
  }

  Expr visit(const FloatImm* op) override {
    if (!inside_ || device_ != DeviceAPI::OpenCL || op->type != Halide::Float(16))
      return op;
    // The value is a binary16 number (FloatImm::make rounds it): its bits, exact.
    uint16_t bits = Halide::float16_t(op->value).to_bits();
    return Call::make(op->type, Call::reinterpret, {make_const(Halide::UInt(16), bits)},
                      Call::PureIntrinsic);
  }

  Expr visit(const Call* op) override {
    Expr e = IRMutator::visit(op);
    const Call* c = e.as<Call>();
    if (!inside_ || !c || c->call_type != Call::PureExtern)
      return e;
    std::string name = deviceName(c->name);
    if (name.empty() || name == c->name)
      return e;
    return Call::make(c->type, name, c->args, Call::PureExtern);
  }

private:
  /// The device's built-in for a C library function, or "" when there is none to rename.
  std::string deviceName(const std::string& libm) const {
    if (libm != "fmodf" && libm != "fmod")
      return "";
    if (device_ == DeviceAPI::OpenCL)
      return "fmod";
    return libm == "fmodf" ? "__nv_fmodf" : "__nv_fmod";
  }

  DeviceAPI device_;
  bool inside_ = false;
};
} // namespace

IRMutator* newDeviceLoweringPass(GpuApi api) {
  return new DeviceLowering(api == GpuApi::cuda ? DeviceAPI::CUDA : DeviceAPI::OpenCL);
}

void addDeviceLoweringPass(Halide::Func& output, const TargetInfo& target) {
  if (!target.isGpu())
    return;
  IRMutator* pass = newDeviceLoweringPass(target.gpu.api);
  output.add_custom_lowering_pass(pass, [pass] { delete pass; });
}

} // namespace dnncc::hl
