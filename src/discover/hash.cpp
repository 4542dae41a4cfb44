// Reading a candidate: one pass over each file checks for NUL bytes, validates UTF-8, measures the
// line shape (the minified test) and computes SHA-256, on a pool of threads that take candidates
// in turn. Each file is opened with O_NOFOLLOW through sys/safe_read.hpp and must be the inode the
// walk saw. Thread-safety: hash_all is reentrant; each worker has its own buffer and digest
// context. Errors: none propagate — a file that cannot be read, changed, or fails a check is a
// HashOutcome with its skip reason and detail.
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "core/text.hpp"
#include "core/utf8.hpp"
#include "discover/discover_internal.hpp"
#include "sys/safe_read.hpp"
#include "sys/sha256.hpp"

namespace g2d::discover::detail {

namespace fs = std::filesystem;

namespace {

// The shape of a text, measured while it is read: its lines and its white space, which tell a
// minified or machine-generated file (a few enormous, dense lines) from source code.
class TextShape {
 public:
  void feed(const unsigned char* data, size_t size) {
    for (size_t i = 0; i < size; ++i) {
      unsigned char c = data[i];
      if (c == '\n') {
        ++m_lines;
        m_longest = std::max(m_longest, m_line);
        m_line = 0;
        ++m_space;
        continue;
      }
      ++m_line;
      if (c == ' ' || c == '\t' || c == '\r')
        ++m_space;
    }
    m_bytes += size;
  }

  // Why the text looks minified, or nullopt.
  std::optional<std::string> minified() const {
    std::uint64_t lines = m_lines + (m_line > 0 ? 1 : 0);
    std::uint64_t longest = std::max(m_longest, m_line);
    if (lines == 0 || longest < k_minified_longest_line)
      return std::nullopt;
    std::uint64_t average = m_bytes / lines;
    std::uint64_t space_percent = m_space * 100 / m_bytes;
    if (average < k_minified_average_line || space_percent >= k_minified_whitespace_percent)
      return std::nullopt;
    return "longest line " + std::to_string(longest) + " bytes, lines average " +
           std::to_string(average) + " bytes, " + std::to_string(space_percent) + "% white space";
  }

 private:
  std::uint64_t m_bytes = 0;
  std::uint64_t m_lines = 0;    // newlines
  std::uint64_t m_line = 0;     // bytes of the line being read
  std::uint64_t m_longest = 0;  // of the lines ended so far
  std::uint64_t m_space = 0;    // spaces, tabs, CRs and LFs
};

// One pass over the file: NUL probe, UTF-8 check and SHA-256 together.
HashOutcome hash_file(const fs::path& root, const Candidate& candidate, std::uint64_t max_bytes,
                      std::vector<unsigned char>& buf, sys::Sha256& sha) {
  HashOutcome out;
  auto refuse = [&out](SkipReason reason, std::string detail) {
    out.skip = reason;
    out.detail = std::move(detail);
    return out;
  };
  auto file = sys::open_regular_file(root, candidate.path);
  if (!file)
    return refuse(SkipReason::unreadable, file.error().message);
  if (!candidate.id.matches(*file))
    return refuse(SkipReason::unreadable, "the path changed while the repository was walked");
  if (!sha.reset())
    return refuse(SkipReason::unreadable, "SHA-256 is not available");
  Utf8Validator utf8;
  TextShape shape;
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = read(file->fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return refuse(SkipReason::unreadable, std::strerror(errno));
    if (n == 0)
      break;
    auto size = static_cast<size_t>(n);
    if (const void* nul = std::memchr(buf.data(), 0, size)) {
      auto at =
          total + static_cast<std::uint64_t>(static_cast<const unsigned char*>(nul) - buf.data());
      return refuse(SkipReason::binary, "NUL byte at offset " + std::to_string(at));
    }
    total += size;
    if (total > max_bytes)
      return refuse(SkipReason::too_large, "grew past max_file_bytes while read");
    if (!utf8.feed(buf.data(), size))
      return refuse(SkipReason::not_utf8, "invalid UTF-8 in bytes " + std::to_string(total - size) +
                                              ".." + std::to_string(total));
    shape.feed(buf.data(), size);
    sha.update(buf.data(), size);
  }
  if (!utf8.finish())
    return refuse(SkipReason::not_utf8, "truncated UTF-8 sequence at the end");
  if (auto why = shape.minified())
    return refuse(SkipReason::minified, std::move(*why));
  out.sha256 = sha.hex();
  out.size = total;
  return out;
}

}  // namespace

void hash_all(const fs::path& root, const std::vector<Candidate>& candidates,
              const Options& options, std::vector<HashOutcome>& results) {
  results.resize(candidates.size());
  unsigned hw = std::max(1U, std::thread::hardware_concurrency());
  size_t threads = options.hash_threads > 0 ? static_cast<size_t>(options.hash_threads) : hw;
  threads = std::min(threads, std::max<size_t>(1, candidates.size()));
  std::atomic<size_t> next{0};
  auto work = [&]() noexcept {
    try {
      std::vector<unsigned char> buf(1 << 16);
      sys::Sha256 sha;
      for (size_t i = next.fetch_add(1); i < candidates.size(); i = next.fetch_add(1))
        results[i] = hash_file(root, candidates[i], options.max_file_bytes, buf, sha);
    } catch (const std::exception& e) {
      // Out of memory: the files this worker did not reach are picked up by the others, or
      // reported unreadable below.
      (void)e;
    }
  };
  std::vector<std::thread> pool;
  try {
    for (size_t t = 1; t < threads; ++t)
      pool.emplace_back(work);
  } catch (const std::system_error&) {
    // No more threads (a process or container limit): go on with those started.
  }
  work();
  for (auto& t : pool)
    t.join();
  for (auto& r : results)
    if (r.sha256.empty() && !r.skip) {
      r.skip = SkipReason::unreadable;
      r.detail = "not hashed (out of memory)";
    }
}

}  // namespace g2d::discover::detail
