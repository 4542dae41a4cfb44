// tui/log_tail.hpp — the last lines of a log file that another process appends to, read cheaply:
// never more than the last `max_bytes` of the file, and only when its size or modification time
// changed since the last read (a file that shrank — rotated or truncated — is read afresh).
//
// A read that starts inside the file drops the partial line it starts in; a last line without
// its newline yet is kept. Carriage returns before a newline are dropped. Lines are returned as
// bytes: the layout makes them printable.
//
// Ownership: owns its lines. Thread-safety: none (the dashboard's thread). Errors: a file that is
// missing or unreadable is not an error: there are no lines and note() says why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace g2d::tui {

// The complete lines of the last `max_bytes` of `path` (at most the last `max_lines`).
// not_found when there is no such file; io when it cannot be read.
Result<std::vector<std::string>> read_tail(const std::filesystem::path& path, std::size_t max_bytes,
                                           std::size_t max_lines);

class LogTail {
 public:
  explicit LogTail(std::filesystem::path path, std::size_t max_bytes = std::size_t{64} * 1024,
                   std::size_t max_lines = 2000);

  // Reads the tail again when the file changed.
  void refresh();

  const std::filesystem::path& path() const { return m_path; }
  const std::vector<std::string>& lines() const { return m_lines; }
  const std::string& note() const { return m_note; }
  int reads() const { return m_reads; }  // how many times the file was read (for tests)

 private:
  std::filesystem::path m_path;
  std::size_t m_max_bytes;
  std::size_t m_max_lines;
  std::vector<std::string> m_lines;
  std::string m_note;
  bool m_seen = false;
  std::uintmax_t m_size = 0;
  std::int64_t m_mtime_ns = 0;
  int m_reads = 0;
};

}  // namespace g2d::tui
