// Fuzz target: the NNEF tensor-file (.dat) reader. The first byte picks the declared element
// type (scalar, integer, logical) and the second the declared rank (0-3); the declared extents
// are read from the file's own header when it is long enough, so that the data checks past the
// header are reached too, and are otherwise 1.
#include <cstring>

#include "FuzzSupport.h"
#include "frontend/nnef/TensorFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnncc;
  if (size < 2)
    return 0;
  auto declared = static_cast<nnefimport::NnefType>(data[0] % 3);
  int rank = data[1] % 4;
  data += 2;
  size -= 2;
  std::vector<int64_t> shape(rank, 1);
  for (int i = 0; i < rank && size >= 16 + 4 * (i + 1); ++i) {
    uint32_t extent;
    std::memcpy(&extent, data + 12 + 4 * i, 4); // the header's extents start at byte 12
    shape[i] = extent;
  }
  std::string path = fuzz::writeInput(data, size, "t.dat");
  (void)nnefimport::readTensorFile(path, declared, shape);
  return 0;
}
