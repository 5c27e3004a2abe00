// Emits lib<name>.h, the public C header of a model library (see HeaderEmitter.h).
#include "HeaderEmitter.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

namespace dnncc {
namespace {

// kRuntimeTypesText: include/dnncc/runtime_types.h as read at build time (see CMakeLists.txt).
#include "RuntimeTypesText.inc"

constexpr std::array<ModelApiFunction, 23> kApi{{
    {"create", "int", "dnncc_model **out",
     "Creates an instance (allocates its arena and input/output buffers; the only allocating "
     "call). "
     "Returns DNNCC_OK, DNNCC_ERR_OUT_OF_MEMORY, DNNCC_ERR_DEVICE (GPU libraries: no OpenCL "
     "platform or CUDA driver, or the device refused) or DNNCC_ERR_ABI; on failure *out is null "
     "and last_error(NULL) says why. GPU libraries upload the weights here, once."},
    {"destroy", "void", "dnncc_model *model", "Frees an instance; null is ignored."},
    {"run", "int", "dnncc_model *model",
     "Runs the model on the instance's current inputs; allocates nothing. Returns DNNCC_OK or "
     "DNNCC_ERR_KERNEL (message in last_error). One instance must not run on two threads at once."},
    {"set_num_threads", "int", "dnncc_model *model, int32_t threads",
     "Sets the size of the library's kernel thread pool, shared by all its instances (model may be "
     "null); 0 means one thread per core."},
    {"num_inputs", "int64_t", "void", "Number of model inputs."},
    {"num_outputs", "int64_t", "void", "Number of model outputs."},
    {"input_info", "const dnncc_tensor_info *", "int64_t index",
     "Name, type and shape of input `index`, or null when out of range."},
    {"output_info", "const dnncc_tensor_info *", "int64_t index",
     "Name, type and shape of output `index`, or null when out of range."},
    {"input_index", "int64_t", "const char *name", "Index of the input called `name`, or -1."},
    {"output_index", "int64_t", "const char *name", "Index of the output called `name`, or -1."},
    {"input_data", "void *", "dnncc_model *model, int64_t index",
     "The instance's own buffer of input `index` (size_bytes long, 64-byte aligned): write the "
     "input there to avoid a copy. Null on a bad argument."},
    {"output_data", "const void *", "dnncc_model *model, int64_t index",
     "The instance's own buffer of output `index`, valid until the next run or destroy. Null on a "
     "bad argument."},
    {"set_input", "int", "dnncc_model *model, int64_t index, const void *data, size_t bytes",
     "Copies `bytes` (must equal the input's size_bytes) into input `index`."},
    {"get_output", "int", "dnncc_model *model, int64_t index, void *data, size_t bytes",
     "Copies output `index` into `data`; `bytes` must equal the output's size_bytes, or for a "
     "data-dependent output the size of the shape output_shape reports."},
    {"output_shape", "int", "dnncc_model *model, int64_t index, int64_t *shape",
     "Writes the shape of output `index` from the last run to `shape` (output_info(index)->rank "
     "entries, ONNX order). It is the static shape, except for a data-dependent output (NonZero, "
     "Compress, Unique, NonMaxSuppression): there one extent is the run's, at most the static one "
     "of output_info, and the output's buffer holds that shape's elements in row-major order. "
     "Returns DNNCC_OK or DNNCC_ERR_INVALID_ARGUMENT."},
    {"last_error", "const char *", "dnncc_model *model",
     "Message of the last failed call on `model` (\"\" when none); with null, of the last failed "
     "create (or call on a null model) on this thread."},
    {"arena_size", "int64_t", "void", "Bytes of intermediate memory each instance allocates."},
    {"device", "const char *", "dnncc_model *model",
     "The device the instance runs on: \"cpu\", or the GPU API and the device the runtime picked, "
     "e.g. \"OpenCL: Mali-T860 (ARM Platform)\". Null on a bad argument."},
    {"copy_counts", "int", "dnncc_model *model, int64_t *to_device, int64_t *to_host",
     "Host-to-device and device-to-host copies made by the instance's last run (GPU libraries: one "
     "per input and one per output; CPU libraries: 0 and 0). Either pointer may be null."},
    {"set_profiling", "int", "dnncc_model *model, int32_t enabled",
     "Turns the per-kernel profile of the instance's later runs on (non-zero) or off (0, the "
     "default; a run then pays one comparison per kernel) and clears the recorded times. GPU "
     "libraries time the kernels on the device's clock (a marker after each kernel)."},
    {"num_kernels", "int64_t", "void", "Number of kernel calls in a run (the profile's rows)."},
    {"kernel_info", "const dnncc_kernel_info *", "int64_t index",
     "Kernel call `index` in run order: its symbol, IR ops, ONNX nodes, arithmetic and bytes; null "
     "when out of range."},
    {"kernel_times", "int", "dnncc_model *model, int64_t *start_ns, int64_t *duration_ns",
     "Writes num_kernels() entries to each array: when each kernel call of the last profiled run "
     "started (nanoseconds from the start of its first kernel) and how long it took. Zeros before "
     "the first profiled run."},
}};

// Text safe inside a /* */ comment: no "*/" and no line breaks.
std::string commentSafe(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '/' && !out.empty() && out.back() == '*')
      out += ' ';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

// A C string literal; non-printable bytes become 3-digit octal escapes (which, unlike \x, stop).
std::string cStringLiteral(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\')
      out += fmt::format("\\{}", char(c));
    else if (c < 0x20 || c >= 0x7f || c == '?') // '?': no trigraphs
      out += fmt::format("\\{:03o}", c);
    else
      out += char(c);
  }
  return out + "\"";
}

// `text` as a /** */ doc comment, wrapped at 100 columns.
std::string docComment(std::string_view text) {
  std::string out = "/**";
  size_t lineStart = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = std::min(text.find(' ', pos), text.size());
    std::string_view word = text.substr(pos, end - pos);
    pos = end + 1;
    if (out.size() - lineStart + 1 + word.size() > 100 - 3) { // 3: room for " */"
      out += "\n *";
      lineStart = out.size() - 2;
    }
    out += ' ';
    out += word;
  }
  return out + " */\n";
}

