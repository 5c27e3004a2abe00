// Safe extraction of NNEF model archives (.tgz) with libarchive.
#pragma once

#include <cstdint>
#include <string>

#include "support/Status.h"

namespace dnncc::nnefimport {

/// Limits on what an archive may expand into.
struct ArchiveLimits {
  int64_t maxTotalBytes = int64_t{8} << 30; ///< all members together, uncompressed
  int64_t maxMembers = 100000;
};

/// Extracts the gzip-compressed tar archive `archive` into the existing empty directory `dir`.
/// Only regular files and directories are extracted; a member whose path is absolute, contains
/// `..`, or is a link, device or FIFO is an error, as are a truncated or corrupt archive and one
/// that expands past `limits`. On error `dir` may hold part of the archive (the caller removes it).
Status extractArchive(const std::string& archive, const std::string& dir,
                      const ArchiveLimits& limits = {});

} // namespace dnncc::nnefimport
