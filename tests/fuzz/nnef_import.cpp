// Fuzz target: the NNEF importer on arbitrary text as graph.nnef (the Khronos parser, fragment
// expansion, every converter). A second file, graph.quant, gets the bytes after the first NUL
// (when there is one), so the quantization parser is fuzzed too. Variables read tensor files
// that do not exist (an error), so the tensor-file reader has its own target.
#include <algorithm>
#include <filesystem>

#include "FuzzSupport.h"
#include "frontend/nnef/Importer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnncc;
  const uint8_t* nul = std::find(data, data + size, uint8_t{0});
  std::filesystem::remove(fuzz::scratchDir() + "/graph.quant");
  fuzz::writeInput(data, nul - data, "graph.nnef");
  if (nul != data + size)
    fuzz::writeInput(nul + 1, data + size - nul - 1, "graph.quant");
  ImportOptions options = fuzz::fuzzImportOptions(int64_t{1} << 30);
  (void)checkNnef(fuzz::scratchDir(), options);
  (void)importNnef(fuzz::scratchDir(), options);
  return 0;
}
