// sys/file_lock.hpp — an exclusive advisory lock on a file (flock) that says who holds it: the
// holder writes a line into the file (its pid, host, command and since when), and whoever finds
// the lock taken reads that line back to name the holder. The kernel releases the lock when the
// holder's process ends, however it ends (kill -9 included): a lock file left behind by a dead
// process locks nothing, and its stale line is overwritten by the next holder.
//
// Ownership: FileLock owns its open file descriptor; the lock lasts while it lives. Two FileLocks
// on one file conflict even within one process (each open is its own lock).
// Thread-safety: one FileLock per thread; try_lock is reentrant.
// Errors: try_lock returns `unavailable` when another holds the lock (the message is the holder's
// line, or a note that it has not written one yet) and `io` when the file cannot be opened or
// locked (a symlink in its place is refused, never followed).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "sys/fd.hpp"

namespace g2d::sys {

class FileLock {
 public:
  // Takes the lock on `path` (created, mode 0644, when missing) without waiting, and replaces the
  // file's content with `holder` (one line saying who holds it).
  static Result<FileLock> try_lock(const std::filesystem::path& path, std::string_view holder);

  // Moved, never copied; the lock is released (the file stays) when its owner goes.
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

  const std::filesystem::path& path() const { return m_path; }

 private:
  FileLock(std::filesystem::path path, Fd fd) : m_path(std::move(path)), m_fd(std::move(fd)) {}

  std::filesystem::path m_path;
  Fd m_fd;
};

}  // namespace g2d::sys
