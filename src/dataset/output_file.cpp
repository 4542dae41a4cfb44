#include "dataset/output_file.hpp"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "dataset/block_writer.hpp"
#include "sys/host.hpp"

namespace g2d::dataset {

namespace fs = std::filesystem;

namespace {

constexpr int k_max_links = 40;  // as the kernel's path walk (ELOOP)

// This host's name as it appears in a temporary file's name: nothing but [A-Za-z0-9._-].
std::string host_in_name() {
  std::string host = sys::host_name();
  for (char& c : host) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    if (!plain)
      c = '_';
  }
  return host.empty() ? "unknown" : host;
}

// The path a chain of symlinks at `path` ends at (link by link, each relative to its own folder),
// and that path's type (not_found when missing).
Result<std::pair<fs::path, fs::file_type>> resolve_links(const fs::path& path) {
  fs::path p = path;
  for (int hops = 0; hops <= k_max_links; ++hops) {
    std::error_code ec;
    auto type = fs::symlink_status(p, ec).type();
    if (ec && type != fs::file_type::not_found)
      return fail(ErrorKind::io, "cannot write {}: {}", path.string(), ec.message());
    if (type != fs::file_type::symlink)
      return std::pair{p, type};
    fs::path link = fs::read_symlink(p, ec);
    if (ec)
      return fail(ErrorKind::io, "cannot write {}: {}", path.string(), ec.message());
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
  return fail(ErrorKind::io, "cannot write {}: too many levels of symbolic links", path.string());
}

// "<pid>-<n>" or "<pid>-<n>-<host>" (the part of a temporary file's name after ".tmp-"): the pid
// and the host ("" for the first form, which older versions wrote), or nothing when it is not
// such a name.
std::optional<std::pair<std::int64_t, std::string>> parse_temporary(std::string_view rest) {
  std::int64_t pid = 0;
  auto [after_pid, pid_error] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  if (pid_error != std::errc() || after_pid == rest.data() + rest.size() || *after_pid != '-')
    return std::nullopt;
  rest.remove_prefix(static_cast<size_t>(after_pid + 1 - rest.data()));
  std::uint64_t n = 0;
  auto [after_n, n_error] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
  if (n_error != std::errc() || after_n == rest.data())
    return std::nullopt;
  rest.remove_prefix(static_cast<size_t>(after_n - rest.data()));
  if (rest.empty())
    return std::pair{pid, std::string()};
  if (rest.front() != '-' || rest.size() == 1)
    return std::nullopt;
  return std::pair{pid, std::string(rest.substr(1))};
}

// The descriptor a path names — /dev/stdout (1), /dev/stderr (2), /dev/fd/N, /proc/self/fd/N —
// or nothing.
std::optional<int> descriptor_named(const fs::path& path) {
  const std::string text = path.lexically_normal().string();
  if (text == "/dev/stdout")
    return 1;
  if (text == "/dev/stderr")
    return 2;
  for (std::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    if (!text.starts_with(prefix))
      continue;
    std::string_view digits = std::string_view(text).substr(prefix.size());
    int fd = -1;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), fd);
    if (error == std::errc() && end == digits.data() + digits.size() && fd >= 0)
      return fd;
  }
  return std::nullopt;
}

}  // namespace

Result<WriteMode> write_mode_for(const fs::path& path, fs::file_type type) {
  switch (type) {
    case fs::file_type::not_found:
    case fs::file_type::regular:
      return WriteMode::replace;
    case fs::file_type::character:
    case fs::file_type::fifo:
      return WriteMode::stream;
    case fs::file_type::directory:
      return fail(ErrorKind::io, "{} is a directory, not a file: name a file to write",
                  path.string());
    case fs::file_type::block:
      return fail(ErrorKind::io,
                  "{} is a block device: export writes files, FIFOs and character devices, never "
                  "a disk",
                  path.string());
    case fs::file_type::socket:
      return fail(ErrorKind::io, "{} is a socket, which cannot be written as a file",
                  path.string());
    default:
      return fail(ErrorKind::io, "{} is not a file that can be written", path.string());
  }
}

int remove_stale_temporaries(const fs::path& target) {
  const std::string prefix = target.filename().string() + ".tmp-";
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string host = host_in_name();
  std::error_code ec;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix))
      continue;
    auto parsed = parse_temporary(std::string_view(name).substr(prefix.size()));
    if (!parsed || parsed->second != host)
      continue;  // not ours to judge: another host's, one without a host, or another file
    std::error_code type_error;
    if (it->symlink_status(type_error).type() != fs::file_type::regular)
      continue;
    if (sys::process_gone(parsed->first, sys::host_name()))
      stale.push_back(it->path());
  }
  int removed = 0;
  for (const auto& path : stale)
    removed += fs::remove(path, ec) ? 1 : 0;
  return removed;
}

