// sys/safe_read.hpp — the one way to read a file that may be hostile.
//
// A file of a repository (hostile input): a path beneath
// a root directory is opened one component at a time with O_NOFOLLOW (no symlink anywhere below
// the root is followed: a symlink is refused, never read through), the file itself without
// blocking (O_NONBLOCK: a fifo cannot stall the open), and it must be a regular file (a fifo,
// socket, device or directory is refused before any read). Reading is bounded: a file that holds
// more than `max_bytes` — even one that grows while it is read — is refused after reading at most
// max_bytes + 1 bytes, so neither memory nor time depend on what the file claims.
//
// A small file a user named (the configuration, repos.txt, a prompt template): read_small_file
// follows symlinks (the user chose the path) but otherwise holds to the same rules — opened
// without blocking, a regular file only, never more than a limit read.
//
// Ownership: RegularFile owns its descriptor. Thread-safety: reentrant.
// Errors (ErrorKind::io, the message names the path): "is a symlink", "is not a regular file (a
// FIFO (named pipe)|socket|character device|…)", "is larger than N bytes", "leaves the root" (an
// absolute path or a `..` component), and the system's reason when a component cannot be opened or
// read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "sys/fd.hpp"

namespace g2d::sys {

// An open regular file and what fstat said of it when it was opened.
struct RegularFile {
  Fd fd;
  std::uint64_t size = 0;
  std::uint64_t device = 0;  // st_dev
  std::uint64_t inode = 0;   // st_ino
};

// Opens `relative` ('/'-separated, no "", "." or ".." component) beneath the directory `dir_fd`.
// `display` names the file in errors (the relative path when empty).
Result<RegularFile> open_regular_file(int dir_fd, std::string_view relative,
                                      std::string_view display = {});

// The same beneath the directory `root` (which itself may be reached through symlinks: it is the
// caller's, not the repository's).
Result<RegularFile> open_regular_file(const std::filesystem::path& root, std::string_view relative);

// The rest of an open file, at most `max_bytes` of it (what follows is left unread).
Result<std::string> read_prefix(const RegularFile& file, std::uint64_t max_bytes,
                                std::string_view display);

// The rest of an open file, refused when it holds more than `max_bytes`.
Result<std::string> read_bounded(const RegularFile& file, std::uint64_t max_bytes,
                                 std::string_view display);

// The directory `name` beneath the directory `dir_fd` (AT_FDCWD: `name` is a path of its own),
// opened with O_NOFOLLOW: a symlink as its last component is not followed. An invalid Fd on
// failure, with errno set (ELOOP or ENOTDIR for a symlink, ENOTDIR for a file).
Fd open_directory_nofollow(int dir_fd, const char* name);

// open_regular_file + read_bounded.
Result<std::string> read_regular_file(const std::filesystem::path& root, std::string_view relative,
                                      std::uint64_t max_bytes);

// A small file a user named, read whole: not_found when it does not exist, io when it cannot be
// opened or is not a regular file ("<path>: is a FIFO (named pipe), not a <what>"),
// invalid_argument when it is larger than `max_bytes` ("<path>: the <what> is larger than the
// 1 MiB allowed (N bytes)"). Every message starts with the path.
Result<std::string> read_small_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                                    std::string_view what);

// "1 MiB", "64 KiB", "1000 bytes": a limit as a person reads it.
std::string format_limit(std::uint64_t bytes);

}  // namespace g2d::sys
