// Loads a model library with dlopen and resolves its <prefix>_* API (see ModelLibrary.h).
#include "ModelLibrary.h"

#include "TensorIO.h"

#include <dlfcn.h>

#include <type_traits>

#include <fmt/format.h>

namespace dnncc::run {

ModelLibrary::ModelLibrary(const std::string& path, const std::string& prefix) {
  // Without a '/', dlopen would search the library path instead of opening the named file.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  handle_ = dlopen(file.c_str(), RTLD_LOCAL | RTLD_NOW);
  if (!handle_) {
    const char* why = dlerror();
    throw UserError(path, fmt::format("cannot load the library: {}", why ? why : "unknown reason"));
  }
  auto resolve = [&](auto& fn, const char* name) {
    std::string symbol = prefix + "_" + name;
    void* p = dlsym(handle_, symbol.c_str());
    if (!p)
      throw UserError(path, fmt::format("symbol '{}' not found: not a dnncc model library with "
                                        "prefix '{}'? (pass its prefix with --name)",
                                        symbol, prefix));
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
  };
  try {
#define DNNCC_RESOLVE(fn) resolve(api_.fn, #fn)
    DNNCC_RESOLVE(create);
    DNNCC_RESOLVE(destroy);
    DNNCC_RESOLVE(run);
    DNNCC_RESOLVE(set_num_threads);
    DNNCC_RESOLVE(num_inputs);
    DNNCC_RESOLVE(num_outputs);
    DNNCC_RESOLVE(input_info);
    DNNCC_RESOLVE(output_info);
    DNNCC_RESOLVE(input_index);
    DNNCC_RESOLVE(output_index);
    DNNCC_RESOLVE(input_data);
    DNNCC_RESOLVE(output_data);
    DNNCC_RESOLVE(set_input);
    DNNCC_RESOLVE(get_output);
    DNNCC_RESOLVE(last_error);
    DNNCC_RESOLVE(arena_size);
    DNNCC_RESOLVE(device);
    DNNCC_RESOLVE(copy_counts);
    DNNCC_RESOLVE(output_shape);
    DNNCC_RESOLVE(set_profiling);
    DNNCC_RESOLVE(num_kernels);
    DNNCC_RESOLVE(kernel_info);
    DNNCC_RESOLVE(kernel_times);
#undef DNNCC_RESOLVE
  } catch (...) {
    dlclose(handle_);
    throw;
  }
}

ModelLibrary::~ModelLibrary() {
  dlclose(handle_);
}

} // namespace dnncc::run
