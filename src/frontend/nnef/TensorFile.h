// NNEF tensor files (.dat): the binary format of NNEF 1.0 section 5.2.
#pragma once

#include <string>
#include <vector>

#include "ir/IR.h"

namespace dnncc::nnefimport {

/// The contents of one tensor file. `type` is f32 (float items of 16, 32 or 64 bits, widened),
/// i64 (integer items), bool (logical items, 1 or 8 bits), or, for the quantized item types
/// (unsigned / signed quantized, 8 bits or fewer), u8 / i8 with the integers as stored; 16- and
/// 32-bit quantized items become i32.
struct TensorFile {
  TensorType type;
  std::vector<uint8_t> bytes;
  bool quantized = false; ///< item type 2 or 3: the values need the graph.quant parameters
};

/// The NNEF element type a tensor file must hold for a `variable<T>` (T = scalar, integer,
/// logical).
enum class NnefType { scalar, integer, logical };

/// Reads `path` and checks it against the declaration `variable<declared>(shape = declaredShape)`:
/// the magic number and version (1.0), the rank (<= 8) and every extent, the item type and bits
/// per item (one the format defines), the data length (extents x bits, rounded up to bytes) and
/// the file size (128-byte header + data, nothing after it). Errors name the file and what
/// disagrees with what.
Expected<TensorFile> readTensorFile(const std::string& path, NnefType declared,
                                    const std::vector<int64_t>& declaredShape);

} // namespace dnncc::nnefimport
