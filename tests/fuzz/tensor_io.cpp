// Fuzz target: dnncc-run's tensor readers. The first byte picks the reader (even: .npy, odd:
// ONNX TensorProto .pb); the rest is the file. A UserError is the expected failure.
#include "FuzzSupport.h"
#include "TensorIO.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnncc;
  if (size == 0)
    return 0;
  bool npy = data[0] % 2 == 0;
  std::string path = fuzz::writeInput(data + 1, size - 1, npy ? "t.npy" : "t.pb");
  try {
    run::HostTensor t = npy ? run::readNpy(path) : run::readTensorProto(path);
    (void)run::compare(t, t, 0, 0);
  } catch (const run::UserError&) {
  }
  return 0;
}
