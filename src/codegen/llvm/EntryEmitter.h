// Emits, with LLVM's IRBuilder, the entry code of a model library: the constant tables the dnncc
// runtime reads (src/runtime/dnncc_abi.h), `run_graph`, which calls every kernel in order, and the
// exported `<prefix>_*` API wrappers; plus a separate object holding the weights blob.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/Target.h"
#include "support/Status.h"

namespace dnncc {

/// One halide_buffer_t of the model (a tensor view), as in dnncc_buffer_info.
struct EntryBuffer {
  int64_t storage = 0; ///< enum dnncc_storage
  int64_t index = 0;   ///< input/output index
  int64_t offset = 0;  ///< bytes into the storage
  int64_t typeCode = 2, typeBits = 32;
  std::vector<int64_t> extents, strides; ///< Halide order (innermost first), strides in elements
  bool operator==(const EntryBuffer&) const = default;
};

/// One kernel call of run_graph and its row of the profile (dnncc_kernel_info).
struct EntryKernelCall {
  std::string symbol;
  std::vector<int> buffers; ///< indices into EntryModule::buffers: inputs..., output
  std::string ops;          ///< IR ops, '+'-separated
  std::string nodes;        ///< ONNX node names, ", "-separated
  int64_t flops = 0;        ///< arithmetic per run (2 per multiply-add)
  int64_t bytes = 0;        ///< bytes of the arguments
};

struct EntryTensor {
  std::string name;
  int onnxDType = 1;
  std::vector<int64_t> shape;
  int64_t sizeBytes = 0;
  /// Outputs only: the axis whose extent is known only at run time and the index into
  /// EntryModule::buffers of the i64 scalar holding it (dnncc_output_extent); -1 when static.
  int64_t extentAxis = -1, extentBuffer = -1;
};

/// A check the runtime makes after a run (dnncc_run_check).
struct EntryRunCheck {
  int64_t buffer = 0; ///< index into EntryModule::buffers of an integer scalar
  std::string message;
};

/// Everything the entry code states about a compiled model.
struct EntryModule {
  std::string prefix;
  std::vector<EntryTensor> inputs, outputs;
  int64_t arenaSize = 0;
  std::vector<EntryBuffer> buffers;
  std::vector<EntryKernelCall> calls;
  std::vector<EntryRunCheck> runChecks;
  std::vector<uint8_t> weights; ///< 64-byte aligned offsets are the caller's job
};

enum class EntryOutput { object, assembly, llvmIR };

/// Writes the entry code for `target` to `path` as an object file, assembly or LLVM IR text.
Status emitEntry(const EntryModule& m, const TargetInfo& target, const std::string& path,
                 EntryOutput kind);
/// Writes an object file whose only content is the weights blob (symbol `dnncc_weights`, hidden).
Status emitWeightsObject(const std::vector<uint8_t>& weights, const TargetInfo& target,
                         const std::string& path);

} // namespace dnncc
