#include "support/Paths.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

namespace dnncc {
namespace fs = std::filesystem;

Expected<std::string> resolveInside(const std::string& dir, const std::string& relative,
                                    std::string_view what) {
  fs::path rel(relative);
  if (relative.empty() || rel.is_absolute() || rel.has_root_name())
    return Status::error(fmt::format("{} must be relative to the model directory", what));
  for (const auto& part : rel)
    if (part == "..")
      return Status::error(fmt::format("{} must not contain '..'", what));
  std::error_code ec;
  fs::path base = fs::canonical(dir.empty() ? "." : dir, ec);
  if (ec)
    return Status::error(fmt::format("cannot resolve the model directory '{}'", dir));
  fs::path full = fs::weakly_canonical(base / rel, ec);
  if (ec)
    return Status::error(fmt::format("cannot resolve {}", what));
  auto [b, f] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (b != base.end())
    return Status::error(fmt::format("{} leaves the model directory (symlink)", what));
  return full.string();
}

} // namespace dnncc
