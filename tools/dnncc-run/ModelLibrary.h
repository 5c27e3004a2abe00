// A dnncc model library loaded with dlopen: its exported <prefix>_* API resolved with dlsym.
#pragma once

#include "dnncc/runtime_types.h"

#include <string>

namespace dnncc::run {

/// The exported API of one model library (see the generated lib<name>.h for each function's doc).
struct ModelApi {
  int (*create)(dnncc_model** out);
  void (*destroy)(dnncc_model* model);
  int (*run)(dnncc_model* model);
  int (*set_num_threads)(dnncc_model* model, int32_t threads);
  int64_t (*num_inputs)(void);
  int64_t (*num_outputs)(void);
  const dnncc_tensor_info* (*input_info)(int64_t index);
  const dnncc_tensor_info* (*output_info)(int64_t index);
  int64_t (*input_index)(const char* name);
  int64_t (*output_index)(const char* name);
  void* (*input_data)(dnncc_model* model, int64_t index);
  const void* (*output_data)(dnncc_model* model, int64_t index);
  int (*set_input)(dnncc_model* model, int64_t index, const void* data, size_t bytes);
  int (*get_output)(dnncc_model* model, int64_t index, void* data, size_t bytes);
  const char* (*last_error)(dnncc_model* model);
  int64_t (*arena_size)(void);
  const char* (*device)(dnncc_model* model);
  int (*copy_counts)(dnncc_model* model, int64_t* to_device, int64_t* to_host);
  int (*output_shape)(dnncc_model* model, int64_t index, int64_t* shape);
  int (*set_profiling)(dnncc_model* model, int32_t enabled);
  int64_t (*num_kernels)(void);
  const dnncc_kernel_info* (*kernel_info)(int64_t index);
  int (*kernel_times)(dnncc_model* model, int64_t* start_ns, int64_t* duration_ns);
};

/// Owns the dlopen handle (RTLD_LOCAL | RTLD_NOW) of a model library.
class ModelLibrary {
public:
  /// Loads `path` and resolves `<prefix>_*`; throws UserError when the library does not load or a
  /// symbol is missing.
  ModelLibrary(const std::string& path, const std::string& prefix);
  ~ModelLibrary();
  ModelLibrary(const ModelLibrary&) = delete;
  ModelLibrary& operator=(const ModelLibrary&) = delete;

  const ModelApi& api() const { return api_; }

private:
  void* handle_ = nullptr;
  ModelApi api_{};
};

} // namespace dnncc::run
