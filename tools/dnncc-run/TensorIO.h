// Host tensors for dnncc-run: reading .npy and ONNX TensorProto (.pb) files, writing .npy, and
// comparing an output with its reference.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dnncc::run {

/// A user-facing failure, printed by main as `error: <what>: <detail>` (exit code 1).
struct UserError : std::runtime_error {
  UserError(const std::string& what, const std::string& detail)
      : std::runtime_error(what + ": " + detail) {}
};

/// A dense, row-major tensor in host memory (little-endian element bytes).
struct HostTensor {
  std::string name; ///< "" when the file carries none (.npy, unnamed .pb)
  int dtype = 0;    ///< ONNX TensorProto.DataType code
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// "float32[1,3,224,224]"
std::string describe(int dtype, const std::vector<int64_t>& shape);

/// Reads a little-endian, C-order .npy file (format versions 1-3). Throws UserError naming `path`.
HostTensor readNpy(const std::string& path);
/// Writes `t` as a version-1 .npy file. bfloat16 (no numpy type) is written as uint16 bit patterns.
void writeNpy(const std::string& path, const HostTensor& t);
/// Reads an ONNX TensorProto (raw_data or the typed *_data fields). Throws UserError naming `path`.
HostTensor readTensorProto(const std::string& path);

/// Result of comparing an output with its reference.
struct Comparison {
  double maxAbsErr = 0; ///< max |a - b| over elements that are both finite numbers
  double maxRelErr = 0; ///< max |a - b| / |b| over those with b != 0
  int64_t mismatches = 0;
  int64_t count = 0;
};
/// Compares `actual` with `expected` (same dtype and size): floats match when
/// |a - b| <= atol + rtol * |b|, or both are NaN, or both are the same infinity; integers and bools
/// must be equal.
Comparison compare(const HostTensor& actual, const HostTensor& expected, double rtol, double atol);

} // namespace dnncc::run
