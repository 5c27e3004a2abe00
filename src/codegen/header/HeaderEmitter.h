// Emits the public C header (libNAME.h next to libNAME.so) of a compiled model library: the shared runtime types,
// the exported <prefix>_* prototypes, and macros stating every input/output's name, type and shape.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dnncc {

/// What the generated header states about one model library.
struct ModelHeaderInfo {
  std::string prefix;    ///< API prefix, a C identifier ("tinynet" -> tinynet_create ...)
  std::string modelFile; ///< source model path, quoted in the file comment
  std::string target;    ///< target name or triple, quoted in the file comment
  std::string library;   ///< the library's file name, e.g. "libmodel.so" (for the link hint)
  struct Tensor {
    std::string name;           ///< ONNX graph input/output name
    int onnxDType;              ///< ONNX TensorProto.DataType code (= dnncc_dtype)
    std::vector<int64_t> shape; ///< ONNX order (outermost first), at most 8 dims
    int64_t sizeBytes;          ///< product(shape) * element size
  };
  std::vector<Tensor> inputs, outputs;
  int64_t arenaSize = 0;   ///< bytes of intermediate memory per instance
  int64_t weightsSize = 0; ///< bytes of read-only weights in the library
  /// The GPU API whose device holds the tensors ("OpenCL", "CUDA"); empty for a CPU library.
  std::string deviceApi;
};

/// One function of the exported model API: `<ret> <prefix>_<name>(<params>)` wraps
/// `dnncc_rt_<name>(&info, <params>)`. The single list of the API, in header order.
struct ModelApiFunction {
  std::string_view name;       ///< "create"
  std::string_view returnType; ///< "int"
  std::string_view params;     ///< "dnncc_model **out" ("void" when none)
  std::string_view doc;        ///< one or two sentences for the generated header
};
std::span<const ModelApiFunction> modelApiFunctions();

/// Returns the text of the header. Self-contained: embeds include/dnncc/runtime_types.h under
/// its own include guard, so headers of several models can be included in one translation unit.
/// Precondition: isValidModelPrefix(info.prefix) and every shape has at most 8 dims (asserted).
std::string emitModelHeader(const ModelHeaderInfo& info);

/// True when `prefix` is a non-empty C identifier (letters, digits, '_', not starting with a
/// digit).
bool isValidModelPrefix(std::string_view prefix);

/// The default API prefix for a library path: the file's stem (std::filesystem::path::stem, i.e.
/// without directory and last extension) without a leading "lib"; every character other than
/// [A-Za-z0-9_] becomes '_', a leading digit gets a '_' in front, and an empty result becomes
/// "model". "out/libmodel.so" -> "model", "libres-net.v2.so" -> "res_net_v2", "3d.so" -> "_3d".
std::string modelPrefixFromPath(std::string_view path);

/// Name, size in bytes and C spelling of an ONNX element type ("float32", 4, "DNNCC_FLOAT32");
/// {"", 0, ""} for codes dnncc does not support (string, complex, float6). The small types
/// (float8, float4, int4, int2) have size 1: one element per byte at the API.
struct DTypeDesc {
  std::string_view name;
  int64_t sizeBytes;
  std::string_view enumerator;
};
DTypeDesc describeDType(int onnxDType);

} // namespace dnncc
