// Fuzz target: the ONNX importer on arbitrary bytes as a model file (protobuf parsing, opset and
// schema checks, initializers, every converter), collecting every error (checkOnnx) and then
// importing for real. Nothing is folded (FuzzSupport.h). Any outcome but a crash is fine.
#include "FuzzSupport.h"
#include "frontend/onnx/Importer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnncc;
  std::string path = fuzz::writeInput(data, size, "model.onnx");
  ImportOptions options = fuzz::fuzzImportOptions(int64_t{1} << 30);
  (void)checkOnnx(path, options);
  (void)importOnnx(path, options);
  return 0;
}
