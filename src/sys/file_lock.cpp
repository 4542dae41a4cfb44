#include "sys/file_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace g2d::sys {

namespace {

// The holder's line, read from the lock file: at most a few hundred bytes, up to the first line
// break; "" when there is none.
std::string read_holder(int fd) {
  char buffer[512];
  ssize_t n = ::pread(fd, buffer, sizeof buffer, 0);
  if (n <= 0)
    return "";
  std::string line(buffer, static_cast<size_t>(n));
  if (auto end = line.find('\n'); end != std::string::npos)
    line.resize(end);
  return line;
}

}  // namespace

Result<FileLock> FileLock::try_lock(const std::filesystem::path& path, std::string_view holder) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
               0644));
  if (!fd.valid())
    return fail(ErrorKind::io, "cannot open the lock file {}: {}", path.string(),
                std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return fail(ErrorKind::io, "the lock file {} is not a regular file: move it away",
                path.string());
  int rc = 0;
  do
    rc = ::flock(fd.get(), LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno != EWOULDBLOCK)
      return fail(ErrorKind::io, "cannot lock {}: {}", path.string(), std::strerror(errno));
    std::string who = read_holder(fd.get());
    return fail(ErrorKind::unavailable, "{}",
                who.empty() ? std::string("a process that has not said who it is yet") : who);
  }
  std::string line(holder);
  line += '\n';
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()))
    return fail(ErrorKind::io, "cannot write {}: {}", path.string(), std::strerror(errno));
  return FileLock(path, std::move(fd));
}

}  // namespace g2d::sys
