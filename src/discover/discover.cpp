#include "discover/discover.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <openssl/evp.h>
#include <optional>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>

#include <climits>
#include <spdlog/spdlog.h>

#include "core/text.hpp"
#include "discover/ignore.hpp"
#include "sys/fd.hpp"
#include "sys/safe_read.hpp"

namespace g2d::discover {

namespace fs = std::filesystem;

std::string_view to_string(SkipReason reason) {
  switch (reason) {
    case SkipReason::bad_name:
      return "bad_name";
    case SkipReason::sensitive:
      return "sensitive";
    case SkipReason::not_source:
      return "not_source";
    case SkipReason::ignore_pattern:
      return "ignore_pattern";
    case SkipReason::gitignored:
      return "gitignored";
    case SkipReason::generated:
      return "generated";
    case SkipReason::vendored:
      return "vendored";
    case SkipReason::symlink:
      return "symlink";
    case SkipReason::symlink_outside:
      return "symlink_outside";
    case SkipReason::symlink_broken:
      return "symlink_broken";
    case SkipReason::nested_repo:
      return "nested_repo";
    case SkipReason::too_large:
      return "too_large";
    case SkipReason::binary:
      return "binary";
    case SkipReason::not_utf8:
      return "not_utf8";
    case SkipReason::minified:
      return "minified";
    case SkipReason::unreadable:
      return "unreadable";
  }
  return "unknown";
}

namespace {

constexpr size_t k_max_rule_file_bytes = 1 << 20;
constexpr std::uint64_t k_max_rule_bytes_per_repo = 8 << 20;

// ---------------------------------------------------------------------------------------------
// Names

bool ends_with_ci(std::string_view text, std::string_view suffix) {
  if (suffix.size() > text.size())
    return false;
  auto tail = text.substr(text.size() - suffix.size());
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::equal(tail.begin(), tail.end(), suffix.begin(), suffix.end(),
                    [&](char a, char b) { return lower(a) == lower(b); });
}

std::string_view base_name(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

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

// Files that hold secrets by their nature: never read, whatever the configured extensions say.
// `name` is the base name, `path` the path in the repository.
std::optional<std::string_view> sensitive_kind(std::string_view name, std::string_view path) {
  std::string lower = to_lower(name);
  std::string_view n = lower;
  if (n.starts_with(".env") || n.ends_with(".env"))
    return "environment file";
  for (std::string_view key : {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})
    if (n.starts_with(key))
      return "ssh key";
  for (std::string_view exact :
       {".netrc", "_netrc", ".npmrc", ".pypirc", ".git-credentials", ".htpasswd", ".pgpass",
        "credentials", "credentials.json", "credentials.xml", ".dockercfg", "secrets.yml",
        "secrets.yaml", "secrets.json", "service-account.json", ".s3cfg", "terraform.tfstate",
        "terraform.tfvars"})
    if (n == exact)
      return "credential store";
  for (std::string_view ext :
       {".pem", ".key", ".p12", ".pfx", ".p8", ".jks", ".keystore", ".kdbx", ".ppk", ".gpg", ".asc",
        ".crt", ".cer", ".der", ".p7b", ".tfstate", ".tfvars"})
    if (n.size() > ext.size() && n.ends_with(ext))
      return "key or certificate";
  std::string lower_path = to_lower(path);
  for (std::string_view tail : {".docker/config.json", ".kube/config", ".aws/config"})
    if (lower_path == tail || (lower_path.size() > tail.size() && lower_path.ends_with(tail) &&
                               lower_path[lower_path.size() - tail.size() - 1] == '/'))
      return "credential store";
  return std::nullopt;
}

constexpr std::string_view k_bad_name =
    "the name is not valid UTF-8 or holds control, bidirectional or line-separator characters";

// ---------------------------------------------------------------------------------------------
// Reading

// A small rule file (.gitignore, .gitattributes) in the directory `dir_fd`; "" when there is
// none, it is not a regular file (git does not follow symlinked rule files), or it is huge.
std::string read_rule_file(int dir_fd, const char* name) {
  auto file = sys::open_regular_file(dir_fd, name);
  if (!file || file->size > k_max_rule_file_bytes)
    return {};
  auto text = sys::read_bounded(*file, k_max_rule_file_bytes, name);
  return text ? std::move(*text) : std::string();
}

// Which inode a path named when the walk saw it.
struct Identity {
  dev_t dev = 0;
  ino_t ino = 0;
  bool matches(const struct stat& st) const { return st.st_dev == dev && st.st_ino == ino; }
  bool matches(const sys::RegularFile& f) const {
    return f.device == static_cast<std::uint64_t>(dev) &&
           f.inode == static_cast<std::uint64_t>(ino);
  }
};

struct Candidate {
  std::string path;  // relative to the repository
  Identity id;
};

struct HashOutcome {
  std::string sha256;
  std::uint64_t size = 0;
  std::optional<SkipReason> skip;
  std::string detail;
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

// ---------------------------------------------------------------------------------------------
// The walk

struct PendingDir {
  std::string rel;  // "" = the root
  Identity id;
  bool ignored = false;  // the .gitignore files exclude it: entered only for its tracked files
};

class Walker {
 public:
  Walker(fs::path root, std::string repo, const Options& options,
         const std::vector<std::string>& tracked)
      : m_root(std::move(root)),
        m_repo(std::move(repo)),
        m_options(options),
        m_tracked(tracked),
        m_config_ignore(options.ignore_patterns, "") {
    char* real = realpath(m_root.c_str(), nullptr);
    if (real != nullptr) {
      m_real_root = real;
      std::free(real);  // NOLINT(cppcoreguidelines-no-malloc): realpath's contract
    }
  }

  void walk(Repository& out) {
    struct stat st {};
    if (lstat(m_root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      out.unwalked.push_back(m_repo + "/");
      skip(out, "", true, SkipReason::unreadable,
           std::string("the repository's directory cannot be read: ") + std::strerror(errno));
      return;
    }
    std::vector<PendingDir> pending{{"", {st.st_dev, st.st_ino}}};
    while (!pending.empty()) {
      PendingDir dir = std::move(pending.back());
      pending.pop_back();
      walk_dir(dir, out, pending);
    }
  }

  std::vector<Candidate>& candidates() { return m_candidates; }

 private:
  void skip(Repository& out, const std::string& rel, bool is_dir, SkipReason reason,
            std::string detail) {
    std::string key = m_repo + "/" + rel;
    if (is_dir && !rel.empty())
      key += '/';
    out.skipped.push_back({std::move(key), reason, std::move(detail)});
  }

  void unwalked(Repository& out, const std::string& rel, SkipReason reason, std::string detail) {
    out.unwalked.push_back(rel.empty() ? m_repo + "/" : m_repo + "/" + rel + "/");
    skip(out, rel, true, reason, std::move(detail));
  }

  // Reads the directory's rule files into the stacks; false when the repository's budget is spent.
  bool load_rules(int dfd, const std::string& dir) {
    std::string ignore_text = read_rule_file(dfd, ".gitignore");
    std::string attr_text = read_rule_file(dfd, ".gitattributes");
    std::string exclude;
    if (dir.empty()) {
      sys::Fd info(
          open((m_root / ".git/info").c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (info.valid())
        exclude = read_rule_file(info.get(), "exclude");
    }
    m_rule_bytes += ignore_text.size() + attr_text.size() + exclude.size();
    if (m_rule_bytes > k_max_rule_bytes_per_repo)
      return false;
    // info/exclude has the lowest precedence: added first, the root .gitignore after it wins.
    if (!exclude.empty())
      m_ignore.add(dir, exclude);
    if (!ignore_text.empty())
      m_ignore.add(dir, ignore_text);
    if (!attr_text.empty())
      m_attrs.add(dir, attr_text);
    return true;
  }

  void walk_dir(const PendingDir& dir, Repository& out, std::vector<PendingDir>& pending) {
    const std::string& rel_dir = dir.rel;
    fs::path full = rel_dir.empty() ? m_root : m_root / rel_dir;
    int raw = open(full.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) {
      unwalked(out, rel_dir, SkipReason::unreadable, std::strerror(errno));
      return;
    }
    struct stat self {};
    if (fstat(raw, &self) != 0 || !dir.id.matches(self)) {
      close(raw);
      unwalked(out, rel_dir, SkipReason::unreadable,
               "the directory changed while the repository was walked");
      return;
    }
    DIR* d = fdopendir(raw);
    if (d == nullptr) {
      int err = errno;
      close(raw);
      unwalked(out, rel_dir, SkipReason::unreadable, std::strerror(err));
      return;
    }
    std::unique_ptr<DIR, int (*)(DIR*)> guard(d, closedir);
    int dfd = dirfd(d);
    if (!load_rules(dfd, rel_dir)) {
      unwalked(out, rel_dir, SkipReason::unreadable,
               "the repository's .gitignore and .gitattributes files exceed 8 MiB together");
      return;
    }

    struct Entry {
      std::string name;
      unsigned char type;
    };
    std::vector<Entry> entries;
    for (;;) {
      errno = 0;
      dirent* e = readdir(d);
      if (e == nullptr) {
        if (errno != 0)
          unwalked(out, rel_dir, SkipReason::unreadable,
                   std::string("listing stopped early: ") + std::strerror(errno));
        break;
      }
      std::string_view name = e->d_name;
      if (name == "." || name == "..")
        continue;
      entries.push_back({std::string(name), e->d_type});
    }
    // Name order, so that the walk (and so its output) is the same on every run.
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });

    std::vector<PendingDir> subdirs;
    for (auto& e : entries) {
      if (e.name == ".git")
        continue;
      std::string rel = rel_dir.empty() ? e.name : rel_dir + "/" + e.name;
      struct stat st {};
      if (fstatat(dfd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        skip(out, rel, false, SkipReason::unreadable, std::strerror(errno));
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        if (auto ignored = visit_dir(dfd, e.name, rel, dir.ignored, out))
          subdirs.push_back({std::move(rel), {st.st_dev, st.st_ino}, *ignored});
      } else {
        visit_file(e.name, rel, st, dir.ignored, out);
      }
    }
    // Depth-first in name order: push in reverse so the first name is walked first.
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it)
      pending.push_back(std::move(*it));
  }

  // Whether to enter the directory (nullopt: not) and whether the .gitignore files exclude it
  // (or a directory above it).
  std::optional<bool> visit_dir(int dfd, const std::string& name, const std::string& rel,
                                bool parent_ignored, Repository& out) {
    if (!displays_safely(name)) {
      skip(out, rel, true, SkipReason::bad_name, std::string(k_bad_name));
      return std::nullopt;
    }
    if (m_config_ignore.match(rel, true) == IgnoreMatch::ignored) {
      skip(out, rel, true, SkipReason::ignore_pattern, "pipeline.ignore_patterns");
      return std::nullopt;
    }
    bool ignored = parent_ignored || m_ignore.match(rel, true) == IgnoreMatch::ignored;
    if (ignored && !holds_tracked(rel)) {
      skip(out, rel, true, SkipReason::gitignored,
           parent_ignored ? "in a directory .gitignore excludes" : ".gitignore");
      return std::nullopt;
    }
    struct stat st {};
    if (fstatat(dfd, (name + "/.git").c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      skip(out, rel, true, SkipReason::nested_repo, "holds its own .git");
      return std::nullopt;
    }
    return ignored;
  }

  // git applies ignore rules to untracked files only.
  bool is_tracked(const std::string& rel) const {
    return std::binary_search(m_tracked.begin(), m_tracked.end(), rel);
  }

  bool holds_tracked(const std::string& dir) const {
    std::string prefix = dir + "/";
    auto it = std::lower_bound(m_tracked.begin(), m_tracked.end(), prefix);
    return it != m_tracked.end() && it->starts_with(prefix);
  }

  void visit_file(const std::string& name, const std::string& rel, const struct stat& st,
                  bool in_ignored_dir, Repository& out) {
    if (!displays_safely(name)) {
      skip(out, rel, false, SkipReason::bad_name, std::string(k_bad_name));
      return;
    }
    if (auto kind = sensitive_kind(name, rel)) {
      skip(out, rel, false, SkipReason::sensitive, std::string(*kind));
      return;
    }
    if (!is_source(name)) {
      skip(out, rel, false, SkipReason::not_source,
           "not in pipeline.allowed_extensions or include_file_names");
      return;
    }
    if (m_config_ignore.match(rel, false) == IgnoreMatch::ignored) {
      skip(out, rel, false, SkipReason::ignore_pattern, "pipeline.ignore_patterns");
      return;
    }
    if (!is_tracked(rel)) {
      if (in_ignored_dir) {
        skip(out, rel, false, SkipReason::gitignored, "in a directory .gitignore excludes");
        return;
      }
      if (m_ignore.match(rel, false) == IgnoreMatch::ignored) {
        skip(out, rel, false, SkipReason::gitignored, ".gitignore");
        return;
      }
    }
    LinguistAttrs attrs = m_attrs.linguist(rel);
    if (attrs.generated == AttrState::set) {
      skip(out, rel, false, SkipReason::generated, ".gitattributes linguist-generated");
      return;
    }
    if (attrs.vendored == AttrState::set) {
      skip(out, rel, false, SkipReason::vendored, ".gitattributes linguist-vendored");
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      classify_link(rel, out);
      return;
    }
    if (!S_ISREG(st.st_mode)) {
      skip(out, rel, false, SkipReason::unreadable, "not a regular file (fifo, socket or device)");
      return;
    }
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > m_options.max_file_bytes) {
      skip(out, rel, false, SkipReason::too_large,
           std::to_string(size) + " bytes > max_file_bytes " +
               std::to_string(m_options.max_file_bytes));
      return;
    }
    m_candidates.push_back({rel, {st.st_dev, st.st_ino}});
  }

  bool is_source(std::string_view name) const {
    for (const auto& n : m_options.include_file_names)
      if (name == n)
        return true;
    for (const auto& ext : m_options.allowed_extensions)
      if (name.size() > ext.size() && ends_with_ci(name, ext))
        return true;
    return false;
  }

  // A symlink is never followed for reading; where it leads only decides the reason.
  void classify_link(const std::string& rel, Repository& out) {
    fs::path full = m_root / rel;
    char* real = realpath(full.c_str(), nullptr);
    if (real == nullptr) {
      int err = errno;
      skip(out, rel, false, SkipReason::symlink_broken,
           err == ELOOP ? "the link loops" : "the target does not exist");
      return;
    }
    std::string target = real;
    std::free(real);  // NOLINT(cppcoreguidelines-no-malloc): realpath's contract
    bool inside =
        !m_real_root.empty() && (target == m_real_root || target.starts_with(m_real_root + "/"));
    if (inside) {
      skip(out, rel, false, SkipReason::symlink,
           "links to " + target.substr(std::min(target.size(), m_real_root.size() + 1)) +
               " (read at its own path)");
    } else {
      skip(out, rel, false, SkipReason::symlink_outside, "links outside the repository");
    }
  }

  fs::path m_root;
  std::string m_real_root;
  std::string m_repo;
  const Options& m_options;
  const std::vector<std::string>& m_tracked;  // sorted
  IgnoreList m_config_ignore;
  IgnoreStack m_ignore;
  AttributeStack m_attrs;
  std::uint64_t m_rule_bytes = 0;
  std::vector<Candidate> m_candidates;
};

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

}  // namespace

Result<std::vector<std::string>> find_repositories(const fs::path& repos_dir) {
  std::vector<std::string> found;
  std::error_code ec;
  auto status = fs::symlink_status(repos_dir, ec);
  if (ec || !fs::exists(status)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      return fail(ErrorKind::io, "cannot read {}: {}", repos_dir.string(), ec.message());
    return found;
  }
  if (!fs::is_directory(repos_dir, ec))
    return fail(ErrorKind::io, "{} is not a directory", repos_dir.string());
  std::string base = repos_dir.string();
  std::vector<fs::path> pending{repos_dir};
  while (!pending.empty()) {
    fs::path dir = std::move(pending.back());
    pending.pop_back();
    fs::directory_iterator it(dir, ec);
    if (ec) {
      if (dir == repos_dir)
        return fail(ErrorKind::io, "cannot read {}: {}", repos_dir.string(), ec.message());
      spdlog::warn("cannot read {}: {}", dir.string(), ec.message());
      continue;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      const auto& entry = *it;
      std::string name = entry.path().filename().string();
      std::error_code type_ec;
      if (name.starts_with(".") || entry.is_symlink(type_ec) || !entry.is_directory(type_ec))
        continue;
      std::error_code git_ec;
      if (fs::exists(entry.path() / ".git", git_ec)) {
        std::string full = entry.path().string();
        found.push_back(full.substr(base.size() + (base.ends_with('/') ? 0 : 1)));
      } else {
        pending.push_back(entry.path());
      }
    }
    if (ec) {
      spdlog::warn("cannot list {} completely: {}", dir.string(), ec.message());
      ec.clear();
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

Repository discover_repository(const fs::path& repos_dir, const std::string& repo,
                               const Options& options, const std::vector<std::string>& tracked) {
  Repository out;
  out.repo = repo;
  out.root = fs::absolute(repos_dir / repo);
  Walker walker(out.root, repo, options, tracked);
  walker.walk(out);

  auto& candidates = walker.candidates();
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  std::vector<HashOutcome> hashed;
  hash_all(out.root, candidates, options, hashed);
  out.files.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto& c = candidates[i];
    auto& h = hashed[i];
    if (h.skip) {
      out.skipped.push_back({repo + "/" + c.path, *h.skip, std::move(h.detail)});
      continue;
    }
    std::string language = language_of(c.path);
    out.files.push_back({repo + "/" + c.path, repo, std::move(c.path), std::move(language), h.size,
                         std::move(h.sha256)});
  }
  std::sort(out.skipped.begin(), out.skipped.end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.file_path < b.file_path; });
  std::sort(out.unwalked.begin(), out.unwalked.end());
  return out;
}

std::string language_of(std::string_view path) {
  std::string_view name = base_name(path);
  static const std::pair<std::string_view, std::string_view> names[] = {
      {"Dockerfile", "dockerfile"}, {"Makefile", "makefile"}, {"GNUmakefile", "makefile"},
      {"CMakeLists.txt", "cmake"},  {"Rakefile", "ruby"},     {"Gemfile", "ruby"},
      {"Jenkinsfile", "groovy"},    {"Vagrantfile", "ruby"},  {"BUILD", "starlark"},
      {"WORKSPACE", "starlark"},    {"meson.build", "meson"}, {"Justfile", "just"},
  };
  for (const auto& [n, lang] : names)
    if (name == n)
      return std::string(lang);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0)
    return "";
  std::string ext = to_lower(name.substr(dot + 1));
  static const std::pair<std::string_view, std::string_view> exts[] = {
      {"py", "python"},
      {"pyi", "python"},
      {"js", "javascript"},
      {"mjs", "javascript"},
      {"cjs", "javascript"},
      {"jsx", "javascript"},
      {"ts", "typescript"},
      {"tsx", "typescript"},
      {"mts", "typescript"},
      {"cts", "typescript"},
      {"go", "go"},
      {"rs", "rust"},
      {"java", "java"},
      {"c", "c"},
      {"h", "c"},
      {"cc", "cpp"},
      {"cpp", "cpp"},
      {"cxx", "cpp"},
      {"c++", "cpp"},
      {"hh", "cpp"},
      {"hpp", "cpp"},
      {"hxx", "cpp"},
      {"h++", "cpp"},
      {"ipp", "cpp"},
      {"cs", "csharp"},
      {"rb", "ruby"},
      {"php", "php"},
      {"kt", "kotlin"},
      {"kts", "kotlin"},
      {"swift", "swift"},
      {"scala", "scala"},
      {"sh", "shell"},
      {"bash", "shell"},
      {"zsh", "shell"},
      {"lua", "lua"},
      {"m", "objective-c"},
      {"mm", "objective-cpp"},
      {"zig", "zig"},
      {"hs", "haskell"},
      {"ml", "ocaml"},
      {"mli", "ocaml"},
      {"ex", "elixir"},
      {"exs", "elixir"},
      {"erl", "erlang"},
      {"clj", "clojure"},
      {"sql", "sql"},
      {"r", "r"},
      {"dart", "dart"},
      {"jl", "julia"},
      {"vue", "vue"},
      {"svelte", "svelte"},
      {"cmake", "cmake"},
      {"proto", "protobuf"},
      {"nim", "nim"},
      {"v", "verilog"},
      {"sv", "systemverilog"},
      {"vhd", "vhdl"},
      {"f90", "fortran"},
      {"pl", "perl"},
      {"pm", "perl"},
      {"groovy", "groovy"},
      {"gradle", "groovy"},
      {"tf", "terraform"},
      {"cu", "cuda"},
  };
  for (const auto& [e, lang] : exts)
    if (ext == e)
      return std::string(lang);
  return "";
}

}  // namespace g2d::discover