std::string toUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string shapeText(const std::vector<int64_t>& shape, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i)
    out += fmt::format("{}{}", i ? sep : "", shape[i]);
  return out;
}

void emitTensorMacros(std::string& out, std::string_view macroPrefix, std::string_view kind,
                      const std::vector<ModelHeaderInfo::Tensor>& tensors) {
  std::string upperKind = toUpper(kind);
  out += fmt::format("#define {}_NUM_{}S {}\n", macroPrefix, upperKind, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ModelHeaderInfo::Tensor& t = tensors[i];
    assert(t.shape.size() <= 8 && "dnncc_tensor_info holds at most 8 dims");
    DTypeDesc dt = describeDType(t.onnxDType);
    std::string m = fmt::format("{}_{}_{}", macroPrefix, upperKind, i);
    std::string dtypeName =
        dt.name.empty() ? fmt::format("onnx type {}", t.onnxDType) : std::string(dt.name);
    out += fmt::format("/* {} {}: '{}', {}[{}] */\n", kind, i, commentSafe(t.name), dtypeName,
                       shapeText(t.shape, ", "));
    out += fmt::format("#define {}_NAME {}\n", m, cStringLiteral(t.name));
    out += fmt::format("#define {}_DTYPE {}{}\n", m, t.onnxDType,
                       dt.enumerator.empty() ? "" : fmt::format(" /* {} */", dt.enumerator));
    out += fmt::format("#define {}_RANK {}\n", m, t.shape.size());
    // A rank-0 (scalar) tensor has no dims; {0} keeps the initializer valid C.
    out += fmt::format("#define {}_SHAPE {{{}}}{}\n", m,
                       t.shape.empty() ? "0" : shapeText(t.shape, ", "),
                       t.shape.empty() ? " /* rank 0: no dimensions */" : "");
    int64_t elements = 1;
    for (int64_t d : t.shape)
      elements *= d;
    out += fmt::format("#define {}_NUM_ELEMENTS {}\n", m, elements);
    out += fmt::format("#define {}_SIZE_BYTES {}\n", m, t.sizeBytes);
  }
}

} // namespace

std::span<const ModelApiFunction> modelApiFunctions() {
  return kApi;
}

DTypeDesc describeDType(int onnxDType) {
  switch (onnxDType) {
  case 1:
    return {"float32", 4, "DNNCC_FLOAT32"};
  case 2:
    return {"uint8", 1, "DNNCC_UINT8"};
  case 3:
    return {"int8", 1, "DNNCC_INT8"};
  case 4:
    return {"uint16", 2, "DNNCC_UINT16"};
  case 5:
    return {"int16", 2, "DNNCC_INT16"};
  case 6:
    return {"int32", 4, "DNNCC_INT32"};
  case 7:
    return {"int64", 8, "DNNCC_INT64"};
  case 9:
    return {"bool", 1, "DNNCC_BOOL"};
  case 10:
    return {"float16", 2, "DNNCC_FLOAT16"};
  case 11:
    return {"float64", 8, "DNNCC_FLOAT64"};
  case 12:
    return {"uint32", 4, "DNNCC_UINT32"};
  case 13:
    return {"uint64", 8, "DNNCC_UINT64"};
  case 16:
    return {"bfloat16", 2, "DNNCC_BFLOAT16"};
  // The small types cross the API one element per byte (ir/SmallTypes.h).
  case 17:
    return {"float8e4m3fn", 1, "DNNCC_FLOAT8E4M3FN"};
  case 18:
    return {"float8e4m3fnuz", 1, "DNNCC_FLOAT8E4M3FNUZ"};
  case 19:
    return {"float8e5m2", 1, "DNNCC_FLOAT8E5M2"};
  case 20:
    return {"float8e5m2fnuz", 1, "DNNCC_FLOAT8E5M2FNUZ"};
  case 21:
    return {"uint4", 1, "DNNCC_UINT4"};
  case 22:
    return {"int4", 1, "DNNCC_INT4"};
  case 23:
    return {"float4e2m1", 1, "DNNCC_FLOAT4E2M1"};
  case 24:
    return {"float8e8m0", 1, "DNNCC_FLOAT8E8M0"};
  case 25:
    return {"uint2", 1, "DNNCC_UINT2"};
  case 26:
    return {"int2", 1, "DNNCC_INT2"};
  default:
    return {"", 0, ""};
  }
}

