#include "sys/safe_read.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace g2d::sys {

namespace {

constexpr size_t k_read_piece = size_t{1} << 16;

std::string_view kind_of(mode_t mode) {
  if (S_ISFIFO(mode))
    return "a FIFO (named pipe)";
  if (S_ISSOCK(mode))
    return "a socket";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISLNK(mode))
    return "a symlink";
  return "not a plain file";
}

// Why openat(dir, name) with O_NOFOLLOW failed: a symlink says so (ELOOP on Linux and macOS,
// EMLINK on FreeBSD), anything else gives the system's reason.
Error open_error(int dir, const std::string& name, int err, std::string_view display) {
  struct stat st {};
  if ((err == ELOOP || err == EMLINK || err == ENOTDIR) &&
      fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    return Error{ErrorKind::io, fmt::format("{}: {} is a symlink", display, name)};
  return Error{ErrorKind::io, fmt::format("{}: cannot open {}: {}", display, name, strerror(err))};
}

}  // namespace

Result<RegularFile> open_regular_file(int dir_fd, std::string_view relative,
                                      std::string_view display) {
  if (display.empty())
    display = relative;
  if (relative.empty() || relative.front() == '/')
    return fail(ErrorKind::io, "{}: leaves the root (not a relative path)", display);
  Fd dir;  // the directory reached so far; dir_fd while invalid
  size_t start = 0;
  for (;;) {
    size_t slash = relative.find('/', start);
    std::string name(
        relative.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (name.empty() || name == "." || name == "..")
      return fail(ErrorKind::io, "{}: leaves the root (an empty, . or .. component)", display);
    int at = dir.valid() ? dir.get() : dir_fd;
    if (slash != std::string_view::npos) {
      Fd next = open_directory_nofollow(at, name.c_str());
      if (!next.valid())
        return tl::unexpected(open_error(at, name, errno, display));
      dir = std::move(next);
      start = slash + 1;
      continue;
    }
    Fd fd(openat(at, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd.valid())
      return tl::unexpected(open_error(at, name, errno, display));
    struct stat st {};
    if (fstat(fd.get(), &st) != 0)
      return fail(ErrorKind::io, "{}: cannot read: {}", display, strerror(errno));
    if (!S_ISREG(st.st_mode))
      return fail(ErrorKind::io, "{}: is not a regular file ({})", display, kind_of(st.st_mode));
    RegularFile file;
    file.fd = std::move(fd);
    file.size = static_cast<std::uint64_t>(st.st_size);
    file.device = static_cast<std::uint64_t>(st.st_dev);
    file.inode = static_cast<std::uint64_t>(st.st_ino);
    return file;
  }
}

Fd open_directory_nofollow(int dir_fd, const char* name) {
  return Fd(openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

Result<RegularFile> open_regular_file(const std::filesystem::path& root,
                                      std::string_view relative) {
  std::string display = (root / relative).string();
  Fd dir(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid())
    return fail(ErrorKind::io, "{}: cannot open {}: {}", display, root.string(), strerror(errno));
  return open_regular_file(dir.get(), relative, display);
}

Result<std::string> read_prefix(const RegularFile& file, std::uint64_t max_bytes,
                                std::string_view display) {
  std::string text;
  // What fstat said is a hint for the first allocation, never a promise.
  text.reserve(static_cast<size_t>(std::min(file.size, max_bytes)));
  std::string piece(k_read_piece, '\0');
  while (text.size() < max_bytes) {
    size_t want =
        static_cast<size_t>(std::min<std::uint64_t>(piece.size(), max_bytes - text.size()));
    ssize_t n = read(file.fd.get(), piece.data(), want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail(ErrorKind::io, "{}: cannot read: {}", display, strerror(errno));
    if (n == 0)
      break;
    text.append(piece.data(), static_cast<size_t>(n));
  }
  return text;
}

Result<std::string> read_bounded(const RegularFile& file, std::uint64_t max_bytes,
                                 std::string_view display) {
  // One byte more tells a larger file.
  std::uint64_t limit = max_bytes == UINT64_MAX ? max_bytes : max_bytes + 1;
  auto text = read_prefix(file, limit, display);
  if (text && text->size() > max_bytes)
    return fail(ErrorKind::io, "{}: is larger than {} bytes", display, max_bytes);
  return text;
}

Result<std::string> read_regular_file(const std::filesystem::path& root, std::string_view relative,
                                      std::uint64_t max_bytes) {
  auto file = open_regular_file(root, relative);
  if (!file)
    return tl::unexpected(file.error());
  return read_bounded(*file, max_bytes, (root / relative).string());
}

std::string format_limit(std::uint64_t bytes) {
  constexpr std::uint64_t k_kib = 1024;
  constexpr std::uint64_t k_mib = k_kib * 1024;
  if (bytes >= k_mib && bytes % k_mib == 0)
    return fmt::format("{} MiB", bytes / k_mib);
  if (bytes >= k_kib && bytes % k_kib == 0)
    return fmt::format("{} KiB", bytes / k_kib);
  return fmt::format("{} bytes", bytes);
}

Result<std::string> read_small_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                                    std::string_view what) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait for one. Symlinks are
  // followed: the user named this file.
  RegularFile file;
  file.fd.reset(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!file.fd.valid()) {
    if (errno == ENOENT)
      return fail(ErrorKind::not_found, "{}: {} not found", path.string(), what);
    return fail(ErrorKind::io, "{}: cannot open the {}: {}", path.string(), what, strerror(errno));
  }
  struct stat st {};
  if (fstat(file.fd.get(), &st) != 0)
    return fail(ErrorKind::io, "{}: cannot read the {}: {}", path.string(), what, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(ErrorKind::io, "{}: is {}, not a {}", path.string(), kind_of(st.st_mode), what);
  file.size = static_cast<std::uint64_t>(st.st_size);
  const auto too_large = [&](std::string_view size) {
    return fail(ErrorKind::invalid_argument, "{}: the {} is larger than the {} allowed{}",
                path.string(), what, format_limit(max_bytes), size);
  };
  if (file.size > max_bytes)
    return too_large(fmt::format(" ({} bytes)", file.size));
  // One byte more tells a file that grew while it was read.
  std::uint64_t limit = max_bytes == UINT64_MAX ? max_bytes : max_bytes + 1;
  auto text = read_prefix(file, limit, path.string());
  if (text && text->size() > max_bytes)
    return too_large("");
  return text;
}

}  // namespace g2d::sys