Result<WriteMode> output_mode(const fs::path& target, Origin origin) {
  if (origin == Origin::derived) {
    // Beside the user's output: only what the export may replace outright.
    std::error_code ec;
    auto type = fs::symlink_status(target, ec).type();
    if (type == fs::file_type::not_found || type == fs::file_type::regular)
      return WriteMode::replace;
    if (ec)
      return fail(ErrorKind::io, "cannot write {}: {}", target.string(), ec.message());
    return fail(ErrorKind::io,
                "{} is in the way: export writes it beside the output and replaces only a "
                "regular file there (move it, or name another output)",
                target.string());
  }
  if (descriptor_named(target))
    return WriteMode::stream;
  // The type of what the path leads to, as the kernel follows it.
  std::error_code status_error;
  auto type = fs::status(target, status_error).type();
  if (status_error && type != fs::file_type::not_found)
    return fail(ErrorKind::io, "cannot write {}: {}", target.string(), status_error.message());
  return write_mode_for(target, type);
}

Result<OutputFile> OutputFile::create(const fs::path& target, Origin origin) {
  auto mode = output_mode(target, origin);
  if (!mode)
    return tl::unexpected(mode.error());
  if (auto named = descriptor_named(target); named && origin == Origin::named) {
    // This process's own descriptor, written where it stands (its offset, its O_APPEND).
    sys::Fd fd(::fcntl(*named, F_DUPFD_CLOEXEC, 3));
    if (!fd.valid())
      return fail(ErrorKind::io, "cannot write {}: {}", target.string(), std::strerror(errno));
    return OutputFile(target, target, {}, WriteMode::stream, std::move(fd));
  }
  if (*mode == WriteMode::stream) {
    // In place: no O_CREAT, no O_TRUNC; what is opened must still be what was judged.
    sys::Fd fd(::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid())
      return fail(ErrorKind::io, "cannot write {}: {}", target.string(), std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))
      return fail(ErrorKind::io, "cannot write {}: it changed while it was opened",
                  target.string());
    return OutputFile(target, target, {}, WriteMode::stream, std::move(fd));
  }
  // A symlink stays: the file it leads to is what is replaced (a derived path has none).
  auto resolved = resolve_links(target);
  if (!resolved)
    return tl::unexpected(resolved.error());
  if (origin == Origin::derived && resolved->first != target)
    return fail(ErrorKind::io, "cannot write {}: it changed while it was opened", target.string());
  const fs::path destination = resolved->first;
  if (auto resolved_mode = write_mode_for(target, resolved->second);
      !resolved_mode || *resolved_mode != WriteMode::replace)
    return fail(ErrorKind::io, "cannot write {}: it changed while it was opened", target.string());
  std::error_code ec;
  if (destination.has_parent_path())
    fs::create_directories(destination.parent_path(), ec);
  if (ec)
    return fail(ErrorKind::io, "cannot create the folder of {}: {}", destination.string(),
                ec.message());
  remove_stale_temporaries(destination);
  // A name nobody else uses, created anew (never through a planted file or symlink).
  static std::atomic<unsigned> counter{0};
  fs::path temp = destination;
  temp += fmt::format(".tmp-{}-{}-{}", ::getpid(), counter++, host_in_name());
  sys::Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (!fd.valid())
    return fail(ErrorKind::io, "cannot write {}: {}", temp.string(), std::strerror(errno));
  return OutputFile(target, destination, temp, WriteMode::replace, std::move(fd));
}

OutputFile::OutputFile(fs::path target, fs::path destination, fs::path temp, WriteMode mode,
                       sys::Fd fd)
    : m_target(std::move(target)),
      m_destination(std::move(destination)),
      m_temp(std::move(temp)),
      m_mode(mode),
      m_fd(std::move(fd)),
      m_writer(std::make_unique<BlockWriter>(m_fd.get(), m_target.string())) {}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : m_target(std::move(other.m_target)),
      m_destination(std::move(other.m_destination)),
      m_temp(std::move(other.m_temp)),
      m_mode(other.m_mode),
      m_fd(std::move(other.m_fd)),
      m_writer(std::move(other.m_writer)),
      m_published(std::exchange(other.m_published, true)) {}

OutputFile::~OutputFile() {
  m_writer.reset();  // its thread ends before the file closes
  m_fd.reset();
  if (!m_published && !m_temp.empty()) {
    std::error_code ec;
    fs::remove(m_temp, ec);
  }
}

bool OutputFile::write(std::string_view bytes) {
  return m_writer && m_writer->append(bytes);
}

Status OutputFile::finish() {
  if (!m_writer)
    return fail(ErrorKind::io, "cannot write {}: already finished", m_target.string());
  auto written = m_writer->finish();
  m_writer.reset();
  int err = 0;
  // A device or a FIFO has nothing to sync (fsync says EINVAL); a file's bytes are on disk before
  // it replaces anything.
  if (written && m_mode == WriteMode::replace && ::fsync(m_fd.get()) != 0)
    err = errno;
  if (int closed = m_fd.close(); closed != 0 && err == 0)
    err = closed;
  if (!written)
    return written;
  if (err != 0)
    return fail(ErrorKind::io, "cannot write {}: {}", m_target.string(), std::strerror(err));
  return {};
}

Status OutputFile::publish() {
  if (m_mode == WriteMode::stream) {
    m_published = true;
    return {};
  }
  std::error_code ec;
  fs::rename(m_temp, m_destination, ec);
  if (ec)
    return fail(ErrorKind::io, "cannot write {}: {}", m_target.string(), ec.message());
  m_published = true;
  return {};
}

}  // namespace g2d::dataset