bool isValidModelPrefix(std::string_view prefix) {
  if (prefix.empty() || std::isdigit(static_cast<unsigned char>(prefix[0])))
    return false;
  for (char c : prefix)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

std::string modelPrefixFromPath(std::string_view path) {
  std::string stem = std::filesystem::path(path).stem().string();
  if (stem.starts_with("lib"))
    stem.erase(0, 3);
  for (char& c : stem)
    if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9'))
      c = '_';
  if (stem.empty())
    return "model";
  if (stem[0] >= '0' && stem[0] <= '9')
    stem.insert(0, "_");
  return stem;
}

namespace {
/// "-lfoo" for a library named libfoo.so, else the file name itself.
std::string linkHint(const ModelHeaderInfo& info, const std::string& prefix) {
  std::string lib = info.library.empty() ? "lib" + prefix + ".so" : info.library;
  if (lib.starts_with("lib") && lib.ends_with(".so"))
    return "-l" + lib.substr(3, lib.size() - 6);
  return lib;
}
} // namespace

std::string emitModelHeader(const ModelHeaderInfo& info) {
  assert(isValidModelPrefix(info.prefix) && "model prefix must be a C identifier");
  const std::string& p = info.prefix;
  std::string upper = toUpper(p);
  std::string out;
  out += fmt::format(
      "/* C API (prefix {0}_) of the model library {4} generated by dnncc. Do not edit.\n"
      " * Model:  {1}\n"
      " * Target: {2}\n"
      " *\n"
      " * Usage:\n"
      " *   dnncc_model *m;\n"
      " *   if ({0}_create(&m) != DNNCC_OK) {{ puts({0}_last_error(NULL)); return 1; }}\n"
      " *   {0}_set_input(m, 0, data, {3}_INPUT_0_SIZE_BYTES);\n"
      " *     (or write the input directly into {0}_input_data(m, 0))\n"
      " *   if ({0}_run(m) != DNNCC_OK) puts({0}_last_error(m));\n"
      " *   {0}_get_output(m, 0, result, {3}_OUTPUT_0_SIZE_BYTES);\n"
      " *   {0}_destroy(m);\n"
      " * Tensors are dense, row-major, in ONNX dimension order. Every function returning int\n"
      " * returns a dnncc_status (0 = DNNCC_OK). Link with {5}. */\n",
      p, commentSafe(info.modelFile), commentSafe(info.target), upper,
      commentSafe(info.library.empty() ? "lib" + p + ".so" : info.library), linkHint(info, p));
  out += fmt::format("#ifndef DNNCC_MODEL_{0}_H\n#define DNNCC_MODEL_{0}_H\n\n", upper);
  out += kRuntimeTypesText;
  if (!out.ends_with("\n"))
    out += "\n";

  out += "\n/* Inputs and outputs: NAME, DTYPE (dnncc_dtype value), RANK, SHAPE (initializer),\n"
         " * NUM_ELEMENTS, SIZE_BYTES. */\n";
  emitTensorMacros(out, upper, "input", info.inputs);
  emitTensorMacros(out, upper, "output", info.outputs);
  out += fmt::format("/* Bytes of intermediate memory per instance / read-only weights in the "
                     "library. */\n#define {0}_ARENA_SIZE {1}\n#define {0}_WEIGHTS_SIZE {2}\n",
                     upper, info.arenaSize, info.weightsSize);
  if (!info.deviceApi.empty()) {
    int64_t io = 0;
    for (const auto* tensors : {&info.inputs, &info.outputs})
      for (const ModelHeaderInfo::Tensor& t : *tensors)
        io += t.sizeBytes;
    out += fmt::format(
        "/* {1} device memory per instance, allocated by create: the arena ({0}_ARENA_SIZE bytes,\n"
        " * one allocation holding every intermediate tensor), the weights ({0}_WEIGHTS_SIZE "
        "bytes,\n"
        " * one allocation, uploaded once) and one allocation per input and output. Kernels with\n"
        " * scratch stages allocate more at their first run. */\n"
        "#define {0}_DEVICE_MEMORY_SIZE {2}\n",
        upper, info.deviceApi, info.arenaSize + info.weightsSize + io);
  }

  out += "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n";
  for (const ModelApiFunction& f : kApi) {
    std::string_view ret = f.returnType;
    std::string_view space = ret.ends_with('*') ? "" : " ";
    out += fmt::format("\n{}{}{}{}_{}({});\n", docComment(f.doc), ret, space, p, f.name, f.params);
  }
  out += "\n#ifdef __cplusplus\n}\n#endif\n";
  out += fmt::format("#endif /* DNNCC_MODEL_{}_H */\n", upper);
  return out;
}

} // namespace dnncc
