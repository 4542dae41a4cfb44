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
#include <openssl/evp.h>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "core/text.hpp"
#include "discover/discover_internal.hpp"
#include "sys/safe_read.hpp"

namespace g2d::discover::detail {

namespace fs = std::filesystem;

namespace {

// Streaming UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
class Utf8Validator {
 public:
  bool feed(const unsigned char* data, size_t size) {
    size_t i = 0;
    while (i < size) {
      if (m_need == 0) {
        // ASCII fast path, 8 bytes at a time.
        while (i + 8 <= size) {
          std::uint64_t word = 0;
          std::memcpy(&word, data + i, 8);
          if ((word & 0x8080808080808080ULL) != 0)
            break;
          i += 8;
        }
        if (i >= size)
          break;
        unsigned char b = data[i++];
        if (b < 0x80)
          continue;
        if (!start(b))
          return m_ok = false;
      } else {
        unsigned char b = data[i++];
        if (b < m_lo || b > m_hi)
          return m_ok = false;
        m_lo = 0x80;
        m_hi = 0xBF;
        --m_need;
      }
    }
    return m_ok;
  }
  bool finish() const { return m_ok && m_need == 0; }

 private:
  bool start(unsigned char b) {
    m_lo = 0x80;
    m_hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      m_need = 1;
    } else if (b == 0xE0) {
      m_need = 2;
      m_lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      m_need = 2;
    } else if (b == 0xED) {
      m_need = 2;
      m_hi = 0x9F;
    } else if (b == 0xF0) {
      m_need = 3;
      m_lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      m_need = 3;
    } else if (b == 0xF4) {
      m_need = 3;
      m_hi = 0x8F;
    } else {
      return false;
    }
    return true;
  }

  int m_need = 0;
  unsigned char m_lo = 0x80;
  unsigned char m_hi = 0xBF;
  bool m_ok = true;
};

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

struct EvpCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~EvpCtx() { EVP_MD_CTX_free(ctx); }
  EvpCtx() = default;
  EvpCtx(const EvpCtx&) = delete;
  EvpCtx& operator=(const EvpCtx&) = delete;
};

// SHA-256 fetched once per discovery (OpenSSL 3 looks an implicit EVP_sha256() up on every init).
struct Sha256 {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ~Sha256() { EVP_MD_free(md); }
  Sha256() = default;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
};

// One pass over the file: NUL probe, UTF-8 check and SHA-256 together.
HashOutcome hash_file(const fs::path& root, const Candidate& candidate, std::uint64_t max_bytes,
                      std::vector<unsigned char>& buf, EvpCtx& evp, const EVP_MD* md) {
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
  if (md == nullptr || EVP_DigestInit_ex(evp.ctx, md, nullptr) != 1)
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
    EVP_DigestUpdate(evp.ctx, buf.data(), size);
  }
  if (!utf8.finish())
    return refuse(SkipReason::not_utf8, "truncated UTF-8 sequence at the end");
  if (auto why = shape.minified())
    return refuse(SkipReason::minified, std::move(*why));
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(evp.ctx, digest.data(), &len);
  out.sha256 = to_hex({reinterpret_cast<const char*>(digest.data()), len});
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
  Sha256 sha;
  std::atomic<size_t> next{0};
  auto work = [&]() noexcept {
    try {
      std::vector<unsigned char> buf(1 << 16);
      EvpCtx evp;
      for (size_t i = next.fetch_add(1); i < candidates.size(); i = next.fetch_add(1))
        results[i] = hash_file(root, candidates[i], options.max_file_bytes, buf, evp, sha.md);
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
