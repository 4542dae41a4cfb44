#include "tui/log_tail.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/fd.hpp"

namespace g2d::tui {

namespace {

using sys::Fd;

std::int64_t mtime_ns(const struct stat& st) {
#ifdef __APPLE__
  return static_cast<std::int64_t>(st.st_mtimespec.tv_sec) * 1000000000 + st.st_mtimespec.tv_nsec;
#else
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
#endif
}

}  // namespace

Result<std::vector<std::string>> read_tail(const std::filesystem::path& path, std::size_t max_bytes,
                                           std::size_t max_lines) {
  // O_NONBLOCK: a FIFO in the log file's place must not stall the dashboard in open().
  Fd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    if (errno == ENOENT)
      return fail(ErrorKind::not_found, "{} does not exist yet", path.string());
    return fail(ErrorKind::io, "cannot open {}: {}", path.string(), std::strerror(errno));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0)
    return fail(ErrorKind::io, "cannot stat {}: {}", path.string(), std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(ErrorKind::io, "{} is not a regular file", path.string());
  auto size = static_cast<std::size_t>(st.st_size);
  std::size_t start = size > max_bytes ? size - max_bytes : 0;
  std::string data(size - start, '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n =
        pread(fd.get(), data.data() + got, data.size() - got, static_cast<off_t>(start + got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail(ErrorKind::io, "cannot read {}: {}", path.string(), std::strerror(errno));
    if (n == 0)
      break;  // it shrank meanwhile
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  std::size_t from = 0;
  if (start > 0) {
    // The read began inside a line (unless the byte before it ends one): drop that part.
    char before = '\0';
    if (pread(fd.get(), &before, 1, static_cast<off_t>(start - 1)) != 1 || before != '\n') {
      auto nl = data.find('\n');
      from = nl == std::string::npos ? data.size() : nl + 1;
    }
  }
  std::vector<std::string> lines;
  while (from < data.size()) {
    auto nl = data.find('\n', from);
    std::size_t end = nl == std::string::npos ? data.size() : nl;
    std::size_t cut = end;
    if (cut > from && data[cut - 1] == '\r')
      --cut;
    lines.emplace_back(data, from, cut - from);
    from = end + 1;
  }
  if (lines.size() > max_lines)
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(max_lines));
  return lines;
}

LogTail::LogTail(std::filesystem::path path, std::size_t max_bytes, std::size_t max_lines)
    : m_path(std::move(path)), m_max_bytes(max_bytes), m_max_lines(max_lines) {}

void LogTail::refresh() {
  struct stat st {};
  if (stat(m_path.c_str(), &st) != 0) {
    m_lines.clear();
    m_seen = false;
    m_note = errno == ENOENT ? "no log yet: " + m_path.string() + " does not exist"
                             : "cannot read " + m_path.string() + ": " + std::strerror(errno);
    return;
  }
  auto size = static_cast<std::uintmax_t>(st.st_size);
  if (m_seen && size == m_size && mtime_ns(st) == m_mtime_ns)
    return;
  ++m_reads;
  auto lines = read_tail(m_path, m_max_bytes, m_max_lines);
  if (!lines) {
    m_lines.clear();
    m_seen = false;
    m_note = lines.error().message;
    return;
  }
  m_lines = std::move(*lines);
  m_note = m_lines.empty() ? "the log is empty" : "";
  m_seen = true;
  m_size = size;
  m_mtime_ns = mtime_ns(st);
}

}  // namespace g2d::tui
