// Extracts .tgz model archives member by member, refusing anything but plain files and
// directories that stay inside the target directory.
#include "frontend/nnef/Archive.h"

#include <filesystem>
#include <fstream>
#include <memory>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

namespace dnncc::nnefimport {
namespace fs = std::filesystem;

namespace {
struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

/// `name` as a relative path inside the archive root, or an error naming the member.
Expected<fs::path> memberPath(const std::string& archivePath, const char* name) {
  auto bad = [&](const char* why) {
    return Status::error(fmt::format("archive member '{}' {}", name ? name : "", why),
                         {archivePath});
  };
  if (!name || !*name)
    return bad("has no name");
  fs::path p(name);
  if (p.is_absolute() || p.has_root_name() || p.has_root_directory())
    return bad("has an absolute path; members must stay inside the model");
  fs::path clean;
  for (const fs::path& part : p) {
    if (part == "..")
      return bad("contains '..'; members must stay inside the model");
    if (part != "." && !part.empty())
      clean /= part;
  }
  return clean;
}
} // namespace

Status extractArchive(const std::string& archivePath, const std::string& dir,
                      const ArchiveLimits& limits) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), archivePath.c_str(), 1 << 16) != ARCHIVE_OK)
    return Status::error(fmt::format("cannot open the archive: {}", archive_error_string(a.get())),
                         {archivePath});
  int64_t total = 0, members = 0;
  archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK)
      return Status::error(
          fmt::format("corrupt or truncated archive: {}", archive_error_string(a.get())),
          {archivePath});
    const char* name = archive_entry_pathname(entry);
    Expected<fs::path> rel = memberPath(archivePath, name);
    if (!rel)
      return rel.status();
    if (++members > limits.maxMembers)
      return Status::error(fmt::format("the archive has more than {} members", limits.maxMembers),
                           {archivePath});
    const mode_t type = archive_entry_filetype(entry);
    if (archive_entry_hardlink(entry) || archive_entry_symlink(entry) || type == AE_IFLNK)
      return Status::error(
          fmt::format("archive member '{}' is a link; links are not extracted", name),
          {archivePath});
    fs::path target = fs::path(dir) / *rel;
    std::error_code ec;
    if (type == AE_IFDIR) {
      fs::create_directories(target, ec);
      if (ec)
        return Status::error(fmt::format("cannot create '{}': {}", target.string(), ec.message()),
                             {archivePath});
      continue;
    }
    if (type != AE_IFREG)
      return Status::error(
          fmt::format("archive member '{}' is not a regular file or directory", name),
          {archivePath});
    if (rel->empty())
      return Status::error("an archive member has an empty path", {archivePath});
    fs::create_directories(target.parent_path(), ec);
    if (fs::exists(fs::symlink_status(target, ec)))
      return Status::error(fmt::format("archive member '{}' appears twice", name), {archivePath});
    std::ofstream out(target, std::ios::binary);
    if (!out)
      return Status::error(fmt::format("cannot write '{}'", target.string()), {archivePath});
    char buffer[1 << 16];
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buffer, sizeof buffer);
      if (n == 0)
        break;
      if (n < 0)
        return Status::error(fmt::format("corrupt or truncated archive at member '{}': {}", name,
                                         archive_error_string(a.get())),
                             {archivePath});
      total += n;
      if (total > limits.maxTotalBytes)
        return Status::error(
            fmt::format("the archive expands past the limit of {} bytes", limits.maxTotalBytes),
            {archivePath});
      out.write(buffer, n);
    }
    if (!out)
      return Status::error(fmt::format("cannot write '{}'", target.string()), {archivePath});
  }
  return Status::ok();
}

} // namespace dnncc::nnefimport
