#include "FuzzSupport.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace dnncc::fuzz {
namespace fs = std::filesystem;

namespace {
struct Scratch {
  std::string path;
  Scratch() {
    fs::path base = fs::temp_directory_path() / ("dnncc-fuzz-" + std::to_string(getpid()));
    fs::create_directories(base);
    path = base.string();
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};
} // namespace

const std::string& scratchDir() {
  static Scratch scratch;
  return scratch.path;
}

ImportOptions fuzzImportOptions(int64_t maxTensorBytes) {
  static NoFoldEvaluator evaluator;
  ImportOptions options;
  options.evaluator = &evaluator;
  options.maxTensorBytes = maxTensorBytes;
  return options;
}

std::string writeInput(const uint8_t* data, size_t size, const std::string& name) {
  std::string path = scratchDir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

} // namespace dnncc::fuzz
