#include "core/file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace g2d {

namespace {

std::string_view type_of(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO (named pipe)";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : m_fd(fd) {}
  ~Descriptor() {
    if (m_fd >= 0)
      ::close(m_fd);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return m_fd; }

 private:
  int m_fd;
};

}  // namespace

std::string format_limit(std::size_t bytes) {
  constexpr std::size_t k_kib = 1024;
  constexpr std::size_t k_mib = k_kib * 1024;
  if (bytes >= k_mib && bytes % k_mib == 0)
    return fmt::format("{} MiB", bytes / k_mib);
  if (bytes >= k_kib && bytes % k_kib == 0)
    return fmt::format("{} KiB", bytes / k_kib);
  return fmt::format("{} bytes", bytes);
}

Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes,
                                    std::string_view what) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait for one.
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    if (errno == ENOENT)
      return fail(ErrorKind::not_found, "{}: {} not found", path.string(), what);
    return fail(ErrorKind::io, "{}: cannot open the {}: {}", path.string(), what,
                std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(ErrorKind::io, "{}: cannot read the {}: {}", path.string(), what,
                std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorKind::io, "{}: is {}, not a {}", path.string(), type_of(st.st_mode), what);
  }
  const auto too_large = [&](std::string_view size) {
    return fail(ErrorKind::invalid_argument, "{}: the {} is larger than the {} allowed{}",
                path.string(), what, format_limit(max_bytes), size);
  };
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes)
    return too_large(fmt::format(" ({} bytes)", st.st_size));
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (used > max_bytes)
        return too_large("");
      text.resize(std::min(max_bytes + 1, std::max<std::size_t>(used * 2, 4096)));
    }
    const ssize_t got = ::read(fd.get(), text.data() + used, text.size() - used);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      return fail(ErrorKind::io, "{}: cannot read the {}: {}", path.string(), what,
                  std::strerror(errno));
    }
    if (got == 0)
      break;
    used += static_cast<std::size_t>(got);
  }
  if (used > max_bytes)
    return too_large("");
  text.resize(used);
  return text;
}

}  // namespace g2d
